// Live previews through the admin API: markdown as the public site renders it, and a message
// template rendered with its key's sample data. Both are asked for after the typing pauses.
import { useEffect, useRef, useState } from 'react';
import { HttpError } from 'react-admin';
import { API_URL } from '../config';
import { httpClient } from '../providers/http';

export const PREVIEW_DELAY_MS = 400;

export interface MarkdownPreview {
    html: string;
    reading_minutes: number;
}

export async function previewMarkdown(markdown: string): Promise<MarkdownPreview> {
    const { json } = await httpClient(`${API_URL}/preview/markdown`, { method: 'POST', body: JSON.stringify({ markdown }) });
    return json as MarkdownPreview;
}

export interface TemplateParts {
    subject?: string | null;
    body_text?: string | null;
    body_html?: string | null;
}

export interface TemplatePreview {
    subject: string | null;
    text: string;
    html: string | null;
}

export async function previewTemplate(id: string, parts: TemplateParts): Promise<TemplatePreview> {
    const { json } = await httpClient(`${API_URL}/message_templates/${encodeURIComponent(id)}/preview`, {
        method: 'POST', body: JSON.stringify(parts),
    });
    return json as TemplatePreview;
}

export interface PreviewState<T> {
    value?: T;
    /** A message for people: the API's field errors of a 422, or what went wrong. */
    error?: string;
    pending: boolean;
}

/** previewError: a 422's field messages (already Russian) joined, or the request's message. */
export function previewError(e: unknown): string {
    if (e instanceof HttpError && e.status === 422) {
        const errors = (e.body as { errors?: Record<string, string> } | undefined)?.errors;
        if (errors && Object.keys(errors).length) {
            return Object.values(errors).join('; ');
        }
    }
    return e instanceof Error && e.message ? e.message : 'Не удалось показать предпросмотр';
}

/**
 * useDebouncedPreview calls load(input) once input (compared as JSON) has not changed for delay
 * ms, and keeps the answer of the latest call only (an older, slower answer is dropped).
 */
export function useDebouncedPreview<I, T>(input: I, load: (input: I) => Promise<T>, delay = PREVIEW_DELAY_MS, enabled = true): PreviewState<T> {
    const [state, setState] = useState<PreviewState<T>>({ pending: enabled });
    const seq = useRef(0);
    const key = JSON.stringify(input);
    const loadRef = useRef(load);
    loadRef.current = load;
    useEffect(() => {
        if (!enabled) {
            return undefined;
        }
        const mine = ++seq.current;
        setState(s => ({ ...s, pending: true }));
        const timer = setTimeout(() => {
            loadRef.current(JSON.parse(key) as I).then(
                value => { if (mine === seq.current) { setState({ value, pending: false }); } },
                e => { if (mine === seq.current) { setState(s => ({ value: s.value, error: previewError(e), pending: false })); } },
            );
        }, delay);
        return () => clearTimeout(timer);
    }, [key, delay, enabled]);
    return state;
}
