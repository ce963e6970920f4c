package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/identity"
)

// staffNameMaxLen bounds a staff member's display name, in characters.
const staffNameMaxLen = 200

// accounts is the identity port, or ErrNotAvailable without one.
func accounts(c *Call, what string) (Accounts, error) {
	if c.Accounts == nil {
		return nil, fmt.Errorf("%s: %w", what, ErrNotAvailable)
	}
	return c.Accounts, nil
}

// lastOwner turns the identity's refusal to leave the practice without an owner into a 409 the
// form shows beside field.
func lastOwner(err error, field string) error {
	if errors.As(err, new(identity.LastOwnerError)) {
		return &Refusal{Field: field, Message: "нельзя лишить практику последнего владельца: сначала назначьте владельцем другого сотрудника"}
	}
	return err
}

// staffRole reads the role field: one of the staff roles.
func staffRole(in *Input) models.Role {
	role := models.Role(in.String("role"))
	if in.Has("role") && !role.IsStaff() {
		in.fail("role", "должна быть одной из ролей: владелец, ассистент, редактор")
	}
	return role
}

// staffWriter invites staff members and changes their role; they are never deleted (their
// actions stay in the audit log): access is disabled instead.
type staffWriter struct{}

// Create invites a staff member: an account without a password and an email with a one-time link
// to set one.
func (staffWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in := c.In
	in.Require("email", "display_name", "role")
	email, err := models.ParseEmail(in.String("email"))
	if in.Has("email") && err != nil {
		in.fail("email", "должен быть адресом электронной почты")
	}
	name := strings.TrimSpace(in.String("display_name"))
	if in.Has("display_name") && name == "" {
		in.fail("display_name", "обязательное поле")
	}
	if utf8.RuneCountInString(name) > staffNameMaxLen {
		in.fail("display_name", fmt.Sprintf("не длиннее %d символов", staffNameMaxLen))
	}
	role := staffRole(in)
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	acc, err := accounts(c, "invite staff")
	if err != nil {
		return uuid.Nil, err
	}
	return acc.Invite(ctx, email, name, role, c.Actor.UserID)
}

// Update changes the staff member's role (the other fields are set by the invitation and by the
// member). Taking the owner role from the last owner is a 409.
func (staffWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	in := c.In
	in.Require("role")
	role := staffRole(in)
	if err := in.Err(); err != nil {
		return err
	}
	acc, err := accounts(c, "change staff role")
	if err != nil {
		return err
	}
	return lastOwner(acc.SetStaffRole(ctx, id, role), "role")
}

func (staffWriter) Delete(context.Context, *Call, uuid.UUID) error { return models.ErrForbidden }

// blockUser stops a client or a staff member from signing in and ends their sessions; the last
// owner cannot be blocked.
func blockUser(ctx context.Context, c *Call, id uuid.UUID) error {
	acc, err := accounts(c, "block user")
	if err != nil {
		return err
	}
	return lastOwner(acc.Block(ctx, id), "status")
}

func unblockUser(ctx context.Context, c *Call, id uuid.UUID) error {
	acc, err := accounts(c, "unblock user")
	if err != nil {
		return err
	}
	return acc.Unblock(ctx, id)
}

// resendInvite sends a staff member who has not set a password yet a new invitation; the links
// sent before stop working.
func resendInvite(ctx context.Context, c *Call, id uuid.UUID) error {
	acc, err := accounts(c, "resend invitation")
	if err != nil {
		return err
	}
	err = acc.ResendInvite(ctx, id, c.Actor.UserID)
	if errors.Is(err, models.ErrInvalidTransition) {
		return &Refusal{Field: "password_set", Message: "сотрудник уже задал пароль: приглашение не нужно"}
	}
	return err
}

// revokeSession ends a staff session.
func revokeSession(ctx context.Context, c *Call, id uuid.UUID) error {
	acc, err := accounts(c, "revoke session")
	if err != nil {
		return err
	}
	err = acc.RevokeSession(ctx, id)
	if errors.Is(err, models.ErrInvalidTransition) {
		return &Refusal{Field: "revoked_at", Message: "сеанс уже завершён"}
	}
	return err
}
