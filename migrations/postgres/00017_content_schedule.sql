-- Scheduled publication of content: an editor gives a draft a future publish_at, and the periodic
-- job content.publish_scheduled publishes it once that time has come (and clears publish_at).

-- +goose Up
ALTER TABLE content_items ADD COLUMN publish_at timestamptz;
-- Only a draft waits for its publication.
ALTER TABLE content_items ADD CONSTRAINT content_items_publish_at_draft CHECK (publish_at IS NULL OR status = 'draft');
-- The job's query: the drafts whose time has come.
CREATE INDEX content_items_publish_at_idx ON content_items (publish_at) WHERE publish_at IS NOT NULL;

-- +goose Down
DROP INDEX content_items_publish_at_idx;
ALTER TABLE content_items DROP CONSTRAINT content_items_publish_at_draft;
ALTER TABLE content_items DROP COLUMN publish_at;
