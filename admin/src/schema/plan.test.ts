import { describe, expect, it } from 'vitest';
import {
    actionInputs, createInputs, defaultSort, editInputs, labelField, listColumns, listFilters,
    menuResources, recordActions, recordText, referenceTarget, screens, showFields, stateField,
} from './plan';
import { assistantSchema, availabilityRules, intakeForms, ownerSchema, services } from './fixture.test-data';
import { findResource } from './plan';
import type { AdminResource, AdminSchema } from './types';

const res = (schema: AdminSchema, name: string) => {
    const r = findResource(schema, name);
    if (!r) {
        throw new Error(`no ${name} in the schema`);
    }
    return r;
};

describe('screens follow the verbs', () => {
    it.each([
        ['services', { list: true, show: true, edit: true, create: true, delete: false }],
        ['availability_rules', { list: true, show: true, edit: false, create: true, delete: true }],
        ['appointments', { list: true, show: true, edit: true, create: false, delete: false }],
        ['intake_forms', { list: true, show: true, edit: false, create: false, delete: false }],
        ['users', { list: true, show: true, edit: false, create: false, delete: false }],
    ])('%s', (name, want) => {
        expect(screens(res(ownerSchema, name))).toEqual(want);
    });

    it('offers no edit form when nothing is editable', () => {
        const r = { ...services, fields: services.fields.map(f => ({ ...f, editable: false })) };
        expect(screens(r).edit).toBe(false);
        expect(screens(r).create).toBe(false);
    });
});

describe('the menu follows the role', () => {
    it('the owner sees intake forms and users', () => {
        expect(menuResources(ownerSchema).map(r => r.name)).toEqual(['services', 'availability_rules', 'appointments', 'intake_forms', 'users']);
    });
    it('the assistant sees no intake forms and no users', () => {
        expect(menuResources(assistantSchema).map(r => r.name)).toEqual(['services', 'availability_rules', 'appointments']);
    });
    it('a resource the role may only show is not in the menu', () => {
        const s: AdminSchema = { resources: [{ ...services, verbs: ['show'] }] };
        expect(menuResources(s)).toEqual([]);
    });
});

describe('list', () => {
    it('has a column per listed field, sortable where the server sorts', () => {
        const cols = listColumns(res(ownerSchema, 'services')).map(c => [c.field.name, c.sortable]);
        expect(cols).toEqual([
            ['slug', true], ['title', true], ['format', false], ['duration_minutes', true], ['price_minor', true], ['status', true],
        ]);
    });
    it('never lists a P2 field, even if marked for lists', () => {
        const r = { ...intakeForms, fields: intakeForms.fields.map(f => (f.p2 ? { ...f, list: true } : f)) };
        expect(listColumns(r).map(c => c.field.name)).toEqual(['appointment_id', 'status', 'updated_at']);
    });
    it('sorts by the default sort, descending with a minus', () => {
        expect(defaultSort(res(ownerSchema, 'appointments'))).toEqual({ field: 'start_at', order: 'DESC' });
        expect(defaultSort(services)).toEqual({ field: 'title', order: 'ASC' });
        expect(defaultSort({ ...services, default_sort: undefined })).toEqual({ field: 'id', order: 'ASC' });
        // Two keys: the list sorts by the first, the server breaks ties by the second.
        expect(defaultSort({ ...services, default_sort: '-crisis,-created_at' })).toEqual({ field: 'crisis', order: 'DESC' });
    });
});

describe('filters', () => {
    it('search, choices and a date range for the appointments of the owner', () => {
        const got = listFilters(ownerSchema, res(ownerSchema, 'appointments')).map(f => [f.source, f.kind, f.label, f.alwaysOn]);
        expect(got).toEqual([
            ['service_id', 'reference', 'Услуга', false],
            ['client_user_id', 'reference', 'Клиент', false],
            ['start_at_gte', 'date', 'Начало: с', false],
            ['start_at_lte', 'date', 'Начало: по', false],
            ['status', 'select', 'Статус', false],
        ]);
    });
    it('a reference the role cannot list is filtered by id, as text', () => {
        const got = listFilters(assistantSchema, res(assistantSchema, 'appointments')).find(f => f.source === 'client_user_id');
        expect(got?.kind).toBe('text');
    });
    it('a search box, always shown, when a field is searchable; ranges for numbers and money', () => {
        const r = { ...services, fields: services.fields.map(f => (f.name === 'price_minor' || f.name === 'duration_minutes' ? { ...f, filterable: true } : f)) };
        const got = listFilters(ownerSchema, r).map(f => [f.source, f.kind, f.alwaysOn]);
        expect(got).toEqual([
            ['q', 'search', true],
            ['format', 'select', false],
            ['duration_minutes_gte', 'integer', false],
            ['duration_minutes_lte', 'integer', false],
            ['price_minor_gte', 'money', false],
            ['price_minor_lte', 'money', false],
            ['status', 'select', false],
        ]);
    });
    it('booleans get a yes/no/any filter and plain dates a range', () => {
        expect(listFilters(ownerSchema, res(ownerSchema, 'users')).map(f => [f.source, f.kind])).toEqual([
            ['q', 'search'], ['password_set', 'boolean'], ['created_at_gte', 'date'], ['created_at_lte', 'date'],
        ]);
        expect(listFilters(ownerSchema, availabilityRules).map(f => f.source)).toEqual([
            'service_id', 'weekday_gte', 'weekday_lte', 'valid_from_gte', 'valid_from_lte',
        ]);
    });
    it('no search box when nothing is searchable', () => {
        expect(listFilters(ownerSchema, intakeForms).some(f => f.kind === 'search')).toBe(false);
    });
});

describe('show', () => {
    it('shows every field, P2 included, for the owner', () => {
        const fields = showFields(res(ownerSchema, 'intake_forms'));
        expect(fields.map(f => f.name)).toEqual(['id', 'appointment_id', 'status', 'payload', 'updated_at']);
        expect(fields.filter(f => f.p2).map(f => f.name)).toEqual(['payload']);
    });
});

describe('forms', () => {
    it('edit has the editable fields, each with the input of its type', () => {
        const got = editInputs(ownerSchema, res(ownerSchema, 'services')).map(i => [i.field.name, i.kind, i.required]);
        expect(got).toEqual([
            ['slug', 'text', true], ['title', 'text', true], ['description_markdown', 'markdown', false],
            ['format', 'select', true], ['duration_minutes', 'integer', true], ['price_minor', 'money', true],
            ['currency', 'text', false],
        ]);
    });
    it('create uses create_fields when the resource declares them', () => {
        const got = createInputs(ownerSchema, availabilityRules).map(i => [i.field.name, i.kind, i.required]);
        expect(got).toEqual([['service_id', 'reference', true], ['weekdays', 'json', true], ['price_minor', 'money', false]]);
    });
    it('create and edit are empty without their verb', () => {
        expect(createInputs(ownerSchema, res(ownerSchema, 'appointments'))).toEqual([]);
        expect(editInputs(ownerSchema, availabilityRules)).toEqual([]);
    });
    it('a reference becomes a text input when the role cannot list its target', () => {
        const s: AdminSchema = { resources: [availabilityRules] }; // services are not in this schema
        expect(createInputs(s, availabilityRules)[0].kind).toBe('text');
        expect(referenceTarget(ownerSchema, availabilityRules.create_fields![0])?.name).toBe('services');
    });
    it('types map to inputs', () => {
        const appts = res(ownerSchema, 'appointments');
        expect(editInputs(ownerSchema, appts).map(i => i.kind)).toEqual(['text']);
    });
});

describe('references are labelled by the target’s title field, else its first text field', () => {
    it.each([['services', 'title'], ['appointments', 'start_at'], ['users', 'display_name'], ['intake_forms', undefined]])('%s → %s', (name, want) => {
        expect(labelField(res(ownerSchema, name))).toBe(want);
    });
    it('without a title field, the first text field names the record', () => {
        const { title_field: _, ...plain } = services;
        expect(labelField(plain)).toBe('slug');
        expect(recordText(plain, { id: 's1', slug: 'konsultaciya', title: 'Консультация' })).toBe('konsultaciya');
    });
    it('names a record by its title field as people read it', () => {
        expect(recordText(res(ownerSchema, 'services'), { id: 's1', slug: 'konsultaciya', title: 'Консультация' })).toBe('Консультация');
        // An appointment stands for its start, in the practice's zone.
        expect(recordText(res(ownerSchema, 'appointments'), { id: 'a1', start_at: '2026-12-10T11:00:00Z' })).toBe('10 дек. 2026, 14:00');
        expect(recordText(res(ownerSchema, 'users'), { id: 'u1', display_name: 'Анна' })).toBe('Анна');
    });
    it('a date or a choice as the title field is shown as on the screens', () => {
        expect(recordText({ ...availabilityRules, title_field: 'valid_from' }, { id: 'r1', valid_from: '2026-12-10' })).toBe('10 дек. 2026');
        expect(recordText({ ...services, title_field: 'status' }, { id: 's1', status: 'published' })).toBe('Опубликована');
    });
    it('an empty title is empty (the screens fall back to the id)', () => {
        expect(recordText(res(ownerSchema, 'appointments'), { id: 'a1', start_at: null })).toBe('');
        expect(recordText(intakeForms, { id: 'f1' })).toBe('');
    });
});

describe('actions', () => {
    const appts = res(ownerSchema, 'appointments');
    it.each([
        ['pending_payment', ['cancel', 'resend']],
        ['confirmed', ['cancel', 'complete', 'resend']],
        ['canceled', ['resend']],
    ])('a record in %s offers %j', (status, want) => {
        expect(recordActions(appts, { id: '1', status }).map(a => a.name)).toEqual(want);
    });
    it('no record, no buttons', () => {
        expect(recordActions(appts, undefined)).toEqual([]);
    });
    it('the states are values of the resource’s state field (the job queue’s is state)', () => {
        const jobs: AdminResource = {
            name: 'queue_jobs', label: 'Фоновые задачи', singular: 'Задача', verbs: ['list', 'show'], state_field: 'state',
            fields: [], actions: [
                { name: 'retry', label: 'Повторить', states: ['retryable', 'discarded'], fields: [] },
                { name: 'cancel', label: 'Отменить', states: ['available', 'retryable', 'scheduled'], fields: [] },
            ],
        };
        expect(stateField(jobs)).toBe('state');
        expect(recordActions(jobs, { id: '7', state: 'discarded' }).map(a => a.name)).toEqual(['retry']);
        expect(recordActions(jobs, { id: '7', state: 'retryable' }).map(a => a.name)).toEqual(['retry', 'cancel']);
        // A `status` the record may also hold does not count.
        expect(recordActions(jobs, { id: '7', state: 'completed', status: 'retryable' })).toEqual([]);
        expect(recordActions(jobs, { id: '7' })).toEqual([]);
    });
    it('without a state field, the states are values of status', () => {
        const { state_field: _, ...plain } = appts;
        expect(stateField(plain)).toBe('status');
        expect(recordActions(plain, { id: '1', status: 'confirmed', state: 'canceled' }).map(a => a.name)).toEqual(['cancel', 'complete', 'resend']);
    });
    it('an action with fields opens a form; the assistant’s cancel is a plain button', () => {
        const cancel = appts.actions.find(a => a.name === 'cancel')!;
        expect(actionInputs(ownerSchema, cancel).map(i => [i.field.name, i.kind, i.required])).toEqual([['reason', 'multiline', true]]);
        const hers = res(assistantSchema, 'appointments').actions.find(a => a.name === 'cancel')!;
        expect(actionInputs(assistantSchema, hers)).toEqual([]);
    });
});
