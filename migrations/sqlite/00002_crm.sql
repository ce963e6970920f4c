-- CRM: leads, the identities that recognise them, and their timeline.
-- Same tables and columns as migrations/postgres; UUIDs and JSON are TEXT, times TIMESTAMP in UTC.

-- +goose Up
CREATE TABLE leads (
    id               TEXT PRIMARY KEY,
    status           TEXT      NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'engaged', 'booked', 'client', 'lost')),
    source           TEXT      NOT NULL CHECK (length(source) BETWEEN 1 AND 32),
    utm              TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(utm) AND json_type(utm) = 'object'),
    notes            TEXT      NOT NULL DEFAULT '',
    -- The lead outlives the account it signed up with: deleting the user keeps the CRM history.
    user_id          TEXT      REFERENCES users (id) ON DELETE SET NULL,
    version          INTEGER   NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL
);
-- The CRM lists leads by status, most recently active first.
CREATE INDEX leads_status_activity_idx ON leads (status, last_activity_at);
CREATE INDEX leads_user_idx ON leads (user_id);

CREATE TABLE lead_identities (
    id         TEXT PRIMARY KEY,
    lead_id    TEXT      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind       TEXT      NOT NULL CHECK (kind IN ('email', 'phone', 'telegram', 'anonymous_id')),
    value      TEXT      NOT NULL CHECK (length(value) BETWEEN 1 AND 254),
    created_at TIMESTAMP NOT NULL
);
-- One identity belongs to one lead.
CREATE UNIQUE INDEX lead_identities_kind_value_key ON lead_identities (kind, value);
CREATE INDEX lead_identities_lead_idx ON lead_identities (lead_id);

CREATE TABLE lead_timeline_events (
    id              TEXT PRIMARY KEY,
    lead_id         TEXT      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind            TEXT      NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    occurred_at     TIMESTAMP NOT NULL,
    source_event_id TEXT,
    data            TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(data) AND json_type(data) = 'object'),
    created_at      TIMESTAMP NOT NULL
);
-- A subscriber that handles one domain event twice appends one entry.
CREATE UNIQUE INDEX lead_timeline_events_source_event_key ON lead_timeline_events (source_event_id);
CREATE INDEX lead_timeline_events_lead_idx ON lead_timeline_events (lead_id, occurred_at);

-- The timeline is history: entries are appended and deleted with their lead, never changed.
-- +goose StatementBegin
CREATE TRIGGER lead_timeline_events_append_only BEFORE UPDATE ON lead_timeline_events
BEGIN
    SELECT RAISE(ABORT, 'lead timeline events are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER lead_timeline_events_append_only;
DROP TABLE lead_timeline_events;
DROP TABLE lead_identities;
DROP TABLE leads;
