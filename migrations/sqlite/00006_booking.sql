-- Booking and payments: services, availability, appointments (never two active ones overlapping),
-- payments, refunds, intake forms (P2), the waitlist and webhook idempotency.
-- Same tables and columns as migrations/postgres; UUIDs are TEXT, times TIMESTAMP in UTC.

-- +goose Up
CREATE TABLE services (
    id                   TEXT PRIMARY KEY,
    slug                 TEXT      NOT NULL,
    title                TEXT      NOT NULL,
    description_markdown TEXT      NOT NULL DEFAULT '',
    format               TEXT      NOT NULL CHECK (format IN ('online', 'offline', 'hybrid')),
    duration_minutes     INTEGER   NOT NULL CHECK (duration_minutes > 0),
    price_minor          INTEGER   NOT NULL CHECK (price_minor >= 0),
    deposit_minor        INTEGER   CHECK (deposit_minor >= 0 AND deposit_minor <= price_minor),
    currency             TEXT      NOT NULL DEFAULT 'RUB' CHECK (length(currency) = 3),
    cancel_free_hours    INTEGER   CHECK (cancel_free_hours >= 0),
    cancel_partial_hours INTEGER   CHECK (cancel_partial_hours >= 0),
    reschedule_min_hours INTEGER   CHECK (reschedule_min_hours >= 0),
    buffer_minutes       INTEGER   NOT NULL DEFAULT 0 CHECK (buffer_minutes >= 0),
    min_notice_minutes   INTEGER   NOT NULL DEFAULT 0 CHECK (min_notice_minutes >= 0),
    booking_horizon_days INTEGER   NOT NULL DEFAULT 60 CHECK (booking_horizon_days > 0),
    slot_step_minutes    INTEGER   NOT NULL DEFAULT 30 CHECK (slot_step_minutes > 0),
    timezone             TEXT      NOT NULL DEFAULT 'Europe/Moscow',
    status               TEXT      NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at         TIMESTAMP,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX services_slug_key ON services (slug);

-- A rule or exception without a service applies to every service.
CREATE TABLE availability_rules (
    id           TEXT PRIMARY KEY,
    service_id   TEXT      REFERENCES services (id) ON DELETE CASCADE,
    weekday      INTEGER   NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute INTEGER   NOT NULL CHECK (start_minute >= 0),
    end_minute   INTEGER   NOT NULL CHECK (end_minute <= 1440),
    timezone     TEXT      NOT NULL DEFAULT 'Europe/Moscow',
    valid_from   DATE,
    valid_to     DATE,
    created_at   TIMESTAMP NOT NULL,
    CHECK (start_minute < end_minute),
    CHECK (valid_to >= valid_from)
);
CREATE INDEX availability_rules_service_idx ON availability_rules (service_id);

CREATE TABLE availability_exceptions (
    id           TEXT PRIMARY KEY,
    service_id   TEXT      REFERENCES services (id) ON DELETE CASCADE,
    kind         TEXT      NOT NULL CHECK (kind IN ('day_off', 'extra_hours')),
    date_from    DATE      NOT NULL,
    date_to      DATE      NOT NULL,
    start_minute INTEGER   CHECK (start_minute >= 0),
    end_minute   INTEGER   CHECK (end_minute <= 1440),
    timezone     TEXT      NOT NULL DEFAULT 'Europe/Moscow',
    reason       TEXT      NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    CHECK (date_from <= date_to),
    CHECK ((start_minute IS NULL) = (end_minute IS NULL)),
    CHECK (start_minute < end_minute),
    CHECK (kind = 'day_off' OR start_minute IS NOT NULL)
);
CREATE INDEX availability_exceptions_service_idx ON availability_exceptions (service_id);
CREATE INDEX availability_exceptions_dates_idx ON availability_exceptions (date_from, date_to);

CREATE TABLE appointments (
    id                         TEXT PRIMARY KEY,
    service_id                 TEXT      NOT NULL REFERENCES services (id) ON DELETE RESTRICT,
    client_user_id             TEXT      REFERENCES users (id) ON DELETE SET NULL,
    lead_id                    TEXT, -- crm's leads: by ID only
    start_at                   TIMESTAMP NOT NULL,
    end_at                     TIMESTAMP NOT NULL,
    blocked_until              TIMESTAMP NOT NULL,
    timezone                   TEXT      NOT NULL,
    status                     TEXT      NOT NULL DEFAULT 'pending_payment'
        CHECK (status IN ('pending_payment', 'confirmed', 'canceled', 'rescheduled', 'completed', 'no_show')),
    format                     TEXT      NOT NULL CHECK (format IN ('online', 'offline')),
    metadata                   TEXT      NOT NULL DEFAULT '{}',
    external_calendar_event_id TEXT,
    meeting_url                TEXT,
    location_text              TEXT,
    manage_token_hash          TEXT,
    cancel_reason              TEXT      NOT NULL DEFAULT '',
    canceled_by                TEXT      CHECK (canceled_by IN ('client', 'staff', 'system')),
    canceled_at                TIMESTAMP,
    rescheduled_from_id        TEXT      REFERENCES appointments (id) ON DELETE SET NULL,
    hold_expires_at            TIMESTAMP,
    version                    INTEGER   NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                 TIMESTAMP NOT NULL,
    updated_at                 TIMESTAMP NOT NULL,
    CHECK (start_at < end_at AND end_at <= blocked_until),
    CHECK ((status = 'canceled') = (canceled_at IS NOT NULL AND canceled_by IS NOT NULL)),
    CHECK (status <> 'pending_payment' OR hold_expires_at IS NOT NULL)
);
CREATE INDEX appointments_start_status_idx ON appointments (start_at, status);
CREATE INDEX appointments_client_status_idx ON appointments (client_user_id, status);
CREATE INDEX appointments_service_idx ON appointments (service_id);
CREATE INDEX appointments_lead_idx ON appointments (lead_id);
CREATE INDEX appointments_rescheduled_from_idx ON appointments (rescheduled_from_id);
CREATE INDEX appointments_hold_expires_idx ON appointments (hold_expires_at);
-- Serves the overlap triggers: only active appointments ending after a new start can collide.
CREATE INDEX appointments_active_until_idx ON appointments (blocked_until)
    WHERE status IN ('pending_payment', 'confirmed');
CREATE UNIQUE INDEX appointments_manage_token_hash_key ON appointments (manage_token_hash);

-- No double booking, SQLite's counterpart of PostgreSQL's exclusion constraint: no two active
-- appointments of any services may overlap, buffer included ([start_at, blocked_until) half-open).
-- The driver writes every time as UTC text in one fixed format, so text order is time order.
-- Writers take the write lock at BEGIN (immediate transactions), so the check cannot race.
-- +goose StatementBegin
CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments
WHEN NEW.status IN ('pending_payment', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'slot taken')
    WHERE EXISTS (
        SELECT 1 FROM appointments a
        WHERE a.status IN ('pending_payment', 'confirmed')
          AND a.blocked_until > NEW.start_at
          AND a.start_at < NEW.blocked_until
    );
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE OF start_at, blocked_until, status ON appointments
WHEN NEW.status IN ('pending_payment', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'slot taken')
    WHERE EXISTS (
        SELECT 1 FROM appointments a
        WHERE a.status IN ('pending_payment', 'confirmed')
          AND a.blocked_until > NEW.start_at
          AND a.start_at < NEW.blocked_until
          AND a.id <> NEW.id
    );
END;
-- +goose StatementEnd

CREATE TABLE payments (
    id                  TEXT PRIMARY KEY,
    appointment_id      TEXT      NOT NULL REFERENCES appointments (id) ON DELETE RESTRICT,
    amount_minor        INTEGER   NOT NULL CHECK (amount_minor > 0),
    currency            TEXT      NOT NULL DEFAULT 'RUB' CHECK (length(currency) = 3),
    provider            TEXT      NOT NULL DEFAULT 'yookassa',
    provider_payment_id TEXT,
    idempotence_key     TEXT      NOT NULL,
    status              TEXT      NOT NULL DEFAULT 'intent'
        CHECK (status IN ('intent', 'pending', 'succeeded', 'canceled', 'failed', 'partially_refunded', 'refunded')),
    confirmation_url    TEXT,
    failure_reason      TEXT,
    refunded_minor      INTEGER   NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    paid_at             TIMESTAMP,
    version             INTEGER   NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX payments_appointment_idx ON payments (appointment_id);
CREATE INDEX payments_status_idx ON payments (status);
CREATE UNIQUE INDEX payments_provider_payment_id_key ON payments (provider_payment_id)
    WHERE provider_payment_id IS NOT NULL;
CREATE UNIQUE INDEX payments_idempotence_key_key ON payments (idempotence_key);

CREATE TABLE refunds (
    id                 TEXT PRIMARY KEY,
    payment_id         TEXT      NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
    amount_minor       INTEGER   NOT NULL CHECK (amount_minor > 0),
    currency           TEXT      NOT NULL DEFAULT 'RUB' CHECK (length(currency) = 3),
    provider_refund_id TEXT,
    idempotence_key    TEXT      NOT NULL,
    status             TEXT      NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'canceled')),
    reason             TEXT      NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE UNIQUE INDEX refunds_provider_refund_id_key ON refunds (provider_refund_id)
    WHERE provider_refund_id IS NOT NULL;
CREATE UNIQUE INDEX refunds_idempotence_key_key ON refunds (idempotence_key);

-- payload is P2: a Fernet token of the client's answers, never plaintext.
CREATE TABLE intake_forms (
    id             TEXT PRIMARY KEY,
    appointment_id TEXT      NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    payload        TEXT      NOT NULL,
    status         TEXT      NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    submitted_at   TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL))
);
CREATE UNIQUE INDEX intake_forms_appointment_key ON intake_forms (appointment_id);

CREATE TABLE waitlist_entries (
    id             TEXT PRIMARY KEY,
    service_id     TEXT      NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    client_user_id TEXT      REFERENCES users (id) ON DELETE SET NULL,
    lead_id        TEXT, -- crm's leads: by ID only
    email          TEXT,
    preferred_from TIMESTAMP,
    preferred_to   TIMESTAMP,
    timezone       TEXT      NOT NULL,
    status         TEXT      NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'notified', 'booked', 'canceled')),
    notified_at    TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    CHECK (preferred_from < preferred_to)
);
CREATE INDEX waitlist_entries_service_status_idx ON waitlist_entries (service_id, status, created_at);
CREATE INDEX waitlist_entries_client_idx ON waitlist_entries (client_user_id);
CREATE INDEX waitlist_entries_lead_idx ON waitlist_entries (lead_id);

-- One row per provider notification: webhook processing is idempotent by its unique key.
CREATE TABLE payment_notifications (
    id           TEXT PRIMARY KEY,
    provider     TEXT      NOT NULL,
    event        TEXT      NOT NULL,
    object_id    TEXT      NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    processed_at TIMESTAMP,
    outcome      TEXT
);
CREATE UNIQUE INDEX payment_notifications_key ON payment_notifications (provider, event, object_id);

-- +goose Down
DROP TABLE payment_notifications;
DROP TABLE waitlist_entries;
DROP TABLE intake_forms;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE appointments;
DROP TABLE availability_exceptions;
DROP TABLE availability_rules;
DROP TABLE services;
