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
	"balance/service/export"
)

// This file: client cabinet — data export: the email with the one-time download link of a ready
// archive.

// DataExportReadyTemplate is the template of the ready email.
const DataExportReadyTemplate = "data_export_ready"

// DataExportPath is the download endpoint the link opens (with the client's session).
const DataExportPath = "/api/v1/me/export/download"

// Exports is what the ready email needs of the data export; *export.Exports is one.
type Exports interface {
	// Recipient is the client of a downloadable request; otherwise models.ErrNotFound.
	Recipient(ctx context.Context, requestID uuid.UUID) (*models.User, *models.DataExportRequest, error)
	// IssueToken makes the download token, storing only its hash (an earlier one stops working).
	IssueToken(ctx context.Context, requestID uuid.UUID) (string, error)
}

// ExportMailer sends the ready emails of export.TaskEmail jobs.
type ExportMailer struct {
	n       *Notifier
	exports Exports
}

// NewExportMailer sends the ready emails through n's mailer, templates and delivery log.
func NewExportMailer(n *Notifier, exports Exports) *ExportMailer {
	return &ExportMailer{n: n, exports: exports}
}

// DataExportLink is the download link of token on site.
func DataExportLink(site, token string) string {
	return strings.TrimRight(site, "/") + DataExportPath + "?token=" + url.QueryEscape(token)
}

// Send emails the link of one ready archive, once: a retried job whose email went out sends
// nothing. The token is made only now, after the delivery log says the email has not gone out, so
// a retry after a failed send mails a new link and the undelivered one stops working. A request
// downloaded or expired meanwhile is skipped. Nothing is logged of the token.
func (m *ExportMailer) Send(ctx context.Context, raw json.RawMessage) error {
	var t export.Task
	if err := json.Unmarshal(raw, &t); err != nil || t.RequestID == uuid.Nil {
		return fmt.Errorf("%s payload: request_id is required (%v)", export.TaskEmail, err)
	}
	n := m.n
	u, _, err := m.exports.Recipient(ctx, t.RequestID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := n.clock.Now().UTC()
	key := DataExportReadyTemplate
	d, err := models.NewNotificationDelivery("data_export:"+t.RequestID.String()+":"+key+":email", models.TemplateChannelEmail,
		key, &u.ID, "email", &t.RequestID, now)
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
	if u.Email == nil {
		return skip("the client has no email address")
	}
	if n.mail == nil {
		return skip("email is not configured")
	}
	tmpl, err := n.st.Templates.ByKey(ctx, key, models.TemplateChannelEmail, Locale)
	if err != nil {
		return n.failed(ctx, d, fmt.Errorf("template %s/email: %w", key, err), false)
	}
	token, err := m.exports.IssueToken(ctx, t.RequestID)
	if errors.Is(err, models.ErrNotFound) {
		return skip("the archive is gone")
	}
	if err != nil {
		return err
	}
	data := Data{ClientName: u.DisplayName, Link: DataExportLink(n.cfg.SiteURL, token), SiteURL: n.cfg.SiteURL}
	msg := message{key: key, subject: t.RequestID, kind: Transactional, to: recipient{email: u.Email.String(), name: u.DisplayName}, data: data}
	return n.deliverEmail(ctx, d, tmpl, msg, skip)
}
