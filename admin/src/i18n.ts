import polyglotI18nProvider from 'ra-i18n-polyglot';
import russianMessages from 'ra-language-russian';
import type { I18nProvider, TranslationMessages } from 'react-admin';
import type { AdminSchema } from './schema/types';

const messages: TranslationMessages = {
    ...russianMessages,
    ra: {
        ...russianMessages.ra,
        guesser: {
            ...russianMessages.ra.guesser,
            empty: { title: 'Нет данных', message: 'Проверьте подключение к серверу' },
        },
    },
};

const base = polyglotI18nProvider(() => messages, 'ru', [{ locale: 'ru', name: 'Русский' }], { allowMissing: true });

// Resource and field names come from the schema, which is only known after sign-in.
let names = new Map<string, { label: string; singular: string; fields: Map<string, string> }>();

/** useSchemaNames makes react-admin's titles and messages name resources as the schema does. */
export function setSchemaNames(schema: AdminSchema): void {
    names = new Map(schema.resources.map(r => [r.name, {
        label: r.label, singular: r.singular, fields: new Map(r.fields.map(f => [f.name, f.label])),
    }]));
}

/**
 * i18nProvider is react-admin's Russian pack; `resources.<name>.name` (with smart_count 1 the
 * singular) and `resources.<name>.fields.<field>` are answered from the schema.
 */
export const i18nProvider: I18nProvider = {
    ...base,
    translate: (key: string, options?: Record<string, unknown>) => {
        const m = /^resources\.([a-z_]+)\.(name|fields\.([a-z0-9_]+))$/.exec(key);
        const res = m ? names.get(m[1]) : undefined;
        if (m && res) {
            if (m[2] === 'name') {
                return options?.smart_count === 1 ? res.singular : res.label;
            }
            const label = res.fields.get(m[3]);
            if (label) {
                return label;
            }
        }
        return base.translate(key, options);
    },
};
