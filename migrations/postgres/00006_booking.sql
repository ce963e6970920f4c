-- Booking and payments: services, availability, appointments (never two active ones overlapping),
-- payments, refunds, intake forms (P2), the waitlist and webhook idempotency.

-- +goose Up
CREATE TABLE services (
    id                   uuid PRIMARY KEY,
    slug                 text        NOT NULL,
    title                text        NOT NULL,
    description_markdown text        NOT NULL DEFAULT '',
    format               text        NOT NULL CHECK (format IN ('online', 'offline', 'hybrid')),
    duration_minutes     integer     NOT NULL CHECK (duration_minutes > 0),
    price_minor          bigint      NOT NULL CHECK (price_minor >= 0),
    deposit_minor        bigint      CHECK (deposit_minor >= 0 AND deposit_minor <= price_minor),
    currency             text        NOT NULL DEFAULT 'RUB' CHECK (length(currency) = 3),
    cancel_free_hours    integer     CHECK (cancel_free_hours >= 0),
    cancel_partial_hours integer     CHECK (cancel_partial_hours >= 0),
    reschedule_min_hours integer     CHECK (reschedule_min_hours >= 0),
    buffer_minutes       integer     NOT NULL DEFAULT 0 CHECK (buffer_minutes >= 0),
    min_notice_minutes   integer     NOT NULL DEFAULT 0 CHECK (min_notice_minutes >= 0),
    booking_horizon_days integer     NOT NULL DEFAULT 60 CHECK (booking_horizon_days > 0),
    slot_step_minutes    integer     NOT NULL DEFAULT 30 CHECK (slot_step_minutes > 0),
    timezone             text        NOT NULL DEFAULT 'Europe/Moscow',
    status               text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at         timestamptz,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE UNIQUE INDEX services_slug_key ON services (slug);

-- A rule or exception without a service applies to every service.
CREATE TABLE availability_rules (
    id           uuid PRIMARY KEY,
    service_id   uuid        REFERENCES services (id) ON DELETE CASCADE,
    weekday      integer     NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute integer     NOT NULL CHECK (start_minute >= 0),
    end_minute   integer     NOT NULL CHECK (end_minute <= 1440),
    timezone     text        NOT NULL DEFAULT 'Europe/Moscow',
    valid_from   date,
    valid_to     date,
    created_at   timestamptz NOT NULL,
    CHECK (start_minute < end_minute),
    CHECK (valid_to >= valid_from)
);
CREATE INDEX availability_rules_service_idx ON availability_rules (service_id);

CREATE TABLE availability_exceptions (
    id           uuid PRIMARY KEY,
    service_id   uuid        REFERENCES services (id) ON DELETE CASCADE,
    kind         text        NOT NULL CHECK (kind IN ('day_off', 'extra_hours')),
    date_from    date        NOT NULL,
    date_to      date        NOT NULL,
    start_minute integer     CHECK (start_minute >= 0),
    end_minute   integer     CHECK (end_minute <= 1440),
    timezone     text        NOT NULL DEFAULT 'Europe/Moscow',
    reason       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    CHECK (date_from <= date_to),
    CHECK ((start_minute IS NULL) = (end_minute IS NULL)),
    CHECK (start_minute < end_minute),
    CHECK (kind = 'day_off' OR start_minute IS NOT NULL)
);
CREATE INDEX availability_exceptions_service_idx ON availability_exceptions (service_id);
CREATE INDEX availability_exceptions_dates_idx ON availability_exceptions (date_from, date_to);

CREATE TABLE appointments (
    id                         uuid PRIMARY KEY,
    service_id                 uuid        NOT NULL REFERENCES services (id) ON DELETE RESTRICT,
    client_user_id             uuid        REFERENCES users (id) ON DELETE SET NULL,
    lead_id                    uuid, -- crm's leads: by ID only
    start_at                   timestamptz NOT NULL,
    end_at                     timestamptz NOT NULL,
    blocked_until              timestamptz NOT NULL,
    timezone                   text        NOT NULL,
    status                     text        NOT NULL DEFAULT 'pending_payment'
        CHECK (status IN ('pending_payment', 'confirmed', 'canceled', 'rescheduled', 'completed', 'no_show')),
    format                     text        NOT NULL CHECK (format IN ('online', 'offline')),
    metadata                   jsonb       NOT NULL DEFAULT '{}',
    external_calendar_event_id text,
    meeting_url                text,
    location_text              text,
    manage_token_hash          text,
    cancel_reason              text        NOT NULL DEFAULT '',
    canceled_by                text        CHECK (canceled_by IN ('client', 'staff', 'system')),
    canceled_at                timestamptz,
    rescheduled_from_id        uuid        REFERENCES appointments (id) ON DELETE SET NULL,
    hold_expires_at            timestamptz,
    version                    integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
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
CREATE INDEX appointments_active_until_idx ON appointments (blocked_until)
    WHERE status IN ('pending_payment', 'confirmed');
CREATE UNIQUE INDEX appointments_manage_token_hash_key ON appointments (manage_token_hash);
-- No double booking: one practitioner, so no two active appointments of any services may
-- overlap, buffer included. Concurrent inserts wait for each other; the loser gets 23P01.
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap
    EXCLUDE USING gist (tstzrange(start_at, blocked_until, '[)') WITH &&)
    WHERE (status IN ('pending_payment', 'confirmed'));

CREATE TABLE payments (
    id                  uuid PRIMARY KEY,
    appointment_id      uuid        NOT NULL REFERENCES appointments (id) ON DELETE RESTRICT,
    amount_minor        bigint      NOT NULL CHECK (amount_minor > 0),
    currency            text        NOT NULL DEFAULT 'RUB' CHECK (length(currency) = 3),
    provider            text        NOT NULL DEFAULT 'yookassa',
    provider_payment_id text,
    idempotence_key     text        NOT NULL,
    status              text        NOT NULL DEFAULT 'intent'
        CHECK (status IN ('intent', 'pending', 'succeeded', 'canceled', 'failed', 'partially_refunded', 'refunded')),
    confirmation_url    text,
    failure_reason      text,
    refunded_minor      bigint      NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    paid_at             timestamptz,
    version             integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX payments_appointment_idx ON payments (appointment_id);
CREATE INDEX payments_status_idx ON payments (status);
CREATE UNIQUE INDEX payments_provider_payment_id_key ON payments (provider_payment_id)
    WHERE provider_payment_id IS NOT NULL;
CREATE UNIQUE INDEX payments_idempotence_key_key ON payments (idempotence_key);

CREATE TABLE refunds (
    id                 uuid PRIMARY KEY,
    payment_id         uuid        NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
    amount_minor       bigint      NOT NULL CHECK (amount_minor > 0),
    currency           text        NOT NULL DEFAULT 'RUB' CHECK (length(currency) = 3),
    provider_refund_id text,
    idempotence_key    text        NOT NULL,
    status             text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'canceled')),
    reason             text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE UNIQUE INDEX refunds_provider_refund_id_key ON refunds (provider_refund_id)
    WHERE provider_refund_id IS NOT NULL;
CREATE UNIQUE INDEX refunds_idempotence_key_key ON refunds (idempotence_key);

-- payload is P2: a Fernet token of the client's answers, never plaintext.
CREATE TABLE intake_forms (
    id             uuid PRIMARY KEY,
    appointment_id uuid        NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    payload        text        NOT NULL,
    status         text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    submitted_at   timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL))
);
CREATE UNIQUE INDEX intake_forms_appointment_key ON intake_forms (appointment_id);

CREATE TABLE waitlist_entries (
    id             uuid PRIMARY KEY,
    service_id     uuid        NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    client_user_id uuid        REFERENCES users (id) ON DELETE SET NULL,
    lead_id        uuid, -- crm's leads: by ID only
    email          text,
    preferred_from timestamptz,
    preferred_to   timestamptz,
    timezone       text        NOT NULL,
    status         text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'notified', 'booked', 'canceled')),
    notified_at    timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK (preferred_from < preferred_to)
);
CREATE INDEX waitlist_entries_service_status_idx ON waitlist_entries (service_id, status, created_at);
CREATE INDEX waitlist_entries_client_idx ON waitlist_entries (client_user_id);
CREATE INDEX waitlist_entries_lead_idx ON waitlist_entries (lead_id);

-- One row per provider notification: webhook processing is idempotent by its unique key.
CREATE TABLE payment_notifications (
    id           uuid PRIMARY KEY,
    provider     text        NOT NULL,
    event        text        NOT NULL,
    object_id    text        NOT NULL,
    received_at  timestamptz NOT NULL,
    processed_at timestamptz,
    outcome      text
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
