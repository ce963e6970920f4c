// @vitest-environment jsdom
// The invitation page: public (no session), checks the password in Russian before sending it, sets
// it with the link's token, and sends the member to sign in; a used or expired link says so.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { invitePasswordErrors, PASSWORD_SET_NOTICE } from './AcceptInvitePage';
import { clearSession } from './session';

describe('invitePasswordErrors', () => {
    it.each([
        ['', '', { password: 'Введите пароль' }],
        ['short', 'short', { password: 'Пароль должен быть не короче 12 символов' }],
        // Characters, not bytes: eleven Cyrillic letters are too short, twelve are enough.
        ['пароль-коро', 'пароль-коро', { password: 'Пароль должен быть не короче 12 символов' }],
        ['пароль-длинн', 'пароль-длинн', {}],
        ['x'.repeat(257), 'x'.repeat(257), { password: 'Пароль должен быть не длиннее 256 символов' }],
        ['correct horse battery', 'correct horse batterY', { repeat: 'Пароли не совпадают' }],
        ['correct horse battery', 'correct horse battery', {}],
    ])('%j / %j', (password, repeat, want) => {
        expect(invitePasswordErrors(password, repeat)).toEqual(want);
    });
});

interface Seen { method: string; path: string; body?: unknown; headers: Headers }
type Answer = { status: number; body?: unknown };

function fakeAPI(accept: (body: { token: string; password: string }) => Answer): Seen[] {
    const seen: Seen[] = [];
    vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
        const url = new URL(input, 'http://panel.test');
        const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
        seen.push({ method: init.method ?? 'GET', path: url.pathname, body, headers: new Headers(init.headers) });
        let out: Answer = { status: 401, body: { type: 'https://balance.example/problems/unauthenticated', status: 401 } };
        if (url.pathname === '/admin/api/auth/invite/accept' && init.method === 'POST') {
            out = accept(body);
        }
        return new Response(out.body === undefined ? null : JSON.stringify(out.body), {
            status: out.status, headers: out.body === undefined ? {} : { 'Content-Type': 'application/problem+json' },
        });
    });
    return seen;
}

function open(path: string) {
    window.history.pushState({}, '', path);
    render(<App />);
}

afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    clearSession();
});

const accepts = (seen: Seen[]) => seen.filter(s => s.path === '/admin/api/auth/invite/accept');

async function fill(password: string, repeat: string) {
    const page = await screen.findByTestId('accept-invite', undefined, { timeout: 4000 });
    fireEvent.change(within(page).getByLabelText(/Новый пароль/), { target: { value: password } });
    fireEvent.change(within(page).getByLabelText(/Повторите пароль/), { target: { value: repeat } });
    fireEvent.click(within(page).getByRole('button', { name: 'Задать пароль' }));
    return page;
}

describe('the invitation page', () => {
    it('is open without a session, checks the password first, then sets it and sends the member to sign in', async () => {
        const seen = fakeAPI(() => ({ status: 204 }));
        open('/admin/accept-invite?token=tok-123');
        const page = await fill('short', 'short');
        expect(await within(page).findByText('Пароль должен быть не короче 12 символов')).toBeTruthy();
        fireEvent.change(within(page).getByLabelText(/Новый пароль/), { target: { value: 'a long enough secret' } });
        fireEvent.change(within(page).getByLabelText(/Повторите пароль/), { target: { value: 'a long enough secreT' } });
        fireEvent.click(within(page).getByRole('button', { name: 'Задать пароль' }));
        expect(await within(page).findByText('Пароли не совпадают')).toBeTruthy();
        expect(accepts(seen)).toEqual([]);

        fireEvent.change(within(page).getByLabelText(/Повторите пароль/), { target: { value: 'a long enough secret' } });
        fireEvent.click(within(page).getByRole('button', { name: 'Задать пароль' }));
        expect((await screen.findByTestId('login-notice', undefined, { timeout: 4000 })).textContent).toBe(PASSWORD_SET_NOTICE);
        expect(screen.getByRole('heading', { name: 'Вход' })).toBeTruthy();
        expect(window.location.pathname).toBe('/admin/login');
        expect(accepts(seen).map(s => [s.method, s.body])).toEqual([['POST', { token: 'tok-123', password: 'a long enough secret' }]]);
        expect(accepts(seen)[0].headers.get('Content-Type')).toMatch(/json/);
    });

    it('says when the link is used or expired', async () => {
        const why = 'ссылка-приглашение недействительна: она уже использована, устарела или заменена новой; попросите владельца пригласить вас ещё раз';
        fakeAPI(() => ({
            status: 422, body: { type: 'https://balance.example/problems/invite-invalid', title: 'Unprocessable Entity', status: 422, errors: [{ field: 'token', message: why }] },
        }));
        open('/admin/accept-invite?token=used');
        await fill('a long enough secret', 'a long enough secret');
        expect((await screen.findByTestId('accept-invite-error')).textContent).toBe(why);
        expect(screen.queryByLabelText(/Новый пароль/)).toBeNull();
        expect(screen.getByRole('link', { name: 'Перейти ко входу' }).getAttribute('href')).toBe('/admin/login');
    });

    it('shows the server’s objection to the password beside it', async () => {
        fakeAPI(() => ({
            status: 422, body: { type: 'https://balance.example/problems/validation', status: 422, errors: [{ field: 'password', message: 'пароль должен быть не короче 12 символов' }] },
        }));
        open('/admin/accept-invite?token=tok');
        const page = await fill('twelve chars', 'twelve chars');
        expect(await within(page).findByText('пароль должен быть не короче 12 символов')).toBeTruthy();
        expect(within(page).getByLabelText(/Новый пароль/)).toBeTruthy();
    });

    it('says so when the link has no token', async () => {
        const seen = fakeAPI(() => ({ status: 204 }));
        open('/admin/accept-invite');
        expect((await screen.findByTestId('accept-invite-error', undefined, { timeout: 4000 })).textContent).toMatch(/нет приглашения/);
        expect(accepts(seen)).toEqual([]);
    });
});
