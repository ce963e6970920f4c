package identity

// This file lets a signed-in client see their consents and withdraw the ones that can be
// withdrawn without closing the account.

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"balance/models"
)

// ErrConsentNeedsDeletion: the personal-data consent is what the account stands on; it is
// withdrawn by deleting the account.
var ErrConsentNeedsDeletion = errors.New("the personal data consent is withdrawn by deleting the account")

// Consents returns the client's consents, oldest first: every grant, revoked or not.
func (c *Clients) Consents(ctx context.Context, userID uuid.UUID) ([]models.Consent, error) {
	u, err := c.s.users.ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	return u.Consents, nil
}

// RevokeConsent withdraws the client's consent of type t (communications or telegram) at once:
// messages consult the consent when they are sent, so none goes out after this, queued or not.
// Withdrawing a consent not in force changes nothing. It returns the consents afterwards.
func (c *Clients) RevokeConsent(ctx context.Context, userID uuid.UUID, t models.ConsentType) ([]models.Consent, error) {
	switch t {
	case models.ConsentCommunications, models.ConsentTelegram:
	case models.ConsentPersonalData:
		return nil, ErrConsentNeedsDeletion
	default:
		return nil, &models.ValidationError{Field: "type", Message: "must be communications or telegram"}
	}
	var out []models.Consent
	err := c.s.users.Update(ctx, userID, func(u *models.User) error {
		if u.ActiveConsent(t) != nil {
			if err := u.RevokeConsent(t, c.s.clock.Now().UTC()); err != nil {
				return err
			}
		}
		out = u.Consents
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("revoke %s consent of client %s: %w", t, userID, err)
	}
	return out, nil
}
