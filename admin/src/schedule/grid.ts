// The weekly schedule of a service as a grid (weekday × time windows) and back: the rows of
// availability_rules and availability_exceptions, and what the editor sends to create them.
import { PRACTICE_TIME_ZONE } from '../config';
import { hhmm, parseHHMM } from '../calendar/week';

/** An availability_rules record as the API answers it. */
export interface RuleRecord {
    id: string;
    service_id: string | null;
    weekday: number;
    start_minute: number;
    end_minute: number;
    timezone?: string | null;
    valid_from?: string | null;
    valid_to?: string | null;
}

/** An availability_exceptions record. */
export interface ExceptionRecord {
    id: string;
    service_id: string | null;
    kind: 'day_off' | 'extra_hours' | string;
    date_from: string;
    date_to: string;
    start_minute?: number | null;
    end_minute?: number | null;
    timezone?: string | null;
    reason?: string | null;
}

export interface GridWindow {
    /** The rule's id; a window is changed by removing it and adding another. */
    id: string;
    start: number;
    end: number;
    /** "09:00–13:00". */
    label: string;
    /** A rule of every service: shown, changed only from the rules list. */
    common: boolean;
    /** When the rule is limited in time or kept in another zone: a note for people. */
    note?: string;
}

export interface GridDay {
    weekday: number;
    windows: GridWindow[];
}

export function windowLabel(start: number, end: number): string {
    return `${hhmm(start)}–${hhmm(end)}`;
}

function ruleNote(r: RuleRecord, zone: string): string | undefined {
    const notes: string[] = [];
    if (r.valid_from) {
        notes.push(`с ${r.valid_from}`);
    }
    if (r.valid_to) {
        notes.push(`по ${r.valid_to}`);
    }
    if (r.timezone && r.timezone !== zone) {
        notes.push(`время ${r.timezone}`);
    }
    return notes.length ? notes.join(', ') : undefined;
}

/**
 * rulesToGrid lays the rules out as seven days, Monday (1) to Sunday (7), each with its windows by
 * start time. Rules of another service are left out; rules of every service (no service_id) are
 * shown as common ones.
 */
export function rulesToGrid(rules: RuleRecord[], serviceId: string, zone = PRACTICE_TIME_ZONE): GridDay[] {
    const days: GridDay[] = Array.from({ length: 7 }, (_, i) => ({ weekday: i + 1, windows: [] }));
    for (const r of rules) {
        if (r.service_id !== serviceId && r.service_id !== null) {
            continue;
        }
        const day = days[r.weekday - 1];
        if (!day) {
            continue;
        }
        day.windows.push({
            id: r.id, start: r.start_minute, end: r.end_minute, label: windowLabel(r.start_minute, r.end_minute),
            common: r.service_id === null, note: ruleNote(r, zone),
        });
    }
    for (const d of days) {
        d.windows.sort((a, b) => a.start - b.start || a.end - b.end);
    }
    return days;
}

/** What POST /admin/api/availability_rules takes for a new window. */
export interface RuleInput {
    service_id: string;
    weekday: number;
    start_minute: number;
    end_minute: number;
    timezone: string;
}

export type FieldErrors = Record<string, string>;

/**
 * windowToRule checks a window typed as "09:00" and "13:00" on a weekday and turns it into the
 * rule to create, or says in Russian what is wrong (before asking the server): a time that is not
 * a time, an end not after the start, a window overlapping another of the same day.
 */
export function windowToRule(
    serviceId: string, weekday: number, start: string, end: string, day: GridDay | undefined, zone = PRACTICE_TIME_ZONE,
): { rule: RuleInput } | { errors: FieldErrors } {
    const errors: FieldErrors = {};
    const from = parseHHMM(start);
    const to = parseHHMM(end);
    if (weekday < 1 || weekday > 7 || !Number.isInteger(weekday)) {
        errors.weekday = 'выберите день недели';
    }
    if (from === null || from >= 24 * 60) {
        errors.start_minute = 'время в формате ЧЧ:ММ, например 09:00';
    }
    if (to === null) {
        errors.end_minute = 'время в формате ЧЧ:ММ, например 18:00';
    } else if (from !== null && to <= from) {
        errors.end_minute = 'конец должен быть позже начала';
    }
    if (Object.keys(errors).length === 0 && day) {
        const clash = day.windows.find(w => w.start < to! && from! < w.end);
        if (clash) {
            errors.start_minute = `пересекается с окном ${clash.label}`;
        }
    }
    if (Object.keys(errors).length > 0) {
        return { errors };
    }
    return { rule: { service_id: serviceId, weekday, start_minute: from!, end_minute: to!, timezone: zone } };
}

/** What POST /admin/api/availability_exceptions takes. */
export interface ExceptionInput {
    service_id: string;
    kind: 'day_off' | 'extra_hours';
    date_from: string;
    date_to: string;
    start_minute?: number;
    end_minute?: number;
    timezone: string;
    reason?: string;
}

export interface ExceptionDraft {
    kind: 'day_off' | 'extra_hours';
    dateFrom: string;
    dateTo: string;
    /** "ЧЧ:ММ" or empty: a day off without times covers whole days. */
    start: string;
    end: string;
    reason: string;
}

/** exceptionToInput checks a day off or extra hours typed in the form, as windowToRule does. */
export function exceptionToInput(serviceId: string, d: ExceptionDraft, zone = PRACTICE_TIME_ZONE): { input: ExceptionInput } | { errors: FieldErrors } {
    const errors: FieldErrors = {};
    const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);
    if (!isDay(d.dateFrom)) {
        errors.date_from = 'укажите дату';
    }
    const dateTo = d.dateTo || d.dateFrom;
    if (!isDay(dateTo)) {
        errors.date_to = 'укажите дату';
    } else if (isDay(d.dateFrom) && dateTo < d.dateFrom) {
        errors.date_to = 'не раньше первой даты';
    }
    const hasTimes = d.start.trim() !== '' || d.end.trim() !== '';
    let from: number | null = null;
    let to: number | null = null;
    if (hasTimes || d.kind === 'extra_hours') {
        from = parseHHMM(d.start);
        to = parseHHMM(d.end);
        if (from === null || from >= 24 * 60) {
            errors.start_minute = d.kind === 'extra_hours' && !hasTimes ? 'для дополнительных часов укажите время' : 'время в формате ЧЧ:ММ';
        }
        if (to === null) {
            errors.end_minute = 'время в формате ЧЧ:ММ';
        } else if (from !== null && to <= from) {
            errors.end_minute = 'конец должен быть позже начала';
        }
    }
    if (d.reason.length > 1000) {
        errors.reason = 'не длиннее 1000 символов';
    }
    if (Object.keys(errors).length > 0) {
        return { errors };
    }
    const input: ExceptionInput = { service_id: serviceId, kind: d.kind, date_from: d.dateFrom, date_to: dateTo, timezone: zone };
    if (from !== null && to !== null) {
        input.start_minute = from;
        input.end_minute = to;
    }
    if (d.reason.trim()) {
        input.reason = d.reason.trim();
    }
    return { input };
}

/** exceptionLabel: "10 – 12 дек." style is left to the screen; this is the time part. */
export function exceptionTimes(e: ExceptionRecord): string {
    if (e.start_minute === null || e.start_minute === undefined || e.end_minute === null || e.end_minute === undefined) {
        return 'весь день';
    }
    return windowLabel(e.start_minute, e.end_minute);
}
