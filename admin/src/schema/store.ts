// The schema the signed-in user's screens were built from (loaded once per page load).
import { API_URL } from '../config';
import { httpClient } from '../providers/http';
import type { AdminResource, AdminSchema } from './types';

let current: AdminSchema = { resources: [] };
let loadError = '';

export function schema(): AdminSchema {
    return current;
}

export function schemaError(): string {
    return loadError;
}

export function resourceSchema(name: string): AdminResource | undefined {
    return current.resources.find(r => r.name === name);
}

/** loadSchema reads GET /admin/api/schema; an error other than 401 leaves an empty schema. */
export async function loadSchema(): Promise<AdminSchema> {
    const { json } = await httpClient(`${API_URL}/schema`);
    current = { resources: (json as AdminSchema).resources ?? [] };
    loadError = '';
    return current;
}

export function setSchemaError(message: string): void {
    current = { resources: [] };
    loadError = message;
}
