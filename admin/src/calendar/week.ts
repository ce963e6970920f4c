// Days, weeks and hours in the practice's zone, for the dashboard and the week calendar. A "day"
// is a calendar day written "YYYY-MM-DD"; instants are ISO strings in UTC, as the API sends them.
// Nothing here reads the browser's zone: the staff may be anywhere, the practice is in Moscow.
import { PRACTICE_TIME_ZONE } from '../config';
import { instantToZonedWall, zonedWallToInstant } from '../format';

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function utcOfDay(day: string): number {
    const m = DAY_RE.exec(day);
    if (!m) {
        throw new Error(`not a day: ${day}`);
    }
    return Date.UTC(+m[1], +m[2] - 1, +m[3]);
}

/** The calendar day in zone at the instant now. */
export function dayInZone(now: Date | string, zone = PRACTICE_TIME_ZONE): string {
    return instantToZonedWall(now, zone).slice(0, 10);
}

/** addDays moves a calendar day by n days (no zone: a day is a day). */
export function addDays(day: string, n: number): string {
    return new Date(utcOfDay(day) + n * 86_400_000).toISOString().slice(0, 10);
}

/** isoWeekday: 1 for Monday … 7 for Sunday, as the schedule's rules number them. */
export function isoWeekday(day: string): number {
    const d = new Date(utcOfDay(day)).getUTCDay();
    return d === 0 ? 7 : d;
}

/** mondayOf is the Monday of the week (Monday to Sunday) that holds day. */
export function mondayOf(day: string): string {
    return addDays(day, 1 - isoWeekday(day));
}

/** weekDays: the seven days of the week that starts on monday. */
export function weekDays(monday: string): string[] {
    return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

export interface Range {
    /** The first instant (inclusive), ISO UTC. */
    start: string;
    /** The last instant (inclusive, to the millisecond), ISO UTC: what the API's `_lte` takes. */
    end: string;
}

/** daysRange: from the start of day `first` to the end of day `last`, in zone. */
export function daysRange(first: string, last: string, zone = PRACTICE_TIME_ZONE): Range {
    const start = zonedWallToInstant(first, zone)!;
    const next = zonedWallToInstant(addDays(last, 1), zone)!;
    return { start, end: new Date(Date.parse(next) - 1).toISOString() };
}

/** weekRange: the instants of the week that starts on monday, Monday 00:00 to Sunday 23:59:59.999. */
export function weekRange(monday: string, zone = PRACTICE_TIME_ZONE): Range {
    return daysRange(monday, addDays(monday, 6), zone);
}

/** A time of day in zone: its day and minutes from midnight. */
export interface ZonedTime {
    day: string;
    minute: number;
}

export function zonedTime(instant: string | Date, zone = PRACTICE_TIME_ZONE): ZonedTime {
    const wall = instantToZonedWall(instant, zone); // "2026-12-10T14:00"
    return { day: wall.slice(0, 10), minute: +wall.slice(11, 13) * 60 + +wall.slice(14, 16) };
}

/** hhmm writes minutes from midnight as "09:05" (1440 as "24:00"). */
export function hhmm(minute: number): string {
    const h = Math.floor(minute / 60);
    const m = minute % 60;
    return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** parseHHMM reads "9:05" or "09:05" (and "24:00") as minutes from midnight; null otherwise. */
export function parseHHMM(s: string): number | null {
    const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
    if (!m) {
        return null;
    }
    const h = +m[1];
    const min = +m[2];
    if (min > 59 || h > 24 || (h === 24 && min !== 0)) {
        return null;
    }
    return h * 60 + min;
}

const weekdayShort = ['пн', 'вт', 'ср', 'чт', 'пт', 'сб', 'вс'];
const weekdayLong = ['Понедельник', 'Вторник', 'Среда', 'Четверг', 'Пятница', 'Суббота', 'Воскресенье'];
const monthsGenitive = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];

/** weekdayName: "Понедельник" for 1 … "Воскресенье" for 7; short: "пн" … "вс". */
export function weekdayName(weekday: number, short = false): string {
    return (short ? weekdayShort : weekdayLong)[weekday - 1] ?? String(weekday);
}

/** dayLabel: "пн, 7 декабря". */
export function dayLabel(day: string): string {
    const m = DAY_RE.exec(day)!;
    return `${weekdayShort[isoWeekday(day) - 1]}, ${+m[3]} ${monthsGenitive[+m[2] - 1]}`;
}

/** weekLabel: "7 – 13 декабря 2026", or across months "28 декабря 2026 – 3 января 2027". */
export function weekLabel(monday: string): string {
    const sunday = addDays(monday, 6);
    const [a, b] = [DAY_RE.exec(monday)!, DAY_RE.exec(sunday)!];
    const full = (m: RegExpExecArray) => `${+m[3]} ${monthsGenitive[+m[2] - 1]} ${m[1]}`;
    if (a[1] !== b[1]) {
        return `${full(a)} – ${full(b)}`;
    }
    if (a[2] !== b[2]) {
        return `${+a[3]} ${monthsGenitive[+a[2] - 1]} – ${full(b)}`;
    }
    return `${+a[3]} – ${full(b)}`;
}

/** An appointment placed in the week grid. */
export interface Placed<T> {
    item: T;
    /** 0 (Monday) … 6 (Sunday). */
    dayIndex: number;
    startMinute: number;
    endMinute: number;
    /** Side-by-side position among the overlapping blocks of the day: lane of lanes. */
    lane: number;
    lanes: number;
}

/**
 * placeInWeek puts each item (with start_at and, if known, end_at) in its day column of the week
 * that starts on monday, in zone. An item that runs past midnight is cut at the end of its day;
 * items outside the week are left out. Overlapping items of a day share its width in lanes.
 */
export function placeInWeek<T extends object>(
    items: T[], monday: string, zone = PRACTICE_TIME_ZONE, defaultMinutes = 60,
): Placed<T>[] {
    const days = weekDays(monday);
    const placed: Placed<T>[] = [];
    for (const item of items) {
        const { start_at: startAt, end_at: endAt } = item as { start_at?: unknown; end_at?: unknown };
        if (typeof startAt !== 'string') {
            continue;
        }
        const start = zonedTime(startAt, zone);
        const dayIndex = days.indexOf(start.day);
        if (dayIndex < 0) {
            continue;
        }
        let endMinute = start.minute + defaultMinutes;
        if (typeof endAt === 'string' && Date.parse(endAt) > Date.parse(startAt)) {
            const end = zonedTime(endAt, zone);
            endMinute = end.day === start.day ? end.minute : 24 * 60;
        }
        placed.push({ item, dayIndex, startMinute: start.minute, endMinute: Math.min(endMinute, 24 * 60), lane: 0, lanes: 1 });
    }
    placed.sort((a, b) => a.dayIndex - b.dayIndex || a.startMinute - b.startMinute || b.endMinute - a.endMinute);
    // Lanes: a cluster of blocks that overlap one another shares the column; each block takes the
    // first lane free at its start.
    let cluster: Placed<T>[] = [];
    let clusterEnd = -1;
    const closeCluster = () => {
        const lanes = Math.max(1, ...cluster.map(p => p.lane + 1));
        cluster.forEach(p => { p.lanes = lanes; });
        cluster = [];
    };
    let day = -1;
    for (const p of placed) {
        if (p.dayIndex !== day || p.startMinute >= clusterEnd) {
            closeCluster();
            day = p.dayIndex;
            clusterEnd = -1;
        }
        const busy = new Set(cluster.filter(q => q.endMinute > p.startMinute).map(q => q.lane));
        let lane = 0;
        while (busy.has(lane)) {
            lane++;
        }
        p.lane = lane;
        cluster.push(p);
        clusterEnd = Math.max(clusterEnd, p.endMinute);
    }
    closeCluster();
    return placed;
}

/** hoursShown: the grid's hours, 08:00–21:00 at least, widened to every placed block. */
export function hoursShown(placed: { startMinute: number; endMinute: number }[], from = 8, to = 21): { from: number; to: number } {
    let lo = from;
    let hi = to;
    for (const p of placed) {
        lo = Math.min(lo, Math.floor(p.startMinute / 60));
        hi = Math.max(hi, Math.ceil(p.endMinute / 60));
    }
    return { from: lo, to: hi };
}
