package models_test

import (
	"errors"
	"fmt"
	"testing"

	"balance/models"
)

func TestValidationError(t *testing.T) {
	t.Parallel()
	err := error(&models.ValidationError{Field: "email", Message: "is required"})
	if got, want := err.Error(), "email: is required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ve *models.ValidationError
	if !errors.As(fmt.Errorf("create user: %w", err), &ve) || ve.Field != "email" {
		t.Errorf("errors.As through a wrap failed: %v", ve)
	}
}

func TestConstraintError(t *testing.T) {
	t.Parallel()
	sentinels := []error{models.ErrConflict, models.ErrInvalidReference, models.ErrSlotTaken}
	tests := []struct {
		err  *models.ConstraintError
		want string
	}{
		{&models.ConstraintError{Kind: models.ErrConflict}, "conflict"},
		{&models.ConstraintError{Kind: models.ErrConflict, Constraint: "users_email_key"}, "conflict (users_email_key)"},
		{&models.ConstraintError{Kind: models.ErrInvalidReference, Constraint: "user_id"}, "invalid reference (user_id)"},
		{&models.ConstraintError{Kind: models.ErrSlotTaken, Constraint: "appointments_no_overlap"}, "slot taken (appointments_no_overlap)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if tt.err.Unwrap() != tt.err.Kind {
			t.Errorf("Unwrap() = %v, want %v", tt.err.Unwrap(), tt.err.Kind)
		}
		wrapped := fmt.Errorf("save: %w", tt.err)
		for _, s := range sentinels {
			if got, want := errors.Is(wrapped, s), s == tt.err.Kind; got != want {
				t.Errorf("errors.Is(%q, %v) = %v, want %v", wrapped, s, got, want)
			}
		}
	}
}

// TestDomainErrorsAreDistinct guards the HTTP error table: each sentinel must map on its own.
func TestDomainErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	all := []error{
		models.ErrNotFound, models.ErrConflict, models.ErrInvalidReference, models.ErrSlotTaken,
		models.ErrInvalidTransition, models.ErrInvalidCredentials, models.ErrUnauthenticated,
		models.ErrForbidden, models.ErrAccountDisabled,
	}
	seen := map[string]bool{}
	for i, a := range all {
		if seen[a.Error()] {
			t.Errorf("two domain errors read %q", a)
		}
		seen[a.Error()] = true
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = true", a, b)
			}
		}
	}
}
