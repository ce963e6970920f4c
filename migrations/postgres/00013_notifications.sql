-- Notifications: the delivery log (what was sent to whom through which channel — a reference to
-- the recipient, never the text) and the message templates in Russian (editable in the admin panel).

-- +goose Up
CREATE TABLE notification_deliveries (
    id                  uuid PRIMARY KEY,
    -- One row per message that should go out: a retried job finds it and sends nothing twice.
    dedup_key           text        NOT NULL CHECK (char_length(dedup_key) BETWEEN 1 AND 200),
    channel             text        NOT NULL CHECK (channel IN ('email', 'telegram')),
    template_key        text        NOT NULL,
    -- Whom: a user (and, for Telegram, their account) by id; the subject the message is about.
    recipient_user_id   uuid        REFERENCES users (id) ON DELETE SET NULL,
    recipient_ref       text        NOT NULL,
    subject_id          uuid,
    status              text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts            integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error          text,
    provider_message_id text,
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE UNIQUE INDEX notification_deliveries_dedup_key ON notification_deliveries (dedup_key);
CREATE INDEX notification_deliveries_status_idx ON notification_deliveries (status, created_at);
CREATE INDEX notification_deliveries_recipient_idx ON notification_deliveries (recipient_user_id, created_at);
CREATE INDEX notification_deliveries_subject_idx ON notification_deliveries (subject_id);

-- +goose StatementBegin
INSERT INTO message_templates (id, key, channel, locale, subject, body_text, body_html, version, created_at, updated_at) VALUES
    ('01a2148a-8528-742b-9ad0-6a1a76b9f9b2', 'booking_received', 'email', 'ru', 'Запись ожидает оплаты — {{.When}}', 'Здравствуйте, {{.ClientName}}!

Мы получили вашу запись и держим для вас это время, пока ждём оплату ({{.Amount}}).

Услуга: {{.ServiceTitle}}
Когда: {{.When}}
Формат: {{.Format}}{{if .MeetingURL}}
Ссылка на встречу: {{.MeetingURL}}{{end}}{{if .Location}}
Адрес: {{.Location}}{{end}}

Если оплата не поступит вовремя, время освободится и запись будет отменена.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Мы получили вашу запись и держим для вас это время, пока ждём оплату ({{.Amount}}).</p><ul><li>Услуга: {{.ServiceTitle}}</li><li>Когда: {{.When}}</li><li>Формат: {{.Format}}</li>{{if .MeetingURL}}<li>Ссылка на встречу: <a href="{{.MeetingURL}}">{{.MeetingURL}}</a></li>{{end}}{{if .Location}}<li>Адрес: {{.Location}}</li>{{end}}</ul><p>Если оплата не поступит вовремя, время освободится и запись будет отменена.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7584-bfba-c8384e309d59', 'booking_confirmed', 'email', 'ru', 'Запись подтверждена — {{.When}}', 'Здравствуйте, {{.ClientName}}!

Ваша запись подтверждена.

Услуга: {{.ServiceTitle}}
Когда: {{.When}}
Формат: {{.Format}}{{if .MeetingURL}}
Ссылка на встречу: {{.MeetingURL}}{{end}}{{if .Location}}
Адрес: {{.Location}}{{end}}

Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Ваша запись подтверждена.</p><ul><li>Услуга: {{.ServiceTitle}}</li><li>Когда: {{.When}}</li><li>Формат: {{.Format}}</li>{{if .MeetingURL}}<li>Ссылка на встречу: <a href="{{.MeetingURL}}">{{.MeetingURL}}</a></li>{{end}}{{if .Location}}<li>Адрес: {{.Location}}</li>{{end}}</ul><p>Если планы изменятся, отменить или перенести запись можно по ссылке, которую вы получили при записи.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7591-90f0-2a6e25c52f83', 'booking_confirmed', 'telegram', 'ru', NULL, '<b>Запись подтверждена</b>
{{.ServiceTitle}}
{{.When}}
Формат: {{.Format}}{{if .MeetingURL}}
Ссылка: {{.MeetingURL}}{{end}}', NULL, 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-759a-85d0-7cf84cc5eaf0', 'reminder', 'email', 'ru', 'Напоминание о консультации — {{.When}}', 'Здравствуйте, {{.ClientName}}!

Напоминаем о консультации.

Услуга: {{.ServiceTitle}}
Когда: {{.When}}
Формат: {{.Format}}{{if .MeetingURL}}
Ссылка на встречу: {{.MeetingURL}}{{end}}{{if .Location}}
Адрес: {{.Location}}{{end}}

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Напоминаем о консультации.</p><ul><li>Услуга: {{.ServiceTitle}}</li><li>Когда: {{.When}}</li><li>Формат: {{.Format}}</li>{{if .MeetingURL}}<li>Ссылка на встречу: <a href="{{.MeetingURL}}">{{.MeetingURL}}</a></li>{{end}}{{if .Location}}<li>Адрес: {{.Location}}</li>{{end}}</ul><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-75a2-9645-151b997c85c6', 'reminder', 'telegram', 'ru', NULL, '<b>Напоминание</b>
{{.ServiceTitle}}
{{.When}}{{if .MeetingURL}}
Ссылка: {{.MeetingURL}}{{end}}', NULL, 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-75ab-9e98-dfa7a7ec7bf8', 'booking_canceled', 'email', 'ru', 'Запись отменена — {{.When}}', 'Здравствуйте, {{.ClientName}}!

Запись отменена.

Услуга: {{.ServiceTitle}}
Когда: {{.When}}{{if .RefundAmount}}

Возврат {{.RefundAmount}} оформлен; деньги придут тем же способом, которым вы платили.{{end}}

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Запись отменена.</p><ul><li>Услуга: {{.ServiceTitle}}</li><li>Когда: {{.When}}</li></ul>{{if .RefundAmount}}<p>Возврат {{.RefundAmount}} оформлен; деньги придут тем же способом, которым вы платили.</p>{{end}}<p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-75b4-ba7c-418d8388e912', 'booking_canceled', 'telegram', 'ru', NULL, '<b>Запись отменена</b>
{{.ServiceTitle}}
{{.When}}', NULL, 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-75bc-96ec-57bf62633925', 'refund_succeeded', 'email', 'ru', 'Возврат {{.RefundAmount}} выполнен', 'Здравствуйте, {{.ClientName}}!

Мы вернули {{.RefundAmount}} за запись «{{.ServiceTitle}}» ({{.When}}). Срок зачисления зависит от банка.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Мы вернули {{.RefundAmount}} за запись «{{.ServiceTitle}}» ({{.When}}). Срок зачисления зависит от банка.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-75c5-9d8b-3b7322fa3edc', 'booking_rescheduled', 'email', 'ru', 'Запись перенесена — {{.When}}', 'Здравствуйте, {{.ClientName}}!

Ваша запись перенесена.

Услуга: {{.ServiceTitle}}
Когда: {{.When}}
Формат: {{.Format}}{{if .MeetingURL}}
Ссылка на встречу: {{.MeetingURL}}{{end}}{{if .Location}}
Адрес: {{.Location}}{{end}}

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Ваша запись перенесена.</p><ul><li>Услуга: {{.ServiceTitle}}</li><li>Когда: {{.When}}</li><li>Формат: {{.Format}}</li>{{if .MeetingURL}}<li>Ссылка на встречу: <a href="{{.MeetingURL}}">{{.MeetingURL}}</a></li>{{end}}{{if .Location}}<li>Адрес: {{.Location}}</li>{{end}}</ul><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7667-ad8a-87d9e541735f', 'booking_rescheduled', 'telegram', 'ru', NULL, '<b>Запись перенесена</b>
{{.ServiceTitle}}
{{.When}}', NULL, 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7670-8862-be2bf7ef7e00', 'waitlist_slot_freed', 'email', 'ru', 'Освободилось время — {{.When}}', 'Здравствуйте, {{.ClientName}}!

Освободилось время, которого вы ждали: {{.ServiceTitle}}, {{.When}}.
Записаться: {{.Link}}

Время достанется тому, кто запишется первым.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Освободилось время, которого вы ждали: {{.ServiceTitle}}, {{.When}}.</p><p><a href="{{.Link}}">Записаться</a></p><p>Время достанется тому, кто запишется первым.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7678-8181-14eccca5a51f', 'signin_code', 'email', 'ru', 'Код для входа: {{.Code}}', 'Ваш код для входа в личный кабинет: {{.Code}}

Код действует 10 минут. Если вы не запрашивали вход, просто проигнорируйте это письмо.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Ваш код для входа в личный кабинет: <b>{{.Code}}</b></p><p>Код действует 10 минут. Если вы не запрашивали вход, просто проигнорируйте это письмо.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7681-91ce-4076e8687376', 'data_export_ready', 'email', 'ru', 'Ваши данные готовы к скачиванию', 'Здравствуйте, {{.ClientName}}!

Архив с вашими данными готов: {{.Link}}
Ссылка действует ограниченное время.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Архив с вашими данными готов: <a href="{{.Link}}">скачать</a>.</p><p>Ссылка действует ограниченное время.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7689-b479-a4d8750fadc7', 'telegram_welcome', 'telegram', 'ru', NULL, 'Здравствуйте{{if .ClientName}}, {{.ClientName}}{{end}}! Это бот практики «Эмоциональный баланс». Здесь будут приходить подтверждения записей и напоминания.', NULL, 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-7692-b779-7bbb5bede13f', 'telegram_plan', 'telegram', 'ru', NULL, '<b>Ваш план</b>
{{.Link}}', NULL, 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'),
    ('01a2148a-8528-769a-9c56-c8d5ca58d364', 'telegram_unknown_code', 'telegram', 'ru', NULL, 'Ссылка устарела или уже использована. Вернитесь на сайт и нажмите кнопку ещё раз: {{.SiteURL}}', NULL, 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z');
-- +goose StatementEnd

-- +goose Down
DELETE FROM message_templates WHERE locale = 'ru' AND key IN ('booking_canceled', 'booking_confirmed', 'booking_received', 'booking_rescheduled', 'data_export_ready', 'refund_succeeded', 'reminder', 'signin_code', 'telegram_plan', 'telegram_unknown_code', 'telegram_welcome', 'waitlist_slot_freed') AND updated_by IS NULL AND version = 1;
DROP TABLE notification_deliveries;
