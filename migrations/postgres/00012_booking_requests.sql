-- Bookings made with an Idempotency-Key: the same request sent again gets the same booking.
-- manage_token is a Fernet token (the client's manage-link token, shown again on a repeat); rows
-- expire and are deleted by a periodic job.

-- +goose Up
CREATE TABLE booking_requests (
    key            text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash   text        NOT NULL,
    appointment_id uuid        NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    manage_token   text        NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX booking_requests_expires_idx ON booking_requests (expires_at);

-- +goose Down
DROP TABLE booking_requests;
