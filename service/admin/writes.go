package admin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// Stores are what writers and actions change records through: the stores of the database (DB
// opens any other) and the use cases of other contexts (Ports).
type Stores struct {
	DB           *repository.DB
	Services     *repository.Services
	Availability *repository.Availability
	Appointments *repository.Appointments
	Ports
}

// Ports are the use cases of other contexts that writes and actions go through, so that a refund
// reaches the payment provider and a message its channel rather than being a row edit. A nil port
// leaves the actions that need it unavailable (ErrNotAvailable).
type Ports struct {
	// Bookings cancels and refunds through the booking use cases.
	Bookings StaffBookings
	// Jobs retries the job queue's jobs.
	Jobs JobQueue
	// Accounts invites staff, changes roles, blocks users and ends sessions through the identity
	// use cases.
	Accounts Accounts
}

// Accounts is what the owner does to accounts through the identity use cases, so that blocking
// ends sessions and the last owner stays; *identity.Service is one.
type Accounts interface {
	Invite(ctx context.Context, email models.Email, displayName string, role models.Role, by uuid.UUID) (uuid.UUID, error)
	ResendInvite(ctx context.Context, userID, by uuid.UUID) error
	SetStaffRole(ctx context.Context, userID uuid.UUID, role models.Role) error
	Block(ctx context.Context, userID uuid.UUID) error
	Unblock(ctx context.Context, userID uuid.UUID) error
	RevokeSession(ctx context.Context, id uuid.UUID) error
}

// Call is one write or action: what it goes through, who asked, what they sent and when.
type Call struct {
	Stores
	Actor Actor
	// In is the body: a resource's editable fields, or an action's fields.
	In  *Input
	Now time.Time
}

// StaffBookings is what the practice does to bookings and payments through the booking use
// cases, so that slots are checked as for a client and refunds go through the payment provider,
// not a row edit; *booking.Bookings is one.
type StaffBookings interface {
	CancelByStaff(ctx context.Context, id uuid.UUID, opt booking.StaffCancel) (*booking.CancelResult, error)
	RescheduleByStaff(ctx context.Context, id uuid.UUID, start time.Time) (*models.Appointment, error)
	ConfirmPaidOffline(ctx context.Context, id uuid.UUID, amountMinor *int64) (*models.Appointment, error)
	BookByStaff(ctx context.Context, in booking.StaffBookingInput) (*models.Appointment, error)
	RefundPayment(ctx context.Context, paymentID uuid.UUID, amountMinor *int64, reason string) (*models.Refund, error)
}

// NewStores opens the writers' stores on db, with ports for the actions that need other contexts.
func NewStores(db *repository.DB, ports Ports) Stores {
	return Stores{
		DB: db, Services: repository.NewServices(db), Availability: repository.NewAvailability(db),
		Appointments: repository.NewAppointments(db), Ports: ports,
	}
}

// Writer changes one resource's records through its model's rules. It runs inside the
// transaction that also writes the audit record. A method a resource does not support returns
// models.ErrForbidden (its Access should not grant the verb anyway).
type Writer interface {
	Create(ctx context.Context, c *Call) (uuid.UUID, error)
	Update(ctx context.Context, c *Call, id uuid.UUID) error
	Delete(ctx context.Context, c *Call, id uuid.UUID) error
}

// Create makes a record of res from body and answers it as the actor sees it.
func (s *Records) Create(ctx context.Context, res *Resource, actor Actor, body map[string]any) (repository.Record, error) {
	if !res.Allows(Create, actor.Roles) {
		return nil, models.ErrForbidden
	}
	in := NewCreateInput(res, body)
	var id uuid.UUID
	err := s.audited(ctx, res, actor, models.AuditActionCreate, func(ctx context.Context, now time.Time) (string, []string, error) {
		var err error
		id, err = res.Writer.Create(ctx, s.call(actor, in, now))
		return id.String(), in.Names(), inputError(err)
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
	err := s.audited(ctx, res, actor, models.AuditActionUpdate, func(ctx context.Context, now time.Time) (string, []string, error) {
		if err := s.inScope(ctx, res, id); err != nil {
			return id.String(), nil, err
		}
		return id.String(), in.Names(), inputError(res.Writer.Update(ctx, s.call(actor, in, now), id))
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
	err = s.audited(ctx, res, actor, models.AuditActionDelete, func(ctx context.Context, now time.Time) (string, []string, error) {
		return id.String(), nil, res.Writer.Delete(ctx, s.call(actor, NewInput(res, nil), now), id)
	})
	if err != nil {
		return nil, err
	}
	return before, nil
}

// Act runs the named action on a record with the action's fields from body (nil: none) and
// answers the record after it. An action declared for some states refuses a record in another
// (models.ErrConflict) before it runs.
func (s *Records) Act(ctx context.Context, res *Resource, actor Actor, id uuid.UUID, name string, body map[string]any) (repository.Record, error) {
	if res.IntID {
		return nil, models.ErrNotFound
	}
	err := s.act(ctx, res, actor, id, id.String(), name, body, func(ctx context.Context, a Action, c *Call) error {
		return a.Run(ctx, c, id)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, res, actor, id)
}

// ActInt is Act for a resource whose ids are integers (IntID).
func (s *Records) ActInt(ctx context.Context, res *Resource, actor Actor, id int64, name string, body map[string]any) (repository.Record, error) {
	if !res.IntID {
		return nil, models.ErrNotFound
	}
	err := s.act(ctx, res, actor, id, strconv.FormatInt(id, 10), name, body, func(ctx context.Context, a Action, c *Call) error {
		return a.RunInt(ctx, c, id)
	})
	if err != nil {
		return nil, err
	}
	return s.GetInt(ctx, res, actor, id)
}

// act runs the named action through run on the record whose id is key (named idName in the
// audit record).
func (s *Records) act(ctx context.Context, res *Resource, actor Actor, key any, idName, name string, body map[string]any,
	run func(ctx context.Context, a Action, c *Call) error) error {
	a, ok := res.Action(name)
	if !ok {
		return models.ErrNotFound
	}
	if !a.Allows(actor.Roles) {
		return models.ErrForbidden
	}
	in := NewActionInput(res, a, body)
	return s.audited(ctx, res, actor, models.AuditActionUpdate, func(ctx context.Context, now time.Time) (string, []string, error) {
		if err := s.inScope(ctx, res, key); err != nil {
			return idName, nil, err
		}
		if err := s.checkState(ctx, res, a, key); err != nil {
			return idName, nil, err
		}
		err := run(ctx, a, s.call(actor, in, now))
		return idName, append([]string{"action:" + name}, in.Names()...), inputError(err)
	})
}

// call is one write or action of actor's.
func (s *Records) call(actor Actor, in *Input, now time.Time) *Call {
	return &Call{Stores: s.stores, Actor: actor, In: in, Now: now}
}

// inScope answers models.ErrNotFound for a record outside the resource's scope (a staff member
// asked for through "users"), so that no write reaches it through the wrong resource.
func (s *Records) inScope(ctx context.Context, res *Resource, id any) error {
	if res.Scope == nil {
		return nil
	}
	_, err := s.store.RecordByID(ctx, res.Model, []string{"id"}, id, res.scope()...)
	return err
}

// checkState refuses an action declared for some states on a record in another (its state field
// holding another value).
func (s *Records) checkState(ctx context.Context, res *Resource, a Action, id any) error {
	if len(a.States) == 0 {
		return nil
	}
	field := res.stateField()
	rec, err := s.store.RecordByID(ctx, res.Model, []string{field}, id, res.scope()...)
	if err != nil {
		return err
	}
	state := fmt.Sprint(rec[field])
	if slices.Contains(a.States, state) {
		return nil
	}
	label := state
	if f, ok := res.Field(field); ok {
		if i := slices.IndexFunc(f.Choices, func(c Choice) bool { return c.Value == state }); i >= 0 {
			label = f.Choices[i].Label
		}
	}
	return &Refusal{Field: field, Message: fmt.Sprintf("«%s» недоступно: сейчас «%s»", a.Label, label)}
}

// audited runs a write and appends its audit record (who, what, which fields — never values) in
// one transaction.
func (s *Records) audited(ctx context.Context, res *Resource, actor Actor, action models.AuditAction,
	write func(ctx context.Context, now time.Time) (string, []string, error)) error {
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
		entry, err := models.NewAuditLog(actor.auditActor(), action, res.Name, id, changes, now)
		if err != nil { // a bug of ours (a P2 field declared editable), not of the request
			return fmt.Errorf("audit %s of %s %s: %v", action, res.Name, id, err)
		}
		return s.audit.Append(ctx, entry)
	})
}
