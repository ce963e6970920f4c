// The shape of GET /admin/api/schema (api/openapi.yaml: AdminResource, AdminField).

export type FieldType =
    | 'text' | 'long_text' | 'markdown' | 'integer' | 'money' | 'boolean'
    | 'datetime' | 'date' | 'enum' | 'reference' | 'id' | 'json';

export type Verb = 'list' | 'show' | 'create' | 'update' | 'delete';

export interface Choice {
    value: string;
    label: string;
}

export interface AdminField {
    name: string;
    label: string;
    type: FieldType;
    list: boolean;
    sortable: boolean;
    filterable: boolean;
    searchable: boolean;
    editable: boolean;
    required: boolean;
    choices?: Choice[];
    /** The resource this field's id points to. */
    reference?: string;
    /** Holds what a client wrote about their state: shown to the owner only, never listed. */
    p2: boolean;
}

export interface AdminAction {
    name: string;
    label: string;
    /** The values of the record's state field (`state_field`, else `status`) the action applies to; empty: any. */
    states: string[];
    /** The action's form; empty: a plain button. */
    fields: AdminField[];
}

export interface AdminResource {
    name: string;
    label: string;
    singular: string;
    verbs: Verb[];
    /** A field name, "-" first for descending. */
    default_sort?: string;
    /** The field that stands for a record where another refers to it; absent: the first text field. */
    title_field?: string;
    /** The field the actions' `states` are values of; absent: `status` (the job queue's is `state`). */
    state_field?: string;
    fields: AdminField[];
    actions: AdminAction[];
    /** The inputs of the create form, when they differ from the editable fields. */
    create_fields?: AdminField[];
}

export interface AdminSchema {
    resources: AdminResource[];
}

export type AdminRecord = { id: string } & Record<string, unknown>;
