-- Client cabinet: the private diary (P2) and data export requests.
-- Same tables and columns as migrations/postgres; UUIDs are TEXT, times TIMESTAMP in UTC.

-- +goose Up
CREATE TABLE diary_entries (
    id         TEXT PRIMARY KEY,
    user_id    TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The day the entry is about, in the client's zone.
    entry_date DATE      NOT NULL,
    -- P2: body, mood and tags are Fernet tokens.
    body       TEXT      NOT NULL,
    mood       TEXT,
    tags       TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX diary_entries_user_date_idx ON diary_entries (user_id, entry_date);

CREATE TABLE data_export_requests (
    id             TEXT PRIMARY KEY,
    user_id        TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status         TEXT      NOT NULL CHECK (status IN ('requested', 'processing', 'ready', 'failed', 'expired')),
    requested_at   TIMESTAMP NOT NULL,
    started_at     TIMESTAMP,
    completed_at   TIMESTAMP,
    expires_at     TIMESTAMP,
    file_ref       TEXT,
    failure_reason TEXT,
    version        INTEGER   NOT NULL DEFAULT 1,
    CHECK (status = 'requested' OR started_at IS NOT NULL),
    CHECK (status NOT IN ('ready', 'expired') OR (file_ref IS NOT NULL AND expires_at IS NOT NULL AND completed_at IS NOT NULL)),
    CHECK (status <> 'failed' OR (failure_reason IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX data_export_requests_user_idx ON data_export_requests (user_id, requested_at);
CREATE INDEX data_export_requests_status_idx ON data_export_requests (status, requested_at);
-- One open request per user, guaranteed by the database rather than a check-then-insert.
CREATE UNIQUE INDEX data_export_requests_open_key ON data_export_requests (user_id)
    WHERE status IN ('requested', 'processing');

-- +goose Down
DROP TABLE data_export_requests;
DROP TABLE diary_entries;
