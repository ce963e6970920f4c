package yookassa

import (
	"context"
	"errors"
	"fmt"

	"balance/service/booking"
)

// Gateway adapts the YooKassa client to the payment port booking declares: booking's requests
// become API calls, the API's answers and errors become booking's terms.
type Gateway struct{ Client *Client }

var _ booking.PaymentGateway = Gateway{}

// CreatePayment implements booking.PaymentGateway.
func (g Gateway) CreatePayment(ctx context.Context, req booking.PaymentRequest) (booking.ProviderPayment, error) {
	p, err := g.Client.CreatePayment(ctx, CreatePaymentRequest{
		Amount: req.Amount, Description: req.Description, AppointmentID: req.Appointment, PaymentID: req.Payment,
		Customer:       &Customer{Email: string(req.Email), Phone: string(req.Phone)},
		IdempotenceKey: req.IdempotenceKey,
	})
	return payment(p, err)
}

// Payment implements booking.PaymentGateway.
func (g Gateway) Payment(ctx context.Context, providerID string) (booking.ProviderPayment, error) {
	return payment(g.Client.GetPayment(ctx, providerID))
}

// CancelPayment implements booking.PaymentGateway.
func (g Gateway) CancelPayment(ctx context.Context, providerID, key string) (booking.ProviderPayment, error) {
	return payment(g.Client.CancelPayment(ctx, providerID, key))
}

// Refund implements booking.PaymentGateway.
func (g Gateway) Refund(ctx context.Context, req booking.RefundRequest) (booking.ProviderRefund, error) {
	return refund(g.Client.CreateRefund(ctx, CreateRefundRequest{
		PaymentID: req.ProviderPaymentID, Amount: req.Amount, Description: req.Reason, IdempotenceKey: req.IdempotenceKey,
	}))
}

// RefundState implements booking.PaymentGateway.
func (g Gateway) RefundState(ctx context.Context, providerRefundID string) (booking.ProviderRefund, error) {
	return refund(g.Client.GetRefund(ctx, providerRefundID))
}

func payment(p *Payment, err error) (booking.ProviderPayment, error) {
	if err != nil {
		return booking.ProviderPayment{}, gatewayError(err)
	}
	return booking.ProviderPayment{
		ID: p.ID, State: booking.ProviderPaymentState(p.Status), Amount: p.Amount,
		ConfirmationURL: p.ConfirmationURL, Appointment: p.AppointmentID, CancellationReason: p.CancellationReason,
	}, nil
}

func refund(r *Refund, err error) (booking.ProviderRefund, error) {
	if err != nil {
		return booking.ProviderRefund{}, gatewayError(err)
	}
	return booking.ProviderRefund{
		ID: r.ID, ProviderPaymentID: r.PaymentID, State: booking.ProviderRefundState(r.Status), Amount: r.Amount,
	}, nil
}

// gatewayError names an API error in booking's terms, keeping the API's for the log.
func gatewayError(err error) error {
	var apiErr *APIError
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%w: %w", booking.ErrUnknownAtProvider, err)
	case errors.As(err, &apiErr) && !apiErr.Temporary():
		return fmt.Errorf("%w: %w", booking.ErrRefusedByProvider, err)
	}
	return err
}
