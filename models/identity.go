package models

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// NewID returns a new UUID v7: time-ordered, so primary-key indexes stay compact.
func NewID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

// Role is what a user may do. Staff roles sign in to the admin panel; client is the site's user.
type Role string

// The roles of the server-side access matrix.
const (
	RoleOwner     Role = "owner"
	RoleAssistant Role = "assistant"
	RoleEditor    Role = "editor"
	RoleClient    Role = "client"
)

// StaffRoles are the roles that may sign in to the admin panel.
var StaffRoles = []Role{RoleOwner, RoleAssistant, RoleEditor}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if r == RoleClient || r.IsStaff() {
		return r, nil
	}
	return "", &ValidationError{Field: "role", Message: fmt.Sprintf("must be one of owner, assistant, editor, client; got %q", s)}
}

// IsStaff reports whether r is an admin-panel role.
func (r Role) IsStaff() bool { return slices.Contains(StaffRoles, r) }

// UserStatus is the lifecycle state of a user.
type UserStatus string

// User statuses.
const (
	UserActive  UserStatus = "active"
	UserBlocked UserStatus = "blocked"
	UserDeleted UserStatus = "deleted"
)

// ErrAccountDisabled means the user is blocked or deleted and may not sign in.
var ErrAccountDisabled = errors.New("account disabled")

// User is the identity aggregate: a client or a staff member, with roles and consent history.
type User struct {
	ID               uuid.UUID `gorm:"primaryKey"`
	Email            *Email    `gorm:"uniqueIndex:users_email_key,where:deleted_at IS NULL"`
	Phone            *Phone    `gorm:"uniqueIndex:users_phone_key,where:deleted_at IS NULL"`
	TelegramUserID   *string   `gorm:"uniqueIndex:users_telegram_user_id_key,where:deleted_at IS NULL"`
	TelegramUsername *string
	DisplayName      string
	// TimeZone is the IANA zone the client reads times in (set in the cabinet); nil when unset.
	TimeZone *string
	// PasswordHash is an argon2id PHC string; only staff have one.
	PasswordHash *string
	Status       UserStatus `gorm:"index:users_status_idx"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    gorm.DeletedAt

	Roles    []UserRole `gorm:"foreignKey:UserID"`
	Consents []Consent  `gorm:"foreignKey:UserID"`

	Recorder `gorm:"-"`
}

// ConsentChanged is recorded when a user grants or revokes a consent.
type ConsentChanged struct {
	EventMeta
	Type    ConsentType `json:"consent_type"`
	Granted bool        `json:"granted"`
	Version string      `json:"version"`
	Source  string      `json:"source,omitempty"`
}

// EventName implements Event.
func (ConsentChanged) EventName() string { return "consent.changed" }

// UserRole grants one role to one user.
type UserRole struct {
	UserID    uuid.UUID `gorm:"primaryKey"`
	Role      Role      `gorm:"primaryKey;index:user_roles_role_idx"`
	GrantedAt time.Time
}

// NewStaffUser creates a staff member who signs in with a password.
func NewStaffUser(email Email, displayName string, role Role, passwordHash string, now time.Time) (*User, error) {
	if !role.IsStaff() {
		return nil, &ValidationError{Field: "role", Message: "must be owner, assistant or editor"}
	}
	if passwordHash == "" {
		return nil, &ValidationError{Field: "password", Message: "is required"}
	}
	u := newUser(displayName, now)
	u.Email = &email
	u.PasswordHash = &passwordHash
	u.Roles = []UserRole{{UserID: u.ID, Role: role, GrantedAt: now}}
	return u, nil
}

// NewClientUser creates a client known by email, without a password.
func NewClientUser(email Email, displayName string, now time.Time) *User {
	u := newUser(displayName, now)
	u.Email = &email
	u.Roles = []UserRole{{UserID: u.ID, Role: RoleClient, GrantedAt: now}}
	return u
}

func newUser(displayName string, now time.Time) *User {
	return &User{ID: NewID(), DisplayName: displayName, Status: UserActive, CreatedAt: now, UpdatedAt: now}
}

// HasRole reports whether the user holds any of roles.
func (u *User) HasRole(roles ...Role) bool {
	for _, r := range u.Roles {
		if slices.Contains(roles, r.Role) {
			return true
		}
	}
	return false
}

// RoleNames lists the user's roles in a stable order.
func (u *User) RoleNames() []Role {
	out := make([]Role, 0, len(u.Roles))
	for _, r := range u.Roles {
		out = append(out, r.Role)
	}
	slices.Sort(out)
	return out
}

// GrantRole adds a role; granting a held role changes nothing.
func (u *User) GrantRole(role Role, now time.Time) error {
	if u.Status == UserDeleted {
		return fmt.Errorf("grant role to deleted user: %w", ErrInvalidTransition)
	}
	if u.HasRole(role) {
		return nil
	}
	u.Roles = append(u.Roles, UserRole{UserID: u.ID, Role: role, GrantedAt: now})
	u.UpdatedAt = now
	return nil
}

// SetPasswordHash replaces the staff password hash.
func (u *User) SetPasswordHash(hash string, now time.Time) error {
	if hash == "" {
		return &ValidationError{Field: "password", Message: "is required"}
	}
	u.PasswordHash = &hash
	u.UpdatedAt = now
	return nil
}

// CanSignIn reports whether the user may start a staff session.
func (u *User) CanSignIn() error {
	if u.Status != UserActive {
		return ErrAccountDisabled
	}
	if u.PasswordHash == nil || !u.HasRole(StaffRoles...) {
		return ErrInvalidCredentials
	}
	return nil
}

// Block stops an active user from signing in.
func (u *User) Block(now time.Time) error {
	if u.Status != UserActive {
		return fmt.Errorf("block %s user: %w", u.Status, ErrInvalidTransition)
	}
	u.Status = UserBlocked
	u.UpdatedAt = now
	return nil
}

// Unblock lets a blocked user sign in again.
func (u *User) Unblock(now time.Time) error {
	if u.Status != UserBlocked {
		return fmt.Errorf("unblock %s user: %w", u.Status, ErrInvalidTransition)
	}
	u.Status = UserActive
	u.UpdatedAt = now
	return nil
}

// MarkDeleted soft-deletes the user; the row stays for the audit trail.
func (u *User) MarkDeleted(now time.Time) error {
	if u.Status == UserDeleted {
		return fmt.Errorf("delete deleted user: %w", ErrInvalidTransition)
	}
	u.Status = UserDeleted
	u.DeletedAt = gorm.DeletedAt{Time: now, Valid: true}
	u.UpdatedAt = now
	return nil
}

// ConsentType is what the user agreed to.
type ConsentType string

// Consent types.
const (
	ConsentPersonalData      ConsentType = "personal_data"
	ConsentCommunications    ConsentType = "communications"
	ConsentTelegram          ConsentType = "telegram"
	ConsentReviewPublication ConsentType = "review_publication"
)

// ParseConsentType validates a consent type name.
func ParseConsentType(s string) (ConsentType, error) {
	switch t := ConsentType(s); t {
	case ConsentPersonalData, ConsentCommunications, ConsentTelegram, ConsentReviewPublication:
		return t, nil
	}
	return "", &ValidationError{Field: "consent_type", Message: fmt.Sprintf("unknown consent type %q", s)}
}

// Consent is one decision of a user about one consent type. Rows are never overwritten: a new
// decision appends a row; revoking stamps RevokedAt on the active grant once.
type Consent struct {
	ID        uuid.UUID   `gorm:"primaryKey"`
	UserID    uuid.UUID   `gorm:"index:consents_user_type_idx,priority:1;uniqueIndex:consents_one_active_key,priority:1,where:granted AND revoked_at IS NULL"`
	Type      ConsentType `gorm:"column:consent_type;index:consents_user_type_idx,priority:2;uniqueIndex:consents_one_active_key,priority:2"`
	Granted   bool
	Version   string
	Source    string
	GrantedAt time.Time `gorm:"index:consents_user_type_idx,priority:3"`
	RevokedAt *time.Time
}

// Active reports whether the consent currently holds.
func (c *Consent) Active() bool { return c.Granted && c.RevokedAt == nil }

// ActiveConsent returns the grant of type t that holds now, or nil.
func (u *User) ActiveConsent(t ConsentType) *Consent {
	for i := len(u.Consents) - 1; i >= 0; i-- {
		if c := &u.Consents[i]; c.Type == t && c.Active() {
			return c
		}
	}
	return nil
}

// GrantConsent records that the user agreed to version of consent type t through source.
// Agreeing again to the version already in force changes nothing; a new version revokes the old grant.
func (u *User) GrantConsent(t ConsentType, version, source string, now time.Time) error {
	if u.Status == UserDeleted {
		return fmt.Errorf("grant consent of deleted user: %w", ErrInvalidTransition)
	}
	if _, err := ParseConsentType(string(t)); err != nil {
		return err
	}
	if version == "" {
		return &ValidationError{Field: "version", Message: "is required"}
	}
	if source == "" {
		return &ValidationError{Field: "source", Message: "is required"}
	}
	if active := u.ActiveConsent(t); active != nil {
		if active.Version == version {
			return nil
		}
		active.RevokedAt = &now
	}
	u.Consents = append(u.Consents, Consent{
		ID: NewID(), UserID: u.ID, Type: t, Granted: true, Version: version, Source: source, GrantedAt: now,
	})
	u.UpdatedAt = now
	u.Record(ConsentChanged{EventMeta: NewEventMeta(u.ID, now), Type: t, Granted: true, Version: version, Source: source})
	return nil
}

// RevokeConsent withdraws the active grant of type t.
func (u *User) RevokeConsent(t ConsentType, now time.Time) error {
	active := u.ActiveConsent(t)
	if active == nil {
		return fmt.Errorf("revoke %s consent that is not granted: %w", t, ErrInvalidTransition)
	}
	active.RevokedAt = &now
	u.UpdatedAt = now
	u.Record(ConsentChanged{EventMeta: NewEventMeta(u.ID, now), Type: t, Granted: false, Version: active.Version})
	return nil
}

// Session is a server-side session of staff or of a client (Kind). Only the SHA-256 of its token is stored.
type Session struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	UserID     uuid.UUID `gorm:"index:sessions_user_idx"`
	TokenHash  string
	CreatedAt  time.Time
	ExpiresAt  time.Time `gorm:"index:sessions_expires_idx"`
	LastSeenAt time.Time
	UserAgent  string
	IP         string
	RevokedAt  *time.Time
	// MFAPending marks a session whose password was right but whose second factor is still due:
	// it may only complete the sign-in (a TOTP code, or enrolment).
	MFAPending bool `gorm:"column:mfa_pending"`
	// Kind says whom the session serves: staff (the admin panel) or a client (the cabinet).
	Kind SessionKind `gorm:"default:staff"`
}

// sessionTouchEvery limits how often LastSeenAt is written, so every request is not a DB write.
const sessionTouchEvery = time.Minute

// NewSession starts a session for userID that ends at now+ttl at the latest.
func NewSession(userID uuid.UUID, tokenHash string, ttl time.Duration, userAgent, ip string, now time.Time) *Session {
	return &Session{
		ID: NewID(), UserID: userID, TokenHash: tokenHash,
		CreatedAt: now, ExpiresAt: now.Add(ttl), LastSeenAt: now,
		UserAgent: truncate(userAgent, 512), IP: ip, Kind: SessionStaff,
	}
}

// NewPendingSession starts a short session that may only complete a sign-in with a second factor.
func NewPendingSession(userID uuid.UUID, tokenHash string, ttl time.Duration, userAgent, ip string, now time.Time) *Session {
	s := NewSession(userID, tokenHash, ttl, userAgent, ip, now)
	s.MFAPending = true
	return s
}

// Check returns ErrUnauthenticated when the session is revoked, past its absolute expiry or idle
// for longer than idleTimeout.
func (s *Session) Check(now time.Time, idleTimeout time.Duration) error {
	switch {
	case s.RevokedAt != nil:
		return fmt.Errorf("session revoked: %w", ErrUnauthenticated)
	case !now.Before(s.ExpiresAt):
		return fmt.Errorf("session expired: %w", ErrUnauthenticated)
	case now.Sub(s.LastSeenAt) >= idleTimeout:
		return fmt.Errorf("session idle: %w", ErrUnauthenticated)
	}
	return nil
}

// Touch records activity and reports whether LastSeenAt changed enough to be worth saving.
func (s *Session) Touch(now time.Time) bool {
	if now.Sub(s.LastSeenAt) < sessionTouchEvery {
		return false
	}
	s.LastSeenAt = now
	return true
}

// Revoke ends the session; revoking twice changes nothing.
func (s *Session) Revoke(now time.Time) {
	if s.RevokedAt == nil {
		s.RevokedAt = &now
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
