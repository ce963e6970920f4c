-- The moderation queue shows crisis items first: an item about a question whose client wrote of a
-- crisis carries the question's crisis flag (set when the item is queued), so that the queue can
-- order by it without reading the questions.

-- +goose Up
ALTER TABLE moderation_items ADD COLUMN crisis boolean NOT NULL DEFAULT false;
UPDATE moderation_items SET crisis = true
 WHERE kind = 'question' AND subject_id IN (SELECT id FROM questions WHERE crisis_flag);
CREATE INDEX moderation_items_crisis_idx ON moderation_items (crisis, created_at);

-- +goose Down
DROP INDEX moderation_items_crisis_idx;
ALTER TABLE moderation_items DROP COLUMN crisis;
