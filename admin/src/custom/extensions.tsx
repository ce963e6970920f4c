// The hand-made screens and where they plug into the generated ones. The generated screens stay
// generic: they ask this module for extra buttons, sections, inputs and routes by resource name,
// and get nothing for a resource (or a role) without hand-made parts.
import ScheduleIcon from '@mui/icons-material/EventNote';
import type { ReactElement } from 'react';
import { Link, Route } from 'react-router-dom';
import { Button, CustomRoutes, TextInput, useRecordContext, type Validator } from 'react-admin';
import { WeekCalendar } from '../calendar/WeekCalendar';
import { IntakeSection, mayReadIntake } from '../intake/IntakeSection';
import { TemplatePreview } from '../markdown/TemplatePreview';
import { can, findResource, type InputSpec } from '../schema/plan';
import { ScheduleEditor } from '../schedule/ScheduleEditor';
import type { AdminResource, AdminSchema } from '../schema/types';

/** The calendar is for roles that may list appointments. */
export function hasCalendar(schema: AdminSchema): boolean {
    const appts = findResource(schema, 'appointments');
    return !!appts && can(appts, 'list');
}

/** The schedule editor needs the weekly rules. */
export function hasScheduleEditor(schema: AdminSchema): boolean {
    const rules = findResource(schema, 'availability_rules');
    return !!rules && can(rules, 'list');
}

/** The routes of the hand-made screens the role may use (inside the layout). */
export function customRoutes(schema: AdminSchema): ReactElement[] {
    const routes: ReactElement[] = [];
    if (hasCalendar(schema)) {
        routes.push(<Route key="calendar" path="/calendar" element={<WeekCalendar />} />);
    }
    if (hasScheduleEditor(schema)) {
        routes.push(<Route key="schedule" path="/services/:id/schedule" element={<ScheduleEditor />} />);
    }
    return routes.length ? [<CustomRoutes key="hand-made">{routes}</CustomRoutes>] : [];
}

function ScheduleButton() {
    const record = useRecordContext();
    if (!record?.id) {
        return null;
    }
    return (
        <Button label="Расписание" component={Link} to={`/services/${encodeURIComponent(String(record.id))}/schedule`}
            data-testid="service-schedule-link"><ScheduleIcon /></Button>
    );
}

/** Buttons added to a record's show screen. */
export function showActions(schema: AdminSchema, res: AdminResource): ReactElement[] {
    if (res.name === 'services' && hasScheduleEditor(schema)) {
        return [<ScheduleButton key="schedule" />];
    }
    return [];
}

/** Sections below a record's fields on its show screen. */
export function showSections(schema: AdminSchema, res: AdminResource): ReactElement[] {
    if (res.name === 'appointments' && mayReadIntake(schema)) {
        return [<IntakeSection key="intake" />];
    }
    return [];
}

/** An input that replaces the generated one in a resource's forms. */
export function formInput(res: AdminResource, spec: InputSpec, validate: Validator[]): ReactElement | undefined {
    if (res.name === 'message_templates' && (spec.field.name === 'body_text' || spec.field.name === 'body_html')) {
        return (
            <TextInput key={spec.field.name} source={spec.field.name} label={spec.field.label} validate={validate}
                multiline minRows={spec.field.name === 'body_html' ? 10 : 6} fullWidth
                helperText="Подстановки данных — в двойных фигурных скобках {{…}}; предпросмотр ниже"
                slotProps={{ input: { sx: { fontFamily: 'monospace', fontSize: '0.9rem' } } }} />
        );
    }
    return undefined;
}

/** Elements added after the inputs of a resource's edit form. */
export function formExtras(res: AdminResource, mode: 'edit' | 'create'): ReactElement[] {
    if (res.name === 'message_templates' && mode === 'edit') {
        return [<TemplatePreview key="template-preview" />];
    }
    return [];
}
