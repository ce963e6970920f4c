package identity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"balance/crypto"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/identity"
)

// fast keeps argon2 cheap in tests; production uses crypto.DefaultPasswordParams.
var fast = crypto.PasswordParams{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

const password = "correct horse battery"

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type env struct {
	svc      *identity.Service
	clock    *testkit.Clock
	db       *repository.DB
	users    *repository.Users
	sessions *repository.Sessions
}

func newEnv(t *testing.T, db *repository.DB) *env {
	clock := testkit.NewClock(t0)
	return &env{svc: newService(db, clock, nil), clock: clock, db: db, users: repository.NewUsers(db), sessions: repository.NewSessions(db)}
}

// newService is one instance of the identity service over db; verifier nil means argon2id.
func newService(db *repository.DB, clock *testkit.Clock, verifier identity.PasswordVerifier) *identity.Service {
	return identity.New(repository.NewUsers(db), repository.NewSessions(db), repository.NewThrottle(db), clock, identity.Config{
		SessionTTL:         12 * time.Hour,
		SessionIdleTimeout: 2 * time.Hour,
		LoginMaxFailures:   5,
		LoginFailureWindow: 15 * time.Minute,
		Password:           fast,
		Verifier:           verifier,
	})
}

func (e *env) staff(t *testing.T, email string, role models.Role) *models.User {
	t.Helper()
	u, err := e.svc.CreateStaff(context.Background(), email, string(role), "Staff", password)
	if err != nil {
		t.Fatalf("CreateStaff: %v", err)
	}
	return u
}

func TestCreateStaff(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u := e.staff(t, " Owner@Example.ORG ", models.RoleOwner)
		stored, err := e.users.ByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *stored.Email != "owner@example.org" || !stored.HasRole(models.RoleOwner) || stored.DisplayName != "Staff" {
			t.Errorf("stored user = %+v", stored)
		}
		if ok, err := crypto.VerifyPassword(*stored.PasswordHash, password); err != nil || !ok {
			t.Errorf("stored hash does not verify the password: %v %v", ok, err)
		}

		for _, tc := range []struct {
			name, email, role, password, field string
		}{
			{"bad email", "not-an-email", "owner", password, "email"},
			{"client role", "c@example.org", "client", password, "role"},
			{"unknown role", "c@example.org", "admin", password, "role"},
			{"short password", "c@example.org", "editor", "short", "password"},
			{"long password", "c@example.org", "editor", string(make([]rune, 257)), "password"},
			{"taken email", "owner@example.org", "assistant", password, "email"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.CreateStaff(ctx, tc.email, tc.role, "", tc.password)
				var ve *models.ValidationError
				if !errors.As(err, &ve) || ve.Field != tc.field {
					t.Fatalf("err = %v, want validation error on %s", err, tc.field)
				}
			})
		}
	})
}

func TestLoginAndAuthenticate(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		owner := e.staff(t, "owner@example.org", models.RoleOwner)

		in, err := e.svc.Login(ctx, "OWNER@example.org", password, "203.0.113.7", "test-agent")
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		if in.User.ID != owner.ID || in.Token == "" {
			t.Fatalf("sign-in = %+v", in)
		}
		// Only the hash of the token is stored.
		if in.Session.TokenHash == in.Token || in.Session.TokenHash != crypto.HashToken(in.Token) {
			t.Errorf("session stores %q for token %q", in.Session.TokenHash, in.Token)
		}
		if !in.Session.ExpiresAt.Equal(t0.Add(12*time.Hour)) || in.Session.IP != "203.0.113.7" || in.Session.UserAgent != "test-agent" {
			t.Errorf("session = %+v", in.Session)
		}

		u, sess, err := e.svc.Authenticate(ctx, in.Token)
		if err != nil || u.ID != owner.ID || sess.ID != in.Session.ID {
			t.Fatalf("Authenticate = %v, %v, %v", u, sess, err)
		}

		// Activity more than a minute later is recorded.
		e.clock.Advance(90 * time.Second)
		if _, _, err := e.svc.Authenticate(ctx, in.Token); err != nil {
			t.Fatal(err)
		}
		stored, err := e.sessions.ByTokenHash(ctx, in.Session.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if !stored.LastSeenAt.Equal(t0.Add(90 * time.Second)) {
			t.Errorf("last_seen_at = %v, want %v", stored.LastSeenAt, t0.Add(90*time.Second))
		}

		if err := e.svc.Logout(ctx, in.Token, "203.0.113.7", "test-agent"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Authenticate(ctx, in.Token); !errors.Is(err, models.ErrUnauthenticated) {
			t.Errorf("after logout err = %v, want ErrUnauthenticated", err)
		}
		if err := e.svc.Logout(ctx, "never-issued", "", ""); err != nil {
			t.Errorf("logout of unknown token = %v, want nil", err)
		}
	})
}

func TestAuthenticateRejects(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		owner := e.staff(t, "owner@example.org", models.RoleOwner)
		login := func() string {
			in, err := e.svc.Login(ctx, "owner@example.org", password, "198.51.100.1", "")
			if err != nil {
				t.Fatal(err)
			}
			return in.Token
		}

		if _, _, err := e.svc.Authenticate(ctx, ""); !errors.Is(err, models.ErrUnauthenticated) {
			t.Errorf("empty token: %v", err)
		}
		if _, _, err := e.svc.Authenticate(ctx, "forged"); !errors.Is(err, models.ErrUnauthenticated) {
			t.Errorf("unknown token: %v", err)
		}

		idle := login()
		e.clock.Advance(2 * time.Hour)
		if _, _, err := e.svc.Authenticate(ctx, idle); !errors.Is(err, models.ErrUnauthenticated) {
			t.Errorf("idle session: %v", err)
		}

		// Kept active, a session still ends at its absolute expiry.
		active := login()
		for range 12 {
			e.clock.Advance(time.Hour)
			_, _, err := e.svc.Authenticate(ctx, active)
			if e.clock.Now().Before(t0.Add(2*time.Hour + 12*time.Hour)) {
				if err != nil {
					t.Fatalf("active session rejected at %v: %v", e.clock.Now(), err)
				}
			} else if !errors.Is(err, models.ErrUnauthenticated) {
				t.Fatalf("session past its ttl: %v", err)
			}
		}

		blocked := login()
		if err := e.users.Update(ctx, owner.ID, func(u *models.User) error { return u.Block(e.clock.Now()) }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Authenticate(ctx, blocked); !errors.Is(err, models.ErrUnauthenticated) {
			t.Errorf("blocked user's session: %v", err)
		}
	})
}

func TestLoginFailuresLookAlike(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.staff(t, "owner@example.org", models.RoleOwner)
		blocked := e.staff(t, "blocked@example.org", models.RoleEditor)
		if err := e.users.Update(ctx, blocked.ID, func(u *models.User) error { return u.Block(t0) }); err != nil {
			t.Fatal(err)
		}
		client := models.NewClientUser("client@example.org", "Client", t0)
		if err := e.users.Create(ctx, client); err != nil {
			t.Fatal(err)
		}
		for i, tc := range []struct{ name, email, password string }{
			{"wrong password", "owner@example.org", "wrong password!!"},
			{"unknown email", "nobody@example.org", password},
			{"malformed email", "nobody", password},
			{"blocked user", "blocked@example.org", password},
			{"client without password", "client@example.org", password},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// Each case from its own IP so the per-IP limit stays out of the way.
				ip := "192.0.2." + string(rune('1'+i))
				_, err := e.svc.Login(ctx, tc.email, tc.password, ip, "")
				if !errors.Is(err, models.ErrInvalidCredentials) || err != models.ErrInvalidCredentials {
					t.Fatalf("err = %v, want exactly ErrInvalidCredentials", err)
				}
			})
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.staff(t, "owner@example.org", models.RoleOwner)
		e.staff(t, "editor@example.org", models.RoleEditor)

		// Per account: five failures from different IPs lock the account for everyone.
		for i := range 5 {
			e.clock.Advance(time.Minute)
			if _, err := e.svc.Login(ctx, "owner@example.org", "wrong password!!", "10.0.0."+string(rune('1'+i)), ""); !errors.Is(err, models.ErrInvalidCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		_, err := e.svc.Login(ctx, "owner@example.org", password, "10.9.9.9", "")
		var th *identity.ThrottledError
		if !errors.As(err, &th) {
			t.Fatalf("6th attempt with the right password: %v, want ThrottledError", err)
		}
		// The first failure was at t0+1m; it leaves the 15-minute window at t0+16m; now is t0+5m.
		if th.RetryAfter != 11*time.Minute {
			t.Errorf("RetryAfter = %v, want 11m", th.RetryAfter)
		}
		// Other accounts from fresh IPs are unaffected.
		if _, err := e.svc.Login(ctx, "editor@example.org", password, "10.8.8.8", ""); err != nil {
			t.Errorf("other account: %v", err)
		}
		// Once the oldest failure leaves the window, the right password works again and clears the count.
		e.clock.Advance(11 * time.Minute)
		if _, err := e.svc.Login(ctx, "owner@example.org", password, "10.9.9.9", ""); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		for i := range 4 {
			if _, err := e.svc.Login(ctx, "owner@example.org", "wrong password!!", "10.7.7."+string(rune('1'+i)), ""); !errors.Is(err, models.ErrInvalidCredentials) {
				t.Fatalf("failure after reset %d: %v", i+1, err)
			}
		}
		if _, err := e.svc.Login(ctx, "owner@example.org", password, "10.7.7.9", ""); err != nil {
			t.Errorf("success resets the account count, but: %v", err)
		}

		// Per IP: five failures on different accounts lock the IP, even for a right password.
		for i := range 5 {
			if _, err := e.svc.Login(ctx, "user"+string(rune('a'+i))+"@example.org", password, "10.6.6.6", ""); !errors.Is(err, models.ErrInvalidCredentials) {
				t.Fatalf("ip failure %d: %v", i+1, err)
			}
		}
		if _, err := e.svc.Login(ctx, "editor@example.org", password, "10.6.6.6", ""); !errors.As(err, &th) || th.RetryAfter != 15*time.Minute {
			t.Errorf("locked IP: %v", err)
		}
	})
}

func TestLoginUpgradesWeakHash(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		weak := crypto.PasswordParams{Memory: 8 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
		hash, err := crypto.HashPassword(password, weak)
		if err != nil {
			t.Fatal(err)
		}
		u, err := models.NewStaffUser("old@example.org", "", models.RoleAssistant, hash, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.users.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Login(ctx, "old@example.org", password, "192.0.2.50", ""); err != nil {
			t.Fatal(err)
		}
		stored, err := e.users.ByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if crypto.NeedsRehash(*stored.PasswordHash, fast) {
			t.Errorf("hash %s was not upgraded to the configured parameters", *stored.PasswordHash)
		}
		if ok, _ := crypto.VerifyPassword(*stored.PasswordHash, password); !ok {
			t.Error("upgraded hash does not verify")
		}
	})
}

func TestCSRFToken(t *testing.T) {
	t.Parallel()
	a, b := identity.CSRFToken("session-a"), identity.CSRFToken("session-b")
	if a == "" || a == b || a != identity.CSRFToken("session-a") || a == "session-a" {
		t.Errorf("CSRF tokens a=%q b=%q: want stable, distinct and not the session token", a, b)
	}
}

func TestThrottledErrorMessage(t *testing.T) {
	t.Parallel()
	if got := (&identity.ThrottledError{RetryAfter: 90 * time.Second}).Error(); got != "too many failed sign-ins; retry after 1m30s" {
		t.Errorf("Error() = %q", got)
	}
}

func TestCleanup(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.staff(t, "owner@example.org", models.RoleOwner)
		old, err := e.svc.Login(ctx, "owner@example.org", password, "192.0.2.1", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Login(ctx, "owner@example.org", "wrong password!!", "192.0.2.1", ""); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatal(err)
		}
		e.clock.Advance(11 * time.Hour)
		fresh, err := e.svc.Login(ctx, "owner@example.org", password, "192.0.2.2", "") // clears the account's failures
		if err != nil {
			t.Fatal(err)
		}
		// Just past the first session's expiry (t0+12h), a new failure inside the window.
		e.clock.Advance(time.Hour + time.Minute)
		if _, err := e.svc.Login(ctx, "owner@example.org", "wrong password!!", "192.0.2.3", ""); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatal(err)
		}
		sessions, failures, err := e.svc.Cleanup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Gone: the expired session and the first failure's per-IP row (its account row was cleared
		// by the successful sign-in). Kept: the live session and the new failure's two rows.
		if sessions != 1 || failures != 1 {
			t.Errorf("Cleanup removed %d sessions, %d failures; want 1, 1", sessions, failures)
		}
		if _, err := e.sessions.ByTokenHash(ctx, old.Session.TokenHash); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("expired session still stored: %v", err)
		}
		if _, err := e.sessions.ByTokenHash(ctx, fresh.Session.TokenHash); err != nil {
			t.Errorf("live session removed: %v", err)
		}
		var n int64
		err = db.Gorm.Model(&models.ThrottleHit{}).Where("scope = ? AND key = ?", models.ThrottleLoginAccount, "owner@example.org").Count(&n).Error
		if err != nil || n != 1 {
			t.Errorf("hits left for the account = %d (%v), want 1", n, err)
		}
	})
}
