package models_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// adminT0 is the fixed moment the admin tests stand at.
var adminT0 = time.Date(2026, time.March, 29, 0, 30, 0, 0, time.UTC)

func TestParseAuditAction(t *testing.T) {
	t.Parallel()
	for _, a := range []models.AuditAction{
		models.AuditActionCreate, models.AuditActionUpdate, models.AuditActionDelete, models.AuditActionLogin,
		models.AuditActionLogout, models.AuditActionLoginFailed, models.AuditActionRead, models.AuditActionExport,
		models.AuditActionEvent,
	} {
		if got, err := models.ParseAuditAction(string(a)); err != nil || got != a {
			t.Errorf("ParseAuditAction(%q) = %q, %v", a, got, err)
		}
	}
	_, err := models.ParseAuditAction("drop")
	cabinetAssertValidation(t, err, "action")
}

func TestNewAuditLog(t *testing.T) {
	t.Parallel()
	actorID := models.NewID()
	actor := models.AuditActor{UserID: &actorID, Role: "owner", IP: "203.0.113.7", UserAgent: "Firefox"}
	changes := map[string]models.AuditChange{"status": {From: "pending", To: "confirmed"}, "price_minor": {From: 100, To: 200}}
	tests := []struct {
		name       string
		actor      models.AuditActor
		action     models.AuditAction
		resource   string
		resourceID string
		changes    map[string]models.AuditChange
		wantField  string
	}{
		{name: "update with a diff", actor: actor, action: models.AuditActionUpdate, resource: "appointment", resourceID: "0193", changes: changes},
		{name: "system login without changes", actor: models.AuditActor{Role: "system"}, action: models.AuditActionLogin, resource: "session"},
		{name: "nil actor id", actor: models.AuditActor{UserID: &uuid.UUID{}, Role: "owner"}, action: models.AuditActionLogin, resource: "session", wantField: "actor_user_id"},
		{name: "no role", actor: models.AuditActor{UserID: &actorID}, action: models.AuditActionLogin, resource: "session", wantField: "actor_role"},
		{name: "role too long", actor: models.AuditActor{Role: strings.Repeat("r", models.AuditActorRoleMaxChars+1)}, action: models.AuditActionLogin, resource: "session", wantField: "actor_role"},
		{name: "unknown action", actor: actor, action: "purge", resource: "session", wantField: "action"},
		{name: "no resource", actor: actor, action: models.AuditActionCreate, wantField: "resource"},
		{name: "resource not a name", actor: actor, action: models.AuditActionCreate, resource: "Appointment!", wantField: "resource"},
		{name: "resource too long", actor: actor, action: models.AuditActionCreate, resource: strings.Repeat("r", models.AuditResourceMaxChars+1), wantField: "resource"},
		{name: "resource with a dash", actor: actor, action: models.AuditActionCreate, resource: "diary-entry", wantField: "resource"},
		{name: "resource starting with a digit", actor: actor, action: models.AuditActionCreate, resource: "1st", wantField: "resource"},
		{name: "resource id too long", actor: actor, action: models.AuditActionCreate, resource: "lead", resourceID: strings.Repeat("1", models.AuditResourceIDMaxChars+1), wantField: "resource_id"},
		{name: "ip too long", actor: models.AuditActor{Role: "owner", IP: strings.Repeat("1", models.AuditIPMaxChars+1)}, action: models.AuditActionLogin, resource: "session", wantField: "ip"},
		{name: "empty field name", actor: actor, action: models.AuditActionUpdate, resource: "lead", changes: map[string]models.AuditChange{"": {}}, wantField: "changes"},
		{name: "diary body", actor: actor, action: models.AuditActionUpdate, resource: "diary_entry", changes: map[string]models.AuditChange{"status": {}, "body": {From: "a", To: "b"}}, wantField: "changes.body"},
		{name: "P2 field in another case", actor: actor, action: models.AuditActionUpdate, resource: "question", changes: map[string]models.AuditChange{"Text": {}}, wantField: "changes.Text"},
		{name: "P2 field in a dotted path", actor: actor, action: models.AuditActionUpdate, resource: "appointment", changes: map[string]models.AuditChange{"intake_form.answers": {}}, wantField: "changes.intake_form.answers"},
		{name: "secret", actor: actor, action: models.AuditActionUpdate, resource: "user", changes: map[string]models.AuditChange{"password_hash": {From: "x", To: "y"}}, wantField: "changes.password_hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := models.NewAuditLog(tt.actor, tt.action, tt.resource, tt.resourceID, tt.changes, adminT0.In(cabinetMSK))
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				if l != nil {
					t.Errorf("log = %+v, want nil", l)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewAuditLog: %v", err)
			}
			if l.ID.Version() != 7 || l.Action != tt.action || l.Resource != tt.resource || l.ResourceID != tt.resourceID ||
				l.ActorRole != tt.actor.Role || l.IP != tt.actor.IP || l.UserAgent != tt.actor.UserAgent {
				t.Errorf("log = %+v", l)
			}
			if !reflect.DeepEqual(l.ActorUserID, tt.actor.UserID) {
				t.Errorf("ActorUserID = %v, want %v", l.ActorUserID, tt.actor.UserID)
			}
			if !l.At.Equal(adminT0) || l.At.Location() != time.UTC {
				t.Errorf("At = %v, want %v in UTC", l.At, adminT0)
			}
			if l.Changes == nil || len(l.Changes) != len(tt.changes) {
				t.Errorf("Changes = %#v, want %d entries and never nil", l.Changes, len(tt.changes))
			}
			for k, v := range tt.changes {
				if !reflect.DeepEqual(l.Changes[k], v) {
					t.Errorf("Changes[%s] = %+v, want %+v", k, l.Changes[k], v)
				}
			}
		})
	}
}

// Every listed P2 field and secret is refused, whatever else the diff holds.
func TestNewAuditLogRefusesEveryDeniedField(t *testing.T) {
	t.Parallel()
	for _, field := range append(append([]string{}, models.AuditP2Fields...), models.AuditSecretFields...) {
		_, err := models.NewAuditLog(models.AuditActor{Role: "owner"}, models.AuditActionUpdate, "thing", "1",
			map[string]models.AuditChange{"status": {From: "a", To: "b"}, field: {From: "x", To: "y"}}, adminT0)
		cabinetAssertValidation(t, err, "changes."+field)
	}
}

// The log keeps its own copies of the diff and the actor id; the user agent is bounded.
func TestNewAuditLogCopiesInput(t *testing.T) {
	t.Parallel()
	id := models.NewID()
	want := id
	changes := map[string]models.AuditChange{"status": {From: "a", To: "b"}}
	ua := strings.Repeat("ю", models.AuditUserAgentMaxBytes) // two bytes each
	l, err := models.NewAuditLog(models.AuditActor{UserID: &id, Role: "owner", UserAgent: ua + "\xff"}, models.AuditActionUpdate, "lead", "1", changes, adminT0)
	if err != nil {
		t.Fatal(err)
	}
	changes["other"] = models.AuditChange{}
	id = models.NewID()
	if len(l.Changes) != 1 || *l.ActorUserID != want || *l.ActorUserID == id {
		t.Errorf("log shares the caller's values: %+v", l)
	}
	if len(l.UserAgent) > models.AuditUserAgentMaxBytes || !strings.HasPrefix(ua, l.UserAgent) || l.UserAgent == "" {
		t.Errorf("UserAgent is %d bytes, want a valid prefix of at most %d", len(l.UserAgent), models.AuditUserAgentMaxBytes)
	}
}

func TestParseTemplateChannel(t *testing.T) {
	t.Parallel()
	for _, c := range []models.TemplateChannel{models.TemplateChannelEmail, models.TemplateChannelTelegram} {
		if got, err := models.ParseTemplateChannel(string(c)); err != nil || got != c {
			t.Errorf("ParseTemplateChannel(%q) = %q, %v", c, got, err)
		}
	}
	_, err := models.ParseTemplateChannel("sms")
	cabinetAssertValidation(t, err, "channel")
}

func TestNewMessageTemplate(t *testing.T) {
	t.Parallel()
	editor := models.NewID()
	html := `<p>Здравствуйте, {{.Name}}!</p>{{if .Link}}<a href="{{.Link}}">оплатить</a>{{end}}`
	tests := []struct {
		name      string
		key       string
		channel   models.TemplateChannel
		locale    string
		subject   string
		text      string
		html      *string
		by        *uuid.UUID
		wantField string
	}{
		{name: "email with html", key: "booking_confirmed", channel: models.TemplateChannelEmail, locale: "ru", subject: "Запись {{.Date}}", text: "Здравствуйте, {{.Name}}!", html: &html, by: &editor},
		{name: "email without html, seeded", key: "booking_confirmed", channel: models.TemplateChannelEmail, locale: "en-GB", subject: "Booked", text: "Hi {{.Name}}"},
		{name: "telegram", key: "reminder_24h", channel: models.TemplateChannelTelegram, locale: "ru", text: "Напоминаем: {{.Time}}", by: &editor},
		{name: "bad key", key: "Booking Confirmed", channel: models.TemplateChannelEmail, locale: "ru", subject: "s", text: "t", wantField: "key"},
		{name: "empty key", channel: models.TemplateChannelEmail, locale: "ru", subject: "s", text: "t", wantField: "key"},
		{name: "bad channel", key: "k", channel: "sms", locale: "ru", text: "t", wantField: "channel"},
		{name: "bad locale", key: "k", channel: models.TemplateChannelTelegram, locale: "russian", text: "t", wantField: "locale"},
		{name: "bad locale region", key: "k", channel: models.TemplateChannelTelegram, locale: "ru-ru", text: "t", wantField: "locale"},
		{name: "upper-case language", key: "k", channel: models.TemplateChannelTelegram, locale: "RU", text: "t", wantField: "locale"},
		{name: "nil editor", key: "k", channel: models.TemplateChannelTelegram, locale: "ru", text: "t", by: &uuid.UUID{}, wantField: "updated_by"},
		{name: "email without subject", key: "k", channel: models.TemplateChannelEmail, locale: "ru", subject: " ", text: "t", wantField: "subject"},
		{name: "two-line subject", key: "k", channel: models.TemplateChannelEmail, locale: "ru", subject: "a\nBcc: x@example.org", text: "t", wantField: "subject"},
		{name: "subject too long", key: "k", channel: models.TemplateChannelEmail, locale: "ru", subject: strings.Repeat("s", models.TemplateSubjectMaxChars+1), text: "t", wantField: "subject"},
		{name: "broken subject template", key: "k", channel: models.TemplateChannelEmail, locale: "ru", subject: "{{.Date", text: "t", wantField: "subject"},
		{name: "no text", key: "k", channel: models.TemplateChannelTelegram, locale: "ru", text: " \n", wantField: "body_text"},
		{name: "text too long", key: "k", channel: models.TemplateChannelTelegram, locale: "ru", text: strings.Repeat("t", models.TemplateBodyMaxChars+1), wantField: "body_text"},
		{name: "broken text template", key: "k", channel: models.TemplateChannelTelegram, locale: "ru", text: "{{if .X}}open", wantField: "body_text"},
		{name: "broken html template", key: "k", channel: models.TemplateChannelEmail, locale: "ru", subject: "s", text: "t", html: cabinetPtr("<p>{{end}}</p>"), wantField: "body_html"},
		{name: "html escaping error", key: "k", channel: models.TemplateChannelEmail, locale: "ru", subject: "s", text: "t", html: cabinetPtr(`<a href="{{.Link}}`), wantField: "body_html"},
		{name: "empty html", key: "k", channel: models.TemplateChannelEmail, locale: "ru", subject: "s", text: "t", html: cabinetPtr(""), wantField: "body_html"},
		{name: "telegram with subject", key: "k", channel: models.TemplateChannelTelegram, locale: "ru", subject: "s", text: "t", wantField: "subject"},
		{name: "telegram with html", key: "k", channel: models.TemplateChannelTelegram, locale: "ru", text: "t", html: cabinetPtr("<b>t</b>"), wantField: "body_html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := models.NewMessageTemplate(tt.key, tt.channel, tt.locale, tt.subject, tt.text, tt.html, tt.by, adminT0.In(cabinetMSK))
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				if m != nil {
					t.Errorf("template = %+v, want nil", m)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewMessageTemplate: %v", err)
			}
			if m.ID.Version() != 7 || m.Key != tt.key || m.Channel != tt.channel || m.Locale != tt.locale || m.BodyText != tt.text || m.Version != 1 {
				t.Errorf("template = %+v", m)
			}
			wantSubject := &tt.subject
			if tt.channel == models.TemplateChannelTelegram {
				wantSubject = nil
			}
			if !reflect.DeepEqual(m.Subject, wantSubject) || !reflect.DeepEqual(m.BodyHTML, tt.html) || !reflect.DeepEqual(m.UpdatedBy, tt.by) {
				t.Errorf("Subject %v, BodyHTML %v, UpdatedBy %v", m.Subject, m.BodyHTML, m.UpdatedBy)
			}
			if tt.html != nil && m.BodyHTML == tt.html {
				t.Error("BodyHTML shares the caller's pointer")
			}
			if tt.by != nil && m.UpdatedBy == tt.by {
				t.Error("UpdatedBy shares the caller's pointer")
			}
			if !m.CreatedAt.Equal(adminT0) || m.CreatedAt.Location() != time.UTC || !m.UpdatedAt.Equal(adminT0) {
				t.Errorf("CreatedAt %v, UpdatedAt %v", m.CreatedAt, m.UpdatedAt)
			}
			if len(m.Events()) != 0 {
				t.Errorf("events = %+v, want none", m.Events())
			}
		})
	}
}

func TestMessageTemplateEdit(t *testing.T) {
	t.Parallel()
	t1 := adminT0.Add(time.Hour)
	editor := models.NewID()
	newEmail := func(t *testing.T) *models.MessageTemplate {
		m, err := models.NewMessageTemplate("booking_confirmed", models.TemplateChannelEmail, "ru", "Запись", "Текст", cabinetPtr("<p>Текст</p>"), nil, adminT0)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	newTelegram := func(t *testing.T) *models.MessageTemplate {
		m, err := models.NewMessageTemplate("reminder_24h", models.TemplateChannelTelegram, "ru", "", "Текст", nil, nil, adminT0)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name      string
		template  func(t *testing.T) *models.MessageTemplate
		subject   string
		text      string
		html      *string
		by        uuid.UUID
		wantField string
	}{
		{name: "email: new content", template: newEmail, subject: "Запись {{.Date}}", text: "Ждём вас {{.Date}}", html: cabinetPtr("<p>{{.Date}}</p>"), by: editor},
		{name: "email: drop html", template: newEmail, subject: "Запись", text: "Ждём вас", by: editor},
		{name: "telegram: new text", template: newTelegram, text: "Напоминаем {{.Time}}", by: editor},
		{name: "no editor", template: newEmail, subject: "s", text: "t", by: uuid.Nil, wantField: "updated_by"},
		{name: "email: broken subject", template: newEmail, subject: "{{", text: "t", by: editor, wantField: "subject"},
		{name: "email: broken html", template: newEmail, subject: "s", text: "t", html: cabinetPtr("{{range}}"), by: editor, wantField: "body_html"},
		{name: "telegram: subject", template: newTelegram, subject: "s", text: "t", by: editor, wantField: "subject"},
		{name: "telegram: broken text", template: newTelegram, text: "{{.X", by: editor, wantField: "body_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.template(t)
			before := *m
			err := m.Edit(tt.subject, tt.text, tt.html, tt.by, t1.In(cabinetMSK))
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				if !reflect.DeepEqual(*m, before) {
					t.Errorf("rejected edit changed the template:\n got %+v\nwant %+v", *m, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if m.BodyText != tt.text || !reflect.DeepEqual(m.BodyHTML, tt.html) || m.UpdatedBy == nil || *m.UpdatedBy != editor {
				t.Errorf("template = %+v", m)
			}
			if m.Channel == models.TemplateChannelEmail && (m.Subject == nil || *m.Subject != tt.subject) {
				t.Errorf("Subject = %v, want %q", m.Subject, tt.subject)
			}
			if !m.UpdatedAt.Equal(t1) || m.UpdatedAt.Location() != time.UTC || !m.CreatedAt.Equal(adminT0) || m.Version != before.Version {
				t.Errorf("UpdatedAt %v, CreatedAt %v, Version %d", m.UpdatedAt, m.CreatedAt, m.Version)
			}
			events := m.Events()
			if len(events) != 1 {
				t.Fatalf("events = %+v", events)
			}
			e, ok := events[0].(models.MessageTemplateEdited)
			if !ok || e.EventName() != "message_template.edited" || e.AggregateID() != m.ID || e.Key != m.Key || e.Channel != m.Channel || e.Locale != "ru" {
				t.Errorf("event = %+v", events[0])
			}
		})
	}
}

// A valid HTML template that uses data is accepted although the check runs it without data.
func TestNewMessageTemplateHTMLNeedsNoData(t *testing.T) {
	t.Parallel()
	for _, html := range []string{
		`{{range .Items}}<li>{{.}}</li>{{end}}`,
		`{{.Name}}<p>x</p>`,
		`{{with .Missing.Deeper}}{{.}}{{end}}plain`,
	} {
		_, err := models.NewMessageTemplate("k", models.TemplateChannelEmail, "ru", "s", "t", &html, nil, adminT0)
		if err != nil {
			var ve *models.ValidationError
			t.Errorf("%q: err = %v (validation %v)", html, err, errors.As(err, &ve))
		}
	}
}
