// @vitest-environment jsdom
// The hand-made screens in a simulated browser against a fake admin API: the dashboard's cards by
// role, the week calendar, the schedule editor, the intake form (owner only) and the markdown
// preview.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { clearSession } from './auth/session';
import { dayInZone } from './calendar/week';
import { zonedWallToInstant } from './format';
import { assistantSchema, ownerSchema } from './schema/fixture.test-data';
import type { AdminField, AdminResource, AdminSchema } from './schema/types';

interface Answer { status: number; body: unknown; headers?: Record<string, string> }
interface Seen { method: string; path: string; filter?: Record<string, unknown>; sort?: unknown; body?: unknown }
type Route = (url: URL, init: RequestInit) => Answer | undefined;

function fakeAPI(route: Route): Seen[] {
    const seen: Seen[] = [];
    vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
        const url = new URL(input, 'http://panel.test');
        const filter = url.searchParams.get('filter');
        const sort = url.searchParams.get('sort');
        seen.push({
            method: init.method ?? 'GET', path: url.pathname,
            filter: filter ? JSON.parse(filter) : undefined, sort: sort ? JSON.parse(sort) : undefined,
            body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        });
        const out = route(url, init) ?? { status: 404, body: { type: 'https://balance.example/problems/not-found', status: 404 } };
        return new Response(JSON.stringify(out.body), { status: out.status, headers: { 'Content-Type': 'application/json', ...out.headers } });
    });
    return seen;
}

const list = (name: string, rows: unknown[]): Answer => ({
    status: 200, body: rows, headers: { 'Content-Range': `${name} 0-${Math.max(rows.length - 1, 0)}/${rows.length}` },
});

function signedIn(roles: string[], schema: AdminSchema, more: Route = () => undefined): Route {
    return (url, init) => {
        if (url.pathname === '/admin/api/auth/me') {
            return { status: 200, body: { id: 'u1', email: 'staff@example.org', display_name: 'Ольга', roles, csrf_token: 't' } };
        }
        if (url.pathname === '/admin/api/schema') {
            return { status: 200, body: schema };
        }
        return more(url, init) ?? (url.pathname.split('/').length === 4 && (init.method ?? 'GET') === 'GET' ? list(url.pathname.split('/')[3], []) : undefined);
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

const f = (name: string, type: AdminField['type'], extra: Partial<AdminField> = {}): AdminField => ({
    name, label: name, type, list: true, sortable: true, filterable: true, searchable: false, editable: false, required: false, p2: false, ...extra,
});
const resource = (name: string, label: string, fields: AdminField[], extra: Partial<AdminResource> = {}): AdminResource => ({
    name, label, singular: label, verbs: ['list', 'show'], fields, actions: [], ...extra,
});
const moderation = resource('moderation_items', 'Модерация', [
    f('id', 'id'), f('kind', 'enum', { choices: [{ value: 'question', label: 'Вопрос' }, { value: 'review', label: 'Отзыв' }] }),
    f('crisis', 'boolean'), f('status', 'enum'), f('created_at', 'datetime'),
], { default_sort: '-crisis,-created_at' });
const leads = resource('leads', 'Лиды', [f('id', 'id'), f('status', 'enum'), f('source', 'text'), f('created_at', 'datetime')]);
const jobs = resource('queue_jobs', 'Фоновые задачи', [
    f('id', 'integer'), f('task', 'text'), f('event', 'text'), f('subscriber', 'text'), f('attempt', 'integer'), f('max_attempts', 'integer'),
    f('state', 'enum', { choices: [{ value: 'retryable', label: 'Ждёт повтора' }, { value: 'discarded', label: 'Не выполнена' }] }),
]);
const deliveries = resource('notification_deliveries', 'Журнал отправки', [
    f('id', 'id'), f('channel', 'enum', { choices: [{ value: 'email', label: 'Email' }] }), f('template_key', 'text'),
    f('recipient_ref', 'text'), f('status', 'enum'), f('created_at', 'datetime'),
]);
const content = resource('content_items', 'Материалы', [
    f('id', 'id'), f('title', 'text', { editable: true }), f('body_markdown', 'markdown', { list: false, editable: true }), f('version', 'integer'),
], { verbs: ['list', 'show', 'update'] });

const owner: AdminSchema = { resources: [...ownerSchema.resources, moderation, leads, jobs, deliveries] };
const editor: AdminSchema = { resources: [content, moderation] };

describe('the dashboard', () => {
    it('shows the owner today’s sessions, the moderation queue with its crisis mark, and what failed', async () => {
        const today = dayInZone(new Date());
        const seen = fakeAPI(signedIn(['owner'], owner, url => {
            const p = url.pathname;
            const filter = JSON.parse(url.searchParams.get('filter') ?? '{}');
            if (p === '/admin/api/appointments' && filter.start_at_gte) {
                return list('appointments', [{
                    id: 'a1', service_id: 's1', client_user_id: 'c1', status: 'confirmed',
                    start_at: zonedWallToInstant(`${today}T10:00`), end_at: zonedWallToInstant(`${today}T10:50`),
                }]);
            }
            if (p === '/admin/api/services') {
                return list('services', [{ id: 's1', title: 'Консультация', slug: 'konsultaciya' }]);
            }
            if (p === '/admin/api/users') {
                return list('users', [{ id: 'c1', display_name: 'Анна', email: 'anna@example.com' }]);
            }
            if (p === '/admin/api/moderation_items') {
                return list('moderation_items', [
                    { id: 'm1', kind: 'question', crisis: true, status: 'pending', created_at: '2026-12-09T07:00:00Z' },
                    { id: 'm2', kind: 'review', crisis: false, status: 'pending', created_at: '2026-12-09T08:00:00Z' },
                ]);
            }
            if (p === '/admin/api/queue_jobs') {
                return list('queue_jobs', [{ id: 7, task: 'payments.refund', state: 'discarded', attempt: 25, max_attempts: 25 }]);
            }
            return undefined;
        }));
        open('/admin/');
        const sessions = await screen.findByTestId('dashboard-sessions', undefined, { timeout: 4000 });
        const today$ = await within(sessions).findByTestId('dashboard-sessions-today');
        expect(await within(today$).findByText('10:00–10:50 · Консультация')).toBeTruthy();
        expect(within(today$).getByText(/Анна/)).toBeTruthy();
        expect(within(today$).getByRole('link').getAttribute('href')).toBe('/admin/appointments/a1/show');

        const mod = screen.getByTestId('dashboard-moderation');
        await waitFor(() => expect(within(mod).getAllByTestId('dashboard-item')).toHaveLength(2));
        const items = within(mod).getAllByTestId('dashboard-item');
        expect(within(items[0]).getByTestId('crisis-mark')).toBeTruthy();
        expect(within(items[1]).queryByTestId('crisis-mark')).toBeNull();

        const failed = screen.getByTestId('dashboard-jobs');
        expect(await within(failed).findByText('payments.refund')).toBeTruthy();
        expect(within(failed).getByText('Не выполнена · попытка 25 из 25')).toBeTruthy();
        for (const id of ['dashboard-payments', 'dashboard-leads', 'dashboard-deliveries']) {
            expect(screen.getByTestId(id)).toBeTruthy();
        }
        const asked = (path: string) => seen.find(s => s.path === path && s.filter && Object.keys(s.filter).length > 0);
        expect(asked('/admin/api/moderation_items')).toMatchObject({ filter: { status: 'pending' }, sort: ['crisis', 'DESC'] });
        expect(asked('/admin/api/queue_jobs')?.filter).toEqual({ state: ['retryable', 'discarded'] });
        expect(asked('/admin/api/notification_deliveries')?.filter).toEqual({ status: 'failed' });
        expect(asked('/admin/api/leads')?.filter).toEqual({ status: 'new' });
    });

    it('shows the bookings made in the last week, newest first, each opening its record', async () => {
        const withCreation: AdminSchema = {
            resources: owner.resources.map(r => (r.name === 'appointments'
                ? { ...r, fields: r.fields.map(x => (x.name === 'created_at' ? { ...x, filterable: true } : x)) } : r)),
        };
        const seen = fakeAPI(signedIn(['owner'], withCreation, url => {
            const p = url.pathname;
            const sort = JSON.parse(url.searchParams.get('sort') ?? '[]');
            if (p === '/admin/api/appointments' && sort[0] === 'created_at') {
                return {
                    status: 200, headers: { 'Content-Range': 'appointments 0-1/7' }, body: [
                        { id: 'a9', service_id: 's1', client_user_id: 'c1', status: 'pending_payment', start_at: '2027-01-20T07:00:00Z', created_at: new Date().toISOString() },
                        { id: 'a8', service_id: 's1', status: 'confirmed', start_at: '2026-12-24T12:30:00Z', created_at: new Date().toISOString() },
                    ],
                };
            }
            if (p === '/admin/api/services') {
                return list('services', [{ id: 's1', title: 'Консультация', slug: 'konsultaciya' }]);
            }
            if (p === '/admin/api/users') {
                return list('users', [{ id: 'c1', display_name: 'Анна', email: 'anna@example.com' }]);
            }
            return undefined;
        }));
        const before = Date.now();
        open('/admin/');
        const card = await screen.findByTestId('dashboard-new-bookings', undefined, { timeout: 4000 });
        expect(within(card).getByRole('heading', { name: 'Новые записи' })).toBeTruthy();
        expect(await within(card).findByText('20 янв. 2027, 10:00 · Консультация')).toBeTruthy();
        const items = within(card).getAllByTestId('dashboard-item');
        expect(items.map(i => i.getAttribute('href'))).toEqual(['/admin/appointments/a9/show', '/admin/appointments/a8/show']);
        expect(within(items[0]).getByText(/^Ждёт оплаты · Анна · создана /)).toBeTruthy();
        expect(within(items[1]).getByText('24 дек. 2026, 15:30 · Консультация')).toBeTruthy();
        expect(within(items[1]).getByText(/^Подтверждена · создана /)).toBeTruthy();
        expect(within(card).getByTestId('dashboard-new-bookings-count').textContent).toBe('7');
        expect(within(card).getByRole('link', { name: 'Показать все (7)' }).getAttribute('href')).toMatch(/^\/admin\/appointments\?/);

        const q = seen.find(s => s.path === '/admin/api/appointments' && Array.isArray(s.sort) && s.sort[0] === 'created_at')!;
        expect(q.sort).toEqual(['created_at', 'DESC']);
        const since = Date.parse(String(q.filter?.created_at_gte));
        const week = 7 * 24 * 60 * 60 * 1000;
        expect(since).toBeGreaterThanOrEqual(before - week - 60_000);
        expect(since).toBeLessThanOrEqual(Date.now() - week);
    });

    it('shows the editor the moderation queue only', async () => {
        const seen = fakeAPI(signedIn(['editor'], editor));
        open('/admin/');
        expect(await screen.findByTestId('dashboard-moderation', undefined, { timeout: 4000 })).toBeTruthy();
        expect(screen.queryByTestId('dashboard-sessions')).toBeNull();
        expect(screen.queryByTestId('dashboard-leads')).toBeNull();
        expect(screen.queryByTestId('dashboard-new-bookings')).toBeNull();
        expect(screen.queryByText('Календарь')).toBeNull();
        expect(seen.some(s => s.path === '/admin/api/appointments')).toBe(false);
    });
});

describe('the week calendar', () => {
    it('shows the week’s appointments in Moscow days and opens one', async () => {
        const seen = fakeAPI(signedIn(['assistant'], assistantSchema, url => {
            if (url.pathname === '/admin/api/appointments') {
                return list('appointments', [
                    // Wednesday 9 Dec, 10:00–10:50 in Moscow.
                    { id: 'a1', service_id: 's1', status: 'confirmed', start_at: '2026-12-09T07:00:00Z', end_at: '2026-12-09T07:50:00Z' },
                    { id: 'a2', service_id: 's1', status: 'pending_payment', start_at: '2026-12-13T15:00:00Z', end_at: '2026-12-13T15:50:00Z' },
                ]);
            }
            if (url.pathname === '/admin/api/services') {
                return list('services', [{ id: 's1', title: 'Консультация' }]);
            }
            return undefined;
        }));
        open('/admin/calendar?week=2026-12-10');
        const events = await screen.findAllByTestId('calendar-event', undefined, { timeout: 4000 });
        expect(screen.getByTestId('calendar-week-label').textContent).toBe('7 – 13 декабря 2026');
        expect(events.map(e => [e.closest('[data-testid="calendar-day"]')?.getAttribute('data-day'), e.getAttribute('data-status')])).toEqual([
            ['2026-12-09', 'confirmed'], ['2026-12-13', 'pending_payment'],
        ]);
        expect(events[0].getAttribute('href')).toBe('/admin/appointments/a1/show');
        await waitFor(() => expect(events[0].getAttribute('aria-label')).toBe('10:00–10:50, Консультация, Подтверждена'));
        const q = seen.find(s => s.path === '/admin/api/appointments')!;
        expect(q.filter).toMatchObject({ start_at_gte: '2026-12-06T21:00:00.000Z', start_at_lte: '2026-12-13T20:59:59.999Z' });
        expect(screen.getAllByRole('menuitem').map(m => m.textContent)).toContain('Календарь');

        fireEvent.click(screen.getByTestId('calendar-next'));
        await waitFor(() => expect(screen.getByTestId('calendar-week-label').textContent).toBe('14 – 20 декабря 2026'));
        await waitFor(() => expect(seen.some(s => s.path === '/admin/api/appointments' && s.filter?.start_at_gte === '2026-12-13T21:00:00.000Z')).toBe(true));
    });
});

describe('the schedule editor', () => {
    it('shows the windows by weekday, adds one and shows the server’s objection beside the field', async () => {
        let created = 0;
        const seen = fakeAPI(signedIn(['owner'], ownerSchema, (url, init) => {
            const p = url.pathname;
            if (p === '/admin/api/services/s1') {
                return { status: 200, body: { id: 's1', title: 'Консультация', timezone: 'Europe/Moscow' } };
            }
            if (p === '/admin/api/availability_rules' && (init.method ?? 'GET') === 'GET') {
                return list('availability_rules', [
                    { id: 'r1', service_id: 's1', weekday: 1, start_minute: 540, end_minute: 780, timezone: 'Europe/Moscow' },
                    { id: 'r2', service_id: 's1', weekday: 3, start_minute: 840, end_minute: 1080, timezone: 'Europe/Moscow' },
                ]);
            }
            if (p === '/admin/api/availability_rules' && init.method === 'POST') {
                created++;
                return created === 1
                    ? { status: 422, body: { type: 'https://balance.example/problems/validation', status: 422, errors: { end_minute: 'позже начала и не больше 1440 минут от полуночи' } } }
                    : { status: 201, body: { id: 'r3', ...JSON.parse(init.body as string) } };
            }
            return undefined;
        }));
        open('/admin/services/s1/schedule');
        const monday = await screen.findByTestId('schedule-day-1', undefined, { timeout: 4000 });
        await waitFor(() => expect(within(monday).getAllByTestId('schedule-window')).toHaveLength(1));
        expect(within(monday).getByText('09:00–13:00')).toBeTruthy();
        expect(within(screen.getByTestId('schedule-day-3')).getByText('14:00–18:00')).toBeTruthy();
        expect(within(screen.getByTestId('schedule-day-2')).getByText('Нет приёма')).toBeTruthy();

        // Overlapping Monday's window: refused before asking the server.
        fireEvent.click(screen.getByTestId('schedule-add-1'));
        fireEvent.change(within(monday).getByTestId('schedule-start'), { target: { value: '12:00' } });
        fireEvent.change(within(monday).getByTestId('schedule-end'), { target: { value: '15:00' } });
        fireEvent.click(within(monday).getByTestId('schedule-save'));
        expect(await within(monday).findByText('пересекается с окном 09:00–13:00')).toBeTruthy();
        expect(seen.some(s => s.method === 'POST')).toBe(false);

        // The server refuses the first try (in Russian): shown as it is, beside the field.
        fireEvent.change(within(monday).getByTestId('schedule-start'), { target: { value: '14:00' } });
        fireEvent.change(within(monday).getByTestId('schedule-end'), { target: { value: '18:00' } });
        fireEvent.click(within(monday).getByTestId('schedule-save'));
        expect(await within(monday).findByText('позже начала и не больше 1440 минут от полуночи')).toBeTruthy();
        fireEvent.click(within(monday).getByTestId('schedule-save'));
        await waitFor(() => expect(created).toBe(2));
        const posts = seen.filter(s => s.method === 'POST' && s.path === '/admin/api/availability_rules');
        expect(posts[1].body).toEqual({ service_id: 's1', weekday: 1, start_minute: 840, end_minute: 1080, timezone: 'Europe/Moscow' });
    });

    it('is reached from the service’s screen', async () => {
        fakeAPI(signedIn(['owner'], ownerSchema, url => (url.pathname === '/admin/api/services/s1'
            ? { status: 200, body: { id: 's1', slug: 'konsultaciya', title: 'Консультация', status: 'draft' } } : undefined)));
        open('/admin/services/s1/show');
        const link = await screen.findByTestId('service-schedule-link', undefined, { timeout: 4000 });
        expect(link.getAttribute('href')).toBe('/admin/services/s1/schedule');
    });
});

const appointment = { id: 'a1', service_id: 's1', client_user_id: 'c1', start_at: '2026-12-10T11:00:00Z', status: 'confirmed', version: 1 };

describe('the intake form', () => {
    it('shows the owner the answers as questions and answers', async () => {
        const seen = fakeAPI(signedIn(['owner'], ownerSchema, url => {
            switch (url.pathname) {
                case '/admin/api/appointments/a1':
                    return { status: 200, body: appointment };
                case '/admin/api/intake_forms':
                    return list('intake_forms', [{ id: 'f1', appointment_id: 'a1', status: 'submitted', submitted_at: '2026-12-08T10:00:00Z' }]);
                case '/admin/api/intake_forms/f1':
                    return { status: 200, body: { id: 'f1', appointment_id: 'a1', status: 'submitted', payload: { concern: 'Плохо сплю', first_time: true, custom_code: 'да' } } };
            }
            return undefined;
        }));
        open('/admin/appointments/a1/show');
        const qa = await screen.findByTestId('intake-answers', undefined, { timeout: 4000 });
        expect(within(qa).getAllByTestId('intake-answer').map(e => e.textContent)).toEqual([
            'Что вас беспокоит?Плохо сплю', 'Вы впервые обращаетесь к психологу?Да', 'custom_codeда',
        ]);
        expect(seen.find(s => s.path === '/admin/api/intake_forms')?.filter).toEqual({ appointment_id: 'a1' });
    });

    it('shows the assistant nothing about intake forms and asks for none', async () => {
        const seen = fakeAPI(signedIn(['assistant'], assistantSchema, url => (url.pathname === '/admin/api/appointments/a1'
            ? { status: 200, body: appointment } : undefined)));
        open('/admin/appointments/a1/show');
        expect(await screen.findByText('10 дек. 2026, 14:00', undefined, { timeout: 4000 })).toBeTruthy();
        expect(screen.queryByTestId('intake-form')).toBeNull();
        expect(screen.queryByText(/Анкета/)).toBeNull();
        expect(seen.some(s => s.path.startsWith('/admin/api/intake_forms'))).toBe(false);
    });
});

describe('the markdown editor', () => {
    it('previews the text through the server as it is typed', async () => {
        const seen = fakeAPI(signedIn(['editor'], editor, (url, init) => {
            if (url.pathname === '/admin/api/content_items/c1') {
                return { status: 200, body: { id: 'c1', title: 'Сон', body_markdown: '# Сон', version: 2 } };
            }
            if (url.pathname === '/admin/api/preview/markdown') {
                const { markdown } = JSON.parse(init.body as string);
                return { status: 200, body: { html: `<p data-md="${markdown.length}">${markdown === '# Сон' ? '<h1 id="son">Сон</h1>' : 'новый текст'}</p>`, reading_minutes: 1 } };
            }
            return undefined;
        }));
        open('/admin/content_items/c1');
        const preview = await screen.findByTestId('markdown-preview', undefined, { timeout: 4000 });
        await waitFor(() => expect(preview.innerHTML).toContain('<h1 id="son">Сон</h1>'), { timeout: 3000 });
        fireEvent.change(screen.getByDisplayValue('# Сон'), { target: { value: 'Новый *текст*' } });
        await waitFor(() => expect(preview.textContent).toBe('новый текст'), { timeout: 3000 });
        const posts = seen.filter(s => s.path === '/admin/api/preview/markdown');
        expect(posts.map(p => p.body)).toEqual([{ markdown: '# Сон' }, { markdown: 'Новый *текст*' }]);
    });
});

describe('the message template editor', () => {
    it('previews the unsaved template with sample data, and the server’s objection', async () => {
        const templates = resource('message_templates', 'Шаблоны сообщений', [
            f('id', 'id'), f('key', 'text'), f('channel', 'enum'), f('subject', 'text', { editable: true }),
            f('body_text', 'long_text', { list: false, editable: true }), f('body_html', 'long_text', { list: false, editable: true }), f('version', 'integer'),
        ], { verbs: ['list', 'show', 'update'] });
        const seen = fakeAPI(signedIn(['editor'], { resources: [templates] }, (url, init) => {
            if (url.pathname === '/admin/api/message_templates/t1') {
                return { status: 200, body: { id: 't1', key: 'booking.confirmed', channel: 'email', subject: 'Запись', body_text: 'Здравствуйте, {{.Name}}', body_html: null, version: 1 } };
            }
            if (url.pathname === '/admin/api/message_templates/t1/preview') {
                const body = JSON.parse(init.body as string);
                if (String(body.body_text).includes('{{.Nope}}')) {
                    return { status: 422, body: { type: 'https://balance.example/problems/validation', status: 422, errors: { body_text: 'шаблон с ошибкой: нет поля Nope' } } };
                }
                return { status: 200, body: { subject: body.subject, text: String(body.body_text).replace('{{.Name}}', 'Анна'), html: null } };
            }
            return undefined;
        }));
        open('/admin/message_templates/t1');
        const preview = await screen.findByTestId('template-preview', undefined, { timeout: 4000 });
        await waitFor(() => expect(within(preview).getByTestId('template-preview-text').textContent).toBe('Здравствуйте, Анна'), { timeout: 3000 });
        fireEvent.change(screen.getByDisplayValue('Здравствуйте, {{.Name}}'), { target: { value: 'Привет, {{.Nope}}' } });
        expect(await within(preview).findByText('шаблон с ошибкой: нет поля Nope', undefined, { timeout: 3000 })).toBeTruthy();
        expect(seen.filter(s => s.path === '/admin/api/message_templates/t1/preview').map(s => s.body)).toEqual([
            { subject: 'Запись', body_text: 'Здравствуйте, {{.Name}}', body_html: null },
            { subject: 'Запись', body_text: 'Привет, {{.Nope}}', body_html: null },
        ]);
    });
});
