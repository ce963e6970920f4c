import { fetchUtils, HttpError } from 'react-admin';
import { csrfToken } from '../auth/session';

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The body of an error answer: an RFC 9457 problem, or the 422 shape with `errors`. */
interface ProblemBody {
    type?: string;
    title?: string;
    detail?: string;
    errors?: Record<string, string> | unknown;
    current_version?: number;
}

/** A message for the person in front of the panel; the API's own `detail` is in English. */
export function problemMessage(status: number, body: ProblemBody | undefined): string {
    const type = body?.type ?? '';
    switch (status) {
        case 401:
            return 'Сессия закончилась. Войдите снова.';
        case 403:
            return type.endsWith('csrf') ? 'Страница устарела. Обновите её и повторите.' : 'Недостаточно прав для этого действия.';
        case 404:
            return 'Запись не найдена.';
        case 409:
            return type.endsWith('version-conflict')
                ? 'Запись уже изменил кто-то другой. Обновите страницу и внесите изменения снова.'
                : 'Это действие сейчас невозможно: запись в другом состоянии.';
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
            throw new HttpError(problemMessage(e.status, e.body as ProblemBody), e.status, e.body);
        }
        throw e;
    }
}
