// The week calendar of appointments: Monday to Sunday in the practice's zone, an hours grid, each
// appointment a block coloured by its status that opens the appointment.
import ChevronLeft from '@mui/icons-material/ChevronLeft';
import ChevronRight from '@mui/icons-material/ChevronRight';
import { Alert, Box, Button, ButtonGroup, Card, Chip, FormControlLabel, LinearProgress, Switch, Typography } from '@mui/material';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Title, useGetList, type RaRecord } from 'react-admin';
import { useAppointmentNames } from './names';
import { choiceText, findResource, can } from '../schema/plan';
import { schema } from '../schema/store';
import { dayInZone, dayLabel, hhmm, hoursShown, mondayOf, placeInWeek, weekDays, weekLabel, weekRange, addDays } from './week';

type Rec = RaRecord & Record<string, unknown>;

const HOUR_PX = 48;

/** The statuses shown by default: what holds or held time. Canceled and moved ones on request. */
export const ACTIVE_STATUSES = ['pending_payment', 'confirmed', 'completed', 'no_show'];
export const ALL_STATUSES = [...ACTIVE_STATUSES, 'canceled', 'rescheduled'];

/** Block colours by status: a light background and a coloured edge; the text stays dark (contrast). */
export const STATUS_COLOURS: Record<string, { bg: string; border: string }> = {
    pending_payment: { bg: '#fff3e0', border: 'warning.main' },
    confirmed: { bg: '#e8f5e9', border: 'success.main' },
    completed: { bg: '#eceff1', border: 'grey.600' },
    no_show: { bg: '#ffebee', border: 'error.main' },
    canceled: { bg: '#fafafa', border: 'grey.400' },
    rescheduled: { bg: '#fafafa', border: 'grey.400' },
};

function validMonday(s: string | null): string | null {
    return s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)) ? mondayOf(s) : null;
}

export function WeekCalendar() {
    const s = schema();
    const appts = findResource(s, 'appointments');
    const [params, setParams] = useSearchParams();
    const [now] = useState(() => new Date());
    const today = dayInZone(now);
    const monday = validMonday(params.get('week')) ?? mondayOf(today);
    const [showCanceled, setShowCanceled] = useState(false);
    const range = weekRange(monday);
    const { data, isPending, error } = useGetList<Rec>('appointments', {
        pagination: { page: 1, perPage: 200 },
        sort: { field: 'start_at', order: 'ASC' },
        filter: { start_at_gte: range.start, start_at_lte: range.end, status: showCanceled ? ALL_STATUSES : ACTIVE_STATUSES },
    }, { enabled: !!appts });
    const rows = data ?? [];
    const names = useAppointmentNames(s, rows);
    const placed = placeInWeek(rows, monday);
    const hours = hoursShown(placed);
    const days = weekDays(monday);
    const go = (week: string) => setParams(p => { p.set('week', week); return p; });
    const canShow = !!appts && can(appts, 'show');

    if (!appts) {
        return <Alert severity="info">Календарь записей недоступен для вашей роли.</Alert>;
    }
    return (
        <Box sx={{ py: 2 }}>
            <Title title="Календарь" />
            <Box sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1, mb: 1 }}>
                <ButtonGroup variant="outlined" size="small" aria-label="Неделя">
                    <Button onClick={() => go(addDays(monday, -7))} data-testid="calendar-prev" startIcon={<ChevronLeft />}>Назад</Button>
                    <Button onClick={() => go(mondayOf(today))} data-testid="calendar-today">Эта неделя</Button>
                    <Button onClick={() => go(addDays(monday, 7))} data-testid="calendar-next" endIcon={<ChevronRight />}>Вперёд</Button>
                </ButtonGroup>
                <Typography variant="h6" component="h1" data-testid="calendar-week-label" sx={{ flexGrow: 1 }}>{weekLabel(monday)}</Typography>
                <FormControlLabel control={<Switch checked={showCanceled} onChange={e => setShowCanceled(e.target.checked)} />}
                    label="Отменённые и перенесённые" />
            </Box>
            <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, mb: 1 }} aria-label="Цвета статусов">
                {(showCanceled ? ALL_STATUSES : ACTIVE_STATUSES).map(st => (
                    <Chip key={st} size="small" label={choiceText(appts, 'status', st)}
                        sx={{ bgcolor: STATUS_COLOURS[st]?.bg, color: 'text.primary', border: 1, borderColor: STATUS_COLOURS[st]?.border }} />
                ))}
            </Box>
            {isPending && <LinearProgress />}
            {error && <Alert severity="error">{error instanceof Error ? error.message : 'Не удалось загрузить записи'}</Alert>}
            <Card variant="outlined" sx={{ overflowX: 'auto' }}>
                <Box sx={{ minWidth: 640, display: 'grid', gridTemplateColumns: '44px repeat(7, minmax(80px, 1fr))' }} data-testid="calendar-grid" data-week={monday}>
                    <Box />
                    {days.map(day => (
                        <Box key={day} data-testid="calendar-day-header" data-day={day}
                            sx={{ p: 0.5, textAlign: 'center', borderLeft: 1, borderBottom: 1, borderColor: 'divider', fontWeight: day === today ? 700 : 400, bgcolor: day === today ? 'action.selected' : undefined }}>
                            <Typography variant="body2" component="span">{dayLabel(day)}</Typography>
                        </Box>
                    ))}
                    <Box sx={{ position: 'relative', height: (hours.to - hours.from) * HOUR_PX }}>
                        {Array.from({ length: hours.to - hours.from }, (_, i) => (
                            <Typography key={i} variant="caption" color="text.secondary"
                                sx={{ position: 'absolute', top: i * HOUR_PX, right: 4, lineHeight: 1.2 }}>{hhmm((hours.from + i) * 60)}</Typography>
                        ))}
                    </Box>
                    {days.map((day, dayIndex) => (
                        <Box key={day} data-testid="calendar-day" data-day={day}
                            sx={{
                                position: 'relative', height: (hours.to - hours.from) * HOUR_PX, borderLeft: 1, borderColor: 'divider',
                                backgroundImage: 'linear-gradient(to bottom, rgba(0,0,0,0.08) 1px, transparent 1px)',
                                backgroundSize: `100% ${HOUR_PX}px`,
                            }}>
                            {placed.filter(p => p.dayIndex === dayIndex).map(p => {
                                const r = p.item;
                                const colours = STATUS_COLOURS[String(r.status)] ?? STATUS_COLOURS.completed;
                                const service = names.service(r) ?? 'Сеанс';
                                const client = names.client(r);
                                const status = choiceText(appts, 'status', r.status);
                                const time = `${hhmm(p.startMinute)}–${hhmm(p.endMinute)}`;
                                const label = [time, service, client, status].filter(Boolean).join(', ');
                                const top = ((p.startMinute - hours.from * 60) / 60) * HOUR_PX;
                                const height = Math.max(((p.endMinute - p.startMinute) / 60) * HOUR_PX - 2, 20);
                                return (
                                    <Box key={String(r.id)} component={canShow ? Link : 'div'}
                                        {...(canShow ? { to: `/appointments/${encodeURIComponent(String(r.id))}/show` } : {})}
                                        data-testid="calendar-event" data-id={String(r.id)} data-status={String(r.status)}
                                        aria-label={label} title={label}
                                        sx={{
                                            position: 'absolute', top, height,
                                            left: `calc(${(p.lane / p.lanes) * 100}% + 2px)`, width: `calc(${100 / p.lanes}% - 4px)`,
                                            bgcolor: colours.bg, color: 'text.primary', borderLeft: 4, borderColor: colours.border, borderRadius: 1,
                                            px: 0.5, overflow: 'hidden', textDecoration: r.status === 'canceled' || r.status === 'rescheduled' ? 'line-through' : 'none',
                                            fontSize: '0.75rem', lineHeight: 1.25, boxSizing: 'border-box',
                                            '&:hover, &:focus-visible': { boxShadow: 3, zIndex: 1 },
                                        }}>
                                        <b>{hhmm(p.startMinute)}</b> {service}
                                        {client && <Box component="span" sx={{ display: 'block' }}>{client}</Box>}
                                    </Box>
                                );
                            })}
                        </Box>
                    ))}
                </Box>
            </Card>
            {!isPending && !error && rows.length === 0 && (
                <Typography color="text.secondary" sx={{ mt: 1 }}>На этой неделе записей нет.</Typography>
            )}
            {rows.length >= 200 && (
                <Alert severity="warning" sx={{ mt: 1 }}>Показаны первые 200 записей недели.</Alert>
            )}
        </Box>
    );
}
