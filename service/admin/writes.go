package admin

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// Stores are what writers and actions change records through.
type Stores struct {
	Services     *repository.Services
	Availability *repository.Availability
	Appointments *repository.Appointments
	// Bookings cancels and refunds through the booking use cases; nil leaves those actions
	// unavailable.
	Bookings StaffBookings
}

// StaffBookings is what the practice does to a booking through the booking use cases, so that
// refunds go through the payment provider, not a row edit; *booking.Bookings is one.
type StaffBookings interface {
	CancelByStaff(ctx context.Context, id uuid.UUID) (*booking.CancelResult, error)
}

// NewStores opens the writers' stores on db, with bookings for the booking actions.
func NewStores(db *repository.DB, bookings StaffBookings) Stores {
	return Stores{
		Services: repository.NewServices(db), Availability: repository.NewAvailability(db),
		Appointments: repository.NewAppointments(db), Bookings: bookings,
	}
}

// Writer changes one resource's records through its model's rules. It runs inside the
// transaction that also writes the audit record. A method a resource does not support returns
// models.ErrForbidden (its Access should not grant the verb anyway).
type Writer interface {
	Create(ctx context.Context, st Stores, in *Input, now time.Time) (uuid.UUID, error)
	Update(ctx context.Context, st Stores, id uuid.UUID, in *Input, now time.Time) error
	Delete(ctx context.Context, st Stores, id uuid.UUID) error
}

// Create makes a record of res from body and answers it as the actor sees it.
func (s *Records) Create(ctx context.Context, res *Resource, actor Actor, body map[string]any) (repository.Record, error) {
	if !res.Allows(Create, actor.Roles) {
		return nil, models.ErrForbidden
	}
	in := NewInput(res, body)
	var id uuid.UUID
	err := s.audited(ctx, res, actor, models.AuditActionCreate, func(ctx context.Context, now time.Time) (uuid.UUID, []string, error) {
		var err error
		id, err = res.Writer.Create(ctx, s.stores, in, now)
		return id, in.Names(), inputError(err)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, res, actor, id)
}

// Update changes the editable fields body sets and answers the record.
func (s *Records) Update(ctx context.Context, res *Resource, actor Actor, id uuid.UUID, body map[string]any) (repository.Record, error) {
	if !res.Allows(Update, actor.Roles) {
		return nil, models.ErrForbidden
	}
	in := NewInput(res, body)
	err := s.audited(ctx, res, actor, models.AuditActionUpdate, func(ctx context.Context, now time.Time) (uuid.UUID, []string, error) {
		return id, in.Names(), inputError(res.Writer.Update(ctx, s.stores, id, in, now))
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, res, actor, id)
}

// Delete removes a record and answers it as it was (react-admin's delete).
func (s *Records) Delete(ctx context.Context, res *Resource, actor Actor, id uuid.UUID) (repository.Record, error) {
	if !res.Allows(Delete, actor.Roles) {
		return nil, models.ErrForbidden
	}
	before, err := s.Get(ctx, res, actor, id)
	if err != nil {
		return nil, err
	}
	err = s.audited(ctx, res, actor, models.AuditActionDelete, func(ctx context.Context, _ time.Time) (uuid.UUID, []string, error) {
		return id, nil, res.Writer.Delete(ctx, s.stores, id)
	})
	if err != nil {
		return nil, err
	}
	return before, nil
}

// Act runs the named action on a record and answers the record after it.
func (s *Records) Act(ctx context.Context, res *Resource, actor Actor, id uuid.UUID, name string) (repository.Record, error) {
	a, ok := res.Action(name)
	if !ok {
		return nil, models.ErrNotFound
	}
	if !slices.ContainsFunc(a.Roles, func(r models.Role) bool { return slices.Contains(actor.Roles, r) }) {
		return nil, models.ErrForbidden
	}
	err := s.audited(ctx, res, actor, models.AuditActionUpdate, func(ctx context.Context, now time.Time) (uuid.UUID, []string, error) {
		return id, []string{"action:" + name}, a.Run(ctx, s.stores, id, now)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, res, actor, id)
}

// audited runs a write and appends its audit record (who, what, which fields — never values) in
// one transaction.
func (s *Records) audited(ctx context.Context, res *Resource, actor Actor, action models.AuditAction,
	write func(ctx context.Context, now time.Time) (uuid.UUID, []string, error)) error {
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		now := s.clock.Now().UTC()
		id, fields, err := write(ctx, now)
		if err != nil {
			return err
		}
		changes := make(map[string]models.AuditChange, len(fields))
		for _, f := range fields {
			changes[f] = models.AuditChange{}
		}
		entry, err := models.NewAuditLog(actor.auditActor(), action, res.Name, id.String(), changes, now)
		if err != nil { // a bug of ours (a P2 field declared editable), not of the request
			return fmt.Errorf("audit %s of %s %s: %v", action, res.Name, id, err)
		}
		return s.audit.Append(ctx, entry)
	})
}
