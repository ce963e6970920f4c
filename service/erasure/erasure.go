// Package erasure is a client's right to erasure: the deletion of their account from the cabinet,
// confirmed by a fresh code sent to the account's address. What the client wrote about their state
// (P2) is deleted; what names them (P1) is anonymised; payments and refunds stay, as the tax law
// wants, without anything that leads to the person.
package erasure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/service"
	"balance/service/identity"
)

// Codes is the confirmation code of a deletion; *identity.Clients is one.
type Codes interface {
	// RequestDeletionCode emails a deletion code to the client's address.
	RequestDeletionCode(ctx context.Context, u *models.User, ip string) error
	// ConfirmDeletionCode uses up the client's deletion code if code is it, and returns its row.
	ConfirmDeletionCode(ctx context.Context, userID uuid.UUID, code string) (*models.OneTimeCode, error)
}

// Bookings cancels a client's upcoming appointment as the client would, refunded by the service's
// policy; *booking.Bookings is one. An appointment no longer active is left alone.
type Bookings interface {
	CancelForErasure(ctx context.Context, id uuid.UUID) error
}

// Users saves the erased account; *repository.Users is one.
type Users interface {
	Update(ctx context.Context, id uuid.UUID, fn func(*models.User) error) error
}

// Plan is what Store.Erase erases: everything of one client.
type Plan struct {
	UserID uuid.UUID
	// Email and Phone are the client's old ones, to find the CRM leads and waitlist entries they
	// left before they signed in.
	Email *models.Email
	Phone *models.Phone
	// SignInKey is the key of the sign-in codes and their throttle of the old address.
	SignInKey string
	// KeepCode is the used deletion code: it keeps the old address (encrypted) until the
	// confirmation email is sent, at most until KeepUntil.
	KeepCode  uuid.UUID
	KeepUntil time.Time
	Now       time.Time
}

// Store deletes and anonymises a client's data; *repository.Erasure is one.
type Store interface {
	// UpcomingAppointments lists the client's active appointments that have not started at now.
	UpcomingAppointments(ctx context.Context, userID uuid.UUID, now time.Time) ([]uuid.UUID, error)
	// Erase deletes the client's P2 data and anonymises their P1 data, in the caller's transaction.
	Erase(ctx context.Context, p Plan) error
	// KeptAddress is the old address kept in the used deletion code codeID; models.ErrNotFound
	// once forgotten.
	KeptAddress(ctx context.Context, codeID uuid.UUID) (string, error)
	// ForgetAddress deletes the used deletion code codeID.
	ForgetAddress(ctx context.Context, codeID uuid.UUID) error
}

// AuditLog records the deletion; *repository.AuditLogs is one.
type AuditLog interface {
	Append(ctx context.Context, l *models.AuditLog) error
}

// Transactor runs fn in one transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Scheduler queues a durable job.
type Scheduler interface {
	Schedule(ctx context.Context, name string, payload any, at time.Time) (int64, error)
}

// TaskDeletedEmail is the job that emails the confirmation of a deletion to the old address; keep
// the name stable, queued jobs carry it.
const TaskDeletedEmail = "erasure.deleted_email"

// DeletedEmailTask is the payload of TaskDeletedEmail. It names the used deletion code only: the
// old address stays encrypted in that row until the email is sent, never in the job queue.
type DeletedEmailTask struct {
	CodeID uuid.UUID `json:"code_id"`
}

// keepAddressFor is how long the old address waits, encrypted, for the confirmation email; then
// the codes' cleanup deletes it, sent or not.
const keepAddressFor = 7 * 24 * time.Hour

// AuditResource is the audited resource of a deletion.
const AuditResource = "account"

// Service runs the deletion of client accounts.
type Service struct {
	codes    Codes
	bookings Bookings
	users    Users
	store    Store
	audit    AuditLog
	tx       Transactor
	jobs     Scheduler
	clock    service.Clock
}

// Deps is what the deletion needs.
type Deps struct {
	Codes    Codes
	Bookings Bookings
	Users    Users
	Store    Store
	Audit    AuditLog
	Tx       Transactor
	Jobs     Scheduler
	Clock    service.Clock
}

// New returns the deletion use case.
func New(d Deps) *Service {
	return &Service{codes: d.Codes, bookings: d.Bookings, users: d.Users, store: d.Store, audit: d.Audit,
		tx: d.Tx, jobs: d.Jobs, clock: d.Clock}
}

// RequestCode emails a deletion code to the signed-in client's address.
func (s *Service) RequestCode(ctx context.Context, u *models.User, ip string) error {
	return s.codes.RequestDeletionCode(ctx, u, ip)
}

// Delete erases the account of the signed-in client u, confirmed by code (see Codes). Upcoming
// appointments are canceled first, one by one, as the client would cancel them (each refund a
// job); then in one transaction the P2 data is deleted, the P1 data anonymised, the sessions
// revoked, the account marked deleted and audited, and the confirmation email queued. A failure
// half-way leaves the cancellations done; the client asks for a new code and the deletion goes on
// from there.
func (s *Service) Delete(ctx context.Context, u *models.User, code string) error {
	row, err := s.codes.ConfirmDeletionCode(ctx, u.ID, code)
	if err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	upcoming, err := s.store.UpcomingAppointments(ctx, u.ID, now)
	if err != nil {
		return err
	}
	for _, id := range upcoming {
		if err := s.bookings.CancelForErasure(ctx, id); err != nil && !errors.Is(err, models.ErrInvalidTransition) {
			return fmt.Errorf("erase account %s: cancel appointment %s: %w", u.ID, id, err)
		}
	}
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		p := Plan{UserID: u.ID, SignInKey: "", KeepCode: row.ID, KeepUntil: now.Add(keepAddressFor), Now: now}
		if err := s.users.Update(ctx, u.ID, func(x *models.User) error {
			p.Email, p.Phone = x.Email, x.Phone
			return x.Erase(now)
		}); err != nil {
			return err
		}
		if p.Email != nil {
			p.SignInKey = identity.SignInCodeKey(*p.Email)
		}
		if err := s.store.Erase(ctx, p); err != nil {
			return err
		}
		entry, err := models.NewAuditLog(models.AuditActor{UserID: &u.ID, Role: string(models.RoleClient)},
			models.AuditActionDelete, AuditResource, u.ID.String(), nil, now)
		if err != nil {
			return fmt.Errorf("audit deletion of %s: %v", u.ID, err)
		}
		if err := s.audit.Append(ctx, entry); err != nil {
			return err
		}
		_, err = s.jobs.Schedule(ctx, TaskDeletedEmail, DeletedEmailTask{CodeID: row.ID}, time.Time{}) // at once
		return err
	})
	if err != nil {
		return fmt.Errorf("erase account %s: %w", u.ID, err)
	}
	return nil
}

// KeptAddress is the old address of the deleted account whose confirmation email the job codeID
// sends; models.ErrNotFound once forgotten.
func (s *Service) KeptAddress(ctx context.Context, codeID uuid.UUID) (string, error) {
	return s.store.KeptAddress(ctx, codeID)
}

// ForgetAddress deletes the old address once the confirmation email went out.
func (s *Service) ForgetAddress(ctx context.Context, codeID uuid.UUID) error {
	return s.store.ForgetAddress(ctx, codeID)
}
