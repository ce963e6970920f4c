package booking

import (
	"context"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// storesForPayments is the PaymentStore over the database.
type storesForPayments struct {
	db *repository.DB
	st Stores
}

var _ PaymentStore = storesForPayments{}

func (s storesForPayments) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

func (s storesForPayments) RecordNotification(ctx context.Context, n *models.PaymentNotification) (bool, error) {
	return s.st.Notifications.Record(ctx, n)
}

func (s storesForPayments) MarkNotificationProcessed(ctx context.Context, id uuid.UUID, outcome string, now time.Time) error {
	return s.st.Notifications.MarkProcessed(ctx, id, outcome, now)
}

func (s storesForPayments) Payment(ctx context.Context, id uuid.UUID) (*models.Payment, error) {
	return s.st.Payments.ByID(ctx, id)
}

func (s storesForPayments) PaymentByProviderID(ctx context.Context, providerID string) (*models.Payment, error) {
	return s.st.Payments.ByProviderPaymentID(ctx, providerID)
}

func (s storesForPayments) PaymentsOf(ctx context.Context, appointmentID uuid.UUID) ([]models.Payment, error) {
	return s.st.Payments.ByAppointment(ctx, appointmentID)
}

func (s storesForPayments) CreatePayment(ctx context.Context, p *models.Payment) error {
	return s.st.Payments.Create(ctx, p)
}

func (s storesForPayments) UpdatePayment(ctx context.Context, id uuid.UUID, fn func(*models.Payment) error) error {
	return s.st.Payments.Update(ctx, id, fn)
}

func (s storesForPayments) Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error) {
	return s.st.Appointments.ByID(ctx, id)
}

func (s storesForPayments) UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
	return s.st.Appointments.Update(ctx, id, fn)
}

func (s storesForPayments) AppointmentsHolding(ctx context.Context, start, blockedUntil time.Time) ([]models.Appointment, error) {
	return s.st.Appointments.Conflicting(ctx, start, blockedUntil)
}

func (s storesForPayments) CreateRefund(ctx context.Context, r *models.Refund) error {
	return s.st.Refunds.Create(ctx, r)
}

func (s storesForPayments) Refund(ctx context.Context, id uuid.UUID) (*models.Refund, error) {
	return s.st.Refunds.ByID(ctx, id)
}

func (s storesForPayments) RefundByProviderID(ctx context.Context, providerID string) (*models.Refund, error) {
	return s.st.Refunds.ByProviderRefundID(ctx, providerID)
}

func (s storesForPayments) RefundsOf(ctx context.Context, paymentID uuid.UUID) ([]models.Refund, error) {
	return s.st.Refunds.ByPayment(ctx, paymentID)
}

func (s storesForPayments) UpdateRefund(ctx context.Context, id uuid.UUID, fn func(*models.Refund) error) error {
	return s.st.Refunds.Update(ctx, id, fn)
}

func (s storesForPayments) StaleIntents(ctx context.Context, t time.Time, limit int) ([]models.Payment, error) {
	return s.st.Payments.IntentsCreatedBy(ctx, t, limit)
}

func (s storesForPayments) PendingPaymentsBefore(ctx context.Context, t time.Time, limit int) ([]models.Payment, error) {
	return s.st.Payments.PendingBefore(ctx, t, limit)
}

func (s storesForPayments) LapsedHolds(ctx context.Context, now time.Time, limit int) ([]models.Appointment, error) {
	return s.st.Appointments.ExpiredHolds(ctx, now, limit)
}
