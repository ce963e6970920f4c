-- Moderation: questions (their text is P2), answers and the moderation queue.

-- +goose Up
CREATE TABLE questions (
    id            uuid PRIMARY KEY,
    user_id       uuid        REFERENCES users (id) ON DELETE SET NULL,
    -- P2: the client's own words, a Fernet token.
    text          text        NOT NULL,
    -- The moderator's anonymised wording, shown when published.
    public_text   text,
    contact_email text,
    -- A content topic's code (another context: no foreign key).
    topic_code    text,
    crisis_flag   boolean     NOT NULL DEFAULT false,
    submitted_at  timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX questions_user_idx ON questions (user_id);
CREATE INDEX questions_topic_idx ON questions (topic_code);
CREATE INDEX questions_submitted_idx ON questions (submitted_at);

CREATE TABLE answers (
    id             uuid PRIMARY KEY,
    question_id    uuid        NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    -- An author's answers are public record: the user row may not be deleted under them.
    author_user_id uuid        NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    body_markdown  text        NOT NULL CHECK (body_markdown <> ''),
    published_at   timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX answers_question_idx ON answers (question_id);
CREATE INDEX answers_author_idx ON answers (author_user_id);

-- subject_id names a question, an answer or a review (another context) by id: no foreign key.
CREATE TABLE moderation_items (
    id           uuid PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('question', 'answer', 'review')),
    subject_id   uuid        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'published')),
    moderator_id uuid        REFERENCES users (id) ON DELETE SET NULL,
    decided_at   timestamptz,
    reason       text,
    version      integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK (status <> 'rejected' OR (reason IS NOT NULL AND reason <> '')),
    CHECK (status = 'pending' OR decided_at IS NOT NULL)
);
CREATE UNIQUE INDEX moderation_items_subject_key ON moderation_items (kind, subject_id);
CREATE INDEX moderation_items_status_idx ON moderation_items (status, created_at);
CREATE INDEX moderation_items_moderator_idx ON moderation_items (moderator_id);

-- +goose Down
DROP TABLE moderation_items;
DROP TABLE answers;
DROP TABLE questions;
