-- Client cabinet: the archives of data export requests. The archive (everything held about the
-- client, decrypted, as one zip) is kept in the database, so that any instance can hand it out,
-- and only as a Fernet token; the download token only as its SHA-256. A row lives until the first
-- download or its expiry (24 hours). The email that carries the link says so.
-- Same columns as migrations/sqlite.

-- +goose Up
CREATE TABLE data_export_archives (
    request_id uuid PRIMARY KEY REFERENCES data_export_requests (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- P2: the zip archive, as a Fernet token.
    content    text        NOT NULL,
    token_hash text,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX data_export_archives_user_idx ON data_export_archives (user_id);
CREATE UNIQUE INDEX data_export_archives_token_hash_key ON data_export_archives (token_hash);
CREATE INDEX data_export_archives_expires_idx ON data_export_archives (expires_at);

UPDATE message_templates SET body_text = 'Здравствуйте, {{.ClientName}}!

Архив со всеми вашими данными, которые хранятся у нас, готов. Скачать его можно один раз
в течение 24 часов, войдя в личный кабинет на сайте:
{{.Link}}

После скачивания или через 24 часа архив удаляется; при необходимости запросите новый в личном
кабинете. Если вы не запрашивали архив, просто проигнорируйте это письмо.

—
Эмоциональный баланс
{{.SiteURL}}
', body_html = '<p>Здравствуйте, {{.ClientName}}!</p><p>Архив со всеми вашими данными, которые хранятся у нас, готов. Скачать его можно один раз в течение 24 часов, войдя в личный кабинет на сайте: <a href="{{.Link}}">скачать архив</a>.</p><p>После скачивания или через 24 часа архив удаляется; при необходимости запросите новый в личном кабинете. Если вы не запрашивали архив, просто проигнорируйте это письмо.</p><p>—<br>Эмоциональный баланс</p>'
WHERE key = 'data_export_ready' AND channel = 'email' AND locale = 'ru' AND updated_by IS NULL AND version = 1;

-- +goose Down
DROP TABLE data_export_archives;
