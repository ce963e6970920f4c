-- What a client (or a staff member) writes when canceling an appointment is P2: it gets a column
-- of its own, cancel_reason_p2, that holds only Fernet tokens (written by the application).
-- cancel_reason keeps the system's own reasons ("payment hold expired", the payment provider's
-- code), which are not P2. SQL cannot encrypt, so reasons that people wrote before this migration
-- are erased rather than left in plaintext (docs/booking.md).

-- +goose Up
ALTER TABLE appointments ADD COLUMN cancel_reason_p2 text;
UPDATE appointments SET cancel_reason = '' WHERE cancel_reason <> '' AND canceled_by IS DISTINCT FROM 'system';

-- +goose Down
-- The older schema kept people's reasons in plaintext; SQL cannot decrypt them, so they are dropped.
ALTER TABLE appointments DROP COLUMN cancel_reason_p2;
