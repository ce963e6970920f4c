package identity_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"balance/crypto"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/identity"
)

// countingVerifier counts password checks, real and dummy: each is the expensive work the
// sign-in throttle rations.
type countingVerifier struct {
	checks    atomic.Int64
	dummyHash string
}

func newCountingVerifier(t *testing.T) *countingVerifier {
	t.Helper()
	// Dummy checks cost what a real one costs in these tests, not crypto's production parameters.
	h, err := crypto.HashPassword("dummy password!", fast)
	if err != nil {
		t.Fatal(err)
	}
	return &countingVerifier{dummyHash: h}
}

func (v *countingVerifier) Verify(encoded, password string) (bool, error) {
	v.checks.Add(1)
	return crypto.VerifyPassword(encoded, password)
}

func (v *countingVerifier) Dummy(password string) {
	v.checks.Add(1)
	_, _ = crypto.VerifyPassword(v.dummyHash, password)
}

// signInStorm fires n wrong-password sign-ins at once, the i-th as email(i) from ip(i), spread
// over the given service instances, and counts how they ended.
func signInStorm(t *testing.T, svcs []*identity.Service, n int, email, ip func(i int) string) (invalid, throttled int) {
	t.Helper()
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = svcs[i%len(svcs)].Login(context.Background(), email(i), "wrong password!!", ip(i), "")
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		var th *identity.ThrottledError
		switch {
		case errors.Is(err, models.ErrInvalidCredentials):
			invalid++
		case errors.As(err, &th):
			throttled++
			if th.RetryAfter != 15*time.Minute {
				t.Errorf("attempt %d: RetryAfter = %v, want 15m", i, th.RetryAfter)
			}
		default:
			t.Errorf("attempt %d: %v, want ErrInvalidCredentials or ThrottledError", i, err)
		}
	}
	return invalid, throttled
}

var stormCases = []struct {
	name      string
	email, ip func(i int) string
}{
	{"one account from one address",
		func(int) string { return "owner@example.org" }, func(int) string { return "203.0.113.1" }},
	{"one account from many addresses",
		func(int) string { return "owner@example.org" }, func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }},
	{"many accounts from one address",
		func(i int) string { return fmt.Sprintf("user%d@example.org", i) }, func(int) string { return "203.0.113.1" }},
}

// However many sign-ins arrive at once, at most auth.login_max_failures of them for one account
// (or from one address) get their password checked in a window: the others are refused unchecked.
func TestLoginThrottleUnderConcurrency(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		clock := testkit.NewClock(t0)
		v := newCountingVerifier(t)
		svc := newService(db, clock, v)
		if _, err := svc.CreateStaff(context.Background(), "owner@example.org", "owner", "", password); err != nil {
			t.Fatal(err)
		}
		for _, tc := range stormCases {
			t.Run(tc.name, func(t *testing.T) {
				v.checks.Store(0)
				stormAt(t, clock, tc.name)
				invalid, throttled := signInStorm(t, []*identity.Service{svc}, 30, tc.email, tc.ip)
				if got := v.checks.Load(); got != 5 || invalid != 5 || throttled != 25 {
					t.Errorf("30 concurrent sign-ins: %d password checks, %d invalid, %d throttled; want 5, 5, 25", got, invalid, throttled)
				}
			})
		}
	})
}

// The limit holds across instances: two services with their own connection pools on one database
// share it, as instances behind a load balancer do.
func TestLoginThrottleAcrossInstances(t *testing.T) {
	for _, d := range testkit.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			var url string
			if d == migrations.Postgres {
				url = testkit.NewPostgresURL(t)
			} else {
				url = testkit.NewSQLiteURL(t)
			}
			clock := testkit.NewClock(t0)
			v := newCountingVerifier(t)
			var svcs []*identity.Service
			for range 2 {
				db, err := repository.Open(context.Background(), url, repository.Options{MaxOpenConns: 4, Keys: testkit.KeyRing(t, testkit.Key(t))})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				svcs = append(svcs, newService(db, clock, v))
			}
			if _, err := svcs[0].CreateStaff(context.Background(), "owner@example.org", "owner", "", password); err != nil {
				t.Fatal(err)
			}
			for _, tc := range stormCases {
				v.checks.Store(0)
				stormAt(t, clock, tc.name)
				invalid, throttled := signInStorm(t, svcs, 30, tc.email, tc.ip)
				if got := v.checks.Load(); got != 5 || invalid != 5 || throttled != 25 {
					t.Errorf("%s: 30 sign-ins over 2 instances: %d password checks, %d invalid, %d throttled; want 5, 5, 25",
						tc.name, got, invalid, throttled)
				}
			}
		})
	}
}

// stormAt moves clock past the window of the previous storm, so each case starts with no failures.
func stormAt(t *testing.T, clock *testkit.Clock, name string) {
	t.Helper()
	for i, tc := range stormCases {
		if tc.name == name {
			clock.Set(t0.Add(time.Duration(i) * time.Hour))
			return
		}
	}
	t.Fatalf("unknown case %q", name)
}

// A successful sign-in gives its IP hit back (and clears the account's); an attempt that could not
// judge the password gives both back.
func TestLoginGivesBackHits(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.staff(t, "owner@example.org", models.RoleOwner)
		e.staff(t, "editor@example.org", models.RoleEditor)
		const ip = "10.1.1.1"
		for i := range 4 {
			if _, err := e.svc.Login(ctx, "owner@example.org", "wrong password!!", ip, ""); !errors.Is(err, models.ErrInvalidCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		if _, err := e.svc.Login(ctx, "owner@example.org", password, ip, ""); err != nil {
			t.Fatalf("right password: %v", err)
		}
		// The IP holds its four failures only: one more attempt is checked, the next is refused.
		if _, err := e.svc.Login(ctx, "editor@example.org", "wrong password!!", ip, ""); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("fifth failure from the IP: %v", err)
		}
		var th *identity.ThrottledError
		if _, err := e.svc.Login(ctx, "editor@example.org", password, ip, ""); !errors.As(err, &th) {
			t.Fatalf("sixth attempt from the IP: %v, want ThrottledError", err)
		}
		hits := func(scope models.ThrottleScope, key string) int64 {
			var n int64
			if err := db.Gorm.Model(&models.ThrottleHit{}).Where("scope = ? AND key = ?", scope, key).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := hits(models.ThrottleLoginAccount, "owner@example.org"); n != 0 {
			t.Errorf("owner's account holds %d hits after signing in, want 0", n)
		}

		// A stored hash that cannot be read: the password was not judged, the attempt does not count.
		broken, err := models.NewStaffUser("broken@example.org", "", models.RoleEditor, "not a PHC string", t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.users.Create(ctx, broken); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Login(ctx, "broken@example.org", password, "10.2.2.2", "")
		if err == nil || errors.Is(err, models.ErrInvalidCredentials) || errors.As(err, &th) {
			t.Fatalf("unreadable hash: %v, want an internal error", err)
		}
		if a, i := hits(models.ThrottleLoginAccount, "broken@example.org"), hits(models.ThrottleLoginIP, "10.2.2.2"); a != 0 || i != 0 {
			t.Errorf("an attempt that judged nothing left %d account and %d IP hits, want none", a, i)
		}
	})
}
