package booking

// Unit tests of the managing use case's cancellations over in-memory fakes of its ports (its store,
// Payments' refunds, the job queue): the refund policy, who may cancel, and that a refusal
// changes nothing. Moves and intake forms are in reschedule_unit_internal_test.go, over the same
// store. The database tests (manage_test.go) run the same code over the real stores.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/repository"
)

// memManageStore is ManageStore in memory: a failed transaction puts back what it changed, and a
// move saves the old appointment before it inserts the new one, refused (models.ErrSlotTaken) when
// it overlaps another active appointment, as the database does. It is also the slot checks'
// AppointmentWindow.
type memManageStore struct {
	svc   *models.Service
	appts map[uuid.UUID]models.Appointment
	pays  map[uuid.UUID][]models.Payment  // by appointment
	forms map[uuid.UUID]models.IntakeForm // by appointment
	// rescheduled and submitted are the events of the moves and the intake forms sent, in order.
	rescheduled []models.AppointmentRescheduled
	submitted   []models.IntakeFormSubmitted
	// meanwhile runs once, as the next transaction begins: what another one committed just before.
	meanwhile func(m *memManageStore)
}

var _ AppointmentWindow = (*memManageStore)(nil)

func (m *memManageStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if m.meanwhile != nil {
		m.meanwhile(m)
		m.meanwhile = nil
	}
	appts, pays, forms := maps.Clone(m.appts), maps.Clone(m.pays), maps.Clone(m.forms)
	n, k := len(m.rescheduled), len(m.submitted)
	if err := fn(ctx); err != nil {
		m.appts, m.pays, m.forms = appts, pays, forms
		m.rescheduled, m.submitted = m.rescheduled[:n], m.submitted[:k]
		return err
	}
	return nil
}

// Appointment comes, as from the database, with its service, its payments and the status of its
// intake form (not the answers).
func (m *memManageStore) Appointment(_ context.Context, id uuid.UUID) (*models.Appointment, error) {
	a, ok := m.appts[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	a.Service, a.Payments, a.IntakeForm = m.svc, slices.Clone(m.pays[id]), nil
	if f, ok := m.forms[id]; ok {
		a.IntakeForm = &models.IntakeForm{ID: f.ID, AppointmentID: f.AppointmentID, Status: f.Status, SubmittedAt: f.SubmittedAt}
	}
	return &a, nil
}

func (m *memManageStore) AppointmentByManageToken(ctx context.Context, hash string) (*models.Appointment, error) {
	for id, a := range m.appts {
		if a.ManageTokenHash != nil && *a.ManageTokenHash == hash {
			return m.Appointment(ctx, id)
		}
	}
	return nil, models.ErrNotFound
}

// put stores a as a row, without what is loaded with it.
func (m *memManageStore) put(a *models.Appointment) {
	for _, e := range a.Events() {
		if r, ok := e.(models.AppointmentRescheduled); ok {
			m.rescheduled = append(m.rescheduled, r)
		}
	}
	row := *a
	row.Service, row.Payments, row.IntakeForm = nil, nil, nil
	row.ClearEvents()
	m.appts[a.ID] = row
}

func (m *memManageStore) UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
	a, err := m.Appointment(ctx, id)
	if err != nil {
		return err
	}
	if err := fn(a); err != nil {
		return err
	}
	a.Version++
	m.put(a)
	return nil
}

func (m *memManageStore) RescheduleAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) (*models.Appointment, error)) (*models.Appointment, error) {
	old, err := m.Appointment(ctx, id)
	if err != nil {
		return nil, err
	}
	next, err := fn(old)
	if err != nil {
		return nil, err
	}
	for other, x := range m.appts {
		if other != id && x.IsActive() && x.StartAt.Before(next.BlockedUntil) && next.StartAt.Before(x.BlockedUntil) {
			return nil, fmt.Errorf("reschedule appointment %s: %w", id, models.ErrSlotTaken)
		}
	}
	old.Version++
	m.put(old)
	m.put(next)
	return next, nil
}

func (m *memManageStore) ClientAppointments(context.Context, uuid.UUID, bool, time.Time, repository.Page) ([]models.Appointment, error) {
	return nil, errors.New("not in these tests")
}

func (m *memManageStore) MovePayments(_ context.Context, from, to uuid.UUID, now time.Time) error {
	moved := slices.Clone(m.pays[from])
	for i := range moved {
		moved[i].AppointmentID, moved[i].UpdatedAt = to, now
		moved[i].Version++
	}
	m.pays[to] = append(slices.Clone(m.pays[to]), moved...)
	delete(m.pays, from)
	return nil
}

func (m *memManageStore) MoveIntakeForm(_ context.Context, from, to uuid.UUID, now time.Time) error {
	if f, ok := m.forms[from]; ok {
		f.AppointmentID, f.UpdatedAt = to, now
		m.forms[to] = f
		delete(m.forms, from)
	}
	return nil
}

func (m *memManageStore) IntakeForm(_ context.Context, appointmentID uuid.UUID) (*models.IntakeForm, error) {
	f, ok := m.forms[appointmentID]
	if !ok {
		return nil, fmt.Errorf("intake form of %s: %w", appointmentID, models.ErrNotFound)
	}
	return &f, nil
}

// SaveIntakeForm inserts the form or overwrites the appointment's, as the repository does: the
// form takes the stored one's ID and creation time.
func (m *memManageStore) SaveIntakeForm(_ context.Context, f *models.IntakeForm) error {
	if stored, ok := m.forms[f.AppointmentID]; ok {
		f.ID, f.CreatedAt = stored.ID, stored.CreatedAt
	}
	for _, e := range f.Events() {
		if s, ok := e.(models.IntakeFormSubmitted); ok {
			m.submitted = append(m.submitted, s)
		}
	}
	row := *f
	row.ClearEvents()
	m.forms[f.AppointmentID] = row
	return nil
}

// Conflicting and BusyBetween answer as the repository does: the active appointments whose held
// time overlaps [start, blockedUntil).
func (m *memManageStore) Conflicting(_ context.Context, start, blockedUntil time.Time) ([]models.Appointment, error) {
	var out []models.Appointment
	for _, a := range m.appts {
		if a.IsActive() && a.StartAt.Before(blockedUntil) && start.Before(a.BlockedUntil) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *memManageStore) BusyBetween(ctx context.Context, start, blockedUntil time.Time) ([]repository.BusyTime, error) {
	appts, err := m.Conflicting(ctx, start, blockedUntil)
	out := make([]repository.BusyTime, 0, len(appts))
	for _, a := range appts {
		out = append(out, repository.BusyTime{StartAt: a.StartAt, BlockedUntil: a.BlockedUntil})
	}
	return out, err
}

// memRefunds is the refunder in memory: it records the refunds started.
type memRefunds struct{ started []int64 }

func (r *memRefunds) refundable(_ context.Context, pay *models.Payment) (int64, error) {
	return pay.RefundableMinor(), nil
}

func (r *memRefunds) startRefund(_ context.Context, _ *models.Payment, amountMinor int64, _ string, _ time.Time) (*models.Refund, error) {
	r.started = append(r.started, amountMinor)
	return &models.Refund{AmountMinor: amountMinor}, nil
}

type memTaskQueue struct{ names []string }

func (j *memTaskQueue) Schedule(_ context.Context, name string, _ any, _ time.Time) (int64, error) {
	j.names = append(j.names, name)
	return 0, nil
}

func TestManagerCancelUnit(t *testing.T) {
	// Tuesday 2026-12-01 09:00 UTC; the service refunds all until 24 h before, half until 12 h.
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	hours := func(h int) *int { return &h }
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "s", Title: "Консультация", Format: models.ServiceFormatHybrid, DurationMinutes: 50, BufferMinutes: 10,
		Price:           models.Money{Minor: 500000, Currency: models.CurrencyRUB},
		CancelFreeHours: hours(24), CancelPartialHours: hours(12), RescheduleMinHours: hours(12),
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	const token = "the-manage-token"
	tests := []struct {
		name    string
		ahead   time.Duration // from now to the appointment's start
		paid    bool
		cancel  func(m *Manager, id uuid.UUID) (*CancelResult, error)
		refund  int64 // what the result and the refund started say
		wantErr error
		jobs    []string
	}{
		{name: "client, two days ahead: everything back", ahead: 48 * time.Hour, paid: true,
			cancel: clientCancel(token), refund: 500000},
		{name: "client, 18 hours ahead: half back", ahead: 18 * time.Hour, paid: true,
			cancel: clientCancel(token), refund: 250000},
		{name: "client, 6 hours ahead: nothing back", ahead: 6 * time.Hour, paid: true,
			cancel: clientCancel(token), refund: 0},
		{name: "client, not paid yet: the payment is called off", ahead: 48 * time.Hour,
			cancel: clientCancel(token), jobs: []string{TaskCancelPayment}},
		{name: "a wrong token learns nothing", ahead: 48 * time.Hour, paid: true,
			cancel: clientCancel("guessed"), wantErr: models.ErrNotFound},
		{name: "staff, 6 hours ahead: everything back", ahead: 6 * time.Hour, paid: true,
			cancel: func(m *Manager, id uuid.UUID) (*CancelResult, error) {
				return m.CancelByStaff(context.Background(), id, StaffCancel{})
			},
			refund: 500000},
		{name: "staff choose the amount", ahead: 48 * time.Hour, paid: true,
			cancel: staffCancel(100000), refund: 100000},
		{name: "staff cannot give back more than was paid", ahead: 48 * time.Hour, paid: true,
			cancel: staffCancel(500001), wantErr: &RefundAmountError{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := fixedClock{now}
			appt, err := models.NewAppointment(svc, now.Add(tc.ahead), models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline,
				&uuid.UUID{1}, nil, models.AppointmentMetadata{}, 15*time.Minute, now.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if err := appt.SetManageToken(token, crypto.HashToken(token)); err != nil {
				t.Fatal(err)
			}
			pay, err := models.NewPayment(appt.ID, svc.Price(), "pay-1", now.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if err := pay.MarkPending("pp-1", "https://pay.example/pp-1", now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if tc.paid {
				if err := pay.Succeed(now.Add(-time.Hour)); err != nil {
					t.Fatal(err)
				}
				if err := appt.Confirm(now.Add(-time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			store := &memManageStore{svc: svc, appts: map[uuid.UUID]models.Appointment{appt.ID: *appt},
				pays: map[uuid.UUID][]models.Payment{appt.ID: {*pay}}}
			refunds, jobs := &memRefunds{}, &memTaskQueue{}
			m := NewManager(store, nil, refunds, jobs, clock, Config{PartialRefundPercent: 50}, slog.New(slog.DiscardHandler))

			res, err := tc.cancel(m, appt.ID)
			if tc.wantErr != nil {
				var amount *RefundAmountError
				if !errors.Is(err, tc.wantErr) && !(errors.As(tc.wantErr, &amount) && errors.As(err, &amount)) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if got := store.appts[appt.ID]; got.Status != appt.Status || len(refunds.started) != 0 || len(jobs.names) != 0 {
					t.Errorf("a refused cancellation changed things: %s, refunds %v, jobs %v", got.Status, refunds.started, jobs.names)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.RefundMinor != tc.refund || res.Appointment.Status != models.AppointmentStatusCanceled {
				t.Errorf("result: refund %d, %s; want %d, canceled", res.RefundMinor, res.Appointment.Status, tc.refund)
			}
			wantStarted := []int64(nil)
			if tc.refund > 0 {
				wantStarted = []int64{tc.refund}
			}
			if !slices.Equal(refunds.started, wantStarted) || !slices.Equal(jobs.names, tc.jobs) {
				t.Errorf("refunds started %v, jobs %v; want %v, %v", refunds.started, jobs.names, wantStarted, tc.jobs)
			}
		})
	}
}

func clientCancel(token string) func(m *Manager, id uuid.UUID) (*CancelResult, error) {
	return func(m *Manager, id uuid.UUID) (*CancelResult, error) {
		return m.Cancel(context.Background(), id, token, "")
	}
}

func staffCancel(amount int64) func(m *Manager, id uuid.UUID) (*CancelResult, error) {
	return func(m *Manager, id uuid.UUID) (*CancelResult, error) {
		return m.CancelByStaff(context.Background(), id, StaffCancel{RefundMinor: &amount})
	}
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
