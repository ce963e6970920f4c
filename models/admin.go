package models

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"maps"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Admin: the append-only audit log of staff actions and the message templates editors maintain.

// AuditAction is what an audited request did.
type AuditAction string

// Audit actions.
const (
	AuditActionCreate      AuditAction = "create"
	AuditActionUpdate      AuditAction = "update"
	AuditActionDelete      AuditAction = "delete"
	AuditActionLogin       AuditAction = "login"
	AuditActionLogout      AuditAction = "logout"
	AuditActionLoginFailed AuditAction = "login_failed"
	// AuditActionRead records that P2 data (an intake form) was opened.
	AuditActionRead AuditAction = "read"
	// AuditActionExport records that a data export was handed out.
	AuditActionExport AuditAction = "export"
	// AuditActionEvent records a domain event (the audit subscriber; EventID names the event).
	AuditActionEvent AuditAction = "event"
)

// ParseAuditAction validates an audit action.
func ParseAuditAction(s string) (AuditAction, error) {
	switch a := AuditAction(s); a {
	case AuditActionCreate, AuditActionUpdate, AuditActionDelete, AuditActionLogin, AuditActionLogout,
		AuditActionLoginFailed, AuditActionRead, AuditActionExport, AuditActionEvent:
		return a, nil
	}
	return "", &ValidationError{Field: "action", Message: fmt.Sprintf("unknown audit action %q", s)}
}

// AuditP2Fields are the names of P2 fields (what a client writes about their state) across all
// contexts. An audit diff must never carry them, so NewAuditLog rejects a change to any field named
// here, at any level of a dotted path ("intake.answers"). Every P2 field of every model — each
// field tagged `gorm:"serializer:fernet"` — must be listed here by its column or JSON name.
var AuditP2Fields = []string{
	"answers",           // intake form answers
	"body",              // diary entry text
	"cancel_reason_p2",  // what a client or staff member wrote when canceling an appointment
	"content",           // a data export archive (everything held about a client, decrypted)
	"encrypted_payload", // intake form, as the seed names it
	"intake",            // a whole intake form
	"intake_form",       // a whole intake form
	"message",           // what a visitor wrote in a site form (lead_submissions)
	"mood",              // diary mood
	"notes_p2",          // the psychologist's notes about a client
	"payload",           // intake form payload
	"sent_to",           // the address a one-time sign-in code goes to
	"tags",              // diary tags
	"text",              // question text
}

// AuditSecretFields are secrets that must never be audited either.
var AuditSecretFields = []string{"manage_token", "password", "password_hash", "run_token", "secret", "token", "token_hash"}

// Audit log field limits.
const (
	AuditResourceMaxChars   = 64
	AuditResourceIDMaxChars = 200
	AuditActorRoleMaxChars  = 32
	AuditIPMaxChars         = 64
	AuditUserAgentMaxBytes  = 512
)

// AuditChange is one field's change in an audit diff. Values are plain JSON values; never P2.
type AuditChange struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// AuditActor is who acted: a signed-in staff member, a client, or the system (no user).
type AuditActor struct {
	UserID *uuid.UUID
	// Role is the role the actor acted in ("owner", "assistant", ..., or "system").
	Role      string
	IP        string
	UserAgent string
}

// AuditLog is one audited action. Rows are append-only: the database refuses to update them (only
// the actor reference may be cleared when the user row is deleted).
type AuditLog struct {
	ID          uuid.UUID  `gorm:"primaryKey"`
	ActorUserID *uuid.UUID `gorm:"index:audit_logs_actor_idx,priority:1"`
	ActorRole   string
	Action      AuditAction
	Resource    string `gorm:"index:audit_logs_resource_idx,priority:1"`
	ResourceID  string `gorm:"index:audit_logs_resource_idx,priority:2"`
	// Changes maps a field name to its old and new value.
	Changes   map[string]AuditChange `gorm:"serializer:json"`
	IP        string
	UserAgent string
	At        time.Time `gorm:"index:audit_logs_actor_idx,priority:2;index:audit_logs_resource_idx,priority:3;index:audit_logs_at_idx"`
	// EventID is the domain event a row records (nil for other rows); one row per event.
	EventID *uuid.UUID `gorm:"uniqueIndex:audit_logs_event_id_key"`
}

// NewAuditLog validates an audit record. It refuses changes to P2 fields and secrets, so that the
// audit trail can be shown to every staff role.
func NewAuditLog(actor AuditActor, action AuditAction, resource, resourceID string, changes map[string]AuditChange, now time.Time) (*AuditLog, error) {
	if actor.UserID != nil && *actor.UserID == uuid.Nil {
		return nil, &ValidationError{Field: "actor_user_id", Message: "must be a user id or absent"}
	}
	if actor.Role == "" || len(actor.Role) > AuditActorRoleMaxChars {
		return nil, &ValidationError{Field: "actor_role", Message: fmt.Sprintf("must be 1 to %d characters", AuditActorRoleMaxChars)}
	}
	if _, err := ParseAuditAction(string(action)); err != nil {
		return nil, err
	}
	if !adminIsName(resource, AuditResourceMaxChars) {
		return nil, &ValidationError{Field: "resource", Message: fmt.Sprintf("must be 1 to %d lower-case letters, digits or '_'", AuditResourceMaxChars)}
	}
	if len(resourceID) > AuditResourceIDMaxChars || !utf8.ValidString(resourceID) {
		return nil, &ValidationError{Field: "resource_id", Message: fmt.Sprintf("must be at most %d bytes of UTF-8", AuditResourceIDMaxChars)}
	}
	if len(actor.IP) > AuditIPMaxChars {
		return nil, &ValidationError{Field: "ip", Message: fmt.Sprintf("must be at most %d characters", AuditIPMaxChars)}
	}
	// Sorted, so the same bad input always names the same field.
	for _, key := range slices.Sorted(maps.Keys(changes)) {
		if err := adminCheckChangeKey(key); err != nil {
			return nil, err
		}
	}
	l := &AuditLog{
		ID: NewID(), Action: action, ActorRole: actor.Role, Resource: resource, ResourceID: resourceID,
		Changes: map[string]AuditChange{}, IP: actor.IP, At: now.UTC(),
		UserAgent: truncate(strings.ToValidUTF8(actor.UserAgent, ""), AuditUserAgentMaxBytes),
	}
	if actor.UserID != nil {
		id := *actor.UserID
		l.ActorUserID = &id
	}
	maps.Copy(l.Changes, changes)
	return l, nil
}

// adminCheckChangeKey refuses an empty field name, or one naming a P2 field or a secret at any level.
func adminCheckChangeKey(key string) error {
	if key == "" {
		return &ValidationError{Field: "changes", Message: "field names must not be empty"}
	}
	for part := range strings.SplitSeq(strings.ToLower(key), ".") {
		if slices.Contains(AuditP2Fields, part) {
			return &ValidationError{Field: "changes." + key, Message: "is P2 data and must never be audited"}
		}
		if slices.Contains(AuditSecretFields, part) {
			return &ValidationError{Field: "changes." + key, Message: "is a secret and must never be audited"}
		}
	}
	return nil
}

// adminIsName reports whether s is 1..maxLen lower-case ASCII letters, digits and underscores,
// starting with a letter.
func adminIsName(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// TemplateChannel is how a message template is delivered.
type TemplateChannel string

// Template channels.
const (
	TemplateChannelEmail    TemplateChannel = "email"
	TemplateChannelTelegram TemplateChannel = "telegram"
)

// ParseTemplateChannel validates a template channel.
func ParseTemplateChannel(s string) (TemplateChannel, error) {
	switch c := TemplateChannel(s); c {
	case TemplateChannelEmail, TemplateChannelTelegram:
		return c, nil
	}
	return "", &ValidationError{Field: "channel", Message: fmt.Sprintf("must be email or telegram; got %q", s)}
}

// Message template limits.
const (
	TemplateKeyMaxChars     = 100
	TemplateSubjectMaxChars = 255
	TemplateBodyMaxChars    = 100000
)

// MessageTemplate is an editable email or Telegram message, keyed by (key, channel, locale), e.g.
// ("booking_confirmed", email, "ru"). Bodies are Go templates: text/template for the subject and
// plain text, html/template for the HTML part. Version is both the optimistic lock and the
// content version editors see.
type MessageTemplate struct {
	ID       uuid.UUID       `gorm:"primaryKey"`
	Key      string          `gorm:"uniqueIndex:message_templates_key_channel_locale_key,priority:1"`
	Channel  TemplateChannel `gorm:"uniqueIndex:message_templates_key_channel_locale_key,priority:2"`
	Locale   string          `gorm:"uniqueIndex:message_templates_key_channel_locale_key,priority:3"`
	Subject  *string
	BodyText string
	// BodyHTML is the HTML part of an email (absent for Telegram).
	BodyHTML  *string `gorm:"column:body_html"`
	Version   int
	UpdatedBy *uuid.UUID `gorm:"index:message_templates_updated_by_idx"`
	CreatedAt time.Time
	UpdatedAt time.Time

	Recorder `gorm:"-"`
}

// MessageTemplateEdited is recorded when a template's content changes, so caches can drop it.
type MessageTemplateEdited struct {
	EventMeta
	Key     string          `json:"key"`
	Channel TemplateChannel `json:"channel"`
	Locale  string          `json:"locale"`
}

// EventName implements Event.
func (MessageTemplateEdited) EventName() string { return "message_template.edited" }

// NewMessageTemplate validates and creates a template; by is the editor (nil when the system seeds it).
func NewMessageTemplate(key string, channel TemplateChannel, locale, subject, bodyText string, bodyHTML *string, by *uuid.UUID, now time.Time) (*MessageTemplate, error) {
	if !adminIsName(key, TemplateKeyMaxChars) {
		return nil, &ValidationError{Field: "key", Message: fmt.Sprintf("must be 1 to %d lower-case letters, digits or '_', starting with a letter", TemplateKeyMaxChars)}
	}
	if _, err := ParseTemplateChannel(string(channel)); err != nil {
		return nil, err
	}
	if !adminIsLocale(locale) {
		return nil, &ValidationError{Field: "locale", Message: `must be a language code such as "ru" or "ru-RU"`}
	}
	if by != nil && *by == uuid.Nil {
		return nil, &ValidationError{Field: "updated_by", Message: "must be a user id or absent"}
	}
	subj, html, err := adminValidateTemplate(channel, subject, bodyText, bodyHTML)
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	m := &MessageTemplate{
		ID: NewID(), Key: key, Channel: channel, Locale: locale, Subject: subj, BodyText: bodyText, BodyHTML: html,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if by != nil {
		id := *by
		m.UpdatedBy = &id
	}
	return m, nil
}

// Edit replaces the template's content; on a validation error nothing changes.
func (m *MessageTemplate) Edit(subject, bodyText string, bodyHTML *string, by uuid.UUID, now time.Time) error {
	if by == uuid.Nil {
		return &ValidationError{Field: "updated_by", Message: "is required"}
	}
	subj, html, err := adminValidateTemplate(m.Channel, subject, bodyText, bodyHTML)
	if err != nil {
		return err
	}
	now = now.UTC()
	m.Subject, m.BodyText, m.BodyHTML, m.UpdatedBy, m.UpdatedAt = subj, bodyText, html, &by, now
	m.Record(MessageTemplateEdited{EventMeta: NewEventMeta(m.ID, now), Key: m.Key, Channel: m.Channel, Locale: m.Locale})
	return nil
}

// adminValidateTemplate checks a template's parts for its channel: an email needs a subject and may
// have an HTML part, a Telegram message has neither. Each part must parse as its kind of template.
func adminValidateTemplate(channel TemplateChannel, subject, bodyText string, bodyHTML *string) (*string, *string, error) {
	var subj, html *string
	switch channel {
	case TemplateChannelEmail:
		if strings.TrimSpace(subject) == "" {
			return nil, nil, &ValidationError{Field: "subject", Message: "is required for email"}
		}
		if utf8.RuneCountInString(subject) > TemplateSubjectMaxChars || strings.ContainsAny(subject, "\r\n") {
			return nil, nil, &ValidationError{Field: "subject", Message: fmt.Sprintf("must be one line of at most %d characters", TemplateSubjectMaxChars)}
		}
		if _, err := texttemplate.New("subject").Parse(subject); err != nil {
			return nil, nil, &ValidationError{Field: "subject", Message: "is not a valid template: " + err.Error()}
		}
		subj = &subject
		if bodyHTML != nil {
			if *bodyHTML == "" || utf8.RuneCountInString(*bodyHTML) > TemplateBodyMaxChars {
				return nil, nil, &ValidationError{Field: "body_html", Message: fmt.Sprintf("must be 1 to %d characters or absent", TemplateBodyMaxChars)}
			}
			if err := adminCheckHTML(*bodyHTML); err != nil {
				return nil, nil, &ValidationError{Field: "body_html", Message: "is not a valid template: " + err.Error()}
			}
			h := *bodyHTML
			html = &h
		}
	default: // telegram; the channel was validated when the template was created
		if subject != "" {
			return nil, nil, &ValidationError{Field: "subject", Message: "must be empty for telegram"}
		}
		if bodyHTML != nil {
			return nil, nil, &ValidationError{Field: "body_html", Message: "must be absent for telegram"}
		}
	}
	if strings.TrimSpace(bodyText) == "" {
		return nil, nil, &ValidationError{Field: "body_text", Message: "is required"}
	}
	if utf8.RuneCountInString(bodyText) > TemplateBodyMaxChars {
		return nil, nil, &ValidationError{Field: "body_text", Message: fmt.Sprintf("must be at most %d characters", TemplateBodyMaxChars)}
	}
	if _, err := texttemplate.New("body_text").Parse(bodyText); err != nil {
		return nil, nil, &ValidationError{Field: "body_text", Message: "is not a valid template: " + err.Error()}
	}
	return subj, html, nil
}

// adminCheckHTML parses an html/template and runs its contextual escaper, which html/template only
// does at the first execution: an unclosed attribute or tag would otherwise surface when the first
// message is sent. Execution stops at the first write, so no data is needed and nothing runs long.
func adminCheckHTML(s string) error {
	t, err := htmltemplate.New("body_html").Parse(s)
	if err != nil {
		return err
	}
	var escapeErr *htmltemplate.Error
	if err := t.Execute(adminRefusingWriter{}, nil); errors.As(err, &escapeErr) {
		return err
	}
	return nil
}

// adminRefusingWriter fails every write, stopping a template's execution at its first output.
type adminRefusingWriter struct{}

func (adminRefusingWriter) Write([]byte) (int, error) { return 0, errAdminStopExecution }

var errAdminStopExecution = errors.New("stop")

// adminIsLocale accepts "ru", "en" and "ru-RU" style tags.
func adminIsLocale(s string) bool {
	lang, region, hasRegion := strings.Cut(s, "-")
	if len(lang) != 2 || !adminAllIn(lang, 'a', 'z') {
		return false
	}
	return !hasRegion || (len(region) == 2 && adminAllIn(region, 'A', 'Z'))
}

func adminAllIn(s string, lo, hi byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			return false
		}
	}
	return true
}
