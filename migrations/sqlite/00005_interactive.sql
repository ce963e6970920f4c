-- Interactive: self-help tool definitions and the runs of clients through them. A run keeps only
-- its result; the answers are never stored.
-- Same tables and columns as migrations/postgres; UUIDs and JSON are TEXT, times TIMESTAMP in UTC.

-- +goose Up
CREATE TABLE interactive_definitions (
    id           TEXT PRIMARY KEY,
    slug         TEXT      NOT NULL CHECK (slug <> '' AND length(slug) <= 100 AND slug NOT GLOB '*[^a-z0-9-]*'
                                           AND slug NOT GLOB '-*' AND slug NOT GLOB '*-' AND slug NOT GLOB '*--*'),
    type         TEXT      NOT NULL CHECK (type IN ('quiz', 'navigator', 'thermometer', 'boundaries', 'prep', 'ritual')),
    title        TEXT      NOT NULL CHECK (title <> ''),
    -- A content topic by code: another context, so no foreign key.
    topic_code   TEXT,
    status       TEXT      NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at TIMESTAMP,
    config       TEXT      NOT NULL DEFAULT '{}',
    version      INTEGER   NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    CONSTRAINT interactive_definitions_published_at CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE UNIQUE INDEX interactive_definitions_slug_key ON interactive_definitions (slug);
CREATE INDEX interactive_definitions_type_idx ON interactive_definitions (type);
CREATE INDEX interactive_definitions_topic_code_idx ON interactive_definitions (topic_code);

-- "A user or an anonymous id" is checked by the model only: erasing a user sets user_id to NULL and
-- the run stays as an anonymous statistic.
CREATE TABLE interactive_runs (
    id               TEXT PRIMARY KEY,
    -- A definition that has runs is archived, not deleted. PostgreSQL says RESTRICT; SQLite reports
    -- a RESTRICT violation as a trigger failure, NO ACTION (checked at the end of the statement: the
    -- same refusal, as nothing here is deferred) as the foreign-key violation it is.
    definition_id    TEXT      NOT NULL REFERENCES interactive_definitions (id) ON DELETE NO ACTION,
    user_id          TEXT      REFERENCES users (id) ON DELETE SET NULL,
    anonymous_id     TEXT,
    status           TEXT      NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'completed', 'abandoned')),
    started_at       TIMESTAMP NOT NULL,
    completed_at     TIMESTAMP,
    result_level     TEXT      CHECK (result_level IN ('low', 'moderate', 'high')),
    result_profile   TEXT,
    crisis_triggered BOOLEAN   NOT NULL DEFAULT FALSE,
    duration_ms      INTEGER   CHECK (duration_ms >= 0),
    metadata         TEXT      NOT NULL DEFAULT '{}',
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
