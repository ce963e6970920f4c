package handlers_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

type pendingAnswer struct {
	TOTPRequired          bool   `json:"totp_required"`
	TOTPEnrolmentRequired bool   `json:"totp_enrolment_required"`
	CSRFToken             string `json:"csrf_token"`
}

type meAnswer struct {
	Email     string   `json:"email"`
	Roles     []string `json:"roles"`
	CSRFToken string   `json:"csrf_token"`
}

type enrolAnswer struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRCode     string `json:"qr_code"`
}

type confirmAnswer struct {
	RecoveryCodes []string `json:"recovery_codes"`
	Me            meAnswer `json:"me"`
}

func csrfHeader(token string) http.Header { return http.Header{"X-Csrf-Token": {token}} }

// code is the authenticator's code for secret at the server's time.
func code(t *testing.T, s *server, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a well-formed code that the authenticator shows at none of the accepted steps.
func wrongCode(t *testing.T, s *server, secret string) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		ok := true
		for d := -1; d <= 1; d++ {
			if want, _ := totp.GenerateCode(secret, s.clock.Now().Add(time.Duration(d)*30*time.Second)); want == c {
				ok = false
			}
		}
		if ok {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func login(t *testing.T, s *server, email string) *testkit.Response {
	t.Helper()
	return s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": email, "password": password})
}

// loginPending signs in with the password and expects the second factor to be due.
func loginPending(t *testing.T, s *server, email string, enrol bool) pendingAnswer {
	t.Helper()
	r := login(t, s, email)
	var p pendingAnswer
	r.JSON(t, &p)
	if r.Status != http.StatusOK || p.TOTPRequired == enrol || p.TOTPEnrolmentRequired != enrol || p.CSRFToken == "" {
		t.Fatalf("login = %d %s, want a pending sign-in (enrolment %v)", r.Status, r.Body, enrol)
	}
	if c := s.api.Cookie("balance_session"); c == nil {
		t.Fatal("no pending session cookie")
	}
	return p
}

// enrol sets up an authenticator from the current session and returns its secret and recovery codes.
func enrol(t *testing.T, s *server, csrf string) (string, confirmAnswer) {
	t.Helper()
	r := s.api.Do("POST", "/admin/api/auth/totp/enrol", nil, csrfHeader(csrf))
	var e enrolAnswer
	r.JSON(t, &e)
	if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("enrol = %d %v %s", r.Status, r.Header, r.Body)
	}
	key, err := otp.NewKeyFromURL(e.OTPAuthURL)
	if err != nil || key.Secret() != e.Secret || key.Issuer() != "Balance" || key.Type() != "totp" {
		t.Fatalf("otpauth URL %q: %v", e.OTPAuthURL, err)
	}
	img, ok := strings.CutPrefix(e.QRCode, "data:image/png;base64,")
	raw, err := base64.StdEncoding.DecodeString(img)
	if !ok || err != nil {
		t.Fatalf("qr code is not a PNG data URL: %.40q", e.QRCode)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatalf("qr code: %v", err)
	}
	r = s.api.Do("POST", "/admin/api/auth/totp/enrol/confirm", map[string]string{"code": wrongCode(t, s, key.Secret())}, csrfHeader(csrf))
	if p := r.Problem(t); r.Status != http.StatusUnauthorized || !strings.HasSuffix(p.Type, "invalid-code") {
		t.Fatalf("confirm with a wrong code = %d %s", r.Status, r.Body)
	}
	r = s.api.Do("POST", "/admin/api/auth/totp/enrol/confirm", map[string]string{"code": code(t, s, key.Secret())}, csrfHeader(csrf))
	var c confirmAnswer
	r.JSON(t, &c)
	if r.Status != http.StatusOK || len(c.RecoveryCodes) != models.RecoveryCodeCount || c.Me.CSRFToken == "" {
		t.Fatalf("confirm = %d %s", r.Status, r.Body)
	}
	return key.Secret(), c
}

func wantProblem(t *testing.T, r *testkit.Response, status int, slug string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d %s: %s", r.Status, status, slug, r.Body)
	}
	if p := r.Problem(t); !strings.HasSuffix(p.Type, "/"+slug) && p.Type != slug {
		t.Fatalf("problem %q, want %s", p.Type, slug)
	}
}

func wantSignedIn(t *testing.T, r *testkit.Response, email string) meAnswer {
	t.Helper()
	var me meAnswer
	r.JSON(t, &me)
	if r.Status != http.StatusOK || me.Email != email || me.CSRFToken == "" {
		t.Fatalf("want signed in as %s, got %d %s", email, r.Status, r.Body)
	}
	return me
}

// The owner, who must use an authenticator, enrols at the first sign-in, then signs in with codes
// and recovery codes; a pending session opens nothing else.
func TestTOTPSignIn(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{requireTOTP: []models.Role{models.RoleOwner}, adminResources: true})
		const email = "owner@example.org"
		s.staff(t, email, models.RoleOwner)

		p := loginPending(t, s, email, true)
		// A pending session opens no other admin route.
		wantProblem(t, s.api.Do("GET", "/admin/api/auth/me", nil), http.StatusUnauthorized, "totp-required")
		wantProblem(t, s.api.Do("GET", "/admin/api/schema", nil), http.StatusUnauthorized, "totp-required")
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/logout", nil, csrfHeader(p.CSRFToken)), http.StatusUnauthorized, "totp-required")
		// Nothing to verify yet, and the enrolment needs the CSRF token.
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": "123456"}, csrfHeader(p.CSRFToken)),
			http.StatusConflict, "totp-not-enrolled")
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp/enrol", nil), http.StatusForbidden, "csrf")

		secret, conf := enrol(t, s, p.CSRFToken)
		if conf.Me.Email != email || conf.Me.CSRFToken == p.CSRFToken {
			t.Fatalf("confirm signed in %+v, want a new session", conf.Me)
		}
		me := wantSignedIn(t, s.api.Do("GET", "/admin/api/auth/me", nil), email)
		if me.CSRFToken != conf.Me.CSRFToken {
			t.Error("the session after enrolment is not the one answered")
		}
		if r := s.api.Do("GET", "/admin/api/schema", nil); r.Status != http.StatusOK {
			t.Errorf("schema after sign-in = %d", r.Status)
		}
		// A second enrolment over a confirmed authenticator is refused.
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp/enrol", nil, csrfHeader(me.CSRFToken)), http.StatusConflict, "totp-enrolled")
		usedAtEnrolment := code(t, s, secret)
		logout(t, s, me.CSRFToken)

		// Sign in again: the code used at enrolment (same time step) is refused, a wrong one too.
		p = loginPending(t, s, email, false)
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp/enrol", nil, csrfHeader(p.CSRFToken)), http.StatusConflict, "totp-enrolled")
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": usedAtEnrolment}, csrfHeader(p.CSRFToken)),
			http.StatusUnauthorized, "invalid-code")
		s.clock.Advance(30 * time.Second)
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": wrongCode(t, s, secret)}, csrfHeader(p.CSRFToken)),
			http.StatusUnauthorized, "invalid-code")
		c := code(t, s, secret)
		me = wantSignedIn(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": c}, csrfHeader(p.CSRFToken)), email)
		wantSignedIn(t, s.api.Do("GET", "/admin/api/auth/me", nil), email)
		// Completing again from a full session is not a thing.
		if r := s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": c}, csrfHeader(me.CSRFToken)); r.Status != http.StatusConflict {
			t.Errorf("verify from a full session = %d, want 409", r.Status)
		}
		logout(t, s, me.CSRFToken)

		// The same code, still inside its window, cannot sign in twice.
		p = loginPending(t, s, email, false)
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": c}, csrfHeader(p.CSRFToken)),
			http.StatusUnauthorized, "invalid-code")

		// A recovery code works once; case and dashes do not matter.
		me = wantSignedIn(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"recovery_code": conf.RecoveryCodes[0]}, csrfHeader(p.CSRFToken)), email)
		logout(t, s, me.CSRFToken)
		s.clock.Advance(16 * time.Minute) // the wrong codes so far leave the IP's throttle window
		p = loginPending(t, s, email, false)
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"recovery_code": conf.RecoveryCodes[0]}, csrfHeader(p.CSRFToken)),
			http.StatusUnauthorized, "invalid-code")
		typed := strings.ToUpper(strings.ReplaceAll(conf.RecoveryCodes[1], "-", ""))
		wantSignedIn(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"recovery_code": typed}, csrfHeader(p.CSRFToken)), email)

		// Neither or both of code and recovery_code is a malformed request.
		logout(t, s, wantSignedIn(t, s.api.Do("GET", "/admin/api/auth/me", nil), email).CSRFToken)
		p = loginPending(t, s, email, false)
		if r := s.api.Do("POST", "/admin/api/auth/totp", map[string]string{}, csrfHeader(p.CSRFToken)); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("empty verify = %d, want 422", r.Status)
		}

		// The pending session lasts five minutes.
		s.clock.Advance(5 * time.Minute)
		wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": code(t, s, secret)}, csrfHeader(p.CSRFToken)),
			http.StatusUnauthorized, "unauthenticated")
	})
}

func logout(t *testing.T, s *server, csrf string) {
	t.Helper()
	if r := s.api.Do("POST", "/admin/api/auth/logout", nil, csrfHeader(csrf)); r.Status != http.StatusNoContent {
		t.Fatalf("logout = %d %s", r.Status, r.Body)
	}
}

// Roles that need no authenticator sign in with the password; one who enrols anyway needs it
// from then on.
func TestTOTPOptional(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{requireTOTP: []models.Role{models.RoleOwner}})
		const email = "assistant@example.org"
		s.staff(t, email, models.RoleAssistant)
		me := wantSignedIn(t, login(t, s, email), email)

		secret, conf := enrol(t, s, me.CSRFToken)
		if conf.Me.CSRFToken != me.CSRFToken {
			t.Error("enrolling from a full session changed the session")
		}
		wantSignedIn(t, s.api.Do("GET", "/admin/api/auth/me", nil), email)
		logout(t, s, me.CSRFToken)

		s.clock.Advance(time.Minute)
		p := loginPending(t, s, email, false)
		wantSignedIn(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": code(t, s, secret)}, csrfHeader(p.CSRFToken)), email)
	})
}

// With require_totp none, nobody is asked to enrol.
func TestTOTPRequiredOfNobody(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{})
		s.staff(t, "owner@example.org", models.RoleOwner)
		wantSignedIn(t, login(t, s, "owner@example.org"), "owner@example.org")
	})
}

// Wrong codes count in the sign-in throttle of the account: after five, even the right code waits.
func TestTOTPThrottle(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{requireTOTP: []models.Role{models.RoleOwner}})
		const email = "owner@example.org"
		s.staff(t, email, models.RoleOwner)
		p := loginPending(t, s, email, true)
		secret, conf := enrol(t, s, p.CSRFToken)
		logout(t, s, conf.Me.CSRFToken)

		s.clock.Advance(16 * time.Minute) // the wrong code tried at enrolment leaves the window
		p = loginPending(t, s, email, false)
		bad := map[string]string{"code": wrongCode(t, s, secret)}
		for range 5 {
			wantProblem(t, s.api.Do("POST", "/admin/api/auth/totp", bad, csrfHeader(p.CSRFToken)), http.StatusUnauthorized, "invalid-code")
		}
		r := s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": code(t, s, secret)}, csrfHeader(p.CSRFToken))
		wantProblem(t, r, http.StatusTooManyRequests, "too-many-attempts")
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})
}
