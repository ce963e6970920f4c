package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
)

// This file: client accounts and the cabinet — sign-in from Telegram. The bot records a
// models.CodeTelegramSignIn row for a linked client who sends /login; the reply job mints the
// link's token when it sends it (IssueTelegramSignIn), so neither the job queue nor any table
// holds the token in clear; the site exchanges it for a session (VerifyTelegram).

// IssueTelegramSignIn makes the token of the Telegram sign-in link of the job, storing only its
// hashes; it is valid for models.TelegramSignInTTL from now. A link no longer open (used, expired,
// cleaned up) is models.ErrCodeExpired or models.ErrNotFound. A retried job issues a new token,
// and the old one, never delivered, stops working.
func (c *Clients) IssueTelegramSignIn(ctx context.Context, codeID uuid.UUID) (string, error) {
	token, err := crypto.NewToken()
	if err != nil {
		return "", err
	}
	now := c.s.clock.Now()
	err = c.codes.Update(ctx, codeID, "", "", func(row *models.OneTimeCode) error {
		return row.IssueToken(crypto.HashToken(token), codeHash(row, token), now)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// VerifyTelegram signs a client in with the token of a link the Telegram bot sent and starts a
// client session, as Verify does (the session of previousToken is ended). A token that is
// unknown, used or expired is models.ErrCodeExpired; so is one of an account that may no longer
// use the cabinet (staff, blocked) or is gone.
func (c *Clients) VerifyTelegram(ctx context.Context, token, previousToken, ip, userAgent string) (*SignIn, error) {
	row, err := c.try(ctx, models.CodeTelegramSignIn, crypto.HashToken(token), token)
	if err != nil {
		return nil, err
	}
	if row.UserID == nil {
		return nil, fmt.Errorf("telegram sign-in %s has no user: %w", row.ID, models.ErrCodeExpired)
	}
	u, err := c.s.users.ByID(ctx, *row.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, models.ErrCodeExpired
	}
	if err != nil {
		return nil, err
	}
	in, err := c.open(ctx, u, previousToken, ip, userAgent, stepTelegramLink)
	if errors.Is(err, models.ErrCodeInvalid) {
		return nil, models.ErrCodeExpired
	}
	return in, err
}
