// The sign-in endpoints of the admin API (docs/admin.md, "Signing in").
import { API_URL } from '../config';
import { httpClient } from '../providers/http';
import { setPending, setSignedIn, type Me } from './session';

/** What a sign-in step answers: the staff member, or the second step still due. */
export type SignInStep =
    | { kind: 'done'; me: Me }
    | { kind: 'totp' }
    | { kind: 'enrol' };

interface Pending {
    totp_required?: boolean;
    totp_enrolment_required?: boolean;
    csrf_token: string;
}

function step(json: Me | Pending): SignInStep {
    if ('id' in json && json.id) {
        setSignedIn(json);
        return { kind: 'done', me: json };
    }
    const p = json as Pending;
    setPending(p.csrf_token);
    if (p.totp_enrolment_required) {
        return { kind: 'enrol' };
    }
    return { kind: 'totp' };
}

async function post<T>(path: string, body?: unknown): Promise<T> {
    const { json } = await httpClient(`${API_URL}${path}`, {
        method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return json as T;
}

export async function signIn(email: string, password: string): Promise<SignInStep> {
    return step(await post<Me | Pending>('/auth/login', { email, password }));
}

/** verifyTOTP completes a pending sign-in with an authenticator code or a recovery code. */
export async function verifyTOTP(code: { code: string } | { recovery_code: string }): Promise<SignInStep> {
    return step(await post<Me | Pending>('/auth/totp', code));
}

export interface Enrolment {
    secret: string;
    otpauth_url: string;
    /** A PNG data URL of the QR code to scan. */
    qr_code: string;
}

export function startEnrolment(): Promise<Enrolment> {
    return post<Enrolment>('/auth/totp/enrol');
}

/** confirmEnrolment activates the authenticator and answers the recovery codes, shown once. */
export async function confirmEnrolment(code: string): Promise<{ recovery_codes: string[]; me: Me }> {
    const out = await post<{ recovery_codes: string[]; me: Me }>('/auth/totp/enrol/confirm', { code });
    setSignedIn(out.me);
    return out;
}

export async function fetchMe(): Promise<Me> {
    const { json } = await httpClient(`${API_URL}/auth/me`);
    setSignedIn(json as Me);
    return json as Me;
}

export async function signOut(): Promise<void> {
    await post<unknown>('/auth/logout');
}

/**
 * acceptInvite sets an invited staff member's password with the token of their invitation link.
 * It starts no session (204): the member then signs in. A used, expired or unknown link answers
 * 422 naming `token`; a password the server refuses, 422 naming `password`.
 */
export async function acceptInvite(token: string, password: string): Promise<void> {
    await post<unknown>('/auth/invite/accept', { token, password });
}
