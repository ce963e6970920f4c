package booking

import (
	"context"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// storesForStaffBooking is the StaffBookingStore over the database.
type storesForStaffBooking struct {
	storesForClients
	db *repository.DB
}

var _ StaffBookingStore = storesForStaffBooking{}

func (s storesForStaffBooking) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

func (s storesForStaffBooking) Service(ctx context.Context, id uuid.UUID) (*models.Service, error) {
	return s.st.Services.ByID(ctx, id)
}

func (s storesForStaffBooking) CreateAppointment(ctx context.Context, a *models.Appointment) error {
	return s.st.Appointments.Create(ctx, a)
}
