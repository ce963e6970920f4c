-- Audit rows written for domain events: the event they record, so that a subscriber that runs
-- twice for one event (delivery is at least once) writes one row; and the action "event".
-- Same columns as migrations/postgres. SQLite cannot change a CHECK constraint in place, so the
-- table is rebuilt (nothing references audit_logs, so foreign keys need no care).

-- +goose Up
CREATE TABLE audit_logs_new (
    id            TEXT PRIMARY KEY,
    actor_user_id TEXT      REFERENCES users (id) ON DELETE SET NULL,
    actor_role    TEXT      NOT NULL CHECK (actor_role <> ''),
    action        TEXT      NOT NULL CHECK (action IN ('create', 'update', 'delete', 'login', 'logout', 'login_failed', 'read', 'export', 'event')),
    resource      TEXT      NOT NULL CHECK (resource <> ''),
    resource_id   TEXT      NOT NULL DEFAULT '',
    -- field -> {"from": ..., "to": ...}; never P2 (models.AuditP2Fields).
    changes       TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(changes) AND json_type(changes) = 'object'),
    ip            TEXT      NOT NULL DEFAULT '',
    user_agent    TEXT      NOT NULL DEFAULT '',
    at            TIMESTAMP NOT NULL,
    event_id      TEXT
);
INSERT INTO audit_logs_new (id, actor_user_id, actor_role, action, resource, resource_id, changes, ip, user_agent, at)
    SELECT id, actor_user_id, actor_role, action, resource, resource_id, changes, ip, user_agent, at FROM audit_logs;
DROP TABLE audit_logs;
ALTER TABLE audit_logs_new RENAME TO audit_logs;
CREATE INDEX audit_logs_at_idx ON audit_logs (at);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id, at);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource, resource_id, at);
-- NULLs are distinct: rows of staff actions (no event) never conflict.
CREATE UNIQUE INDEX audit_logs_event_id_key ON audit_logs (event_id);

-- +goose StatementBegin
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE ON audit_logs
WHEN NEW.actor_user_id IS NOT NULL
    OR NEW.id IS NOT OLD.id OR NEW.actor_role IS NOT OLD.actor_role OR NEW.action IS NOT OLD.action
    OR NEW.resource IS NOT OLD.resource OR NEW.resource_id IS NOT OLD.resource_id
    OR NEW.changes IS NOT OLD.changes OR NEW.ip IS NOT OLD.ip OR NEW.user_agent IS NOT OLD.user_agent
    OR NEW.at IS NOT OLD.at OR NEW.event_id IS NOT OLD.event_id
BEGIN
    SELECT RAISE(ABORT, 'audit_logs are append-only');
END;
-- +goose StatementEnd

-- +goose Down
CREATE TABLE audit_logs_old (
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
-- The older schema has no place for event rows: rolling back leaves them out.
INSERT INTO audit_logs_old (id, actor_user_id, actor_role, action, resource, resource_id, changes, ip, user_agent, at)
    SELECT id, actor_user_id, actor_role, action, resource, resource_id, changes, ip, user_agent, at FROM audit_logs
    WHERE action <> 'event';
DROP TABLE audit_logs;
ALTER TABLE audit_logs_old RENAME TO audit_logs;
CREATE INDEX audit_logs_at_idx ON audit_logs (at);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id, at);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource, resource_id, at);

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
