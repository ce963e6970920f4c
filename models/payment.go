package models

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// PaymentProvider names the payment service that holds a payment.
type PaymentProvider string

// Payment providers.
const (
	PaymentProviderYooKassa PaymentProvider = "yookassa"
	// PaymentProviderManual is money staff took outside the site (cash, a bank transfer) and
	// recorded by hand: no provider holds it, and its refunds are handed back by hand too.
	PaymentProviderManual PaymentProvider = "manual"
)

// Bounds of provider-supplied strings.
const (
	bookingProviderIDMaxLen     = 255
	bookingIdempotenceKeyMaxLen = 64
	bookingURLMaxLen            = 2048
)

// PaymentStatus is the lifecycle state of a payment.
type PaymentStatus string

// Payment statuses: intent (created here, not yet sent), pending (the provider answered, the
// client pays), then succeeded, canceled or failed; a succeeded payment may be refunded in parts.
const (
	PaymentStatusIntent            PaymentStatus = "intent"
	PaymentStatusPending           PaymentStatus = "pending"
	PaymentStatusSucceeded         PaymentStatus = "succeeded"
	PaymentStatusCanceled          PaymentStatus = "canceled"
	PaymentStatusFailed            PaymentStatus = "failed"
	PaymentStatusPartiallyRefunded PaymentStatus = "partially_refunded"
	PaymentStatusRefunded          PaymentStatus = "refunded"
)

// ParsePaymentStatus validates a payment status name.
func ParsePaymentStatus(s string) (PaymentStatus, error) {
	switch st := PaymentStatus(s); st {
	case PaymentStatusIntent, PaymentStatusPending, PaymentStatusSucceeded, PaymentStatusCanceled,
		PaymentStatusFailed, PaymentStatusPartiallyRefunded, PaymentStatusRefunded:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("unknown payment status %q", s)}
}

// bookingKey validates an Idempotence-Key: what YooKassa accepts (at most 64 characters).
func bookingKey(key string) error {
	if key == "" || len(key) > bookingIdempotenceKeyMaxLen {
		return &ValidationError{Field: "idempotence_key", Message: "is required, at most 64 characters"}
	}
	return nil
}

// bookingPositive validates an amount that must be more than zero.
func bookingPositive(m Money) (Money, error) {
	m, err := NewMoney(m.Minor, m.Currency)
	if err != nil {
		return Money{}, err
	}
	if m.Minor == 0 {
		return Money{}, &ValidationError{Field: "amount", Message: "must be positive"}
	}
	return m, nil
}

// Payment is the money a client pays for an appointment through a provider. Every request to the
// provider about it carries IdempotenceKey, so a retried request cannot charge twice.
type Payment struct {
	ID                uuid.UUID `gorm:"primaryKey"`
	AppointmentID     uuid.UUID `gorm:"index:payments_appointment_idx"`
	AmountMinor       int64
	Currency          string
	Provider          PaymentProvider
	ProviderPaymentID *string       `gorm:"uniqueIndex:payments_provider_payment_id_key"`
	IdempotenceKey    string        `gorm:"uniqueIndex:payments_idempotence_key_key"`
	Status            PaymentStatus `gorm:"index:payments_status_idx"`
	// ConfirmationURL is where the client goes to pay.
	ConfirmationURL *string
	FailureReason   *string
	RefundedMinor   int64
	PaidAt          *time.Time
	Version         int
	CreatedAt       time.Time
	UpdatedAt       time.Time

	Recorder `gorm:"-"`
}

// PaymentSucceeded: the client paid AmountMinor (in Currency).
type PaymentSucceeded struct {
	EventMeta
	AppointmentID uuid.UUID `json:"appointment_id"`
	AmountMinor   int64     `json:"amount_minor"`
	Currency      string    `json:"currency"`
}

// EventName implements Event.
func (PaymentSucceeded) EventName() string { return "payment.succeeded" }

// PaymentFailed: the provider refused or the payment could not be made.
type PaymentFailed struct {
	EventMeta
	AppointmentID uuid.UUID `json:"appointment_id"`
}

// EventName implements Event.
func (PaymentFailed) EventName() string { return "payment.failed" }

// PaymentCanceled: the payment was called off before the money moved.
type PaymentCanceled struct {
	EventMeta
	AppointmentID uuid.UUID `json:"appointment_id"`
}

// EventName implements Event.
func (PaymentCanceled) EventName() string { return "payment.canceled" }

// NewPayment starts the payment of amount for an appointment, not yet sent to the provider.
func NewPayment(appointmentID uuid.UUID, amount Money, idempotenceKey string, now time.Time) (*Payment, error) {
	if appointmentID == uuid.Nil {
		return nil, &ValidationError{Field: "appointment_id", Message: "is required"}
	}
	amount, err := bookingPositive(amount)
	if err != nil {
		return nil, err
	}
	if err := bookingKey(idempotenceKey); err != nil {
		return nil, err
	}
	return &Payment{
		ID: NewID(), AppointmentID: appointmentID, AmountMinor: amount.Minor, Currency: amount.Currency,
		Provider: PaymentProviderYooKassa, IdempotenceKey: idempotenceKey, Status: PaymentStatusIntent,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// NewManualPayment records amount a client paid for an appointment outside the site (cash, a bank
// transfer), as staff say: it has succeeded already.
func NewManualPayment(appointmentID uuid.UUID, amount Money, now time.Time) (*Payment, error) {
	p, err := NewPayment(appointmentID, amount, "manual-"+NewID().String(), now)
	if err != nil {
		return nil, err
	}
	p.Provider, p.Status, p.PaidAt = PaymentProviderManual, PaymentStatusSucceeded, &now
	p.Record(PaymentSucceeded{EventMeta: NewEventMeta(p.ID, now), AppointmentID: p.AppointmentID, AmountMinor: p.AmountMinor, Currency: p.Currency})
	return p, nil
}

// Amount is what the client pays.
func (p *Payment) Amount() Money { return Money{Minor: p.AmountMinor, Currency: p.Currency} }

// RefundableMinor is what can still be refunded.
func (p *Payment) RefundableMinor() int64 {
	if p.Status != PaymentStatusSucceeded && p.Status != PaymentStatusPartiallyRefunded {
		return 0
	}
	return p.AmountMinor - p.RefundedMinor
}

// MarkPending records the provider's answer: its payment id and, for a redirect, the URL where
// the client pays (empty when none).
func (p *Payment) MarkPending(providerPaymentID, confirmationURL string, now time.Time) error {
	if providerPaymentID == "" || len(providerPaymentID) > bookingProviderIDMaxLen {
		return &ValidationError{Field: "provider_payment_id", Message: "is required, at most 255 characters"}
	}
	if len(confirmationURL) > bookingURLMaxLen {
		return &ValidationError{Field: "confirmation_url", Message: "must be at most 2048 characters"}
	}
	if p.Status != PaymentStatusIntent {
		return fmt.Errorf("mark %s payment %s pending: %w", p.Status, p.ID, ErrInvalidTransition)
	}
	p.Status, p.ProviderPaymentID, p.ConfirmationURL = PaymentStatusPending, &providerPaymentID, bookingOptional(confirmationURL)
	p.UpdatedAt = now
	return nil
}

// Succeed records that the money arrived; only a payment the provider knows can succeed. That
// includes one canceled here whose cancellation the provider refused: the provider's word wins,
// and the booking use case refunds what it cannot honour.
func (p *Payment) Succeed(now time.Time) error {
	if p.Status != PaymentStatusPending && (p.Status != PaymentStatusCanceled || p.ProviderPaymentID == nil) {
		return fmt.Errorf("succeed %s payment %s: %w", p.Status, p.ID, ErrInvalidTransition)
	}
	p.Status, p.PaidAt, p.UpdatedAt = PaymentStatusSucceeded, &now, now
	p.Record(PaymentSucceeded{EventMeta: NewEventMeta(p.ID, now), AppointmentID: p.AppointmentID, AmountMinor: p.AmountMinor, Currency: p.Currency})
	return nil
}

// Fail records that the payment cannot be made, and why (the provider's reason code).
func (p *Payment) Fail(reason string, now time.Time) error {
	if utf8.RuneCountInString(reason) > bookingReasonMaxLen {
		return &ValidationError{Field: "failure_reason", Message: "must be at most 1000 characters"}
	}
	if !p.open() {
		return fmt.Errorf("fail %s payment %s: %w", p.Status, p.ID, ErrInvalidTransition)
	}
	p.Status, p.FailureReason, p.UpdatedAt = PaymentStatusFailed, bookingOptional(reason), now
	p.Record(PaymentFailed{EventMeta: NewEventMeta(p.ID, now), AppointmentID: p.AppointmentID})
	return nil
}

// Cancel calls off a payment that has not succeeded yet.
func (p *Payment) Cancel(now time.Time) error {
	if !p.open() {
		return fmt.Errorf("cancel %s payment %s: %w", p.Status, p.ID, ErrInvalidTransition)
	}
	p.Status, p.UpdatedAt = PaymentStatusCanceled, now
	p.Record(PaymentCanceled{EventMeta: NewEventMeta(p.ID, now), AppointmentID: p.AppointmentID})
	return nil
}

func (p *Payment) open() bool {
	return p.Status == PaymentStatusIntent || p.Status == PaymentStatusPending
}

// ApplyRefund counts a succeeded refund of amountMinor against the payment: partially refunded,
// or refunded once everything is returned. Refunding more than was paid is a ValidationError.
func (p *Payment) ApplyRefund(amountMinor int64, now time.Time) error {
	if p.Status != PaymentStatusSucceeded && p.Status != PaymentStatusPartiallyRefunded {
		return fmt.Errorf("refund %s payment %s: %w", p.Status, p.ID, ErrInvalidTransition)
	}
	if amountMinor <= 0 {
		return &ValidationError{Field: "amount", Message: "must be positive"}
	}
	if amountMinor > p.AmountMinor-p.RefundedMinor {
		return &ValidationError{Field: "amount", Message: fmt.Sprintf("exceeds the refundable %d", p.AmountMinor-p.RefundedMinor)}
	}
	p.RefundedMinor += amountMinor
	p.Status = PaymentStatusPartiallyRefunded
	if p.RefundedMinor == p.AmountMinor {
		p.Status = PaymentStatusRefunded
	}
	p.UpdatedAt = now
	return nil
}

// RefundStatus is the state of a refund at the provider.
type RefundStatus string

// Refund statuses.
const (
	RefundStatusPending   RefundStatus = "pending"
	RefundStatusSucceeded RefundStatus = "succeeded"
	RefundStatusCanceled  RefundStatus = "canceled"
)

// ParseRefundStatus validates a refund status name.
func ParseRefundStatus(s string) (RefundStatus, error) {
	switch st := RefundStatus(s); st {
	case RefundStatusPending, RefundStatusSucceeded, RefundStatusCanceled:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be pending, succeeded or canceled; got %q", s)}
}

// Refund returns (part of) a payment to the client.
type Refund struct {
	ID               uuid.UUID `gorm:"primaryKey"`
	PaymentID        uuid.UUID `gorm:"index:refunds_payment_idx"`
	AmountMinor      int64
	Currency         string
	ProviderRefundID *string `gorm:"uniqueIndex:refunds_provider_refund_id_key"`
	IdempotenceKey   string  `gorm:"uniqueIndex:refunds_idempotence_key_key"`
	Status           RefundStatus
	Reason           string
	CreatedAt        time.Time
	UpdatedAt        time.Time

	Recorder `gorm:"-"`
}

// RefundSucceeded: AmountMinor (in Currency) went back to the client.
type RefundSucceeded struct {
	EventMeta
	PaymentID   uuid.UUID `json:"payment_id"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
}

// EventName implements Event.
func (RefundSucceeded) EventName() string { return "refund.succeeded" }

// NewRefund starts a refund of amount of a payment.
func NewRefund(paymentID uuid.UUID, amount Money, idempotenceKey, reason string, now time.Time) (*Refund, error) {
	if paymentID == uuid.Nil {
		return nil, &ValidationError{Field: "payment_id", Message: "is required"}
	}
	amount, err := bookingPositive(amount)
	if err != nil {
		return nil, err
	}
	if err := bookingKey(idempotenceKey); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(reason) > bookingReasonMaxLen {
		return nil, &ValidationError{Field: "reason", Message: "must be at most 1000 characters"}
	}
	return &Refund{
		ID: NewID(), PaymentID: paymentID, AmountMinor: amount.Minor, Currency: amount.Currency,
		IdempotenceKey: idempotenceKey, Status: RefundStatusPending, Reason: reason, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// Amount is what goes back.
func (r *Refund) Amount() Money { return Money{Minor: r.AmountMinor, Currency: r.Currency} }

// SetProviderRefundID records the provider's id of a pending refund; the same id again changes nothing.
func (r *Refund) SetProviderRefundID(id string, now time.Time) error {
	if id == "" || len(id) > bookingProviderIDMaxLen {
		return &ValidationError{Field: "provider_refund_id", Message: "is required, at most 255 characters"}
	}
	if r.ProviderRefundID != nil && *r.ProviderRefundID == id {
		return nil
	}
	if r.Status != RefundStatusPending || r.ProviderRefundID != nil {
		return fmt.Errorf("set provider id of %s refund %s: %w", r.Status, r.ID, ErrInvalidTransition)
	}
	r.ProviderRefundID, r.UpdatedAt = &id, now
	return nil
}

// Succeed records that the provider returned the money.
func (r *Refund) Succeed(now time.Time) error {
	if r.Status != RefundStatusPending {
		return fmt.Errorf("succeed %s refund %s: %w", r.Status, r.ID, ErrInvalidTransition)
	}
	r.Status, r.UpdatedAt = RefundStatusSucceeded, now
	r.Record(RefundSucceeded{EventMeta: NewEventMeta(r.ID, now), PaymentID: r.PaymentID, AmountMinor: r.AmountMinor, Currency: r.Currency})
	return nil
}

// Cancel records that the provider refused the refund.
func (r *Refund) Cancel(now time.Time) error {
	if r.Status != RefundStatusPending {
		return fmt.Errorf("cancel %s refund %s: %w", r.Status, r.ID, ErrInvalidTransition)
	}
	r.Status, r.UpdatedAt = RefundStatusCanceled, now
	return nil
}

// PaymentNotification is one webhook notification received from a provider. Its (provider, event,
// object) key is unique, so each notification is processed once however often it is delivered.
type PaymentNotification struct {
	ID          uuid.UUID       `gorm:"primaryKey"`
	Provider    PaymentProvider `gorm:"uniqueIndex:payment_notifications_key,priority:1"`
	Event       string          `gorm:"uniqueIndex:payment_notifications_key,priority:2"`
	ObjectID    string          `gorm:"uniqueIndex:payment_notifications_key,priority:3"`
	ReceivedAt  time.Time
	ProcessedAt *time.Time
	// Outcome says briefly what processing did, e.g. "confirmed" or "ignored: unknown payment".
	Outcome *string
}

// NewPaymentNotification validates a received notification, e.g. ("yookassa",
// "payment.succeeded", the provider's payment id).
func NewPaymentNotification(provider PaymentProvider, event, objectID string, now time.Time) (*PaymentNotification, error) {
	switch {
	case provider == "" || len(provider) > 32:
		return nil, &ValidationError{Field: "provider", Message: "is required, at most 32 characters"}
	case event == "" || len(event) > 64:
		return nil, &ValidationError{Field: "event", Message: "is required, at most 64 characters"}
	case objectID == "" || len(objectID) > bookingProviderIDMaxLen:
		return nil, &ValidationError{Field: "object_id", Message: "is required, at most 255 characters"}
	}
	return &PaymentNotification{ID: NewID(), Provider: provider, Event: event, ObjectID: objectID, ReceivedAt: now}, nil
}
