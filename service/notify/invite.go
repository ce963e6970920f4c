package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/identity"
)

// This file: the email that invites a staff member to set their password.

// Invitations is what the invitation email needs of identity; *identity.Service is one.
type Invitations interface {
	// Invitee is the staff member an invitation is for.
	Invitee(ctx context.Context, inviteID uuid.UUID) (*models.User, error)
	// IssueInviteToken makes the invitation's token, storing only its hash; an invitation no
	// longer open is models.ErrInviteInvalid.
	IssueInviteToken(ctx context.Context, inviteID uuid.UUID) (string, error)
}

// InviteTemplate is the template of the invitation email.
const InviteTemplate = "staff_invite"

// InviteMailer sends invitation emails from identity.TaskInviteEmail jobs.
type InviteMailer struct {
	n       *Notifier
	invites Invitations
}

// NewInviteMailer sends invitation emails through n's mailer, templates and delivery log.
func NewInviteMailer(n *Notifier, invites Invitations) *InviteMailer {
	return &InviteMailer{n: n, invites: invites}
}

// InviteLink is the panel's page where an invited staff member sets their password.
func InviteLink(siteURL, token string) string {
	return strings.TrimRight(siteURL, "/") + "/admin/accept-invite?token=" + url.QueryEscape(token)
}

// Send emails one invitation (the payload of identity.TaskInviteEmail), once: a retried job whose
// email went out sends nothing. The token is made only now, after the delivery log says the email
// has not gone out, so a retry after a failed send mails a new token and the old one, never
// delivered, stops working. An invitation no longer open (replaced, used, expired) is skipped.
func (m *InviteMailer) Send(ctx context.Context, raw json.RawMessage) error {
	var t identity.InviteEmailTask
	if err := json.Unmarshal(raw, &t); err != nil || t.InviteID == uuid.Nil {
		return fmt.Errorf("%s payload: invite_id is required (%v)", identity.TaskInviteEmail, err)
	}
	n := m.n
	u, err := m.invites.Invitee(ctx, t.InviteID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // the invitation or its user is gone: nobody to invite
	}
	if err != nil {
		return err
	}
	now := n.clock.Now().UTC()
	d, err := models.NewNotificationDelivery("invite:"+t.InviteID.String()+":"+InviteTemplate+":email", models.TemplateChannelEmail,
		InviteTemplate, &u.ID, "user:"+u.ID.String(), &t.InviteID, now)
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
	if n.mail == nil {
		return skip("email is not configured")
	}
	tmpl, err := n.st.Templates.ByKey(ctx, InviteTemplate, models.TemplateChannelEmail, Locale)
	if err != nil {
		return n.failed(ctx, d, fmt.Errorf("template %s/email: %w", InviteTemplate, err), false)
	}
	token, err := m.invites.IssueInviteToken(ctx, t.InviteID)
	if errors.Is(err, models.ErrInviteInvalid) || errors.Is(err, models.ErrNotFound) {
		return skip("the invitation is no longer open")
	}
	if err != nil {
		return err
	}
	msg := message{
		key: InviteTemplate, subject: t.InviteID, kind: Transactional, to: recipient{user: u, name: u.DisplayName},
		data: Data{ClientName: u.DisplayName, Link: InviteLink(n.cfg.SiteURL, token), SiteURL: n.cfg.SiteURL},
	}
	return n.deliverEmail(ctx, d, tmpl, msg, skip)
}
