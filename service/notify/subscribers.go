package notify

// This file turns domain events into messages and schedules reminders.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/models"
)

// Subscriber names, as stored in job rows: keep them stable.
const (
	MessagesSubscriber  = "notify.messages"
	RemindersSubscriber = "notify.reminders"
)

// Register subscribes the messages, the reminder scheduling and the owner's alerts (alerts.go) to
// the events they follow.
func (n *Notifier) Register(subs *events.Subscriptions) error {
	handlers := map[string]events.Handler{
		models.AppointmentBooked{}.EventName():      n.onBooked,
		models.AppointmentConfirmed{}.EventName():   n.onConfirmed,
		models.AppointmentCanceled{}.EventName():    n.onCanceled,
		models.AppointmentRescheduled{}.EventName(): n.onRescheduled,
		models.RefundSucceeded{}.EventName():        n.onRefunded,
		models.WaitlistSlotFreed{}.EventName():      n.onSlotFreed,
	}
	// A booking's own event says whether it waits for its payment: only such a booking gets the
	// "booking received" message, and only one confirmed at once gets its reminders from it (the
	// others from their confirmation). No job is queued for the rest.
	bookedAs := func(status models.AppointmentStatus) func(models.Event) bool {
		return func(e models.Event) bool {
			b, ok := e.(models.AppointmentBooked)
			return !ok || b.Status == status
		}
	}
	for event, h := range handlers {
		if err := subs.SubscribeWhen(event, MessagesSubscriber, bookedAs(models.AppointmentStatusPendingPayment), h); err != nil {
			return err
		}
	}
	for _, event := range []string{models.AppointmentConfirmed{}.EventName(), models.AppointmentBooked{}.EventName()} {
		if err := subs.SubscribeWhen(event, RemindersSubscriber, bookedAs(models.AppointmentStatusConfirmed), n.scheduleReminders); err != nil {
			return err
		}
	}
	return n.registerAlerts(subs)
}

// appointment loads the appointment an event is about, with the client (and, when there is one to
// tell, the manage token for the message's link); nil when it is gone.
func (n *Notifier) appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, *models.User, error) {
	a, err := n.st.Appointments.ByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if a.ClientUserID == nil {
		return a, nil, nil
	}
	u, err := n.st.Users.ByID(ctx, *a.ClientUserID)
	if errors.Is(err, models.ErrNotFound) {
		return a, nil, nil // erased meanwhile: nobody to tell
	}
	if err != nil {
		return nil, nil, err
	}
	// The appointment's reads leave the manage token (P2) encrypted: only a message decrypts it.
	a.ManageToken, err = n.st.Appointments.ManageTokenOf(ctx, a.ID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return a, u, nil
}

// appointmentData is what every message about a appointments says.
func (n *Notifier) appointmentData(a *models.Appointment, u *models.User) Data {
	d := Data{When: russianTime(a.StartAt, a.Timezone), Format: formatName(a.Format), SiteURL: n.cfg.SiteURL}
	if u != nil {
		d.ClientName = u.DisplayName
	}
	if a.Service != nil {
		d.ServiceTitle = a.Service.Title
	}
	if a.MeetingURL != nil {
		d.MeetingURL = *a.MeetingURL
	}
	if a.LocationText != nil {
		d.Location = *a.LocationText
	}
	if n := len(a.Payments); n > 0 {
		d.Amount = money(a.Payments[n-1].Amount())
	}
	if a.ManageToken != nil {
		d.ManageURL = ManageLink(n.cfg.SiteURL, a.ID, *a.ManageToken)
	}
	return d
}

// about sends the message key about the appointment of e to its client.
func (n *Notifier) about(ctx context.Context, e models.Event, appointmentID uuid.UUID, key string, telegram bool, edit func(*Data, *models.Appointment) error) error {
	a, u, err := n.appointment(ctx, appointmentID)
	if err != nil || a == nil || u == nil {
		return err
	}
	d := n.appointmentData(a, u)
	if edit != nil {
		if err := edit(&d, a); errors.Is(err, errNothingToSay) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return n.send(ctx, message{
		key: key, dedup: e.EventID().String(), subject: a.ID, kind: Transactional,
		to: recipient{user: u, name: u.DisplayName}, data: d, telegram: telegram,
	})
}

func (n *Notifier) onBooked(ctx context.Context, e models.Event) error {
	b, ok := e.(models.AppointmentBooked)
	if !ok || b.Status != models.AppointmentStatusPendingPayment {
		return nil // a free or moved booking is confirmed at once: that message says it all
	}
	return n.about(ctx, e, e.AggregateID(), "booking_received", false, func(_ *Data, a *models.Appointment) error {
		if p := lastPayment(a); p != nil && p.Status == models.PaymentStatusIntent {
			// The booking request is still asking the provider for the payment page: wait for its
			// answer, which decides whether the client was told of this booking at all.
			return events.Snooze(paymentPageWait, errors.New("the payment is not created yet"))
		}
		if neverOffered(a) {
			return errNothingToSay
		}
		return nil
	})
}

// paymentPageWait is how long a booking's first message waits for its payment to be created.
const paymentPageWait = 5 * time.Second

// errNothingToSay ends a subscriber that finds no message worth sending.
var errNothingToSay = errors.New("nothing to say")

func lastPayment(a *models.Appointment) *models.Payment {
	if n := len(a.Payments); n > 0 {
		return &a.Payments[n-1]
	}
	return nil
}

// neverOffered reports whether the client was never shown the booking: its payment failed or was
// canceled before the provider created it, so the booking request answered an error.
func neverOffered(a *models.Appointment) bool {
	p := lastPayment(a)
	return p != nil && p.ProviderPaymentID == nil &&
		(p.Status == models.PaymentStatusFailed || p.Status == models.PaymentStatusCanceled)
}

func (n *Notifier) onConfirmed(ctx context.Context, e models.Event) error {
	return n.about(ctx, e, e.AggregateID(), "booking_confirmed", true, nil)
}

func (n *Notifier) onCanceled(ctx context.Context, e models.Event) error {
	return n.about(ctx, e, e.AggregateID(), "booking_canceled", true, func(d *Data, a *models.Appointment) error {
		if neverOffered(a) {
			return errNothingToSay // the request that booked it answered an error: nothing to call off
		}
		if len(a.Payments) == 0 {
			return nil
		}
		p := a.Payments[len(a.Payments)-1]
		refunds, err := n.st.Refunds.ByPayment(ctx, p.ID)
		if err != nil {
			return err
		}
		var total int64
		for _, r := range refunds {
			if r.Status != models.RefundStatusCanceled {
				total += r.AmountMinor
			}
		}
		if total > 0 {
			d.RefundAmount = money(models.Money{Minor: total, Currency: p.Currency})
		}
		return nil
	})
}

func (n *Notifier) onRescheduled(ctx context.Context, e models.Event) error {
	r, ok := e.(models.AppointmentRescheduled)
	if !ok {
		return fmt.Errorf("notify: unexpected event %T", e)
	}
	return n.about(ctx, e, r.NewAppointmentID, "booking_rescheduled", true, nil)
}

func (n *Notifier) onRefunded(ctx context.Context, e models.Event) error {
	r, ok := e.(models.RefundSucceeded)
	if !ok {
		return fmt.Errorf("notify: unexpected event %T", e)
	}
	refund, err := n.st.Refunds.ByID(ctx, r.AggregateID())
	if err != nil {
		return err
	}
	pay, err := n.st.Payments.ByID(ctx, r.PaymentID)
	if err != nil {
		return err
	}
	return n.about(ctx, e, pay.AppointmentID, "refund_succeeded", false, func(d *Data, _ *models.Appointment) error {
		d.RefundAmount = money(refund.Amount())
		return nil
	})
}

func (n *Notifier) onSlotFreed(ctx context.Context, e models.Event) error {
	f, ok := e.(models.WaitlistSlotFreed)
	if !ok {
		return fmt.Errorf("notify: unexpected event %T", e)
	}
	w, err := n.st.Waitlist.ByID(ctx, f.AggregateID())
	if err != nil {
		return err
	}
	svc, err := n.st.Services.ByID(ctx, f.ServiceID)
	if err != nil {
		return err
	}
	to := recipient{}
	if w.Email != nil {
		to.email = string(*w.Email)
	}
	if w.ClientUserID != nil {
		u, err := n.st.Users.ByID(ctx, *w.ClientUserID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if u != nil {
			to.user, to.name = u, u.DisplayName
		}
	}
	d := Data{ClientName: to.name, ServiceTitle: svc.Title, When: russianTime(f.Start, w.Timezone), SiteURL: n.cfg.SiteURL, Link: n.cfg.SiteURL}
	return n.send(ctx, message{key: "waitlist_slot_freed", dedup: e.EventID().String(), subject: w.ID, kind: Transactional, to: to, data: d})
}

// reminderTask is a reminder's payload: the appointment and the start it was scheduled for.
type reminderTask struct {
	AppointmentID uuid.UUID     `json:"appointment_id"`
	Start         time.Time     `json:"start"`
	Before        time.Duration `json:"before"`
}

// scheduleReminders queues the reminders of a confirmed appointment (also one confirmed at once
// by a move) at each configured time before its start that is still ahead.
func (n *Notifier) scheduleReminders(ctx context.Context, e models.Event) error {
	if b, ok := e.(models.AppointmentBooked); ok && b.Status != models.AppointmentStatusConfirmed {
		return nil
	}
	a, err := n.st.Appointments.ByID(ctx, e.AggregateID())
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.Status != models.AppointmentStatusConfirmed {
		return nil
	}
	now := n.clock.Now()
	for _, before := range n.cfg.Reminders {
		at := a.StartAt.Add(-before)
		if !at.After(now) {
			continue
		}
		if _, err := n.jobs.Schedule(ctx, TaskReminder, reminderTask{AppointmentID: a.ID, Start: a.StartAt, Before: before}, at); err != nil {
			return err
		}
	}
	return nil
}

// Remind sends one reminder, if the appointment still takes place at the time it was scheduled
// for: a canceled or moved appointment gets nothing for its old time.
func (n *Notifier) Remind(ctx context.Context, raw json.RawMessage) error {
	var t reminderTask
	if err := json.Unmarshal(raw, &t); err != nil {
		return fmt.Errorf("%s payload: %w", TaskReminder, err)
	}
	a, u, err := n.appointment(ctx, t.AppointmentID)
	if err != nil || a == nil || u == nil {
		return err
	}
	if a.Status != models.AppointmentStatusConfirmed || !a.StartAt.Equal(t.Start) {
		n.log.DebugContext(ctx, "reminder dropped: the appointment changed", "appointment_id", a.ID, "status", a.Status)
		return nil
	}
	return n.send(ctx, message{
		key: "reminder", dedup: fmt.Sprintf("reminder:%s:%s:%s", a.ID, t.Start.UTC().Format(time.RFC3339), t.Before),
		subject: a.ID, kind: Transactional, to: recipient{user: u, name: u.DisplayName},
		data: n.appointmentData(a, u), telegram: true,
	})
}

// TaskReply is the task that answers a Telegram chat, e.g. the bot's welcome after /start.
const TaskReply = "notify.reply"

// ReplyTask is a reply's payload: where, which template, and the dedup key that makes a
// redelivered update answer once.
type ReplyTask struct {
	Dedup  string `json:"dedup"`
	Key    string `json:"key"`
	ChatID int64  `json:"chat_id"`
	Name   string `json:"name,omitempty"`
	Link   string `json:"link,omitempty"`
	// SignInID, for the bot's answer to /login, names the Telegram sign-in row whose token is
	// made as the reply goes out: the link is then <site>/signin/telegram#token=<token>, and
	// the job never holds the token.
	SignInID *uuid.UUID `json:"sign_in_id,omitempty"`
}

// TelegramSignIn makes the token of a sign-in link the bot sends; *identity.Clients is one.
type TelegramSignIn interface {
	// IssueTelegramSignIn makes the token, storing only its hashes; a link no longer open is
	// models.ErrCodeExpired or models.ErrNotFound.
	IssueTelegramSignIn(ctx context.Context, id uuid.UUID) (string, error)
}

// UseTelegramSignIn lets replies carry sign-in links (ReplyTask.SignInID); without it they are
// skipped.
func (n *Notifier) UseTelegramSignIn(s TelegramSignIn) { n.signIn = s }

// TelegramSignInURL is the link of a Telegram sign-in token: the token is in the fragment, which
// browsers never send to a server; the page posts it to /api/v1/auth/telegram (docs/cabinet.md).
func TelegramSignInURL(site, token string) string {
	return site + "/signin/telegram#token=" + url.QueryEscape(token)
}

// Reply answers a chat that wrote to the bot with a Telegram template. The person wrote first,
// so no consent is needed to answer them.
func (n *Notifier) Reply(ctx context.Context, raw json.RawMessage) error {
	var t ReplyTask
	if err := json.Unmarshal(raw, &t); err != nil {
		return fmt.Errorf("%s payload: %w", TaskReply, err)
	}
	if t.Dedup == "" || t.Key == "" || t.ChatID == 0 {
		return fmt.Errorf("%s payload: dedup, key and chat_id are required", TaskReply)
	}
	d, err := models.NewNotificationDelivery(t.Dedup, models.TemplateChannelTelegram, t.Key, nil, fmt.Sprintf("telegram:%d", t.ChatID), nil, n.clock.Now().UTC())
	if err != nil {
		return err
	}
	if d, err = n.st.Deliveries.Claim(ctx, d); err != nil || d.Done() {
		return err
	}
	if n.telegram == nil {
		if err := d.Skip("telegram is not configured", n.clock.Now().UTC()); err != nil {
			return err
		}
		return n.st.Deliveries.Save(ctx, d)
	}
	tmpl, err := n.st.Templates.ByKey(ctx, t.Key, models.TemplateChannelTelegram, Locale)
	if err != nil {
		return n.failed(ctx, d, fmt.Errorf("template %s/telegram: %w", t.Key, err), false)
	}
	link := t.Link
	if t.SignInID != nil {
		skip := func(reason string) error {
			if err := d.Skip(reason, n.clock.Now().UTC()); err != nil {
				return err
			}
			return n.st.Deliveries.Save(ctx, d)
		}
		if n.signIn == nil {
			return skip("telegram sign-in is not configured")
		}
		token, err := n.signIn.IssueTelegramSignIn(ctx, *t.SignInID)
		if errors.Is(err, models.ErrCodeExpired) || errors.Is(err, models.ErrNotFound) {
			return skip("the sign-in link is no longer open")
		}
		if err != nil {
			return err
		}
		link = TelegramSignInURL(n.cfg.SiteURL, token)
	}
	text, err := renderTelegram(tmpl, Data{ClientName: t.Name, Link: link, SiteURL: n.cfg.SiteURL})
	if err != nil {
		return n.failed(ctx, d, err, false)
	}
	return n.sendTelegram(ctx, d, t.ChatID, text, func() error {
		if err := d.Skip("the user blocked the bot", n.clock.Now().UTC()); err != nil {
			return err
		}
		return n.st.Deliveries.Save(ctx, d)
	})
}
