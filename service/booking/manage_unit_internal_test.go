package booking

// Unit tests of the managing use case's cancellations over in-memory fakes of its ports (its store,
// Payments' refunds, the job queue): the refund policy, who may cancel, and that a refusal
// changes nothing. The database tests (manage_test.go) run the same code over the real stores.

import (
	"context"
	"errors"
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

// memManageStore is ManageStore in memory, enough for cancellations: a failed transaction puts
// the appointments back as they were.
type memManageStore struct {
	svc   *models.Service
	appts map[uuid.UUID]models.Appointment
	pays  map[uuid.UUID][]models.Payment // by appointment
}

func (m *memManageStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	before := maps.Clone(m.appts)
	if err := fn(ctx); err != nil {
		m.appts = before
		return err
	}
	return nil
}

func (m *memManageStore) Appointment(_ context.Context, id uuid.UUID) (*models.Appointment, error) {
	a, ok := m.appts[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	a.Service, a.Payments = m.svc, m.pays[id]
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

func (m *memManageStore) UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
	a, err := m.Appointment(ctx, id)
	if err != nil {
		return err
	}
	if err := fn(a); err != nil {
		return err
	}
	a.Version++
	a.Service, a.Payments = nil, nil
	m.appts[id] = *a
	return nil
}

func (m *memManageStore) RescheduleAppointment(context.Context, uuid.UUID, func(*models.Appointment) (*models.Appointment, error)) (*models.Appointment, error) {
	return nil, errors.New("not in these tests")
}

func (m *memManageStore) ClientAppointments(context.Context, uuid.UUID, bool, time.Time, repository.Page) ([]models.Appointment, error) {
	return nil, errors.New("not in these tests")
}

func (m *memManageStore) MovePayments(context.Context, uuid.UUID, uuid.UUID, time.Time) error {
	return errors.New("not in these tests")
}

func (m *memManageStore) MoveIntakeForm(context.Context, uuid.UUID, uuid.UUID, time.Time) error {
	return errors.New("not in these tests")
}

func (m *memManageStore) IntakeForm(context.Context, uuid.UUID) (*models.IntakeForm, error) {
	return nil, models.ErrNotFound
}

func (m *memManageStore) SaveIntakeForm(context.Context, *models.IntakeForm) error {
	return errors.New("not in these tests")
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
