package booking

// This file lets a signed-in client see and manage their own bookings from the cabinet. The
// account stands in for the manage link's token; the rules and the code paths are the same.

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// Own loads the booking id if it belongs to the client userID; anyone else's booking, or an
// unknown one, is models.ErrNotFound. The appointment comes with its service, payments and intake
// form.
func (m *Manager) Own(ctx context.Context, userID, id uuid.UUID) (*models.Appointment, error) {
	a, err := m.store.Appointment(ctx, id)
	if err != nil || a.ClientUserID == nil || *a.ClientUserID != userID {
		return nil, fmt.Errorf("booking %s of client %s: %w", id, userID, models.ErrNotFound)
	}
	return a, nil
}

// ClientAppointments lists the client's bookings, upcoming (soonest first) or past (latest
// first), without their intake answers.
func (m *Manager) ClientAppointments(ctx context.Context, userID uuid.UUID, upcoming bool, limit, offset int) ([]models.Appointment, error) {
	return m.store.ClientAppointments(ctx, userID, upcoming, m.clock.Now().UTC(), repository.Page{Limit: limit, Offset: offset})
}

// CancelOwn cancels the client's booking id as Cancel does for the manage link.
func (m *Manager) CancelOwn(ctx context.Context, userID, id uuid.UUID, reason string) (*CancelResult, error) {
	if _, err := m.Own(ctx, userID, id); err != nil {
		return nil, err
	}
	return m.cancelForClient(ctx, id, reason)
}

// RescheduleOwn moves the client's booking id as Reschedule does for the manage link.
func (m *Manager) RescheduleOwn(ctx context.Context, userID, id uuid.UUID, newStart time.Time) (*models.Appointment, error) {
	a, err := m.Own(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	return m.reschedule(ctx, a, newStart, models.BookingActorClient)
}

// SaveOwnIntakeForm writes the intake form of the client's booking id as SaveIntakeForm does.
func (m *Manager) SaveOwnIntakeForm(ctx context.Context, userID, id uuid.UUID, answers models.IntakeAnswers, submit bool) (*models.IntakeForm, error) {
	a, err := m.Own(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	return m.saveIntakeForm(ctx, a, answers, submit)
}

// OwnIntakeForm loads the intake form of the client's booking id: models.ErrNotFound when none.
func (m *Manager) OwnIntakeForm(ctx context.Context, userID, id uuid.UUID) (*models.IntakeForm, error) {
	if _, err := m.Own(ctx, userID, id); err != nil {
		return nil, err
	}
	return m.store.IntakeForm(ctx, id)
}
