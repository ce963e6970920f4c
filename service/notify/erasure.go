package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/erasure"
)

// This file: client accounts and the cabinet — the email that confirms a deleted account to its
// old address.

// DeletedTemplate is the template of the confirmation of a deleted account.
const DeletedTemplate = "account_deleted"

// DeletedAccounts keeps the old address of a deleted account until its confirmation is sent;
// *erasure.Service is one.
type DeletedAccounts interface {
	// KeptAddress is the old address; models.ErrNotFound once forgotten.
	KeptAddress(ctx context.Context, codeID uuid.UUID) (string, error)
	// ForgetAddress deletes it.
	ForgetAddress(ctx context.Context, codeID uuid.UUID) error
}

// DeletedMailer sends the confirmations of erasure.TaskDeletedEmail jobs.
type DeletedMailer struct {
	n        *Notifier
	accounts DeletedAccounts
}

// NewDeletedMailer sends the confirmations through n's mailer, templates and delivery log.
func NewDeletedMailer(n *Notifier, accounts DeletedAccounts) *DeletedMailer {
	return &DeletedMailer{n: n, accounts: accounts}
}

// Send emails the confirmation of a deletion (the payload of erasure.TaskDeletedEmail) once, to
// the old address kept encrypted with the used deletion code, then forgets the address. The
// delivery log names no one: no user, and "email" as the recipient.
func (m *DeletedMailer) Send(ctx context.Context, raw json.RawMessage) error {
	var t erasure.DeletedEmailTask
	if err := json.Unmarshal(raw, &t); err != nil || t.CodeID == uuid.Nil {
		return fmt.Errorf("%s payload: code_id is required (%v)", erasure.TaskDeletedEmail, err)
	}
	n := m.n
	addr, err := m.accounts.KeptAddress(ctx, t.CodeID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // sent and forgotten, or kept too long and cleaned up
	}
	if err != nil {
		return err
	}
	now := n.clock.Now().UTC()
	d, err := models.NewNotificationDelivery("deleted:"+t.CodeID.String()+":"+DeletedTemplate+":email", models.TemplateChannelEmail,
		DeletedTemplate, nil, "email", &t.CodeID, now)
	if err != nil {
		return err
	}
	if d, err = n.st.Deliveries.Claim(ctx, d); err != nil {
		return err
	}
	if d.Done() {
		return m.accounts.ForgetAddress(ctx, t.CodeID)
	}
	skip := func(reason string) error {
		if err := d.Skip(reason, now); err != nil {
			return err
		}
		return n.st.Deliveries.Save(ctx, d)
	}
	if n.mail == nil {
		if err := skip("email is not configured"); err != nil {
			return err
		}
		return m.accounts.ForgetAddress(ctx, t.CodeID)
	}
	tmpl, err := n.st.Templates.ByKey(ctx, DeletedTemplate, models.TemplateChannelEmail, Locale)
	if err != nil {
		return n.failed(ctx, d, fmt.Errorf("template %s/email: %w", DeletedTemplate, err), false)
	}
	msg := message{key: DeletedTemplate, subject: t.CodeID, kind: Transactional, to: recipient{email: addr},
		data: Data{SiteURL: n.cfg.SiteURL}}
	if err := n.deliverEmail(ctx, d, tmpl, msg, skip); err != nil {
		return err
	}
	return m.accounts.ForgetAddress(ctx, t.CodeID)
}
