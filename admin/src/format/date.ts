import { LOCALE, PRACTICE_TIME_ZONE } from '../config';

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function parts(d: Date, zone: string, withTime: boolean): Record<string, string> {
    const key = zone + (withTime ? ':t' : ':d');
    let f = dateTimeFormats.get(key);
    if (!f) {
        f = new Intl.DateTimeFormat(LOCALE, {
            timeZone: zone, day: 'numeric', month: 'short', year: 'numeric',
            ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
        });
        dateTimeFormats.set(key, f);
    }
    const out: Record<string, string> = {};
    for (const p of f.formatToParts(d)) {
        out[p.type] = p.value;
    }
    return out;
}

function parse(value: string | Date | null | undefined): Date | null {
    if (value === null || value === undefined || value === '') {
        return null;
    }
    const d = value instanceof Date ? value : new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * formatDateTime shows an instant (RFC 3339, UTC) in the practice's zone: "10 дек. 2026, 14:00".
 * Built from Intl's parts, so it reads the same in every browser (no "г." after the year).
 */
export function formatDateTime(value: string | Date | null | undefined, zone = PRACTICE_TIME_ZONE): string {
    const d = parse(value);
    if (!d) {
        return value ? String(value) : '';
    }
    const p = parts(d, zone, true);
    return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute}`;
}

/** formatDate shows a calendar day ("2026-12-10") as "10 дек. 2026"; a day has no zone. */
export function formatDate(value: string | null | undefined): string {
    if (!value) {
        return '';
    }
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
    if (!m) {
        return value;
    }
    const p = parts(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])), 'UTC', false);
    return `${p.day} ${p.month} ${p.year}`;
}

/** zoneOffsetMs is how far the zone's wall clock is ahead of UTC at the instant t. */
function zoneOffsetMs(t: number, zone: string): number {
    const f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    const p: Record<string, number> = {};
    for (const part of f.formatToParts(new Date(t))) {
        p[part.type] = Number(part.value);
    }
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return wall - Math.floor(t / 1000) * 1000;
}

/**
 * zonedWallToInstant turns a wall-clock time in zone ("2026-12-10T14:00") into the instant it
 * names (ISO, UTC): "2026-12-10T11:00:00.000Z" for Moscow. Returns null for anything else.
 */
export function zonedWallToInstant(wall: string | null | undefined, zone = PRACTICE_TIME_ZONE): string | null {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(wall ?? '');
    if (!m) {
        return null;
    }
    const asUTC = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
    // The offset at the guess, then at the corrected instant (they differ only across a DST jump).
    let t = asUTC - zoneOffsetMs(asUTC, zone);
    t = asUTC - zoneOffsetMs(t, zone);
    return new Date(t).toISOString();
}

/** instantToZonedWall is the inverse, for <input type="datetime-local">: "2026-12-10T14:00". */
export function instantToZonedWall(value: string | Date | null | undefined, zone = PRACTICE_TIME_ZONE): string {
    const d = parse(value);
    if (!d) {
        return '';
    }
    const wall = new Date(d.getTime() + zoneOffsetMs(d.getTime(), zone));
    return wall.toISOString().slice(0, 16);
}

/**
 * dayBoundsInZone: the first and the last instant of a calendar day in the zone, as ISO strings —
 * what a "from"/"to" date filter on a time field means to the people using the panel.
 */
export function dayBoundsInZone(day: string, zone = PRACTICE_TIME_ZONE): { start: string; end: string } | null {
    const start = zonedWallToInstant(day, zone);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    if (!start || !m) {
        return null;
    }
    const next = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3] + 1)).toISOString().slice(0, 10);
    const nextStart = zonedWallToInstant(next, zone)!;
    return { start, end: new Date(Date.parse(nextStart) - 1).toISOString() };
}
