package booking_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/integrations/yookassa"
	"balance/integrations/yookassa/yookassatest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// envNow is Tuesday 2026-12-01 12:00 in Moscow. Thursday 2026-12-03 10:00 Moscow (07:00 UTC) is
// the usual slot the tests book.
var envNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// envSlot is Thursday 2026-12-03 10:00 Moscow, plus n half-hour steps.
func envSlot(n int) time.Time {
	return time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC).Add(time.Duration(n) * 30 * time.Minute)
}

type env struct {
	db     *repository.DB
	clock  *testkit.Clock
	yk     *yookassatest.Server
	outbox *events.Outbox
	subs   *events.Subscriptions
	b      *booking.Bookings
	st     booking.Stores
	svc    *models.Service
	pub    *testkit.EventCounter
	// crash, when the env was made with crashable(), makes the next payment creations die.
	crash *crashingProvider
}

type envOption func(*envConfig)

type envConfig struct {
	price      int64
	noProvider bool
	logs       *testkit.Buffer
	crashable  bool
}

func free() envOption       { return func(c *envConfig) { c.price = 0 } }
func noProvider() envOption { return func(c *envConfig) { c.noProvider = true } }
func crashable() envOption  { return func(c *envConfig) { c.crashable = true } }

// processDied is what crashingProvider panics with: the process died at that moment.
type processDied struct{}

// crashingProvider stands for the process dying while it creates a payment: once armed, a
// CreatePayment panics with processDied, before the request reaches the provider or (with
// afterProvider) after the provider made the payment but before its answer was used.
type crashingProvider struct {
	booking.PaymentGateway
	armed, afterProvider atomic.Bool
}

func (p *crashingProvider) CreatePayment(ctx context.Context, req booking.PaymentRequest) (booking.ProviderPayment, error) {
	if !p.armed.Load() {
		return p.PaymentGateway.CreatePayment(ctx, req)
	}
	if p.afterProvider.Load() {
		_, _ = p.PaymentGateway.CreatePayment(ctx, req)
	}
	panic(processDied{})
}

// bookAndDie books in as a request whose process dies while creating the payment: the booking's
// transaction is committed and nothing after it runs.
func (e *env) bookAndDie(t *testing.T, in booking.BookingInput) {
	t.Helper()
	e.crash.armed.Store(true)
	defer e.crash.armed.Store(false)
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(processDied); !ok {
					panic(r)
				}
			}
		}()
		res, err := e.b.Book(context.Background(), in)
		t.Fatalf("the booking survived its process: %+v %v", res, err)
	}()
}

// logTo sends the outbox's and the booking use cases' logs to buf (slog JSON) instead of t.Log.
func logTo(buf *testkit.Buffer) envOption { return func(c *envConfig) { c.logs = buf } }

// newEnv serves one published service (5,000.00 RUB, 50 minutes + 10 buffer, free cancellation
// until 24 h before, half refunded until 12 h, moves until 12 h) on weekdays 10:00–19:00 Moscow,
// with booking over the real database, an insert-only job queue and a fake YooKassa.
func newEnv(t *testing.T, db *repository.DB, opts ...envOption) *env {
	t.Helper()
	cfg := envConfig{price: 500000}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	log := testkit.Logger(t)
	if cfg.logs != nil {
		log = slog.New(slog.NewJSONHandler(cfg.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e := &env{db: db, clock: testkit.NewClock(envNow), st: booking.NewStores(db)}
	e.subs = events.NewSubscriptions()
	var err error
	e.outbox, err = events.NewOutbox(db, events.DefaultCatalog(), e.subs, events.OutboxConfig{}, log)
	if err != nil {
		t.Fatal(err)
	}
	e.pub = testkit.CountEvents(e.outbox)
	db.SetPublisher(e.pub)

	var provider booking.PaymentGateway
	if !cfg.noProvider {
		e.yk = yookassatest.New(t, "shop-1", "secret-1")
		client, err := yookassa.New(yookassa.Config{
			ShopID: "shop-1", SecretKey: "secret-1", APIURL: e.yk.URL(), ReturnURL: "https://balance.example/paid",
			HTTPClient: e.yk.Client(), RetryWait: time.Millisecond, MaxRetries: 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		provider = yookassa.Gateway{Client: client}
		if cfg.crashable {
			e.crash = &crashingProvider{PaymentGateway: provider}
			provider = e.crash
		}
	}
	e.svc, err = models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
		DurationMinutes: 50, BufferMinutes: 10, Price: models.Money{Minor: cfg.price, Currency: models.CurrencyRUB},
		CancelFreeHours: intPtr(24), CancelPartialHours: intPtr(12), RescheduleMinHours: intPtr(12),
		Timezone: "Europe/Moscow",
	}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Publish(e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Services.Create(ctx, e.svc); err != nil {
		t.Fatal(err)
	}
	av := repository.NewAvailability(db)
	for wd := 1; wd <= 5; wd++ {
		r, err := models.NewAvailabilityRule(&e.svc.ID, wd, 10*60, 19*60, "Europe/Moscow", nil, nil, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := av.CreateRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	slots := booking.NewSlots(av, e.st.Appointments, nil, e.clock)
	e.b = booking.NewBookings(db, e.st, slots, provider, e.outbox, e.clock, booking.Config{
		HoldTTL: 15 * time.Minute, PartialRefundPercent: 50, ReconcileAfter: 10 * time.Minute, IdempotencyTTL: 24 * time.Hour,
	}, log)
	for _, task := range e.b.Tasks() {
		e.outbox.Handle(task.Name, task.Run)
	}
	if err := e.b.RegisterWaitlist(e.subs); err != nil {
		t.Fatal(err)
	}
	if err := e.outbox.Init(); err != nil {
		t.Fatal(err)
	}
	return e
}

// input is a valid booking of envSlot(n) by the client with email.
func input(n int, email string) booking.BookingInput {
	return booking.BookingInput{
		ServiceSlug: "individual-session", Start: envSlot(n), Timezone: models.MustTimeZone("Europe/Berlin"),
		Format:   models.AppointmentFormatOnline,
		Client:   contact("Анна", email, "+7 999 123-45-67"),
		Consents: []booking.ConsentInput{{Type: models.ConsentPersonalData, Version: "2026-01"}},
		Metadata: models.AppointmentMetadata{EntryPoint: "article", UTM: map[string]string{"source": "telegram"}},
	}
}

func (e *env) book(t *testing.T, n int, email string) *booking.BookingResult {
	t.Helper()
	res, err := e.b.Book(context.Background(), input(n, email))
	if err != nil {
		t.Fatalf("book slot %d: %v", n, err)
	}
	return res
}

// providerID is the YooKassa id of the booking's payment.
func providerID(t *testing.T, a *models.Appointment) string {
	t.Helper()
	if len(a.Payments) == 0 || a.Payments[0].ProviderPaymentID == nil {
		t.Fatalf("appointment %s has no payment at the provider: %+v", a.ID, a.Payments)
	}
	return *a.Payments[len(a.Payments)-1].ProviderPaymentID
}

// pay makes the fake say the client paid and delivers the notification.
func (e *env) pay(t *testing.T, a *models.Appointment) string {
	t.Helper()
	id := providerID(t, a)
	if !e.yk.Succeed(id) {
		t.Fatalf("fake has no payment %s", id)
	}
	out, err := e.b.HandleNotification(context.Background(), "payment.succeeded", id)
	if err != nil {
		t.Fatalf("notification: %v", err)
	}
	return out
}

func (e *env) appointment(t *testing.T, id uuid.UUID) *models.Appointment {
	t.Helper()
	a, err := e.st.Appointments.ByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// providerStatus is the fake's status of a payment.
func (e *env) providerStatus(t *testing.T, id string) string {
	t.Helper()
	var p struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(e.yk.PaymentJSON(id), &p); err != nil {
		t.Fatal(err)
	}
	return p.Status
}

// scheduled lists the queued jobs of task.
func (e *env) scheduled(t *testing.T, task string) []events.Job {
	t.Helper()
	var out []events.Job
	for _, state := range []string{"scheduled", "available"} {
		jobs, err := e.outbox.Jobs(context.Background(), state, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Task == task {
				out = append(out, j)
			}
		}
	}
	return out
}

// runRefunds runs every pending refund of the appointment's payment, as the refund job would.
func (e *env) runRefunds(t *testing.T, a *models.Appointment) []models.Refund {
	t.Helper()
	ctx := context.Background()
	pays, err := e.st.Payments.ByAppointment(ctx, a.ID)
	if err != nil || len(pays) == 0 {
		t.Fatalf("payments of %s: %v %v", a.ID, pays, err)
	}
	refunds, err := e.st.Refunds.ByPayment(ctx, pays[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refunds {
		if err := e.b.RunRefund(ctx, r.ID); err != nil {
			t.Fatalf("run refund %s: %v", r.ID, err)
		}
	}
	refunds, err = e.st.Refunds.ByPayment(ctx, pays[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return refunds
}

func isValidation(err error, field string) bool {
	var ve *models.ValidationError
	return errors.As(err, &ve) && ve.Field == field
}

// contact parses a client's contact as the HTTP layer does (a phone alone for staff).
func contact(name, email, phone string) booking.ClientInput {
	c, err := models.ParseStaffClientContact(name, email, phone)
	if err != nil {
		panic(err)
	}
	return c
}
