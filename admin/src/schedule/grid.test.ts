import { describe, expect, it } from 'vitest';
import { exceptionTimes, exceptionToInput, rulesToGrid, windowToRule, type RuleRecord } from './grid';

const rule = (id: string, weekday: number, start: number, end: number, extra: Partial<RuleRecord> = {}): RuleRecord => ({
    id, service_id: 's1', weekday, start_minute: start, end_minute: end, timezone: 'Europe/Moscow', ...extra,
});

describe('rulesToGrid', () => {
    it('lays the rules out Monday to Sunday, windows by start time', () => {
        const grid = rulesToGrid([
            rule('r3', 1, 14 * 60, 18 * 60), rule('r1', 1, 9 * 60, 13 * 60), rule('r2', 3, 600, 1440),
            rule('other', 2, 600, 700, { service_id: 's2' }),
            rule('all', 5, 600, 660, { service_id: null }),
            rule('spring', 6, 600, 720, { valid_from: '2026-03-01', valid_to: '2026-05-31', timezone: 'Europe/Berlin' }),
        ], 's1');
        expect(grid.map(d => d.weekday)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(grid[0].windows.map(w => [w.id, w.label])).toEqual([['r1', '09:00–13:00'], ['r3', '14:00–18:00']]);
        expect(grid[1].windows).toEqual([]);
        expect(grid[2].windows[0].label).toBe('10:00–24:00');
        expect(grid[4].windows[0]).toMatchObject({ id: 'all', common: true });
        expect(grid[5].windows[0].note).toBe('с 2026-03-01, по 2026-05-31, время Europe/Berlin');
        expect(grid[0].windows[0].common).toBe(false);
    });
});

describe('windowToRule', () => {
    const grid = rulesToGrid([rule('r1', 1, 9 * 60, 13 * 60)], 's1');

    it('turns a window typed in hours into the rule to create, in the practice zone', () => {
        expect(windowToRule('s1', 2, '9:30', '18:00', grid[1])).toEqual({
            rule: { service_id: 's1', weekday: 2, start_minute: 570, end_minute: 1080, timezone: 'Europe/Moscow' },
        });
        // Back again: the rule shows as the window typed.
        const again = rulesToGrid([{ id: 'n', ...(windowToRule('s1', 2, '9:30', '18:00', grid[1]) as { rule: Omit<RuleRecord, 'id'> }).rule }], 's1');
        expect(again[1].windows[0].label).toBe('09:30–18:00');
    });
    it('says in Russian what is wrong before asking the server', () => {
        expect(windowToRule('s1', 2, '18:00', '9:00', grid[1])).toEqual({ errors: { end_minute: 'конец должен быть позже начала' } });
        expect(windowToRule('s1', 2, 'утро', '', grid[1])).toEqual({
            errors: { start_minute: 'время в формате ЧЧ:ММ, например 09:00', end_minute: 'время в формате ЧЧ:ММ, например 18:00' },
        });
        expect(windowToRule('s1', 1, '12:00', '15:00', grid[0])).toEqual({ errors: { start_minute: 'пересекается с окном 09:00–13:00' } });
        expect(windowToRule('s1', 1, '13:00', '15:00', grid[0])).toHaveProperty('rule'); // touching is fine
        expect(windowToRule('s1', 8, '10:00', '11:00', undefined)).toEqual({ errors: { weekday: 'выберите день недели' } });
    });
});

describe('exceptions', () => {
    it('a day off covers whole days unless times are given', () => {
        expect(exceptionToInput('s1', { kind: 'day_off', dateFrom: '2026-12-31', dateTo: '', start: '', end: '', reason: ' Новый год ' })).toEqual({
            input: { service_id: 's1', kind: 'day_off', date_from: '2026-12-31', date_to: '2026-12-31', timezone: 'Europe/Moscow', reason: 'Новый год' },
        });
        expect(exceptionToInput('s1', { kind: 'day_off', dateFrom: '2026-12-30', dateTo: '2026-12-31', start: '14:00', end: '18:00', reason: '' })).toEqual({
            input: { service_id: 's1', kind: 'day_off', date_from: '2026-12-30', date_to: '2026-12-31', start_minute: 840, end_minute: 1080, timezone: 'Europe/Moscow' },
        });
    });
    it('extra hours need their times; dates in order', () => {
        expect(exceptionToInput('s1', { kind: 'extra_hours', dateFrom: '2026-12-05', dateTo: '', start: '', end: '', reason: '' })).toEqual({
            errors: { start_minute: 'для дополнительных часов укажите время', end_minute: 'время в формате ЧЧ:ММ' },
        });
        expect(exceptionToInput('s1', { kind: 'day_off', dateFrom: '2026-12-05', dateTo: '2026-12-04', start: '', end: '', reason: '' })).toEqual({
            errors: { date_to: 'не раньше первой даты' },
        });
    });
    it('shows the times of an exception', () => {
        expect(exceptionTimes({ id: 'e', service_id: null, kind: 'day_off', date_from: '2026-12-31', date_to: '2026-12-31' })).toBe('весь день');
        expect(exceptionTimes({ id: 'e', service_id: null, kind: 'extra_hours', date_from: '2026-12-05', date_to: '2026-12-05', start_minute: 600, end_minute: 720 })).toBe('10:00–12:00');
    });
});
