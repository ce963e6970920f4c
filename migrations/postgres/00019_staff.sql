-- Staff accounts managed from the admin panel: one-time invitations to set a password (only the
-- SHA-256 of the emailed token is stored), the staff list as a view "staff" (users holding a staff role,
-- with their highest role), and the invitation email's template.

-- +goose Up
CREATE TABLE staff_invites (
    id         uuid PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Set when the email goes out; NULL until then.
    token_hash text,
    invited_by uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    -- A newer invitation of the same user revokes this one.
    revoked_at timestamptz,
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX staff_invites_token_hash_key ON staff_invites (token_hash);
CREATE INDEX staff_invites_user_idx ON staff_invites (user_id);

CREATE VIEW staff AS
SELECT u.id, u.email, u.display_name, u.status,
       (SELECT r.role FROM user_roles r
         WHERE r.user_id = u.id AND r.role IN ('owner', 'assistant', 'editor')
         ORDER BY CASE r.role WHEN 'owner' THEN 1 WHEN 'assistant' THEN 2 ELSE 3 END
         LIMIT 1) AS role,
       u.password_hash IS NOT NULL AS password_set,
       u.created_at, u.updated_at
  FROM users u
 WHERE u.deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('owner', 'assistant', 'editor'));

-- +goose StatementBegin
INSERT INTO message_templates (id, key, channel, locale, subject, body_text, body_html, version, created_at, updated_at) VALUES
    ('01a2148a-8528-7a00-9c3e-5f1d2b7c0a11', 'staff_invite', 'email', 'ru', 'Приглашение в панель управления «Эмоциональный баланс»', 'Здравствуйте, {{.ClientName}}!

Вас пригласили в панель управления сайта «Эмоциональный баланс». Чтобы войти, задайте пароль по ссылке:
{{.Link}}

Ссылка действует 72 часа и открывается один раз. Если вы не ждали приглашения, просто проигнорируйте это письмо.

—
Эмоциональный баланс
{{.SiteURL}}
', '<p>Здравствуйте, {{.ClientName}}!</p><p>Вас пригласили в панель управления сайта «Эмоциональный баланс». Чтобы войти, <a href="{{.Link}}">задайте пароль</a>.</p><p>Ссылка действует 72 часа и открывается один раз. Если вы не ждали приглашения, просто проигнорируйте это письмо.</p><p style="color:#777">—<br>Эмоциональный баланс<br><a href="{{.SiteURL}}">{{.SiteURL}}</a></p>', 1, '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z');
-- +goose StatementEnd

-- +goose Down
DELETE FROM message_templates WHERE locale = 'ru' AND key = 'staff_invite' AND updated_by IS NULL AND version = 1;
DROP VIEW staff;
DROP TABLE staff_invites;
