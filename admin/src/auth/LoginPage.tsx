// Sign-in: e-mail and password, then a code from the authenticator (or a recovery code), or —
// for an account that must have an authenticator and has none — setting one up with a QR code,
// whose recovery codes are shown once.
import { Alert, Box, Button, Card, CardContent, Link, Stack, TextField, Typography } from '@mui/material';
import { useState, type FormEvent, type ReactNode } from 'react';
import { HttpError } from 'react-admin';
import { useLocation } from 'react-router-dom';
import { reloadPanel } from './reload';
import { confirmEnrolment, signIn, startEnrolment, verifyTOTP, type Enrolment, type SignInStep } from './api';

type Stage =
    | { name: 'password' }
    | { name: 'totp'; recovery: boolean }
    | { name: 'enrol'; enrolment?: Enrolment }
    | { name: 'codes'; codes: string[] };

function errorText(e: unknown, wrong: string): string {
    if (e instanceof HttpError) {
        if (e.status === 401 || e.status === 422) {
            return wrong;
        }
        return e.message;
    }
    return 'Нет связи с сервером. Проверьте подключение.';
}

/** Frame: the card the pages outside the panel (sign-in, accepting an invitation) are shown in. */
export function Frame({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
    return (
        <Box component="main" data-testid={testId} sx={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', bgcolor: 'grey.100', p: 2 }}>
            <Card sx={{ width: '100%', maxWidth: 420 }}>
                <CardContent>
                    <Typography variant="h5" component="h1" gutterBottom>{title}</Typography>
                    <Typography variant="body2" color="text.secondary" gutterBottom>Эмоциональный баланс — панель управления</Typography>
                    {children}
                </CardContent>
            </Card>
        </Box>
    );
}

export function LoginPage() {
    const location = useLocation();
    const [stage, setStage] = useState<Stage>({ name: 'password' });
    const [email, setEmail] = useState('');
    const [password, setPassword] = useState('');
    const [code, setCode] = useState('');
    const [error, setError] = useState('');
    const [busy, setBusy] = useState(false);

    // A finished sign-in reloads the panel where the person was going: every screen, cache and
    // menu is then built afresh for this user's roles.
    const finish = () => {
        const next = (location.state as { nextPathname?: string } | null)?.nextPathname;
        const path = next && next.startsWith('/') && !next.startsWith('//') && next !== '/login' ? next : '/';
        reloadPanel(path);
    };

    const go = async (s: SignInStep) => {
        setCode('');
        if (s.kind === 'done') {
            finish();
        } else if (s.kind === 'totp') {
            setStage({ name: 'totp', recovery: false });
        } else {
            setStage({ name: 'enrol' });
            setStage({ name: 'enrol', enrolment: await startEnrolment() });
        }
    };

    const submit = (fn: () => Promise<void>, wrong: string) => async (e: FormEvent) => {
        e.preventDefault();
        setError('');
        setBusy(true);
        try {
            await fn();
        } catch (err) {
            setError(errorText(err, wrong));
        } finally {
            setBusy(false);
        }
    };

    const alert = error ? <Alert severity="error" role="alert" sx={{ mt: 1 }}>{error}</Alert> : null;

    if (stage.name === 'totp') {
        return (
            <Frame title="Подтверждение входа">
                <Box component="form" onSubmit={submit(async () => go(await verifyTOTP(stage.recovery ? { recovery_code: code.trim() } : { code: code.replace(/\s/g, '') })),
                    stage.recovery ? 'Неверный резервный код' : 'Неверный код')}>
                    <Typography variant="body2" sx={{ mt: 1 }}>
                        {stage.recovery ? 'Введите один из резервных кодов, сохранённых при настройке.' : 'Введите 6 цифр из приложения-аутентификатора.'}
                    </Typography>
                    <TextField label={stage.recovery ? 'Резервный код' : 'Код'} name="code" value={code} required autoFocus fullWidth margin="normal"
                        onChange={e => setCode(e.target.value)}
                        slotProps={{ htmlInput: stage.recovery ? { autoComplete: 'off' } : { inputMode: 'numeric', autoComplete: 'one-time-code', pattern: '[0-9 ]*' } }} />
                    {alert}
                    <Stack direction="row" justifyContent="space-between" alignItems="center" sx={{ mt: 2 }}>
                        <Link component="button" type="button" onClick={() => { setError(''); setCode(''); setStage({ name: 'totp', recovery: !stage.recovery }); }}>
                            {stage.recovery ? 'Ввести код из приложения' : 'Войти с резервным кодом'}
                        </Link>
                        <Button type="submit" variant="contained" disabled={busy}>Войти</Button>
                    </Stack>
                </Box>
            </Frame>
        );
    }

    if (stage.name === 'enrol') {
        const en = stage.enrolment;
        return (
            <Frame title="Настройка двухфакторного входа">
                <Box component="form" onSubmit={submit(async () => {
                    const out = await confirmEnrolment(code.replace(/\s/g, ''));
                    setStage({ name: 'codes', codes: out.recovery_codes });
                }, 'Неверный код')}>
                    <Typography variant="body2" sx={{ mt: 1 }}>
                        Для этой учётной записи нужен код из приложения-аутентификатора. Отсканируйте QR-код
                        приложением (Google Authenticator, «Яндекс Ключ» и подобные) или введите ключ вручную,
                        затем введите код, который покажет приложение.
                    </Typography>
                    {en ? (
                        <Box sx={{ textAlign: 'center', my: 2 }}>
                            <img src={en.qr_code} alt="QR-код для приложения-аутентификатора" width={200} height={200} />
                            <Typography variant="body2" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} aria-label="Ключ для ручного ввода">{en.secret}</Typography>
                        </Box>
                    ) : <Typography sx={{ my: 2 }}>Готовим ключ…</Typography>}
                    <TextField label="Код из приложения" name="code" value={code} required fullWidth margin="normal"
                        onChange={e => setCode(e.target.value)}
                        slotProps={{ htmlInput: { inputMode: 'numeric', autoComplete: 'one-time-code' } }} />
                    {alert}
                    <Button type="submit" variant="contained" disabled={busy || !en} fullWidth sx={{ mt: 2 }}>Подтвердить</Button>
                </Box>
            </Frame>
        );
    }

    if (stage.name === 'codes') {
        return (
            <Frame title="Резервные коды">
                <Alert severity="warning" sx={{ my: 1 }}>
                    Сохраните эти коды в надёжном месте: они показаны один раз. Каждый код позволяет войти
                    один раз, если телефона с приложением не будет под рукой.
                </Alert>
                <Box component="ol" aria-label="Резервные коды" sx={{ fontFamily: 'monospace', fontSize: '1.05rem', columns: 2, pl: 3 }}>
                    {stage.codes.map(c => <li key={c}>{c}</li>)}
                </Box>
                <Stack direction="row" spacing={1} justifyContent="flex-end">
                    {navigator.clipboard && (
                        <Button onClick={() => void navigator.clipboard.writeText(stage.codes.join('\n'))}>Скопировать</Button>
                    )}
                    <Button variant="contained" onClick={finish}>Я сохранил(а) коды</Button>
                </Stack>
            </Frame>
        );
    }

    // A page that sends the person here may leave a word for them (the invitation page: the
    // password is set).
    const notice = (location.state as { notice?: unknown } | null)?.notice;
    return (
        <Frame title="Вход">
            {typeof notice === 'string' && notice && <Alert severity="success" data-testid="login-notice" sx={{ mt: 1 }}>{notice}</Alert>}
            <Box component="form" onSubmit={submit(async () => go(await signIn(email.trim(), password)), 'Неверный e-mail или пароль')}>
                <TextField label="E-mail" name="email" type="email" value={email} required autoFocus fullWidth margin="normal"
                    autoComplete="username" onChange={e => setEmail(e.target.value)} />
                <TextField label="Пароль" name="password" type="password" value={password} required fullWidth margin="normal"
                    autoComplete="current-password" onChange={e => setPassword(e.target.value)} />
                {alert}
                <Button type="submit" variant="contained" disabled={busy} fullWidth sx={{ mt: 2 }}>Войти</Button>
            </Box>
        </Frame>
    );
}
