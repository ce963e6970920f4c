-- Account deletion: one-time codes that confirm a client's deletion of their account (purpose
-- delete_account, keyed by the user id), and the emails of the code and of the done deletion.
-- Same columns as migrations/sqlite.

-- +goose Up
ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check;
ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check CHECK (purpose IN ('sign_in', 'email_change', 'telegram_sign_in', 'delete_account'));

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
DELETE FROM one_time_codes WHERE purpose = 'delete_account';
ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check;
ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check CHECK (purpose IN ('sign_in', 'email_change', 'telegram_sign_in'));
