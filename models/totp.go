package models

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// TOTP errors.
var (
	// ErrTOTPRequired means the session has passed the password but not yet the second factor.
	ErrTOTPRequired = errors.New("second factor required")
	// ErrInvalidTOTPCode means the code (or recovery code) is wrong, expired or already used.
	ErrInvalidTOTPCode = errors.New("invalid or used code")
	// ErrTOTPEnrolled means the account already has an active second factor.
	ErrTOTPEnrolled = errors.New("two-factor sign-in already enrolled")
	// ErrTOTPNotEnrolled means there is no (pending or active) second factor to use or confirm.
	ErrTOTPNotEnrolled = errors.New("two-factor sign-in not enrolled")
)

// TOTPStep is the length of one time step of a TOTP code (RFC 6238's default).
const TOTPStep = 30 * time.Second

// RecoveryCodeCount is how many recovery codes an enrolment hands out.
const RecoveryCodeCount = 10

// TOTPFactor is a staff member's authenticator (RFC 6238). The shared secret is stored
// Fernet-encrypted; the factor guards sign-in only once confirmed with a first valid code.
type TOTPFactor struct {
	UserID uuid.UUID `gorm:"primaryKey"`
	// Secret is the base32 shared secret.
	Secret      string `gorm:"serializer:fernet"`
	ConfirmedAt *time.Time
	// LastUsedStep is the time step (Unix time / TOTPStep) of the last accepted code: a code of
	// this step or an earlier one is never accepted again.
	LastUsedStep int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewTOTPFactor starts an unconfirmed factor with secret.
func NewTOTPFactor(userID uuid.UUID, secret string, now time.Time) *TOTPFactor {
	return &TOTPFactor{UserID: userID, Secret: secret, CreatedAt: now, UpdatedAt: now}
}

// Active reports whether the factor is confirmed, so that sign-in requires it.
func (f *TOTPFactor) Active() bool { return f != nil && f.ConfirmedAt != nil }

// TOTPStepAt is the time step of t.
func TOTPStepAt(t time.Time) int64 { return t.Unix() / int64(TOTPStep/time.Second) }

// RecoveryCode is one single-use recovery code of a staff member; only its SHA-256 is stored.
type RecoveryCode struct {
	ID       uuid.UUID `gorm:"primaryKey"`
	UserID   uuid.UUID `gorm:"index:recovery_codes_user_idx"`
	CodeHash string
	UsedAt   *time.Time
	// CreatedAt is when the set the code belongs to was handed out.
	CreatedAt time.Time
}
