-- Leads and consents (the site's contact and subscription forms): each form a lead sends, with its
-- message stored only as a Fernet token (P2); Telegram usernames as a lead identity (a form gives
-- the @username, the bot the numeric id); and the templates of the owner's alerts (a new lead, a
-- crisis signal) and of the email telling an asker their question was answered.

-- +goose Up
CREATE TABLE lead_submissions (
    id         uuid PRIMARY KEY,
    lead_id    uuid        NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    source     text        NOT NULL CHECK (length(source) BETWEEN 1 AND 32),
    name       text        NOT NULL DEFAULT '',
    -- P2: what the visitor wrote, a Fernet token; NULL when they wrote nothing.
    message    text,
    utm        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(utm) = 'object'),
    -- [{"type": ..., "version": ...}]: the consents given in the form.
    consents   jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(consents) = 'array'),
    created_at timestamptz NOT NULL
);
CREATE INDEX lead_submissions_lead_idx ON lead_submissions (lead_id, created_at);

ALTER TABLE lead_identities DROP CONSTRAINT lead_identities_kind_check;
ALTER TABLE lead_identities ADD CONSTRAINT lead_identities_kind_check
    CHECK (kind IN ('email', 'phone', 'telegram', 'anonymous_id', 'telegram_username'));

-- +goose StatementBegin
INSERT INTO message_templates (id, key, channel, locale, subject, body_text, body_html, version, created_at, updated_at) VALUES
    ('01a2148a-8528-7c23-8a01-4c6561647331', 'owner_new_lead', 'email', 'ru', 'Новая заявка с сайта{{if .ClientName}}: {{.ClientName}}{{end}}', 'Новая заявка с сайта: {{.Kind}}.

Имя: {{if .ClientName}}{{.ClientName}}{{else}}не указано{{end}}
Контакты: {{.Contacts}}
Когда: {{.When}}

Карточка лида: {{.Link}}
Сообщение, если его оставили, — в разделе «Заявки с сайта» панели управления.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Новая заявка с сайта: {{.Kind}}.</p><ul><li>Имя: {{if .ClientName}}{{.ClientName}}{{else}}не указано{{end}}</li><li>Контакты: {{.Contacts}}</li><li>Когда: {{.When}}</li></ul><p><a href="{{.Link}}">Карточка лида</a>. Сообщение, если его оставили, — в разделе «Заявки с сайта» панели управления.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z'),
    ('01a2148a-8528-7c23-8a02-437269736973', 'owner_crisis_alert', 'email', 'ru', 'Кризисный сигнал: {{.Kind}}', 'Кризисный сигнал: {{.Kind}}.

Когда: {{.When}}
Запись в панели управления: {{.Link}}

Текст и ответы клиента в письмо не включаются — они только в панели управления.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p><b>Кризисный сигнал</b>: {{.Kind}}.</p><ul><li>Когда: {{.When}}</li></ul><p><a href="{{.Link}}">Открыть запись в панели управления</a></p><p>Текст и ответы клиента в письмо не включаются — они только в панели управления.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z'),
    ('01a2148a-8528-7c23-8a03-437269736974', 'owner_crisis_alert', 'telegram', 'ru', NULL, '<b>Кризисный сигнал</b>: {{.Kind}}
{{.When}}
{{.Link}}', NULL, 1, '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z'),
    ('01a2148a-8528-7c23-8a04-416e73776572', 'question_answered', 'email', 'ru', 'На ваш вопрос ответили', 'Здравствуйте!

Психолог ответил на ваш вопрос. Ответ опубликован на сайте: {{.Link}}

Вы получили это письмо, потому что, задавая вопрос, оставили адрес и попросили сообщить об ответе.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте!</p><p>Психолог ответил на ваш вопрос. <a href="{{.Link}}">Прочитать ответ на сайте</a>.</p><p>Вы получили это письмо, потому что, задавая вопрос, оставили адрес и попросили сообщить об ответе.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z');
-- +goose StatementEnd

-- +goose Down
DELETE FROM message_templates WHERE locale = 'ru' AND key IN ('owner_crisis_alert', 'owner_new_lead', 'question_answered') AND updated_by IS NULL AND version = 1;
DELETE FROM lead_identities WHERE kind = 'telegram_username';
ALTER TABLE lead_identities DROP CONSTRAINT lead_identities_kind_check;
ALTER TABLE lead_identities ADD CONSTRAINT lead_identities_kind_check
    CHECK (kind IN ('email', 'phone', 'telegram', 'anonymous_id'));
DROP TABLE lead_submissions;
