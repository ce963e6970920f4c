// Schemas as GET /admin/api/schema answers them for the owner and the assistant (trimmed to a
// few resources), for the generation tests.
import type { AdminField, AdminResource, AdminSchema } from './types';

const f = (name: string, label: string, type: AdminField['type'], flags: string, extra: Partial<AdminField> = {}): AdminField => ({
    name, label, type,
    list: flags.includes('l'), sortable: flags.includes('s'), filterable: flags.includes('f'),
    searchable: flags.includes('q'), editable: flags.includes('e'), required: flags.includes('r'),
    p2: flags.includes('p'),
    ...extra,
});

const serviceStatus = [
    { value: 'draft', label: 'Черновик' }, { value: 'published', label: 'Опубликована' }, { value: 'archived', label: 'В архиве' },
];
const apptStatus = [
    { value: 'pending_payment', label: 'Ждёт оплаты' }, { value: 'confirmed', label: 'Подтверждена' },
    { value: 'canceled', label: 'Отменена' }, { value: 'completed', label: 'Состоялась' },
];

export const services: AdminResource = {
    name: 'services', label: 'Услуги', singular: 'Услуга', verbs: ['list', 'show', 'create', 'update'], default_sort: 'title',
    title_field: 'title', state_field: 'status',
    fields: [
        f('id', 'ID', 'id', ''),
        f('slug', 'Адрес', 'text', 'lsqer'),
        f('title', 'Название', 'text', 'lsqer'),
        f('description_markdown', 'Описание', 'markdown', 'e'),
        f('format', 'Формат', 'enum', 'lfer', { choices: [{ value: 'online', label: 'Онлайн' }, { value: 'offline', label: 'Очно' }] }),
        f('duration_minutes', 'Длительность, мин', 'integer', 'lser'),
        f('price_minor', 'Цена', 'money', 'lser'),
        f('currency', 'Валюта', 'text', 'e'),
        f('status', 'Статус', 'enum', 'lsf', { choices: serviceStatus }),
        f('published_at', 'Опубликована', 'datetime', ''),
        f('created_at', 'Создана', 'datetime', 's'),
    ],
    actions: [
        { name: 'publish', label: 'Опубликовать', states: ['draft'], fields: [] },
        { name: 'archive', label: 'В архив', states: ['draft', 'published'], fields: [] },
    ],
};

const appointments = (cancelFields: AdminField[]): AdminResource => ({
    name: 'appointments', label: 'Записи', singular: 'Запись', verbs: ['list', 'show', 'update'], default_sort: '-start_at',
    title_field: 'start_at', state_field: 'status',
    fields: [
        f('id', 'ID', 'id', ''),
        f('service_id', 'Услуга', 'reference', 'lf', { reference: 'services' }),
        f('client_user_id', 'Клиент', 'reference', 'lf', { reference: 'users' }),
        f('start_at', 'Начало', 'datetime', 'lsf'),
        f('status', 'Статус', 'enum', 'lsf', { choices: apptStatus }),
        f('meeting_url', 'Ссылка на встречу', 'text', 'e'),
        f('version', 'Версия', 'integer', ''),
        f('created_at', 'Создана', 'datetime', 's'),
    ],
    actions: [
        { name: 'cancel', label: 'Отменить', states: ['pending_payment', 'confirmed'], fields: cancelFields },
        { name: 'complete', label: 'Состоялась', states: ['confirmed'], fields: [] },
        { name: 'resend', label: 'Отправить напоминание', states: [], fields: [] },
    ],
});

export const intakeForms: AdminResource = {
    name: 'intake_forms', label: 'Анкеты', singular: 'Анкета', verbs: ['list', 'show'], default_sort: '-updated_at',
    fields: [
        f('id', 'ID', 'id', ''),
        f('appointment_id', 'Запись', 'reference', 'lf', { reference: 'appointments' }),
        f('status', 'Статус', 'enum', 'lf', { choices: [{ value: 'draft', label: 'Черновик' }] }),
        f('payload', 'Ответы', 'json', 'p'),
        f('updated_at', 'Изменена', 'datetime', 'ls'),
    ],
    actions: [],
};

const users = (verbs: AdminResource['verbs']): AdminResource => ({
    name: 'users', label: 'Пользователи', singular: 'Пользователь', verbs, default_sort: '-created_at',
    fields: [
        f('id', 'ID', 'id', ''),
        f('display_name', 'Имя', 'text', 'lsq'),
        f('email', 'E-mail', 'text', 'lsq'),
        f('password_set', 'Пароль задан', 'boolean', 'f'),
        f('created_at', 'Создан', 'datetime', 'lsf'),
    ],
    actions: [],
});

export const availabilityRules: AdminResource = {
    name: 'availability_rules', label: 'Часы приёма', singular: 'Окно приёма', verbs: ['list', 'show', 'create', 'delete'], default_sort: 'weekday',
    fields: [
        f('id', 'ID', 'id', ''),
        f('service_id', 'Услуга', 'reference', 'lfer', { reference: 'services' }),
        f('weekday', 'День недели', 'integer', 'lsfer'),
        f('valid_from', 'Действует с', 'date', 'lef'),
    ],
    actions: [],
    // Inputs only for create, when they differ from the editable fields.
    create_fields: [
        f('service_id', 'Услуга', 'reference', 'er', { reference: 'services' }),
        f('weekdays', 'Дни недели', 'json', 'er'),
        f('price_minor', 'Доплата', 'money', 'e'),
    ],
};

const reason = f('reason', 'Причина', 'long_text', 'er');

export const ownerSchema: AdminSchema = {
    resources: [services, availabilityRules, appointments([reason]), intakeForms, users(['list', 'show'])],
};

// The assistant: no intake forms (P2), and the client list is not hers to read.
export const assistantSchema: AdminSchema = {
    resources: [services, availabilityRules, appointments([])],
};
