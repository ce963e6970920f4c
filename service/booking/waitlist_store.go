package booking

import (
	"context"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/clients"
)

// storesForClients is the ClientStore over the database.
type storesForClients struct {
	st Stores
}

var _ ClientStore = storesForClients{}

func (s storesForClients) RecordAccount(ctx context.Context, email models.Email, name string, consents []ConsentInput, source string, now time.Time) (*models.User, error) {
	return clients.Record(ctx, s.st.Users, email, name, consents, source, now)
}

func (s storesForClients) LeadByIdentity(ctx context.Context, kind models.LeadIdentityKind, value string) (*models.Lead, error) {
	return s.st.Leads.ByIdentity(ctx, kind, value)
}

func (s storesForClients) CreateLead(ctx context.Context, l *models.Lead) error {
	return s.st.Leads.Create(ctx, l)
}

func (s storesForClients) UpdateLead(ctx context.Context, id uuid.UUID, fn func(*models.Lead) error) error {
	return s.st.Leads.Update(ctx, id, fn)
}

// storesForWaitlist is the WaitlistStore over the database.
type storesForWaitlist struct {
	storesForClients
	db *repository.DB
}

var _ WaitlistStore = storesForWaitlist{}

func (s storesForWaitlist) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

func (s storesForWaitlist) CreateWaitlistEntry(ctx context.Context, w *models.WaitlistEntry) error {
	return s.st.Waitlist.Create(ctx, w)
}

func (s storesForWaitlist) WaitingFor(ctx context.Context, serviceID uuid.UUID, start time.Time, limit int) ([]models.WaitlistEntry, error) {
	return s.st.Waitlist.Waiting(ctx, serviceID, start, limit)
}

func (s storesForWaitlist) UpdateWaitlistEntry(ctx context.Context, id uuid.UUID, fn func(*models.WaitlistEntry) error) error {
	return s.st.Waitlist.Update(ctx, id, fn)
}

func (s storesForWaitlist) Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error) {
	return s.st.Appointments.ByID(ctx, id)
}
