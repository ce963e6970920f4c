-- Admin: the append-only audit log and editable message templates.
-- Same tables and columns as migrations/postgres; UUIDs are TEXT, times TIMESTAMP in UTC, JSON TEXT.

-- +goose Up
CREATE TABLE audit_logs (
    id            TEXT PRIMARY KEY,
    actor_user_id TEXT      REFERENCES users (id) ON DELETE SET NULL,
    actor_role    TEXT      NOT NULL CHECK (actor_role <> ''),
    action        TEXT      NOT NULL CHECK (action IN ('create', 'update', 'delete', 'login', 'logout', 'login_failed', 'read', 'export')),
    resource      TEXT      NOT NULL CHECK (resource <> ''),
    resource_id   TEXT      NOT NULL DEFAULT '',
    -- field -> {"from": ..., "to": ...}; never P2 (models.AuditP2Fields).
    changes       TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(changes) AND json_type(changes) = 'object'),
    ip            TEXT      NOT NULL DEFAULT '',
    user_agent    TEXT      NOT NULL DEFAULT '',
    at            TIMESTAMP NOT NULL
);
CREATE INDEX audit_logs_at_idx ON audit_logs (at);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id, at);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource, resource_id, at);

-- The audit log is evidence: no row may change. The one exception is the change ON DELETE SET NULL
-- makes when the actor's user row is deleted (actor_role still says who acted).
-- +goose StatementBegin
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE ON audit_logs
WHEN NEW.actor_user_id IS NOT NULL
    OR NEW.id IS NOT OLD.id OR NEW.actor_role IS NOT OLD.actor_role OR NEW.action IS NOT OLD.action
    OR NEW.resource IS NOT OLD.resource OR NEW.resource_id IS NOT OLD.resource_id
    OR NEW.changes IS NOT OLD.changes OR NEW.ip IS NOT OLD.ip OR NEW.user_agent IS NOT OLD.user_agent
    OR NEW.at IS NOT OLD.at
BEGIN
    SELECT RAISE(ABORT, 'audit_logs are append-only');
END;
-- +goose StatementEnd

CREATE TABLE message_templates (
    id         TEXT PRIMARY KEY,
    key        TEXT      NOT NULL,
    channel    TEXT      NOT NULL CHECK (channel IN ('email', 'telegram')),
    locale     TEXT      NOT NULL,
    subject    TEXT,
    body_text  TEXT      NOT NULL CHECK (body_text <> ''),
    body_html  TEXT,
    -- Optimistic lock and the content version editors see.
    version    INTEGER   NOT NULL DEFAULT 1,
    updated_by TEXT      REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (channel <> 'email' OR (subject IS NOT NULL AND subject <> '')),
    CHECK (channel = 'email' OR (subject IS NULL AND body_html IS NULL))
);
CREATE UNIQUE INDEX message_templates_key_channel_locale_key ON message_templates (key, channel, locale);
CREATE INDEX message_templates_updated_by_idx ON message_templates (updated_by);

-- +goose Down
DROP TABLE message_templates;
DROP TABLE audit_logs;
