// @vitest-environment jsdom
// The whole panel in a simulated browser against a fake admin API: what a role sees after
// sign-in is generated from its schema.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { clearSession } from './auth/session';
import { assistantSchema, ownerSchema } from './schema/fixture.test-data';
import type { AdminSchema } from './schema/types';

type Route = (url: URL, init: RequestInit) => { status: number; body: unknown; headers?: Record<string, string> } | undefined;

function fakeAPI(route: Route) {
    const seen: string[] = [];
    vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
        const url = new URL(input, 'http://panel.test');
        seen.push(`${init.method ?? 'GET'} ${url.pathname}`);
        const out = route(url, init) ?? { status: 404, body: { type: 'https://balance.example/problems/not-found', status: 404 } };
        return new Response(JSON.stringify(out.body), { status: out.status, headers: { 'Content-Type': 'application/json', ...out.headers } });
    });
    return seen;
}

const me = (roles: string[]) => ({ id: 'u1', email: 'staff@example.org', display_name: 'Ольга', roles, csrf_token: 't' });

function signedIn(roles: string[], schema: AdminSchema, more: Route = () => undefined): Route {
    return (url, init) => {
        if (url.pathname === '/admin/api/auth/me') {
            return { status: 200, body: me(roles) };
        }
        if (url.pathname === '/admin/api/schema') {
            return { status: 200, body: schema };
        }
        return more(url, init);
    };
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

describe('the panel', () => {
    it('asks a signed-out visitor to sign in, in Russian', async () => {
        fakeAPI(url => (url.pathname === '/admin/api/auth/me' ? { status: 401, body: { status: 401 } } : undefined));
        open('/admin/');
        expect(await screen.findByRole('heading', { name: 'Вход' }, { timeout: 4000 })).toBeTruthy();
        expect(screen.getByLabelText(/E-mail/)).toBeTruthy();
        expect(screen.getByLabelText(/Пароль/)).toBeTruthy();
    });

    it('shows the assistant the sections of her schema only', async () => {
        fakeAPI(signedIn(['assistant'], assistantSchema));
        open('/admin/');
        expect(await screen.findByText('Здравствуйте, Ольга', undefined, { timeout: 4000 })).toBeTruthy();
        const menu = await screen.findAllByRole('menuitem');
        const labels = menu.map(m => m.textContent);
        expect(labels).toEqual(expect.arrayContaining(['Услуги', 'Часы приёма', 'Записи']));
        expect(labels.join()).not.toContain('Анкеты');
        expect(labels.join()).not.toContain('Пользователи');
    });

    it('opens a deep link to an appointment with its actions and Moscow times', async () => {
        const seen = fakeAPI(signedIn(['owner'], ownerSchema, url => {
            if (url.pathname === '/admin/api/appointments/a1') {
                return { status: 200, body: { id: 'a1', service_id: 's1', client_user_id: 'c1', start_at: '2026-12-10T11:00:00Z', status: 'confirmed', meeting_url: null, version: 3 } };
            }
            if (url.pathname === '/admin/api/services') {
                return { status: 200, body: [{ id: 's1', slug: 'individual-session', title: 'Консультация' }], headers: { 'Content-Range': 'services 0-0/1' } };
            }
            if (url.pathname === '/admin/api/users') {
                return { status: 200, body: [{ id: 'c1', display_name: 'Анна', email: 'anna@example.com' }], headers: { 'Content-Range': 'users 0-0/1' } };
            }
            return undefined;
        }));
        open('/admin/appointments/a1/show');
        expect(await screen.findByText('10 дек. 2026, 14:00')).toBeTruthy();
        expect(await screen.findByText('Подтверждена')).toBeTruthy();
        // The service is named by its title field (the schema's title_field), not its first text field.
        expect(await screen.findByText('Консультация')).toBeTruthy();
        expect(await screen.findByText('Анна')).toBeTruthy();
        for (const label of ['Отменить', 'Состоялась', 'Отправить напоминание', 'Редактировать']) {
            expect(screen.queryByRole('button', { name: label }) ?? screen.queryByRole('link', { name: label })).toBeTruthy();
        }
        expect(seen).toContain('GET /admin/api/appointments/a1');
    });

    it('an action the record’s state refuses shows the server’s message', async () => {
        const message = '«Состоялась» недоступно: сейчас «Отменена»';
        const seen = fakeAPI(signedIn(['owner'], ownerSchema, (url, init) => {
            if (url.pathname === '/admin/api/appointments/a1') {
                return { status: 200, body: { id: 'a1', service_id: 's1', start_at: '2026-12-10T11:00:00Z', status: 'confirmed', version: 3 } };
            }
            if (url.pathname === '/admin/api/appointments/a1/actions/complete' && init.method === 'POST') {
                return { status: 409, body: { type: 'https://balance.example/problems/conflict', title: 'Conflict', status: 409, message, errors: [{ field: 'status', message }] } };
            }
            if (url.pathname === '/admin/api/services') {
                return { status: 200, body: [], headers: { 'Content-Range': 'services 0-0/0' } };
            }
            return undefined;
        }));
        open('/admin/appointments/a1/show');
        fireEvent.click(await screen.findByRole('button', { name: 'Состоялась' }, { timeout: 4000 }));
        fireEvent.click(await screen.findByRole('button', { name: 'Выполнить' }));
        expect(await screen.findByText(message)).toBeTruthy();
        expect(seen).toContain('POST /admin/api/appointments/a1/actions/complete');
        expect(screen.queryByText('Это действие сейчас невозможно: запись в другом состоянии.')).toBeNull();
    });

    it('a save the server refuses with a message naming a field shows the message', async () => {
        const message = 'Запись уже изменил другой сотрудник: обновите её и внесите изменения снова.';
        const seen = fakeAPI(signedIn(['owner'], ownerSchema, (url, init) => {
            if (url.pathname === '/admin/api/appointments/a1' && init.method === 'PUT') {
                return { status: 409, body: { type: 'https://balance.example/problems/version-conflict', title: 'Conflict', status: 409, current_version: 4, message, errors: [{ field: 'version', message }] } };
            }
            if (url.pathname === '/admin/api/appointments/a1') {
                return { status: 200, body: { id: 'a1', service_id: 's1', start_at: '2026-12-10T11:00:00Z', status: 'confirmed', meeting_url: null, version: 3 } };
            }
            return undefined;
        }));
        open('/admin/appointments/a1');
        const input = await screen.findByLabelText('Ссылка на встречу', undefined, { timeout: 4000 });
        fireEvent.change(input, { target: { value: 'https://meet.example/a1' } });
        fireEvent.click(screen.getByRole('button', { name: 'Сохранить' }));
        expect(await screen.findByText(message, undefined, { timeout: 4000 })).toBeTruthy();
        expect(seen).toContain('PUT /admin/api/appointments/a1');
    });

    it('a list whose session has expired returns to the sign-in page', async () => {
        let expired = false;
        fakeAPI(signedIn(['owner'], ownerSchema, url => {
            if (url.pathname === '/admin/api/services') {
                expired = true;
                return { status: 401, body: { type: 'https://balance.example/problems/unauthenticated', status: 401 } };
            }
            if (url.pathname === '/admin/api/auth/logout') {
                return { status: 401, body: { status: 401 } };
            }
            return undefined;
        }));
        open('/admin/services');
        expect(await screen.findByRole('heading', { name: 'Вход' }, { timeout: 4000 })).toBeTruthy();
        expect(expired).toBe(true);
    });

    it('the list of services has its columns, search and create button', async () => {
        fakeAPI(signedIn(['owner'], ownerSchema, url => {
            if (url.pathname === '/admin/api/services') {
                return {
                    status: 200,
                    body: [{ id: 's1', slug: 'individual-session', title: 'Консультация', format: 'online', duration_minutes: 50, price_minor: 500000, currency: 'RUB', status: 'published' }],
                    headers: { 'Content-Range': 'services 0-0/1' },
                };
            }
            return undefined;
        }));
        open('/admin/services');
        const table = await screen.findByRole('table');
        for (const header of ['Адрес', 'Название', 'Формат', 'Длительность, мин', 'Цена', 'Статус']) {
            expect(within(table).getByText(header)).toBeTruthy();
        }
        expect(await within(table).findByText('5 000,00 ₽') /* Testing Library reads the non-breaking spaces as spaces */).toBeTruthy();
        expect(within(table).getByText('Онлайн')).toBeTruthy();
        expect(screen.getByPlaceholderText('Поиск')).toBeTruthy();
        expect(screen.getByRole('link', { name: 'Создать' })).toBeTruthy();
    });
});
