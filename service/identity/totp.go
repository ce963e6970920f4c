package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"balance/crypto"
	"balance/models"
)

// TOTPStore is what two-factor sign-in needs of persistence. UseStep, Confirm and
// UseRecoveryCode consume a code atomically and report whether it was theirs to consume.
type TOTPStore interface {
	Factor(ctx context.Context, userID uuid.UUID) (*models.TOTPFactor, error)
	PutPending(ctx context.Context, f *models.TOTPFactor) error
	UseStep(ctx context.Context, userID uuid.UUID, step int64, now time.Time) (bool, error)
	Confirm(ctx context.Context, userID uuid.UUID, step int64, now time.Time, codes []models.RecoveryCode) (bool, error)
	UseRecoveryCode(ctx context.Context, userID uuid.UUID, hash string, now time.Time) (bool, error)
}

// PendingSessionTTL is how long a session that has passed the password may take to pass the
// second factor.
const PendingSessionTTL = 5 * time.Minute

// DefaultTOTPIssuer names the service in authenticator apps when Config.TOTPIssuer is empty.
const DefaultTOTPIssuer = "Balance"

// NextStep is what a signed-in session must still do before it is a full session.
type NextStep string

// Sign-in steps after the password.
const (
	StepNone      NextStep = ""
	StepTOTP      NextStep = "totp"
	StepEnrolTOTP NextStep = "totp_enrolment"
)

const (
	// totpSkewSteps is how many time steps either side of now a code may come from (clock drift,
	// typing time).
	totpSkewSteps = 1
	// totpImageSize is the side of the QR code, in pixels.
	totpImageSize = 256
)

var totpOpts = totp.ValidateOpts{Period: uint(models.TOTPStep / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrolment is a new, not yet confirmed authenticator: its secret, as an otpauth:// URL and
// as a QR code (PNG) of that URL.
type TOTPEnrolment struct {
	Secret string
	URL    string
	QRPNG  []byte
}

// TOTPConfirmation is a confirmed authenticator: its recovery codes, shown this once, and, when
// the enrolment completed a sign-in, the new full session.
type TOTPConfirmation struct {
	RecoveryCodes []string
	SignIn        *SignIn
}

// nextStep says what the user must do after a right password.
func (s *Service) nextStep(ctx context.Context, u *models.User) (NextStep, error) {
	if s.cfg.TOTP == nil {
		return StepNone, nil
	}
	f, err := s.cfg.TOTP.Factor(ctx, u.ID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		f = nil
	case err != nil:
		return StepNone, err
	}
	switch {
	case f.Active():
		return StepTOTP, nil
	case u.HasRole(s.cfg.RequireTOTP...):
		return StepEnrolTOTP, nil
	}
	return StepNone, nil
}

// VerifyTOTP completes the sign-in of the pending session of token with a code from the
// authenticator or with an unused recovery code. Wrong codes count against the account and the
// IP in the sign-in throttle. A code is accepted within one time step either side of now, and
// only once: not again, nor any code of an earlier step.
func (s *Service) VerifyTOTP(ctx context.Context, token, code, recoveryCode, ip, userAgent string) (*SignIn, error) {
	u, sess, err := s.AuthenticateAny(ctx, token)
	if err != nil {
		return nil, err
	}
	if !sess.MFAPending {
		return nil, fmt.Errorf("session already signed in: %w", models.ErrInvalidTransition)
	}
	if s.cfg.TOTP == nil {
		return nil, models.ErrTOTPNotEnrolled
	}
	f, err := s.cfg.TOTP.Factor(ctx, u.ID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !f.Active()) {
		return nil, models.ErrTOTPNotEnrolled
	}
	if err != nil {
		return nil, err
	}
	step := stepTOTP
	if recoveryCode != "" {
		step = stepRecoveryCode
	}
	err = s.throttled(ctx, u, ip, func(now time.Time) (bool, error) {
		if recoveryCode != "" {
			return s.cfg.TOTP.UseRecoveryCode(ctx, u.ID, hashRecoveryCode(recoveryCode), now)
		}
		for _, step := range matchingSteps(f.Secret, code, now) {
			if ok, err := s.cfg.TOTP.UseStep(ctx, u.ID, step, now); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	})
	if err := s.auditCodeFailure(ctx, u, err, ip, userAgent, step); err != nil {
		return nil, err
	}
	return s.promote(ctx, u, sess, ip, userAgent, step)
}

// auditCodeFailure passes err on, after auditing a wrong code as a failed sign-in step.
func (s *Service) auditCodeFailure(ctx context.Context, u *models.User, err error, ip, userAgent, step string) error {
	if !errors.Is(err, models.ErrInvalidTOTPCode) {
		return err
	}
	if aerr := s.audit(ctx, u, models.AuditActionLoginFailed, "", ip, userAgent, s.clock.Now(), step); aerr != nil {
		return aerr
	}
	return err
}

// EnrolTOTP starts (or restarts) the enrolment of an authenticator for u. The secret is stored,
// encrypted, but guards nothing until ConfirmTOTP. A user with a confirmed authenticator gets
// ErrTOTPEnrolled.
func (s *Service) EnrolTOTP(ctx context.Context, u *models.User) (*TOTPEnrolment, error) {
	if s.cfg.TOTP == nil {
		return nil, models.ErrTOTPNotEnrolled
	}
	account := u.ID.String()
	if u.Email != nil {
		account = u.Email.String()
	}
	issuer := s.cfg.TOTPIssuer
	if issuer == "" {
		issuer = DefaultTOTPIssuer
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm,
	})
	if err != nil {
		return nil, fmt.Errorf("generate totp secret: %w", err)
	}
	img, err := key.Image(totpImageSize, totpImageSize)
	if err != nil {
		return nil, fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp qr code: %w", err)
	}
	err = s.cfg.TOTP.PutPending(ctx, models.NewTOTPFactor(u.ID, key.Secret(), s.clock.Now()))
	if errors.Is(err, models.ErrConflict) {
		return nil, models.ErrTOTPEnrolled
	}
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// ConfirmTOTP activates the authenticator being enrolled by u with a first valid code and hands
// out new recovery codes. When sess is pending, the sign-in completes with a new full session.
func (s *Service) ConfirmTOTP(ctx context.Context, u *models.User, sess *models.Session, code, ip, userAgent string) (*TOTPConfirmation, error) {
	if s.cfg.TOTP == nil {
		return nil, models.ErrTOTPNotEnrolled
	}
	f, err := s.cfg.TOTP.Factor(ctx, u.ID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, models.ErrTOTPNotEnrolled
	case err != nil:
		return nil, err
	case f.Active():
		return nil, models.ErrTOTPEnrolled
	}
	codes, rows, err := newRecoveryCodes(u.ID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	err = s.throttled(ctx, u, ip, func(now time.Time) (bool, error) {
		steps := matchingSteps(f.Secret, code, now)
		if len(steps) == 0 {
			return false, nil
		}
		ok, err := s.cfg.TOTP.Confirm(ctx, u.ID, steps[len(steps)-1], now, rows)
		if err == nil && !ok {
			err = models.ErrTOTPEnrolled // confirmed meanwhile by another request
		}
		return ok, err
	})
	if err := s.auditCodeFailure(ctx, u, err, ip, userAgent, stepTOTPEnrolment); err != nil {
		return nil, err
	}
	if err := s.auditRecord(ctx, u, models.AuditActionCreate, TOTPAuditResource, u.ID.String(), ip, userAgent, s.clock.Now(), stepTOTPEnrolment); err != nil {
		return nil, err
	}
	out := &TOTPConfirmation{RecoveryCodes: codes}
	if sess.MFAPending {
		if out.SignIn, err = s.promote(ctx, u, sess, ip, userAgent, stepTOTPEnrolment); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TOTPAuditResource is the resource of the audit record of an enrolled authenticator (the record
// id is the user's).
const TOTPAuditResource = "totp_factors"

// throttled runs check, which reports whether a code was right, under the sign-in throttle of u's
// account and of ip: a wrong code keeps its hits and answers ErrInvalidTOTPCode; a right one gives
// them back and clears the account's.
func (s *Service) throttled(ctx context.Context, u *models.User, ip string, check func(now time.Time) (bool, error)) error {
	now := s.clock.Now()
	account := models.ThrottleKey{Scope: models.ThrottleLoginAccount, Key: u.ID.String()}
	if u.Email != nil {
		account.Key = strings.ToLower(u.Email.String())
	}
	hits, wait, err := s.throttle.Take(ctx, s.loginRule(), now, models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: ip}, account)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	ok, err := check(now)
	if err != nil {
		// No code was judged: the attempt does not count.
		if rerr := s.throttle.Release(context.WithoutCancel(ctx), hits...); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if !ok {
		return models.ErrInvalidTOTPCode // the hits stay: they are this failure
	}
	if err := s.throttle.Release(ctx, hits...); err != nil {
		return err
	}
	return s.throttle.Clear(ctx, account)
}

// promote ends the pending session and starts a full one with a new token, so that the token
// known before the second factor is worth nothing after it; the sign-in is audited with the step
// that completed it.
func (s *Service) promote(ctx context.Context, u *models.User, pending *models.Session, ip, userAgent, step string) (*SignIn, error) {
	now := s.clock.Now()
	var in *SignIn
	err := s.inTx(ctx, func(ctx context.Context) error {
		pending.Revoke(now)
		if err := s.sessions.Revoke(ctx, pending); err != nil {
			return err
		}
		var err error
		in, err = s.startSession(ctx, u, StepNone, ip, userAgent, now, step)
		return err
	})
	return in, err
}

// matchingSteps lists the time steps around now (oldest first) whose code is code.
func matchingSteps(secret, code string, now time.Time) []int64 {
	code = strings.TrimSpace(code)
	if len(code) != totpOpts.Digits.Length() {
		return nil
	}
	var out []int64
	for d := -totpSkewSteps; d <= totpSkewSteps; d++ {
		t := now.Add(time.Duration(d) * models.TOTPStep)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && crypto.EqualTokens(want, code) {
			out = append(out, models.TOTPStepAt(t))
		}
	}
	return out
}

// recoveryEncoding spells recovery codes in lower-case base32 without padding.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes makes models.RecoveryCodeCount codes of 80 random bits, shown as
// xxxx-xxxx-xxxx-xxxx, and the rows that store their hashes.
func newRecoveryCodes(userID uuid.UUID, now time.Time) ([]string, []models.RecoveryCode, error) {
	codes := make([]string, 0, models.RecoveryCodeCount)
	rows := make([]models.RecoveryCode, 0, models.RecoveryCodeCount)
	for range models.RecoveryCodeCount {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, fmt.Errorf("recovery code: %w", err)
		}
		s := recoveryEncoding.EncodeToString(b)
		code := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		codes = append(codes, code)
		rows = append(rows, models.RecoveryCode{ID: models.NewID(), UserID: userID, CodeHash: hashRecoveryCode(code), CreatedAt: now})
	}
	return codes, rows, nil
}

// hashRecoveryCode hashes a recovery code as typed: case, spaces and dashes do not matter.
func hashRecoveryCode(code string) string {
	code = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	return crypto.HashToken("recovery:" + code)
}
