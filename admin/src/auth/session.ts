// The signed-in staff member as the admin API last described them, and the CSRF token every
// unsafe request must carry. Kept in memory only: a reload asks GET /admin/api/auth/me again
// (the session itself is an HttpOnly cookie the panel never sees).

export interface Me {
    id: string;
    email: string;
    display_name: string;
    roles: string[];
    csrf_token: string;
}

let me: Me | null = null;
let csrf = '';

export function currentUser(): Me | null {
    return me;
}

export function csrfToken(): string {
    return csrf;
}

/** signedIn records a completed sign-in. */
export function setSignedIn(user: Me): void {
    me = user;
    csrf = user.csrf_token;
}

/** setPending keeps the token of a sign-in still waiting for its second step. */
export function setPending(token: string): void {
    me = null;
    csrf = token;
}

export function clearSession(): void {
    me = null;
    csrf = '';
}
