// The names an appointment refers to: its service's title and its client's name, read with
// getMany when the role may list services and users (otherwise nothing: the screens say "Сеанс").
import { useGetMany, type RaRecord } from 'react-admin';
import { can, findResource, recordText } from '../schema/plan';
import type { AdminSchema } from '../schema/types';

type Rec = RaRecord & Record<string, unknown>;

/** useRecordsById: the referenced records (services, clients), when the role may list them. */
function useRecordsById(s: AdminSchema, resource: string, ids: unknown[]): Map<string, Rec> {
    const target = findResource(s, resource);
    const unique = [...new Set(ids.filter((x): x is string => typeof x === 'string' && x !== ''))].sort();
    const enabled = !!target && can(target, 'list') && unique.length > 0;
    const { data } = useGetMany<Rec>(resource, { ids: unique }, { enabled });
    return new Map((data ?? []).filter(Boolean).map(r => [String(r.id), r]));
}

function text(r: Rec | undefined, ...fields: string[]): string | undefined {
    for (const f of fields) {
        const v = r?.[f];
        if (typeof v === 'string' && v.trim()) {
            return v;
        }
    }
    return undefined;
}

/** useAppointmentNames: service titles (the services' title field) and client names (else e-mails) of appointments, by id. */
export function useAppointmentNames(s: AdminSchema, data: Rec[]) {
    const services = useRecordsById(s, 'services', data.map(r => r.service_id));
    const clients = useRecordsById(s, 'users', data.map(r => r.client_user_id));
    const serviceRes = findResource(s, 'services');
    return {
        service: (r: Rec) => {
            const svc = services.get(String(r.service_id));
            return (serviceRes?.title_field && svc ? recordText(serviceRes, svc) : '') || text(svc, 'title', 'slug');
        },
        client: (r: Rec) => text(clients.get(String(r.client_user_id)), 'display_name', 'email', 'phone'),
    };
}

