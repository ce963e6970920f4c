import { describe, expect, it } from 'vitest';
import {
    addDays, dayInZone, dayLabel, daysRange, hhmm, hoursShown, isoWeekday, mondayOf, parseHHMM, placeInWeek,
    weekDays, weekLabel, weekRange, zonedTime,
} from './week';

describe('days and weeks in the practice zone', () => {
    it('the day is Moscow’s, not the browser’s or UTC’s', () => {
        // 22:30 UTC on 9 Dec is 01:30 on 10 Dec in Moscow.
        expect(dayInZone(new Date('2026-12-09T22:30:00Z'))).toBe('2026-12-10');
        expect(dayInZone(new Date('2026-12-09T20:59:59Z'))).toBe('2026-12-09');
        expect(dayInZone(new Date('2026-12-09T22:30:00Z'), 'Europe/London')).toBe('2026-12-09');
    });
    it('weeks run Monday to Sunday', () => {
        expect(isoWeekday('2026-12-07')).toBe(1);
        expect(isoWeekday('2026-12-13')).toBe(7);
        expect(mondayOf('2026-12-13')).toBe('2026-12-07');
        expect(mondayOf('2026-12-07')).toBe('2026-12-07');
        expect(mondayOf('2027-01-01')).toBe('2026-12-28');
        expect(weekDays('2026-12-28')).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03']);
        expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
        expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    });
    it('a Moscow week is exactly 7×24 hours, whatever season (no daylight saving)', () => {
        for (const monday of ['2026-03-23', '2026-03-30', '2026-10-19', '2026-10-26']) {
            const r = weekRange(monday);
            expect(Date.parse(r.end) + 1 - Date.parse(r.start)).toBe(7 * 24 * 3_600_000);
        }
        expect(weekRange('2026-12-07')).toEqual({ start: '2026-12-06T21:00:00.000Z', end: '2026-12-13T20:59:59.999Z' });
    });
    it('a week with a clock change elsewhere is shorter, by the zone’s rules', () => {
        // Berlin moves to summer time on 29 March 2026: that week has 167 hours.
        const r = weekRange('2026-03-23', 'Europe/Berlin');
        expect(r.start).toBe('2026-03-22T23:00:00.000Z');
        expect(Date.parse(r.end) + 1 - Date.parse(r.start)).toBe(167 * 3_600_000);
    });
    it('today and tomorrow as one range of instants', () => {
        expect(daysRange('2026-12-31', '2027-01-01')).toEqual({ start: '2026-12-30T21:00:00.000Z', end: '2027-01-01T20:59:59.999Z' });
    });
    it('times of day, both ways', () => {
        expect(zonedTime('2026-12-10T11:05:00Z')).toEqual({ day: '2026-12-10', minute: 14 * 60 + 5 });
        expect(hhmm(545)).toBe('09:05');
        expect(hhmm(1440)).toBe('24:00');
        expect(parseHHMM('9:05')).toBe(545);
        expect(parseHHMM('24:00')).toBe(1440);
        expect(parseHHMM('24:30')).toBeNull();
        expect(parseHHMM('12:60')).toBeNull();
        expect(parseHHMM('полдень')).toBeNull();
    });
    it('labels in Russian', () => {
        expect(dayLabel('2026-12-07')).toBe('пн, 7 декабря');
        expect(weekLabel('2026-12-07')).toBe('7 – 13 декабря 2026');
        expect(weekLabel('2026-11-30')).toBe('30 ноября – 6 декабря 2026');
        expect(weekLabel('2026-12-28')).toBe('28 декабря 2026 – 3 января 2027');
    });
});

describe('placeInWeek', () => {
    const a = (id: string, start: string, end?: string) => ({ id, start_at: start, end_at: end });

    it('puts each appointment in its Moscow day and hours, leaving other weeks out', () => {
        const placed = placeInWeek([
            a('mon', '2026-12-07T06:00:00Z', '2026-12-07T06:50:00Z'), // Mon 09:00–09:50
            a('sun-late', '2026-12-13T20:30:00Z', '2026-12-13T21:30:00Z'), // Sun 23:30 → cut at midnight
            a('next-week', '2026-12-13T21:00:00Z', '2026-12-13T22:00:00Z'), // Mon 14 Dec 00:00 in Moscow
            a('prev-week', '2026-12-06T20:59:00Z'),
        ], '2026-12-07');
        expect(placed.map(p => [p.item.id, p.dayIndex, p.startMinute, p.endMinute])).toEqual([
            ['mon', 0, 540, 590],
            ['sun-late', 6, 1410, 1440],
        ]);
    });
    it('overlapping appointments share the column side by side', () => {
        const placed = placeInWeek([
            a('x', '2026-12-08T07:00:00Z', '2026-12-08T08:00:00Z'), // 10:00–11:00
            a('y', '2026-12-08T07:30:00Z', '2026-12-08T08:30:00Z'), // 10:30–11:30
            a('z', '2026-12-08T08:00:00Z', '2026-12-08T08:50:00Z'), // 11:00–11:50: lane 0 is free again
            a('w', '2026-12-08T10:00:00Z', '2026-12-08T11:00:00Z'), // 13:00, alone
        ], '2026-12-07');
        expect(placed.map(p => [p.item.id, p.lane, p.lanes])).toEqual([['x', 0, 2], ['y', 1, 2], ['z', 0, 2], ['w', 0, 1]]);
    });
    it('an appointment without an end lasts an hour; the grid widens to show it', () => {
        const placed = placeInWeek([a('early', '2026-12-09T03:30:00Z')], '2026-12-07'); // 06:30
        expect([placed[0].startMinute, placed[0].endMinute]).toEqual([390, 450]);
        expect(hoursShown(placed)).toEqual({ from: 6, to: 21 });
        expect(hoursShown([])).toEqual({ from: 8, to: 21 });
    });
});
