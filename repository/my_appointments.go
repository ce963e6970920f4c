package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/models"
)

// OfClient lists a client's appointments for their cabinet: upcoming (not yet over at now,
// soonest first) or past (over, latest first), with the service, the payments and only the status
// of the intake form — no P2 is read or decrypted for a list: neither the form's answers nor the
// appointments' own P2 columns. A booking that was moved is left out: the booking it became
// stands for it.
func (r *Appointments) OfClient(ctx context.Context, userID uuid.UUID, upcoming bool, now time.Time, page Page) ([]models.Appointment, error) {
	q := r.lean(ctx).Preload("Service").
		Preload("Payments", func(db *gorm.DB) *gorm.DB { return db.Order("created_at, id") }).
		Preload("IntakeForm", intakeSummary).
		Where("client_user_id = ? AND status <> ?", userID, models.AppointmentStatusRescheduled)
	if upcoming {
		q = q.Where("end_at > ?", now).Order("start_at, id")
	} else {
		q = q.Where("end_at <= ?", now).Order("start_at DESC, id DESC")
	}
	var out []models.Appointment
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cabinet appointments of client %s: %w", userID, translate(err))
	}
	return out, nil
}
