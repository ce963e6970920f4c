import { describe, expect, it } from 'vitest';
import { dayBoundsInZone, formatDate, formatDateTime, formatMoney, instantToZonedWall, minorToUnits, unitsToMinor, zonedWallToInstant } from '.';

const nbsp = '\u00a0';

describe('formatMoney', () => {
    it.each([
        [500000, `5${nbsp}000,00${nbsp}₽`],
        [500050, `5${nbsp}000,50${nbsp}₽`],
        [1, `0,01${nbsp}₽`],
        [0, `0,00${nbsp}₽`],
        [123456789, `1${nbsp}234${nbsp}567,89${nbsp}₽`],
        [-250000, `-2${nbsp}500,00${nbsp}₽`],
    ])('%d kopecks → %s', (minor, want) => {
        expect(formatMoney(minor, 'RUB')).toBe(want);
    });
    it('is empty for no amount', () => {
        expect(formatMoney(null)).toBe('');
        expect(formatMoney(undefined)).toBe('');
    });
    it('shows another currency by its sign', () => {
        expect(formatMoney(1000, 'EUR')).toBe(`10,00${nbsp}€`);
    });
});

describe('money inputs', () => {
    it('show roubles and keep kopecks', () => {
        expect(minorToUnits(500050)).toBe(5000.5);
        expect(minorToUnits(null)).toBeNull();
        expect(unitsToMinor(5000.5)).toBe(500050);
        expect(unitsToMinor('5 000,50')).toBe(500050);
        expect(unitsToMinor('0.1')).toBe(10);
        expect(unitsToMinor(19.99)).toBe(1999); // not 1998.9999…
        expect(unitsToMinor('')).toBeNull();
        expect(unitsToMinor('пять')).toBeNull();
    });
});

describe('dates in the practice zone (Europe/Moscow)', () => {
    it('shows an instant in Moscow time', () => {
        expect(formatDateTime('2026-12-10T11:00:00Z')).toBe('10 дек. 2026, 14:00');
        expect(formatDateTime('2026-12-31T21:30:00Z')).toBe('1 янв. 2027, 00:30');
        expect(formatDateTime('2026-05-03T06:05:00Z')).toBe('3 мая 2026, 09:05');
    });
    it('shows an instant in another zone when asked', () => {
        expect(formatDateTime('2026-12-10T11:00:00Z', 'Europe/Berlin')).toBe('10 дек. 2026, 12:00');
    });
    it('shows a calendar day without shifting it', () => {
        expect(formatDate('2026-12-10')).toBe('10 дек. 2026');
        expect(formatDate('2026-01-01')).toBe('1 янв. 2026');
    });
    it('is empty for no value and leaves nonsense as it is', () => {
        expect(formatDateTime(null)).toBe('');
        expect(formatDateTime('не дата')).toBe('не дата');
        expect(formatDate('')).toBe('');
    });
    it('turns a wall-clock time in Moscow into the instant and back', () => {
        expect(zonedWallToInstant('2026-12-10T14:00')).toBe('2026-12-10T11:00:00.000Z');
        expect(instantToZonedWall('2026-12-10T11:00:00Z')).toBe('2026-12-10T14:00');
        expect(zonedWallToInstant('2026-12-10T')).toBeNull();
    });
    it('handles a zone with daylight saving time', () => {
        // Berlin: the clocks go forward on 29 March 2026 at 02:00.
        expect(zonedWallToInstant('2026-03-28T12:00', 'Europe/Berlin')).toBe('2026-03-28T11:00:00.000Z');
        expect(zonedWallToInstant('2026-03-30T12:00', 'Europe/Berlin')).toBe('2026-03-30T10:00:00.000Z');
    });
    it('bounds a day in Moscow for a date filter on a time field', () => {
        expect(dayBoundsInZone('2026-12-10')).toEqual({
            start: '2026-12-09T21:00:00.000Z',
            end: '2026-12-10T20:59:59.999Z',
        });
        expect(dayBoundsInZone('10.12.2026')).toBeNull();
    });
});
