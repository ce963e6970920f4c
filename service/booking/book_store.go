package booking

import (
	"context"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/clients"
)

// storesForBooking is the BookingStore over the database.
type storesForBooking struct {
	db *repository.DB
	st Stores
}

var _ BookingStore = storesForBooking{}

func (s storesForBooking) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

func (s storesForBooking) BookingContext(ctx context.Context, slug, key string, email models.Email, phone string, at, now time.Time) (*repository.BookingContext, error) {
	return s.st.Hot.Context(ctx, slug, key, email, phone, at, now)
}

func (s storesForBooking) Schedule(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
	return s.st.Hot.Schedule(ctx, serviceID, from, to)
}

func (s storesForBooking) RecordUser(ctx context.Context, u *models.User, consents []models.Consent, now time.Time) (*repository.RecordedUser, error) {
	return s.st.Hot.RecordUser(ctx, u, consents, now)
}

func (s storesForBooking) GrantConsents(ctx context.Context, email models.Email, name string, consents []ConsentInput, source string, now time.Time) error {
	_, err := clients.Record(ctx, s.st.Users, email, name, consents, source, now)
	return err
}

func (s storesForBooking) CreateLead(ctx context.Context, l *models.Lead) error {
	return s.st.Hot.CreateLead(ctx, l)
}

func (s storesForBooking) TouchLead(ctx context.Context, leadID uuid.UUID, userID *uuid.UUID, identities []models.LeadIdentity, now time.Time) error {
	return s.st.Hot.TouchLead(ctx, leadID, userID, identities, now)
}

func (s storesForBooking) CreateAppointment(ctx context.Context, a *models.Appointment) error {
	return s.st.Appointments.Create(ctx, a)
}

func (s storesForBooking) Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error) {
	return s.st.Appointments.ByID(ctx, id)
}

func (s storesForBooking) UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
	return s.st.Appointments.Update(ctx, id, fn)
}

func (s storesForBooking) CreateBookingRequest(ctx context.Context, r *models.BookingRequest) error {
	return s.st.Requests.Create(ctx, r)
}

func (s storesForBooking) BookingRequest(ctx context.Context, key string, now time.Time) (*models.BookingRequest, error) {
	return s.st.Requests.ByKey(ctx, key, now)
}

func (s storesForBooking) ForgetBookingRequest(ctx context.Context, appointmentID uuid.UUID) error {
	return s.st.Requests.DeleteForAppointment(ctx, appointmentID)
}

func (s storesForBooking) CreatePayment(ctx context.Context, p *models.Payment) error {
	return s.st.Payments.Create(ctx, p)
}

func (s storesForBooking) SavePendingPayment(ctx context.Context, p *models.Payment) error {
	return s.st.Hot.SavePendingPayment(ctx, p)
}

func (s storesForBooking) UpdatePayment(ctx context.Context, id uuid.UUID, fn func(*models.Payment) error) error {
	return s.st.Payments.Update(ctx, id, fn)
}
