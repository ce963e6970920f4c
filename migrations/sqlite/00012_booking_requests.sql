-- Bookings made with an Idempotency-Key: the same request sent again gets the same booking.
-- Same columns as migrations/postgres.

-- +goose Up
CREATE TABLE booking_requests (
    key            TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
    request_hash   TEXT      NOT NULL,
    appointment_id TEXT      NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    manage_token   TEXT      NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);
CREATE INDEX booking_requests_expires_idx ON booking_requests (expires_at);

-- +goose Down
DROP TABLE booking_requests;
