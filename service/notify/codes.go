package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/identity"
)

// This file: client accounts and the cabinet — the emails with one-time codes: a client's sign-in
// code, and the code that confirms a new email address.

// Codes is what the code emails need of client sign-in; *identity.Clients is one.
type Codes interface {
	// CodeRecipient says whom a code goes to; a code that is gone is models.ErrNotFound.
	CodeRecipient(ctx context.Context, codeID uuid.UUID) (*identity.CodeRecipient, error)
	// IssueCode makes the code, storing only its hash; a code no longer open is
	// models.ErrCodeExpired or models.ErrNotFound.
	IssueCode(ctx context.Context, codeID uuid.UUID) (string, error)
}

// The templates of the code emails.
const (
	SignInCodeTemplate      = "signin_code"
	EmailChangeCodeTemplate = "email_change_code"
	DeletionCodeTemplate    = "account_deletion_code"
)

// CodeMailer sends code emails from identity.TaskCodeEmail jobs.
type CodeMailer struct {
	n     *Notifier
	codes Codes
}

// NewCodeMailer sends code emails through n's mailer, templates and delivery log.
func NewCodeMailer(n *Notifier, codes Codes) *CodeMailer {
	return &CodeMailer{n: n, codes: codes}
}

// Send emails one code (the payload of identity.TaskCodeEmail), once: a retried job whose email
// went out sends nothing. The code is made only now, after the delivery log says the email has
// not gone out, so a retry after a failed send mails a new code and the undelivered one stops
// working. A code replaced, used or expired in the meantime is skipped, and so is a sign-in code
// for a staff member's address (staff sign in to the admin panel). Nothing is logged of the code.
func (m *CodeMailer) Send(ctx context.Context, raw json.RawMessage) error {
	var t identity.CodeEmailTask
	if err := json.Unmarshal(raw, &t); err != nil || t.CodeID == uuid.Nil {
		return fmt.Errorf("%s payload: code_id is required (%v)", identity.TaskCodeEmail, err)
	}
	n := m.n
	to, err := m.codes.CodeRecipient(ctx, t.CodeID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // replaced by a newer code, or expired and cleaned up: that one is mailed instead
	}
	if err != nil {
		return err
	}
	key := SignInCodeTemplate
	switch to.Purpose {
	case models.CodeEmailChange:
		key = EmailChangeCodeTemplate
	case models.CodeDeleteAccount:
		key = DeletionCodeTemplate
	}
	now := n.clock.Now().UTC()
	var userID *uuid.UUID
	if to.User != nil {
		userID = &to.User.ID
	}
	d, err := models.NewNotificationDelivery("code:"+t.CodeID.String()+":"+key+":email", models.TemplateChannelEmail,
		key, userID, "email", &t.CodeID, now)
	if err != nil {
		return err
	}
	if d, err = n.st.Deliveries.Claim(ctx, d); err != nil || d.Done() {
		return err
	}
	skip := func(reason string) error {
		if err := d.Skip(reason, now); err != nil {
			return err
		}
		return n.st.Deliveries.Save(ctx, d)
	}
	if to.Purpose == models.CodeSignIn && to.Staff() {
		return skip("staff sign in to the admin panel")
	}
	if n.mail == nil {
		return skip("email is not configured")
	}
	tmpl, err := n.st.Templates.ByKey(ctx, key, models.TemplateChannelEmail, Locale)
	if err != nil {
		return n.failed(ctx, d, fmt.Errorf("template %s/email: %w", key, err), false)
	}
	code, err := m.codes.IssueCode(ctx, t.CodeID)
	if errors.Is(err, models.ErrCodeExpired) || errors.Is(err, models.ErrNotFound) {
		return skip("the code is no longer open")
	}
	if err != nil {
		return err
	}
	// The address the code goes to, even for an email change (the user's is still the old one).
	rcpt := recipient{email: to.Email}
	data := Data{Code: code, SiteURL: n.cfg.SiteURL}
	if to.User != nil {
		rcpt.name, data.ClientName = to.User.DisplayName, to.User.DisplayName
	}
	msg := message{key: key, subject: t.CodeID, kind: Transactional, to: rcpt, data: data}
	return n.deliverEmail(ctx, d, tmpl, msg, skip)
}
