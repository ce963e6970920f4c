package booking

// This file lets a client manage a booking with the token of the manage link: see it, cancel it
// (refunded by the service's policy), move it, and fill the intake form.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/repository"
	"balance/service"
)

// ManageStore is what managing a booking reads and writes. Calls made with the context InTx gives
// its function join one transaction.
type ManageStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// Appointment and AppointmentByManageToken come with the service, the payments and the status
	// of the intake form (models.ErrNotFound when none).
	Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error)
	AppointmentByManageToken(ctx context.Context, tokenHash string) (*models.Appointment, error)
	UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error
	// RescheduleAppointment replaces the appointment id by the one fn makes of it (the database
	// refuses a taken time) and returns it.
	RescheduleAppointment(ctx context.Context, id uuid.UUID, fn func(old *models.Appointment) (*models.Appointment, error)) (*models.Appointment, error)
	// ClientAppointments lists a client's bookings, upcoming (soonest first) or past (latest first).
	ClientAppointments(ctx context.Context, userID uuid.UUID, upcoming bool, now time.Time, page repository.Page) ([]models.Appointment, error)
	// MovePayments and MoveIntakeForm move what a rescheduled booking keeps to its new appointment.
	MovePayments(ctx context.Context, from, to uuid.UUID, now time.Time) error
	MoveIntakeForm(ctx context.Context, from, to uuid.UUID, now time.Time) error
	// IntakeForm is models.ErrNotFound when the booking has none.
	IntakeForm(ctx context.Context, appointmentID uuid.UUID) (*models.IntakeForm, error)
	SaveIntakeForm(ctx context.Context, f *models.IntakeForm) error
}

// refunder is what managing a booking needs of Payments: what a payment can still give back, and a
// refund started (recorded, with the job that asks the provider), in the caller's transaction.
type refunder interface {
	refundable(ctx context.Context, pay *models.Payment) (int64, error)
	startRefund(ctx context.Context, pay *models.Payment, amountMinor int64, reason string, now time.Time) (*models.Refund, error)
}

// Manager is the use case of managing a booking once made, by its client (with the manage link's
// token or from the cabinet) or by staff: see it, cancel it, move it, fill its intake form.
type Manager struct {
	store   ManageStore
	slots   *Slots
	refunds refunder
	jobs    Scheduler
	clock   service.Clock
	cfg     Config
	log     *slog.Logger
}

// NewManager wires the managing use case; refunds is the Payments use case (*Payments).
func NewManager(store ManageStore, slots *Slots, refunds refunder, jobs Scheduler, clock service.Clock, cfg Config, log *slog.Logger) *Manager {
	return &Manager{store: store, slots: slots, refunds: refunds, jobs: jobs, clock: clock, cfg: cfg, log: log}
}

// Manage loads the booking id if token is its manage token; anything else is models.ErrNotFound,
// so that a guessed id or token learns nothing. The appointment comes with its service, payments
// and the status of its intake form (not its answers).
func (m *Manager) Manage(ctx context.Context, id uuid.UUID, token string) (*models.Appointment, error) {
	if token == "" {
		return nil, fmt.Errorf("booking %s: no manage token: %w", id, models.ErrNotFound)
	}
	a, err := m.store.AppointmentByManageToken(ctx, crypto.HashToken(token))
	if err != nil || a.ID != id {
		return nil, fmt.Errorf("booking %s: %w", id, models.ErrNotFound)
	}
	return a, nil
}

// Refund preview and outcome of a client's cancellation.
type CancelResult struct {
	Appointment *models.Appointment
	// RefundMinor is what goes back to the client (in the payment's currency); zero when nothing.
	RefundMinor int64
}

// RefundIfCanceledNow is what the client would get back by canceling a at now.
func (m *Manager) RefundIfCanceledNow(a *models.Appointment) int64 {
	pay := lastPayment(a)
	if a.Status != models.AppointmentStatusConfirmed || a.Service == nil || pay == nil {
		return 0
	}
	return a.Service.ClientCancelRefund(a.StartAt, m.clock.Now(), pay.RefundableMinor(), m.cfg.PartialRefundPercent)
}

// Cancel cancels the booking id for its client: the time is freed, a paid booking is refunded by
// the service's policy (through the provider, by a job, with an idempotence key) and an unpaid
// one's payment is called off.
func (m *Manager) Cancel(ctx context.Context, id uuid.UUID, token, reason string) (*CancelResult, error) {
	if _, err := m.Manage(ctx, id, token); err != nil {
		return nil, err
	}
	return m.cancelForClient(ctx, id, reason)
}

// cancelForClient is the client's cancellation, whether they came by the manage link or by their
// account: the service's refund policy applies.
func (m *Manager) cancelForClient(ctx context.Context, id uuid.UUID, reason string) (*CancelResult, error) {
	return m.cancel(ctx, id, models.BookingActorClient, reason, func(a *models.Appointment, refundable int64, now time.Time) (int64, error) {
		if refundable == 0 {
			return 0, nil
		}
		return a.Service.ClientCancelRefund(a.StartAt, now, refundable, m.cfg.PartialRefundPercent), nil
	})
}

// StaffCancel is how the practice cancels a booking.
type StaffCancel struct {
	// RefundMinor, when set, is what goes back instead of everything still refundable: from 0
	// (nothing) to what is refundable, else a *RefundAmountError.
	RefundMinor *int64
}

// CancelByStaff cancels the booking id for the practice (a staff member in the admin panel): the
// time is freed and a paid booking is refunded in full, whatever the client's policy would give,
// since the client did not choose it — or what opt.RefundMinor says.
func (m *Manager) CancelByStaff(ctx context.Context, id uuid.UUID, opt StaffCancel) (*CancelResult, error) {
	return m.cancel(ctx, id, models.BookingActorStaff, "", func(a *models.Appointment, refundable int64, _ time.Time) (int64, error) {
		if opt.RefundMinor == nil {
			return refundable, nil
		}
		if n := *opt.RefundMinor; n < 0 || n > refundable {
			currency := a.Service.Currency
			if pay := lastPayment(a); pay != nil {
				currency = pay.Currency
			}
			return 0, &RefundAmountError{Asked: n, Refundable: refundable, Currency: currency}
		}
		return *opt.RefundMinor, nil
	})
}

// cancel cancels the booking id for by, refunding a confirmed booking's payment what refundOf
// says of what is still refundable (zero for an unconfirmed or unpaid booking), in one transaction
// with the refund job.
func (m *Manager) cancel(ctx context.Context, id uuid.UUID, by models.BookingActor, reason string,
	refundOf func(a *models.Appointment, refundable int64, now time.Time) (int64, error)) (*CancelResult, error) {
	var refund int64
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		now := m.clock.Now().UTC()
		a, err := m.store.Appointment(ctx, id)
		if err != nil {
			return err
		}
		pay := lastPayment(a)
		var refundable int64
		if pay != nil && a.Status == models.AppointmentStatusConfirmed {
			if refundable, err = m.refunds.refundable(ctx, pay); err != nil {
				return err
			}
		}
		if refund, err = refundOf(a, refundable, now); err != nil {
			return err
		}
		if err := m.store.UpdateAppointment(ctx, id, func(x *models.Appointment) error {
			if x.Version != a.Version {
				return fmt.Errorf("booking %s changed meanwhile: %w", id, models.ErrConflict)
			}
			return x.Cancel(by, reason, now)
		}); err != nil {
			return err
		}
		switch {
		case pay == nil:
			return nil
		case refund > 0:
			_, err := m.refunds.startRefund(ctx, pay, refund, "canceled by the "+string(by), now)
			return err
		case pay.Status == models.PaymentStatusIntent || pay.Status == models.PaymentStatusPending:
			_, err := m.jobs.Schedule(ctx, TaskCancelPayment, paymentTask{PaymentID: pay.ID}, time.Time{})
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cancel booking %s: %w", id, err)
	}
	a, err := m.store.Appointment(ctx, id)
	if err != nil {
		return nil, err
	}
	m.log.InfoContext(ctx, "booking canceled", "by", by, "appointment_id", id, "refund_minor", refund)
	return &CancelResult{Appointment: a, RefundMinor: refund}, nil
}

// Reschedule moves the booking id to newStart, a free slot, keeping its payment and intake form:
// the new time is taken and the old one freed in one transaction. It returns the new booking;
// the manage token moves with it.
func (m *Manager) Reschedule(ctx context.Context, id uuid.UUID, token string, newStart time.Time) (*models.Appointment, error) {
	a, err := m.Manage(ctx, id, token)
	if err != nil {
		return nil, err
	}
	return m.reschedule(ctx, a, newStart, models.BookingActorClient)
}

// reschedule moves a to newStart for by: the slot checks of a new booking (its own time aside),
// the client's deadline when by is the client, and the move of its payments and intake form.
func (m *Manager) reschedule(ctx context.Context, a *models.Appointment, newStart time.Time, by models.BookingActor) (*models.Appointment, error) {
	id := a.ID
	if a.Status != models.AppointmentStatusConfirmed {
		return nil, fmt.Errorf("reschedule %s booking %s: %w", a.Status, id, models.ErrInvalidTransition)
	}
	if err := m.slots.Check(ctx, a.Service, newStart, a.ID); err != nil {
		return nil, err
	}
	var next *models.Appointment
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		now := m.clock.Now().UTC()
		var err error
		next, err = m.store.RescheduleAppointment(ctx, id, func(old *models.Appointment) (*models.Appointment, error) {
			if old.Version != a.Version {
				return nil, fmt.Errorf("booking %s changed meanwhile: %w", id, models.ErrConflict)
			}
			return old.Reschedule(a.Service, newStart, by, now)
		})
		if err != nil {
			return requestField(err)
		}
		if err := m.store.MovePayments(ctx, id, next.ID, now); err != nil {
			return err
		}
		return m.store.MoveIntakeForm(ctx, id, next.ID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("reschedule booking %s: %w", id, err)
	}
	m.log.InfoContext(ctx, "booking rescheduled", "by", by, "appointment_id", id, "new_appointment_id", next.ID,
		"start", next.StartAt)
	return m.store.Appointment(ctx, next.ID)
}

// SaveIntakeForm writes the client's answers to the intake form of booking id (P2, encrypted),
// as a draft or, with submit, sent to the psychologist (then it can no longer change). The
// answers come validated (models.IntakeAnswers.Validate, where the request came in).
func (m *Manager) SaveIntakeForm(ctx context.Context, id uuid.UUID, token string, answers models.IntakeAnswers, submit bool) (*models.IntakeForm, error) {
	a, err := m.Manage(ctx, id, token)
	if err != nil {
		return nil, err
	}
	return m.saveIntakeForm(ctx, a, answers, submit)
}

// saveIntakeForm writes the answers to a's intake form for its client (draft or submitted).
func (m *Manager) saveIntakeForm(ctx context.Context, a *models.Appointment, answers models.IntakeAnswers, submit bool) (*models.IntakeForm, error) {
	id := a.ID
	if !a.IsActive() {
		return nil, fmt.Errorf("intake form of %s booking %s: %w", a.Status, id, models.ErrInvalidTransition)
	}
	err := m.store.InTx(ctx, func(ctx context.Context) error {
		now := m.clock.Now().UTC()
		f, err := m.store.IntakeForm(ctx, id)
		switch {
		case errors.Is(err, models.ErrNotFound):
			if f, err = models.NewIntakeForm(id, answers, now); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := f.UpdatePayload(answers, now); err != nil {
				return err
			}
		}
		if submit {
			if err := f.Submit(now); err != nil {
				return err
			}
		}
		return m.store.SaveIntakeForm(ctx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("save intake form of booking %s: %w", id, err)
	}
	return m.store.IntakeForm(ctx, id)
}

// IntakeForm loads the intake form of booking id for its client: models.ErrNotFound when none.
func (m *Manager) IntakeForm(ctx context.Context, id uuid.UUID, token string) (*models.IntakeForm, error) {
	if _, err := m.Manage(ctx, id, token); err != nil {
		return nil, err
	}
	return m.store.IntakeForm(ctx, id)
}
