// The home screen: what needs the staff's attention today (and the bookings made lately), one card
// per thing, each only when the role may list it (dashboardQueries decides). Cards are lists, not tables: they read on a tablet.
import { Alert, Box, Card, CardContent, CardHeader, Chip, Grid, List, ListItemButton, ListItem, ListItemText, Skeleton, Typography } from '@mui/material';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { Title, useGetIdentity, useGetList, type RaRecord } from 'react-admin';
import { useAppointmentNames } from '../calendar/names';
import { dayLabel, hhmm, zonedTime } from '../calendar/week';
import { formatDateTime } from '../format';
import { choiceText, findResource } from '../schema/plan';
import { schema, schemaError } from '../schema/store';
import { dashboardQueries, sessionDays, type CardKey, type CardQuery } from './queries';

type Rec = RaRecord & Record<string, unknown>;

function Item({ q, record, primary, secondary, extra }: { q: CardQuery; record: Rec; primary: ReactNode; secondary?: ReactNode; extra?: ReactNode }) {
    const text = <ListItemText primary={primary} secondary={secondary} slotProps={{ primary: { sx: { overflowWrap: 'anywhere' } } }} />;
    if (!q.linkToShow) {
        return <ListItem data-testid="dashboard-item" data-id={String(record.id)}>{extra}{text}</ListItem>;
    }
    return (
        <ListItemButton component={Link} to={`/${q.resource}/${encodeURIComponent(String(record.id))}/show`}
            data-testid="dashboard-item" data-id={String(record.id)} sx={{ gap: 1 }}>
            {extra}{text}
        </ListItemButton>
    );
}

function CrisisMark() {
    return <Chip size="small" color="error" label="Кризис" data-testid="crisis-mark" title="Клиент написал о кризисном состоянии: ответьте в первую очередь" />;
}

function Sessions({ q, data }: { q: CardQuery; data: Rec[] }) {
    const s = schema();
    const appts = findResource(s, 'appointments');
    const names = useAppointmentNames(s, data);
    const [now] = useState(() => new Date());
    const { today, tomorrow } = sessionDays(now);
    return (
        <>
            {[today, tomorrow].map(day => {
                const items = data.filter(r => typeof r.start_at === 'string' && zonedTime(r.start_at).day === day);
                return (
                    <Box key={day} data-testid={day === today ? 'dashboard-sessions-today' : 'dashboard-sessions-tomorrow'}>
                        <Typography variant="subtitle2" sx={{ px: 2, pt: 1 }}>{day === today ? 'Сегодня' : 'Завтра'}, {dayLabel(day)}</Typography>
                        {items.length === 0
                            ? <Typography variant="body2" color="text.secondary" sx={{ px: 2, py: 1 }}>Сеансов нет</Typography>
                            : (
                                <List dense disablePadding>
                                    {items.map(r => {
                                        const start = zonedTime(r.start_at as string);
                                        const end = typeof r.end_at === 'string' ? zonedTime(r.end_at) : undefined;
                                        const time = end && end.day === start.day ? `${hhmm(start.minute)}–${hhmm(end.minute)}` : hhmm(start.minute);
                                        const service = names.service(r) ?? 'Сеанс';
                                        const client = names.client(r);
                                        return (
                                            <Item key={String(r.id)} q={q} record={r}
                                                primary={`${time} · ${service}`}
                                                secondary={[client, choiceText(appts, 'format', r.format)].filter(Boolean).join(' · ') || undefined}
                                                extra={r.status === 'pending_payment' ? <Chip size="small" color="warning" label="Ждёт оплаты" /> : undefined} />
                                        );
                                    })}
                                </List>
                            )}
                    </Box>
                );
            })}
        </>
    );
}

function Payments({ q, data }: { q: CardQuery; data: Rec[] }) {
    const s = schema();
    const names = useAppointmentNames(s, data);
    return (
        <List dense disablePadding>
            {data.map(r => (
                <Item key={String(r.id)} q={q} record={r}
                    primary={`${formatDateTime(r.start_at as string)} · ${names.service(r) ?? 'Сеанс'}`}
                    secondary={[names.client(r), r.hold_expires_at ? `бронь до ${formatDateTime(r.hold_expires_at as string)}` : '']
                        .filter(Boolean).join(' · ') || undefined} />
            ))}
        </List>
    );
}

function NewBookings({ q, data }: { q: CardQuery; data: Rec[] }) {
    const s = schema();
    const appts = findResource(s, 'appointments');
    const names = useAppointmentNames(s, data);
    return (
        <List dense disablePadding>
            {data.map(r => (
                <Item key={String(r.id)} q={q} record={r}
                    primary={`${formatDateTime(r.start_at as string)} · ${names.service(r) ?? 'Сеанс'}`}
                    secondary={[choiceText(appts, 'status', r.status), names.client(r), r.created_at ? `создана ${formatDateTime(r.created_at as string)}` : '']
                        .filter(Boolean).join(' · ') || undefined} />
            ))}
        </List>
    );
}

function Generic({ q, data }: { q: CardQuery; data: Rec[] }) {
    const res = findResource(schema(), q.resource);
    const line = (r: Rec): { primary: string; secondary?: string; crisis?: boolean } => {
        switch (q.key) {
            case 'moderation':
                return {
                    primary: choiceText(res, 'kind', r.kind) || 'Элемент модерации',
                    secondary: r.created_at ? `поступил ${formatDateTime(r.created_at as string)}` : undefined,
                    crisis: r.crisis === true,
                };
            case 'leads':
                return {
                    primary: typeof r.source === 'string' && r.source ? `Источник: ${r.source}` : 'Лид без источника',
                    secondary: r.created_at ? `создан ${formatDateTime(r.created_at as string)}` : undefined,
                };
            case 'jobs': {
                const what = [r.task, r.event, r.subscriber].filter(x => typeof x === 'string' && x).join(' → ');
                const attempts = typeof r.attempt === 'number' ? `попытка ${r.attempt}${typeof r.max_attempts === 'number' ? ` из ${r.max_attempts}` : ''}` : '';
                return {
                    primary: what || `Задача №${r.id}`,
                    secondary: [choiceText(res, 'state', r.state), attempts].filter(Boolean).join(' · ') || undefined,
                };
            }
            case 'deliveries':
                return {
                    primary: [choiceText(res, 'channel', r.channel), r.template_key].filter(Boolean).join(': ') || 'Сообщение',
                    secondary: [r.recipient_ref, r.created_at ? formatDateTime(r.created_at as string) : ''].filter(Boolean).join(' · ') || undefined,
                };
            default:
                return { primary: String(r.id) };
        }
    };
    return (
        <List dense disablePadding>
            {data.map(r => {
                const l = line(r);
                return <Item key={String(r.id)} q={q} record={r} primary={l.primary} secondary={l.secondary} extra={l.crisis ? <CrisisMark /> : undefined} />;
            })}
        </List>
    );
}

/** Cards that inform rather than ask for action: their count is not a warning. */
const informational = new Set<CardKey>(['sessions', 'new-bookings']);

function DashboardCard({ q }: { q: CardQuery }) {
    const { data, total, isPending, error } = useGetList<Rec>(q.resource, {
        pagination: { page: 1, perPage: q.perPage }, sort: q.sort, filter: q.filter,
    });
    const rows = data ?? [];
    let body: ReactNode;
    if (isPending) {
        body = <Box sx={{ px: 2 }}><Skeleton /><Skeleton /></Box>;
    } else if (error) {
        body = <Alert severity="error" sx={{ mx: 2 }}>{error instanceof Error ? error.message : 'Не удалось загрузить'}</Alert>;
    } else if (q.key === 'sessions') {
        body = <Sessions q={q} data={rows} />;
    } else if (rows.length === 0) {
        body = <Typography variant="body2" color="text.secondary" sx={{ px: 2 }}>{q.empty}</Typography>;
    } else if (q.key === 'payments') {
        body = <Payments q={q} data={rows} />;
    } else if (q.key === 'new-bookings') {
        body = <NewBookings q={q} data={rows} />;
    } else {
        body = <Generic q={q} data={rows} />;
    }
    const count = total ?? rows.length;
    return (
        <Card variant="outlined" data-testid={q.testId} component="section" aria-labelledby={`${q.testId}-title`} sx={{ height: '100%' }}>
            <CardHeader sx={{ pb: 0 }}
                title={<Typography id={`${q.testId}-title`} variant="h6" component="h2">{q.title}</Typography>}
                action={!isPending && !error ? <Chip label={count} color={count > 0 && !informational.has(q.key) ? 'warning' : 'default'} size="small" data-testid={`${q.testId}-count`} aria-label={`Всего: ${count}`} sx={{ mt: 1 }} /> : undefined} />
            <CardContent sx={{ px: 0, pt: 1, '&:last-child': { pb: 1 } }}>
                {body}
                {count > rows.length && (
                    <Typography variant="body2" sx={{ px: 2, pt: 1 }}>
                        <Link to={q.listPath}>Показать все ({count})</Link>
                    </Typography>
                )}
            </CardContent>
        </Card>
    );
}

export function Dashboard() {
    const { identity } = useGetIdentity();
    const error = schemaError();
    const [now] = useState(() => new Date());
    const cards = dashboardQueries(schema(), now);
    return (
        <Box sx={{ pb: 2 }}>
            <Title title="Главная" />
            <Typography variant="h5" component="h1" sx={{ my: 2 }}>
                {identity?.fullName ? `Здравствуйте, ${identity.fullName}` : 'Здравствуйте'}
            </Typography>
            {error && <Alert severity="error" sx={{ mb: 2 }}>{error}</Alert>}
            {!error && cards.length === 0 && (
                <Typography color="text.secondary">Разделы панели — в меню слева.</Typography>
            )}
            <Grid container spacing={2}>
                {cards.map(q => (
                    <Grid key={q.key} size={{ xs: 12, sm: q.key === 'sessions' ? 12 : 6, lg: q.key === 'sessions' ? 8 : 4 }}>
                        <DashboardCard q={q} />
                    </Grid>
                ))}
            </Grid>
        </Box>
    );
}
