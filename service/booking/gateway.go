package booking

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"balance/models"
)

// PaymentGateway is what booking needs of the payment provider, in booking's terms: money, our
// ids, the page the client pays at. integrations/yookassa.Gateway is one; tests pass fakes.
type PaymentGateway interface {
	// CreatePayment asks for a payment of req.Amount; the same IdempotenceKey never pays twice.
	CreatePayment(ctx context.Context, req PaymentRequest) (ProviderPayment, error)
	// Payment reads a payment as the provider has it.
	Payment(ctx context.Context, providerID string) (ProviderPayment, error)
	// CancelPayment calls off a payment not paid yet; key makes a retry safe.
	CancelPayment(ctx context.Context, providerID, key string) (ProviderPayment, error)
	// Refund returns money of a paid payment; the same IdempotenceKey never refunds twice.
	Refund(ctx context.Context, req RefundRequest) (ProviderRefund, error)
	// RefundState reads a refund as the provider has it.
	RefundState(ctx context.Context, providerRefundID string) (ProviderRefund, error)
}

// Gateway errors, in booking's terms.
var (
	// ErrUnknownAtProvider: the provider does not know the payment or refund asked about.
	ErrUnknownAtProvider = errors.New("unknown at the payment provider")
	// ErrRefusedByProvider: the provider refused the request for good; asking again will not help.
	ErrRefusedByProvider = errors.New("refused by the payment provider")
)

// PaymentRequest is a payment booking asks the provider to take.
type PaymentRequest struct {
	// Payment and Appointment are our ids; the provider keeps them with its payment, so a payment
	// whose creation answer was lost can be matched later.
	Payment     uuid.UUID
	Appointment uuid.UUID
	Amount      models.Money
	// Description is what the client sees at the provider (the service and its time).
	Description string
	// Email and Phone receive the receipt; Phone may be empty.
	Email models.Email
	Phone models.Phone
	// IdempotenceKey identifies this payment at the provider across retries.
	IdempotenceKey string
}

// ProviderPaymentState is where a payment stands at the provider.
type ProviderPaymentState string

// The states of a payment at the provider.
const (
	ProviderPaymentPending           ProviderPaymentState = "pending"
	ProviderPaymentWaitingForCapture ProviderPaymentState = "waiting_for_capture"
	ProviderPaymentSucceeded         ProviderPaymentState = "succeeded"
	ProviderPaymentCanceled          ProviderPaymentState = "canceled"
)

// ProviderPayment is a payment as the provider reports it.
type ProviderPayment struct {
	// ID is the provider's id of the payment.
	ID     string
	State  ProviderPaymentState
	Amount models.Money
	// ConfirmationURL is the page the client pays at (while pending).
	ConfirmationURL string
	// Appointment is our appointment the payment was created for (uuid.Nil when the provider
	// does not say).
	Appointment uuid.UUID
	// CancellationReason says why a canceled payment was canceled, in the provider's words.
	CancellationReason string
}

// RefundRequest is money booking asks the provider to return.
type RefundRequest struct {
	ProviderPaymentID string
	Amount            models.Money
	Reason            string
	IdempotenceKey    string
}

// ProviderRefundState is where a refund stands at the provider.
type ProviderRefundState string

// The states of a refund at the provider.
const (
	ProviderRefundPending   ProviderRefundState = "pending"
	ProviderRefundSucceeded ProviderRefundState = "succeeded"
	ProviderRefundCanceled  ProviderRefundState = "canceled"
)

// ProviderRefund is a refund as the provider reports it.
type ProviderRefund struct {
	ID                string
	ProviderPaymentID string
	State             ProviderRefundState
	Amount            models.Money
}
