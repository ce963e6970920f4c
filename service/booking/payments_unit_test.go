package booking_test

// Unit tests of the payments use case over in-memory fakes of its ports: no database, no HTTP.
// The database tests (payments_test.go) run the same use case over the real stores.

import (
	"context"
	"errors"
	"maps"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/service/booking"
)

// payState is what payStore holds; a transaction that fails puts back a copy taken at its start.
type payState struct {
	appts    map[uuid.UUID]models.Appointment
	payments map[uuid.UUID]models.Payment
	refunds  map[uuid.UUID]models.Refund
	// notes maps "event object" to the outcome recorded ("" while not processed).
	notes map[string]string
	ids   map[uuid.UUID]string // notification id → its key in notes
}

func (s payState) clone() payState {
	return payState{appts: maps.Clone(s.appts), payments: maps.Clone(s.payments), refunds: maps.Clone(s.refunds),
		notes: maps.Clone(s.notes), ids: maps.Clone(s.ids)}
}

// payStore is booking.PaymentStore in memory: a notification is recorded once, and a failed
// transaction leaves nothing behind.
type payStore struct {
	mu   sync.Mutex
	svc  models.Service
	st   payState
	inTx bool
}

func newPayStore(svc models.Service) *payStore {
	return &payStore{svc: svc, st: payState{appts: map[uuid.UUID]models.Appointment{}, payments: map[uuid.UUID]models.Payment{},
		refunds: map[uuid.UUID]models.Refund{}, notes: map[string]string{}, ids: map[uuid.UUID]string{}}}
}

var _ booking.PaymentStore = (*payStore)(nil)

func (m *payStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	m.mu.Lock()
	if m.inTx {
		m.mu.Unlock()
		return fn(ctx)
	}
	m.inTx = true
	before := m.st.clone()
	m.mu.Unlock()
	err := fn(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inTx = false
	if err != nil {
		m.st = before
	}
	return err
}

func (m *payStore) RecordNotification(_ context.Context, n *models.PaymentNotification) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := n.Event + " " + n.ObjectID
	if _, ok := m.st.notes[key]; ok {
		return false, nil
	}
	m.st.notes[key], m.st.ids[n.ID] = "", key
	return true, nil
}

func (m *payStore) MarkNotificationProcessed(_ context.Context, id uuid.UUID, outcome string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, ok := m.st.ids[id]
	if !ok {
		return models.ErrNotFound
	}
	m.st.notes[key] = outcome
	return nil
}

func (m *payStore) Payment(_ context.Context, id uuid.UUID) (*models.Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.st.payments[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	return &p, nil
}

func (m *payStore) PaymentByProviderID(_ context.Context, providerID string) (*models.Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.st.payments {
		if p.ProviderPaymentID != nil && *p.ProviderPaymentID == providerID {
			return &p, nil
		}
	}
	return nil, models.ErrNotFound
}

func (m *payStore) paymentsOf(appointmentID uuid.UUID) []models.Payment {
	var out []models.Payment
	for _, p := range m.st.payments {
		if p.AppointmentID == appointmentID {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

func (m *payStore) PaymentsOf(_ context.Context, appointmentID uuid.UUID) ([]models.Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paymentsOf(appointmentID), nil
}

func (m *payStore) CreatePayment(_ context.Context, p *models.Payment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.payments[p.ID] = *p
	return nil
}

func (m *payStore) UpdatePayment(_ context.Context, id uuid.UUID, fn func(*models.Payment) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.st.payments[id]
	if !ok {
		return models.ErrNotFound
	}
	if err := fn(&p); err != nil {
		return err
	}
	p.Version++
	m.st.payments[id] = p
	return nil
}

func (m *payStore) Appointment(_ context.Context, id uuid.UUID) (*models.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.st.appts[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	svc := m.svc
	a.Service, a.Payments = &svc, m.paymentsOf(id)
	return &a, nil
}

func (m *payStore) UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
	a, err := m.Appointment(ctx, id)
	if err != nil {
		return err
	}
	if err := fn(a); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a.Payments = nil
	a.Version++
	m.st.appts[id] = *a
	return nil
}

func (m *payStore) AppointmentsHolding(_ context.Context, start, blockedUntil time.Time) ([]models.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []models.Appointment
	for _, a := range m.st.appts {
		if a.IsActive() && a.StartAt.Before(blockedUntil) && start.Before(a.BlockedUntil) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *payStore) CreateRefund(_ context.Context, r *models.Refund) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.refunds[r.ID] = *r
	return nil
}

func (m *payStore) Refund(_ context.Context, id uuid.UUID) (*models.Refund, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.st.refunds[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	return &r, nil
}

func (m *payStore) RefundByProviderID(_ context.Context, providerID string) (*models.Refund, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.st.refunds {
		if r.ProviderRefundID != nil && *r.ProviderRefundID == providerID {
			return &r, nil
		}
	}
	return nil, models.ErrNotFound
}

func (m *payStore) RefundsOf(_ context.Context, paymentID uuid.UUID) ([]models.Refund, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []models.Refund
	for _, r := range m.st.refunds {
		if r.PaymentID == paymentID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *payStore) UpdateRefund(_ context.Context, id uuid.UUID, fn func(*models.Refund) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.st.refunds[id]
	if !ok {
		return models.ErrNotFound
	}
	if err := fn(&r); err != nil {
		return err
	}
	m.st.refunds[id] = r
	return nil
}

func (m *payStore) paymentsIn(status models.PaymentStatus, by time.Time, limit int) []models.Payment {
	var out []models.Payment
	for _, p := range m.st.payments {
		if p.Status == status && !p.CreatedAt.After(by) && len(out) < limit {
			out = append(out, p)
		}
	}
	return out
}

func (m *payStore) StaleIntents(_ context.Context, t time.Time, limit int) ([]models.Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paymentsIn(models.PaymentStatusIntent, t, limit), nil
}

func (m *payStore) PendingPaymentsBefore(_ context.Context, t time.Time, limit int) ([]models.Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paymentsIn(models.PaymentStatusPending, t.Add(-time.Nanosecond), limit), nil
}

func (m *payStore) LapsedHolds(_ context.Context, now time.Time, limit int) ([]models.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []models.Appointment
	for _, a := range m.st.appts {
		if a.Status == models.AppointmentStatusPendingPayment && a.HoldExpiresAt != nil && !a.HoldExpiresAt.After(now) && len(out) < limit {
			out = append(out, a)
		}
	}
	return out, nil
}

// payGateway is booking.PaymentGateway answering what the test set: payments and refunds by the
// provider's id, and the answer to a refund request.
type payGateway struct {
	payments  map[string]booking.ProviderPayment
	refunds   map[string]booking.ProviderRefund
	refund    func(req booking.RefundRequest) (booking.ProviderRefund, error)
	refundsAt []booking.RefundRequest
}

func (g *payGateway) CreatePayment(context.Context, booking.PaymentRequest) (booking.ProviderPayment, error) {
	return booking.ProviderPayment{}, errors.New("payments are not created here")
}

func (g *payGateway) Payment(_ context.Context, id string) (booking.ProviderPayment, error) {
	if p, ok := g.payments[id]; ok {
		return p, nil
	}
	return booking.ProviderPayment{}, booking.ErrUnknownAtProvider
}

func (g *payGateway) CancelPayment(ctx context.Context, id, _ string) (booking.ProviderPayment, error) {
	p, err := g.Payment(ctx, id)
	if err == nil && p.State == booking.ProviderPaymentPending {
		p.State = booking.ProviderPaymentCanceled
		g.payments[id] = p
	}
	return p, err
}

func (g *payGateway) Refund(_ context.Context, req booking.RefundRequest) (booking.ProviderRefund, error) {
	g.refundsAt = append(g.refundsAt, req)
	if g.refund == nil {
		return booking.ProviderRefund{}, errors.New("no refunds here")
	}
	return g.refund(req)
}

func (g *payGateway) RefundState(_ context.Context, id string) (booking.ProviderRefund, error) {
	if r, ok := g.refunds[id]; ok {
		return r, nil
	}
	return booking.ProviderRefund{}, booking.ErrUnknownAtProvider
}

// unpaidCalls is booking.UnpaidBookings that records the payments whose booking it called off.
type unpaidCalls struct{ called []uuid.UUID }

func (u *unpaidCalls) CallOffUnpaid(_ context.Context, paymentID uuid.UUID) (bool, error) {
	u.called = append(u.called, paymentID)
	return true, nil
}

// payUnit is the payments use case over fakes, with one booking of a 5,000.00 RUB service held
// for its payment pp-1 (pending at the provider), seen on Tuesday 2026-12-01 12:00 Moscow.
type payUnit struct {
	clock  *testkit.Clock
	store  *payStore
	gw     *payGateway
	jobs   *memJobs
	unpaid *unpaidCalls
	p      *booking.Payments
	appt   uuid.UUID
	pay    uuid.UUID
}

const payPrice = 500000

func newPayUnit(t *testing.T) *payUnit {
	t.Helper()
	clock := testkit.NewClock(envNow)
	now := clock.Now()
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
		DurationMinutes: 50, BufferMinutes: 10, Price: models.Money{Minor: payPrice, Currency: models.CurrencyRUB},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish(now); err != nil {
		t.Fatal(err)
	}
	user, lead := models.NewID(), models.NewID()
	a, err := models.NewAppointment(svc, envSlot(0), models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, &user, &lead,
		models.AppointmentMetadata{}, 15*time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != models.AppointmentStatusPendingPayment {
		t.Fatalf("a paid booking is %s", a.Status)
	}
	pay, err := models.NewPayment(a.ID, svc.Price(), "pay-"+a.ID.String(), now)
	if err != nil {
		t.Fatal(err)
	}
	if err := pay.MarkPending("pp-1", "https://pay.example/pp-1", now); err != nil {
		t.Fatal(err)
	}
	u := &payUnit{clock: clock, store: newPayStore(*svc), jobs: &memJobs{}, unpaid: &unpaidCalls{}, appt: a.ID, pay: pay.ID,
		gw: &payGateway{payments: map[string]booking.ProviderPayment{
			"pp-1": {ID: "pp-1", State: booking.ProviderPaymentPending, Amount: svc.Price(), Appointment: a.ID},
		}, refunds: map[string]booking.ProviderRefund{}}}
	u.store.st.appts[a.ID], u.store.st.payments[pay.ID] = *a, *pay
	u.p = booking.NewPayments(u.store, u.gw, u.jobs, u.unpaid, clock,
		booking.Config{HoldTTL: 15 * time.Minute, ReconcileAfter: 30 * time.Minute}, testkit.Logger(t))
	return u
}

// providerSays sets the provider's state of pp-1.
func (u *payUnit) providerSays(state booking.ProviderPaymentState, amountMinor int64) {
	p := u.gw.payments["pp-1"]
	p.State, p.Amount.Minor = state, amountMinor
	u.gw.payments["pp-1"] = p
}

func (u *payUnit) appointment() models.Appointment { return u.store.st.appts[u.appt] }
func (u *payUnit) payment() models.Payment         { return u.store.st.payments[u.pay] }

// paid makes the booking confirmed and its payment succeeded, with a pending refund of amountMinor.
func (u *payUnit) paidWithRefund(t *testing.T, amountMinor int64) uuid.UUID {
	t.Helper()
	now := u.clock.Now()
	a, p := u.appointment(), u.payment()
	if err := p.Succeed(now); err != nil {
		t.Fatal(err)
	}
	if err := a.Confirm(now); err != nil {
		t.Fatal(err)
	}
	r, err := models.NewRefund(p.ID, models.Money{Minor: amountMinor, Currency: p.Currency}, "refund-1", "canceled by the client", now)
	if err != nil {
		t.Fatal(err)
	}
	u.store.st.appts[a.ID], u.store.st.payments[p.ID], u.store.st.refunds[r.ID] = a, p, *r
	return r.ID
}

func TestPaymentsUnit(t *testing.T) {
	ctx := context.Background()
	notify := func(event string) func(t *testing.T, u *payUnit) (string, error) {
		return func(t *testing.T, u *payUnit) (string, error) { return u.p.HandleNotification(ctx, event, "pp-1") }
	}
	tests := []struct {
		name    string
		arrange func(t *testing.T, u *payUnit)
		act     func(t *testing.T, u *payUnit) (string, error)
		check   func(t *testing.T, u *payUnit, outcome string, err error)
	}{
		{
			name:    "a payment that succeeded confirms the booking once; the same notification again is a no-op",
			arrange: func(t *testing.T, u *payUnit) { u.providerSays(booking.ProviderPaymentSucceeded, payPrice) },
			act: func(t *testing.T, u *payUnit) (string, error) {
				first, err := u.p.HandleNotification(ctx, "payment.succeeded", "pp-1")
				if err != nil || first != "confirmed" {
					t.Fatalf("first notification: %q, %v", first, err)
				}
				version := u.appointment().Version
				again, err := u.p.HandleNotification(ctx, "payment.succeeded", "pp-1")
				if v := u.appointment().Version; v != version {
					t.Errorf("the duplicate wrote the appointment again (version %d → %d)", version, v)
				}
				return again, err
			},
			check: func(t *testing.T, u *payUnit, outcome string, err error) {
				if err != nil || outcome != "duplicate" {
					t.Fatalf("duplicate notification: %q, %v", outcome, err)
				}
				if a, p := u.appointment(), u.payment(); a.Status != models.AppointmentStatusConfirmed || p.Status != models.PaymentStatusSucceeded {
					t.Errorf("appointment %s, payment %s", a.Status, p.Status)
				}
				if got := u.store.st.notes["payment.succeeded pp-1"]; got != "confirmed" {
					t.Errorf("the notification's outcome is %q", got)
				}
				if len(u.store.st.refunds) != 0 || len(u.jobs.names) != 0 {
					t.Errorf("%d refunds, jobs %v", len(u.store.st.refunds), u.jobs.names)
				}
			},
		},
		{
			name:    "a payment canceled at the provider cancels the pending booking",
			arrange: func(t *testing.T, u *payUnit) { u.providerSays(booking.ProviderPaymentCanceled, payPrice) },
			act:     notify("payment.canceled"),
			check: func(t *testing.T, u *payUnit, outcome string, err error) {
				if err != nil || outcome != "canceled" {
					t.Fatalf("%q, %v", outcome, err)
				}
				a, p := u.appointment(), u.payment()
				if a.Status != models.AppointmentStatusCanceled || a.IsActive() || p.Status != models.PaymentStatusCanceled {
					t.Errorf("appointment %s, payment %s", a.Status, p.Status)
				}
				if a.CanceledBy == nil || *a.CanceledBy != models.BookingActorSystem || a.HoldLapsed() {
					t.Errorf("canceled by %v (hold lapsed: %t)", a.CanceledBy, a.HoldLapsed())
				}
			},
		},
		{
			name:    "an amount that differs from the booking is not applied",
			arrange: func(t *testing.T, u *payUnit) { u.providerSays(booking.ProviderPaymentSucceeded, 100) },
			act:     notify("payment.succeeded"),
			check: func(t *testing.T, u *payUnit, outcome string, err error) {
				if err != nil || outcome != "ignored: amount differs from the booking" {
					t.Fatalf("%q, %v", outcome, err)
				}
				if a, p := u.appointment(), u.payment(); a.Status != models.AppointmentStatusPendingPayment || p.Status != models.PaymentStatusPending {
					t.Errorf("appointment %s, payment %s", a.Status, p.Status)
				}
				if got := u.store.st.notes["payment.succeeded pp-1"]; got != outcome {
					t.Errorf("the notification's outcome is %q", got)
				}
			},
		},
		{
			name: "a payment unknown to the provider is ignored",
			act: func(t *testing.T, u *payUnit) (string, error) {
				return u.p.HandleNotification(ctx, "payment.succeeded", "pp-nobody")
			},
			check: func(t *testing.T, u *payUnit, outcome string, err error) {
				if err != nil || outcome != "ignored: unknown payment" || u.appointment().Status != models.AppointmentStatusPendingPayment {
					t.Fatalf("%q, %v; appointment %s", outcome, err, u.appointment().Status)
				}
			},
		},
		{
			name: "a payment still pending at the provider changes nothing",
			act:  notify("payment.succeeded"),
			check: func(t *testing.T, u *payUnit, outcome string, err error) {
				if err != nil || outcome != "ignored: still pending at the provider" || len(u.store.st.notes) != 0 {
					t.Fatalf("%q, %v; notifications %v", outcome, err, u.store.st.notes)
				}
			},
		},
		{
			name: "a payment that arrives for a canceled booking is refunded in full",
			arrange: func(t *testing.T, u *payUnit) {
				a := u.appointment()
				if err := a.Cancel(models.BookingActorClient, "", u.clock.Now()); err != nil {
					t.Fatal(err)
				}
				u.store.st.appts[a.ID] = a
				u.providerSays(booking.ProviderPaymentSucceeded, payPrice)
			},
			act: notify("payment.succeeded"),
			check: func(t *testing.T, u *payUnit, outcome string, err error) {
				if err != nil || outcome != "refunding: paid after the booking was canceled" {
					t.Fatalf("%q, %v", outcome, err)
				}
				if len(u.store.st.refunds) != 1 || len(u.jobs.names) != 1 || u.jobs.names[0] != booking.TaskRefund {
					t.Fatalf("refunds %v, jobs %v", u.store.st.refunds, u.jobs.names)
				}
				for _, r := range u.store.st.refunds {
					if r.AmountMinor != payPrice || r.PaymentID != u.pay || r.Status != models.RefundStatusPending {
						t.Errorf("refund %+v", r)
					}
				}
				if u.appointment().Status != models.AppointmentStatusCanceled || u.payment().Status != models.PaymentStatusSucceeded {
					t.Errorf("appointment %s, payment %s", u.appointment().Status, u.payment().Status)
				}
			},
		},
		{
			name: "a refund the provider refuses for good is canceled, to be made by hand",
			act: func(t *testing.T, u *payUnit) (string, error) {
				id := u.paidWithRefund(t, 200000)
				u.gw.refund = func(booking.RefundRequest) (booking.ProviderRefund, error) {
					return booking.ProviderRefund{}, booking.ErrRefusedByProvider
				}
				return "", u.p.RunRefund(ctx, id)
			},
			check: func(t *testing.T, u *payUnit, _ string, err error) {
				if err != nil {
					t.Fatalf("a refusal for good is no error to retry: %v", err)
				}
				for _, r := range u.store.st.refunds {
					if r.Status != models.RefundStatusCanceled {
						t.Errorf("refund %s, want canceled", r.Status)
					}
				}
				if p := u.payment(); p.Status != models.PaymentStatusSucceeded || p.RefundedMinor != 0 {
					t.Errorf("payment %s, refunded %d", p.Status, p.RefundedMinor)
				}
				if len(u.gw.refundsAt) != 1 || u.gw.refundsAt[0].ProviderPaymentID != "pp-1" || u.gw.refundsAt[0].IdempotenceKey != "refund-1" {
					t.Errorf("asked the provider %+v", u.gw.refundsAt)
				}
			},
		},
		{
			name: "a refund the provider makes counts against the payment",
			act: func(t *testing.T, u *payUnit) (string, error) {
				id := u.paidWithRefund(t, 200000)
				u.gw.refund = func(req booking.RefundRequest) (booking.ProviderRefund, error) {
					return booking.ProviderRefund{ID: "rf-1", ProviderPaymentID: req.ProviderPaymentID, State: booking.ProviderRefundSucceeded, Amount: req.Amount}, nil
				}
				return "", u.p.RunRefund(ctx, id)
			},
			check: func(t *testing.T, u *payUnit, _ string, err error) {
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range u.store.st.refunds {
					if r.Status != models.RefundStatusSucceeded || r.ProviderRefundID == nil || *r.ProviderRefundID != "rf-1" {
						t.Errorf("refund %+v", r)
					}
				}
				if p := u.payment(); p.Status != models.PaymentStatusPartiallyRefunded || p.RefundedMinor != 200000 {
					t.Errorf("payment %s, refunded %d", p.Status, p.RefundedMinor)
				}
			},
		},
		{
			name: "a lapsed hold whose payment was never created is called off by the booking use case",
			arrange: func(t *testing.T, u *payUnit) {
				p := u.payment()
				p.Status, p.ProviderPaymentID, p.ConfirmationURL = models.PaymentStatusIntent, nil, nil
				u.store.st.payments[p.ID] = p
				u.clock.Advance(16 * time.Minute)
			},
			act: func(t *testing.T, u *payUnit) (string, error) { return "", u.p.ExpireHold(ctx, u.appt) },
			check: func(t *testing.T, u *payUnit, _ string, err error) {
				if err != nil || len(u.unpaid.called) != 1 || u.unpaid.called[0] != u.pay {
					t.Fatalf("err %v, called off %v", err, u.unpaid.called)
				}
			},
		},
		{
			name:    "a lapsed hold is canceled at the provider, then here",
			arrange: func(t *testing.T, u *payUnit) { u.clock.Advance(16 * time.Minute) },
			act:     func(t *testing.T, u *payUnit) (string, error) { return "", u.p.ExpireHold(ctx, u.appt) },
			check: func(t *testing.T, u *payUnit, _ string, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if u.gw.payments["pp-1"].State != booking.ProviderPaymentCanceled {
					t.Errorf("at the provider: %s", u.gw.payments["pp-1"].State)
				}
				if a, p := u.appointment(), u.payment(); !a.HoldLapsed() || p.Status != models.PaymentStatusCanceled {
					t.Errorf("appointment %s (hold lapsed: %t), payment %s", a.Status, a.HoldLapsed(), p.Status)
				}
				if len(u.unpaid.called) != 0 {
					t.Errorf("a payment created at the provider was called off as never created")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newPayUnit(t)
			if tc.arrange != nil {
				tc.arrange(t, u)
			}
			outcome, err := tc.act(t, u)
			tc.check(t, u, outcome, err)
		})
	}
}
