// Package identity holds the identity use cases: staff accounts, password sign-in with throttling,
// and server-side sessions.
package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/service"
)

// UserStore is what identity needs of user persistence.
type UserStore interface {
	Create(ctx context.Context, u *models.User) error
	ByID(ctx context.Context, id uuid.UUID) (*models.User, error)
	ByEmail(ctx context.Context, email models.Email) (*models.User, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*models.User) error) error
	// ActiveOwners lists the active owners, locking them until the transaction ends.
	ActiveOwners(ctx context.Context) ([]uuid.UUID, error)
}

// AuditLog appends audit records; *repository.AuditLogs is one.
type AuditLog interface {
	Append(ctx context.Context, l *models.AuditLog) error
}

// Transactor runs fn in one transaction that the stores called with fn's ctx join; *repository.DB
// is one.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// SessionStore is what identity needs of session persistence.
type SessionStore interface {
	Create(ctx context.Context, s *models.Session) error
	ByID(ctx context.Context, id uuid.UUID) (*models.Session, error)
	ByTokenHash(ctx context.Context, hash string) (*models.Session, error)
	// RevokeAll ends every open session of a user.
	RevokeAll(ctx context.Context, userID uuid.UUID, now time.Time) (int64, error)
	Touch(ctx context.Context, s *models.Session) error
	Revoke(ctx context.Context, s *models.Session) error
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// Throttle rations sign-in attempts. Take atomically records one hit against every key, or none
// when any key is full (then it says how long to wait), whatever the concurrency and the number
// of instances.
type Throttle interface {
	Take(ctx context.Context, rule models.ThrottleRule, now time.Time, keys ...models.ThrottleKey) ([]models.ThrottleHit, time.Duration, error)
	Release(ctx context.Context, hits ...models.ThrottleHit) error
	Clear(ctx context.Context, key models.ThrottleKey) error
	Prune(ctx context.Context, t time.Time, scopes ...models.ThrottleScope) (int64, error)
}

// Config tunes sessions and throttling.
type Config struct {
	SessionTTL         time.Duration
	SessionIdleTimeout time.Duration
	LoginMaxFailures   int
	LoginFailureWindow time.Duration
	Password           crypto.PasswordParams
	// Verifier checks passwords; nil means argon2id (crypto.VerifyPassword).
	Verifier PasswordVerifier
	// TOTP stores authenticators for two-factor sign-in; nil turns two-factor sign-in off.
	TOTP TOTPStore
	// RequireTOTP lists the roles that must sign in with an authenticator (and enrol one at their
	// next sign-in). Anyone with a confirmed authenticator needs it, whatever the role.
	RequireTOTP []models.Role
	// TOTPIssuer names the service in authenticator apps; empty means DefaultTOTPIssuer.
	TOTPIssuer string
	// Audit records sign-ins, failed sign-ins, sign-outs, second-factor steps and accepted
	// invitations (never a password or a code); nil records nothing.
	Audit AuditLog
	// Tx runs a change and its audit record in one transaction; nil runs them one after another.
	Tx Transactor
	// Invites stores staff invitations and Jobs queues their emails (TaskInviteEmail); without
	// both, staff cannot be invited.
	Invites InviteStore
	Jobs    Scheduler
}

// PasswordVerifier checks a password against a stored hash. Dummy does the same work with no
// hash to compare against, so that an unknown account answers as slowly as a wrong password.
type PasswordVerifier interface {
	Verify(encoded, password string) (bool, error)
	Dummy(password string)
}

// argon2id is the production PasswordVerifier.
type argon2id struct{}

func (argon2id) Verify(encoded, password string) (bool, error) {
	return crypto.VerifyPassword(encoded, password)
}

func (argon2id) Dummy(password string) { crypto.DummyVerify(password) }

// Password length bounds for staff accounts, in characters.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// ThrottledError means too many failed sign-ins; try again after RetryAfter.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; retry after %s", e.RetryAfter)
}

// Service runs the identity use cases.
type Service struct {
	users    UserStore
	sessions SessionStore
	throttle Throttle
	clock    service.Clock
	cfg      Config
}

// New returns the identity service.
func New(users UserStore, sessions SessionStore, throttle Throttle, clock service.Clock, cfg Config) *Service {
	if cfg.Verifier == nil {
		cfg.Verifier = argon2id{}
	}
	return &Service{users: users, sessions: sessions, throttle: throttle, clock: clock, cfg: cfg}
}

// CreateStaff creates a staff account that signs in with email and password.
func (s *Service) CreateStaff(ctx context.Context, email, role, displayName, password string) (*models.User, error) {
	addr, err := models.ParseEmail(email)
	if err != nil {
		return nil, err
	}
	r, err := models.ParseRole(role)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	hash, err := crypto.HashPassword(password, s.cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u, err := models.NewStaffUser(addr, displayName, r, hash, s.clock.Now())
	if err != nil {
		return nil, err
	}
	if err := s.users.Create(ctx, u); err != nil {
		if errors.Is(err, models.ErrConflict) {
			return nil, &models.ValidationError{Field: "email", Message: "a user with this email already exists"}
		}
		return nil, fmt.Errorf("create staff %s: %w", r, err)
	}
	return u, nil
}

func checkPassword(p string) error {
	switch n := utf8.RuneCountInString(p); {
	case n < MinPasswordLen:
		return &models.ValidationError{Field: "password", Message: fmt.Sprintf("must be at least %d characters", MinPasswordLen)}
	case n > MaxPasswordLen:
		return &models.ValidationError{Field: "password", Message: fmt.Sprintf("must be at most %d characters", MaxPasswordLen)}
	}
	return nil
}

// SignIn is a started session. Token is the secret for the cookie; only its hash is stored. When
// Next is not StepNone, the session is pending: it may only take that step.
type SignIn struct {
	User    *models.User
	Session *models.Session
	Token   string
	Next    NextStep
}

// Login checks email and password and starts a session. Every failure is ErrInvalidCredentials,
// whether or not the email exists, and costs the same password-hashing work.
//
// Throttling: before the password is checked, the attempt takes a hit against its IP and its
// account in one atomic step; when either already holds LoginMaxFailures hits in
// LoginFailureWindow, nothing is checked and the answer is a *ThrottledError until the oldest hit
// leaves the window. A failed attempt keeps its hits; a successful one gives back its IP hit and
// clears the account's. So, however many attempts arrive at once on however many instances, no
// more than LoginMaxFailures passwords per IP and per account are checked in a window, unless a
// successful sign-in of the account clears its count.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string) (*SignIn, error) {
	now := s.clock.Now()
	account := models.ThrottleKey{Scope: models.ThrottleLoginAccount, Key: strings.ToLower(strings.TrimSpace(email))}
	hits, wait, err := s.throttle.Take(ctx, s.loginRule(), now,
		models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: ip}, account)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, &ThrottledError{RetryAfter: wait}
	}
	u, err := s.verify(ctx, account.Key, password)
	if errors.Is(err, models.ErrInvalidCredentials) {
		// The hits stay: they are this failure. u is the account's user, when there is one.
		if aerr := s.audit(ctx, u, models.AuditActionLoginFailed, "", ip, userAgent, now, stepPassword); aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	if err != nil {
		// No password was judged: the attempt does not count.
		if rerr := s.throttle.Release(context.WithoutCancel(ctx), hits...); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	if err := s.throttle.Release(ctx, hits...); err != nil {
		return nil, err
	}
	if err := s.throttle.Clear(ctx, account); err != nil {
		return nil, err
	}
	if crypto.NeedsRehash(*u.PasswordHash, s.cfg.Password) {
		s.rehash(ctx, u.ID, password, now)
	}
	next, err := s.nextStep(ctx, u)
	if err != nil {
		return nil, err
	}
	steps := []string{stepPassword}
	if next != StepNone {
		steps = append(steps, "pending:"+string(next))
	}
	return s.startSession(ctx, u, next, ip, userAgent, now, steps...)
}

// startSession starts a full session, or a short pending one when the sign-in has a step left,
// and audits the sign-in step that earned it in the same transaction.
func (s *Service) startSession(ctx context.Context, u *models.User, next NextStep, ip, userAgent string, now time.Time, steps ...string) (*SignIn, error) {
	token, err := crypto.NewToken()
	if err != nil {
		return nil, fmt.Errorf("new session token: %w", err)
	}
	sess := models.NewSession(u.ID, crypto.HashToken(token), s.cfg.SessionTTL, userAgent, ip, now)
	if next != StepNone {
		sess = models.NewPendingSession(u.ID, crypto.HashToken(token), PendingSessionTTL, userAgent, ip, now)
	}
	err = s.inTx(ctx, func(ctx context.Context) error {
		if err := s.sessions.Create(ctx, sess); err != nil {
			return err
		}
		return s.audit(ctx, u, models.AuditActionLogin, sess.ID.String(), ip, userAgent, now, steps...)
	})
	if err != nil {
		return nil, err
	}
	return &SignIn{User: u, Session: sess, Token: token, Next: next}, nil
}

func (s *Service) loginRule() models.ThrottleRule {
	return models.ThrottleRule{Limit: s.cfg.LoginMaxFailures, Window: s.cfg.LoginFailureWindow}
}

// verify returns the user whose password matches, or ErrInvalidCredentials — with the account's
// user, when the email names one, for the audit record of the failure.
func (s *Service) verify(ctx context.Context, account, password string) (*models.User, error) {
	addr, err := models.ParseEmail(account)
	if err != nil {
		s.cfg.Verifier.Dummy(password)
		return nil, models.ErrInvalidCredentials
	}
	u, err := s.users.ByEmail(ctx, addr)
	if errors.Is(err, models.ErrNotFound) {
		s.cfg.Verifier.Dummy(password)
		return nil, models.ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	if u.CanSignIn() != nil {
		s.cfg.Verifier.Dummy(password)
		return u, models.ErrInvalidCredentials
	}
	ok, err := s.cfg.Verifier.Verify(*u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("verify password of user %s: %w", u.ID, err)
	}
	if !ok {
		return u, models.ErrInvalidCredentials
	}
	return u, nil
}

// rehash upgrades a stored hash to the current parameters; failure only delays the upgrade.
func (s *Service) rehash(ctx context.Context, id uuid.UUID, password string, now time.Time) {
	hash, err := crypto.HashPassword(password, s.cfg.Password)
	if err != nil {
		return
	}
	_ = s.users.Update(ctx, id, func(u *models.User) error { return u.SetPasswordHash(hash, now) })
}

// Authenticate resolves a session token to its live, full session and user. Any problem is
// ErrUnauthenticated (wrapped with the reason), but a session still waiting for its second factor
// is ErrTOTPRequired.
func (s *Service) Authenticate(ctx context.Context, token string) (*models.User, *models.Session, error) {
	u, sess, err := s.AuthenticateAny(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if sess.MFAPending {
		return nil, nil, models.ErrTOTPRequired
	}
	return u, sess, nil
}

// AuthenticateAny is Authenticate that also accepts a session waiting for its second factor.
func (s *Service) AuthenticateAny(ctx context.Context, token string) (*models.User, *models.Session, error) {
	if token == "" {
		return nil, nil, models.ErrUnauthenticated
	}
	now := s.clock.Now()
	sess, err := s.sessions.ByTokenHash(ctx, crypto.HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, fmt.Errorf("unknown session: %w", models.ErrUnauthenticated)
	}
	if err != nil {
		return nil, nil, err
	}
	if sess.Kind != models.SessionStaff { // a client's session opens the cabinet only
		return nil, nil, fmt.Errorf("not a staff session: %w", models.ErrUnauthenticated)
	}
	if err := sess.Check(now, s.cfg.SessionIdleTimeout); err != nil {
		return nil, nil, err
	}
	u, err := s.users.ByID(ctx, sess.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, fmt.Errorf("session user gone: %w", models.ErrUnauthenticated)
	}
	if err != nil {
		return nil, nil, err
	}
	if u.CanSignIn() != nil {
		return nil, nil, fmt.Errorf("session user disabled: %w", models.ErrUnauthenticated)
	}
	if sess.Touch(now) {
		if err := s.sessions.Touch(ctx, sess); err != nil {
			return nil, nil, err
		}
	}
	return u, sess, nil
}

// Logout revokes the session of token and audits the sign-out, in one transaction; an unknown
// or ended session is not an error (and not audited).
func (s *Service) Logout(ctx context.Context, token, ip, userAgent string) error {
	sess, err := s.sessions.ByTokenHash(ctx, crypto.HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if sess.RevokedAt != nil {
		return nil
	}
	u, err := s.users.ByID(ctx, sess.UserID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	now := s.clock.Now()
	sess.Revoke(now)
	return s.inTx(ctx, func(ctx context.Context) error {
		if err := s.sessions.Revoke(ctx, sess); err != nil {
			return err
		}
		return s.audit(ctx, u, models.AuditActionLogout, sess.ID.String(), ip, userAgent, now)
	})
}

// The sign-in steps audit records name (as changed "fields": never a value).
const (
	stepPassword      = "step:password"
	stepTOTP          = "step:totp"
	stepRecoveryCode  = "step:recovery_code"
	stepTOTPEnrolment = "step:totp_enrolment"
)

// AuditResource is the resource of sign-in audit records: the session a sign-in started or a
// sign-out ended (the record id; none for a failure).
const AuditResource = "sessions"

// audit appends a sign-in record for u (nil: an email that names no account) with the steps it
// took, when audit is configured.
func (s *Service) audit(ctx context.Context, u *models.User, action models.AuditAction, sessionID, ip, userAgent string, now time.Time, steps ...string) error {
	return s.auditRecord(ctx, u, action, AuditResource, sessionID, ip, userAgent, now, steps...)
}

func (s *Service) auditRecord(ctx context.Context, u *models.User, action models.AuditAction, resource, id, ip, userAgent string, now time.Time, fields ...string) error {
	if s.cfg.Audit == nil {
		return nil
	}
	actor := models.AuditActor{Role: "anonymous", IP: truncate(ip, models.AuditIPMaxChars), UserAgent: userAgent}
	if u != nil {
		actor.UserID = &u.ID
		actor.Role = string(models.RoleClient)
		if r := u.StaffRole(); r != "" {
			actor.Role = string(r)
		}
	}
	changes := make(map[string]models.AuditChange, len(fields))
	for _, f := range fields {
		changes[f] = models.AuditChange{}
	}
	entry, err := models.NewAuditLog(actor, action, resource, id, changes, now)
	if err != nil { // a bug of ours, not of the request
		return fmt.Errorf("audit %s of %s %s: %v", action, resource, id, err)
	}
	return s.cfg.Audit.Append(ctx, entry)
}

// inTx runs fn in one transaction when the service has a Transactor.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.cfg.Tx == nil {
		return fn(ctx)
	}
	return s.cfg.Tx.InTx(ctx, fn)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// CSRFToken derives the anti-CSRF token of a session from its secret token, so nothing more
// needs storing: a cross-site page cannot read the cookie and so cannot compute it.
func CSRFToken(sessionToken string) string {
	return crypto.DeriveToken(sessionToken, "csrf")
}

// Cleanup deletes sessions past their absolute expiry and sign-in throttle hits that have left
// the throttling window. It is idempotent, so every instance may run it.
func (s *Service) Cleanup(ctx context.Context) (sessions, hits int64, err error) {
	now := s.clock.Now()
	if sessions, err = s.sessions.DeleteExpired(ctx, now); err != nil {
		return 0, 0, err
	}
	if hits, err = s.throttle.Prune(ctx, s.loginRule().Since(now), models.ThrottleLoginIP, models.ThrottleLoginAccount); err != nil {
		return sessions, 0, err
	}
	return sessions, hits, nil
}
