-- Full-text search of the public library in Russian.
-- An expression GIN index over the published items' title (weight A), summary (B) and body (C)
-- with the "russian" configuration (Snowball stemming). The library's query repeats the
-- expression exactly, so that the planner uses the index; no column is added, so the model and
-- the table keep the same columns.
-- Snowball gives "тревога" the stem "тревог" and "тревожность" the stem "тревожн": a search word
-- must also match the words derived from it. content_search_query turns the visitor's words
-- (letters and digits only, lower case, separated by spaces; the application makes them so) into
-- a query where each word's stem matches as a prefix, or with its final consonant alternated the
-- way Russian derivation alternates it (г, з, д → ж; к, т, ц → ч; х, с → ш; ст → щ): "тревога"
-- finds "тревожность", "страх" finds "страшно". Stop words drop out; all words must match.

-- +goose Up
CREATE INDEX content_items_search_idx ON content_items USING gin ((
    setweight(to_tsvector('russian', title), 'A') ||
    setweight(to_tsvector('russian', summary), 'B') ||
    setweight(to_tsvector('russian', body_markdown), 'C')))
    WHERE status = 'published';

-- +goose StatementBegin
CREATE FUNCTION content_search_query(words text) RETURNS tsquery
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_tsquery('simple', string_agg(
        CASE WHEN alt = stem THEN '''' || stem || ''':*'
             ELSE '(''' || stem || ''':* | ''' || alt || ''':*)' END, ' & '))
    FROM (
        SELECT stem, regexp_replace(regexp_replace(regexp_replace(regexp_replace(stem,
                   'ст$', 'щ'), '[гзд]$', 'ж'), '[ктц]$', 'ч'), '[хс]$', 'ш') AS alt
        FROM (
            -- The dictionaries of the "russian" configuration: English for ASCII words, Russian
            -- for the rest; a stop word has no stem.
            SELECT (ts_lexize(CASE WHEN w ~ '^[a-z0-9]+$' THEN 'english_stem' ELSE 'russian_stem' END::regdictionary, w))[1] AS stem
            FROM unnest(string_to_array(words, ' ')) AS w
            WHERE w <> ''
        ) stems
        WHERE stem IS NOT NULL AND stem <> ''
    ) terms
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION content_search_query(text);
DROP INDEX content_items_search_idx;
