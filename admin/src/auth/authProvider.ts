import type { AuthProvider } from 'react-admin';
import { fetchMe, signOut } from './api';
import { clearSession, csrfToken, currentUser } from './session';

function status(error: unknown): number | undefined {
    const s = (error as { status?: unknown })?.status;
    return typeof s === 'number' ? s : undefined;
}

/**
 * authProvider: the session is an HttpOnly cookie; the panel knows the user from /auth/me. The
 * sign-in steps (password, code, enrolment) live in LoginPage, which calls the API itself; login
 * here only accepts a finished sign-in. A 401 anywhere means the session is gone: back to sign-in.
 */
export const authProvider: AuthProvider = {
    login: async () => {
        if (!currentUser()) {
            throw new Error('Вход не завершён');
        }
    },
    logout: async () => {
        if (csrfToken()) {
            try {
                await signOut();
            } catch {
                // The session may already be gone; signing out locally is what matters.
            }
        }
        clearSession();
    },
    checkAuth: async () => {
        if (currentUser()) {
            return;
        }
        try {
            await fetchMe();
        } catch {
            // No message: opening the panel signed out is not an error.
            throw { message: false };
        }
    },
    checkError: async (error: unknown) => {
        if (status(error) === 401) {
            clearSession();
            throw { message: 'Сессия закончилась. Войдите снова.' };
        }
        // 403 and the rest are shown where they happen; the session stays.
    },
    getIdentity: async () => {
        const me = currentUser() ?? (await fetchMe());
        return { id: me.id, fullName: me.display_name || me.email };
    },
    // Never fails: signed out, there are no roles (checkAuth sends the person to sign in), and
    // react-admin waits for the permissions before it builds any screen.
    getPermissions: async () => {
        try {
            const me = currentUser() ?? (await fetchMe());
            return me.roles;
        } catch {
            return [];
        }
    },
};
