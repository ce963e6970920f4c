// A message template as its recipient would get it, rendered by the server with the sample data
// of its key from the form's unsaved subject and bodies.
import { Box, FormHelperText, Paper, Typography } from '@mui/material';
import { FormDataConsumer, useRecordContext } from 'react-admin';
import { previewTemplate, useDebouncedPreview, type TemplateParts } from './preview';

function str(v: unknown): string | null {
    return typeof v === 'string' ? v : null;
}

/** templateParts: what the preview endpoint takes from the form's values. */
export function templateParts(values: Record<string, unknown>): TemplateParts {
    return { subject: str(values.subject), body_text: str(values.body_text), body_html: str(values.body_html) };
}

/**
 * A rendered HTML part in a sandboxed frame: the template is the staff's HTML, not sanitised, so
 * it gets no scripts and no access to the panel.
 */
function HtmlFrame({ html, title }: { html: string; title: string }) {
    return (
        <Box component="iframe" title={title} sandbox="" srcDoc={html}
            sx={{ width: '100%', minHeight: 240, border: 1, borderColor: 'divider', borderRadius: 1, bgcolor: '#fff' }} />
    );
}

export function TemplatePreviewPanel({ id, channel, parts }: { id: string; channel?: string; parts: TemplateParts }) {
    const preview = useDebouncedPreview(parts, p => previewTemplate(id, p));
    const v = preview.value;
    const telegram = channel === 'telegram';
    return (
        <Paper variant="outlined" sx={{ p: 2, width: '100%', bgcolor: 'background.default' }} data-testid="template-preview">
            <Typography variant="overline" component="div" color="text.secondary">
                Предпросмотр с примером данных{preview.pending ? ' · обновляется…' : ''}
            </Typography>
            {preview.error && <FormHelperText error role="alert">{preview.error}</FormHelperText>}
            {v && (
                <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1.5 }}>
                    {v.subject && <Typography><b>Тема:</b> {v.subject}</Typography>}
                    {telegram ? (
                        <HtmlFrame html={v.text} title="Сообщение в Telegram" />
                    ) : (
                        <Box component="pre" data-testid="template-preview-text"
                            sx={{ m: 0, p: 1, whiteSpace: 'pre-wrap', fontFamily: 'inherit', border: 1, borderColor: 'divider', borderRadius: 1 }}>
                            {v.text}
                        </Box>
                    )}
                    {v.html && <HtmlFrame html={v.html} title="HTML-версия письма" />}
                </Box>
            )}
        </Paper>
    );
}

/** TemplatePreview follows the edit form's values; put it inside the form. */
export function TemplatePreview() {
    const record = useRecordContext();
    if (!record?.id) {
        return null;
    }
    return (
        <FormDataConsumer>
            {({ formData }) => (
                <TemplatePreviewPanel id={String(record.id)} channel={typeof record.channel === 'string' ? record.channel : undefined}
                    parts={templateParts(formData as Record<string, unknown>)} />
            )}
        </FormDataConsumer>
    );
}
