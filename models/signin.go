package models

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// This file: client accounts and the cabinet — one-time codes a client signs in with (or confirms
// a new email address with), and which side a session serves.

// SessionKind says whom a session serves: staff in the admin panel, or a client in the cabinet.
// A session of one kind is never accepted by the other side.
type SessionKind string

// Session kinds.
const (
	SessionStaff  SessionKind = "staff"
	SessionClient SessionKind = "client"
)

// NewClientSession starts a cabinet session for a client.
func NewClientSession(userID uuid.UUID, tokenHash string, ttl time.Duration, userAgent, ip string, now time.Time) *Session {
	s := NewSession(userID, tokenHash, ttl, userAgent, ip, now)
	s.Kind = SessionClient
	return s
}

// CodePurpose says what a one-time code proves.
type CodePurpose string

// Code purposes.
const (
	// CodeSignIn signs a client in; its key is the hash of the email it was sent to.
	CodeSignIn CodePurpose = "sign_in"
	// CodeEmailChange confirms a signed-in client's new email address; its key is the user id.
	CodeEmailChange CodePurpose = "email_change"
	// CodeDeleteAccount confirms a signed-in client's deletion of their account; its key is the
	// user id.
	CodeDeleteAccount CodePurpose = "delete_account"
	// CodeTelegramSignIn signs in a client who asked the Telegram bot for a sign-in link; its
	// code is a token of 32 random bytes. The key is the row id until the token is made, then the
	// token's hash, which the link is looked up by (IssueToken).
	CodeTelegramSignIn CodePurpose = "telegram_sign_in"
)

// TelegramSignInTTL is how long a sign-in link from the Telegram bot is valid.
const TelegramSignInTTL = 10 * time.Minute

// hasUser reports whether codes of the purpose belong to a user from the start.
func (p CodePurpose) hasUser() bool {
	return p == CodeEmailChange || p == CodeDeleteAccount || p == CodeTelegramSignIn
}

// CodeMaxAttempts is how many wrong codes a code takes before it is dead.
const CodeMaxAttempts = 5

// Code errors. A code that is wrong says so; one that is used, expired, replaced or was never
// requested is ErrCodeExpired; after CodeMaxAttempts wrong tries it is ErrCodeExhausted.
var (
	ErrCodeInvalid   = errors.New("wrong code")
	ErrCodeExpired   = errors.New("no valid code: request a new one")
	ErrCodeExhausted = errors.New("too many wrong codes: request a new one")
)

// OneTimeCode is a 6-digit code emailed to a client. Only a hash of the code is stored, made when
// the email goes out (the job queue never holds the code); the address it goes to is kept
// encrypted, so the table holds no address in clear, also of people who have no account. One row
// per purpose and key: a new code replaces the previous one.
type OneTimeCode struct {
	ID      uuid.UUID   `gorm:"primaryKey"`
	Purpose CodePurpose `gorm:"uniqueIndex:one_time_codes_key,priority:1"`
	// Key is what the code is looked up by: the email hash (sign-in) or the user id (email change).
	Key string `gorm:"uniqueIndex:one_time_codes_key,priority:2"`
	// UserID is the signed-in client who asked to change their email; nil for sign-in codes.
	UserID *uuid.UUID `gorm:"index:one_time_codes_user_idx"`
	// Email is the address the code is sent to (column sent_to, encrypted).
	Email string `gorm:"column:sent_to;serializer:fernet"`
	// CodeHash is set when the code is emailed; nil until then.
	CodeHash  *string
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time `gorm:"index:one_time_codes_expires_idx"`
	UsedAt    *time.Time
}

// NewOneTimeCode records that a code was asked for; it is made and emailed later (Issue).
func NewOneTimeCode(purpose CodePurpose, key string, userID *uuid.UUID, email Email, ttl time.Duration, now time.Time) (*OneTimeCode, error) {
	if key == "" || ttl <= 0 || purpose.hasUser() != (userID != nil) {
		return nil, fmt.Errorf("one-time code of %q: needs a key, a lifetime, and a user only for an email change, an account deletion or a Telegram sign-in", purpose)
	}
	return &OneTimeCode{
		ID: NewID(), Purpose: purpose, Key: key, UserID: userID, Email: string(email),
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}, nil
}

// Open reports whether the code may still be issued or tried.
func (c *OneTimeCode) Open(now time.Time) bool {
	return c.UsedAt == nil && now.Before(c.ExpiresAt) && c.Attempts < CodeMaxAttempts
}

// Issue stores the hash of the code being emailed; its lifetime runs from now. A code already
// used, expired or worn out is ErrCodeExpired.
func (c *OneTimeCode) Issue(hash string, ttl time.Duration, now time.Time) error {
	if !c.Open(now) {
		return ErrCodeExpired
	}
	c.CodeHash, c.ExpiresAt = &hash, now.Add(ttl)
	return nil
}

// NewTelegramSignIn records that the Telegram bot is sending user a sign-in link; its token is
// made when the link is sent (IssueToken).
func NewTelegramSignIn(userID uuid.UUID, now time.Time) *OneTimeCode {
	id := NewID()
	return &OneTimeCode{
		ID: id, Purpose: CodeTelegramSignIn, Key: id.String(), UserID: &userID,
		CreatedAt: now, ExpiresAt: now.Add(TelegramSignInTTL),
	}
}

// IssueToken stores the hashes of the Telegram sign-in token being sent: keyHash (what the token
// is looked up by) and hash (what a try is checked against); its lifetime runs from now. A code
// already used, expired or worn out is ErrCodeExpired.
func (c *OneTimeCode) IssueToken(keyHash, hash string, now time.Time) error {
	if c.Purpose != CodeTelegramSignIn {
		return fmt.Errorf("one-time code of %q: not a Telegram sign-in", c.Purpose)
	}
	if err := c.Issue(hash, TelegramSignInTTL, now); err != nil {
		return err
	}
	c.Key = keyHash
	return nil
}

// Try records one attempt whose code matched or not: a match uses the code up; a miss counts,
// and the CodeMaxAttempts-th miss kills it (ErrCodeExhausted). The caller saves c either way.
func (c *OneTimeCode) Try(match bool, now time.Time) error {
	switch {
	case c.UsedAt != nil || !now.Before(c.ExpiresAt):
		return ErrCodeExpired
	case c.Attempts >= CodeMaxAttempts:
		return ErrCodeExhausted
	case match && c.CodeHash != nil:
		c.UsedAt = &now
		return nil
	}
	c.Attempts++
	if c.Attempts >= CodeMaxAttempts {
		return ErrCodeExhausted
	}
	return ErrCodeInvalid
}

// ClientProfile is a change a client makes to their own profile: nil fields stay as they are; an
// empty phone or time zone clears it.
type ClientProfile struct {
	DisplayName *string
	Phone       *string
	TimeZone    *string
}

// clientNameMaxChars bounds the name a client gives themselves.
const clientNameMaxChars = 200

// SetProfile applies a client's change of their name, phone or time zone (an IANA name). Nothing
// changes when any field is invalid.
func (u *User) SetProfile(p ClientProfile, now time.Time) error {
	if u.Status != UserActive {
		return fmt.Errorf("change profile of %s user: %w", u.Status, ErrInvalidTransition)
	}
	if p.DisplayName != nil && len([]rune(*p.DisplayName)) > clientNameMaxChars {
		return &ValidationError{Field: "name", Message: fmt.Sprintf("must be at most %d characters", clientNameMaxChars)}
	}
	var phone *Phone
	if p.Phone != nil && *p.Phone != "" {
		parsed, err := ParsePhone(*p.Phone)
		if err != nil {
			return err
		}
		phone = &parsed
	}
	var zone *string
	if p.TimeZone != nil && *p.TimeZone != "" {
		if err := bookingZone("time_zone", *p.TimeZone); err != nil {
			return err
		}
		z := *p.TimeZone
		zone = &z
	}
	if p.DisplayName != nil {
		u.DisplayName = *p.DisplayName
	}
	if p.Phone != nil {
		u.Phone = phone
	}
	if p.TimeZone != nil {
		u.TimeZone = zone
	}
	u.UpdatedAt = now
	return nil
}

// ChangeEmail switches the user's address (after it was confirmed with a code).
func (u *User) ChangeEmail(email Email, now time.Time) error {
	if u.Status != UserActive {
		return fmt.Errorf("change email of %s user: %w", u.Status, ErrInvalidTransition)
	}
	u.Email = &email
	u.UpdatedAt = now
	return nil
}

// Throttle scopes of one-time codes: requests per email address (its hash) and per client address.
const (
	ThrottleCodeEmail ThrottleScope = "code_email"
	ThrottleCodeIP    ThrottleScope = "code_ip"
)

// ErrEmailTaken refuses an email change to an address of another account. It says no more, and
// only to a client who proved they read that address's mail.
var ErrEmailTaken = fmt.Errorf("the email address cannot be used: %w", ErrConflict)

// CanSignInAsClient reports whether the user may open a cabinet session: an active client who is
// not staff (staff sign in to the admin panel).
func (u *User) CanSignInAsClient() error {
	if u.Status != UserActive {
		return ErrAccountDisabled
	}
	if u.StaffRole() != "" || !u.HasRole(RoleClient) {
		return ErrInvalidCredentials
	}
	return nil
}
