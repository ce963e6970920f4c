package identity

import (
	"context"

	"github.com/google/uuid"

	"balance/models"
)

// This file: client accounts and the cabinet — the code that confirms a client's deletion of their
// account (the deletion itself is service/erasure's).

// RequestDeletionCode emails a code to the signed-in client u's address that, given back with
// DELETE /api/v1/me, confirms the deletion of their account. Same throttles and lifetime as the
// sign-in codes; a new request replaces the earlier code.
func (c *Clients) RequestDeletionCode(ctx context.Context, u *models.User, ip string) error {
	if u.Email == nil {
		return &models.ValidationError{Field: "email", Message: "the account has no email address to send the code to"}
	}
	return c.requestCode(ctx, models.CodeDeleteAccount, u.ID.String(), &u.ID, *u.Email, ip)
}

// ConfirmDeletionCode uses up the client's deletion code if code is it (attempts are counted as
// for sign-in codes) and returns its row, which keeps the address the code went to (encrypted).
// A wrong code is models.ErrCodeInvalid (models.ErrCodeExhausted at the last attempt); none,
// used or expired is models.ErrCodeExpired.
func (c *Clients) ConfirmDeletionCode(ctx context.Context, userID uuid.UUID, code string) (*models.OneTimeCode, error) {
	return c.try(ctx, models.CodeDeleteAccount, userID.String(), code)
}

// SignInCodeKey is what the sign-in codes and their throttle of email are keyed by, so that an
// erasure can forget them.
func SignInCodeKey(email models.Email) string { return emailKey(email) }
