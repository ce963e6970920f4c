package models

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Staff accounts the owner manages from the admin panel: invitations, role changes.

// StaffInviteTTL is how long an invitation link can be used.
const StaffInviteTTL = 72 * time.Hour

// ErrInviteInvalid means an invitation token that is unknown, used, revoked or expired.
var ErrInviteInvalid = errors.New("invitation invalid or expired")

// NewInvitedStaffUser creates a staff member who has no password yet: they set one through the
// invitation emailed to them, and cannot sign in before.
func NewInvitedStaffUser(email Email, displayName string, role Role, now time.Time) (*User, error) {
	if !role.IsStaff() {
		return nil, &ValidationError{Field: "role", Message: "must be owner, assistant or editor"}
	}
	u := newUser(displayName, now)
	u.Email = &email
	u.Roles = []UserRole{{UserID: u.ID, Role: role, GrantedAt: now}}
	return u, nil
}

// StaffRole is the user's highest staff role (owner, then assistant, then editor), or "" when
// they hold none.
func (u *User) StaffRole() Role {
	for _, r := range StaffRoles {
		if u.HasRole(r) {
			return r
		}
	}
	return ""
}

// SetStaffRole makes role the user's only staff role; other roles (client) stay.
func (u *User) SetStaffRole(role Role, now time.Time) error {
	if !role.IsStaff() {
		return &ValidationError{Field: "role", Message: "must be owner, assistant or editor"}
	}
	if u.Status == UserDeleted {
		return fmt.Errorf("change role of deleted user: %w", ErrInvalidTransition)
	}
	if !u.HasRole(StaffRoles...) {
		return fmt.Errorf("user %s is not staff: %w", u.ID, ErrInvalidTransition)
	}
	if len(u.Roles) == 1 && u.Roles[0].Role == role {
		return nil
	}
	kept := u.Roles[:0]
	for _, r := range u.Roles {
		if !r.Role.IsStaff() {
			kept = append(kept, r)
		}
	}
	u.Roles = append(kept, UserRole{UserID: u.ID, Role: role, GrantedAt: now})
	u.UpdatedAt = now
	return nil
}

// StaffInvite is a one-time invitation for a staff member to set their password. Only the hash
// of its token is stored, and only once the email with the token has been sent.
type StaffInvite struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	UserID    uuid.UUID `gorm:"index:staff_invites_user_idx"`
	TokenHash *string   `gorm:"uniqueIndex:staff_invites_token_hash_key"`
	InvitedBy *uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// NewStaffInvite invites userID on behalf of by (nil: the system), valid StaffInviteTTL.
func NewStaffInvite(userID uuid.UUID, by *uuid.UUID, now time.Time) *StaffInvite {
	now = now.UTC()
	return &StaffInvite{ID: NewID(), UserID: userID, InvitedBy: by, CreatedAt: now, ExpiresAt: now.Add(StaffInviteTTL)}
}

// Open reports whether the invitation can still be used at now.
func (i *StaffInvite) Open(now time.Time) bool {
	return i.UsedAt == nil && i.RevokedAt == nil && now.Before(i.ExpiresAt)
}

// SetTokenHash stores the hash of the token about to be emailed; a new token replaces the last.
func (i *StaffInvite) SetTokenHash(hash string, now time.Time) error {
	if hash == "" {
		return &ValidationError{Field: "token", Message: "is required"}
	}
	if !i.Open(now) {
		return fmt.Errorf("token for invitation %s: %w", i.ID, ErrInviteInvalid)
	}
	i.TokenHash = &hash
	return nil
}

// Use spends the invitation; a used, revoked or expired one is ErrInviteInvalid.
func (i *StaffInvite) Use(now time.Time) error {
	if !i.Open(now) || i.TokenHash == nil {
		return fmt.Errorf("use invitation %s: %w", i.ID, ErrInviteInvalid)
	}
	now = now.UTC()
	i.UsedAt = &now
	return nil
}

// Revoke ends an invitation that was not used (a newer one replaces it); revoking twice changes
// nothing.
func (i *StaffInvite) Revoke(now time.Time) {
	if i.UsedAt == nil && i.RevokedAt == nil {
		now = now.UTC()
		i.RevokedAt = &now
	}
}
