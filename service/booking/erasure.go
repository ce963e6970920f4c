package booking

import (
	"context"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// This file: client accounts and the cabinet — the cancellations of an account's erasure.

// erasureCancelReason is the system's phrase for an appointment canceled by its client's erasure.
const erasureCancelReason = "the client deleted their account"

// CancelForErasure cancels the appointment id of a client who deletes their account, as if the
// client canceled it: the time is freed and a paid booking is refunded by the service's policy
// (by a job, with an idempotence key), an unpaid one's payment called off. An appointment no
// longer active is models.ErrInvalidTransition.
func (m *Manager) CancelForErasure(ctx context.Context, id uuid.UUID) error {
	_, err := m.cancel(ctx, id, models.BookingActorClient, erasureCancelReason, func(a *models.Appointment, refundable int64, now time.Time) (int64, error) {
		if refundable == 0 {
			return 0, nil
		}
		return a.Service.ClientCancelRefund(a.StartAt, now, refundable, m.cfg.PartialRefundPercent), nil
	})
	return err
}
