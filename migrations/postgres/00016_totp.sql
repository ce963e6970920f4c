-- Two-factor sign-in for staff: an authenticator (TOTP, RFC 6238) per user with its shared secret
-- stored Fernet-encrypted, single-use recovery codes stored as hashes, and sessions that have
-- passed the password but not yet the second factor.

-- +goose Up
CREATE TABLE totp_factors (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         text        NOT NULL,
    confirmed_at   timestamptz,
    last_used_step bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE recovery_codes (
    id         uuid PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  text        NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

ALTER TABLE sessions ADD COLUMN mfa_pending boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE sessions DROP COLUMN mfa_pending;
DROP TABLE recovery_codes;
DROP TABLE totp_factors;
