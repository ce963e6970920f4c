package booking

// This file is what the practice's staff do to bookings from the admin panel, through the same
// paths as the client's: book a client who called, confirm a booking paid in cash or by transfer,
// move a booking, refund (part of) a payment. Canceling is CancelByStaff (manage.go). Booking is
// StaffBooker's; refunds and payments taken by hand are Payments'; moving is Manager's.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/service"
)

// RefundAmountError: staff asked to refund an amount the payment cannot give back — nothing (for
// a refund), less than nothing, or more than is refundable (what was paid, less what was
// refunded or is being refunded). It is a ValidationError of the field "amount".
type RefundAmountError struct {
	Asked, Refundable int64
	// Currency is the payment's.
	Currency string
}

func (e *RefundAmountError) Error() string {
	return fmt.Sprintf("a refund of %d asked; %d is refundable", e.Asked, e.Refundable)
}

// Unwrap makes a RefundAmountError a *models.ValidationError of "amount".
func (e *RefundAmountError) Unwrap() error {
	return &models.ValidationError{Field: "amount", Message: e.Error()}
}

// RefundPayment refunds amountMinor of the payment id (nil: everything still refundable) for the
// practice, with reason for the client's statement: the refund is recorded and a job asks the
// provider (with the refund's idempotence key), exactly as a cancellation's refund. A payment
// that did not succeed is models.ErrInvalidTransition; an amount it cannot give back a
// *RefundAmountError. A payment taken by hand is refunded by hand: recorded as made at once.
func (pm *Payments) RefundPayment(ctx context.Context, id uuid.UUID, amountMinor *int64, reason string) (*models.Refund, error) {
	if reason == "" {
		reason = "refunded by the practice"
	}
	var refund *models.Refund
	err := pm.store.InTx(ctx, func(ctx context.Context) error {
		now := pm.clock.Now().UTC()
		var pay *models.Payment
		// Locks the payment's row until the transaction ends, so two refunds at once are counted
		// one after the other.
		if err := pm.store.UpdatePayment(ctx, id, func(p *models.Payment) error {
			pay = p
			if p.Status != models.PaymentStatusSucceeded && p.Status != models.PaymentStatusPartiallyRefunded {
				return fmt.Errorf("refund %s payment %s: %w", p.Status, p.ID, models.ErrInvalidTransition)
			}
			return nil
		}); err != nil {
			return err
		}
		refundable, err := pm.refundable(ctx, pay)
		if err != nil {
			return err
		}
		asked := refundable
		if amountMinor != nil {
			asked = *amountMinor
		}
		if asked <= 0 || asked > refundable {
			return &RefundAmountError{Asked: asked, Refundable: refundable, Currency: pay.Currency}
		}
		refund, err = pm.startRefund(ctx, pay, asked, reason, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("refund payment %s: %w", id, err)
	}
	pm.log.InfoContext(ctx, "payment refund started by staff", "payment_id", id, "refund_id", refund.ID, "amount_minor", refund.AmountMinor)
	return refund, nil
}

// ConfirmPaidOffline confirms the booking id, waiting for its online payment, that the client paid
// otherwise (in cash, by bank transfer): a payment of amountMinor taken by hand is recorded
// (nil: what the booking waited for), the appointment confirmed as a paid one would be, and the
// online payment called off (at the provider, by a job). A booking not waiting for its payment is
// models.ErrInvalidTransition.
func (pm *Payments) ConfirmPaidOffline(ctx context.Context, id uuid.UUID, amountMinor *int64) (*models.Appointment, error) {
	err := pm.store.InTx(ctx, func(ctx context.Context) error {
		now := pm.clock.Now().UTC()
		a, err := pm.store.Appointment(ctx, id)
		if err != nil {
			return err
		}
		if a.Status != models.AppointmentStatusPendingPayment {
			return fmt.Errorf("confirm %s booking %s as paid: %w", a.Status, id, models.ErrInvalidTransition)
		}
		online := lastPayment(a)
		amount := a.Service.Price()
		if online != nil {
			amount = online.Amount()
		}
		if amountMinor != nil {
			amount.Minor = *amountMinor
		}
		pay, err := models.NewManualPayment(id, amount, now)
		if err != nil {
			return err
		}
		if err := pm.store.UpdateAppointment(ctx, id, func(x *models.Appointment) error {
			if x.Version != a.Version {
				return fmt.Errorf("booking %s changed meanwhile: %w", id, models.ErrConflict)
			}
			return x.Confirm(now)
		}); err != nil {
			return err
		}
		if err := pm.store.CreatePayment(ctx, pay); err != nil {
			return err
		}
		if online != nil && (online.Status == models.PaymentStatusIntent || online.Status == models.PaymentStatusPending) {
			// Should the client pay it after all, it is refunded (paid): the client pays once.
			_, err := pm.jobs.Schedule(ctx, TaskCancelPayment, paymentTask{PaymentID: online.ID}, time.Time{})
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("confirm booking %s as paid offline: %w", id, err)
	}
	pm.log.InfoContext(ctx, "booking confirmed as paid offline", "appointment_id", id)
	return pm.store.Appointment(ctx, id)
}

// RescheduleByStaff moves the booking id to newStart for the practice: the slot checks of the
// client's move, without the client's deadline. It returns the new booking.
func (m *Manager) RescheduleByStaff(ctx context.Context, id uuid.UUID, newStart time.Time) (*models.Appointment, error) {
	a, err := m.store.Appointment(ctx, id)
	if err != nil {
		return nil, err
	}
	return m.reschedule(ctx, a, newStart, models.BookingActorStaff)
}

// StaffBookingStore is what booking by staff reads and writes. Calls made with the context InTx
// gives its function join one transaction.
type StaffBookingStore interface {
	ClientStore
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Service(ctx context.Context, id uuid.UUID) (*models.Service, error)
	// CreateAppointment refuses a time an active appointment holds with models.ErrSlotTaken.
	CreateAppointment(ctx context.Context, a *models.Appointment) error
}

// StaffBooker is the use case of staff booking a client, e.g. one who called.
type StaffBooker struct {
	store StaffBookingStore
	slots *Slots
	clock service.Clock
	log   *slog.Logger
}

// NewStaffBooker wires booking by staff.
func NewStaffBooker(store StaffBookingStore, slots *Slots, clock service.Clock, log *slog.Logger) *StaffBooker {
	return &StaffBooker{store: store, slots: slots, clock: clock, log: log}
}

// StaffBookingInput is a booking staff make for a client, e.g. on the phone.
type StaffBookingInput struct {
	ServiceID uuid.UUID
	Start     time.Time
	// Format is parsed where the request came in (models.ParseAppointmentFormat).
	Format models.AppointmentFormat
	// Client: a name and an email, a phone or both. Without an email there is no account to
	// write to, only the CRM lead (found or created by the phone).
	Client ClientInput
	// Comment is added to the lead's staff notes.
	Comment string
}

// staffCommentMaxLen bounds a staff booking's comment.
const staffCommentMaxLen = 2000

// BookByStaff books in.Start of a published service for a client staff talked to, through the
// public booking's path: the same slot checks (a taken time is models.ErrSlotTaken, one outside
// the schedule a ValidationError of "start"), the same client records (user, lead) and events.
// It is confirmed at once, without an online payment: the practice takes the money itself
// (ConfirmPaidOffline is for bookings that wait for an online payment). No consents are recorded:
// the client gave none through the site.
func (sb *StaffBooker) BookByStaff(ctx context.Context, in StaffBookingInput) (*models.Appointment, error) {
	if utf8.RuneCountInString(in.Comment) > staffCommentMaxLen {
		return nil, &models.ValidationError{Field: "comment", Message: fmt.Sprintf("must be at most %d characters", staffCommentMaxLen)}
	}
	svc, err := sb.store.Service(ctx, in.ServiceID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !svc.IsPublished()) {
		return nil, &models.ValidationError{Field: "service_id", Message: "must be a published service"}
	}
	if err != nil {
		return nil, err
	}
	staff := &staffBooking{comment: in.Comment}
	staff.note = staff.leadNote(svc, in.Start, in.Client.Name)
	if err := sb.slots.Check(ctx, svc, in.Start, uuid.Nil); err != nil {
		return nil, err
	}
	token, err := crypto.NewToken()
	if err != nil {
		return nil, err
	}
	var appt *models.Appointment
	// Staff book inside the admin's transaction: a conflict ends it, and they send the form again.
	err = sb.store.InTx(ctx, func(ctx context.Context) error {
		now := sb.clock.Now().UTC()
		userID, leadID, err := recordClient(ctx, sb.store, sb.log, in.Client, nil, nil, staff, now)
		if err != nil {
			return err
		}
		// The zero zone: the service's.
		appt, err = models.NewAppointmentByStaff(svc, in.Start, models.TimeZone{}, in.Format, userID, &leadID,
			models.AppointmentMetadata{EntryPoint: "staff"}, now)
		if err != nil {
			return requestField(err)
		}
		if err := appt.SetManageToken(token, crypto.HashToken(token)); err != nil {
			return err
		}
		return sb.store.CreateAppointment(ctx, appt)
	})
	if err != nil {
		return nil, fmt.Errorf("book %s at %s by staff: %w", svc.Slug, in.Start.UTC().Format(time.RFC3339), err)
	}
	appt.Service = svc
	sb.log.InfoContext(ctx, "appointment booked by staff", "appointment_id", appt.ID, "service", svc.Slug,
		"start", appt.StartAt, "status", appt.Status)
	return appt, nil
}

// leadNote is what the lead's staff notes keep of a booking staff made: when, the name (of a client
// known only by phone, the only place it is kept) and the staff's comment. Russian: staff read it.
func (s *staffBooking) leadNote(svc *models.Service, start time.Time, name string) string {
	zone, _ := serviceZone(svc) // saved valid; were it not, the zero zone's UTC
	loc := zone.Location()
	note := fmt.Sprintf("Запись сотрудником на %s: %s, %s.", start.In(loc).Format("02.01.2006 15:04"), svc.Title, name)
	if s.comment != "" {
		note += " " + s.comment
	}
	return note
}
