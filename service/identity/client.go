package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
)

// This file: client accounts and the cabinet — passwordless sign-in with a one-time code sent by
// email, client sessions (a cookie or a bearer token), the profile and the change of email.

// CodeStore is what client sign-in needs of code persistence; *repository.OneTimeCodes is one.
type CodeStore interface {
	// Replace stores a code in place of the earlier one of its purpose and key.
	Replace(ctx context.Context, c *models.OneTimeCode) error
	ByID(ctx context.Context, id uuid.UUID) (*models.OneTimeCode, error)
	// Update loads the code by id, or by purpose and key when id is uuid.Nil, locked.
	Update(ctx context.Context, id uuid.UUID, purpose models.CodePurpose, key string, fn func(*models.OneTimeCode) error) error
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// TaskCodeEmail is the job that emails a one-time code; keep the name stable, queued jobs carry it.
const TaskCodeEmail = "identity.code_email"

// CodeEmailTask is the payload of TaskCodeEmail. It names the code's row only: the code is made
// when the email goes out (IssueCode), so neither the job queue nor any table holds it in clear.
type CodeEmailTask struct {
	CodeID uuid.UUID `json:"code_id"`
}

// ClientConfig tunes client sign-in.
type ClientConfig struct {
	SessionTTL         time.Duration
	SessionIdleTimeout time.Duration
	// CodeTTL is how long an emailed code is valid.
	CodeTTL time.Duration
	// CodesPerEmail and CodesPerAddress are how many codes one email address and one client
	// address may ask for in CodeWindow.
	CodesPerEmail   int
	CodesPerAddress int
	CodeWindow      time.Duration
}

// Clients runs the use cases of client accounts: sign-in by code, sessions, the profile.
type Clients struct {
	s     *Service
	codes CodeStore
	jobs  Scheduler
	cfg   ClientConfig
}

// NewClients returns client sign-in over the identity service's users, sessions, throttle, clock,
// transactions and audit log; codes stores the one-time codes and jobs queues their emails.
func NewClients(s *Service, codes CodeStore, jobs Scheduler, cfg ClientConfig) *Clients {
	return &Clients{s: s, codes: codes, jobs: jobs, cfg: cfg}
}

// CodeTTL is how long an emailed code is valid.
func (c *Clients) CodeTTL() time.Duration { return c.cfg.CodeTTL }

// SessionTTL is the absolute lifetime of a client session.
func (c *Clients) SessionTTL() time.Duration { return c.cfg.SessionTTL }

// emailKey is what a sign-in code and its throttle are keyed by: a hash of the address, so that
// neither table holds the address in clear.
func emailKey(email models.Email) string {
	sum := sha256.Sum256([]byte("balance sign-in code\x00" + string(email)))
	return hex.EncodeToString(sum[:])
}

// codeHash is what is stored of a code: bound to its row and address, so a hash is good for
// nothing else.
func codeHash(c *models.OneTimeCode, code string) string {
	sum := sha256.Sum256([]byte(c.ID.String() + "\x00" + c.Email + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// newCode returns 6 random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("new code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// RequestCode asks for a sign-in code to be emailed to email. It does the same work whether or
// not the address has an account — takes the throttle hits, stores a code row (replacing the
// previous one) and queues its email, in the same transaction — so neither its answer nor its
// time tells which; a first sign-in creates the account. Too many requests for the address or
// from ip are a *ThrottledError.
func (c *Clients) RequestCode(ctx context.Context, email models.Email, ip string) error {
	return c.requestCode(ctx, models.CodeSignIn, emailKey(email), nil, email, ip)
}

func (c *Clients) requestCode(ctx context.Context, purpose models.CodePurpose, key string, userID *uuid.UUID, email models.Email, ip string) error {
	now := c.s.clock.Now()
	if err := c.take(ctx, now, emailKey(email), ip); err != nil {
		return err
	}
	code, err := models.NewOneTimeCode(purpose, key, userID, email, c.cfg.CodeTTL, now)
	if err != nil {
		return err
	}
	return c.s.inTx(ctx, func(ctx context.Context) error {
		if err := c.codes.Replace(ctx, code); err != nil {
			return err
		}
		_, err := c.jobs.Schedule(ctx, TaskCodeEmail, CodeEmailTask{CodeID: code.ID}, time.Time{}) // at once
		return err
	})
}

// take counts a code request against the address it goes to and the client's address, each
// under its own limit; when either is full nothing is counted.
func (c *Clients) take(ctx context.Context, now time.Time, emailKey, ip string) error {
	hits, wait, err := c.s.throttle.Take(ctx, models.ThrottleRule{Limit: c.cfg.CodesPerEmail, Window: c.cfg.CodeWindow}, now,
		models.ThrottleKey{Scope: models.ThrottleCodeEmail, Key: emailKey})
	if err != nil {
		return err
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	_, wait, err = c.s.throttle.Take(ctx, models.ThrottleRule{Limit: c.cfg.CodesPerAddress, Window: c.cfg.CodeWindow}, now,
		models.ThrottleKey{Scope: models.ThrottleCodeIP, Key: ip})
	if err == nil && wait == 0 {
		return nil
	}
	if rerr := c.s.throttle.Release(context.WithoutCancel(ctx), hits...); rerr != nil {
		return errors.Join(err, rerr)
	}
	if err != nil {
		return err
	}
	return &ThrottledError{RetryAfter: wait}
}

// CodeRecipient is whom a code's email goes to.
type CodeRecipient struct {
	Purpose models.CodePurpose
	Email   string
	// User is the account of the address (sign-in) or the client changing their address; nil
	// for an address without an account.
	User *models.User
}

// Staff reports whether the recipient is a staff member, who signs in to the admin panel and
// gets no sign-in code.
func (r *CodeRecipient) Staff() bool { return r.User != nil && r.User.StaffRole() != "" }

// CodeRecipient says whom the code of the job goes to; a code that is gone is models.ErrNotFound.
func (c *Clients) CodeRecipient(ctx context.Context, codeID uuid.UUID) (*CodeRecipient, error) {
	code, err := c.codes.ByID(ctx, codeID)
	if err != nil {
		return nil, err
	}
	r := &CodeRecipient{Purpose: code.Purpose, Email: code.Email}
	var u *models.User
	switch {
	case code.UserID != nil:
		u, err = c.s.users.ByID(ctx, *code.UserID)
	default:
		var addr models.Email
		if addr, err = models.ParseEmail(code.Email); err == nil {
			u, err = c.s.users.ByEmail(ctx, addr)
		}
	}
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	r.User = u
	return r, nil
}

// IssueCode makes the code of the job's email, storing only its hash; the code is valid for
// CodeTTL from now. A code no longer open (replaced, used, expired, worn out) is
// models.ErrCodeExpired or models.ErrNotFound. A retried job issues a new code, and the old one,
// never delivered, stops working.
func (c *Clients) IssueCode(ctx context.Context, codeID uuid.UUID) (string, error) {
	code, err := newCode()
	if err != nil {
		return "", err
	}
	now := c.s.clock.Now()
	err = c.codes.Update(ctx, codeID, "", "", func(row *models.OneTimeCode) error {
		return row.Issue(codeHash(row, code), c.cfg.CodeTTL, now)
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// try checks code against the open code of purpose and key and counts the attempt in the
// database (committed whatever the outcome). A code never asked for is models.ErrCodeExpired.
func (c *Clients) try(ctx context.Context, purpose models.CodePurpose, key, code string) (*models.OneTimeCode, error) {
	now := c.s.clock.Now()
	var (
		outcome error
		row     models.OneTimeCode
	)
	err := c.codes.Update(ctx, uuid.Nil, purpose, key, func(r *models.OneTimeCode) error {
		match := r.CodeHash != nil && crypto.EqualTokens(*r.CodeHash, codeHash(r, code))
		outcome = r.Try(match, now)
		row = *r
		return nil
	})
	if errors.Is(err, models.ErrNotFound) {
		return nil, models.ErrCodeExpired
	}
	if err != nil {
		return nil, err
	}
	if outcome != nil {
		return nil, outcome
	}
	return &row, nil
}

// Verify signs a client in with the code emailed to email and starts a client session; the
// session of previousToken (one the request came with), if any, is ended, so a session planted
// before sign-in is never the signed-in one. The first sign-in of an address creates its client
// account, or takes over the client account a booking made with it. A wrong code is
// models.ErrCodeInvalid (models.ErrCodeExhausted at the last attempt); a staff member's or a
// blocked account's address gets ErrCodeInvalid as well, after a right code.
func (c *Clients) Verify(ctx context.Context, email models.Email, code, previousToken, ip, userAgent string) (*SignIn, error) {
	if _, err := c.try(ctx, models.CodeSignIn, emailKey(email), code); err != nil {
		return nil, err
	}
	now := c.s.clock.Now()
	u, err := c.s.users.ByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) {
		u = models.NewClientUser(email, "", now)
		if err = c.s.users.Create(ctx, u); errors.Is(err, models.ErrConflict) {
			u, err = c.s.users.ByEmail(ctx, email) // created at the same moment by another request
		}
	}
	if err != nil {
		return nil, err
	}
	return c.open(ctx, u, previousToken, ip, userAgent, stepEmailCode)
}

// open starts a client session of u, a client account that has just proven itself (step says
// how), and audits the sign-in; the session of previousToken, if any, is ended first. An account
// that may not use the cabinet (staff, blocked) is models.ErrCodeInvalid.
func (c *Clients) open(ctx context.Context, u *models.User, previousToken, ip, userAgent, step string) (*SignIn, error) {
	now := c.s.clock.Now()
	if u.CanSignInAsClient() != nil {
		return nil, models.ErrCodeInvalid
	}
	if previousToken != "" {
		if err := c.endSession(ctx, previousToken, now); err != nil {
			return nil, err
		}
	}
	token, err := crypto.NewToken()
	if err != nil {
		return nil, fmt.Errorf("new session token: %w", err)
	}
	sess := models.NewClientSession(u.ID, crypto.HashToken(token), c.cfg.SessionTTL, userAgent, ip, now)
	err = c.s.inTx(ctx, func(ctx context.Context) error {
		if err := c.s.sessions.Create(ctx, sess); err != nil {
			return err
		}
		return c.s.audit(ctx, u, models.AuditActionLogin, sess.ID.String(), ip, userAgent, now, step)
	})
	if err != nil {
		return nil, err
	}
	return &SignIn{User: u, Session: sess, Token: token}, nil
}

// The sign-in steps of a client: a code sent by email, a link sent by the Telegram bot.
const (
	stepEmailCode    = "step:email_code"
	stepTelegramLink = "step:telegram_link"
)

// endSession revokes the client session of token, if it is one; anything else is left alone.
func (c *Clients) endSession(ctx context.Context, token string, now time.Time) error {
	sess, err := c.session(ctx, token)
	if err != nil || sess == nil || sess.RevokedAt != nil {
		return err
	}
	sess.Revoke(now)
	return c.s.sessions.Revoke(ctx, sess)
}

// Authenticate resolves a client session token to its live session and client. Anything else — no
// such session, a staff session, expired, idle, revoked, a disabled account, a staff member — is
// models.ErrUnauthenticated.
func (c *Clients) Authenticate(ctx context.Context, token string) (*models.User, *models.Session, error) {
	now := c.s.clock.Now()
	sess, err := c.session(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if sess == nil {
		return nil, nil, fmt.Errorf("no such client session: %w", models.ErrUnauthenticated)
	}
	if err := sess.Check(now, c.cfg.SessionIdleTimeout); err != nil {
		return nil, nil, err
	}
	u, err := c.s.users.ByID(ctx, sess.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, fmt.Errorf("session user gone: %w", models.ErrUnauthenticated)
	}
	if err != nil {
		return nil, nil, err
	}
	if u.CanSignInAsClient() != nil {
		return nil, nil, fmt.Errorf("session user may not use the cabinet: %w", models.ErrUnauthenticated)
	}
	if sess.Touch(now) {
		if err := c.s.sessions.Touch(ctx, sess); err != nil {
			return nil, nil, err
		}
	}
	return u, sess, nil
}

// Logout ends the client session of token and audits it; an unknown, ended or staff session is
// not an error and is left alone.
func (c *Clients) Logout(ctx context.Context, token, ip, userAgent string) error {
	sess, err := c.session(ctx, token)
	if err != nil || sess == nil || sess.RevokedAt != nil {
		return err
	}
	return c.s.Logout(ctx, token, ip, userAgent)
}

// session loads the client session of token; nil when there is none (a staff session included).
func (c *Clients) session(ctx context.Context, token string) (*models.Session, error) {
	if token == "" {
		return nil, nil
	}
	sess, err := c.s.sessions.ByTokenHash(ctx, crypto.HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sess.Kind != models.SessionClient {
		return nil, nil
	}
	return sess, nil
}

// UpdateProfile applies a client's change of their name, phone or time zone and returns the
// client as saved. A phone of another account is models.ErrConflict.
func (c *Clients) UpdateProfile(ctx context.Context, userID uuid.UUID, p models.ClientProfile) (*models.User, error) {
	var saved models.User
	err := c.s.users.Update(ctx, userID, func(u *models.User) error {
		if err := u.SetProfile(p, c.s.clock.Now()); err != nil {
			return err
		}
		saved = *u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &saved, nil
}

// RequestEmailChange emails a code to newEmail that, confirmed by the signed-in client u, makes it
// their address. Whether the address belongs to another account is not checked here (that would
// tell anyone signed in which addresses have accounts), only when the code comes back.
func (c *Clients) RequestEmailChange(ctx context.Context, u *models.User, newEmail models.Email, ip string) error {
	if u.Email != nil && *u.Email == newEmail {
		return &models.ValidationError{Field: "email", Message: "is already your address"}
	}
	return c.requestCode(ctx, models.CodeEmailChange, u.ID.String(), &u.ID, newEmail, ip)
}

// ConfirmEmailChange makes the address the client's code was sent to their email. An address
// that belongs to another account is models.ErrEmailTaken.
func (c *Clients) ConfirmEmailChange(ctx context.Context, userID uuid.UUID, code string) (*models.User, error) {
	row, err := c.try(ctx, models.CodeEmailChange, userID.String(), code)
	if err != nil {
		return nil, err
	}
	addr, err := models.ParseEmail(row.Email)
	if err != nil {
		return nil, err
	}
	if other, err := c.s.users.ByEmail(ctx, addr); err == nil && other.ID != userID {
		return nil, models.ErrEmailTaken
	} else if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	var saved models.User
	err = c.s.users.Update(ctx, userID, func(u *models.User) error {
		if err := u.ChangeEmail(addr, c.s.clock.Now()); err != nil {
			return err
		}
		saved = *u
		return nil
	})
	if errors.Is(err, models.ErrConflict) {
		return nil, models.ErrEmailTaken
	}
	if err != nil {
		return nil, err
	}
	return &saved, nil
}

// Cleanup deletes expired codes and the code throttles' hits that have left their window. It is
// idempotent, so every instance may run it.
func (c *Clients) Cleanup(ctx context.Context) (codes, hits int64, err error) {
	now := c.s.clock.Now()
	if codes, err = c.codes.DeleteExpired(ctx, now); err != nil {
		return 0, 0, err
	}
	if hits, err = c.s.throttle.Prune(ctx, now.Add(-c.cfg.CodeWindow), models.ThrottleCodeEmail, models.ThrottleCodeIP); err != nil {
		return codes, 0, err
	}
	return codes, hits, nil
}
