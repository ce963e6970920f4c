// One display component and one input per field type, chosen from the schema.
import { Box, Chip } from '@mui/material';
import type { ReactElement } from 'react';
import {
    AutocompleteInput, BooleanField, BooleanInput, DateInput, DateTimeInput, FunctionField,
    NullableBooleanInput, NumberField, NumberInput, ReferenceField, ReferenceInput, SearchInput,
    SelectInput, TextField, TextInput, required, type Validator,
} from 'react-admin';
import { MarkdownInput } from '../markdown/MarkdownInput';
import { formatDate, formatDateTime, formatMoney, instantToZonedWall, minorToUnits, unitsToMinor, zonedWallToInstant } from '../format';
import { currencyOf, labelField, recordText, referenceTarget, type FilterSpec, type InputSpec } from './plan';
import type { AdminField, AdminResource, AdminSchema } from './types';

type Rec = Record<string, unknown>;

function choiceLabel(f: AdminField, value: unknown): string {
    if (value === null || value === undefined) {
        return '';
    }
    return f.choices?.find(c => c.value === value)?.label ?? String(value);
}

function shorten(value: unknown, max: number): string {
    const s = value === null || value === undefined ? '' : String(value);
    return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** prettyJSON shows a JSON value the way people read it: indented. */
export function prettyJSON(value: unknown): string {
    if (value === null || value === undefined) {
        return '';
    }
    return JSON.stringify(value, null, 2);
}

/** A P2 field's label: marked so nobody mistakes it for ordinary data. */
function P2Label({ label }: { label: string }) {
    return (
        <span>
            {label}{' '}
            <Chip size="small" color="warning" variant="outlined" label="P2 · конфиденциально"
                title="Данные о состоянии клиента: видит только владелец, каждое чтение записывается в журнал" />
        </span>
    );
}

export interface FieldOptions {
    /** In a list: long values are shortened, JSON is on one line. */
    inList?: boolean;
    sortable?: boolean;
}

/**
 * fieldElement is the react-admin field that shows f. Its props (source, label, sortable) are
 * what Datagrid and SimpleShowLayout read for headers and labels.
 */
export function fieldElement(schema: AdminSchema, f: AdminField, opt: FieldOptions = {}): ReactElement {
    const k = f.name;
    const common = { source: f.name, sortable: opt.sortable ?? false };
    const label = f.p2 && !opt.inList ? <P2Label label={f.label} /> : f.label;
    const wrapP2 = (node: ReactElement) => f.p2
        ? <Box sx={{ borderLeft: 3, borderColor: 'warning.main', pl: 1 }}>{node}</Box>
        : node;
    switch (f.type) {
        case 'money':
            return <FunctionField key={k} {...common} label={label} textAlign="right"
                render={(r: Rec) => formatMoney(r[f.name] as number | null, currencyOf(r))} />;
        case 'datetime':
            return <FunctionField key={k} {...common} label={label} render={(r: Rec) => formatDateTime(r[f.name] as string | null)} />;
        case 'date':
            return <FunctionField key={k} {...common} label={label} render={(r: Rec) => formatDate(r[f.name] as string | null)} />;
        case 'boolean':
            return <BooleanField key={k} {...common} label={label} />;
        case 'integer':
            return <NumberField key={k} {...common} label={label} locales="ru-RU" options={{ useGrouping: false }} />;
        case 'enum':
            return <FunctionField key={k} {...common} label={label} render={(r: Rec) => choiceLabel(f, r[f.name])} />;
        case 'json':
            return <FunctionField key={k} {...common} label={label} render={(r: Rec) => opt.inList
                ? shorten(JSON.stringify(r[f.name] ?? null), 60)
                : wrapP2(<Box component="pre" sx={{ m: 0, fontFamily: 'monospace', fontSize: '0.85rem', whiteSpace: 'pre-wrap' }}>{prettyJSON(r[f.name])}</Box>)} />;
        case 'long_text':
        case 'markdown':
            return <FunctionField key={k} {...common} label={label} render={(r: Rec) => opt.inList
                ? shorten(r[f.name], 80)
                : wrapP2(<Box component="span" sx={{ whiteSpace: 'pre-wrap' }}>{String(r[f.name] ?? '')}</Box>)} />;
        case 'reference': {
            const target = referenceTarget(schema, f);
            if (target) {
                return (
                    <ReferenceField key={k} {...common} label={label} reference={target.name}
                        link={target.verbs.includes('show') ? 'show' : false}>
                        <FunctionField source={labelField(target) ?? 'id'} render={(r: Rec) => referenceText(target, r)} />
                    </ReferenceField>
                );
            }
            return <TextField key={k} {...common} label={label} />;
        }
        default:
            return <TextField key={k} {...common} label={label} />;
    }
}

/** validators: the checks the panel makes before sending (the server checks again). */
export function validators(spec: InputSpec): Validator[] {
    const v: Validator[] = [];
    if (spec.required) {
        v.push(required());
    }
    if (spec.kind === 'json') {
        v.push((value: unknown) => {
            if (typeof value !== 'string' || value.trim() === '') {
                return undefined;
            }
            try {
                JSON.parse(value);
                return undefined;
            } catch {
                return 'Неверный JSON';
            }
        });
    }
    return v;
}

const formatJSONInput = (v: unknown) => (typeof v === 'string' ? v : prettyJSON(v));
const parseJSONInput = (v: string) => {
    if (v.trim() === '') {
        return null;
    }
    try {
        return JSON.parse(v);
    } catch {
        return v; // kept as typed: the validator (and then the server) says what is wrong
    }
};

/** inputElement is the react-admin input that edits a field in a create, edit or action form. */
export function inputElement(schema: AdminSchema, spec: InputSpec): ReactElement {
    const f = spec.field;
    const k = f.name;
    const common = { source: f.name, label: f.label, validate: validators(spec) };
    switch (spec.kind) {
        case 'multiline':
            return <TextInput key={k} {...common} multiline minRows={3} fullWidth />;
        case 'markdown':
            return <MarkdownInput key={k} {...common} />;
        case 'integer':
            return <NumberInput key={k} {...common} step={1} />;
        case 'money':
            return <NumberInput key={k} {...common} step={0.01} helperText="В рублях" format={minorToUnits} parse={unitsToMinor} />;
        case 'boolean':
            return <BooleanInput key={k} {...common} />;
        case 'datetime':
            return <DateTimeInput key={k} {...common} helperText="Время московское" format={instantToZonedWall} parse={zonedWallToInstant} />;
        case 'date':
            return <DateInput key={k} {...common} />;
        case 'select':
            return <SelectInput key={k} {...common} choices={(f.choices ?? []).map(c => ({ id: c.value, name: c.label }))} />;
        case 'reference': {
            const target = referenceTarget(schema, f)!;
            return (
                <ReferenceInput key={f.name} source={f.name} reference={target.name}>
                    <AutocompleteInput label={f.label} validate={common.validate}
                        optionText={optionText(target)} filterToQuery={searchQuery(target)} />
                </ReferenceInput>
            );
        }
        case 'json':
            return <TextInput key={k} {...common} multiline minRows={4} fullWidth format={formatJSONInput} parse={parseJSONInput}
                helperText="JSON" />;
        default:
            return <TextInput key={k} {...common} />;
    }
}

/** referenceText: how a referenced record is named (its title field, formatted), else its id. */
export function referenceText(target: AdminResource, record: Rec | undefined): string {
    return recordText(target, record) || String(record?.id ?? '');
}

/** The options of a reference's autocomplete are named as references are. */
function optionText(target: AdminResource): (record: Rec) => string {
    return (record: Rec) => referenceText(target, record);
}

/** Typing in a reference's autocomplete searches the target when it has searchable fields. */
function searchQuery(target: AdminResource): (q: string) => Record<string, unknown> {
    const searchable = target.fields.some(f => f.searchable);
    return (q: string) => (searchable && q ? { q } : {});
}

/** filterElement is the input of one list filter. */
export function filterElement(schema: AdminSchema, spec: FilterSpec): ReactElement {
    const k = spec.source;
    const common = { source: spec.source, label: spec.label, alwaysOn: spec.alwaysOn };
    const f = spec.field;
    switch (spec.kind) {
        case 'search':
            // A search box has a placeholder, not a label (react-admin refuses one).
            return <SearchInput key={k} source={spec.source} alwaysOn={spec.alwaysOn} placeholder="Поиск" />;
        case 'select':
            return <SelectInput key={k} {...common} choices={(f?.choices ?? []).map(c => ({ id: c.value, name: c.label }))} />;
        case 'boolean':
            return <NullableBooleanInput key={k} {...common} />;
        case 'reference': {
            const target = referenceTarget(schema, f!)!;
            return (
                <ReferenceInput key={k} {...common} reference={target.name}>
                    <AutocompleteInput label={spec.label} optionText={optionText(target)} filterToQuery={searchQuery(target)} />
                </ReferenceInput>
            );
        }
        case 'integer':
            return <NumberInput key={k} {...common} step={1} />;
        case 'money':
            return <NumberInput key={k} {...common} step={0.01} format={minorToUnits} parse={unitsToMinor} />;
        case 'date':
            return <DateInput key={k} {...common} />;
        default:
            return <TextInput key={k} {...common} />;
    }
}
