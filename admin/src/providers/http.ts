import { fetchUtils, HttpError } from 'react-admin';
import { csrfToken } from '../auth/session';

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The body of an error answer: an RFC 9457 problem. The admin API's 422 names its fields as an
 * object ({"slug": "обязательное поле"}); other problems list them ([{field, message}]).
 */
interface ProblemBody {
    type?: string;
    title?: string;
    detail?: string;
    /** For people, in Russian: why a 409 refused (a state, a record still in use, a version). */
    message?: string;
    errors?: Record<string, string> | { field?: string; message?: string }[] | unknown;
    current_version?: number;
}

/** The field messages of a problem, in either shape, as {field: message}. */
export function problemFieldErrors(body: unknown): Record<string, string> {
    const errors = (body as ProblemBody | undefined)?.errors;
    const out: Record<string, string> = {};
    if (Array.isArray(errors)) {
        for (const e of errors) {
            if (e && typeof e.field === 'string' && typeof e.message === 'string' && !(e.field in out)) {
                out[e.field] = e.message;
            }
        }
    } else if (errors && typeof errors === 'object') {
        for (const [field, message] of Object.entries(errors)) {
            if (typeof message === 'string') {
                out[field] = message;
            }
        }
    }
    return out;
}

/** fieldErrors: the field messages of a failed request (an HttpError from httpClient), else none. */
export function fieldErrors(e: unknown): Record<string, string> {
    if (!(e instanceof HttpError)) {
        return {};
    }
    const moved = (e.body as { field_errors?: Record<string, string> } | undefined)?.field_errors;
    return { ...problemFieldErrors(e.body), ...moved };
}

/**
 * A message for the person in front of the panel: the problem's own `message` (Russian) when it
 * has one, else a field's message of a refusal, else a Russian text for the status (the API's
 * `detail` is in English).
 */
export function problemMessage(status: number, body: ProblemBody | undefined): string {
    if (typeof body?.message === 'string' && body.message.trim()) {
        return body.message;
    }
    const type = body?.type ?? '';
    switch (status) {
        case 401:
            return 'Сессия закончилась. Войдите снова.';
        case 403:
            return type.endsWith('csrf') ? 'Страница устарела. Обновите её и повторите.' : 'Недостаточно прав для этого действия.';
        case 404:
            return 'Запись не найдена.';
        case 409: {
            const field = Object.values(problemFieldErrors(body))[0];
            if (field) {
                return field;
            }
            return type.endsWith('version-conflict')
                ? 'Запись уже изменил кто-то другой. Обновите страницу и внесите изменения снова.'
                : 'Это действие сейчас невозможно: запись в другом состоянии.';
        }
        case 413:
            return 'Слишком большой запрос.';
        case 422:
            return 'Проверьте поля формы.';
        case 429:
            return 'Слишком много попыток. Попробуйте позже.';
        case 503:
            return 'Сервис временно недоступен. Попробуйте позже.';
        default:
            return status >= 500 ? 'Ошибка сервера. Попробуйте ещё раз.' : 'Запрос не выполнен.';
    }
}

/**
 * errorBody is the body an HttpError carries. react-admin puts `errors` beside a form's fields
 * (and then shows no message), so only a 422 keeps them there, as {field: message}; the field of
 * any other refusal (a 409 naming the field that caused it) moves to `field_errors`, and the
 * refusal's message is shown as a notification.
 */
function errorBody(status: number, body: unknown): unknown {
    if (!body || typeof body !== 'object' || !('errors' in body)) {
        return body;
    }
    const rest: Record<string, unknown> = { ...body };
    delete rest.errors;
    const errors = problemFieldErrors(body);
    return status === 422 ? { ...rest, errors } : { ...rest, field_errors: errors };
}

/**
 * httpClient is fetchJson on the same origin with the session cookie and, on unsafe requests,
 * the CSRF token. Errors become HttpError with a Russian message and the problem as the body, so
 * react-admin puts a 422's `errors` beside the fields.
 */
export async function httpClient(url: string, options: fetchUtils.Options = {}) {
    const headers = new Headers(options.headers ?? { Accept: 'application/json' });
    const method = (options.method ?? 'GET').toUpperCase();
    if (unsafe.has(method) && csrfToken()) {
        headers.set('X-CSRF-Token', csrfToken());
    }
    try {
        return await fetchUtils.fetchJson(url, { ...options, headers, credentials: 'same-origin' });
    } catch (e) {
        if (e instanceof HttpError) {
            throw new HttpError(problemMessage(e.status, e.body as ProblemBody), e.status, errorBody(e.status, e.body));
        }
        throw e;
    }
}
