import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpError } from 'react-admin';
import { clearSession, setSignedIn } from '../auth/session';
import { ownerSchema } from '../schema/fixture.test-data';
import { findResource } from '../schema/plan';
import { makeDataProvider } from './dataProvider';
import { toApiFilter } from './filters';
import { fieldErrors } from './http';

const appts = findResource(ownerSchema, 'appointments')!;

describe('toApiFilter', () => {
    it('turns a date bound of a time field into that day in Moscow', () => {
        expect(toApiFilter(appts, { start_at_gte: '2026-12-10', start_at_lte: '2026-12-11', status: 'confirmed', q: '' })).toEqual({
            start_at_gte: '2026-12-09T21:00:00.000Z',
            start_at_lte: '2026-12-11T20:59:59.999Z',
            status: 'confirmed',
        });
    });
    it('leaves date fields, numbers and unknown resources alone', () => {
        const rules = findResource(ownerSchema, 'availability_rules')!;
        expect(toApiFilter(rules, { valid_from_gte: '2026-12-10', weekday_lte: 3 })).toEqual({ valid_from_gte: '2026-12-10', weekday_lte: 3 });
        expect(toApiFilter(undefined, { start_at_gte: '2026-12-10' })).toEqual({ start_at_gte: '2026-12-10' });
    });
});

interface Call {
    url: string;
    method: string;
    headers: Headers;
    body?: string;
    credentials?: RequestCredentials;
}

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
    const calls: Call[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
        calls.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body as string | undefined, credentials: init.credentials });
        return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
    });
    return calls;
}

describe('dataProvider', () => {
    afterEach(() => {
        vi.unstubAllGlobals();
        clearSession();
    });
    const dp = makeDataProvider(name => findResource(ownerSchema, name));

    it('lists with the simple REST parameters, the session cookie and the Moscow day', async () => {
        const calls = fakeFetch(200, [{ id: 'a' }], { 'Content-Range': 'appointments 0-0/1' });
        const out = await dp.getList('appointments', {
            pagination: { page: 1, perPage: 25 }, sort: { field: 'start_at', order: 'DESC' }, filter: { start_at_gte: '2026-12-10' },
        });
        expect(out.total).toBe(1);
        const u = new URL(calls[0].url, 'http://x');
        expect(u.pathname).toBe('/admin/api/appointments');
        expect(JSON.parse(u.searchParams.get('sort')!)).toEqual(['start_at', 'DESC']);
        expect(JSON.parse(u.searchParams.get('range')!)).toEqual([0, 24]);
        expect(JSON.parse(u.searchParams.get('filter')!)).toEqual({ start_at_gte: '2026-12-09T21:00:00.000Z' });
        expect(calls[0].credentials).toBe('same-origin');
        expect(calls[0].headers.has('X-CSRF-Token')).toBe(false);
    });

    it('runs an action with its fields and the CSRF token', async () => {
        setSignedIn({ id: 'u', email: 'o@example.org', display_name: 'О', roles: ['owner'], csrf_token: 'tok' });
        const calls = fakeFetch(200, { id: 'a1', status: 'canceled' });
        const out = await dp.act('appointments', { id: 'a1', action: 'cancel', data: { reason: 'болезнь' } });
        expect(out.data.status).toBe('canceled');
        expect(calls[0]).toMatchObject({ url: '/admin/api/appointments/a1/actions/cancel', method: 'POST', body: '{"reason":"болезнь"}' });
        expect(calls[0].headers.get('X-CSRF-Token')).toBe('tok');
    });

    it('sends a plain action without a body', async () => {
        setSignedIn({ id: 'u', email: 'o@example.org', display_name: 'О', roles: ['owner'], csrf_token: 'tok' });
        const calls = fakeFetch(200, { id: 's1', status: 'published' });
        await dp.act('services', { id: 's1', action: 'publish' });
        expect(calls[0].body).toBeUndefined();
    });

    it('a 422 keeps the field errors for the form and says what to do in Russian', async () => {
        fakeFetch(422, { type: 'https://balance/problems/validation', status: 422, errors: { slug: 'обязательное поле' } });
        const err = await dp.create('services', { data: { title: 'x' } }).catch(e => e);
        expect(err).toBeInstanceOf(HttpError);
        expect(err.status).toBe(422);
        expect(err.body.errors).toEqual({ slug: 'обязательное поле' });
        expect(err.message).toBe('Проверьте поля формы.');
    });

    it('a version conflict says someone else changed the record', async () => {
        fakeFetch(409, { type: 'https://balance/problems/version-conflict', status: 409, current_version: 4 });
        const err = await dp.update('appointments', { id: 'a1', data: { id: 'a1', version: 3 }, previousData: { id: 'a1' } }).catch(e => e);
        expect(err.status).toBe(409);
        expect(err.message).toMatch(/изменил кто-то другой/);
    });

    it('a version conflict with a message shows the server’s message', async () => {
        const message = 'Запись уже изменил другой сотрудник: обновите её и внесите изменения снова.';
        fakeFetch(409, { type: 'https://balance/problems/version-conflict', status: 409, current_version: 4, message });
        const err = await dp.update('appointments', { id: 'a1', data: { id: 'a1', version: 3 }, previousData: { id: 'a1' } }).catch(e => e);
        expect(err.message).toBe(message);
        expect(err.body.current_version).toBe(4);
    });

    it('a refusal shows its message; the field it names is not a form error', async () => {
        const message = 'нельзя лишить практику последнего владельца: назначьте другого владельца сначала';
        fakeFetch(409, { type: 'https://balance/problems/conflict', status: 409, message, errors: [{ field: 'role', message }] });
        const err = await dp.act('users', { id: 'u1', action: 'remove_role', data: { role: 'owner' } }).catch(e => e);
        expect(err.status).toBe(409);
        expect(err.message).toBe(message);
        // react-admin treats body.errors as the form's field errors and then shows no message.
        expect(err.body.errors).toBeUndefined();
        expect(err.body.field_errors).toEqual({ role: message });
        expect(fieldErrors(err)).toEqual({ role: message });
    });

    it('a state refusal without a field shows its message', async () => {
        fakeFetch(409, { type: 'https://balance/problems/conflict', status: 409, message: '«Одобрить» недоступно: сейчас «Одобрено»' });
        const err = await dp.act('moderation_items', { id: 'm1', action: 'approve' }).catch(e => e);
        expect(err.message).toBe('«Одобрить» недоступно: сейчас «Одобрено»');
    });

    it.each([
        [403, { type: 'https://balance/problems/forbidden', message: 'Это может только владелец.' }, 'Это может только владелец.'],
        [503, { type: 'https://balance/problems/not-available', message: 'Платежи не настроены.' }, 'Платежи не настроены.'],
        [503, { type: 'https://balance/problems/not-available' }, 'Сервис временно недоступен. Попробуйте позже.'],
        [409, { type: 'https://balance/problems/conflict', errors: [{ field: 'status', message: 'лид уже в работе' }] }, 'лид уже в работе'],
        [409, { type: 'https://balance/problems/conflict', message: '  ' }, 'Это действие сейчас невозможно: запись в другом состоянии.'],
    ])('a %i problem shows its message when it has one', async (status, body, want) => {
        fakeFetch(status, { status, ...body });
        const err = await dp.getOne('services', { id: 's1' }).catch(e => e);
        expect(err.message).toBe(want);
    });

    it('a 422 that lists its fields is turned into the form’s {field: message}', async () => {
        fakeFetch(422, { type: 'https://balance/problems/invite-invalid', status: 422, errors: [{ field: 'token', message: 'ссылка-приглашение недействительна' }] });
        const err = await dp.create('services', { data: { title: 'x' } }).catch(e => e);
        expect(err.body.errors).toEqual({ token: 'ссылка-приглашение недействительна' });
        expect(fieldErrors(err)).toEqual({ token: 'ссылка-приглашение недействительна' });
    });
});
