-- Leads and consents (the site's contact and subscription forms): each form a lead sends, with its
-- message stored only as a Fernet token (P2); Telegram usernames as a lead identity (a form gives
-- the @username, the bot the numeric id); and the templates of the owner's alerts (a new lead, a
-- crisis signal) and of the email telling an asker their question was answered.
-- Same columns as migrations/postgres. SQLite cannot change a CHECK constraint in place, so
-- lead_identities is rebuilt (nothing references it, so foreign keys need no care).

-- +goose Up
CREATE TABLE lead_submissions (
    id         TEXT PRIMARY KEY,
    lead_id    TEXT      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    source     TEXT      NOT NULL CHECK (length(source) BETWEEN 1 AND 32),
    name       TEXT      NOT NULL DEFAULT '',
    -- P2: what the visitor wrote, a Fernet token; NULL when they wrote nothing.
    message    TEXT,
    utm        TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(utm) AND json_type(utm) = 'object'),
    -- [{"type": ..., "version": ...}]: the consents given in the form.
    consents   TEXT      NOT NULL DEFAULT '[]' CHECK (json_valid(consents) AND json_type(consents) = 'array'),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX lead_submissions_lead_idx ON lead_submissions (lead_id, created_at);

CREATE TABLE lead_identities_new (
    id         TEXT PRIMARY KEY,
    lead_id    TEXT      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind       TEXT      NOT NULL CHECK (kind IN ('email', 'phone', 'telegram', 'anonymous_id', 'telegram_username')),
    value      TEXT      NOT NULL CHECK (length(value) BETWEEN 1 AND 254),
    created_at TIMESTAMP NOT NULL
);
INSERT INTO lead_identities_new (id, lead_id, kind, value, created_at)
    SELECT id, lead_id, kind, value, created_at FROM lead_identities;
DROP TABLE lead_identities;
ALTER TABLE lead_identities_new RENAME TO lead_identities;
CREATE UNIQUE INDEX lead_identities_kind_value_key ON lead_identities (kind, value);
CREATE INDEX lead_identities_lead_idx ON lead_identities (lead_id);

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
', '<p>Новая заявка с сайта: {{.Kind}}.</p><ul><li>Имя: {{if .ClientName}}{{.ClientName}}{{else}}не указано{{end}}</li><li>Контакты: {{.Contacts}}</li><li>Когда: {{.When}}</li></ul><p><a href="{{.Link}}">Карточка лида</a>. Сообщение, если его оставили, — в разделе «Заявки с сайта» панели управления.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00'),
    ('01a2148a-8528-7c23-8a02-437269736973', 'owner_crisis_alert', 'email', 'ru', 'Кризисный сигнал: {{.Kind}}', 'Кризисный сигнал: {{.Kind}}.

Когда: {{.When}}
Запись в панели управления: {{.Link}}

Текст и ответы клиента в письмо не включаются — они только в панели управления.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p><b>Кризисный сигнал</b>: {{.Kind}}.</p><ul><li>Когда: {{.When}}</li></ul><p><a href="{{.Link}}">Открыть запись в панели управления</a></p><p>Текст и ответы клиента в письмо не включаются — они только в панели управления.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00'),
    ('01a2148a-8528-7c23-8a03-437269736974', 'owner_crisis_alert', 'telegram', 'ru', NULL, '<b>Кризисный сигнал</b>: {{.Kind}}
{{.When}}
{{.Link}}', NULL, 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00'),
    ('01a2148a-8528-7c23-8a04-416e73776572', 'question_answered', 'email', 'ru', 'На ваш вопрос ответили', 'Здравствуйте!

Психолог ответил на ваш вопрос. Ответ опубликован на сайте: {{.Link}}

Вы получили это письмо, потому что, задавая вопрос, оставили адрес и попросили сообщить об ответе.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте!</p><p>Психолог ответил на ваш вопрос. <a href="{{.Link}}">Прочитать ответ на сайте</a>.</p><p>Вы получили это письмо, потому что, задавая вопрос, оставили адрес и попросили сообщить об ответе.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-12-03 00:00:00+00:00', '2026-12-03 00:00:00+00:00');
-- +goose StatementEnd

-- +goose Down
DELETE FROM message_templates WHERE locale = 'ru' AND key IN ('owner_crisis_alert', 'owner_new_lead', 'question_answered') AND updated_by IS NULL AND version = 1;
CREATE TABLE lead_identities_old (
    id         TEXT PRIMARY KEY,
    lead_id    TEXT      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind       TEXT      NOT NULL CHECK (kind IN ('email', 'phone', 'telegram', 'anonymous_id')),
    value      TEXT      NOT NULL CHECK (length(value) BETWEEN 1 AND 254),
    created_at TIMESTAMP NOT NULL
);
-- The older schema has no Telegram usernames: rolling back leaves them out.
INSERT INTO lead_identities_old (id, lead_id, kind, value, created_at)
    SELECT id, lead_id, kind, value, created_at FROM lead_identities WHERE kind <> 'telegram_username';
DROP TABLE lead_identities;
ALTER TABLE lead_identities_old RENAME TO lead_identities;
CREATE UNIQUE INDEX lead_identities_kind_value_key ON lead_identities (kind, value);
CREATE INDEX lead_identities_lead_idx ON lead_identities (lead_id);
DROP TABLE lead_submissions;
