package admin

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/notify"
)

// templateWriter edits message templates: their subject and texts, never their key, channel or
// locale (the code that sends a message names its template). A template is saved only when it
// renders with the sample data of its key — one that would fail when a message is sent is refused
// beside the part that fails.
type templateWriter struct{}

func (templateWriter) Create(context.Context, *Call) (uuid.UUID, error) {
	return uuid.Nil, models.ErrForbidden
}

func (templateWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	return repository.NewMessageTemplates(c.DB).Update(ctx, id, func(m *models.MessageTemplate) error {
		if err := c.In.CheckVersion(m.Version); err != nil {
			return err
		}
		return editTemplate(c.In, m, c.Actor.UserID, c.Now)
	})
}

func (templateWriter) Delete(context.Context, *Call, uuid.UUID) error { return models.ErrForbidden }

// editTemplate overlays the parts the input sets on m through its Edit and checks it renders.
func editTemplate(in *Input, m *models.MessageTemplate, by uuid.UUID, now time.Time) error {
	subject, text, html := deref(m.Subject), m.BodyText, m.BodyHTML
	if in.Has("subject") {
		subject = in.String("subject")
	}
	if in.Has("body_text") {
		text = in.String("body_text")
	}
	if in.Has("body_html") {
		html = in.OptString("body_html") // "" or null: no HTML part
	}
	if err := in.Err(); err != nil {
		return err
	}
	if err := m.Edit(subject, text, html, by, now); err != nil {
		return inRussian(err)
	}
	if _, err := notify.Preview(m); err != nil {
		return renderFailure(err)
	}
	return nil
}

// renderFailure names the part of a template that does not render, for the form.
func renderFailure(err error) error {
	var re *notify.RenderError
	if errors.As(err, &re) {
		return &InputError{Fields: map[string]string{re.Part: "шаблон не собирается с тестовыми данными: " + re.Err.Error()}}
	}
	return err
}

// TemplatePreview is a message template rendered with the sample data of its key.
type TemplatePreview struct {
	Subject *string `json:"subject"`
	Text    string  `json:"text"`
	HTML    *string `json:"html"`
}

// PreviewTemplate renders the message template id with the sample data of its key, with the
// parts body sets (subject, body_text, body_html) in place of the stored ones — nothing is saved.
// Whoever may see templates may preview them; a template that does not render is an InputError.
func (s *Records) PreviewTemplate(ctx context.Context, actor Actor, id uuid.UUID, body map[string]any) (TemplatePreview, error) {
	res, ok := s.reg.Resource("message_templates")
	if !ok || !res.Allows(Show, actor.Roles) {
		return TemplatePreview{}, models.ErrForbidden
	}
	m, err := repository.NewMessageTemplates(s.stores.DB).ByID(ctx, id)
	if err != nil {
		return TemplatePreview{}, err
	}
	in := newInput([]Field{{Name: "subject"}, {Name: "body_text"}, {Name: "body_html"}}, body, false)
	by := actor.UserID
	if by == uuid.Nil {
		by = uuid.Max // Edit wants an editor; nothing is saved
	}
	if err := inputError(editTemplate(in, m, by, s.clock.Now().UTC())); err != nil {
		return TemplatePreview{}, err
	}
	r, _ := notify.Preview(m) // rendered once already by editTemplate
	p := TemplatePreview{Text: r.Text}
	if m.Channel == models.TemplateChannelEmail {
		p.Subject = &r.Subject
		if m.BodyHTML != nil {
			p.HTML = &r.HTML
		}
	}
	return p, nil
}
