-- Two-factor sign-in for staff: an authenticator (TOTP, RFC 6238) per user with its shared secret
-- stored Fernet-encrypted, single-use recovery codes stored as hashes, and sessions that have
-- passed the password but not yet the second factor. Same columns as migrations/postgres.

-- +goose Up
CREATE TABLE totp_factors (
    user_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         TEXT      NOT NULL,
    confirmed_at   TIMESTAMP,
    last_used_step INTEGER   NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT      NOT NULL,
    used_at    TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

ALTER TABLE sessions ADD COLUMN mfa_pending BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE sessions DROP COLUMN mfa_pending;
DROP TABLE recovery_codes;
DROP TABLE totp_factors;
