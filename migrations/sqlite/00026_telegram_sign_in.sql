-- Sign-in from Telegram: one-time codes get the purpose telegram_sign_in (a link the bot sends to
-- a linked client on /login; only hashes of its token are stored), the bot's answers to /login,
-- and the welcome mentions /login. SQLite cannot change a CHECK: the table is rebuilt. Same
-- columns as migrations/postgres.

-- +goose Up
CREATE TABLE one_time_codes_new (
    id         TEXT PRIMARY KEY,
    purpose    TEXT      NOT NULL CHECK (purpose IN ('sign_in', 'email_change', 'telegram_sign_in')),
    -- The email hash (sign-in), the user id (email change), the row id and then the token's hash (Telegram sign-in).
    key        TEXT      NOT NULL,
    user_id    TEXT      REFERENCES users (id) ON DELETE CASCADE,
    -- The address the code goes to, as a Fernet token.
    sent_to    TEXT      NOT NULL,
    code_hash  TEXT,
    attempts   INTEGER   NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
INSERT INTO one_time_codes_new SELECT id, purpose, key, user_id, sent_to, code_hash, attempts, created_at, expires_at, used_at FROM one_time_codes;
DROP TABLE one_time_codes;
ALTER TABLE one_time_codes_new RENAME TO one_time_codes;
CREATE UNIQUE INDEX one_time_codes_key ON one_time_codes (purpose, key);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id);
CREATE INDEX one_time_codes_expires_idx ON one_time_codes (expires_at);
-- +goose StatementBegin
INSERT INTO message_templates (id, key, channel, locale, subject, body_text, body_html, version, created_at, updated_at) VALUES
    ('019aea2c-1800-7d26-8a01-74676c6f6731', 'telegram_login', 'telegram', 'ru', NULL, 'Ссылка для входа в личный кабинет (действует 10 минут, только один раз):
{{.Link}}

Если вы не просили ссылку, просто не открывайте её.', NULL, 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00'),
    ('019aea2c-1800-7d26-8a02-74676c6f6732', 'telegram_not_linked', 'telegram', 'ru', NULL, 'Этот Telegram пока не связан с личным кабинетом. Войдите на сайте по коду из письма: {{.SiteURL}}', NULL, 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00');
-- +goose StatementEnd
-- +goose StatementBegin
UPDATE message_templates SET body_text = body_text || ' Чтобы войти в личный кабинет, отправьте /login.'
 WHERE key = 'telegram_welcome' AND channel = 'telegram' AND locale = 'ru' AND updated_by IS NULL AND version = 1;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
UPDATE message_templates SET body_text = REPLACE(body_text, ' Чтобы войти в личный кабинет, отправьте /login.', '')
 WHERE key = 'telegram_welcome' AND channel = 'telegram' AND locale = 'ru' AND updated_by IS NULL AND version = 1;
-- +goose StatementEnd
DELETE FROM message_templates WHERE locale = 'ru' AND key IN ('telegram_login', 'telegram_not_linked') AND updated_by IS NULL AND version = 1;
DELETE FROM one_time_codes WHERE purpose = 'telegram_sign_in';
CREATE TABLE one_time_codes_new (
    id         TEXT PRIMARY KEY,
    purpose    TEXT      NOT NULL CHECK (purpose IN ('sign_in', 'email_change')),
    -- The email hash (sign-in), the user id (email change), the row id and then the token's hash (Telegram sign-in).
    key        TEXT      NOT NULL,
    user_id    TEXT      REFERENCES users (id) ON DELETE CASCADE,
    -- The address the code goes to, as a Fernet token.
    sent_to    TEXT      NOT NULL,
    code_hash  TEXT,
    attempts   INTEGER   NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
INSERT INTO one_time_codes_new SELECT id, purpose, key, user_id, sent_to, code_hash, attempts, created_at, expires_at, used_at FROM one_time_codes;
DROP TABLE one_time_codes;
ALTER TABLE one_time_codes_new RENAME TO one_time_codes;
CREATE UNIQUE INDEX one_time_codes_key ON one_time_codes (purpose, key);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id);
CREATE INDEX one_time_codes_expires_idx ON one_time_codes (expires_at);
