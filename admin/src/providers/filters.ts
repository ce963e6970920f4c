import { dayBoundsInZone } from '../format';
import type { AdminResource } from '../schema/types';

/**
 * toApiFilter turns the list filter the screens hold into the API's: a date chosen as the bound
 * of a time field ("start_at_gte": "2026-12-10") means that day in the practice's zone, so it is
 * sent as the first (or, for "_lte", the last) instant of that day. Empty values are dropped.
 */
export function toApiFilter(res: AdminResource | undefined, filter: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(filter ?? {})) {
        if (value === '' || value === null || value === undefined) {
            continue;
        }
        const m = /^(.*)_(gte|lte)$/.exec(key);
        const field = m ? res?.fields.find(f => f.name === m[1]) : undefined;
        if (m && field?.type === 'datetime' && typeof value === 'string') {
            const bounds = dayBoundsInZone(value);
            if (bounds) {
                out[key] = m[2] === 'gte' ? bounds.start : bounds.end;
                continue;
            }
        }
        out[key] = value;
    }
    return out;
}
