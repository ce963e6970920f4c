// The intake form of an appointment, read as questions and answers, on the appointment's screen.
// Only for a role whose schema has intake_forms (the owner): for anyone else this renders nothing
// and asks nothing. Reading the answers is audited by the server (P2).
import { Alert, Box, Card, CardContent, CardHeader, Chip, Skeleton, Typography } from '@mui/material';
import { useGetList, useGetOne, useRecordContext, type RaRecord } from 'react-admin';
import { formatDateTime } from '../format';
import { can, choiceText, findResource } from '../schema/plan';
import { schema } from '../schema/store';
import type { AdminSchema } from '../schema/types';
import { intakeQA, type QA } from './qa';

/** mayReadIntake: the role's schema lets it find an appointment's form and read its answers. */
export function mayReadIntake(s: AdminSchema): boolean {
    const res = findResource(s, 'intake_forms');
    return !!res && can(res, 'list') && can(res, 'show') && res.fields.some(f => f.name === 'payload');
}

export function IntakeAnswersList({ qa }: { qa: QA[] }) {
    return (
        <Box component="dl" data-testid="intake-answers" sx={{ m: 0 }}>
            {qa.map(q => (
                <Box key={q.code} data-testid="intake-answer" data-code={q.code} sx={{ py: 1, borderBottom: 1, borderColor: 'divider' }}>
                    <Typography component="dt" variant="subtitle2" sx={q.known ? undefined : { fontFamily: 'monospace' }}>{q.question}</Typography>
                    <Typography component="dd" variant="body1" sx={{ m: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} color={q.empty ? 'text.secondary' : undefined}>
                        {q.empty ? 'нет ответа' : q.answer.length > 1
                            ? <Box component="ul" sx={{ m: 0, pl: 3 }}>{q.answer.map((a, i) => <li key={i}>{a}</li>)}</Box>
                            : q.answer[0]}
                    </Typography>
                </Box>
            ))}
        </Box>
    );
}

function IntakeForm({ id }: { id: string }) {
    const { data, isPending, error } = useGetOne('intake_forms', { id });
    if (isPending) {
        return <Skeleton height={80} />;
    }
    if (error || !data) {
        return <Alert severity="error">{error instanceof Error ? error.message : 'Не удалось загрузить анкету'}</Alert>;
    }
    const qa = intakeQA(data.payload);
    return qa.length === 0
        ? <Typography color="text.secondary">Ответов в анкете нет.</Typography>
        : <IntakeAnswersList qa={qa} />;
}

function Section({ appointmentId }: { appointmentId: string }) {
    const res = findResource(schema(), 'intake_forms');
    const { data, isPending, error } = useGetList<RaRecord & Record<string, unknown>>('intake_forms', {
        pagination: { page: 1, perPage: 1 }, sort: { field: 'updated_at', order: 'DESC' }, filter: { appointment_id: appointmentId },
    });
    const form = data?.[0];
    return (
        <Card variant="outlined" sx={{ mt: 2, borderLeft: 3, borderLeftColor: 'warning.main' }} data-testid="intake-form" component="section" aria-labelledby="intake-title">
            <CardHeader
                title={<Typography id="intake-title" variant="h6" component="h2">Анкета клиента</Typography>}
                subheader={form ? [choiceText(res, 'status', form.status), form.submitted_at ? `отправлена ${formatDateTime(form.submitted_at as string)}` : '']
                    .filter(Boolean).join(', ') : undefined}
                action={<Chip size="small" color="warning" variant="outlined" label="P2 · конфиденциально" sx={{ mt: 1 }}
                    title="Данные о состоянии клиента: видит только владелец, каждое чтение записывается в журнал" />} />
            <CardContent sx={{ pt: 0 }}>
                {isPending && <Skeleton height={40} />}
                {error && <Alert severity="error">{error instanceof Error ? error.message : 'Не удалось загрузить анкету'}</Alert>}
                {!isPending && !error && !form && <Typography color="text.secondary">Клиент ещё не заполнял анкету.</Typography>}
                {form && <IntakeForm id={String(form.id)} />}
            </CardContent>
        </Card>
    );
}

/** IntakeSection goes inside an appointment's show screen (its record context). */
export function IntakeSection() {
    const record = useRecordContext();
    if (!mayReadIntake(schema()) || !record?.id) {
        return null;
    }
    return <Section appointmentId={String(record.id)} />;
}
