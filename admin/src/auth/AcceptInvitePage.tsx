// The page an invitation email links to (/admin/accept-invite?token=…): the invited staff member
// sets their password, then signs in. Public, outside the panel's layout, like the sign-in page.
import { Alert, Box, Button, Link, TextField, Typography } from '@mui/material';
import { useState, type FormEvent } from 'react';
import { HttpError } from 'react-admin';
import { Link as RouterLink, useNavigate, useSearchParams } from 'react-router-dom';
import { fieldErrors } from '../providers/http';
import { acceptInvite } from './api';
import { Frame } from './LoginPage';

/** The server's bounds of a staff password (api/openapi.yaml: adminAcceptInvite). */
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;

/** What the sign-in page says once the password is set. */
export const PASSWORD_SET_NOTICE = 'Пароль задан — войдите';

export interface PasswordErrors {
    password?: string;
    repeat?: string;
}

/**
 * invitePasswordErrors checks the new password before it is sent (the server checks again): its
 * length in characters, as the server counts them, and the repeat.
 */
export function invitePasswordErrors(password: string, repeat: string): PasswordErrors {
    const errors: PasswordErrors = {};
    const n = [...password].length;
    if (n === 0) {
        errors.password = 'Введите пароль';
    } else if (n < MIN_PASSWORD) {
        errors.password = `Пароль должен быть не короче ${MIN_PASSWORD} символов`;
    } else if (n > MAX_PASSWORD) {
        errors.password = `Пароль должен быть не длиннее ${MAX_PASSWORD} символов`;
    }
    if (!errors.password && repeat !== password) {
        errors.repeat = 'Пароли не совпадают';
    }
    return errors;
}

export function AcceptInvitePage() {
    const [params] = useSearchParams();
    const token = params.get('token') ?? '';
    const navigate = useNavigate();
    const [password, setPassword] = useState('');
    const [repeat, setRepeat] = useState('');
    const [errors, setErrors] = useState<PasswordErrors>({});
    const [error, setError] = useState('');
    // The link itself is refused (used, expired, replaced): typing again will not help.
    const [linkError, setLinkError] = useState(token ? '' : 'В ссылке нет приглашения. Откройте ссылку из письма целиком.');
    const [busy, setBusy] = useState(false);

    const submit = async (e: FormEvent) => {
        e.preventDefault();
        setError('');
        const found = invitePasswordErrors(password, repeat);
        setErrors(found);
        if (found.password || found.repeat) {
            return;
        }
        setBusy(true);
        try {
            await acceptInvite(token, password);
            navigate('/login', { replace: true, state: { notice: PASSWORD_SET_NOTICE } });
        } catch (err) {
            const fe = fieldErrors(err);
            if (fe.token) {
                setLinkError(fe.token);
            } else if (fe.password) {
                setErrors({ password: fe.password });
            } else {
                setError(err instanceof HttpError ? err.message : 'Нет связи с сервером. Проверьте подключение.');
            }
        } finally {
            setBusy(false);
        }
    };

    const toSignIn = <Link component={RouterLink} to="/login">Перейти ко входу</Link>;

    if (linkError) {
        return (
            <Frame title="Приглашение" testId="accept-invite">
                <Alert severity="error" role="alert" data-testid="accept-invite-error" sx={{ my: 1 }}>{linkError}</Alert>
                <Typography variant="body2">{toSignIn}</Typography>
            </Frame>
        );
    }

    return (
        <Frame title="Приглашение" testId="accept-invite">
            <Box component="form" noValidate onSubmit={e => void submit(e)}>
                <Typography variant="body2" sx={{ mt: 1 }}>
                    Придумайте пароль для входа в панель: не короче {MIN_PASSWORD} символов. Затем войдите с вашим e-mail и этим паролем.
                </Typography>
                <TextField label="Новый пароль" name="password" type="password" value={password} required autoFocus fullWidth margin="normal"
                    autoComplete="new-password" onChange={e => setPassword(e.target.value)}
                    error={!!errors.password} helperText={errors.password} />
                <TextField label="Повторите пароль" name="password_repeat" type="password" value={repeat} required fullWidth margin="normal"
                    autoComplete="new-password" onChange={e => setRepeat(e.target.value)}
                    error={!!errors.repeat} helperText={errors.repeat} />
                {error && <Alert severity="error" role="alert" data-testid="accept-invite-error" sx={{ mt: 1 }}>{error}</Alert>}
                <Button type="submit" variant="contained" disabled={busy} fullWidth sx={{ mt: 2 }}>Задать пароль</Button>
                <Typography variant="body2" sx={{ mt: 2 }}>Пароль уже задан? {toSignIn}</Typography>
            </Box>
        </Frame>
    );
}
