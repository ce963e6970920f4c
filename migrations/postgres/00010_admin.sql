-- Admin: the append-only audit log and editable message templates.

-- +goose Up
CREATE TABLE audit_logs (
    id            uuid PRIMARY KEY,
    actor_user_id uuid        REFERENCES users (id) ON DELETE SET NULL,
    actor_role    text        NOT NULL CHECK (actor_role <> ''),
    action        text        NOT NULL CHECK (action IN ('create', 'update', 'delete', 'login', 'logout', 'login_failed', 'read', 'export')),
    resource      text        NOT NULL CHECK (resource <> ''),
    resource_id   text        NOT NULL DEFAULT '',
    -- field -> {"from": ..., "to": ...}; never P2 (models.AuditP2Fields).
    changes       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(changes) = 'object'),
    ip            text        NOT NULL DEFAULT '',
    user_agent    text        NOT NULL DEFAULT '',
    at            timestamptz NOT NULL
);
CREATE INDEX audit_logs_at_idx ON audit_logs (at);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id, at);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource, resource_id, at);

-- The audit log is evidence: no row may change. The one exception is the change ON DELETE SET NULL
-- makes when the actor's user row is deleted (actor_role still says who acted).
-- +goose StatementBegin
CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actor_user_id IS NULL
        AND (NEW.id, NEW.actor_role, NEW.action, NEW.resource, NEW.resource_id, NEW.changes, NEW.ip, NEW.user_agent, NEW.at)
            IS NOT DISTINCT FROM (OLD.id, OLD.actor_role, OLD.action, OLD.resource, OLD.resource_id, OLD.changes, OLD.ip, OLD.user_agent, OLD.at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_logs are append-only' USING ERRCODE = 'check_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();

CREATE TABLE message_templates (
    id         uuid PRIMARY KEY,
    key        text        NOT NULL,
    channel    text        NOT NULL CHECK (channel IN ('email', 'telegram')),
    locale     text        NOT NULL,
    subject    text,
    body_text  text        NOT NULL CHECK (body_text <> ''),
    body_html  text,
    -- Optimistic lock and the content version editors see.
    version    integer     NOT NULL DEFAULT 1,
    updated_by uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (channel <> 'email' OR (subject IS NOT NULL AND subject <> '')),
    CHECK (channel = 'email' OR (subject IS NULL AND body_html IS NULL))
);
CREATE UNIQUE INDEX message_templates_key_channel_locale_key ON message_templates (key, channel, locale);
CREATE INDEX message_templates_updated_by_idx ON message_templates (updated_by);

-- +goose Down
DROP TABLE message_templates;
DROP TABLE audit_logs;
DROP FUNCTION audit_logs_append_only();
