-- Sign-in from Telegram: one-time codes get the purpose telegram_sign_in (a link the bot sends to
-- a linked client on /login; only hashes of its token are stored), the bot's answers to /login,
-- and the welcome mentions /login.

-- +goose Up
ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check;
ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check
    CHECK (purpose IN ('sign_in', 'email_change', 'telegram_sign_in'));
-- +goose StatementBegin
INSERT INTO message_templates (id, key, channel, locale, subject, body_text, body_html, version, created_at, updated_at) VALUES
    ('019aea2c-1800-7d26-8a01-74676c6f6731', 'telegram_login', 'telegram', 'ru', NULL, 'Ссылка для входа в личный кабинет (действует 10 минут, только один раз):
{{.Link}}

Если вы не просили ссылку, просто не открывайте её.', NULL, 1, '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z'),
    ('019aea2c-1800-7d26-8a02-74676c6f6732', 'telegram_not_linked', 'telegram', 'ru', NULL, 'Этот Telegram пока не связан с личным кабинетом. Войдите на сайте по коду из письма: {{.SiteURL}}', NULL, 1, '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z');
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
ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check;
ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check CHECK (purpose IN ('sign_in', 'email_change'));
