package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"balance/events"
	"balance/integrations/email"
	"balance/integrations/email/emailtest"
	"balance/integrations/telegram"
	"balance/integrations/telegram/telegramtest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/notify"
)

// now is Tuesday 2026-12-01 12:00 Moscow; the appointment is Thursday 10:00 Moscow (07:00 UTC).
var (
	now   = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	start = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
)

const botToken = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"

type env struct {
	db     *repository.DB
	clock  *testkit.Clock
	smtp   *emailtest.Server
	tg     *telegramtest.Server
	outbox *events.Outbox
	subs   *events.Subscriptions
	n      *notify.Notifier
	st     notify.Stores
	svc    *models.Service
	user   *models.User
}

func newEnv(t *testing.T, db *repository.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{db: db, clock: testkit.NewClock(now), st: notify.NewStores(db), subs: events.NewSubscriptions()}
	var err error
	e.outbox, err = events.NewOutbox(db, events.DefaultCatalog(), e.subs, events.OutboxConfig{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	e.smtp = emailtest.New(t, emailtest.Options{Username: "mailer", Password: "smtp-secret"})
	mail, err := email.New(email.Config{
		Host: e.smtp.Host(), Port: e.smtp.Port(), Username: "mailer", Password: "smtp-secret",
		From: "hello@balance.example", TLSConfig: e.smtp.ClientTLSConfig(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.tg = telegramtest.New(t, botToken)
	bot, err := telegram.New(telegram.Config{Token: botToken, APIURL: e.tg.URL(), HTTPClient: e.tg.Client(), WebhookSecret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	e.n = notify.New(e.st, mail, bot, e.outbox, e.clock, notify.Config{
		SiteURL: "https://balance.example", Reminders: []time.Duration{24 * time.Hour, 2 * time.Hour},
	}, testkit.Logger(t))
	if err := e.n.Register(e.subs); err != nil {
		t.Fatal(err)
	}
	e.outbox.Handle(notify.TaskReminder, e.n.Remind)
	if err := e.outbox.Init(); err != nil {
		t.Fatal(err)
	}

	e.svc, err = models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
		DurationMinutes: 50, Price: models.Money{Minor: 0, Currency: models.CurrencyRUB}, Timezone: "Europe/Moscow",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Publish(now); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Services.Create(ctx, e.svc); err != nil {
		t.Fatal(err)
	}
	e.user = models.NewClientUser("anna@example.com", "Анна <script>alert(1)</script>", now)
	if err := e.user.GrantConsent(models.ConsentPersonalData, "2026-01", "booking_form", now); err != nil {
		t.Fatal(err)
	}
	if err := e.user.GrantConsent(models.ConsentTelegram, "2026-01", "telegram", now); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Users.Create(ctx, e.user); err != nil {
		t.Fatal(err)
	}
	acc, err := models.NewTelegramAccount(777, "anna", 777, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.LinkUser(e.user.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Telegram.Create(ctx, acc); err != nil {
		t.Fatal(err)
	}
	return e
}

// appointment books the (free) service at at for the user: confirmed at once.
func (e *env) appointment(t *testing.T, at time.Time) *models.Appointment {
	t.Helper()
	a, err := models.NewAppointment(e.svc, at, models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline, &e.user.ID, nil, models.AppointmentMetadata{}, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Appointments.Create(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// deliver hands ev to the subscriber named sub, as the job queue would.
func (e *env) deliver(t *testing.T, sub string, ev models.Event) error {
	t.Helper()
	for _, s := range e.subs.For(ev.EventName()) {
		if s.Name == sub {
			return s.Handle(context.Background(), ev)
		}
	}
	t.Fatalf("no subscriber %s for %s", sub, ev.EventName())
	return nil
}

func confirmed(a *models.Appointment) models.AppointmentConfirmed {
	return models.AppointmentConfirmed{EventMeta: models.NewEventMeta(a.ID, now)}
}

func TestConfirmationByEmailAndTelegram(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.appointment(t, start)
		ev := confirmed(a)
		if err := e.deliver(t, notify.MessagesSubscriber, ev); err != nil {
			t.Fatal(err)
		}
		msgs := e.smtp.Messages()
		if len(msgs) != 1 || !msgs[0].TLS || msgs[0].To[0] != "anna@example.com" {
			t.Fatalf("messages %+v", msgs)
		}
		p, err := msgs[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if p.MediaType != "multipart/alternative" || p.Subject != "Запись подтверждена — четверг, 3 декабря 2026, 08:00 (Europe/Berlin)" {
			t.Errorf("media type %s subject %q", p.MediaType, p.Subject)
		}
		if !strings.Contains(p.Text, "Здравствуйте, Анна <script>alert(1)</script>!") || !strings.Contains(p.Text, "Формат: онлайн") {
			t.Errorf("text part %q", p.Text)
		}
		if !strings.Contains(p.HTML, "Анна &lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(p.HTML, "<script>") {
			t.Errorf("HTML part does not escape the name: %q", p.HTML)
		}
		sent := e.tg.Sent()
		if len(sent) != 1 || sent[0].ChatID != 777 || sent[0].ParseMode != "HTML" || !strings.Contains(sent[0].Text, "<b>Запись подтверждена</b>") {
			t.Fatalf("telegram %+v", sent)
		}
		// The job is delivered again (at least once): nothing is sent twice.
		if err := e.deliver(t, notify.MessagesSubscriber, ev); err != nil {
			t.Fatal(err)
		}
		if len(e.smtp.Messages()) != 1 || len(e.tg.Sent()) != 1 {
			t.Errorf("a repeated job sent again: %d emails, %d telegram messages", len(e.smtp.Messages()), len(e.tg.Sent()))
		}
		log, err := e.st.Deliveries.BySubject(ctx, a.ID)
		if err != nil || len(log) != 2 {
			t.Fatalf("delivery log %+v (%v)", log, err)
		}
		for _, d := range log {
			if d.Status != models.DeliverySent || d.Attempts != 1 || d.ProviderMessageID == nil || d.RecipientRef != "user:"+e.user.ID.String() {
				t.Errorf("delivery %+v", d)
			}
		}
	})
}

func TestTelegramEscapesClientText(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tmpl, err := e.st.Templates.ByKey(ctx, "booking_confirmed", models.TemplateChannelTelegram, notify.Locale)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.Templates.Update(ctx, tmpl.ID, func(m *models.MessageTemplate) error {
			return m.Edit("", "Здравствуйте, {{.ClientName}}!", nil, e.user.ID, now)
		}); err != nil {
			t.Fatal(err)
		}
		if err := e.deliver(t, notify.MessagesSubscriber, confirmed(e.appointment(t, start))); err != nil {
			t.Fatal(err)
		}
		sent := e.tg.Sent()
		if len(sent) != 1 || sent[0].Text != "Здравствуйте, Анна &lt;script&gt;alert(1)&lt;/script&gt;!" {
			t.Fatalf("telegram got %+v", sent)
		}
	})
}

func TestEmailRetriedWhileSMTPIsDown(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.appointment(t, start)
		ev := confirmed(a)
		e.smtp.Stop()
		err := e.deliver(t, notify.MessagesSubscriber, ev)
		if err == nil || email.IsPermanent(err) {
			t.Fatalf("with the server down: %v (the job must be retried)", err)
		}
		d, derr := e.st.Deliveries.ByDedupKey(ctx, ev.EventID().String()+":booking_confirmed:email")
		if derr != nil || d.Status != models.DeliveryPending || d.Attempts != 1 || d.LastError == nil {
			t.Fatalf("delivery after a failure %+v (%v)", d, derr)
		}
		// Telegram went out on the first run and is not repeated.
		if len(e.tg.Sent()) != 1 {
			t.Errorf("telegram messages %d", len(e.tg.Sent()))
		}
		e.smtp.Start()
		if err := e.deliver(t, notify.MessagesSubscriber, ev); err != nil {
			t.Fatalf("after the server came back: %v", err)
		}
		if n := len(e.smtp.Messages()); n != 1 || len(e.tg.Sent()) != 1 {
			t.Errorf("%d emails, %d telegram messages", n, len(e.tg.Sent()))
		}
		// A permanent refusal gives up without an error: a retry would not help.
		e.smtp.RejectRcpt(550)
		other := confirmed(e.appointment(t, start.Add(2*time.Hour)))
		if err := e.deliver(t, notify.MessagesSubscriber, other); err != nil {
			t.Fatalf("550: %v", err)
		}
		d, _ = e.st.Deliveries.ByDedupKey(ctx, other.EventID().String()+":booking_confirmed:email")
		if d.Status != models.DeliveryFailed {
			t.Errorf("after 550: %s", d.Status)
		}
	})
}

func TestTelegramRateLimitAndBlock(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		ev := confirmed(e.appointment(t, start))
		e.tg.RateLimitNext(1, 7)
		err := e.deliver(t, notify.MessagesSubscriber, ev)
		var snooze *events.SnoozeError
		if !errors.As(err, &snooze) || snooze.After != 7*time.Second {
			t.Fatalf("429: %v, want a snooze of 7s", err)
		}
		if err := e.deliver(t, notify.MessagesSubscriber, ev); err != nil {
			t.Fatal(err)
		}
		if len(e.tg.Sent()) != 1 || len(e.smtp.Messages()) != 1 {
			t.Errorf("%d telegram, %d email", len(e.tg.Sent()), len(e.smtp.Messages()))
		}
		// The user blocks the bot: marked, not retried, nothing more goes to the chat.
		e.tg.BlockChat(777)
		ev = confirmed(e.appointment(t, start.Add(2*time.Hour)))
		if err := e.deliver(t, notify.MessagesSubscriber, ev); err != nil {
			t.Fatalf("403: %v", err)
		}
		acc, err := e.st.Telegram.ByUserID(ctx, e.user.ID)
		if err != nil || !acc.Blocked {
			t.Fatalf("account %+v (%v)", acc, err)
		}
		d, _ := e.st.Deliveries.ByDedupKey(ctx, ev.EventID().String()+":booking_confirmed:telegram")
		if d.Status != models.DeliverySkipped {
			t.Errorf("delivery to a blocked chat: %s", d.Status)
		}
	})
}

func TestConsentRules(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := e.st.Users.Update(ctx, e.user.ID, func(u *models.User) error {
			return u.RevokeConsent(models.ConsentTelegram, now)
		}); err != nil {
			t.Fatal(err)
		}
		ev := confirmed(e.appointment(t, start))
		if err := e.deliver(t, notify.MessagesSubscriber, ev); err != nil {
			t.Fatal(err)
		}
		if len(e.tg.Sent()) != 0 || len(e.smtp.Messages()) != 1 {
			t.Fatalf("after revoking the telegram consent: %d telegram, %d email", len(e.tg.Sent()), len(e.smtp.Messages()))
		}
		d, _ := e.st.Deliveries.ByDedupKey(ctx, ev.EventID().String()+":booking_confirmed:telegram")
		if d.Status != models.DeliverySkipped || d.LastError == nil || *d.LastError != "no telegram consent" {
			t.Errorf("telegram delivery %+v", d)
		}
	})
}

func TestBrokenTemplateSendsNothing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tmpl, err := e.st.Templates.ByKey(ctx, "booking_confirmed", models.TemplateChannelEmail, notify.Locale)
		if err != nil {
			t.Fatal(err)
		}
		html := "<p>{{.NoSuchField}}</p>"
		if err := e.st.Templates.Update(ctx, tmpl.ID, func(m *models.MessageTemplate) error {
			return m.Edit(*m.Subject, m.BodyText, &html, e.user.ID, now)
		}); err != nil {
			t.Fatal(err)
		}
		ev := confirmed(e.appointment(t, start))
		if err := e.deliver(t, notify.MessagesSubscriber, ev); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
			t.Fatalf("broken template: %v", err)
		}
		if len(e.smtp.Messages()) != 0 {
			t.Fatal("a half-rendered email went out")
		}
		d, _ := e.st.Deliveries.ByDedupKey(ctx, ev.EventID().String()+":booking_confirmed:email")
		if d.LastError == nil || !strings.Contains(*d.LastError, "NoSuchField") {
			t.Errorf("the admin cannot see why: %+v", d)
		}
	})
}

// reminderJobs lists the queued reminders: when they run and for which appointment.
func (e *env) reminderJobs(t *testing.T) []events.Job {
	t.Helper()
	jobs, err := e.outbox.Jobs(context.Background(), "scheduled", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Job
	for _, j := range jobs {
		if j.Task == notify.TaskReminder {
			out = append(out, j)
		}
	}
	return out
}

func reminderPayload(a *models.Appointment, before time.Duration) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"appointment_id": a.ID, "start": a.StartAt, "before": before})
	return b
}

func TestReminders(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.appointment(t, start)
		if err := e.deliver(t, notify.RemindersSubscriber, confirmed(a)); err != nil {
			t.Fatal(err)
		}
		jobs := e.reminderJobs(t)
		got := map[time.Time]bool{}
		for _, j := range jobs {
			got[j.ScheduledAt.UTC()] = true
		}
		if len(jobs) != 2 || !got[start.Add(-24*time.Hour)] || !got[start.Add(-2*time.Hour)] {
			t.Fatalf("reminder jobs at %v, want start-24h and start-2h", got)
		}
		// At run time: sent once, by email and Telegram.
		if err := e.n.Remind(ctx, reminderPayload(a, 24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := e.n.Remind(ctx, reminderPayload(a, 24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(e.smtp.Messages()) != 1 || len(e.tg.Sent()) != 1 {
			t.Fatalf("reminder: %d email, %d telegram", len(e.smtp.Messages()), len(e.tg.Sent()))
		}
		if p, _ := e.smtp.Messages()[0].Parse(); !strings.HasPrefix(p.Subject, "Напоминание о консультации") {
			t.Errorf("subject %q", p.Subject)
		}

		// Rescheduled: the old time's reminder sends nothing, the new one's does.
		next, err := e.st.Appointments.Reschedule(ctx, a.ID, func(old *models.Appointment) (*models.Appointment, error) {
			return old.Reschedule(e.svc, start.Add(3*time.Hour), models.BookingActorStaff, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.n.Remind(ctx, reminderPayload(a, 2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(e.smtp.Messages()) != 1 {
			t.Fatal("a reminder went out for the old time")
		}
		moved := models.AppointmentBooked{EventMeta: models.NewEventMeta(next.ID, now), Status: models.AppointmentStatusConfirmed, RescheduledFromID: &a.ID}
		if err := e.deliver(t, notify.RemindersSubscriber, moved); err != nil {
			t.Fatal(err)
		}
		if n := len(e.reminderJobs(t)); n != 4 {
			t.Errorf("reminder jobs after the move: %d, want 4", n)
		}
		if err := e.n.Remind(ctx, reminderPayload(next, 2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(e.smtp.Messages()) != 2 {
			t.Fatal("no reminder for the new time")
		}

		// Canceled: nothing.
		if err := e.st.Appointments.Update(ctx, next.ID, func(x *models.Appointment) error {
			return x.Cancel(models.BookingActorClient, "", now)
		}); err != nil {
			t.Fatal(err)
		}
		before := len(e.smtp.Messages())
		if err := e.n.Remind(ctx, reminderPayload(next, 24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(e.smtp.Messages()) != before {
			t.Error("a reminder went out for a canceled appointment")
		}
		if err := e.n.Remind(ctx, json.RawMessage(`nope`)); err == nil {
			t.Error("a malformed payload was accepted")
		}
	})
}

func TestEveryBookingEventTellsTheClient(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.appointment(t, start)
		pay, err := models.NewPayment(a.ID, models.Money{Minor: 500000, Currency: "RUB"}, "pay-"+a.ID.String(), now)
		if err != nil {
			t.Fatal(err)
		}
		if err := pay.MarkPending("yk-1", "https://yookassa.example/pay", now); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Payments.Create(ctx, pay); err != nil {
			t.Fatal(err)
		}
		refund, err := models.NewRefund(pay.ID, models.Money{Minor: 250000, Currency: "RUB"}, "refund-1", "canceled by the client", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.Refunds.Create(ctx, refund); err != nil {
			t.Fatal(err)
		}
		moved := e.appointment(t, start.Add(4*time.Hour))
		entry, err := models.NewWaitlistEntry(e.svc.ID, &e.user.ID, nil, nil, nil, nil, models.MustTimeZone("Europe/Moscow"), now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.Waitlist.Create(ctx, entry); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			ev      models.Event
			subject string
			body    string
		}{
			{models.AppointmentBooked{EventMeta: models.NewEventMeta(a.ID, now), Status: models.AppointmentStatusPendingPayment},
				"Запись ожидает оплаты — четверг, 3 декабря 2026, 08:00 (Europe/Berlin)", "5000.00 RUB"},
			{models.AppointmentCanceled{EventMeta: models.NewEventMeta(a.ID, now), By: models.BookingActorClient},
				"Запись отменена — четверг, 3 декабря 2026, 08:00 (Europe/Berlin)", "Возврат 2500.00 RUB оформлен"},
			{models.AppointmentRescheduled{EventMeta: models.NewEventMeta(a.ID, now), NewAppointmentID: moved.ID},
				"Запись перенесена — четверг, 3 декабря 2026, 12:00 (Europe/Berlin)", "Индивидуальная консультация"},
			{models.RefundSucceeded{EventMeta: models.NewEventMeta(refund.ID, now), PaymentID: pay.ID},
				"Возврат 2500.00 RUB выполнен", "Мы вернули 2500.00 RUB"},
			{models.WaitlistSlotFreed{EventMeta: models.NewEventMeta(entry.ID, now), ServiceID: e.svc.ID, Start: start},
				"Освободилось время — четверг, 3 декабря 2026, 10:00 (Europe/Moscow)", "https://balance.example"},
		} {
			before := len(e.smtp.Messages())
			if err := e.deliver(t, notify.MessagesSubscriber, tc.ev); err != nil {
				t.Fatalf("%s: %v", tc.ev.EventName(), err)
			}
			msgs := e.smtp.Messages()
			if len(msgs) != before+1 {
				t.Fatalf("%s: %d new emails", tc.ev.EventName(), len(msgs)-before)
			}
			p, err := msgs[len(msgs)-1].Parse()
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != tc.subject || !strings.Contains(p.Text, tc.body) {
				t.Errorf("%s: subject %q\ntext %q", tc.ev.EventName(), p.Subject, p.Text)
			}
		}
		// A free booking (confirmed at once) gets only the confirmation, not "awaiting payment".
		before := len(e.smtp.Messages())
		if err := e.deliver(t, notify.MessagesSubscriber, models.AppointmentBooked{EventMeta: models.NewEventMeta(a.ID, now), Status: models.AppointmentStatusConfirmed}); err != nil {
			t.Fatal(err)
		}
		if len(e.smtp.Messages()) != before {
			t.Error("a confirmed booking got the awaiting-payment email")
		}
	})
}

func TestSeededTemplatesAreValidAndRender(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		st := notify.NewStores(db)
		list, err := st.Templates.List(context.Background(), repository.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, m := range list {
			keys[m.Key+"/"+string(m.Channel)] = true
			subject := ""
			if m.Subject != nil {
				subject = *m.Subject
			}
			// The admin panel's own validation accepts what the migration seeded.
			if _, err := models.NewMessageTemplate(m.Key, m.Channel, m.Locale, subject, m.BodyText, m.BodyHTML, nil, now); err != nil {
				t.Errorf("%s/%s: %v", m.Key, m.Channel, err)
			}
		}
		for _, want := range []string{
			"booking_received/email", "booking_confirmed/email", "booking_confirmed/telegram", "reminder/email",
			"reminder/telegram", "booking_canceled/email", "refund_succeeded/email", "booking_rescheduled/email",
			"waitlist_slot_freed/email", "signin_code/email", "data_export_ready/email", "telegram_welcome/telegram",
		} {
			if !keys[want] {
				t.Errorf("template %s is not seeded", want)
			}
		}
	})
}

// TestConfirmationArrivesAfterSMTPComesBack runs the real job queue: the confirmation's job fails
// while the SMTP server is down, is retried with backoff, and the email arrives once it is back.
func TestConfirmationArrivesAfterSMTPComesBack(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		workers, err := events.NewOutbox(db, events.DefaultCatalog(), e.subs, events.OutboxConfig{
			Workers: 2, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		db.SetPublisher(workers)
		if err := workers.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer workers.Stop(context.Background())

		e.smtp.Stop()
		// A free booking is confirmed at once: its confirmation is published with it.
		a, err := models.NewAppointment(e.svc, start, models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline, &e.user.ID, nil, models.AppointmentMetadata{}, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.Appointments.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		// Wait until the job has failed at least once, then bring the server back.
		deadline := time.Now().Add(30 * time.Second)
		for {
			d, err := e.st.Deliveries.ByDedupKey(ctx, firstConfirmedKey(t, e, a))
			if err == nil && d.Attempts > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the confirmation was never attempted")
			}
			time.Sleep(20 * time.Millisecond)
		}
		e.smtp.Start()
		waitCtx, stop := context.WithTimeout(ctx, 30*time.Second)
		defer stop()
		msgs, err := e.smtp.Wait(waitCtx, 1)
		if err != nil {
			t.Fatalf("the email never arrived: %v", err)
		}
		if p, err := msgs[0].Parse(); err != nil || !strings.HasPrefix(p.Subject, "Запись подтверждена") {
			t.Errorf("arrived %q (%v)", p.Subject, err)
		}
	})
}

// firstConfirmedKey finds the dedup key of the appointment's confirmation email once its delivery
// row exists ("" before).
func firstConfirmedKey(t *testing.T, e *env, a *models.Appointment) string {
	t.Helper()
	log, err := e.st.Deliveries.BySubject(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range log {
		if d.TemplateKey == "booking_confirmed" && d.Channel == models.TemplateChannelEmail {
			return d.DedupKey
		}
	}
	return ""
}

// TestBookingNeverOfferedTellsNothing: a booking whose payment the provider never created was
// answered with an error (502), so its client hears neither "awaiting payment" nor "canceled";
// while its payment is still being created, the first message waits for the answer.
func TestBookingNeverOfferedTellsNothing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.appointment(t, start)
		pay, err := models.NewPayment(a.ID, models.Money{Minor: 500000, Currency: "RUB"}, "pay-"+a.ID.String(), now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.Payments.Create(ctx, pay); err != nil {
			t.Fatal(err)
		}
		booked := models.AppointmentBooked{EventMeta: models.NewEventMeta(a.ID, now), Status: models.AppointmentStatusPendingPayment}
		err = e.deliver(t, notify.MessagesSubscriber, booked)
		var snooze *events.SnoozeError
		if !errors.As(err, &snooze) || snooze.After <= 0 {
			t.Fatalf("booked while the payment is being created: %v, want a snooze", err)
		}
		if err := e.st.Payments.Update(ctx, pay.ID, func(p *models.Payment) error { return p.Fail("provider unreachable", now) }); err != nil {
			t.Fatal(err)
		}
		for _, ev := range []models.Event{booked, models.AppointmentCanceled{EventMeta: models.NewEventMeta(a.ID, now), By: models.BookingActorSystem}} {
			if err := e.deliver(t, notify.MessagesSubscriber, ev); err != nil {
				t.Fatalf("%s: %v", ev.EventName(), err)
			}
		}
		if n := len(e.smtp.Messages()); n != 0 {
			t.Errorf("%d emails about a booking its client was never shown", n)
		}
	})
}

// A booking's own event decides which of the two notify subscribers has anything to do with it:
// one waiting for its payment gets the "booking received" message and no reminders yet, one
// confirmed at once gets reminders and no such message. No job is queued for the other.
func TestBookedEventGoesOnlyWhereItIsUsed(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		booked := func(s models.AppointmentStatus) models.Event {
			return models.AppointmentBooked{EventMeta: models.NewEventMeta(models.NewID(), now), Status: s}
		}
		for _, tc := range []struct {
			event      models.Event
			subscriber string
			want       bool
		}{
			{booked(models.AppointmentStatusPendingPayment), notify.MessagesSubscriber, true},
			{booked(models.AppointmentStatusPendingPayment), notify.RemindersSubscriber, false},
			{booked(models.AppointmentStatusConfirmed), notify.MessagesSubscriber, false},
			{booked(models.AppointmentStatusConfirmed), notify.RemindersSubscriber, true},
			{models.AppointmentConfirmed{EventMeta: models.NewEventMeta(models.NewID(), now)}, notify.MessagesSubscriber, true},
			{models.AppointmentConfirmed{EventMeta: models.NewEventMeta(models.NewID(), now)}, notify.RemindersSubscriber, true},
			{models.AppointmentCanceled{EventMeta: models.NewEventMeta(models.NewID(), now)}, notify.MessagesSubscriber, true},
		} {
			sub, ok := e.subs.Get(tc.event.EventName(), tc.subscriber)
			if !ok {
				t.Fatalf("%s does not follow %s", tc.subscriber, tc.event.EventName())
			}
			if got := sub.Follows(tc.event); got != tc.want {
				t.Errorf("%s follows %s %+v: %v, want %v", tc.subscriber, tc.event.EventName(), tc.event, got, tc.want)
			}
		}
	})
}
