package booking

import (
	"context"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// storesForManaging is the ManageStore over the database.
type storesForManaging struct {
	db *repository.DB
	st Stores
}

var _ ManageStore = storesForManaging{}

func (s storesForManaging) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

func (s storesForManaging) Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error) {
	return s.st.Appointments.ByID(ctx, id)
}

func (s storesForManaging) AppointmentByManageToken(ctx context.Context, tokenHash string) (*models.Appointment, error) {
	return s.st.Appointments.ByManageTokenHash(ctx, tokenHash)
}

func (s storesForManaging) UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
	return s.st.Appointments.Update(ctx, id, fn)
}

func (s storesForManaging) RescheduleAppointment(ctx context.Context, id uuid.UUID, fn func(old *models.Appointment) (*models.Appointment, error)) (*models.Appointment, error) {
	return s.st.Appointments.Reschedule(ctx, id, fn)
}

func (s storesForManaging) ClientAppointments(ctx context.Context, userID uuid.UUID, upcoming bool, now time.Time, page repository.Page) ([]models.Appointment, error) {
	return s.st.Appointments.OfClient(ctx, userID, upcoming, now, page)
}

func (s storesForManaging) MovePayments(ctx context.Context, from, to uuid.UUID, now time.Time) error {
	return s.st.Payments.Reassign(ctx, from, to, now)
}

func (s storesForManaging) MoveIntakeForm(ctx context.Context, from, to uuid.UUID, now time.Time) error {
	return s.st.IntakeForms.Reassign(ctx, from, to, now)
}

func (s storesForManaging) IntakeForm(ctx context.Context, appointmentID uuid.UUID) (*models.IntakeForm, error) {
	return s.st.IntakeForms.ByAppointment(ctx, appointmentID)
}

func (s storesForManaging) SaveIntakeForm(ctx context.Context, f *models.IntakeForm) error {
	return s.st.IntakeForms.Save(ctx, f)
}
