-- Scheduled publication of content: an editor gives a draft a future publish_at, and the periodic
-- job content.publish_scheduled publishes it once that time has come (and clears publish_at).
-- Same columns as migrations/postgres; SQLite adds no table constraint to an existing table, so
-- the draft-only rule is the new column's own CHECK.

-- +goose Up
ALTER TABLE content_items ADD COLUMN publish_at TIMESTAMP CHECK (publish_at IS NULL OR status = 'draft');
-- The job's query: the drafts whose time has come.
CREATE INDEX content_items_publish_at_idx ON content_items (publish_at) WHERE publish_at IS NOT NULL;

-- +goose Down
DROP INDEX content_items_publish_at_idx;
ALTER TABLE content_items DROP COLUMN publish_at;
