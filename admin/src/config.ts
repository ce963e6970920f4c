// Constants of the practice that the panel shows everything in: one place to change them.

/** The practice's time zone: every date and time in the panel is shown (and entered) in it. */
export const PRACTICE_TIME_ZONE = 'Europe/Moscow';

/** The locale of every label, number, amount and date. */
export const LOCALE = 'ru-RU';

/** The admin API, on the same origin as the panel. */
export const API_URL = '/admin/api';

/** Where the panel is mounted (Vite's `base` without the trailing slash). */
export const BASENAME = '/admin';
