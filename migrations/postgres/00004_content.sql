-- Content: topics, tags and the public library of articles, videos and exercises.

-- +goose Up
CREATE TABLE topics (
    id          uuid PRIMARY KEY,
    code        text        NOT NULL CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(code) <= 100),
    title       text        NOT NULL CHECK (title <> ''),
    description text        NOT NULL DEFAULT '',
    sort_order  integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX topics_code_key ON topics (code);

CREATE TABLE tags (
    id         uuid PRIMARY KEY,
    slug       text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
    title      text        NOT NULL CHECK (title <> ''),
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX tags_slug_key ON tags (slug);

CREATE TABLE content_items (
    id              uuid PRIMARY KEY,
    type            text        NOT NULL CHECK (type IN ('article', 'video', 'exercise')),
    slug            text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
    title           text        NOT NULL DEFAULT '',
    summary         text        NOT NULL DEFAULT '',
    body_markdown   text        NOT NULL DEFAULT '',
    cover_url       text,
    video_url       text,
    -- Deleting a topic leaves its items without one.
    topic_id        uuid        REFERENCES topics (id) ON DELETE SET NULL,
    status          text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at    timestamptz,
    seo_title       text        NOT NULL DEFAULT '',
    seo_description text        NOT NULL DEFAULT '' CHECK (char_length(seo_description) <= 160),
    reading_minutes integer     CHECK (reading_minutes > 0),
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
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
    content_item_id uuid NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    tag_id          uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (content_item_id, tag_id)
);
CREATE INDEX content_item_tags_tag_idx ON content_item_tags (tag_id);

-- +goose Down
DROP TABLE content_item_tags;
DROP TABLE content_items;
DROP TABLE tags;
DROP TABLE topics;
