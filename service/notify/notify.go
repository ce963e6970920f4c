// Package notify tells clients what happens to their bookings — by email always, by Telegram when
// they linked it and agreed — from the durable outbox: every message is a subscriber's or a
// scheduled task's work, logged in notification_deliveries, never sent inside a request and never
// sent twice when a job is retried.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/integrations/email"
	"balance/integrations/telegram"
	"balance/models"
	"balance/repository"
	"balance/service"
)

// Mailer sends one email; *email.Client and email.LogSender are ones.
type Mailer interface {
	Send(ctx context.Context, m email.Message) (string, error)
}

// Messenger sends one Telegram message in HTML parse mode; *telegram.Client is one.
type Messenger interface {
	SendHTML(ctx context.Context, chatID int64, text string) ([]int, error)
}

// Scheduler runs a named task later; *events.Outbox is one.
type Scheduler interface {
	Schedule(ctx context.Context, name string, payload any, at time.Time) (int64, error)
}

// TaskReminder is the task that sends one reminder; keep the name stable, queued jobs carry it.
const TaskReminder = "notify.reminder"

// Locale of the templates messages are rendered from.
const Locale = "ru"

// Config tunes notifications.
type Config struct {
	// SiteURL is the public site, for links in messages.
	SiteURL string
	// Reminders are how long before an appointment reminders go out (e.g. 24h and 2h).
	Reminders []time.Duration
}

// Stores are the tables notifications read and write.
type Stores struct {
	Appointments *repository.Appointments
	Payments     *repository.Payments
	Refunds      *repository.Refunds
	Waitlist     *repository.Waitlist
	Services     *repository.Services
	Users        *repository.Users
	Telegram     *repository.TelegramAccounts
	Templates    *repository.MessageTemplates
	Deliveries   *repository.Deliveries
	// Leads, Submissions and Questions are read by the owner's alerts and the asker's email.
	Leads       *repository.Leads
	Submissions *repository.LeadSubmissions
	Questions   *repository.Questions
}

// NewStores returns the stores notifications need over db.
func NewStores(db *repository.DB) Stores {
	return Stores{
		Appointments: repository.NewAppointments(db), Payments: repository.NewPayments(db),
		Refunds: repository.NewRefunds(db), Waitlist: repository.NewWaitlist(db), Services: repository.NewServices(db),
		Users: repository.NewUsers(db), Telegram: repository.NewTelegramAccounts(db),
		Templates: repository.NewMessageTemplates(db), Deliveries: repository.NewDeliveries(db),
		Leads: repository.NewLeads(db), Submissions: repository.NewLeadSubmissions(db), Questions: repository.NewQuestions(db),
	}
}

// Notifier sends the messages.
type Notifier struct {
	st       Stores
	mail     Mailer
	telegram Messenger
	jobs     Scheduler
	clock    service.Clock
	cfg      Config
	log      *slog.Logger
	signIn   TelegramSignIn
}

// New wires notifications. mail or tg may be nil: that channel is then off and its deliveries
// are logged as skipped.
func New(st Stores, mail Mailer, tg Messenger, jobs Scheduler, clock service.Clock, cfg Config, log *slog.Logger) *Notifier {
	return &Notifier{st: st, mail: mail, telegram: tg, jobs: jobs, clock: clock, cfg: cfg, log: log}
}

// Kind says whether a message needs the communications consent.
type Kind int

// Message kinds: transactional messages (about the client's own booking, codes they asked for)
// go by email always; promotional ones need the communications consent; staff alerts go to the
// staff member's own email and linked Telegram chat, which they set up to get them.
const (
	Transactional Kind = iota
	Promotional
	Staff
)

// recipient is whom one message goes to.
type recipient struct {
	user  *models.User
	email string // when there is no user (a waitlist entry without an account)
	name  string
}

// message is one thing to tell a client, through every channel it may use.
type message struct {
	key      string    // template key
	dedup    string    // unique per message: an event id, or a reminder's appointment and offset
	subject  uuid.UUID // what it is about
	kind     Kind
	to       recipient
	data     Data
	telegram bool // also by Telegram, when linked and agreed
}

// allowed applies the consent rules: email for transactional messages always, for promotional
// ones with the communications consent; Telegram with the telegram consent.
func allowed(kind Kind, channel models.TemplateChannel, u *models.User) (bool, string) {
	switch {
	case kind == Staff && u != nil:
		return true, ""
	case channel == models.TemplateChannelTelegram && (u == nil || u.ActiveConsent(models.ConsentTelegram) == nil):
		return false, "no telegram consent"
	case kind == Promotional && (u == nil || u.ActiveConsent(models.ConsentCommunications) == nil):
		return false, "no communications consent"
	}
	return true, ""
}

// send delivers m through each of its channels. The errors of the channels are joined; a
// Telegram rate limit wins, so the job waits as asked.
func (n *Notifier) send(ctx context.Context, m message) error {
	channels := []models.TemplateChannel{models.TemplateChannelEmail}
	if m.telegram {
		channels = append(channels, models.TemplateChannelTelegram)
	}
	var errs []error
	for _, ch := range channels {
		if err := n.deliver(ctx, ch, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deliver sends m through one channel once: the delivery row of its dedup key says whether it
// went out already.
func (n *Notifier) deliver(ctx context.Context, ch models.TemplateChannel, m message) error {
	now := n.clock.Now().UTC()
	var userID *uuid.UUID
	ref := "email"
	if m.to.user != nil {
		userID, ref = &m.to.user.ID, "user:"+m.to.user.ID.String()
	}
	d, err := models.NewNotificationDelivery(m.dedup+":"+m.key+":"+string(ch), ch, m.key, userID, ref, &m.subject, now)
	if err != nil {
		return err
	}
	if d, err = n.st.Deliveries.Claim(ctx, d); err != nil {
		return err
	}
	if d.Done() {
		return nil
	}
	skip := func(reason string) error {
		if err := d.Skip(reason, now); err != nil {
			return err
		}
		return n.st.Deliveries.Save(ctx, d)
	}
	if ok, why := allowed(m.kind, ch, m.to.user); !ok {
		return skip(why)
	}
	tmpl, err := n.st.Templates.ByKey(ctx, m.key, ch, Locale)
	if err != nil {
		return n.failed(ctx, d, fmt.Errorf("template %s/%s: %w", m.key, ch, err), false)
	}
	switch ch {
	case models.TemplateChannelEmail:
		return n.deliverEmail(ctx, d, tmpl, m, skip)
	default:
		return n.deliverTelegram(ctx, d, tmpl, m, skip)
	}
}

func (n *Notifier) deliverEmail(ctx context.Context, d *models.NotificationDelivery, tmpl *models.MessageTemplate, m message, skip func(string) error) error {
	if n.mail == nil {
		return skip("email is not configured")
	}
	to := m.to.email
	if m.to.user != nil && m.to.user.Email != nil {
		to = string(*m.to.user.Email)
	}
	if to == "" {
		return skip("no email address")
	}
	if strings.HasSuffix(to, "@"+models.ErasedEmailDomain) {
		return skip("the account was deleted")
	}
	msg, err := renderEmail(tmpl, m.data)
	if err != nil {
		// The admin sees it in the delivery log and the job list; nothing half-rendered goes out.
		return n.failed(ctx, d, err, false)
	}
	msg.To, msg.ToName = to, m.to.name
	id, err := n.mail.Send(ctx, msg)
	if err != nil {
		return n.failed(ctx, d, fmt.Errorf("send email: %w", err), email.IsPermanent(err))
	}
	return n.sent(ctx, d, id)
}

func (n *Notifier) deliverTelegram(ctx context.Context, d *models.NotificationDelivery, tmpl *models.MessageTemplate, m message, skip func(string) error) error {
	if n.telegram == nil {
		return skip("telegram is not configured")
	}
	acc, err := n.st.Telegram.ByUserID(ctx, m.to.user.ID)
	if errors.Is(err, models.ErrNotFound) {
		return skip("no linked telegram account")
	}
	if err != nil {
		return err
	}
	if acc.Blocked {
		return skip("the user blocked the bot")
	}
	text, err := renderTelegram(tmpl, m.data)
	if err != nil {
		return n.failed(ctx, d, err, false)
	}
	return n.sendTelegram(ctx, d, acc.ChatID, text, func() error {
		if err := n.st.Telegram.Update(ctx, acc.ID, func(a *models.TelegramAccount) error {
			a.MarkBlocked(n.clock.Now().UTC())
			return nil
		}); err != nil {
			return err
		}
		return skip("the user blocked the bot")
	})
}

// sendTelegram sends text to chatID for delivery d: a 429 makes the job wait as long as Telegram
// asks, a blocked bot runs blocked (and is not retried), other errors are retried.
func (n *Notifier) sendTelegram(ctx context.Context, d *models.NotificationDelivery, chatID int64, text string, blocked func() error) error {
	ids, err := n.telegram.SendHTML(ctx, chatID, text)
	var wait *telegram.RetryAfterError
	switch {
	case errors.Is(err, telegram.ErrBlocked):
		return blocked()
	case errors.As(err, &wait):
		if ferr := n.failed(ctx, d, err, false); ferr != nil && !errors.Is(ferr, err) {
			return ferr
		}
		return events.Snooze(wait.After, err)
	case err != nil:
		return n.failed(ctx, d, fmt.Errorf("send telegram message: %w", err), false)
	}
	var first string
	if len(ids) > 0 {
		first = fmt.Sprint(ids[0])
	}
	return n.sent(ctx, d, first)
}

// failed records a failed attempt. A permanent failure gives up (nil: do not retry); otherwise
// err is returned so the job is retried with backoff.
func (n *Notifier) failed(ctx context.Context, d *models.NotificationDelivery, err error, permanent bool) error {
	if aerr := d.Attempted(err, permanent, n.clock.Now().UTC()); aerr != nil {
		return aerr
	}
	if serr := n.st.Deliveries.Save(ctx, d); serr != nil {
		return errors.Join(err, serr)
	}
	if permanent {
		n.log.ErrorContext(ctx, "message not delivered; giving up", "delivery_id", d.ID, "channel", d.Channel,
			"template", d.TemplateKey, "error", err.Error())
		return nil
	}
	return err
}

func (n *Notifier) sent(ctx context.Context, d *models.NotificationDelivery, providerID string) error {
	if err := d.Sent(providerID, n.clock.Now().UTC()); err != nil {
		return err
	}
	if err := n.st.Deliveries.Save(ctx, d); err != nil {
		// Sent but not recorded: a retry would send it again. Say so loudly.
		n.log.ErrorContext(ctx, "message sent but its delivery could not be recorded", "delivery_id", d.ID, "error", err.Error())
		return nil
	}
	n.log.InfoContext(ctx, "message sent", "delivery_id", d.ID, "channel", d.Channel, "template", d.TemplateKey)
	return nil
}

// oneLine keeps a rendered subject on one line: user text must not add mail headers.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
