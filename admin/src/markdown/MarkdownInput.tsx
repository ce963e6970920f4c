// A markdown field with a live preview beside it (below it on a narrow screen), rendered by the
// server exactly as the public site will show it.
import { Box, FormHelperText, Paper, TextField as MuiTextField, Typography } from '@mui/material';
import { FieldTitle, InputHelperText, useInput, type Validator } from 'react-admin';
import { previewMarkdown, useDebouncedPreview } from './preview';

export interface MarkdownInputProps {
    source: string;
    label: string;
    validate?: Validator | Validator[];
    helperText?: string;
}

/** MarkdownPreview shows the server's (sanitised) HTML of markdown and the reading time. */
export function MarkdownPreview({ markdown }: { markdown: string }) {
    const preview = useDebouncedPreview({ markdown }, i => previewMarkdown(i.markdown));
    return (
        <Paper variant="outlined" sx={{ p: 2, height: '100%', minHeight: 120, overflow: 'auto', bgcolor: 'background.default' }}>
            <Typography variant="overline" component="div" color="text.secondary">
                Предпросмотр{preview.value && markdown.trim() ? ` · чтение ≈ ${preview.value.reading_minutes} мин` : ''}
                {preview.pending ? ' · обновляется…' : ''}
            </Typography>
            {preview.error && <FormHelperText error>{preview.error}</FormHelperText>}
            <Box data-testid="markdown-preview" aria-live="polite"
                sx={{ '& img': { maxWidth: '100%' }, '& pre': { whiteSpace: 'pre-wrap' }, '& table': { borderCollapse: 'collapse' }, '& td, & th': { border: 1, borderColor: 'divider', px: 1 } }}
                // The server sanitises the HTML (no raw HTML, scripts, handlers or javascript: links).
                dangerouslySetInnerHTML={{ __html: preview.value?.html ?? '' }} />
        </Paper>
    );
}

export function MarkdownInput({ source, label, validate, helperText = 'Текст в формате Markdown: **жирный**, *курсив*, # заголовок, - список, [ссылка](https://…)' }: MarkdownInputProps) {
    const { id, field, fieldState: { error, invalid }, isRequired } = useInput({ source, validate });
    const value = typeof field.value === 'string' ? field.value : '';
    return (
        <Box sx={{ width: '100%', mb: 2 }} data-testid={`markdown-editor-${source}`}>
            <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: '1fr 1fr' }, alignItems: 'stretch' }}>
                <MuiTextField id={id} {...field} value={value} multiline minRows={12} fullWidth
                    label={<FieldTitle label={label} source={source} isRequired={isRequired} />}
                    error={invalid} helperText={<InputHelperText error={error?.message} helperText={helperText} />}
                    slotProps={{ input: { sx: { fontFamily: 'monospace', fontSize: '0.9rem' } } }} />
                <MarkdownPreview markdown={value} />
            </Box>
        </Box>
    );
}
