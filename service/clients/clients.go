// Package clients records the site's clients: the account a form's email names, found or created,
// with the consents given in the form. Booking and the CRM's lead capture share it, so a consent
// given in either lands on the same account the same way.
package clients

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// Users is what recording a client needs of the user store; *repository.Users is one.
type Users interface {
	ByEmail(ctx context.Context, email models.Email) (*models.User, error)
	Create(ctx context.Context, u *models.User) error
	Update(ctx context.Context, id uuid.UUID, fn func(*models.User) error) error
}

// Consent is one consent given in a form, with the version of the text the client saw.
type Consent struct {
	Type    models.ConsentType
	Version string
}

// Record finds the live user with email, or creates a client named name, and grants the consents
// given through source. A blocked or deleted account is models.ErrForbidden (wrapped).
func Record(ctx context.Context, users Users, email models.Email, name string, consents []Consent, source string, now time.Time) (*models.User, error) {
	grant := func(u *models.User) error {
		for _, k := range consents {
			if err := u.GrantConsent(k.Type, k.Version, source, now); err != nil {
				return err
			}
		}
		return nil
	}
	u, err := users.ByEmail(ctx, email)
	switch {
	case errors.Is(err, models.ErrNotFound):
		u = models.NewClientUser(email, name, now)
		if err := grant(u); err != nil {
			return nil, err
		}
		if err := users.Create(ctx, u); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if u.Status != models.UserActive {
			return nil, fmt.Errorf("record a client of a %s account: %w", u.Status, models.ErrForbidden)
		}
		if err := users.Update(ctx, u.ID, grant); err != nil {
			return nil, err
		}
	}
	return u, nil
}
