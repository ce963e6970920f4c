-- Content: topics, tags and the public library of articles, videos and exercises.
-- Same tables and columns as migrations/postgres; UUIDs are TEXT, times TIMESTAMP in UTC. SQLite
-- has no regular expressions: slugs are checked with GLOB (a-z, 0-9 and single inner dashes).

-- +goose Up
CREATE TABLE topics (
    id          TEXT PRIMARY KEY,
    code        TEXT      NOT NULL CHECK (code <> '' AND length(code) <= 100 AND code NOT GLOB '*[^a-z0-9-]*'
                                          AND code NOT GLOB '-*' AND code NOT GLOB '*-' AND code NOT GLOB '*--*'),
    title       TEXT      NOT NULL CHECK (title <> ''),
    description TEXT      NOT NULL DEFAULT '',
    sort_order  INTEGER   NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX topics_code_key ON topics (code);

CREATE TABLE tags (
    id         TEXT PRIMARY KEY,
    slug       TEXT      NOT NULL CHECK (slug <> '' AND length(slug) <= 100 AND slug NOT GLOB '*[^a-z0-9-]*'
                                         AND slug NOT GLOB '-*' AND slug NOT GLOB '*-' AND slug NOT GLOB '*--*'),
    title      TEXT      NOT NULL CHECK (title <> ''),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_slug_key ON tags (slug);

CREATE TABLE content_items (
    id              TEXT PRIMARY KEY,
    type            TEXT      NOT NULL CHECK (type IN ('article', 'video', 'exercise')),
    slug            TEXT      NOT NULL CHECK (slug <> '' AND length(slug) <= 100 AND slug NOT GLOB '*[^a-z0-9-]*'
                                              AND slug NOT GLOB '-*' AND slug NOT GLOB '*-' AND slug NOT GLOB '*--*'),
    title           TEXT      NOT NULL DEFAULT '',
    summary         TEXT      NOT NULL DEFAULT '',
    body_markdown   TEXT      NOT NULL DEFAULT '',
    cover_url       TEXT,
    video_url       TEXT,
    -- Deleting a topic leaves its items without one.
    topic_id        TEXT      REFERENCES topics (id) ON DELETE SET NULL,
    status          TEXT      NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at    TIMESTAMP,
    seo_title       TEXT      NOT NULL DEFAULT '',
    seo_description TEXT      NOT NULL DEFAULT '' CHECK (length(seo_description) <= 160),
    reading_minutes INTEGER   CHECK (reading_minutes > 0),
    version         INTEGER   NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    -- What the site shows is complete.
    CONSTRAINT content_items_published_complete CHECK (
        status <> 'published'
        OR (published_at IS NOT NULL AND title <> '' AND body_markdown <> ''
            AND (type <> 'video' OR video_url IS NOT NULL)))
);
CREATE UNIQUE INDEX content_items_slug_key ON content_items (slug);
CREATE INDEX content_items_topic_idx ON content_items (topic_id);
-- The public list: published items, newest first.
CREATE INDEX content_items_published_idx ON content_items (published_at DESC, id DESC) WHERE status = 'published';

CREATE TABLE content_item_tags (
    content_item_id TEXT NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    tag_id          TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (content_item_id, tag_id)
);
CREATE INDEX content_item_tags_tag_idx ON content_item_tags (tag_id);

-- +goose Down
DROP TABLE content_item_tags;
DROP TABLE content_items;
DROP TABLE tags;
DROP TABLE topics;
