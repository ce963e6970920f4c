package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
)

// This file: the owner manages staff accounts and sessions — invitations to set a password,
// role changes, disabling, ending sessions — and the invited person accepts.

// InviteStore is what invitations need of persistence; *repository.StaffInvites is one.
type InviteStore interface {
	Create(ctx context.Context, i *models.StaffInvite) error
	ByID(ctx context.Context, id uuid.UUID) (*models.StaffInvite, error)
	ByTokenHash(ctx context.Context, hash string) (*models.StaffInvite, error)
	// Update loads the invitation by id, or by tokenHash when id is uuid.Nil, locked.
	Update(ctx context.Context, id uuid.UUID, tokenHash string, fn func(*models.StaffInvite) error) error
	RevokeOpen(ctx context.Context, userID uuid.UUID, now time.Time) error
}

// Scheduler queues a named task, inside the transaction ctx carries; *events.Outbox is one.
type Scheduler interface {
	Schedule(ctx context.Context, name string, payload any, at time.Time) (int64, error)
}

// TaskInviteEmail is the job that emails an invitation; keep the name stable, queued jobs carry it.
const TaskInviteEmail = "identity.invite_email"

// InviteEmailTask is the payload of TaskInviteEmail. It names the invitation only: the token is
// made when the email goes out (IssueInviteToken), so it is never stored in the job queue.
type InviteEmailTask struct {
	InviteID uuid.UUID `json:"invite_id"`
}

// StaffAuditResource is the resource of the audit record of an accepted invitation.
const StaffAuditResource = "staff"

// LastOwnerError refuses a change that would leave the practice without an active owner.
type LastOwnerError struct{}

func (LastOwnerError) Error() string {
	return "the last active owner cannot lose the owner role or access"
}

// Unwrap makes a LastOwnerError a models.ErrConflict.
func (LastOwnerError) Unwrap() error { return models.ErrConflict }

// errInvitesOff: the service was built without an invitation store or a job queue.
var errInvitesOff = errors.New("staff invitations need an invite store and a job queue")

// Invite creates a staff member without a password and queues the email with a one-time link to
// set one, in the transaction ctx carries. An email that already has an account is a
// *models.ValidationError on "email" (in Russian: it goes to the admin form).
func (s *Service) Invite(ctx context.Context, email models.Email, displayName string, role models.Role, by uuid.UUID) (uuid.UUID, error) {
	if s.cfg.Invites == nil || s.cfg.Jobs == nil {
		return uuid.Nil, errInvitesOff
	}
	now := s.clock.Now()
	u, err := models.NewInvitedStaffUser(email, displayName, role, now)
	if err != nil {
		return uuid.Nil, err
	}
	err = s.inTx(ctx, func(ctx context.Context) error {
		if err := s.users.Create(ctx, u); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return &models.ValidationError{Field: "email", Message: "с этим адресом уже есть учётная запись"}
			}
			return err
		}
		return s.invite(ctx, u.ID, &by, now)
	})
	if err != nil {
		return uuid.Nil, err
	}
	return u.ID, nil
}

// ResendInvite replaces the open invitations of a staff member who has not set a password yet
// with a new one, and queues its email.
func (s *Service) ResendInvite(ctx context.Context, userID, by uuid.UUID) error {
	if s.cfg.Invites == nil || s.cfg.Jobs == nil {
		return errInvitesOff
	}
	now := s.clock.Now()
	return s.inTx(ctx, func(ctx context.Context) error {
		u, err := s.users.ByID(ctx, userID)
		if err != nil {
			return err
		}
		if !u.HasRole(models.StaffRoles...) || u.PasswordHash != nil || u.Status != models.UserActive {
			return fmt.Errorf("invite %s again: only an active staff member without a password: %w", userID, models.ErrInvalidTransition)
		}
		return s.invite(ctx, userID, &by, now)
	})
}

func (s *Service) invite(ctx context.Context, userID uuid.UUID, by *uuid.UUID, now time.Time) error {
	if err := s.cfg.Invites.RevokeOpen(ctx, userID, now); err != nil {
		return err
	}
	inv := models.NewStaffInvite(userID, by, now)
	if err := s.cfg.Invites.Create(ctx, inv); err != nil {
		return err
	}
	_, err := s.cfg.Jobs.Schedule(ctx, TaskInviteEmail, InviteEmailTask{InviteID: inv.ID}, time.Time{})
	return err
}

// Invitee is the staff member an invitation is for (models.ErrNotFound when it or they are gone).
func (s *Service) Invitee(ctx context.Context, inviteID uuid.UUID) (*models.User, error) {
	if s.cfg.Invites == nil {
		return nil, errInvitesOff
	}
	inv, err := s.cfg.Invites.ByID(ctx, inviteID)
	if err != nil {
		return nil, err
	}
	return s.users.ByID(ctx, inv.UserID)
}

// IssueInviteToken makes the token of an open invitation, just before it is emailed: only its hash
// is stored, and it replaces any token made for the invitation before (an email that failed).
// An invitation no longer open is models.ErrInviteInvalid.
func (s *Service) IssueInviteToken(ctx context.Context, inviteID uuid.UUID) (string, error) {
	if s.cfg.Invites == nil {
		return "", errInvitesOff
	}
	token, err := crypto.NewToken()
	if err != nil {
		return "", fmt.Errorf("invite token: %w", err)
	}
	now := s.clock.Now()
	err = s.cfg.Invites.Update(ctx, inviteID, "", func(i *models.StaffInvite) error {
		return i.SetTokenHash(inviteTokenHash(token), now)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func inviteTokenHash(token string) string { return crypto.HashToken("invite:" + token) }

// AcceptInvite sets the password of the invited staff member with the token from their email:
// once, within models.StaffInviteTTL, and only for the latest invitation. Any other token is
// models.ErrInviteInvalid. The password follows createadmin's rules (a *models.ValidationError on
// "password", in Russian: the panel shows it). The acceptance is audited; it signs nobody in.
func (s *Service) AcceptInvite(ctx context.Context, token, password, ip, userAgent string) error {
	if s.cfg.Invites == nil {
		return errInvitesOff
	}
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLen:
		return &models.ValidationError{Field: "password", Message: fmt.Sprintf("пароль должен быть не короче %d символов", MinPasswordLen)}
	case n > MaxPasswordLen:
		return &models.ValidationError{Field: "password", Message: fmt.Sprintf("пароль должен быть не длиннее %d символов", MaxPasswordLen)}
	}
	if token == "" {
		return models.ErrInviteInvalid
	}
	// Hashing a password costs: check the token first, and again, locked, when it is used.
	hash := inviteTokenHash(token)
	inv, err := s.cfg.Invites.ByTokenHash(ctx, hash)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return models.ErrInviteInvalid
	case err != nil:
		return err
	case !inv.Open(s.clock.Now()):
		return models.ErrInviteInvalid
	}
	userID := inv.UserID
	pwHash, err := crypto.HashPassword(password, s.cfg.Password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	now := s.clock.Now()
	return s.inTx(ctx, func(ctx context.Context) error {
		err := s.cfg.Invites.Update(ctx, uuid.Nil, hash, func(i *models.StaffInvite) error { return i.Use(now) })
		if errors.Is(err, models.ErrNotFound) {
			return models.ErrInviteInvalid
		}
		if err != nil {
			return err
		}
		var u *models.User
		err = s.users.Update(ctx, userID, func(user *models.User) error {
			if user.Status != models.UserActive || !user.HasRole(models.StaffRoles...) {
				return models.ErrInviteInvalid
			}
			u = user
			return user.SetPasswordHash(pwHash, now)
		})
		if err != nil {
			return err
		}
		return s.auditRecord(ctx, u, models.AuditActionUpdate, StaffAuditResource, u.ID.String(), ip, userAgent, now, "action:accept_invite")
	})
}

// SetStaffRole makes role the staff member's only staff role. Taking the owner role from the last
// active owner is a LastOwnerError.
func (s *Service) SetStaffRole(ctx context.Context, userID uuid.UUID, role models.Role) error {
	return s.inTx(ctx, func(ctx context.Context) error {
		owners, err := s.users.ActiveOwners(ctx)
		if err != nil {
			return err
		}
		return s.users.Update(ctx, userID, func(u *models.User) error {
			if !u.HasRole(models.StaffRoles...) || u.Status == models.UserDeleted {
				return fmt.Errorf("staff member %s: %w", userID, models.ErrNotFound)
			}
			if role != models.RoleOwner && lastOwner(owners, userID) {
				return LastOwnerError{}
			}
			return u.SetStaffRole(role, s.clock.Now())
		})
	})
}

// lastOwner reports whether id is the only active owner.
func lastOwner(owners []uuid.UUID, id uuid.UUID) bool {
	return len(owners) == 1 && owners[0] == id || len(owners) == 0
}

// Block stops a user from signing in and ends their sessions; blocking the last active owner is
// a LastOwnerError.
func (s *Service) Block(ctx context.Context, userID uuid.UUID) error {
	now := s.clock.Now()
	return s.inTx(ctx, func(ctx context.Context) error {
		owners, err := s.users.ActiveOwners(ctx)
		if err != nil {
			return err
		}
		err = s.users.Update(ctx, userID, func(u *models.User) error {
			if slices.Contains(owners, userID) && lastOwner(owners, userID) {
				return LastOwnerError{}
			}
			return u.Block(now)
		})
		if err != nil {
			return err
		}
		_, err = s.sessions.RevokeAll(ctx, userID, now)
		return err
	})
}

// Unblock lets a blocked user sign in again.
func (s *Service) Unblock(ctx context.Context, userID uuid.UUID) error {
	now := s.clock.Now()
	return s.users.Update(ctx, userID, func(u *models.User) error { return u.Unblock(now) })
}

// RevokeSession ends one session; one already ended is models.ErrInvalidTransition.
func (s *Service) RevokeSession(ctx context.Context, id uuid.UUID) error {
	sess, err := s.sessions.ByID(ctx, id)
	if err != nil {
		return err
	}
	if sess.RevokedAt != nil {
		return fmt.Errorf("revoke session %s: already ended: %w", id, models.ErrInvalidTransition)
	}
	sess.Revoke(s.clock.Now())
	return s.sessions.Revoke(ctx, sess)
}
