-- Audit rows written for domain events: the event they record, so that a subscriber that runs
-- twice for one event (delivery is at least once) writes one row; and the action "event".

-- +goose Up
ALTER TABLE audit_logs ADD COLUMN event_id uuid;
-- NULLs are distinct: rows of staff actions (no event) never conflict.
CREATE UNIQUE INDEX audit_logs_event_id_key ON audit_logs (event_id);

ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_action_check;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_action_check
    CHECK (action IN ('create', 'update', 'delete', 'login', 'logout', 'login_failed', 'read', 'export', 'event'));

-- The append-only rule covers the new column too.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actor_user_id IS NULL
        AND (NEW.id, NEW.actor_role, NEW.action, NEW.resource, NEW.resource_id, NEW.changes, NEW.ip, NEW.user_agent, NEW.at, NEW.event_id)
            IS NOT DISTINCT FROM (OLD.id, OLD.actor_role, OLD.action, OLD.resource, OLD.resource_id, OLD.changes, OLD.ip, OLD.user_agent, OLD.at, OLD.event_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_logs are append-only' USING ERRCODE = 'check_violation';
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- The older schema has no place for event rows: rolling back removes them.
DELETE FROM audit_logs WHERE action = 'event';
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_action_check;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_action_check
    CHECK (action IN ('create', 'update', 'delete', 'login', 'logout', 'login_failed', 'read', 'export'));
DROP INDEX audit_logs_event_id_key;
ALTER TABLE audit_logs DROP COLUMN event_id;
