import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import { BooleanField, DateTimeInput, FunctionField, NumberInput, ReferenceField, ReferenceInput, TextField } from 'react-admin';
import { fieldElement, filterElement, inputElement } from './fields';
import { assistantSchema, ownerSchema, services } from './fixture.test-data';
import { editInputs, findResource, listFilters } from './plan';
import { resourceElements } from './screens';

type Props = Record<string, unknown>;
const props = (e: ReactElement) => e.props as Props;

describe('resourceElements', () => {
    it('gives each resource of the owner exactly the screens her verbs allow', () => {
        const got = resourceElements(ownerSchema).map(e => {
            const p = props(e);
            return [p.name, ['list', 'show', 'edit', 'create'].filter(k => p[k] !== undefined).join(',')];
        });
        expect(got).toEqual([
            ['services', 'list,show,edit,create'],
            ['availability_rules', 'list,show,create'],
            ['appointments', 'list,show,edit'],
            ['intake_forms', 'list,show'],
            ['users', 'list,show'],
        ]);
    });
    it('builds nothing for a resource absent from the assistant’s schema', () => {
        expect(resourceElements(assistantSchema).map(e => props(e).name)).toEqual(['services', 'availability_rules', 'appointments']);
    });
    it('labels the menu with the schema’s label and records with their first text field', () => {
        const p = props(resourceElements(ownerSchema)[0]);
        expect(p.options).toEqual({ label: 'Услуги' });
        expect(p.recordRepresentation).toBe('slug');
    });
});

describe('fields', () => {
    const appts = findResource(ownerSchema, 'appointments')!;
    const field = (name: string) => appts.fields.find(f => f.name === name)!;

    it('a reference the role can list is a ReferenceField to its show page', () => {
        const e = fieldElement(ownerSchema, field('client_user_id'));
        expect(e.type).toBe(ReferenceField);
        expect(props(e)).toMatchObject({ source: 'client_user_id', reference: 'users', link: 'show', label: 'Клиент' });
        expect(props(props(e).children as ReactElement).source).toBe('display_name');
    });
    it('a reference the role cannot list shows the id', () => {
        const e = fieldElement(assistantSchema, field('client_user_id'));
        expect(e.type).toBe(TextField);
    });
    it('money and times are formatted in Russian in the practice zone', () => {
        const price = fieldElement(ownerSchema, services.fields.find(f => f.name === 'price_minor')!, { sortable: true });
        expect(price.type).toBe(FunctionField);
        expect(props(price).sortable).toBe(true);
        const render = props(price).render as (r: Props) => string;
        expect(render({ price_minor: 500000, currency: 'RUB' })).toBe('5\u00a0000,00\u00a0₽');
        const start = fieldElement(ownerSchema, field('start_at'));
        expect((props(start).render as (r: Props) => string)({ start_at: '2026-12-10T11:00:00Z' })).toBe('10 дек. 2026, 14:00');
        const status = fieldElement(ownerSchema, field('status'));
        expect((props(status).render as (r: Props) => string)({ status: 'confirmed' })).toBe('Подтверждена');
    });
    it('a P2 field is marked on the show screen', () => {
        const intake = findResource(ownerSchema, 'intake_forms')!;
        const e = fieldElement(ownerSchema, intake.fields.find(f => f.p2)!);
        expect(typeof props(e).label).not.toBe('string');
        expect(JSON.stringify(props(props(e).label as ReactElement))).toContain('Ответы');
    });
    it('booleans are yes/no fields', () => {
        const users = findResource(ownerSchema, 'users')!;
        expect(fieldElement(ownerSchema, users.fields.find(f => f.type === 'boolean')!).type).toBe(BooleanField);
    });
});

describe('inputs', () => {
    it('money is typed in roubles and sent in kopecks; times in Moscow time', () => {
        const inputs = editInputs(ownerSchema, services).map(spec => inputElement(ownerSchema, spec));
        const price = inputs.find(e => props(e).source === 'price_minor')!;
        expect(price.type).toBe(NumberInput);
        expect((props(price).parse as (v: string) => number)('5000,5')).toBe(500050);
        expect((props(price).format as (v: number) => number)(500050)).toBe(5000.5);
        expect((props(price).validate as unknown[]).length).toBe(1); // required

        const dt = inputElement(ownerSchema, { field: services.fields.find(f => f.name === 'published_at')!, kind: 'datetime', required: false });
        expect(dt.type).toBe(DateTimeInput);
        expect((props(dt).parse as (v: string) => string)('2026-12-10T14:00')).toBe('2026-12-10T11:00:00.000Z');
        expect((props(dt).format as (v: string) => string)('2026-12-10T11:00:00Z')).toBe('2026-12-10T14:00');
    });
    it('a reference is a ReferenceInput to its target', () => {
        const rules = findResource(ownerSchema, 'availability_rules')!;
        const e = inputElement(ownerSchema, { field: rules.create_fields![0], kind: 'reference', required: true });
        expect(e.type).toBe(ReferenceInput);
        expect(props(e).reference).toBe('services');
    });
});

describe('filters', () => {
    it('the date range of appointments filters by start_at_gte and start_at_lte', () => {
        const appts = findResource(ownerSchema, 'appointments')!;
        const els = listFilters(ownerSchema, appts).map(s => filterElement(ownerSchema, s));
        expect(els.map(e => props(e).source)).toEqual(['service_id', 'client_user_id', 'start_at_gte', 'start_at_lte', 'status']);
    });
});
