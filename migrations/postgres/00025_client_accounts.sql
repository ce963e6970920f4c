-- Client accounts: one-time codes a client signs in with, or confirms a new email address with
-- (only a hash of the code is stored, set when the email goes out; the address is Fernet-encrypted;
-- one row per purpose and key, so a new code replaces the previous one), sessions that say whether
-- they serve staff or a client, the client's time zone, the email-change code's template, and the manage link in the booking
-- emails (the token kept encrypted with the appointment).

-- +goose Up
CREATE TABLE one_time_codes (
    id         uuid PRIMARY KEY,
    purpose    text        NOT NULL CHECK (purpose IN ('sign_in', 'email_change')),
    -- The email hash (sign-in) or the user id (email change).
    key        text        NOT NULL,
    user_id    uuid        REFERENCES users (id) ON DELETE CASCADE,
    -- The address the code goes to, as a Fernet token.
    sent_to    text        NOT NULL,
    code_hash  text,
    attempts   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE UNIQUE INDEX one_time_codes_key ON one_time_codes (purpose, key);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id);
CREATE INDEX one_time_codes_expires_idx ON one_time_codes (expires_at);

ALTER TABLE sessions ADD COLUMN kind text NOT NULL DEFAULT 'staff' CHECK (kind IN ('staff', 'client'));
-- The manage-link token of a booking, as a Fernet token, for the booking's emails (lookups go by
-- manage_token_hash).
ALTER TABLE appointments ADD COLUMN manage_token text;
ALTER TABLE users ADD COLUMN time_zone text;

-- +goose StatementBegin
INSERT INTO message_templates (id, key, channel, locale, subject, body_text, body_html, version, created_at, updated_at) VALUES
    ('019aea2c-1800-7c25-9a41-2f0c6d1e5b01', 'email_change_code', 'email', 'ru', 'Код для смены адреса: {{.Code}}', 'Здравствуйте{{if .ClientName}}, {{.ClientName}}{{end}}!

Чтобы этот адрес стал адресом вашего личного кабинета, введите код: {{.Code}}

Код действует 10 минут. Если вы не меняли адрес, просто проигнорируйте это письмо: без кода ничего не изменится.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте{{if .ClientName}}, {{.ClientName}}{{end}}!</p><p>Чтобы этот адрес стал адресом вашего личного кабинета, введите код: <b>{{.Code}}</b></p><p>Код действует 10 минут. Если вы не меняли адрес, просто проигнорируйте это письмо: без кода ничего не изменится.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z');
-- +goose StatementEnd

-- The booking emails carry the manage link, where their text is still the seeded one.
-- +goose StatementBegin
UPDATE message_templates SET body_text = REPLACE(body_text, 'Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.', '{{if .ManageURL}}Посмотреть, перенести или отменить запись и заполнить анкету можно здесь:
{{.ManageURL}}{{else}}Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.{{end}}'),
       body_html = REPLACE(body_html, '<p>Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.</p>', '{{if .ManageURL}}<p><a href="{{.ManageURL}}">Посмотреть, перенести или отменить запись и заполнить анкету</a></p>{{else}}<p>Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.</p>{{end}}')
 WHERE key = 'booking_confirmed' AND channel = 'email' AND locale = 'ru' AND updated_by IS NULL AND version = 1;
-- +goose StatementEnd
-- +goose StatementBegin
UPDATE message_templates SET body_text = REPLACE(body_text, 'Если оплата не поступит вовремя, время освободится и запись будет отменена.', 'Если оплата не поступит вовремя, время освободится и запись будет отменена.{{if .ManageURL}}

Ваша запись: {{.ManageURL}}{{end}}'),
       body_html = REPLACE(body_html, '<p>Если оплата не поступит вовремя, время освободится и запись будет отменена.</p>', '<p>Если оплата не поступит вовремя, время освободится и запись будет отменена.</p>{{if .ManageURL}}<p><a href="{{.ManageURL}}">Ваша запись</a></p>{{end}}')
 WHERE key = 'booking_received' AND channel = 'email' AND locale = 'ru' AND updated_by IS NULL AND version = 1;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
UPDATE message_templates SET body_text = REPLACE(body_text, '{{if .ManageURL}}Посмотреть, перенести или отменить запись и заполнить анкету можно здесь:
{{.ManageURL}}{{else}}Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.{{end}}', 'Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.'),
       body_html = REPLACE(body_html, '{{if .ManageURL}}<p><a href="{{.ManageURL}}">Посмотреть, перенести или отменить запись и заполнить анкету</a></p>{{else}}<p>Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.</p>{{end}}', '<p>Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.</p>')
 WHERE key = 'booking_confirmed' AND channel = 'email' AND locale = 'ru' AND updated_by IS NULL AND version = 1;
-- +goose StatementEnd
-- +goose StatementBegin
UPDATE message_templates SET body_text = REPLACE(body_text, 'Если оплата не поступит вовремя, время освободится и запись будет отменена.{{if .ManageURL}}

Ваша запись: {{.ManageURL}}{{end}}', 'Если оплата не поступит вовремя, время освободится и запись будет отменена.'),
       body_html = REPLACE(body_html, '<p>Если оплата не поступит вовремя, время освободится и запись будет отменена.</p>{{if .ManageURL}}<p><a href="{{.ManageURL}}">Ваша запись</a></p>{{end}}', '<p>Если оплата не поступит вовремя, время освободится и запись будет отменена.</p>')
 WHERE key = 'booking_received' AND channel = 'email' AND locale = 'ru' AND updated_by IS NULL AND version = 1;
-- +goose StatementEnd
DELETE FROM message_templates WHERE locale = 'ru' AND key = 'email_change_code' AND updated_by IS NULL AND version = 1;
ALTER TABLE users DROP COLUMN time_zone;
ALTER TABLE appointments DROP COLUMN manage_token;
ALTER TABLE sessions DROP COLUMN kind;
DROP TABLE one_time_codes;
