package yookassa

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// PaymentStatus is a YooKassa payment state.
type PaymentStatus string

// Payment states: pending (the client has not paid yet), waiting_for_capture (two-stage payment
// authorised), succeeded and canceled (final).
const (
	PaymentPending           PaymentStatus = "pending"
	PaymentWaitingForCapture PaymentStatus = "waiting_for_capture"
	PaymentSucceeded         PaymentStatus = "succeeded"
	PaymentCanceled          PaymentStatus = "canceled"
)

// RefundStatus is a YooKassa refund state.
type RefundStatus string

// Refund states.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundCanceled  RefundStatus = "canceled"
)

// MetadataAppointmentID is the metadata key that ties a payment to its appointment.
const MetadataAppointmentID = "appointment_id"

// MetadataPaymentID is the metadata key that keeps our payment's id.
const MetadataPaymentID = "payment_id"

// Payment is a payment as the API reports it.
type Payment struct {
	ID              string
	Status          PaymentStatus
	Paid            bool
	Refundable      bool
	Amount          models.Money
	RefundedAmount  models.Money
	Description     string
	ConfirmationURL string
	Metadata        map[string]string
	// AppointmentID is parsed from Metadata; zero when absent or malformed.
	AppointmentID      uuid.UUID
	CancellationParty  string
	CancellationReason string
	CreatedAt          time.Time
}

// Refund is a refund as the API reports it.
type Refund struct {
	ID          string
	PaymentID   string
	Status      RefundStatus
	Amount      models.Money
	Description string
	CreatedAt   time.Time
}

// Wire format.

type wireAmount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

type wireConfirmation struct {
	Type            string `json:"type"`
	ReturnURL       string `json:"return_url,omitempty"`
	ConfirmationURL string `json:"confirmation_url,omitempty"`
}

type wireCancellation struct {
	Party  string `json:"party"`
	Reason string `json:"reason"`
}

type wirePayment struct {
	ID                  string            `json:"id"`
	Status              string            `json:"status"`
	Paid                bool              `json:"paid"`
	Refundable          bool              `json:"refundable"`
	Amount              wireAmount        `json:"amount"`
	RefundedAmount      *wireAmount       `json:"refunded_amount"`
	Description         string            `json:"description"`
	Confirmation        *wireConfirmation `json:"confirmation"`
	Metadata            map[string]string `json:"metadata"`
	CancellationDetails *wireCancellation `json:"cancellation_details"`
	CreatedAt           time.Time         `json:"created_at"`
}

type wireRefund struct {
	ID          string     `json:"id"`
	PaymentID   string     `json:"payment_id"`
	Status      string     `json:"status"`
	Amount      wireAmount `json:"amount"`
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"created_at"`
}

type wireCustomer struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

type wireReceiptItem struct {
	Description    string     `json:"description"`
	Quantity       string     `json:"quantity"`
	Amount         wireAmount `json:"amount"`
	VATCode        int        `json:"vat_code"`
	PaymentSubject string     `json:"payment_subject"`
	PaymentMode    string     `json:"payment_mode"`
}

type wireReceipt struct {
	Customer wireCustomer      `json:"customer"`
	Items    []wireReceiptItem `json:"items"`
}

type wireCreatePayment struct {
	Amount       wireAmount        `json:"amount"`
	Capture      bool              `json:"capture"`
	Confirmation wireConfirmation  `json:"confirmation"`
	Description  string            `json:"description,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Receipt      *wireReceipt      `json:"receipt,omitempty"`
}

type wireCapture struct {
	Amount *wireAmount `json:"amount,omitempty"`
}

type wireCreateRefund struct {
	PaymentID   string     `json:"payment_id"`
	Amount      wireAmount `json:"amount"`
	Description string     `json:"description,omitempty"`
}

type wireError struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Code        string `json:"code"`
	Description string `json:"description"`
	Parameter   string `json:"parameter"`
	RetryAfter  int64  `json:"retry_after"` // milliseconds, on 202 "processing"
}

func toWire(m models.Money) wireAmount { return wireAmount{Value: m.Decimal(), Currency: m.Currency} }

// parseAmount reads a decimal amount ("1500.00", "0.01", "12") into minor units exactly.
func parseAmount(a wireAmount) (models.Money, error) {
	whole, frac, hasDot := strings.Cut(a.Value, ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || len(frac) > 2 || !digits(frac))) {
		return models.Money{}, fmt.Errorf("malformed amount %q", a.Value)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	units, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || units > (1<<63-1-99)/100 {
		return models.Money{}, fmt.Errorf("amount %q out of range", a.Value)
	}
	cents, _ := strconv.ParseInt(frac, 10, 64) // two checked digits
	m, err := models.NewMoney(units*100+cents, a.Currency)
	if err != nil {
		return models.Money{}, fmt.Errorf("amount %q %q: %w", a.Value, a.Currency, err)
	}
	return m, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (w *wirePayment) payment() (*Payment, error) {
	amount, err := parseAmount(w.Amount)
	if err != nil {
		return nil, fmt.Errorf("payment %s: %w", w.ID, err)
	}
	p := &Payment{
		ID:             w.ID,
		Status:         PaymentStatus(w.Status),
		Paid:           w.Paid,
		Refundable:     w.Refundable,
		Amount:         amount,
		RefundedAmount: models.Money{Currency: amount.Currency},
		Description:    w.Description,
		Metadata:       w.Metadata,
		CreatedAt:      w.CreatedAt,
	}
	if w.RefundedAmount != nil {
		if p.RefundedAmount, err = parseAmount(*w.RefundedAmount); err != nil {
			return nil, fmt.Errorf("payment %s refunded amount: %w", w.ID, err)
		}
	}
	if w.Confirmation != nil {
		p.ConfirmationURL = w.Confirmation.ConfirmationURL
	}
	if w.CancellationDetails != nil {
		p.CancellationParty = w.CancellationDetails.Party
		p.CancellationReason = w.CancellationDetails.Reason
	}
	if id, err := uuid.Parse(w.Metadata[MetadataAppointmentID]); err == nil {
		p.AppointmentID = id
	}
	return p, nil
}

func (w *wireRefund) refund() (*Refund, error) {
	amount, err := parseAmount(w.Amount)
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w", w.ID, err)
	}
	return &Refund{
		ID:          w.ID,
		PaymentID:   w.PaymentID,
		Status:      RefundStatus(w.Status),
		Amount:      amount,
		Description: w.Description,
		CreatedAt:   w.CreatedAt,
	}, nil
}
