import simpleRestProvider from 'ra-data-simple-rest';
import type { DataProvider, GetListParams, GetManyReferenceParams } from 'react-admin';
import { API_URL } from '../config';
import type { AdminRecord, AdminResource } from '../schema/types';
import { toApiFilter } from './filters';
import { httpClient } from './http';

export interface ActParams {
    id: string;
    /** The action's name as the schema declares it. */
    action: string;
    /** The action's fields; none for a plain action. */
    data?: Record<string, unknown>;
}

/** The data provider of the panel: react-admin's simple REST one plus the records' actions. */
export interface BalanceDataProvider extends DataProvider {
    act(resource: string, params: ActParams): Promise<{ data: AdminRecord }>;
}

/**
 * dataProvider speaks react-admin's simple REST conventions to /admin/api (the API follows them)
 * and runs actions with POST /admin/api/<resource>/<id>/actions/<name>. lookup finds a
 * resource's schema, to turn date filters into the practice's days.
 */
export function makeDataProvider(lookup: (name: string) => AdminResource | undefined): BalanceDataProvider {
    const base = simpleRestProvider(API_URL, httpClient, 'Content-Range');
    return {
        ...base,
        getList: (resource: string, params: GetListParams) =>
            base.getList(resource, { ...params, filter: toApiFilter(lookup(resource), params.filter) }),
        getManyReference: (resource: string, params: GetManyReferenceParams) =>
            base.getManyReference(resource, { ...params, filter: toApiFilter(lookup(resource), params.filter) }),
        act: async (resource: string, { id, action, data }: ActParams) => {
            const url = `${API_URL}/${encodeURIComponent(resource)}/${encodeURIComponent(id)}/actions/${encodeURIComponent(action)}`;
            const hasBody = data && Object.keys(data).length > 0;
            const { json } = await httpClient(url, { method: 'POST', ...(hasBody ? { body: JSON.stringify(data) } : {}) });
            return { data: json as AdminRecord };
        },
    };
}
