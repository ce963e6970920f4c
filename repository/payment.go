package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/models"
)

// Payments stores payments. Their provider id and Idempotence-Key are unique.
type Payments struct{ db *DB }

// NewPayments returns the payment store.
func NewPayments(db *DB) *Payments { return &Payments{db: db} }

// Create inserts a payment; an unknown appointment is ErrInvalidReference, a reused key ErrConflict.
func (r *Payments) Create(ctx context.Context, p *models.Payment) error {
	if err := r.db.conn(ctx).Create(p).Error; err != nil {
		return fmt.Errorf("create payment: %w", translate(err))
	}
	return nil
}

// ByID loads a payment.
func (r *Payments) ByID(ctx context.Context, id uuid.UUID) (*models.Payment, error) {
	return r.first(ctx, "payment", id, "id = ?", id)
}

// ByProviderPaymentID loads the payment the provider knows by id, e.g. from a notification.
func (r *Payments) ByProviderPaymentID(ctx context.Context, id string) (*models.Payment, error) {
	return r.first(ctx, "payment by provider id", id, "provider_payment_id = ?", id)
}

// ByIdempotenceKey loads the payment created with this key.
func (r *Payments) ByIdempotenceKey(ctx context.Context, key string) (*models.Payment, error) {
	return r.first(ctx, "payment by idempotence key", key, "idempotence_key = ?", key)
}

func (r *Payments) first(ctx context.Context, what string, key any, where string, arg any) (*models.Payment, error) {
	var p models.Payment
	if err := r.db.conn(ctx).First(&p, where, arg).Error; err != nil {
		return nil, notFound(what, key, err)
	}
	return &p, nil
}

// ByAppointment lists the payments of an appointment, oldest first.
func (r *Payments) ByAppointment(ctx context.Context, appointmentID uuid.UUID) ([]models.Payment, error) {
	var out []models.Payment
	err := r.db.conn(ctx).Where("appointment_id = ?", appointmentID).Order("created_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("payments of appointment %s: %w", appointmentID, translate(err))
	}
	return out, nil
}

// Update loads the payment inside a transaction (its row locked on PostgreSQL), lets fn change it
// through its methods and saves it if nobody else did meanwhile (else ErrConflict).
func (r *Payments) Update(ctx context.Context, id uuid.UUID, fn func(*models.Payment) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		var p models.Payment
		if err := forUpdate(r.db, r.db.conn(ctx), "payments").First(&p, "id = ?", id).Error; err != nil {
			return notFound("payment", id, err)
		}
		if err := fn(&p); err != nil {
			return err
		}
		return r.Save(ctx, &p)
	})
}

// Save writes a payment loaded earlier if its row still has the version it was loaded with;
// otherwise ErrConflict.
func (r *Payments) Save(ctx context.Context, p *models.Payment) error {
	if err := saveVersioned(r.db.conn(ctx), p, &p.Version); err != nil {
		return fmt.Errorf("save payment %s: %w", p.ID, err)
	}
	return nil
}

// Refunds stores refunds of payments.
type Refunds struct{ db *DB }

// NewRefunds returns the refund store.
func NewRefunds(db *DB) *Refunds { return &Refunds{db: db} }

// Create inserts a refund; an unknown payment is ErrInvalidReference, a reused key ErrConflict.
func (r *Refunds) Create(ctx context.Context, f *models.Refund) error {
	if err := r.db.conn(ctx).Create(f).Error; err != nil {
		return fmt.Errorf("create refund: %w", translate(err))
	}
	return nil
}

// ByID loads a refund.
func (r *Refunds) ByID(ctx context.Context, id uuid.UUID) (*models.Refund, error) {
	var f models.Refund
	if err := r.db.conn(ctx).First(&f, "id = ?", id).Error; err != nil {
		return nil, notFound("refund", id, err)
	}
	return &f, nil
}

// ByProviderRefundID loads the refund the provider knows by id.
func (r *Refunds) ByProviderRefundID(ctx context.Context, id string) (*models.Refund, error) {
	var f models.Refund
	if err := r.db.conn(ctx).First(&f, "provider_refund_id = ?", id).Error; err != nil {
		return nil, notFound("refund by provider id", id, err)
	}
	return &f, nil
}

// ByPayment lists the refunds of a payment, oldest first.
func (r *Refunds) ByPayment(ctx context.Context, paymentID uuid.UUID) ([]models.Refund, error) {
	var out []models.Refund
	if err := r.db.conn(ctx).Where("payment_id = ?", paymentID).Order("created_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("refunds of payment %s: %w", paymentID, translate(err))
	}
	return out, nil
}

// Update loads the refund inside a transaction (its row locked on PostgreSQL), lets fn change it
// and saves it.
func (r *Refunds) Update(ctx context.Context, id uuid.UUID, fn func(*models.Refund) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		var f models.Refund
		if err := forUpdate(r.db, r.db.conn(ctx), "refunds").First(&f, "id = ?", id).Error; err != nil {
			return notFound("refund", id, err)
		}
		if err := fn(&f); err != nil {
			return err
		}
		if err := bookingSave(r.db.conn(ctx), &f); err != nil {
			return fmt.Errorf("save refund %s: %w", id, err)
		}
		return nil
	})
}

// PaymentNotifications records the provider notifications received, so that each is processed once.
type PaymentNotifications struct{ db *DB }

// NewPaymentNotifications returns the notification store.
func NewPaymentNotifications(db *DB) *PaymentNotifications { return &PaymentNotifications{db: db} }

// Record inserts a notification and reports whether it is the first of its (provider, event,
// object). A repeat is not an error: it returns false and changes nothing. The insert cannot
// fail on the duplicate (ON CONFLICT DO NOTHING), so Record may run inside the transaction of the
// state change it guards; a concurrent duplicate waits for that transaction and then sees it.
func (r *PaymentNotifications) Record(ctx context.Context, n *models.PaymentNotification) (bool, error) {
	res := r.db.conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "provider"}, {Name: "event"}, {Name: "object_id"}},
		DoNothing: true,
	}).Create(n)
	if res.Error != nil {
		return false, fmt.Errorf("record payment notification: %w", translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// MarkProcessed stamps the notification with what processing did.
func (r *PaymentNotifications) MarkProcessed(ctx context.Context, id uuid.UUID, outcome string, now time.Time) error {
	res := r.db.conn(ctx).Model(&models.PaymentNotification{}).Where("id = ?", id).
		Updates(map[string]any{"processed_at": now.UTC(), "outcome": outcome})
	if res.Error != nil {
		return fmt.Errorf("mark payment notification %s processed: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("payment notification %s: %w", id, models.ErrNotFound)
	}
	return nil
}

// ByKey loads the notification of (provider, event, object).
func (r *PaymentNotifications) ByKey(ctx context.Context, provider models.PaymentProvider, event, objectID string) (*models.PaymentNotification, error) {
	var n models.PaymentNotification
	err := r.db.conn(ctx).First(&n, "provider = ? AND event = ? AND object_id = ?", provider, event, objectID).Error
	if err != nil {
		return nil, fmt.Errorf("payment notification %s %s %s: %w", provider, event, objectID, translate(err))
	}
	return &n, nil
}

// PendingBefore lists up to limit payments still pending (the client has not finished paying, or
// the answer was lost) that were created before t, oldest first: reconciliation re-reads them.
func (r *Payments) PendingBefore(ctx context.Context, t time.Time, limit int) ([]models.Payment, error) {
	var out []models.Payment
	q := r.db.conn(ctx).Where("status = ? AND created_at < ?", models.PaymentStatusPending, t.UTC()).Order("created_at, id")
	if err := (Page{Limit: limit}).apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("pending payments: %w", translate(err))
	}
	return out, nil
}

// IntentsCreatedBy lists up to limit payments still intents (recorded with their booking, never
// created at the provider) that were created at or before t, oldest first: reconciliation calls
// off the bookings whose request ended without creating them.
func (r *Payments) IntentsCreatedBy(ctx context.Context, t time.Time, limit int) ([]models.Payment, error) {
	var out []models.Payment
	q := r.db.conn(ctx).Where("status = ? AND created_at <= ?", models.PaymentStatusIntent, t.UTC()).Order("created_at, id")
	if err := (Page{Limit: limit}).apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("payment intents: %w", translate(err))
	}
	return out, nil
}

// Reassign moves the payments of appointment from to appointment to (a rescheduled booking keeps
// its payment), inside the transaction of ctx when there is one.
func (r *Payments) Reassign(ctx context.Context, from, to uuid.UUID, now time.Time) error {
	err := r.db.conn(ctx).Model(&models.Payment{}).Where("appointment_id = ?", from).
		Updates(map[string]any{"appointment_id": to, "version": gorm.Expr("version + 1"), "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("move payments of appointment %s to %s: %w", from, to, translate(err))
	}
	return nil
}

// BookingRequests remembers the bookings made with an Idempotency-Key.
type BookingRequests struct{ db *DB }

// NewBookingRequests returns the store of idempotent booking requests.
func NewBookingRequests(db *DB) *BookingRequests { return &BookingRequests{db: db} }

// Create records a request; a key already recorded is ErrConflict.
func (r *BookingRequests) Create(ctx context.Context, b *models.BookingRequest) error {
	if err := r.db.conn(ctx).Create(b).Error; err != nil {
		return fmt.Errorf("record booking request: %w", translate(err))
	}
	return nil
}

// ByKey loads the request recorded with key; an expired one is ErrNotFound.
func (r *BookingRequests) ByKey(ctx context.Context, key string, now time.Time) (*models.BookingRequest, error) {
	var b models.BookingRequest
	if err := r.db.conn(ctx).First(&b, "key = ? AND expires_at > ?", key, now.UTC()).Error; err != nil {
		return nil, fmt.Errorf("booking request: %w", translate(err))
	}
	return &b, nil
}

// DeleteForAppointment forgets the requests that booked appointmentID, inside the transaction of
// ctx when there is one: a retry of such a request then books afresh.
func (r *BookingRequests) DeleteForAppointment(ctx context.Context, appointmentID uuid.UUID) error {
	if err := r.db.conn(ctx).Where("appointment_id = ?", appointmentID).Delete(&models.BookingRequest{}).Error; err != nil {
		return fmt.Errorf("forget booking requests of appointment %s: %w", appointmentID, translate(err))
	}
	return nil
}

// DeleteExpired removes the requests that expired by now and reports how many.
func (r *BookingRequests) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res := r.db.conn(ctx).Where("expires_at <= ?", now.UTC()).Delete(&models.BookingRequest{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired booking requests: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
