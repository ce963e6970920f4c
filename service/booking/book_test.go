package booking_test

// Unit tests of the booking use case over in-memory fakes of its ports: no database, no HTTP.
// The database tests (bookings_test.go and the rest) run the same use case over the real stores.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// memState is what memStore holds; a transaction that fails puts back a copy taken at its start.
type memState struct {
	users      map[models.Email]memUser
	leads      map[uuid.UUID]memLead
	identities map[string]uuid.UUID // "kind value" → lead
	appts      map[uuid.UUID]models.Appointment
	requests   map[string]models.BookingRequest
	payments   map[uuid.UUID]models.Payment
}

type memUser struct {
	id       uuid.UUID
	status   models.UserStatus
	consents map[models.ConsentType]string // type → version in force
}

type memLead struct {
	user  *uuid.UUID
	touch time.Time
}

func (s memState) clone() memState {
	c := memState{users: maps.Clone(s.users), leads: maps.Clone(s.leads), identities: maps.Clone(s.identities),
		appts: maps.Clone(s.appts), requests: maps.Clone(s.requests), payments: maps.Clone(s.payments)}
	for k, u := range c.users {
		u.consents = maps.Clone(u.consents)
		c.users[k] = u
	}
	return c
}

// memStore is booking.BookingStore in memory, with the database's guarantees booking relies on:
// no two active appointments overlap, an email has one account, a contact one lead, a key one
// request, and a failed transaction leaves nothing behind.
type memStore struct {
	mu       sync.Mutex
	svc      models.Service
	rules    []models.AvailabilityRule
	st       memState
	inTx     bool
	versions map[uuid.UUID]int // payment id → version of the stored row
}

func newMemStore(svc models.Service, rules []models.AvailabilityRule) *memStore {
	return &memStore{svc: svc, rules: rules, versions: map[uuid.UUID]int{}, st: memState{
		users: map[models.Email]memUser{}, leads: map[uuid.UUID]memLead{}, identities: map[string]uuid.UUID{},
		appts: map[uuid.UUID]models.Appointment{}, requests: map[string]models.BookingRequest{}, payments: map[uuid.UUID]models.Payment{},
	}}
}

func (m *memStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	m.mu.Lock()
	if m.inTx { // nested: joins the outer transaction
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

func (m *memStore) BookingContext(_ context.Context, slug, key string, email models.Email, phone string, _, now time.Time) (*repository.BookingContext, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if slug != m.svc.Slug {
		return nil, models.ErrNotFound
	}
	svc := m.svc
	bc := &repository.BookingContext{Service: &svc}
	if r, ok := m.st.requests[key]; ok && key != "" && r.ExpiresAt.After(now) {
		bc.Requested = true
	}
	if u, ok := m.st.users[email]; ok {
		bc.User, bc.UserStatus = &u.id, u.status
	}
	if id, ok := m.st.identities["email "+string(email)]; ok {
		bc.EmailLead = &id
	}
	if id, ok := m.st.identities["phone "+phone]; ok && phone != "" {
		bc.PhoneLead = &id
	}
	return bc, nil
}

func (m *memStore) Schedule(context.Context, uuid.UUID, time.Time, time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
	return m.rules, nil, nil
}

func (m *memStore) RecordUser(_ context.Context, u *models.User, consents []models.Consent, _ time.Time) (*repository.RecordedUser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.st.users[*u.Email]
	if !ok {
		rec = memUser{id: u.ID, status: models.UserActive, consents: map[models.ConsentType]string{}}
	}
	out := &repository.RecordedUser{ID: rec.id, Status: rec.status, Created: !ok}
	for _, c := range consents {
		if v, held := rec.consents[c.Type]; held && v != c.Version {
			out.Changed = append(out.Changed, c.Type)
		} else if !held {
			rec.consents[c.Type] = c.Version
		}
	}
	m.st.users[*u.Email] = rec
	return out, nil
}

func (m *memStore) GrantConsents(_ context.Context, email models.Email, _ string, consents []booking.ConsentInput, _ string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range consents {
		m.st.users[email].consents[c.Type] = c.Version
	}
	return nil
}

func (m *memStore) addIdentity(lead uuid.UUID, kind models.LeadIdentityKind, value string) error {
	k := string(kind) + " " + value
	if other, ok := m.st.identities[k]; ok && other != lead {
		return models.ErrConflict
	}
	m.st.identities[k] = lead
	return nil
}

func (m *memStore) CreateLead(_ context.Context, l *models.Lead) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range l.Identities {
		if err := m.addIdentity(l.ID, id.Kind, id.Value); err != nil {
			return err
		}
	}
	m.st.leads[l.ID] = memLead{user: l.UserID, touch: l.LastActivityAt}
	return nil
}

func (m *memStore) TouchLead(_ context.Context, leadID uuid.UUID, userID *uuid.UUID, identities []models.LeadIdentity, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.st.leads[leadID]
	if !ok {
		return models.ErrNotFound
	}
	for _, id := range identities {
		if err := m.addIdentity(leadID, id.Kind, id.Value); err != nil {
			return err
		}
	}
	if l.user == nil {
		l.user = userID
	}
	l.touch = now
	m.st.leads[leadID] = l
	return nil
}

func (m *memStore) CreateAppointment(_ context.Context, a *models.Appointment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.st.appts {
		if x.IsActive() && x.StartAt.Before(a.BlockedUntil) && a.StartAt.Before(x.BlockedUntil) {
			return fmt.Errorf("create appointment: %w", models.ErrSlotTaken)
		}
	}
	m.st.appts[a.ID] = *a
	return nil
}

func (m *memStore) Appointment(_ context.Context, id uuid.UUID) (*models.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.st.appts[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	svc := m.svc
	a.Service = &svc
	a.Payments = nil
	for _, p := range m.st.payments {
		if p.AppointmentID == id {
			a.Payments = append(a.Payments, p)
		}
	}
	return &a, nil
}

func (m *memStore) UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
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
	m.st.appts[id] = *a
	return nil
}

func (m *memStore) CreateBookingRequest(_ context.Context, r *models.BookingRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.st.requests[r.Key]; ok {
		return models.ErrConflict
	}
	m.st.requests[r.Key] = *r
	return nil
}

func (m *memStore) BookingRequest(_ context.Context, key string, now time.Time) (*models.BookingRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.st.requests[key]
	if !ok || !r.ExpiresAt.After(now) {
		return nil, models.ErrNotFound
	}
	return &r, nil
}

func (m *memStore) ForgetBookingRequest(_ context.Context, appointmentID uuid.UUID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, r := range m.st.requests {
		if r.AppointmentID == appointmentID {
			delete(m.st.requests, k)
		}
	}
	return nil
}

func (m *memStore) CreatePayment(_ context.Context, p *models.Payment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.payments[p.ID] = *p
	m.versions[p.ID] = p.Version
	return nil
}

func (m *memStore) SavePendingPayment(_ context.Context, p *models.Payment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.versions[p.ID] != p.Version {
		return models.ErrConflict
	}
	p.Version++
	m.versions[p.ID] = p.Version
	m.st.payments[p.ID] = *p
	return nil
}

func (m *memStore) UpdatePayment(_ context.Context, id uuid.UUID, fn func(*models.Payment) error) error {
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
	m.versions[id] = p.Version
	m.st.payments[id] = p
	return nil
}

// memGateway is booking.PaymentGateway in memory: payments it creates wait at a confirmation URL.
type memGateway struct {
	mu      sync.Mutex
	down    bool
	created map[string]booking.ProviderPayment // idempotence key → payment
	asked   []booking.PaymentRequest
}

func (g *memGateway) CreatePayment(_ context.Context, req booking.PaymentRequest) (booking.ProviderPayment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, req)
	if g.down {
		return booking.ProviderPayment{}, errors.New("connection refused")
	}
	if p, ok := g.created[req.IdempotenceKey]; ok {
		return p, nil
	}
	id := fmt.Sprintf("pp-%d", len(g.created)+1)
	p := booking.ProviderPayment{ID: id, State: booking.ProviderPaymentPending, Amount: req.Amount,
		ConfirmationURL: "https://pay.example/" + id, Appointment: req.Appointment}
	g.created[req.IdempotenceKey] = p
	return p, nil
}

func (g *memGateway) Payment(context.Context, string) (booking.ProviderPayment, error) {
	return booking.ProviderPayment{}, booking.ErrUnknownAtProvider
}

func (g *memGateway) CancelPayment(context.Context, string, string) (booking.ProviderPayment, error) {
	return booking.ProviderPayment{}, booking.ErrUnknownAtProvider
}

func (g *memGateway) Refund(context.Context, booking.RefundRequest) (booking.ProviderRefund, error) {
	return booking.ProviderRefund{}, booking.ErrRefusedByProvider
}

func (g *memGateway) RefundState(context.Context, string) (booking.ProviderRefund, error) {
	return booking.ProviderRefund{}, booking.ErrUnknownAtProvider
}

// memJobs is booking.Scheduler in memory.
type memJobs struct {
	mu    sync.Mutex
	names []string
}

func (j *memJobs) Schedule(_ context.Context, name string, _ any, _ time.Time) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.names = append(j.names, name)
	return int64(len(j.names)), nil
}

// unit is the booking use case over fakes: a published 5,000.00 RUB service (or a free one), 50
// minutes + 10 buffer, on weekdays 10:00–19:00 Moscow, seen on Tuesday 2026-12-01 12:00 Moscow.
type unit struct {
	store *memStore
	gw    *memGateway
	jobs  *memJobs
	b     *booking.Booker
}

func newUnit(t *testing.T, price int64, gateway bool) *unit {
	t.Helper()
	clock := testkit.NewClock(envNow)
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
		DurationMinutes: 50, BufferMinutes: 10, Price: models.Money{Minor: price, Currency: models.CurrencyRUB},
	}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish(clock.Now()); err != nil {
		t.Fatal(err)
	}
	var rules []models.AvailabilityRule
	for wd := 1; wd <= 5; wd++ {
		r, err := models.NewAvailabilityRule(&svc.ID, wd, 10*60, 19*60, "Europe/Moscow", nil, nil, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, *r)
	}
	u := &unit{store: newMemStore(*svc, rules), gw: &memGateway{created: map[string]booking.ProviderPayment{}}, jobs: &memJobs{}}
	var gw booking.PaymentGateway
	if gateway {
		gw = u.gw
	}
	u.b = booking.NewBooker(u.store, booking.NewSlots(nil, nil, nil, clock), gw, u.jobs, clock,
		booking.Config{HoldTTL: 15 * time.Minute, IdempotencyTTL: 24 * time.Hour}, testkit.Logger(t))
	return u
}

func unitInput(n int, email string) booking.BookingInput {
	return booking.BookingInput{
		ServiceSlug: "individual-session", Start: envSlot(n), Timezone: models.MustTimeZone("Europe/Berlin"), Format: models.AppointmentFormatOnline,
		Client:   contact("Анна", email, "+7 999 123-45-67"),
		Consents: []booking.ConsentInput{{Type: models.ConsentPersonalData, Version: "2026-01"}},
	}
}

func TestBookerUnit(t *testing.T) {
	type outcome struct {
		res *booking.BookingResult
		err error
	}
	tests := []struct {
		name    string
		price   int64
		noGate  bool
		arrange func(t *testing.T, u *unit)
		in      func(in *booking.BookingInput)
		check   func(t *testing.T, u *unit, got outcome)
	}{
		{
			name: "a paid service holds the time and opens a payment", price: 500000,
			check: func(t *testing.T, u *unit, got outcome) {
				if got.err != nil {
					t.Fatal(got.err)
				}
				a := got.res.Appointment
				if a.Status != models.AppointmentStatusPendingPayment || a.Service == nil || len(a.Payments) != 1 {
					t.Fatalf("answer: %s, service %v, %d payments", a.Status, a.Service, len(a.Payments))
				}
				p := a.Payments[0]
				if p.Status != models.PaymentStatusPending || p.ConfirmationURL == nil || *p.ConfirmationURL != "https://pay.example/pp-1" || p.AmountMinor != 500000 {
					t.Errorf("payment in the answer: %+v", p)
				}
				if stored := u.store.st.payments[p.ID]; stored.Status != models.PaymentStatusPending {
					t.Errorf("stored payment is %s", stored.Status)
				}
				if len(u.gw.asked) != 1 || u.gw.asked[0].Payment != p.ID || u.gw.asked[0].Appointment != a.ID || u.gw.asked[0].Email != "anna@example.com" {
					t.Errorf("asked the provider %+v", u.gw.asked)
				}
				if len(u.jobs.names) != 1 || u.jobs.names[0] != booking.TaskExpireHold {
					t.Errorf("jobs %v, want the hold's expiry", u.jobs.names)
				}
				if got.res.ManageToken == "" || a.ManageTokenHash == nil {
					t.Error("no manage token")
				}
				user := u.store.st.users["anna@example.com"]
				if a.ClientUserID == nil || *a.ClientUserID != user.id || user.consents[models.ConsentPersonalData] != "2026-01" {
					t.Errorf("client %v, account %+v", a.ClientUserID, user)
				}
				if lead := u.store.st.identities["phone +79991234567"]; a.LeadID == nil || lead != *a.LeadID {
					t.Errorf("lead %v, the phone's lead %v", a.LeadID, lead)
				}
			},
		},
		{
			name: "a free service is confirmed at once, without the provider",
			check: func(t *testing.T, u *unit, got outcome) {
				if got.err != nil || got.res.Appointment.Status != models.AppointmentStatusConfirmed || len(got.res.Appointment.Payments) != 0 {
					t.Fatalf("%+v %v", got.res, got.err)
				}
				if len(u.gw.asked) != 0 || len(u.jobs.names) != 0 {
					t.Errorf("provider asked %d times, jobs %v", len(u.gw.asked), u.jobs.names)
				}
			},
		},
		{
			name: "a taken time is refused and leaves no trace", price: 500000,
			arrange: func(t *testing.T, u *unit) {
				if _, err := u.b.Book(context.Background(), unitInput(0, "first@example.com")); err != nil {
					t.Fatal(err)
				}
			},
			in: func(in *booking.BookingInput) { in.Start = envSlot(1) }, // inside the first one's buffer
			check: func(t *testing.T, u *unit, got outcome) {
				if !errors.Is(got.err, models.ErrSlotTaken) {
					t.Fatalf("err = %v, want ErrSlotTaken", got.err)
				}
				if _, ok := u.store.st.users["anna@example.com"]; ok || len(u.store.st.appts) != 1 || len(u.gw.asked) != 1 {
					t.Errorf("the refused booking left an account (%t), %d appointments, %d provider calls", ok, len(u.store.st.appts), len(u.gw.asked))
				}
			},
		},
		{
			name: "the provider down calls the booking off and frees the time", price: 500000,
			arrange: func(t *testing.T, u *unit) { u.gw.down = true },
			in:      func(in *booking.BookingInput) { in.IdempotencyKey, in.RequestHash = "key-1", "hash-1" },
			check: func(t *testing.T, u *unit, got outcome) {
				if !errors.Is(got.err, booking.ErrPaymentUnavailable) {
					t.Fatalf("err = %v, want ErrPaymentUnavailable", got.err)
				}
				for _, a := range u.store.st.appts {
					if a.IsActive() {
						t.Errorf("appointment %s still holds the time", a.Status)
					}
				}
				for _, p := range u.store.st.payments {
					if p.Status != models.PaymentStatusFailed {
						t.Errorf("payment %s, want failed", p.Status)
					}
				}
				if len(u.store.st.requests) != 0 {
					t.Error("the Idempotency-Key is remembered: a retry could not book")
				}
			},
		},
		{
			name: "a paid service without a provider is refused before any write", price: 500000, noGate: true,
			check: func(t *testing.T, u *unit, got outcome) {
				if !errors.Is(got.err, booking.ErrPaymentsDisabled) || len(u.store.st.users) != 0 || len(u.store.st.appts) != 0 {
					t.Fatalf("err = %v, %d accounts, %d appointments", got.err, len(u.store.st.users), len(u.store.st.appts))
				}
			},
		},
		{
			name: "a time off the grid is no slot", price: 500000,
			in: func(in *booking.BookingInput) { in.Start = envSlot(0).Add(10 * time.Minute) },
			check: func(t *testing.T, u *unit, got outcome) {
				if !isValidation(got.err, "start") || len(u.store.st.users) != 0 {
					t.Fatalf("err = %v, %d accounts", got.err, len(u.store.st.users))
				}
			},
		},
		{
			name: "the personal data consent is required", price: 500000,
			in: func(in *booking.BookingInput) { in.Consents = nil },
			check: func(t *testing.T, u *unit, got outcome) {
				if !isValidation(got.err, "consents") {
					t.Fatalf("err = %v", got.err)
				}
			},
		},
		{
			name: "the same request again is answered as the first", price: 500000,
			arrange: func(t *testing.T, u *unit) {
				in := unitInput(0, "anna@example.com")
				in.IdempotencyKey, in.RequestHash = "key-1", "hash-1"
				if _, err := u.b.Book(context.Background(), in); err != nil {
					t.Fatal(err)
				}
			},
			in: func(in *booking.BookingInput) { in.IdempotencyKey, in.RequestHash = "key-1", "hash-1" },
			check: func(t *testing.T, u *unit, got outcome) {
				if got.err != nil || !got.res.Replayed || len(u.store.st.appts) != 1 || len(u.gw.asked) != 1 {
					t.Fatalf("%+v %v; %d appointments, %d provider calls", got.res, got.err, len(u.store.st.appts), len(u.gw.asked))
				}
				if len(got.res.Appointment.Payments) != 1 || got.res.Appointment.Payments[0].ConfirmationURL == nil {
					t.Errorf("the replay lacks the payment page: %+v", got.res.Appointment.Payments)
				}
			},
		},
		{
			name: "the same key with another body is refused", price: 500000,
			arrange: func(t *testing.T, u *unit) {
				in := unitInput(0, "anna@example.com")
				in.IdempotencyKey, in.RequestHash = "key-1", "hash-1"
				if _, err := u.b.Book(context.Background(), in); err != nil {
					t.Fatal(err)
				}
			},
			in: func(in *booking.BookingInput) {
				in.Start, in.IdempotencyKey, in.RequestHash = envSlot(4), "key-1", "hash-2"
			},
			check: func(t *testing.T, u *unit, got outcome) {
				if !errors.Is(got.err, booking.ErrIdempotencyKeyReused) || len(u.store.st.appts) != 1 {
					t.Fatalf("err = %v, %d appointments", got.err, len(u.store.st.appts))
				}
			},
		},
		{
			name: "a returning client keeps the account and lead; a phone another lead holds stays there", price: 500000,
			arrange: func(t *testing.T, u *unit) {
				first := unitInput(0, "anna@example.com")
				first.Client.Phone = ""
				if _, err := u.b.Book(context.Background(), first); err != nil {
					t.Fatal(err)
				}
				other := unitInput(4, "boris@example.com")
				if _, err := u.b.Book(context.Background(), other); err != nil {
					t.Fatal(err)
				}
			},
			in: func(in *booking.BookingInput) { in.Start = envSlot(8) },
			check: func(t *testing.T, u *unit, got outcome) {
				if got.err != nil {
					t.Fatal(got.err)
				}
				anna, boris := u.store.st.identities["email anna@example.com"], u.store.st.identities["email boris@example.com"]
				if len(u.store.st.users) != 2 || len(u.store.st.leads) != 2 || *got.res.Appointment.LeadID != anna {
					t.Errorf("%d accounts, %d leads, booked for lead %v (Anna's %v)", len(u.store.st.users), len(u.store.st.leads), got.res.Appointment.LeadID, anna)
				}
				if u.store.st.identities["phone +79991234567"] != boris {
					t.Error("Boris's phone moved to Anna's lead")
				}
			},
		},
		{
			name: "a new version of a consent is granted", price: 500000,
			arrange: func(t *testing.T, u *unit) {
				if _, err := u.b.Book(context.Background(), unitInput(0, "anna@example.com")); err != nil {
					t.Fatal(err)
				}
			},
			in: func(in *booking.BookingInput) {
				in.Start = envSlot(4)
				in.Consents = []booking.ConsentInput{{Type: models.ConsentPersonalData, Version: "2026-06"}}
			},
			check: func(t *testing.T, u *unit, got outcome) {
				if got.err != nil || u.store.st.users["anna@example.com"].consents[models.ConsentPersonalData] != "2026-06" {
					t.Fatalf("err %v, consents %v", got.err, u.store.st.users["anna@example.com"].consents)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnit(t, tc.price, !tc.noGate)
			if tc.arrange != nil {
				tc.arrange(t, u)
			}
			in := unitInput(0, "anna@example.com")
			if tc.in != nil {
				tc.in(&in)
			}
			res, err := u.b.Book(context.Background(), in)
			tc.check(t, u, outcome{res, err})
		})
	}
}
