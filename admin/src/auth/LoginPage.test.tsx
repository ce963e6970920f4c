// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { clearSession, csrfToken } from './session';

vi.mock('./reload', () => ({ reloadPanel: vi.fn() }));
import { reloadPanel } from './reload';

type Answer = { status: number; body: unknown };

function fakeAPI(answers: Record<string, Answer>) {
    const calls: { path: string; body?: string; csrf: string | null }[] = [];
    vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
        const path = `${init.method ?? 'GET'} ${new URL(input, 'http://panel.test').pathname}`;
        calls.push({ path, body: init.body as string | undefined, csrf: new Headers(init.headers).get('X-CSRF-Token') });
        const a = answers[path] ?? { status: 401, body: { status: 401 } };
        return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'Content-Type': 'application/json' } });
    });
    return calls;
}

const me = { id: 'u1', email: 'owner@example.org', display_name: 'Ольга', roles: ['owner'], csrf_token: 'full' };

async function typePassword() {
    window.history.pushState({}, '', '/admin/login');
    render(<App />);
    fireEvent.change(await screen.findByLabelText(/E-mail/, undefined, { timeout: 4000 }), { target: { value: 'owner@example.org' } });
    fireEvent.change(screen.getByLabelText(/Пароль/), { target: { value: 'secret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Войти' }));
}

beforeEach(() => vi.mocked(reloadPanel).mockClear());
afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    clearSession();
});

describe('sign-in', () => {
    it('a wrong password is said in Russian', async () => {
        fakeAPI({ 'POST /admin/api/auth/login': { status: 401, body: { status: 401, type: 'x/invalid-credentials' } } });
        await typePassword();
        expect((await screen.findByRole('alert')).textContent).toBe('Неверный e-mail или пароль');
        expect(reloadPanel).not.toHaveBeenCalled();
    });

    it('asks for the authenticator code, then opens the panel', async () => {
        const calls = fakeAPI({
            'POST /admin/api/auth/login': { status: 200, body: { totp_required: true, csrf_token: 'pending' } },
            'POST /admin/api/auth/totp': { status: 200, body: me },
        });
        await typePassword();
        expect(await screen.findByRole('heading', { name: 'Подтверждение входа' })).toBeTruthy();
        fireEvent.change(screen.getByLabelText(/Код/), { target: { value: '123 456' } });
        fireEvent.click(screen.getByRole('button', { name: 'Войти' }));
        await vi.waitFor(() => expect(reloadPanel).toHaveBeenCalledWith('/'));
        const totp = calls.find(c => c.path === 'POST /admin/api/auth/totp')!;
        expect(totp.body).toBe('{"code":"123456"}'); // spaces as the app groups the digits are dropped
        expect(totp.csrf).toBe('pending');
        expect(csrfToken()).toBe('full');
    });

    it('sets up an authenticator with a QR code and shows the recovery codes once', async () => {
        fakeAPI({
            'POST /admin/api/auth/login': { status: 200, body: { totp_enrolment_required: true, csrf_token: 'pending' } },
            'POST /admin/api/auth/totp/enrol': { status: 200, body: { secret: 'JBSWY3DPEHPK3PXP', otpauth_url: 'otpauth://totp/x', qr_code: 'data:image/png;base64,iVBORw0KGgo=' } },
            'POST /admin/api/auth/totp/enrol/confirm': { status: 200, body: { recovery_codes: ['aaaa-bbbb', 'cccc-dddd'], me } },
        });
        await typePassword();
        const qr = await screen.findByAltText('QR-код для приложения-аутентификатора');
        expect(qr.getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');
        expect(screen.getByText('JBSWY3DPEHPK3PXP')).toBeTruthy();
        fireEvent.change(screen.getByLabelText(/Код из приложения/), { target: { value: '654321' } });
        fireEvent.click(screen.getByRole('button', { name: 'Подтвердить' }));
        expect(await screen.findByText('aaaa-bbbb')).toBeTruthy();
        expect(screen.getByText('cccc-dddd')).toBeTruthy();
        expect(reloadPanel).not.toHaveBeenCalled(); // not before the codes are saved
        fireEvent.click(screen.getByRole('button', { name: 'Я сохранил(а) коды' }));
        expect(reloadPanel).toHaveBeenCalledWith('/');
    });

    it('a recovery code can stand in for the authenticator', async () => {
        const calls = fakeAPI({
            'POST /admin/api/auth/login': { status: 200, body: { totp_required: true, csrf_token: 'pending' } },
            'POST /admin/api/auth/totp': { status: 200, body: me },
        });
        await typePassword();
        fireEvent.click(await screen.findByRole('button', { name: 'Войти с резервным кодом' }));
        fireEvent.change(screen.getByLabelText(/Резервный код/), { target: { value: 'aaaa-bbbb' } });
        fireEvent.click(screen.getByRole('button', { name: 'Войти' }));
        await vi.waitFor(() => expect(reloadPanel).toHaveBeenCalled());
        expect(calls.find(c => c.path === 'POST /admin/api/auth/totp')!.body).toBe('{"recovery_code":"aaaa-bbbb"}');
    });
});
