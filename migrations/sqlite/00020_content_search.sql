-- Full-text search of the public library: an FTS5 table of every item's title, summary and body,
-- kept in step with content_items by triggers (content_items has no integer primary key, and its
-- implicit rowids may change on VACUUM, so the index keeps the item's id rather than pointing at
-- rowids as an external-content table would). The unicode61 tokenizer folds case (Cyrillic too)
-- and diacritics; there is no Russian stemmer, so the library matches each word as a prefix.

-- +goose Up
CREATE VIRTUAL TABLE content_search USING fts5(
    id UNINDEXED, title, summary, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO content_search (id, title, summary, body)
SELECT id, title, summary, body_markdown FROM content_items;

-- +goose StatementBegin
CREATE TRIGGER content_search_insert AFTER INSERT ON content_items
BEGIN
    INSERT INTO content_search (id, title, summary, body)
    VALUES (NEW.id, NEW.title, NEW.summary, NEW.body_markdown);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER content_search_update AFTER UPDATE OF title, summary, body_markdown ON content_items
WHEN OLD.title IS NOT NEW.title OR OLD.summary IS NOT NEW.summary OR OLD.body_markdown IS NOT NEW.body_markdown
BEGIN
    DELETE FROM content_search WHERE id = OLD.id;
    INSERT INTO content_search (id, title, summary, body)
    VALUES (NEW.id, NEW.title, NEW.summary, NEW.body_markdown);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER content_search_delete AFTER DELETE ON content_items
BEGIN
    DELETE FROM content_search WHERE id = OLD.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER content_search_delete;
DROP TRIGGER content_search_update;
DROP TRIGGER content_search_insert;
DROP TABLE content_search;
