-- Interactive: self-help tool definitions and the runs of clients through them. A run keeps only
-- its result; the answers are never stored.

-- +goose Up
CREATE TABLE interactive_definitions (
    id           uuid PRIMARY KEY,
    slug         text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
    type         text        NOT NULL CHECK (type IN ('quiz', 'navigator', 'thermometer', 'boundaries', 'prep', 'ritual')),
    title        text        NOT NULL CHECK (title <> ''),
    -- A content topic by code: another context, so no foreign key.
    topic_code   text,
    status       text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at timestamptz,
    config       jsonb       NOT NULL DEFAULT '{}',
    version      integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT interactive_definitions_published_at CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE UNIQUE INDEX interactive_definitions_slug_key ON interactive_definitions (slug);
CREATE INDEX interactive_definitions_type_idx ON interactive_definitions (type);
CREATE INDEX interactive_definitions_topic_code_idx ON interactive_definitions (topic_code);

-- "A user or an anonymous id" is checked by the model only: erasing a user sets user_id to NULL and
-- the run stays as an anonymous statistic.
CREATE TABLE interactive_runs (
    id               uuid PRIMARY KEY,
    -- A definition that has runs is archived, not deleted.
    definition_id    uuid        NOT NULL REFERENCES interactive_definitions (id) ON DELETE RESTRICT,
    user_id          uuid        REFERENCES users (id) ON DELETE SET NULL,
    anonymous_id     text,
    status           text        NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'completed', 'abandoned')),
    started_at       timestamptz NOT NULL,
    completed_at     timestamptz,
    result_level     text        CHECK (result_level IN ('low', 'moderate', 'high')),
    result_profile   text,
    crisis_triggered boolean     NOT NULL DEFAULT FALSE,
    duration_ms      bigint      CHECK (duration_ms >= 0),
    metadata         jsonb       NOT NULL DEFAULT '{}',
    -- Completed runs, and only they, have a completion time and a result.
    CONSTRAINT interactive_runs_completed_at CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT interactive_runs_result_when_completed CHECK (
        status = 'completed' OR (result_level IS NULL AND result_profile IS NULL AND NOT crisis_triggered))
);
CREATE INDEX interactive_runs_definition_idx ON interactive_runs (definition_id, started_at);
CREATE INDEX interactive_runs_user_idx ON interactive_runs (user_id, started_at);
CREATE INDEX interactive_runs_anonymous_idx ON interactive_runs (anonymous_id);
CREATE INDEX interactive_runs_status_idx ON interactive_runs (status, started_at);

-- +goose Down
DROP TABLE interactive_runs;
DROP TABLE interactive_definitions;
