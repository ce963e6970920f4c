-- Telegram: deep links from the site into the bot, and the Telegram accounts that talk to it.
-- lead_id refers to the CRM (another context) by ID only, without a foreign key.
-- Same tables and columns as migrations/postgres; UUIDs and JSON are TEXT, times TIMESTAMP in UTC.

-- +goose Up
CREATE TABLE deep_links (
    id          TEXT PRIMARY KEY,
    -- SQLite has no regular expressions: the length, and no character outside the alphabet.
    code        TEXT      NOT NULL CHECK (length(code) BETWEEN 16 AND 64 AND code NOT GLOB '*[^A-Za-z0-9_-]*'),
    purpose     TEXT      NOT NULL CHECK (purpose IN ('plan', 'booking', 'subscribe')),
    payload     TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(payload) AND json_type(payload) = 'object'),
    entry_point TEXT      NOT NULL DEFAULT '',
    lead_id     TEXT,
    user_id     TEXT      REFERENCES users (id) ON DELETE SET NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    uses        INTEGER   NOT NULL DEFAULT 0,
    max_uses    INTEGER   NOT NULL DEFAULT 1 CHECK (max_uses >= 1),
    created_at  TIMESTAMP NOT NULL,
    CHECK (uses BETWEEN 0 AND max_uses),
    CHECK ((uses = 0) = (used_at IS NULL)),
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX deep_links_code_key ON deep_links (code);
-- Expired links are swept periodically.
CREATE INDEX deep_links_expires_idx ON deep_links (expires_at);
CREATE INDEX deep_links_lead_idx ON deep_links (lead_id);
CREATE INDEX deep_links_user_idx ON deep_links (user_id);

CREATE TABLE telegram_accounts (
    id               TEXT PRIMARY KEY,
    telegram_user_id INTEGER   NOT NULL CHECK (telegram_user_id > 0),
    username         TEXT,
    chat_id          INTEGER   NOT NULL CHECK (chat_id <> 0),
    -- Deleting the site user keeps the chat (the bot may still answer it) but forgets the link.
    user_id          TEXT      REFERENCES users (id) ON DELETE SET NULL,
    lead_id          TEXT,
    blocked          BOOLEAN   NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    blocked_at       TIMESTAMP,
    linked_at        TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK (blocked = (blocked_at IS NOT NULL))
);
CREATE UNIQUE INDEX telegram_accounts_telegram_user_id_key ON telegram_accounts (telegram_user_id);
-- One Telegram account per site user: notifications go to one chat.
CREATE UNIQUE INDEX telegram_accounts_user_id_key ON telegram_accounts (user_id);
CREATE INDEX telegram_accounts_lead_idx ON telegram_accounts (lead_id);

-- +goose Down
DROP TABLE telegram_accounts;
DROP TABLE deep_links;
