// The weekly schedule of a service (/services/:id/schedule): its windows by weekday as a grid, each
// removed or added in place, and its exceptions (days off, extra hours). Windows are rows of
// availability_rules, exceptions of availability_exceptions; neither is ever edited, only
// removed and added (the API's rule).
import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/DeleteOutline';
import {
    Alert, Box, Button, Card, CardContent, CardHeader, Chip, IconButton, LinearProgress, MenuItem, Paper, Stack,
    TextField, Typography,
} from '@mui/material';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Confirm, HttpError, Title, useDataProvider, useGetList, useGetOne, useNotify, type RaRecord } from 'react-admin';
import { weekdayName } from '../calendar/week';
import { PRACTICE_TIME_ZONE } from '../config';
import { formatDate } from '../format';
import { fieldErrors } from '../providers/http';
import { can, choiceText, findResource } from '../schema/plan';
import { schema } from '../schema/store';
import {
    exceptionTimes, exceptionToInput, rulesToGrid, windowToRule,
    type ExceptionDraft, type ExceptionRecord, type FieldErrors, type GridDay, type RuleRecord,
} from './grid';

/** apiErrors: the field errors of a 422 (the server words them in Russian), or undefined for another failure. */
export function apiErrors(e: unknown): FieldErrors | undefined {
    if (e instanceof HttpError && e.status === 422) {
        const errors = fieldErrors(e);
        if (Object.keys(errors).length > 0) {
            return errors;
        }
    }
    return undefined;
}

/** An error under the fields for the API's fields that have no input here. */
function otherErrors(errors: FieldErrors, shown: string[]): string {
    return Object.entries(errors).filter(([k]) => !shown.includes(k)).map(([, v]) => v).join('; ');
}

function AddWindow({ serviceId, day, zone, onDone }: { serviceId: string; day: GridDay; zone: string; onDone: () => void }) {
    const [open, setOpen] = useState(false);
    const [start, setStart] = useState('09:00');
    const [end, setEnd] = useState('18:00');
    const [errors, setErrors] = useState<FieldErrors>({});
    const [busy, setBusy] = useState(false);
    const dataProvider = useDataProvider();
    const notify = useNotify();
    if (!open) {
        return (
            <Button size="small" startIcon={<AddIcon />} onClick={() => setOpen(true)} data-testid={`schedule-add-${day.weekday}`}
                aria-label={`Добавить окно: ${weekdayName(day.weekday)}`}>
                Окно
            </Button>
        );
    }
    const save = async () => {
        const out = windowToRule(serviceId, day.weekday, start, end, day, zone);
        if ('errors' in out) {
            setErrors(out.errors);
            return;
        }
        setBusy(true);
        try {
            await dataProvider.create('availability_rules', { data: out.rule });
            notify(`Окно добавлено: ${weekdayName(day.weekday)}, ${start}–${end}`, { type: 'success' });
            setErrors({});
            setOpen(false);
            onDone();
        } catch (e) {
            const fe = apiErrors(e);
            if (fe) {
                setErrors(fe);
            } else {
                notify(e instanceof Error ? e.message : 'Не удалось добавить окно', { type: 'error' });
            }
        } finally {
            setBusy(false);
        }
    };
    const rest = otherErrors(errors, ['start_minute', 'end_minute']);
    return (
        <Stack spacing={1} component="form" data-testid={`schedule-form-${day.weekday}`}
            onSubmit={e => { e.preventDefault(); void save(); }}>
            <TextField label="С" type="time" size="small" value={start} onChange={e => setStart(e.target.value)}
                error={!!errors.start_minute} helperText={errors.start_minute}
                slotProps={{ htmlInput: { 'data-testid': 'schedule-start', step: 300 }, inputLabel: { shrink: true } }} />
            <TextField label="До" type="time" size="small" value={end} onChange={e => setEnd(e.target.value)}
                error={!!errors.end_minute} helperText={errors.end_minute}
                slotProps={{ htmlInput: { 'data-testid': 'schedule-end', step: 300 }, inputLabel: { shrink: true } }} />
            {rest && <Typography variant="caption" color="error" role="alert">{rest}</Typography>}
            <Stack direction="row" spacing={0.5}>
                <Button type="submit" size="small" variant="contained" disabled={busy} data-testid="schedule-save">Добавить</Button>
                <Button size="small" onClick={() => { setOpen(false); setErrors({}); }}>Отмена</Button>
            </Stack>
        </Stack>
    );
}

function RemoveButton({ resource, id, what, testId, onDone }: { resource: string; id: string; what: string; testId: string; onDone: () => void }) {
    const [open, setOpen] = useState(false);
    const [busy, setBusy] = useState(false);
    const dataProvider = useDataProvider();
    const notify = useNotify();
    const remove = async () => {
        setBusy(true);
        try {
            await dataProvider.delete(resource, { id, previousData: { id } as RaRecord });
            notify(`Удалено: ${what}`, { type: 'success' });
            onDone();
        } catch (e) {
            notify(e instanceof Error ? e.message : 'Не удалось удалить', { type: 'error' });
        } finally {
            setBusy(false);
            setOpen(false);
        }
    };
    return (
        <>
            <IconButton size="small" aria-label={`Удалить: ${what}`} title="Удалить" onClick={() => setOpen(true)} data-testid={testId}>
                <DeleteIcon fontSize="small" />
            </IconButton>
            <Confirm isOpen={open} loading={busy} title="Удалить?" content={`Удалить ${what}? Записи клиентов на это время не отменятся.`}
                confirm="Удалить" cancel="Отмена" onConfirm={() => void remove()} onClose={() => setOpen(false)} />
        </>
    );
}

function WeekGrid({ serviceId, days, zone, canAdd, canRemove, refetch }: {
    serviceId: string; days: GridDay[]; zone: string; canAdd: boolean; canRemove: boolean; refetch: () => void;
}) {
    return (
        <Box data-testid="schedule-grid"
            sx={{ display: 'grid', gap: 1, gridTemplateColumns: { xs: '1fr', sm: 'repeat(3, minmax(0, 1fr))', md: 'repeat(4, minmax(0, 1fr))', lg: 'repeat(7, minmax(0, 1fr))' } }}>
            {days.map(day => (
                <Paper key={day.weekday} variant="outlined" sx={{ p: 1, minHeight: 120, display: 'flex', flexDirection: 'column', gap: 0.5 }}
                    data-testid={`schedule-day-${day.weekday}`} role="group" aria-label={weekdayName(day.weekday)}>
                    <Typography variant="subtitle2" component="h3">{weekdayName(day.weekday)}</Typography>
                    {day.windows.length === 0 && <Typography variant="body2" color="text.secondary">Нет приёма</Typography>}
                    {day.windows.map(w => (
                        <Box key={w.id} data-testid="schedule-window" data-weekday={day.weekday} data-start={w.start} data-end={w.end}
                            sx={{
                                display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 0.5, pl: 1, borderRadius: 1,
                                bgcolor: w.common ? 'action.hover' : '#e3f2fd', borderLeft: 3, borderColor: w.common ? 'grey.500' : 'primary.main',
                            }}>
                            <Box sx={{ py: 0.5 }}>
                                <Typography variant="body2" component="div" sx={{ fontVariantNumeric: 'tabular-nums' }}>{w.label}</Typography>
                                {(w.common || w.note) && (
                                    <Typography variant="caption" color="text.secondary" component="div">
                                        {[w.common ? 'для всех услуг' : '', w.note].filter(Boolean).join(', ')}
                                    </Typography>
                                )}
                            </Box>
                            {canRemove && !w.common && (
                                <RemoveButton resource="availability_rules" id={w.id} testId="schedule-remove"
                                    what={`окно ${weekdayName(day.weekday, true)} ${w.label}`} onDone={refetch} />
                            )}
                        </Box>
                    ))}
                    <Box sx={{ mt: 'auto' }}>
                        {canAdd && <AddWindow serviceId={serviceId} day={day} zone={zone} onDone={refetch} />}
                    </Box>
                </Paper>
            ))}
        </Box>
    );
}

const emptyDraft: ExceptionDraft = { kind: 'day_off', dateFrom: '', dateTo: '', start: '', end: '', reason: '' };

function AddException({ serviceId, zone, onDone }: { serviceId: string; zone: string; onDone: () => void }) {
    const [d, setD] = useState<ExceptionDraft>(emptyDraft);
    const [errors, setErrors] = useState<FieldErrors>({});
    const [busy, setBusy] = useState(false);
    const dataProvider = useDataProvider();
    const notify = useNotify();
    const kinds = findResource(schema(), 'availability_exceptions')?.fields.find(f => f.name === 'kind')?.choices
        ?? [{ value: 'day_off', label: 'Выходной' }, { value: 'extra_hours', label: 'Дополнительные часы' }];
    const set = (k: keyof ExceptionDraft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
    const save = async () => {
        const out = exceptionToInput(serviceId, d, zone);
        if ('errors' in out) {
            setErrors(out.errors);
            return;
        }
        setBusy(true);
        try {
            await dataProvider.create('availability_exceptions', { data: out.input });
            notify('Исключение добавлено', { type: 'success' });
            setD(emptyDraft);
            setErrors({});
            onDone();
        } catch (e) {
            const fe = apiErrors(e);
            if (fe) {
                setErrors(fe);
            } else {
                notify(e instanceof Error ? e.message : 'Не удалось добавить исключение', { type: 'error' });
            }
        } finally {
            setBusy(false);
        }
    };
    const rest = otherErrors(errors, ['kind', 'date_from', 'date_to', 'start_minute', 'end_minute', 'reason']);
    const shrink = { inputLabel: { shrink: true } };
    return (
        <Box component="form" data-testid="exception-form" onSubmit={e => { e.preventDefault(); void save(); }}
            sx={{ display: 'grid', gap: 1, gridTemplateColumns: { xs: '1fr', sm: 'repeat(3, minmax(0, 1fr))' }, alignItems: 'start' }}>
            <TextField select label="Вид" size="small" value={d.kind} onChange={set('kind')} error={!!errors.kind} helperText={errors.kind}
                slotProps={{ htmlInput: { 'data-testid': 'exception-kind' } }}>
                {kinds.map(k => <MenuItem key={k.value} value={k.value}>{k.label}</MenuItem>)}
            </TextField>
            <TextField label="С даты" type="date" size="small" value={d.dateFrom} onChange={set('dateFrom')}
                error={!!errors.date_from} helperText={errors.date_from} slotProps={{ ...shrink, htmlInput: { 'data-testid': 'exception-date-from' } }} />
            <TextField label="По дату" type="date" size="small" value={d.dateTo} onChange={set('dateTo')}
                error={!!errors.date_to} helperText={errors.date_to ?? 'пусто — один день'} slotProps={{ ...shrink, htmlInput: { 'data-testid': 'exception-date-to' } }} />
            <TextField label="С (время)" type="time" size="small" value={d.start} onChange={set('start')}
                error={!!errors.start_minute} helperText={errors.start_minute ?? (d.kind === 'day_off' ? 'пусто — весь день' : undefined)}
                slotProps={{ ...shrink, htmlInput: { 'data-testid': 'exception-start', step: 300 } }} />
            <TextField label="До (время)" type="time" size="small" value={d.end} onChange={set('end')}
                error={!!errors.end_minute} helperText={errors.end_minute} slotProps={{ ...shrink, htmlInput: { 'data-testid': 'exception-end', step: 300 } }} />
            <TextField label="Причина" size="small" value={d.reason} onChange={set('reason')}
                error={!!errors.reason} helperText={errors.reason} slotProps={{ htmlInput: { 'data-testid': 'exception-reason', maxLength: 1000 } }} />
            {rest && <Typography variant="caption" color="error" role="alert" sx={{ gridColumn: '1 / -1' }}>{rest}</Typography>}
            <Box sx={{ gridColumn: '1 / -1' }}>
                <Button type="submit" variant="contained" size="small" startIcon={<AddIcon />} disabled={busy} data-testid="exception-save">
                    Добавить исключение
                </Button>
            </Box>
        </Box>
    );
}

function dates(e: ExceptionRecord): string {
    return e.date_from === e.date_to ? formatDate(e.date_from) : `${formatDate(e.date_from)} – ${formatDate(e.date_to)}`;
}

function Exceptions({ serviceId, zone, canAdd, canRemove }: { serviceId: string; zone: string; canAdd: boolean; canRemove: boolean }) {
    const res = findResource(schema(), 'availability_exceptions');
    const own = useGetList<ExceptionRecord & RaRecord>('availability_exceptions', {
        pagination: { page: 1, perPage: 200 }, sort: { field: 'date_from', order: 'DESC' }, filter: { service_id: serviceId },
    });
    const all = useGetList<ExceptionRecord & RaRecord>('availability_exceptions', {
        pagination: { page: 1, perPage: 200 }, sort: { field: 'date_from', order: 'DESC' }, filter: {},
    });
    const rows = [...(own.data ?? []), ...(all.data ?? []).filter(e => e.service_id === null)]
        .sort((a, b) => b.date_from.localeCompare(a.date_from));
    const refetch = () => { void own.refetch(); void all.refetch(); };
    return (
        <Card variant="outlined" data-testid="schedule-exceptions">
            <CardHeader title={<Typography variant="h6" component="h2">Исключения: выходные и дополнительные часы</Typography>} />
            <CardContent>
                {(own.isPending || all.isPending) && <LinearProgress />}
                {own.error && <Alert severity="error">{own.error instanceof Error ? own.error.message : 'Не удалось загрузить'}</Alert>}
                {!own.isPending && rows.length === 0 && <Typography color="text.secondary">Исключений нет.</Typography>}
                <Stack spacing={0.5} sx={{ mb: 2 }}>
                    {rows.map(e => (
                        <Box key={e.id} data-testid="exception-row" data-kind={e.kind}
                            sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap', borderBottom: 1, borderColor: 'divider', py: 0.5 }}>
                            <Chip size="small" label={choiceText(res, 'kind', e.kind)} color={e.kind === 'day_off' ? 'default' : 'primary'} variant="outlined" />
                            <Typography variant="body2" sx={{ flexGrow: 1 }}>
                                {dates(e)}, {exceptionTimes(e)}{e.reason ? ` — ${e.reason}` : ''}{e.service_id === null ? ' (для всех услуг)' : ''}
                            </Typography>
                            {canRemove && e.service_id !== null && (
                                <RemoveButton resource="availability_exceptions" id={e.id} testId="exception-remove"
                                    what={`исключение ${dates(e)}`} onDone={refetch} />
                            )}
                        </Box>
                    ))}
                </Stack>
                {canAdd && <AddException serviceId={serviceId} zone={zone} onDone={refetch} />}
            </CardContent>
        </Card>
    );
}

export function ScheduleEditor() {
    const { id = '' } = useParams();
    const s = schema();
    const rulesRes = findResource(s, 'availability_rules');
    const exceptionsRes = findResource(s, 'availability_exceptions');
    const service = useGetOne('services', { id }, { enabled: !!id });
    const own = useGetList<RuleRecord & RaRecord>('availability_rules', {
        pagination: { page: 1, perPage: 200 }, sort: { field: 'weekday', order: 'ASC' }, filter: { service_id: id },
    }, { enabled: !!rulesRes });
    // Rules of every service (no service_id) apply here too: shown, changed from the rules list.
    const all = useGetList<RuleRecord & RaRecord>('availability_rules', {
        pagination: { page: 1, perPage: 200 }, sort: { field: 'weekday', order: 'ASC' }, filter: {},
    }, { enabled: !!rulesRes });
    if (!rulesRes) {
        return <Alert severity="info">Расписание недоступно для вашей роли.</Alert>;
    }
    const zone = typeof service.data?.timezone === 'string' && service.data.timezone ? service.data.timezone : PRACTICE_TIME_ZONE;
    const days = rulesToGrid([...(own.data ?? []), ...(all.data ?? []).filter(r => r.service_id === null)], id, PRACTICE_TIME_ZONE);
    const refetch = () => { void own.refetch(); void all.refetch(); };
    const title = typeof service.data?.title === 'string' ? service.data.title : '';
    return (
        <Box sx={{ py: 2, display: 'flex', flexDirection: 'column', gap: 2 }} data-testid="schedule-editor">
            <Title title={title ? `Расписание: ${title}` : 'Расписание'} />
            <Box sx={{ display: 'flex', alignItems: 'baseline', gap: 2, flexWrap: 'wrap' }}>
                <Typography variant="h5" component="h1">Расписание{title ? `: ${title}` : ''}</Typography>
                <Link to={`/services/${encodeURIComponent(id)}/show`}>К услуге</Link>
            </Box>
            <Typography variant="body2" color="text.secondary">
                Часы приёма по дням недели, время — {zone === 'Europe/Moscow' ? 'московское' : zone}. Клиенты видят свободные слоты внутри этих окон.
                Окно меняют так: удаляют его и добавляют новое.
            </Typography>
            {service.error && <Alert severity="error">{service.error instanceof Error ? service.error.message : 'Услуга не найдена'}</Alert>}
            {(own.isPending || all.isPending) && <LinearProgress />}
            {own.error && <Alert severity="error">{own.error instanceof Error ? own.error.message : 'Не удалось загрузить расписание'}</Alert>}
            <WeekGrid serviceId={id} days={days} zone={zone} canAdd={can(rulesRes, 'create')} canRemove={can(rulesRes, 'delete')} refetch={refetch} />
            {exceptionsRes && can(exceptionsRes, 'list') && (
                <Exceptions serviceId={id} zone={zone} canAdd={can(exceptionsRes, 'create')} canRemove={can(exceptionsRes, 'delete')} />
            )}
        </Box>
    );
}
