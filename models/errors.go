package models

import "errors"

// Domain errors. Callers test them with errors.Is; the HTTP layer maps each to one status.
var (
	// ErrNotFound means the record does not exist (or is not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value is already taken or a concurrent edit won.
	ErrConflict = errors.New("conflict")
	// ErrInvalidReference means a referenced record does not exist.
	ErrInvalidReference = errors.New("invalid reference")
	// ErrSlotTaken means the time range overlaps an active appointment.
	ErrSlotTaken = errors.New("slot taken")
	// ErrInvalidTransition means the aggregate cannot move to the requested state from its current one.
	ErrInvalidTransition = errors.New("invalid state transition")
	// ErrInvalidCredentials means the email or password is wrong; deliberately does not say which.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrUnauthenticated means there is no valid session.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller is authenticated but lacks the role.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable means the database cannot be reached, or is starting up or shutting down: a
	// passing condition, so the same request may succeed a few seconds later.
	ErrUnavailable = errors.New("database unavailable")
	// ErrInvalidText means a text value is not valid UTF-8 or holds a NUL byte, which PostgreSQL
	// refuses to store. The HTTP edge refuses such input first; this is the database's own word.
	ErrInvalidText = errors.New("text is not valid UTF-8 or holds a NUL byte")
)

// ValidationError is a bad input value, named by field.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// ConstraintError is a database constraint violation translated to a domain error.
// Kind is one of ErrConflict, ErrInvalidReference or ErrSlotTaken; Constraint names the
// violated constraint or column when the database reports it.
type ConstraintError struct {
	Kind       error
	Constraint string
}

func (e *ConstraintError) Error() string {
	if e.Constraint == "" {
		return e.Kind.Error()
	}
	return e.Kind.Error() + " (" + e.Constraint + ")"
}

func (e *ConstraintError) Unwrap() error { return e.Kind }
