// What the home screen asks the admin API for, decided from the role's schema and the time:
// plain data, so the cards each role gets are tested without a browser.
import { addDays, dayInZone, daysRange } from '../calendar/week';
import { PRACTICE_TIME_ZONE } from '../config';
import { can, findResource, type Sort } from '../schema/plan';
import type { AdminResource, AdminSchema } from '../schema/types';

export type CardKey = 'sessions' | 'new-bookings' | 'payments' | 'moderation' | 'leads' | 'jobs' | 'deliveries';

export interface CardQuery {
    key: CardKey;
    /** data-testid of the card: "dashboard-<key>". */
    testId: string;
    title: string;
    /** Shown when the query finds nothing. */
    empty: string;
    resource: string;
    filter: Record<string, unknown>;
    sort: Sort;
    perPage: number;
    /** Whether an item opens the record's show page (the role may show the resource). */
    linkToShow: boolean;
    /** The list this card summarises, with its filter, for "Показать все". */
    listPath: string;
}

type CardSpec = Omit<CardQuery, 'key' | 'testId' | 'resource' | 'linkToShow' | 'listPath'> & {
    /** The filter of the "show all" list when it differs (the list's filter form takes one value, and days). */
    listFilter?: Record<string, unknown>;
};

/** How far back the «Новые записи» card looks, in days. */
export const NEW_BOOKING_DAYS = 7;

/** The days the sessions card covers: today and tomorrow, in the practice's zone. */
export function sessionDays(now: Date, zone = PRACTICE_TIME_ZONE): { today: string; tomorrow: string } {
    const today = dayInZone(now, zone);
    return { today, tomorrow: addDays(today, 1) };
}

function listPath(resource: string, filter: Record<string, unknown>, sort: Sort): string {
    const params = new URLSearchParams({ filter: JSON.stringify(filter), sort: sort.field, order: sort.order });
    return `/${resource}?${params.toString()}`;
}

function hasField(res: AdminResource, name: string): boolean {
    return res.fields.some(f => f.name === name);
}

/** The job queue resource: `queue_jobs` (the registry's) or, in an older schema, `jobs`. */
export function jobsResource(schema: AdminSchema): AdminResource | undefined {
    return ['queue_jobs', 'jobs'].map(n => findResource(schema, n)).find(r => r && can(r, 'list'));
}

/**
 * dashboardQueries: one card per thing staff must act on, each only when the role's schema lets it
 * list that resource (the editor gets the moderation queue only):
 * today's and tomorrow's sessions (confirmed or awaiting payment), the bookings made in the last
 * week (newest first), bookings awaiting payment,
 * moderation items pending (crisis first: the queue's own order), new leads, failed jobs
 * (retryable or discarded) and failed deliveries.
 */
export function dashboardQueries(schema: AdminSchema, now: Date, zone = PRACTICE_TIME_ZONE): CardQuery[] {
    const out: CardQuery[] = [];
    const add = (key: CardKey, res: AdminResource | undefined, spec: CardSpec) => {
        if (!res || !can(res, 'list')) {
            return;
        }
        const { listFilter, ...q } = spec;
        out.push({
            ...q, key, testId: `dashboard-${key}`, resource: res.name, linkToShow: can(res, 'show'),
            listPath: listPath(res.name, listFilter ?? q.filter, q.sort),
        });
    };

    const appts = findResource(schema, 'appointments');
    const { today, tomorrow } = sessionDays(now, zone);
    const days = daysRange(today, tomorrow, zone);
    add('sessions', appts, {
        title: 'Сеансы сегодня и завтра', empty: 'Сегодня и завтра сеансов нет.',
        filter: { start_at_gte: days.start, start_at_lte: days.end, status: ['confirmed', 'pending_payment'] },
        sort: { field: 'start_at', order: 'ASC' }, perPage: 50,
        // The list's date filters take days (the practice's days: see providers/filters.ts).
        listFilter: { start_at_gte: today, start_at_lte: tomorrow },
    });
    // Bookings made lately, whenever they take place: where a booking just made (through the
    // site, or the demo) shows up even when its session is days ahead. Limited to the last week
    // when the API filters by the creation time; otherwise simply the newest.
    const byCreation = !!appts?.fields.some(f => f.name === 'created_at' && f.filterable);
    const weekAgo = new Date(now.getTime() - NEW_BOOKING_DAYS * 24 * 60 * 60 * 1000);
    add('new-bookings', appts, {
        title: 'Новые записи', empty: byCreation ? 'За неделю новых записей нет.' : 'Записей пока нет.',
        filter: byCreation ? { created_at_gte: weekAgo.toISOString() } : {},
        sort: { field: 'created_at', order: 'DESC' }, perPage: 5,
        listFilter: byCreation ? { created_at_gte: dayInZone(weekAgo, zone) } : {},
    });
    add('payments', appts, {
        title: 'Ждут подтверждения оплаты', empty: 'Неоплаченных записей нет.',
        filter: { status: 'pending_payment' }, sort: { field: 'start_at', order: 'ASC' }, perPage: 10,
    });

    const moderation = findResource(schema, 'moderation_items');
    add('moderation', moderation, {
        title: 'Ждут модерации', empty: 'Очередь модерации пуста.',
        filter: { status: 'pending' },
        // The queue's order: crisis items first, the newest next (the server breaks ties by
        // -created_at whenever the list is sorted by crisis).
        sort: moderation && hasField(moderation, 'crisis') ? { field: 'crisis', order: 'DESC' } : { field: 'created_at', order: 'DESC' },
        perPage: 10,
    });

    add('leads', findResource(schema, 'leads'), {
        title: 'Новые лиды', empty: 'Новых лидов нет.',
        filter: { status: 'new' }, sort: { field: 'created_at', order: 'DESC' }, perPage: 10,
    });

    const jobs = jobsResource(schema);
    add('jobs', jobs, {
        title: 'Сбои фоновых задач', empty: 'Сбоев нет.',
        filter: { state: ['retryable', 'discarded'] },
        sort: { field: 'id', order: 'DESC' }, perPage: 10, listFilter: { state: 'retryable' },
    });

    add('deliveries', findResource(schema, 'notification_deliveries'), {
        title: 'Неотправленные сообщения', empty: 'Все сообщения отправлены.',
        filter: { status: 'failed' }, sort: { field: 'created_at', order: 'DESC' }, perPage: 10,
    });
    return out;
}
