package notify

// This file: what the owner is told at once — a new lead from the site's forms (email), a crisis
// signal from a self-help tool or a question (email and Telegram) — and the email that tells an
// asker their question was answered. None of them carries what a client wrote.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/models"
)

// AlertsSubscriber names the subscriber of the owner's alerts and the asker's email in job rows.
const AlertsSubscriber = "notify.alerts"

// Templates of this file.
const (
	TemplateOwnerNewLead     = "owner_new_lead"
	TemplateOwnerCrisisAlert = "owner_crisis_alert"
	TemplateQuestionAnswered = "question_answered"
)

// registerAlerts subscribes the owner's alerts and the question-answered email.
func (n *Notifier) registerAlerts(subs *events.Subscriptions) error {
	for event, h := range map[string]events.Handler{
		models.LeadFormSubmitted{}.EventName():       n.onLeadForm,
		models.InteractiveRunCompleted{}.EventName(): n.onRunCompleted,
		models.QuestionSubmitted{}.EventName():       n.onQuestionSubmitted,
		models.ModerationDecided{}.EventName():       n.onModerationDecided,
	} {
		if err := subs.Subscribe(event, AlertsSubscriber, h); err != nil {
			return err
		}
	}
	return nil
}

// adminLink is the admin panel's page of one record.
func (n *Notifier) adminLink(resource string, id uuid.UUID) string {
	return strings.TrimRight(n.cfg.SiteURL, "/") + "/admin/" + resource + "/" + id.String() + "/show"
}

// ownerZone is the zone an owner reads alerts in: her own when her account has one, otherwise the
// zone the practice's schedules default to.
func ownerZone(u *models.User) string {
	if u.TimeZone != nil && *u.TimeZone != "" {
		return *u.TimeZone
	}
	return models.DefaultServiceTimezone
}

// toOwners sends the message key about subject, which happened at at, to every active owner, once
// per owner, with the time in the owner's zone: by email, and by Telegram too when telegram is set
// and the owner linked the bot.
func (n *Notifier) toOwners(ctx context.Context, e models.Event, key string, subject uuid.UUID, at time.Time, d Data, telegram bool) error {
	owners, err := n.st.Users.ActiveOwnerAccounts(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for i := range owners {
		u := &owners[i]
		od := d
		od.SiteURL, od.When = n.cfg.SiteURL, russianTime(at, ownerZone(u))
		if err := n.send(ctx, message{
			key: key, dedup: e.EventID().String() + ":" + u.ID.String(), subject: subject, kind: Staff,
			to: recipient{user: u, name: u.DisplayName}, data: od, telegram: telegram,
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return joinSnooze(errs)
}

// joinSnooze joins the errors of several messages; a Telegram rate limit among them wins, so the
// job waits as asked (the messages that went out are not sent again).
func joinSnooze(errs []error) error {
	for _, err := range errs {
		var s *events.SnoozeError
		if errors.As(err, &s) {
			return s
		}
	}
	return errors.Join(errs...)
}

// formKinds names the forms in the owner's email.
var formKinds = map[string]string{
	"contact_form":                "форма обратной связи",
	models.LeadSourceSubscription: "подписка",
}

func (n *Notifier) onLeadForm(ctx context.Context, e models.Event) error {
	f, ok := e.(models.LeadFormSubmitted)
	if !ok {
		return fmt.Errorf("notify: unexpected event %T", e)
	}
	sub, err := n.st.Submissions.Summary(ctx, f.AggregateID())
	if errors.Is(err, models.ErrNotFound) {
		return nil // erased meanwhile (the lead was deleted)
	}
	if err != nil {
		return err
	}
	// The lead as it is now: merged since, it is found through the submission.
	lead, err := n.st.Leads.ByID(ctx, sub.LeadID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	kind := formKinds[sub.Source]
	if kind == "" {
		kind = sub.Source
	}
	d := Data{
		ClientName: sub.Name, Contacts: contacts(lead), Kind: kind, Link: n.adminLink("leads", lead.ID),
	}
	return n.toOwners(ctx, e, TemplateOwnerNewLead, lead.ID, sub.CreatedAt, d, false)
}

// contactLabels are the identities a lead's contacts line shows, in this order.
var contactLabels = []struct {
	kind  models.LeadIdentityKind
	label string
}{
	{models.LeadIdentityKindEmail, "email"},
	{models.LeadIdentityKindPhone, "телефон"},
	{models.LeadIdentityKindTelegramUsername, "Telegram"},
}

// contacts writes a lead's contacts on one line: "email anna@example.org, телефон +79991234567".
func contacts(l *models.Lead) string {
	var parts []string
	for _, c := range contactLabels {
		for _, i := range l.Identities {
			if i.Kind != c.kind {
				continue
			}
			v := i.Value
			if i.Kind == models.LeadIdentityKindTelegramUsername {
				v = "@" + v
			}
			parts = append(parts, c.label+" "+v)
		}
	}
	if len(parts) == 0 {
		return "не указаны"
	}
	return strings.Join(parts, ", ")
}

func (n *Notifier) onRunCompleted(ctx context.Context, e models.Event) error {
	r, ok := e.(models.InteractiveRunCompleted)
	if !ok {
		return fmt.Errorf("notify: unexpected event %T", e)
	}
	if !r.CrisisTriggered {
		return nil
	}
	d := Data{Kind: "тест", Link: n.adminLink("interactive_runs", r.RunID)}
	return n.toOwners(ctx, e, TemplateOwnerCrisisAlert, r.RunID, r.OccurredAt(), d, true)
}

func (n *Notifier) onQuestionSubmitted(ctx context.Context, e models.Event) error {
	q, ok := e.(models.QuestionSubmitted)
	if !ok {
		return fmt.Errorf("notify: unexpected event %T", e)
	}
	if !q.CrisisFlag {
		return nil
	}
	d := Data{Kind: "вопрос", Link: n.adminLink("questions", q.AggregateID())}
	return n.toOwners(ctx, e, TemplateOwnerCrisisAlert, q.AggregateID(), q.OccurredAt(), d, true)
}

// AnswerLink is the site's page of a published question and its answer.
func AnswerLink(siteURL string, questionID uuid.UUID) string {
	return strings.TrimRight(siteURL, "/") + "/answers/" + questionID.String()
}

// onModerationDecided tells the asker their question is published with its answer, when they left
// an email for it; otherwise there is nobody to tell.
func (n *Notifier) onModerationDecided(ctx context.Context, e models.Event) error {
	m, ok := e.(models.ModerationDecided)
	if !ok {
		return fmt.Errorf("notify: unexpected event %T", e)
	}
	if m.Kind != models.ModerationKindQuestion || m.To != models.ModerationStatusPublished {
		return nil
	}
	q, err := n.st.Questions.Contact(ctx, m.SubjectID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if q.ContactEmail == nil {
		return nil
	}
	// The asker asked to be told (the question form takes an email only with the communications
	// consent); an account of that email that withdrew the consent since is not written to.
	to := recipient{email: string(*q.ContactEmail)}
	if u, err := n.st.Users.ByEmail(ctx, *q.ContactEmail); err == nil {
		if u.ActiveConsent(models.ConsentCommunications) == nil && hasRevoked(u, models.ConsentCommunications) {
			return nil
		}
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	d := Data{Link: AnswerLink(n.cfg.SiteURL, q.ID), SiteURL: n.cfg.SiteURL}
	return n.send(ctx, message{
		key: TemplateQuestionAnswered, dedup: e.EventID().String(), subject: q.ID, kind: Transactional, to: to, data: d,
	})
}

// hasRevoked reports whether u once granted consent t and withdrew it.
func hasRevoked(u *models.User, t models.ConsentType) bool {
	for _, c := range u.Consents {
		if c.Type == t && c.RevokedAt != nil {
			return true
		}
	}
	return false
}
