import { LOCALE } from '../config';

const formatters = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string): Intl.NumberFormat {
    let f = formatters.get(currency);
    if (!f) {
        f = new Intl.NumberFormat(LOCALE, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
        formatters.set(currency, f);
    }
    return f;
}

/**
 * formatMoney shows an amount held in integer minor units (kopecks) the Russian way:
 * 500000 RUB → "5 000,00 ₽" (the spaces are non-breaking, as Intl writes them).
 * An empty value is an empty string.
 */
export function formatMoney(minor: number | null | undefined, currency = 'RUB'): string {
    if (minor === null || minor === undefined || Number.isNaN(minor)) {
        return '';
    }
    const sign = minor < 0 ? -1 : 1;
    const abs = Math.abs(Math.trunc(minor));
    // Whole units and the remainder separately, so no binary fraction creeps into the kopecks.
    const units = Math.floor(abs / 100);
    const cents = abs % 100;
    return moneyFormat(currency || 'RUB').format(sign * (units + cents / 100));
}

/** minorToUnits is what a money input shows: 500000 → 5000 (roubles, with kopecks as decimals). */
export function minorToUnits(minor: number | null | undefined): number | null {
    if (minor === null || minor === undefined || minor === ('' as unknown)) {
        return null;
    }
    return minor / 100;
}

/**
 * unitsToMinor turns what a person typed into a money input into minor units: "5 000,50" or
 * 5000.5 → 500050. Anything that is not a number is null (the server then says what is wrong).
 */
export function unitsToMinor(units: number | string | null | undefined): number | null {
    if (units === null || units === undefined || units === '') {
        return null;
    }
    const n = typeof units === 'number' ? units : Number(String(units).replace(/[\s\u00a0]/g, '').replace(',', '.'));
    if (!Number.isFinite(n)) {
        return null;
    }
    return Math.round(n * 100);
}
