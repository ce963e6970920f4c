// What each generated screen shows, decided from the schema alone: plain data, so that the rules
// are tested without a browser and the React side (screens.tsx) only renders the plan.
import { formatDate, formatDateTime } from '../format';
import type { AdminAction, AdminField, AdminRecord, AdminResource, AdminSchema, Verb } from './types';

export function can(res: AdminResource, verb: Verb): boolean {
    return res.verbs.includes(verb);
}

export function findResource(schema: AdminSchema, name: string | undefined): AdminResource | undefined {
    return name ? schema.resources.find(r => r.name === name) : undefined;
}

/** The resources in the menu: those the role may list, in the server's order. */
export function menuResources(schema: AdminSchema): AdminResource[] {
    return schema.resources.filter(r => can(r, 'list'));
}

/**
 * The referenced resource when the panel can resolve a reference through it (the role may list
 * it: react-admin reads the labels with getMany, i.e. the list route). Otherwise the id is shown
 * as it is — the role may see that a record exists, not what it is.
 */
export function referenceTarget(schema: AdminSchema, field: AdminField): AdminResource | undefined {
    if (field.type !== 'reference') {
        return undefined;
    }
    const target = findResource(schema, field.reference);
    return target && can(target, 'list') ? target : undefined;
}

/**
 * The field that names a record of res where another refers to it: the schema's title_field (a
 * service's title, an appointment's start), else its first text field (a name, an e-mail).
 */
export function labelField(res: AdminResource): string | undefined {
    return res.title_field ?? res.fields.find(f => f.type === 'text' && !f.p2)?.name;
}

/**
 * recordText: what stands for a record where another refers to it (a reference, an option of a
 * reference input, a screen's title) — its label field as people read it: a time in the
 * practice's zone, a day, a choice's label. Empty when the record has no value there.
 */
export function recordText(res: AdminResource, record: Record<string, unknown> | undefined): string {
    const name = labelField(res);
    const value = name ? record?.[name] : undefined;
    if (value === null || value === undefined || value === '') {
        return '';
    }
    const f = res.fields.find(x => x.name === name);
    switch (f?.type) {
        case 'datetime':
            return formatDateTime(value as string);
        case 'date':
            return formatDate(value as string);
        case 'enum':
            return choiceText(res, f.name, value);
        default:
            return String(value);
    }
}

export interface Sort {
    field: string;
    order: 'ASC' | 'DESC';
}

/**
 * defaultSort is the list's initial order: the first key of default_sort ("-crisis,-created_at"
 * sorts by crisis, descending; the server breaks the ties by the second key itself).
 */
export function defaultSort(res: AdminResource): Sort {
    const s = (res.default_sort ?? '').split(',')[0].trim();
    if (!s) {
        return { field: 'id', order: 'ASC' };
    }
    return s.startsWith('-') ? { field: s.slice(1), order: 'DESC' } : { field: s, order: 'ASC' };
}

export interface Column {
    field: AdminField;
    sortable: boolean;
}

/** The list's columns: the fields marked for lists (never P2), sortable where the server sorts. */
export function listColumns(res: AdminResource): Column[] {
    return res.fields.filter(f => f.list && !f.p2).map(f => ({ field: f, sortable: f.sortable }));
}

export type FilterKind =
    | 'search' | 'text' | 'select' | 'boolean' | 'reference' | 'integer' | 'money' | 'date';

export interface FilterSpec {
    /** The key in react-admin's filter (and the API's `filter`): a field, "q", or "<field>_gte|_lte". */
    source: string;
    label: string;
    kind: FilterKind;
    field?: AdminField;
    /** Shown without being added from the filter menu. */
    alwaysOn: boolean;
}

const ranged = new Set(['datetime', 'date', 'integer', 'money']);

/**
 * The list's filters: a search box when a field is searchable, and for each filterable field an
 * input of its type — a range (from, to) for times, dates and numbers.
 */
export function listFilters(schema: AdminSchema, res: AdminResource): FilterSpec[] {
    const out: FilterSpec[] = [];
    if (res.fields.some(f => f.searchable && !f.p2)) {
        out.push({ source: 'q', label: 'Поиск', kind: 'search', alwaysOn: true });
    }
    for (const f of res.fields) {
        if (!f.filterable || f.p2) {
            continue;
        }
        if (ranged.has(f.type)) {
            const kind: FilterKind = f.type === 'datetime' || f.type === 'date' ? 'date' : (f.type as 'integer' | 'money');
            const [from, to] = kind === 'date' ? ['с', 'по'] : ['от', 'до'];
            out.push({ source: `${f.name}_gte`, label: `${f.label}: ${from}`, kind, field: f, alwaysOn: false });
            out.push({ source: `${f.name}_lte`, label: `${f.label}: ${to}`, kind, field: f, alwaysOn: false });
            continue;
        }
        let kind: FilterKind = 'text';
        if (f.type === 'enum' && f.choices?.length) {
            kind = 'select';
        } else if (f.type === 'boolean') {
            kind = 'boolean';
        } else if (referenceTarget(schema, f)) {
            kind = 'reference';
        }
        out.push({ source: f.name, label: f.label, kind, field: f, alwaysOn: false });
    }
    return out;
}

/** The show screen: every field the role may see, in the declared order. */
export function showFields(res: AdminResource): AdminField[] {
    return res.fields;
}

export type InputKind =
    | 'text' | 'multiline' | 'markdown' | 'integer' | 'money' | 'boolean'
    | 'datetime' | 'date' | 'select' | 'reference' | 'json';

export interface InputSpec {
    field: AdminField;
    kind: InputKind;
    required: boolean;
}

export function inputKind(schema: AdminSchema, f: AdminField): InputKind {
    switch (f.type) {
        case 'long_text':
            return 'multiline';
        case 'markdown':
            return 'markdown';
        case 'integer':
            return 'integer';
        case 'money':
            return 'money';
        case 'boolean':
            return 'boolean';
        case 'datetime':
            return 'datetime';
        case 'date':
            return 'date';
        case 'enum':
            return f.choices?.length ? 'select' : 'text';
        case 'reference':
            return referenceTarget(schema, f) ? 'reference' : 'text';
        case 'json':
            return 'json';
        default:
            return 'text';
    }
}

function inputs(schema: AdminSchema, fields: AdminField[]): InputSpec[] {
    return fields.map(f => ({ field: f, kind: inputKind(schema, f), required: f.required }));
}

/** The edit form: the editable fields (others are shown, not sent: the server ignores them). */
export function editInputs(schema: AdminSchema, res: AdminResource): InputSpec[] {
    return can(res, 'update') ? inputs(schema, res.fields.filter(f => f.editable)) : [];
}

/** The create form: create_fields when the resource declares them, else the editable fields. */
export function createInputs(schema: AdminSchema, res: AdminResource): InputSpec[] {
    if (!can(res, 'create')) {
        return [];
    }
    return inputs(schema, res.create_fields ?? res.fields.filter(f => f.editable));
}

/** The action's form inputs (none: a plain button that asks for confirmation). */
export function actionInputs(schema: AdminSchema, action: AdminAction): InputSpec[] {
    return inputs(schema, action.fields);
}

/** The field whose values the actions' states are: the schema's state_field, else `status`. */
export function stateField(res: AdminResource): string {
    return res.state_field ?? 'status';
}

/**
 * The actions offered on a record: those whose states include the value of its state field (a
 * job's `state`, everything else's `status`); an action without states applies to any record.
 */
export function recordActions(res: AdminResource, record: AdminRecord | undefined): AdminAction[] {
    if (!record) {
        return [];
    }
    const v = record[stateField(res)];
    const state = typeof v === 'string' ? v : undefined;
    return res.actions.filter(a => a.states.length === 0 || (state !== undefined && a.states.includes(state)));
}

export interface ScreenPlan {
    list: boolean;
    show: boolean;
    edit: boolean;
    create: boolean;
    delete: boolean;
}

/** Which screens a resource gets; a screen the role may not use is not built at all. */
export function screens(res: AdminResource): ScreenPlan {
    const list = can(res, 'list');
    const show = can(res, 'show');
    return {
        list,
        show,
        // A form with nothing to fill is not offered.
        edit: can(res, 'update') && res.fields.some(f => f.editable),
        create: can(res, 'create') && (res.create_fields ?? res.fields.filter(f => f.editable)).length > 0,
        delete: can(res, 'delete'),
    };
}

/** The fields holding money need the record's currency; RUB when it has none. */
export function currencyOf(record: Record<string, unknown> | undefined): string {
    const c = record?.currency;
    return typeof c === 'string' && c ? c : 'RUB';
}

/** choiceText: the label of an enum field's value as the schema names it (the value otherwise). */
export function choiceText(res: AdminResource | undefined, field: string, value: unknown): string {
    if (value === null || value === undefined) {
        return '';
    }
    const f = res?.fields.find(x => x.name === field);
    return f?.choices?.find(c => c.value === value)?.label ?? String(value);
}
