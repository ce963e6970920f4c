import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import { BooleanField, DateTimeInput, FunctionField, NumberInput, ReferenceField, ReferenceInput, TextField } from 'react-admin';
import { fieldElement, filterElement, inputElement } from './fields';
import { assistantSchema, ownerSchema, services } from './fixture.test-data';
import { editInputs, findResource, listFilters } from './plan';
import { resourceElements, splitErrors } from './screens';

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
    it('labels the menu with the schema’s label and records with their title field', () => {
        const els = resourceElements(ownerSchema);
        const p = props(els[0]);
        expect(p.options).toEqual({ label: 'Услуги' });
        const name = (e: ReactElement, r: Props) => (props(e).recordRepresentation as (r: Props) => string)(r);
        expect(name(els[0], { id: 's1', slug: 'konsultaciya', title: 'Консультация' })).toBe('Консультация');
        expect(name(els[2], { id: 'a1', start_at: '2026-12-10T11:00:00Z' })).toBe('10 дек. 2026, 14:00');
        // No title field: the first text field; nothing there: the id.
        expect(name(els[4], { id: 'u1', display_name: 'Анна' })).toBe('Анна');
        expect(name(els[3], { id: 'f1' })).toBe('f1');
    });
});

describe('fields', () => {
    const appts = findResource(ownerSchema, 'appointments')!;
    const field = (name: string) => appts.fields.find(f => f.name === name)!;

    const child = (e: ReactElement) => props(props(e).children as ReactElement);
    it('a reference the role can list is a ReferenceField to its show page', () => {
        const e = fieldElement(ownerSchema, field('client_user_id'));
        expect(e.type).toBe(ReferenceField);
        expect(props(e)).toMatchObject({ source: 'client_user_id', reference: 'users', link: 'show', label: 'Клиент' });
        expect(child(e).source).toBe('display_name');
        expect((child(e).render as (r: Props) => string)({ id: 'c1', display_name: 'Анна' })).toBe('Анна');
    });
    it('a reference shows the target’s title field: a service’s title, an appointment’s start in Moscow time', () => {
        const svc = fieldElement(ownerSchema, field('service_id'));
        expect((child(svc).render as (r: Props) => string)({ id: 's1', slug: 'konsultaciya', title: 'Консультация' })).toBe('Консультация');
        const intake = findResource(ownerSchema, 'intake_forms')!;
        const appt = fieldElement(ownerSchema, intake.fields.find(f => f.name === 'appointment_id')!);
        expect(props(appt).reference).toBe('appointments');
        expect((child(appt).render as (r: Props) => string)({ id: 'a1', start_at: '2026-12-10T11:00:00Z' })).toBe('10 дек. 2026, 14:00');
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
    it('a reference is a ReferenceInput to its target, its options named by the title field', () => {
        const rules = findResource(ownerSchema, 'availability_rules')!;
        const e = inputElement(ownerSchema, { field: rules.create_fields![0], kind: 'reference', required: true });
        expect(e.type).toBe(ReferenceInput);
        expect(props(e).reference).toBe('services');
        const option = props(props(e).children as ReactElement).optionText as (r: Props) => string;
        expect(option({ id: 's1', slug: 'konsultaciya', title: 'Консультация' })).toBe('Консультация');
        expect(option({ id: 's2', slug: 'x', title: '' })).toBe('s2');
    });
    it('a reference filter names its options as the references are named', () => {
        const intake = findResource(ownerSchema, 'intake_forms')!;
        const spec = listFilters(ownerSchema, intake).find(s => s.source === 'appointment_id')!;
        const e = filterElement(ownerSchema, spec);
        expect(e.type).toBe(ReferenceInput);
        const option = props(props(e).children as ReactElement).optionText as (r: Props) => string;
        expect(option({ id: 'a1', start_at: '2026-12-10T11:00:00Z' })).toBe('10 дек. 2026, 14:00');
    });
});

describe('filters', () => {
    it('the date range of appointments filters by start_at_gte and start_at_lte', () => {
        const appts = findResource(ownerSchema, 'appointments')!;
        const els = listFilters(ownerSchema, appts).map(s => filterElement(ownerSchema, s));
        expect(els.map(e => props(e).source)).toEqual(['service_id', 'client_user_id', 'start_at_gte', 'start_at_lte', 'status']);
    });
});

describe('an action’s refusal', () => {
    it('puts the errors of the form’s inputs beside them and says the others', () => {
        expect(splitErrors({ reason: 'обязательное поле', public_text: 'сначала задайте вопросу текст для публикации' }, ['reason'])).toEqual({
            beside: { reason: 'обязательное поле' },
            rest: { public_text: 'сначала задайте вопросу текст для публикации' },
        });
        expect(splitErrors({ status: 'нельзя' }, [])).toEqual({ beside: {}, rest: { status: 'нельзя' } });
    });
});
