-- Identity: users, roles, consent history, staff sessions and sign-in throttling.
-- Same tables and columns as migrations/postgres; UUIDs are TEXT, times TIMESTAMP in UTC.

-- +goose Up
CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT,
    phone             TEXT,
    telegram_user_id  TEXT,
    telegram_username TEXT,
    display_name      TEXT      NOT NULL DEFAULT '',
    password_hash     TEXT,
    status            TEXT      NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked', 'deleted')),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    deleted_at        TIMESTAMP
);
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_phone_key ON users (phone) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_telegram_user_id_key ON users (telegram_user_id) WHERE deleted_at IS NULL;
CREATE INDEX users_status_idx ON users (status);

CREATE TABLE user_roles (
    user_id    TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT      NOT NULL CHECK (role IN ('owner', 'assistant', 'editor', 'client')),
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON user_roles (role);

CREATE TABLE consents (
    id           TEXT PRIMARY KEY,
    user_id      TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consent_type TEXT      NOT NULL CHECK (consent_type IN ('personal_data', 'communications', 'telegram', 'review_publication')),
    granted      BOOLEAN   NOT NULL,
    version      TEXT      NOT NULL,
    source       TEXT      NOT NULL,
    granted_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX consents_user_type_idx ON consents (user_id, consent_type, granted_at);
CREATE UNIQUE INDEX consents_one_active_key ON consents (user_id, consent_type) WHERE granted AND revoked_at IS NULL;

-- Consent history is evidence: a row may only gain its revoked_at, once.
-- +goose StatementBegin
CREATE TRIGGER consents_append_only BEFORE UPDATE ON consents
WHEN OLD.revoked_at IS NOT NULL
    OR NEW.id IS NOT OLD.id OR NEW.user_id IS NOT OLD.user_id OR NEW.consent_type IS NOT OLD.consent_type
    OR NEW.granted IS NOT OLD.granted OR NEW.version IS NOT OLD.version OR NEW.source IS NOT OLD.source
    OR NEW.granted_at IS NOT OLD.granted_at
BEGIN
    SELECT RAISE(ABORT, 'consents are append-only');
END;
-- +goose StatementEnd

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT      NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    user_agent   TEXT      NOT NULL DEFAULT '',
    ip           TEXT      NOT NULL DEFAULT '',
    revoked_at   TIMESTAMP
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE login_failures (
    id        TEXT PRIMARY KEY,
    scope     TEXT      NOT NULL CHECK (scope IN ('ip', 'account')),
    key       TEXT      NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (scope, key, failed_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TRIGGER consents_append_only;
DROP TABLE consents;
DROP TABLE user_roles;
DROP TABLE users;
