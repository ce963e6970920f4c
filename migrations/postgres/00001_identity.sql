-- Identity: users, roles, consent history, staff sessions and sign-in throttling.

-- +goose Up
CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text,
    phone             text,
    telegram_user_id  text,
    telegram_username text,
    display_name      text        NOT NULL DEFAULT '',
    password_hash     text,
    status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked', 'deleted')),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz
);
-- Soft-deleted users release their email, phone and Telegram id.
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_phone_key ON users (phone) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_telegram_user_id_key ON users (telegram_user_id) WHERE deleted_at IS NULL;
CREATE INDEX users_status_idx ON users (status);

CREATE TABLE user_roles (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('owner', 'assistant', 'editor', 'client')),
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON user_roles (role);

CREATE TABLE consents (
    id           uuid PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consent_type text        NOT NULL CHECK (consent_type IN ('personal_data', 'communications', 'telegram', 'review_publication')),
    granted      boolean     NOT NULL,
    version      text        NOT NULL,
    source       text        NOT NULL,
    granted_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX consents_user_type_idx ON consents (user_id, consent_type, granted_at);
CREATE UNIQUE INDEX consents_one_active_key ON consents (user_id, consent_type) WHERE granted AND revoked_at IS NULL;

-- Consent history is evidence: a row may only gain its revoked_at, once.
-- +goose StatementBegin
CREATE FUNCTION consents_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL
        OR (NEW.id, NEW.user_id, NEW.consent_type, NEW.granted, NEW.version, NEW.source, NEW.granted_at)
           IS DISTINCT FROM (OLD.id, OLD.user_id, OLD.consent_type, OLD.granted, OLD.version, OLD.source, OLD.granted_at) THEN
        RAISE EXCEPTION 'consents are append-only' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER consents_append_only BEFORE UPDATE ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_append_only();

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    user_agent   text        NOT NULL DEFAULT '',
    ip           text        NOT NULL DEFAULT '',
    revoked_at   timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE login_failures (
    id        uuid PRIMARY KEY,
    scope     text        NOT NULL CHECK (scope IN ('ip', 'account')),
    key       text        NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (scope, key, failed_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE consents;
DROP FUNCTION consents_append_only();
DROP TABLE user_roles;
DROP TABLE users;
