package booking

// This file keeps payments and appointments in step with the provider. The provider's word is
// only ever taken from its API: a notification says "look again", never "this happened".

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/service"
)

// PaymentStore is what keeping payments in step with the provider reads and writes. Calls made
// with the context InTx gives its function join one transaction.
type PaymentStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// RecordNotification notes that the provider's state in n is being applied: false when it was
	// applied already. MarkNotificationProcessed keeps what applying it did.
	RecordNotification(ctx context.Context, n *models.PaymentNotification) (bool, error)
	MarkNotificationProcessed(ctx context.Context, id uuid.UUID, outcome string, now time.Time) error
	Payment(ctx context.Context, id uuid.UUID) (*models.Payment, error)
	// PaymentByProviderID finds the payment the provider knows as providerID (models.ErrNotFound).
	PaymentByProviderID(ctx context.Context, providerID string) (*models.Payment, error)
	// PaymentsOf lists an appointment's payments, oldest first.
	PaymentsOf(ctx context.Context, appointmentID uuid.UUID) ([]models.Payment, error)
	CreatePayment(ctx context.Context, p *models.Payment) error
	UpdatePayment(ctx context.Context, id uuid.UUID, fn func(*models.Payment) error) error
	// Appointment comes with its service and payments.
	Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error)
	UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error
	// AppointmentsHolding lists the active appointments whose time overlaps start..blockedUntil.
	AppointmentsHolding(ctx context.Context, start, blockedUntil time.Time) ([]models.Appointment, error)
	CreateRefund(ctx context.Context, r *models.Refund) error
	Refund(ctx context.Context, id uuid.UUID) (*models.Refund, error)
	// RefundByProviderID finds the refund the provider knows as providerID (models.ErrNotFound).
	RefundByProviderID(ctx context.Context, providerID string) (*models.Refund, error)
	RefundsOf(ctx context.Context, paymentID uuid.UUID) ([]models.Refund, error)
	UpdateRefund(ctx context.Context, id uuid.UUID, fn func(*models.Refund) error) error
	// What reconciliation looks at, limit of each: payments still intents created by t, payments
	// still pending since before t, and pending appointments whose hold lapsed by now.
	StaleIntents(ctx context.Context, t time.Time, limit int) ([]models.Payment, error)
	PendingPaymentsBefore(ctx context.Context, t time.Time, limit int) ([]models.Payment, error)
	LapsedHolds(ctx context.Context, now time.Time, limit int) ([]models.Appointment, error)
}

// UnpaidBookings calls off a booking whose payment was never created at the provider (its request
// ended first), freeing its time; Booker is one. It reports whether it called the booking off: a
// payment that is no longer an intent is left alone.
type UnpaidBookings interface {
	CallOffUnpaid(ctx context.Context, paymentID uuid.UUID) (bool, error)
}

// Payments is the use case of the money of bookings: the provider's notifications, refunds, lapsed
// holds, payments called off, reconciliation, and what staff do to payments.
type Payments struct {
	store   PaymentStore
	gateway PaymentGateway
	jobs    Scheduler
	unpaid  UnpaidBookings
	clock   service.Clock
	cfg     Config
	log     *slog.Logger
}

// NewPayments wires the payments use case. gateway may be nil: then there are only free bookings
// and payments taken by hand.
func NewPayments(store PaymentStore, gateway PaymentGateway, jobs Scheduler, unpaid UnpaidBookings, clock service.Clock, cfg Config, log *slog.Logger) *Payments {
	return &Payments{store: store, gateway: gateway, jobs: jobs, unpaid: unpaid, clock: clock, cfg: cfg, log: log}
}

// IntentGrace is how long a payment may stay an intent — recorded with its booking, not yet
// created at the provider — while the request that booked may still be creating it.
const IntentGrace = 2 * time.Minute

// reconcileBatch bounds the payments and holds one reconciliation run looks at.
const reconcileBatch = 100

// Notification outcomes, stored with each processed notification and logged.
const (
	outcomeConfirmed   = "confirmed"
	outcomeDuplicate   = "duplicate"
	outcomeCanceled    = "canceled"
	outcomeRefunded    = "refund recorded"
	outcomeStillOpen   = "ignored: still pending at the provider"
	outcomeUnknown     = "ignored: unknown payment"
	outcomeMismatch    = "ignored: amount differs from the booking"
	outcomeUnsupported = "ignored: unsupported event"
)

// HandleNotification processes a provider notification about object objectID. The event named
// in the notification is only a hint: the object is read from the provider's API and its state
// there is applied, once (payment_notifications), in the transaction of the change. An error
// means "try again later" (the webhook answers 5xx and the provider retries).
func (pm *Payments) HandleNotification(ctx context.Context, event, objectID string) (string, error) {
	if pm.gateway == nil {
		return "", ErrPaymentsDisabled
	}
	switch event {
	case "payment.succeeded", "payment.canceled", "payment.waiting_for_capture":
		p, err := pm.gateway.Payment(ctx, objectID)
		if errors.Is(err, ErrUnknownAtProvider) {
			return outcomeUnknown, nil
		}
		if err != nil {
			return "", fmt.Errorf("notification %s %s: %w", event, objectID, err)
		}
		return pm.applyPayment(ctx, p)
	case "refund.succeeded":
		r, err := pm.gateway.RefundState(ctx, objectID)
		if errors.Is(err, ErrUnknownAtProvider) {
			return "ignored: unknown refund", nil
		}
		if err != nil {
			return "", fmt.Errorf("notification %s %s: %w", event, objectID, err)
		}
		return pm.applyRefund(ctx, r)
	}
	return outcomeUnsupported, nil
}

// applyPayment brings the local payment and its appointment to the provider's state of p.
func (pm *Payments) applyPayment(ctx context.Context, p ProviderPayment) (string, error) {
	var event string
	switch p.State {
	case ProviderPaymentSucceeded:
		event = "payment.succeeded"
	case ProviderPaymentCanceled:
		event = "payment.canceled"
	case ProviderPaymentWaitingForCapture:
		// Payments are created with capture=true; a two-stage one is not ours to capture.
		pm.log.WarnContext(ctx, "payment waits for capture; bookings do not use two-stage payments", "provider_payment_id", p.ID)
		return outcomeUnsupported, nil
	default:
		return outcomeStillOpen, nil
	}
	var outcome string
	err := pm.store.InTx(ctx, func(ctx context.Context) error {
		now := pm.clock.Now().UTC()
		n, err := models.NewPaymentNotification(models.PaymentProviderYooKassa, event, p.ID, now)
		if err != nil {
			return err
		}
		first, err := pm.store.RecordNotification(ctx, n)
		if err != nil {
			return err
		}
		if !first {
			outcome = outcomeDuplicate
			return nil
		}
		pay, err := pm.localPayment(ctx, p)
		if errors.Is(err, models.ErrNotFound) {
			outcome = outcomeUnknown
			return pm.store.MarkNotificationProcessed(ctx, n.ID, outcome, now)
		}
		if err != nil {
			return err
		}
		if p.Amount != pay.Amount() {
			pm.log.ErrorContext(ctx, "provider payment amount differs from the booking; not applied",
				"payment_id", pay.ID, "provider_payment_id", p.ID, "expected", pay.Amount().String(), "got", p.Amount.String())
			outcome = outcomeMismatch
			return pm.store.MarkNotificationProcessed(ctx, n.ID, outcome, now)
		}
		if event == "payment.succeeded" {
			outcome, err = pm.paid(ctx, pay, now)
		} else {
			outcome, err = pm.paymentCanceled(ctx, pay, p.CancellationReason, now)
		}
		if err != nil {
			return err
		}
		return pm.store.MarkNotificationProcessed(ctx, n.ID, outcome, now)
	})
	if err != nil {
		return "", fmt.Errorf("apply %s of provider payment %s: %w", event, p.ID, err)
	}
	pm.log.InfoContext(ctx, "payment state applied", "provider_payment_id", p.ID, "event", event, "outcome", outcome)
	return outcome, nil
}

// localPayment finds our payment for the provider's p: by its id, or (when the answer to our
// create request was lost) by the appointment in its metadata, then recording the provider's id.
func (pm *Payments) localPayment(ctx context.Context, p ProviderPayment) (*models.Payment, error) {
	pay, err := pm.store.PaymentByProviderID(ctx, p.ID)
	if err == nil || !errors.Is(err, models.ErrNotFound) || p.Appointment == uuid.Nil {
		return pay, err
	}
	pays, err := pm.store.PaymentsOf(ctx, p.Appointment)
	if err != nil {
		return nil, err
	}
	for i := range pays {
		if pays[i].Status == models.PaymentStatusIntent {
			err := pm.store.UpdatePayment(ctx, pays[i].ID, func(q *models.Payment) error {
				return q.MarkPending(p.ID, p.ConfirmationURL, pm.clock.Now().UTC())
			})
			if err != nil {
				return nil, err
			}
			return pm.store.Payment(ctx, pays[i].ID)
		}
	}
	return nil, fmt.Errorf("payment of provider payment %s: %w", p.ID, models.ErrNotFound)
}

// paid records that pay succeeded and confirms its appointment; an appointment that can no longer
// take place (canceled meanwhile, or its lapsed time taken by someone else) is refunded in full.
func (pm *Payments) paid(ctx context.Context, pay *models.Payment, now time.Time) (string, error) {
	switch pay.Status {
	case models.PaymentStatusSucceeded, models.PaymentStatusPartiallyRefunded, models.PaymentStatusRefunded:
		return "already succeeded", nil
	case models.PaymentStatusCanceled:
		pm.log.WarnContext(ctx, "a payment canceled here succeeded at the provider", "payment_id", pay.ID)
	}
	var lockedPay *models.Payment
	if err := pm.store.UpdatePayment(ctx, pay.ID, func(p *models.Payment) error {
		lockedPay = p
		return p.Succeed(now)
	}); err != nil {
		return "", err
	}
	var outcome, refundReason string
	err := pm.store.UpdateAppointment(ctx, pay.AppointmentID, func(a *models.Appointment) error {
		switch {
		case a.Status == models.AppointmentStatusPendingPayment:
			outcome = outcomeConfirmed
			return a.Confirm(now)
		case a.HoldLapsed():
			taken, err := pm.store.AppointmentsHolding(ctx, a.StartAt, a.BlockedUntil)
			if err != nil {
				return err
			}
			for i := range taken {
				if taken[i].ID != a.ID {
					refundReason = "paid after the hold lapsed and the time was booked by someone else"
					return nil
				}
			}
			outcome = "confirmed after the hold lapsed"
			return a.ConfirmLatePayment(now)
		case a.Status == models.AppointmentStatusConfirmed:
			// Staff may have recorded it paid in cash or by transfer (ConfirmPaidOffline) before
			// the call-off of this payment reached the provider: then it is one payment too many.
			if other, err := pm.paidOtherwise(ctx, pay); err != nil || other {
				refundReason = "paid online after the booking was paid otherwise"
				return err
			}
			outcome = "already confirmed"
			return nil
		default:
			refundReason = fmt.Sprintf("paid after the booking was %s", a.Status)
			return nil
		}
	})
	if err != nil {
		return "", err
	}
	if refundReason == "" {
		return outcome, nil
	}
	if _, err := pm.startRefund(ctx, lockedPay, lockedPay.AmountMinor, refundReason, now); err != nil {
		return "", err
	}
	pm.log.WarnContext(ctx, "payment arrived for a booking that cannot take place; refunding in full",
		"payment_id", pay.ID, "appointment_id", pay.AppointmentID, "reason", refundReason)
	return "refunding: " + refundReason, nil
}

// paidOtherwise reports whether pay's appointment has a payment staff took by hand.
func (pm *Payments) paidOtherwise(ctx context.Context, pay *models.Payment) (bool, error) {
	pays, err := pm.store.PaymentsOf(ctx, pay.AppointmentID)
	if err != nil {
		return false, err
	}
	for _, p := range pays {
		if p.ID != pay.ID && p.Provider == models.PaymentProviderManual {
			return true, nil
		}
	}
	return false, nil
}

// paymentCanceled records that the provider canceled pay and frees its appointment's time.
func (pm *Payments) paymentCanceled(ctx context.Context, pay *models.Payment, reason string, now time.Time) (string, error) {
	if pay.Status != models.PaymentStatusIntent && pay.Status != models.PaymentStatusPending {
		return "already " + string(pay.Status), nil
	}
	if err := pm.store.UpdatePayment(ctx, pay.ID, func(p *models.Payment) error { return p.Cancel(now) }); err != nil {
		return "", err
	}
	err := pm.store.UpdateAppointment(ctx, pay.AppointmentID, func(a *models.Appointment) error {
		if a.Status != models.AppointmentStatusPendingPayment {
			return nil
		}
		why := "the payment was canceled"
		if reason != "" {
			why += " (" + reason + ")"
		}
		if a.HoldExpiresAt != nil && !now.Before(*a.HoldExpiresAt) {
			return a.ExpireHold(now)
		}
		return a.Cancel(models.BookingActorSystem, why, now)
	})
	if err != nil {
		return "", err
	}
	return outcomeCanceled, nil
}

// startRefund records a refund of amountMinor of pay and queues the task that asks the provider.
func (pm *Payments) startRefund(ctx context.Context, pay *models.Payment, amountMinor int64, reason string, now time.Time) (*models.Refund, error) {
	id := models.NewID()
	r, err := models.NewRefund(pay.ID, models.Money{Minor: amountMinor, Currency: pay.Currency}, "refund-"+id.String(), reason, now)
	if err != nil {
		return nil, err
	}
	r.ID = id
	if pay.Provider == models.PaymentProviderManual {
		// Taken in cash or by transfer: the practice hands it back itself, so the refund is
		// recorded as made, with no provider to ask.
		if err := r.Succeed(now); err != nil {
			return nil, err
		}
		if err := pm.store.CreateRefund(ctx, r); err != nil {
			return nil, err
		}
		return r, pm.store.UpdatePayment(ctx, pay.ID, func(p *models.Payment) error { return p.ApplyRefund(amountMinor, now) })
	}
	if err := pm.store.CreateRefund(ctx, r); err != nil {
		return nil, err
	}
	if _, err := pm.jobs.Schedule(ctx, TaskRefund, refundTask{RefundID: r.ID}, time.Time{}); err != nil {
		return nil, err
	}
	return r, nil
}

// refundable is what of pay may still be refunded: what was paid, less what was refunded and
// what is being refunded (recorded, not yet confirmed by the provider).
func (pm *Payments) refundable(ctx context.Context, pay *models.Payment) (int64, error) {
	left := pay.RefundableMinor()
	if left == 0 {
		return 0, nil
	}
	refunds, err := pm.store.RefundsOf(ctx, pay.ID)
	if err != nil {
		return 0, err
	}
	for _, r := range refunds {
		if r.Status == models.RefundStatusPending {
			left -= r.AmountMinor
		}
	}
	return max(left, 0), nil
}

// RunRefund asks the provider for a recorded refund (with its idempotence key, so a retried
// job cannot refund twice) and records the answer.
func (pm *Payments) RunRefund(ctx context.Context, refundID uuid.UUID) error {
	r, err := pm.store.Refund(ctx, refundID)
	if err != nil {
		return err
	}
	if r.Status != models.RefundStatusPending {
		return nil
	}
	if pm.gateway == nil {
		return ErrPaymentsDisabled
	}
	pay, err := pm.store.Payment(ctx, r.PaymentID)
	if err != nil {
		return err
	}
	if pay.ProviderPaymentID == nil {
		return fmt.Errorf("refund %s: payment %s has no provider id", r.ID, pay.ID)
	}
	var remote ProviderRefund
	if r.ProviderRefundID != nil {
		remote, err = pm.gateway.RefundState(ctx, *r.ProviderRefundID)
	} else {
		remote, err = pm.gateway.Refund(ctx, RefundRequest{
			ProviderPaymentID: *pay.ProviderPaymentID, Amount: r.Amount(), Reason: r.Reason, IdempotenceKey: r.IdempotenceKey,
		})
	}
	if errors.Is(err, ErrRefusedByProvider) {
		// The provider refuses for good: money is owed to the client, so a person must act.
		pm.log.ErrorContext(ctx, "the provider refused a refund; refund the client by hand",
			"refund_id", r.ID, "payment_id", pay.ID, "amount", r.Amount().String(), "error", err.Error())
		return pm.store.UpdateRefund(ctx, r.ID, func(f *models.Refund) error { return f.Cancel(pm.clock.Now().UTC()) })
	}
	if err != nil {
		return fmt.Errorf("refund %s: %w", r.ID, err)
	}
	if err := pm.store.UpdateRefund(ctx, r.ID, func(f *models.Refund) error {
		return f.SetProviderRefundID(remote.ID, pm.clock.Now().UTC())
	}); err != nil {
		return err
	}
	_, err = pm.applyRefund(ctx, remote)
	return err
}

// applyRefund records the provider's state of a refund: succeeded counts against its payment.
func (pm *Payments) applyRefund(ctx context.Context, rf ProviderRefund) (string, error) {
	if rf.State == ProviderRefundPending {
		return "ignored: refund still pending at the provider", nil
	}
	event := "refund." + string(rf.State)
	var outcome string
	err := pm.store.InTx(ctx, func(ctx context.Context) error {
		now := pm.clock.Now().UTC()
		n, err := models.NewPaymentNotification(models.PaymentProviderYooKassa, event, rf.ID, now)
		if err != nil {
			return err
		}
		first, err := pm.store.RecordNotification(ctx, n)
		if err != nil || !first {
			outcome = outcomeDuplicate
			return err
		}
		local, err := pm.store.RefundByProviderID(ctx, rf.ID)
		if errors.Is(err, models.ErrNotFound) {
			// Made in the provider's dashboard, or our record of it is not committed yet: the
			// provider retries, and reconciliation by hand covers the dashboard case.
			return fmt.Errorf("refund %s is not known here (yet): %w", rf.ID, err)
		}
		if err != nil {
			return err
		}
		if local.Status != models.RefundStatusPending {
			outcome = "already " + string(local.Status)
			return pm.store.MarkNotificationProcessed(ctx, n.ID, outcome, now)
		}
		if rf.State == ProviderRefundCanceled {
			pm.log.ErrorContext(ctx, "the provider canceled a refund; refund the client by hand", "refund_id", local.ID)
			outcome = "refund canceled"
			if err := pm.store.UpdateRefund(ctx, local.ID, func(f *models.Refund) error { return f.Cancel(now) }); err != nil {
				return err
			}
			return pm.store.MarkNotificationProcessed(ctx, n.ID, outcome, now)
		}
		if err := pm.store.UpdateRefund(ctx, local.ID, func(f *models.Refund) error { return f.Succeed(now) }); err != nil {
			return err
		}
		if err := pm.store.UpdatePayment(ctx, local.PaymentID, func(p *models.Payment) error {
			return p.ApplyRefund(local.AmountMinor, now)
		}); err != nil {
			return err
		}
		outcome = outcomeRefunded
		return pm.store.MarkNotificationProcessed(ctx, n.ID, outcome, now)
	})
	if err != nil {
		return "", fmt.Errorf("apply %s of provider refund %s: %w", event, rf.ID, err)
	}
	return outcome, nil
}

// ExpireHold cancels a pending appointment whose hold lapsed, and its payment at the provider.
// If the provider says the client paid meanwhile, the appointment is confirmed instead.
func (pm *Payments) ExpireHold(ctx context.Context, appointmentID uuid.UUID) error {
	a, err := pm.store.Appointment(ctx, appointmentID)
	if err != nil {
		return err
	}
	now := pm.clock.Now().UTC()
	if a.Status != models.AppointmentStatusPendingPayment || a.HoldExpiresAt == nil || now.Before(*a.HoldExpiresAt) {
		return nil // paid, canceled or moved meanwhile
	}
	pay := lastPayment(a)
	if pay != nil && pay.Status == models.PaymentStatusIntent {
		// Never created at the provider: nothing to cancel there, and the request's
		// Idempotency-Key is forgotten with the booking.
		called, err := pm.unpaid.CallOffUnpaid(ctx, pay.ID)
		if err != nil {
			return fmt.Errorf("expire hold of appointment %s: %w", a.ID, err)
		}
		if !called {
			return pm.ExpireHold(ctx, appointmentID) // the payment moved on meanwhile
		}
		pm.log.InfoContext(ctx, "payment hold lapsed before the payment was created; booking canceled", "appointment_id", a.ID)
		return nil
	}
	if pay != nil && pay.Status == models.PaymentStatusPending && pay.ProviderPaymentID != nil {
		remote, err := pm.cancelAtProvider(ctx, pay)
		if err != nil {
			return fmt.Errorf("expire hold of appointment %s: %w", a.ID, err)
		}
		if remote.State == ProviderPaymentSucceeded || remote.State == ProviderPaymentCanceled {
			// Canceled: applied as a lapsed hold (the hold's time has passed).
			outcome, err := pm.applyPayment(ctx, remote)
			if err == nil {
				pm.log.InfoContext(ctx, "payment hold lapsed", "appointment_id", a.ID, "outcome", outcome)
			}
			return err
		}
		// Still open at the provider though it refused to cancel: free the time anyway; a
		// payment that arrives later is confirmed if the time is still free, refunded if not.
		pm.log.WarnContext(ctx, "the provider did not cancel a lapsed payment; the booking is canceled here",
			"appointment_id", a.ID, "provider_payment_id", remote.ID, "provider_status", remote.State)
	}
	err = pm.store.InTx(ctx, func(ctx context.Context) error {
		if pay != nil && (pay.Status == models.PaymentStatusIntent || pay.Status == models.PaymentStatusPending) {
			if err := pm.store.UpdatePayment(ctx, pay.ID, func(p *models.Payment) error { return p.Cancel(now) }); err != nil {
				return err
			}
		}
		return pm.store.UpdateAppointment(ctx, a.ID, func(x *models.Appointment) error {
			if x.Status != models.AppointmentStatusPendingPayment {
				return nil
			}
			return x.ExpireHold(now)
		})
	})
	if err == nil {
		pm.log.InfoContext(ctx, "payment hold lapsed; booking canceled", "appointment_id", a.ID)
	}
	return err
}

// CancelPayment calls off a payment that is still open: at the provider first, then here. If
// the provider says it was paid meanwhile, that is applied instead (and refunded when its
// booking is canceled).
func (pm *Payments) CancelPayment(ctx context.Context, paymentID uuid.UUID) error {
	pay, err := pm.store.Payment(ctx, paymentID)
	if err != nil {
		return err
	}
	if pay.Status != models.PaymentStatusIntent && pay.Status != models.PaymentStatusPending {
		return nil
	}
	if pay.ProviderPaymentID == nil {
		return pm.store.UpdatePayment(ctx, pay.ID, func(p *models.Payment) error {
			if p.Status != models.PaymentStatusIntent {
				return nil
			}
			return p.Cancel(pm.clock.Now().UTC())
		})
	}
	remote, err := pm.cancelAtProvider(ctx, pay)
	if err != nil {
		return fmt.Errorf("cancel payment %s: %w", pay.ID, err)
	}
	_, err = pm.applyPayment(ctx, remote)
	return err
}

// cancelAtProvider asks the provider to cancel pay (with the payment's own cancel key) and
// returns the payment as the provider now has it. A refusal usually means it was paid a moment
// ago, so the payment is then read instead.
func (pm *Payments) cancelAtProvider(ctx context.Context, pay *models.Payment) (ProviderPayment, error) {
	if pm.gateway == nil {
		return ProviderPayment{}, ErrPaymentsDisabled
	}
	remote, err := pm.gateway.CancelPayment(ctx, *pay.ProviderPaymentID, "cancel-"+pay.ID.String())
	if errors.Is(err, ErrRefusedByProvider) {
		remote, err = pm.gateway.Payment(ctx, *pay.ProviderPaymentID)
	}
	return remote, err
}

// Reconcile calls off the bookings whose payment is still an intent after IntentGrace (their
// request ended, e.g. with its process, before creating it), re-reads from the provider the
// payments still pending after ReconcileAfter, and expires lapsed holds whose job did not run: a
// lost request, notification or job leaves nothing behind.
func (pm *Payments) Reconcile(ctx context.Context) error {
	if pm.gateway == nil {
		return nil
	}
	now := pm.clock.Now()
	var errs []error
	intents, err := pm.store.StaleIntents(ctx, now.Add(-IntentGrace), reconcileBatch)
	if err != nil {
		return err
	}
	for i := range intents {
		called, err := pm.unpaid.CallOffUnpaid(ctx, intents[i].ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("reconcile payment %s: %w", intents[i].ID, err))
		} else if called {
			pm.log.InfoContext(ctx, "reconciled payment", "payment_id", intents[i].ID, "appointment_id", intents[i].AppointmentID,
				"outcome", "booking canceled: its request ended before the payment was created")
		}
	}
	pending, err := pm.store.PendingPaymentsBefore(ctx, now.Add(-pm.cfg.ReconcileAfter), reconcileBatch)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for i := range pending {
		p := &pending[i]
		remote, err := pm.gateway.Payment(ctx, *p.ProviderPaymentID)
		if err == nil {
			var outcome string
			if outcome, err = pm.applyPayment(ctx, remote); err == nil && outcome != outcomeStillOpen {
				pm.log.InfoContext(ctx, "reconciled payment", "payment_id", p.ID, "outcome", outcome)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("reconcile payment %s: %w", p.ID, err))
		}
	}
	lapsed, err := pm.store.LapsedHolds(ctx, now, reconcileBatch)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for i := range lapsed {
		if err := pm.ExpireHold(ctx, lapsed[i].ID); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		pm.log.WarnContext(ctx, "reconciliation left work for the next run", "error", err.Error())
		return err
	}
	return nil
}

// Task is a named job the booking use cases run from the job queue.
type Task struct {
	Name string
	Run  func(ctx context.Context, payload json.RawMessage) error
}

// Tasks lists the scheduled tasks booking needs registered with the job queue.
func (pm *Payments) Tasks() []Task {
	return []Task{
		{TaskExpireHold, func(ctx context.Context, raw json.RawMessage) error {
			var t appointmentTask
			if err := json.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("%s payload: %w", TaskExpireHold, err)
			}
			return pm.ExpireHold(ctx, t.AppointmentID)
		}},
		{TaskRefund, func(ctx context.Context, raw json.RawMessage) error {
			var t refundTask
			if err := json.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("%s payload: %w", TaskRefund, err)
			}
			return pm.RunRefund(ctx, t.RefundID)
		}},
		{TaskCancelPayment, func(ctx context.Context, raw json.RawMessage) error {
			var t paymentTask
			if err := json.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("%s payload: %w", TaskCancelPayment, err)
			}
			return pm.CancelPayment(ctx, t.PaymentID)
		}},
	}
}
