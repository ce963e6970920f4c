-- Account deletion: one-time codes that confirm a client's deletion of their account (purpose
-- delete_account, keyed by the user id; SQLite changes a CHECK by rebuilding the table), and the
-- emails of the code and of the done deletion. Same columns as migrations/postgres.

-- +goose Up
CREATE TABLE one_time_codes_new (
    id         TEXT PRIMARY KEY,
    purpose    TEXT      NOT NULL CHECK (purpose IN ('sign_in', 'email_change', 'telegram_sign_in', 'delete_account')),
    -- The email hash (sign-in) or the user id (email change, account deletion).
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
INSERT INTO one_time_codes_new SELECT id, purpose, key, user_id, sent_to, code_hash, attempts, created_at, expires_at, used_at FROM one_time_codes ;
DROP TABLE one_time_codes;
ALTER TABLE one_time_codes_new RENAME TO one_time_codes;
CREATE UNIQUE INDEX one_time_codes_key ON one_time_codes (purpose, key);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id);
CREATE INDEX one_time_codes_expires_idx ON one_time_codes (expires_at);

-- +goose StatementBegin
INSERT INTO message_templates (id, key, channel, locale, subject, body_text, body_html, version, created_at, updated_at) VALUES
    ('019aeb1e-2900-7d3a-8c51-6b0e2f9a4d01', 'account_deletion_code', 'email', 'ru', 'Код для удаления аккаунта: {{.Code}}', 'Здравствуйте{{if .ClientName}}, {{.ClientName}}{{end}}!

Вы попросили удалить свой личный кабинет. Чтобы подтвердить удаление, введите код: {{.Code}}

Код действует 10 минут. После удаления ваши записи в дневнике, анкеты, вопросы и сообщения будут стёрты безвозвратно, предстоящие консультации отменены с возвратом оплаты по правилам отмены.

Если вы не просили удалить аккаунт, просто проигнорируйте это письмо: без кода ничего не изменится.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте{{if .ClientName}}, {{.ClientName}}{{end}}!</p><p>Вы попросили удалить свой личный кабинет. Чтобы подтвердить удаление, введите код: <b>{{.Code}}</b></p><p>Код действует 10 минут. После удаления ваши записи в дневнике, анкеты, вопросы и сообщения будут стёрты безвозвратно, предстоящие консультации отменены с возвратом оплаты по правилам отмены.</p><p>Если вы не просили удалить аккаунт, просто проигнорируйте это письмо: без кода ничего не изменится.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00'),
    ('019aeb1e-2900-7d3a-8c51-6b0e2f9a4d02', 'account_deleted', 'email', 'ru', 'Ваш аккаунт удалён', 'Здравствуйте!

Ваш личный кабинет удалён, как вы просили. Записи в дневнике, анкеты, вопросы и сообщения стёрты; имя, адрес и телефон больше не хранятся. Предстоящие консультации отменены, оплата за них вернётся по правилам отмены. Сведения о платежах мы храним столько, сколько требует закон, без связи с вами.

Это последнее письмо на этот адрес. Если вы не удаляли аккаунт, ответьте на это письмо.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте!</p><p>Ваш личный кабинет удалён, как вы просили. Записи в дневнике, анкеты, вопросы и сообщения стёрты; имя, адрес и телефон больше не хранятся. Предстоящие консультации отменены, оплата за них вернётся по правилам отмены. Сведения о платежах мы храним столько, сколько требует закон, без связи с вами.</p><p>Это последнее письмо на этот адрес. Если вы не удаляли аккаунт, ответьте на это письмо.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00');
-- +goose StatementEnd

-- +goose Down
DELETE FROM message_templates WHERE locale = 'ru' AND key IN ('account_deletion_code', 'account_deleted') AND updated_by IS NULL AND version = 1;
CREATE TABLE one_time_codes_new (
    id         TEXT PRIMARY KEY,
    purpose    TEXT      NOT NULL CHECK (purpose IN ('sign_in', 'email_change', 'telegram_sign_in')),
    -- The email hash (sign-in) or the user id (email change, account deletion).
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
INSERT INTO one_time_codes_new SELECT id, purpose, key, user_id, sent_to, code_hash, attempts, created_at, expires_at, used_at FROM one_time_codes WHERE purpose <> 'delete_account';
DROP TABLE one_time_codes;
ALTER TABLE one_time_codes_new RENAME TO one_time_codes;
CREATE UNIQUE INDEX one_time_codes_key ON one_time_codes (purpose, key);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id);
CREATE INDEX one_time_codes_expires_idx ON one_time_codes (expires_at);
