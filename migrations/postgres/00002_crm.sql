-- CRM: leads, the identities that recognise them, and their timeline.

-- +goose Up
CREATE TABLE leads (
    id               uuid PRIMARY KEY,
    status           text        NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'engaged', 'booked', 'client', 'lost')),
    source           text        NOT NULL CHECK (length(source) BETWEEN 1 AND 32),
    utm              jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(utm) = 'object'),
    notes            text        NOT NULL DEFAULT '',
    -- The lead outlives the account it signed up with: deleting the user keeps the CRM history.
    user_id          uuid        REFERENCES users (id) ON DELETE SET NULL,
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL
);
-- The CRM lists leads by status, most recently active first.
CREATE INDEX leads_status_activity_idx ON leads (status, last_activity_at);
CREATE INDEX leads_user_idx ON leads (user_id);

CREATE TABLE lead_identities (
    id         uuid PRIMARY KEY,
    lead_id    uuid        NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('email', 'phone', 'telegram', 'anonymous_id')),
    value      text        NOT NULL CHECK (length(value) BETWEEN 1 AND 254),
    created_at timestamptz NOT NULL
);
-- One identity belongs to one lead.
CREATE UNIQUE INDEX lead_identities_kind_value_key ON lead_identities (kind, value);
CREATE INDEX lead_identities_lead_idx ON lead_identities (lead_id);

CREATE TABLE lead_timeline_events (
    id              uuid PRIMARY KEY,
    lead_id         uuid        NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind            text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    occurred_at     timestamptz NOT NULL,
    source_event_id uuid,
    data            jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    created_at      timestamptz NOT NULL
);
-- A subscriber that handles one domain event twice appends one entry.
CREATE UNIQUE INDEX lead_timeline_events_source_event_key ON lead_timeline_events (source_event_id);
CREATE INDEX lead_timeline_events_lead_idx ON lead_timeline_events (lead_id, occurred_at);

-- The timeline is history: entries are appended and deleted with their lead, never changed.
-- +goose StatementBegin
CREATE FUNCTION lead_timeline_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lead timeline events are append-only' USING ERRCODE = 'check_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER lead_timeline_events_append_only BEFORE UPDATE ON lead_timeline_events
    FOR EACH ROW EXECUTE FUNCTION lead_timeline_events_append_only();

-- +goose Down
DROP TABLE lead_timeline_events;
DROP FUNCTION lead_timeline_events_append_only();
DROP TABLE lead_identities;
DROP TABLE leads;
