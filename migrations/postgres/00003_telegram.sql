-- Telegram: deep links from the site into the bot, and the Telegram accounts that talk to it.
-- lead_id refers to the CRM (another context) by ID only, without a foreign key.

-- +goose Up
CREATE TABLE deep_links (
    id          uuid PRIMARY KEY,
    code        text        NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{16,64}$'),
    purpose     text        NOT NULL CHECK (purpose IN ('plan', 'booking', 'subscribe')),
    payload     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    entry_point text        NOT NULL DEFAULT '',
    lead_id     uuid,
    user_id     uuid        REFERENCES users (id) ON DELETE SET NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    uses        integer     NOT NULL DEFAULT 0,
    max_uses    integer     NOT NULL DEFAULT 1 CHECK (max_uses >= 1),
    created_at  timestamptz NOT NULL,
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
    id               uuid PRIMARY KEY,
    telegram_user_id bigint      NOT NULL CHECK (telegram_user_id > 0),
    username         text,
    chat_id          bigint      NOT NULL CHECK (chat_id <> 0),
    -- Deleting the site user keeps the chat (the bot may still answer it) but forgets the link.
    user_id          uuid        REFERENCES users (id) ON DELETE SET NULL,
    lead_id          uuid,
    blocked          boolean     NOT NULL DEFAULT false,
    blocked_at       timestamptz,
    linked_at        timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (blocked = (blocked_at IS NOT NULL))
);
CREATE UNIQUE INDEX telegram_accounts_telegram_user_id_key ON telegram_accounts (telegram_user_id);
-- One Telegram account per site user: notifications go to one chat.
CREATE UNIQUE INDEX telegram_accounts_user_id_key ON telegram_accounts (user_id);
CREATE INDEX telegram_accounts_lead_idx ON telegram_accounts (lead_id);

-- +goose Down
DROP TABLE telegram_accounts;
DROP TABLE deep_links;
