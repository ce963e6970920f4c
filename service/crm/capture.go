package crm

// This file: the site's contact and subscription forms — the lead they come from, recognised by
// any identity it gave, the consents given, the message (P2) and the owner's email.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/service"
	"balance/service/clients"
)

// consentSourceForm is the source of consents given in a site form (with the form's source
// appended: "site_form:subscription").
const consentSourceForm = "site_form"

// Leads is what capturing a form needs of the lead store; *repository.Leads is one.
type Leads interface {
	LeadMerger
	ByIdentity(ctx context.Context, kind models.LeadIdentityKind, value string) (*models.Lead, error)
	Create(ctx context.Context, l *models.Lead) error
	Update(ctx context.Context, id uuid.UUID, fn func(*models.Lead) error) error
}

// Submissions stores the forms; *repository.LeadSubmissions is one.
type Submissions interface {
	Create(ctx context.Context, s *models.LeadSubmission) error
}

// Tx runs fn in one transaction; *repository.DB is one.
type Tx interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// CaptureStores are the stores Capture works with.
type CaptureStores struct {
	Tx          Tx
	Leads       Leads
	Timeline    Timeline
	Submissions Submissions
	Users       clients.Users
}

// Capture is the site's form use case.
type Capture struct {
	st    CaptureStores
	clock service.Clock
}

// NewCapture wires the form use case.
func NewCapture(st CaptureStores, clock service.Clock) *Capture {
	return &Capture{st: st, clock: clock}
}

// Form is one contact or subscription form, its contacts parsed at the edge: at least one of
// Email, Phone and Telegram (a username, normalized by models.NormalizeLeadIdentity) is set.
type Form struct {
	Name     string
	Email    models.Email
	Phone    models.Phone
	Telegram string
	// Message is P2: it is stored only encrypted.
	Message  string
	Source   string
	UTM      models.UTM
	Consents []models.LeadConsent
}

// identity is one contact of a form as the CRM keys it.
type identity struct {
	kind  models.LeadIdentityKind
	value string
}

func (f Form) identities() []identity {
	var out []identity
	if f.Email != "" {
		out = append(out, identity{models.LeadIdentityKindEmail, string(f.Email)})
	}
	if f.Phone != "" {
		out = append(out, identity{models.LeadIdentityKindPhone, string(f.Phone)})
	}
	if f.Telegram != "" {
		out = append(out, identity{models.LeadIdentityKindTelegramUsername, f.Telegram})
	}
	return out
}

// captureAttempts bounds the retries of a form that raced another one for the same new identity.
const captureAttempts = 3

// Submit records a form in one transaction and returns the lead it belongs to. The lead is the one
// any of the form's identities names, or a new one; when they name several leads, those are merged
// into the oldest (leads linked to two different accounts stay apart), which then gains the
// identities it lacks. With an email, the consents go to the client account of that email (found
// or created); without, they stay with the submission and its timeline entry. The answer is the
// same whether the lead was new or merged, so the form tells nobody who is known.
func (c *Capture) Submit(ctx context.Context, f Form) (uuid.UUID, error) {
	ids := f.identities()
	if len(ids) == 0 {
		return uuid.Nil, &models.ValidationError{Field: "contact", Message: "give at least one contact: email, phone or telegram"}
	}
	var leadID uuid.UUID
	var err error
	for range captureAttempts {
		err = c.st.Tx.InTx(ctx, func(ctx context.Context) error {
			leadID, err = c.submit(ctx, f, ids)
			return err
		})
		// Two forms naming one new identity at once: the loser finds the winner's lead next time.
		if !errors.Is(err, models.ErrConflict) {
			break
		}
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("capture a %s form: %w", f.Source, err)
	}
	return leadID, nil
}

func (c *Capture) submit(ctx context.Context, f Form, ids []identity) (uuid.UUID, error) {
	now := c.clock.Now().UTC()
	// Validate the form before anything is written.
	if _, err := models.NewLeadSubmission(models.NewID(), f.Source, f.Name, f.Message, f.UTM, f.Consents, f.Email != "", now); err != nil {
		return uuid.Nil, err
	}
	var user *models.User
	if f.Email != "" {
		consents := make([]clients.Consent, 0, len(f.Consents))
		for _, k := range f.Consents {
			consents = append(consents, clients.Consent{Type: k.Type, Version: k.Version})
		}
		u, err := clients.Record(ctx, c.st.Users, f.Email, f.Name, consents, consentSourceForm+":"+f.Source, now)
		switch {
		case errors.Is(err, models.ErrForbidden):
			// A blocked or erased account: the form is still taken, its consents kept with it.
		case err != nil:
			return uuid.Nil, err
		default:
			user = u
		}
	}

	leads, err := c.found(ctx, ids)
	if err != nil {
		return uuid.Nil, err
	}
	var lead *models.Lead
	if len(leads) == 0 {
		if lead, err = models.NewLead(f.Source, f.UTM, now); err != nil {
			return uuid.Nil, err
		}
		if err := c.fill(lead, ids, nil, user, now); err != nil {
			return uuid.Nil, err
		}
		if err := c.st.Leads.Create(ctx, lead); err != nil {
			return uuid.Nil, err
		}
	} else {
		lead = leads[0]
		// Identities held by a lead that could not be merged stay with it.
		var keep []identity
		for _, other := range leads[1:] {
			err := MergeLeads(ctx, c.st.Leads, c.st.Timeline, lead.ID, other.ID, now)
			if errors.Is(err, ErrMergeUsers) {
				for _, i := range other.Identities {
					keep = append(keep, identity{i.Kind, i.Value})
				}
				continue
			}
			if err != nil {
				return uuid.Nil, err
			}
		}
		if err := c.st.Leads.Update(ctx, lead.ID, func(l *models.Lead) error {
			return c.fill(l, ids, keep, user, now)
		}); err != nil {
			return uuid.Nil, err
		}
	}

	sub, err := models.NewLeadSubmission(lead.ID, f.Source, f.Name, f.Message, f.UTM, f.Consents, user != nil, now)
	if err != nil {
		return uuid.Nil, err
	}
	submitted, ok := sub.Events()[0].(models.LeadFormSubmitted)
	if !ok {
		return uuid.Nil, errors.New("a form submission recorded no LeadFormSubmitted")
	}
	if err := c.st.Submissions.Create(ctx, sub); err != nil {
		return uuid.Nil, err
	}
	// The timeline names the form and its source, never its message.
	data := map[string]any{"submission_id": sub.ID.String(), "source": sub.Source, "has_message": sub.Message != nil}
	if len(submitted.Consents) > 0 {
		consents := make([]map[string]any, 0, len(submitted.Consents))
		for _, k := range submitted.Consents {
			consents = append(consents, map[string]any{"type": string(k.Type), "version": k.Version})
		}
		data["consents"] = consents
	}
	entry, err := models.NewLeadTimelineEventFrom(lead.ID, submitted, data, now)
	if err != nil {
		return uuid.Nil, err
	}
	if err := c.st.Timeline.Append(ctx, entry); err != nil {
		return uuid.Nil, err
	}
	return lead.ID, nil
}

// found loads the distinct leads the identities name, the oldest first.
func (c *Capture) found(ctx context.Context, ids []identity) ([]*models.Lead, error) {
	var out []*models.Lead
	for _, i := range ids {
		l, err := c.st.Leads.ByIdentity(ctx, i.kind, i.value)
		if errors.Is(err, models.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(o *models.Lead) bool { return o.ID == l.ID }) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *models.Lead) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	return out, nil
}

// fill gives lead the form's identities it lacks (except those another lead keeps), links it to
// the client's account when it has none, and marks the activity.
func (c *Capture) fill(l *models.Lead, ids, keep []identity, user *models.User, now time.Time) error {
	for _, i := range ids {
		if slices.Contains(keep, i) {
			continue
		}
		if err := l.AddIdentity(i.kind, i.value, now); err != nil {
			return err
		}
	}
	if user != nil && l.UserID == nil {
		if err := l.LinkUser(user.ID, now); err != nil {
			return err
		}
	}
	l.Touch(now)
	return nil
}
