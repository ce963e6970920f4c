// The generated screens of a resource: list, show, edit, create and the actions of a record,
// each rendering what plan.ts decides from the schema.
import { Box, Dialog, DialogActions, DialogContent, DialogTitle } from '@mui/material';
import { useState, type ReactElement } from 'react';
import {
    BulkDeleteButton, Button, Confirm, Create, CreateButton, Datagrid, DeleteButton, Edit, EditButton,
    FilterButton, Form, HttpError, List, Resource, SaveButton, Show, SimpleForm, SimpleShowLayout,
    Toolbar, TopToolbar, useDataProvider, useNotify, useRecordContext, useRefresh,
} from 'react-admin';
import type { BalanceDataProvider } from '../providers/dataProvider';
import { fieldErrors } from '../providers/http';
import { formExtras, formInput, showActions, showSections } from '../custom/extensions';
import { fieldElement, filterElement, inputElement, referenceText, validators } from './fields';
import {
    actionInputs, createInputs, defaultSort, editInputs, listColumns, listFilters, recordActions, recordText,
    screens, showFields, type InputSpec,
} from './plan';
import type { AdminAction, AdminRecord, AdminResource, AdminSchema } from './types';

interface ScreenProps {
    schema: AdminSchema;
    res: AdminResource;
}

function ListActions({ res, hasFilterMenu }: { res: AdminResource; hasFilterMenu: boolean }) {
    return (
        <TopToolbar>
            {hasFilterMenu && <FilterButton />}
            {screens(res).create && <CreateButton />}
        </TopToolbar>
    );
}

export function ResourceList({ schema, res }: ScreenProps) {
    const specs = listFilters(schema, res);
    const filters = specs.map(spec => filterElement(schema, spec));
    const plan = screens(res);
    return (
        <List title={res.label} sort={defaultSort(res)} perPage={25} filters={filters}
            actions={<ListActions res={res} hasFilterMenu={specs.some(f => !f.alwaysOn)} />}
            exporter={false} empty={false}>
            <Datagrid rowClick={plan.show ? 'show' : false}
                bulkActionButtons={plan.delete ? <BulkDeleteButton mutationMode="pessimistic" /> : false}>
                {listColumns(res).map(col => fieldElement(schema, col.field, { inList: true, sortable: col.sortable }))}
            </Datagrid>
        </List>
    );
}

/** ActionButtons shows the record's actions that apply to its status (one button each). */
export function ActionButtons({ schema, res }: ScreenProps) {
    const record = useRecordContext<AdminRecord>();
    return (
        <>
            {recordActions(res, record).map(a => (
                <ActionButton key={a.name} schema={schema} res={res} action={a} record={record!} />
            ))}
        </>
    );
}

function ActionButton({ schema, res, action, record }: ScreenProps & { action: AdminAction; record: AdminRecord }) {
    const [open, setOpen] = useState(false);
    const [busy, setBusy] = useState(false);
    const dataProvider = useDataProvider<BalanceDataProvider>();
    const notify = useNotify();
    const refresh = useRefresh();
    const inputs = actionInputs(schema, action);

    // run answers a 422's errors on the form's inputs to the form (react-admin shows them beside
    // the inputs); any other refusal — a 409's message, an error on a field the form has no input
    // for — is a notification.
    const run = async (data?: Record<string, unknown>) => {
        setBusy(true);
        try {
            await dataProvider.act(res.name, { id: record.id, action: action.name, data });
            setOpen(false);
            notify(`Готово: ${action.label}`, { type: 'success' });
            refresh();
            return undefined;
        } catch (e) {
            const invalid = e instanceof HttpError && e.status === 422;
            const { beside, rest } = splitErrors(invalid ? fieldErrors(e) : {}, inputs.map(i => i.field.name));
            if (Object.keys(rest).length > 0) {
                notify(Object.values(rest).join('; '), { type: 'error' });
            } else if (Object.keys(beside).length === 0) {
                notify(e instanceof Error ? e.message : 'Действие не выполнено', { type: 'error' });
            }
            if (!invalid || inputs.length === 0) {
                setOpen(false);
            }
            refresh();
            return Object.keys(beside).length > 0 ? beside : undefined;
        } finally {
            setBusy(false);
        }
    };

    return (
        <>
            <Button label={action.label} onClick={() => setOpen(true)} disabled={busy} data-action={action.name} />
            {inputs.length === 0 ? (
                <Confirm isOpen={open} loading={busy} title={action.label}
                    content={`Выполнить действие «${action.label}»?`}
                    confirm="Выполнить" cancel="Отмена"
                    onConfirm={() => void run()} onClose={() => setOpen(false)} />
            ) : (
                <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby={`action-${action.name}`} fullWidth
                    maxWidth={inputs.some(i => i.kind === 'markdown') ? 'lg' : 'sm'}>
                    <Form onSubmit={(values: Record<string, unknown>) => run(values)} record={{}}>
                        <DialogTitle id={`action-${action.name}`}>{action.label}</DialogTitle>
                        <DialogContent>
                            <Box sx={{ display: 'flex', flexDirection: 'column' }}>
                                {inputs.map(spec => inputElement(schema, spec))}
                            </Box>
                        </DialogContent>
                        <DialogActions>
                            <Button label="Отмена" onClick={() => setOpen(false)} />
                            <SaveButton label="Выполнить" alwaysEnable={!busy} />
                        </DialogActions>
                    </Form>
                </Dialog>
            )}
        </>
    );
}

/** splitErrors: the field errors the form shows beside its inputs, and the rest. */
export function splitErrors(errors: Record<string, string>, inputs: string[]): { beside: Record<string, string>; rest: Record<string, string> } {
    const beside: Record<string, string> = {};
    const rest: Record<string, string> = {};
    for (const [field, message] of Object.entries(errors)) {
        (inputs.includes(field) ? beside : rest)[field] = message;
    }
    return { beside, rest };
}

function ShowActions({ schema, res }: ScreenProps) {
    const plan = screens(res);
    return (
        <TopToolbar>
            {showActions(schema, res)}
            <ActionButtons schema={schema} res={res} />
            {plan.edit && <EditButton />}
            {plan.delete && <DeleteButton mutationMode="pessimistic" />}
        </TopToolbar>
    );
}

function RecordTitle({ res }: { res: AdminResource }) {
    const record = useRecordContext<AdminRecord>();
    const what = recordText(res, record);
    return <span>{what ? `${res.singular}: ${what}` : res.singular}</span>;
}

export function ResourceShow({ schema, res }: ScreenProps) {
    return (
        <Show title={<RecordTitle res={res} />} actions={<ShowActions schema={schema} res={res} />}>
            <SimpleShowLayout>
                {showFields(res).map(f => fieldElement(schema, f))}
            </SimpleShowLayout>
            {showSections(schema, res)}
        </Show>
    );
}

function EditToolbar({ res }: { res: AdminResource }) {
    return (
        <Toolbar sx={{ justifyContent: 'space-between' }}>
            <SaveButton />
            {screens(res).delete && <DeleteButton mutationMode="pessimistic" />}
        </Toolbar>
    );
}

/** formElement: a hand-made input where one replaces the generated (custom/extensions.tsx). */
function formElement(schema: AdminSchema, res: AdminResource, spec: InputSpec): ReactElement {
    return formInput(res, spec, validators(spec)) ?? inputElement(schema, spec);
}

export function ResourceEdit({ schema, res }: ScreenProps) {
    const plan = screens(res);
    return (
        // Pessimistic: the server's answer (a 422 beside a field, a 409 version conflict) is shown
        // before anything looks saved.
        <Edit title={<RecordTitle res={res} />} mutationMode="pessimistic" redirect={plan.show ? 'show' : 'list'}
            actions={<TopToolbar><ActionButtons schema={schema} res={res} /></TopToolbar>}>
            <SimpleForm toolbar={<EditToolbar res={res} />}>
                {editInputs(schema, res).map(spec => formElement(schema, res, spec))}
                {formExtras(res, 'edit')}
            </SimpleForm>
        </Edit>
    );
}

export function ResourceCreate({ schema, res }: ScreenProps) {
    return (
        <Create title={`${res.singular}: создание`} redirect={screens(res).show ? 'show' : 'list'}>
            <SimpleForm>
                {createInputs(schema, res).map(spec => formElement(schema, res, spec))}
                {formExtras(res, 'create')}
            </SimpleForm>
        </Create>
    );
}

/**
 * resourceElements turns the schema into react-admin <Resource>s: only the screens the role's
 * verbs allow, so a resource declared on the server appears with no front-end code.
 */
export function resourceElements(schema: AdminSchema): ReactElement[] {
    return schema.resources.map(res => {
        const plan = screens(res);
        return (
            <Resource key={res.name} name={res.name} options={{ label: res.label }}
                recordRepresentation={(record: AdminRecord) => referenceText(res, record)}
                list={plan.list ? <ResourceList schema={schema} res={res} /> : undefined}
                show={plan.show ? <ResourceShow schema={schema} res={res} /> : undefined}
                edit={plan.edit ? <ResourceEdit schema={schema} res={res} /> : undefined}
                create={plan.create ? <ResourceCreate schema={schema} res={res} /> : undefined} />
        );
    });
}
