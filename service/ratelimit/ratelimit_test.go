package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/ratelimit"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func rules(edit func(map[string]models.RateRule)) map[string]models.RateRule {
	r := map[string]models.RateRule{}
	for _, g := range ratelimit.Groups {
		r[g] = models.RateRule{Limit: 2, Window: time.Hour}
	}
	if edit != nil {
		edit(r)
	}
	return r
}

// Every group needs a rule that admits something, and only known groups have one.
func TestRateLimiterNewChecksRules(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(map[string]models.RateRule){
		"a group without a rule": func(r map[string]models.RateRule) { delete(r, ratelimit.Leads) },
		"a rule admitting none": func(r map[string]models.RateRule) {
			r[ratelimit.Questions] = models.RateRule{Window: time.Hour}
		},
		"a rule without window": func(r map[string]models.RateRule) { r[ratelimit.ToolRuns] = models.RateRule{Limit: 1} },
		"an unknown group": func(r map[string]models.RateRule) {
			r["comments"] = models.RateRule{Limit: 1, Window: time.Hour}
		},
	} {
		if _, err := ratelimit.New(nil, testkit.NewClock(t0), rules(edit)); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// Groups and addresses count apart; a refused address is told how long until the weighted count
// of its windows admits one more, and is admitted then.
func TestRateLimiterTake(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(t0)
		l, err := ratelimit.New(repository.NewRateLimits(db), clock, rules(nil))
		if err != nil {
			t.Fatal(err)
		}
		take := func(group, addr string, want time.Duration) {
			t.Helper()
			if wait, err := l.Take(ctx, group, addr); err != nil || wait != want {
				t.Fatalf("Take(%s, %s) at %v = %v, %v; want %v", group, addr, clock.Now(), wait, err, want)
			}
		}
		take(ratelimit.Questions, "203.0.113.1", 0)
		clock.Advance(time.Minute)
		take(ratelimit.Questions, "203.0.113.1", 0)
		// 2 in the 9:00 window: from 10:00 it weighs 2 × (share left), and 2 × 1/2 + 1 ≤ 2 at 10:30.
		take(ratelimit.Questions, "203.0.113.1", 89*time.Minute)
		take(ratelimit.Leads, "203.0.113.1", 0)
		take(ratelimit.Questions, "2001:db8::1", 0)
		clock.Advance(89*time.Minute - time.Second)
		take(ratelimit.Questions, "203.0.113.1", time.Second)
		clock.Advance(time.Second)
		take(ratelimit.Questions, "203.0.113.1", 0)
		// 10:30: 2 × 1/2 + 1 + 1 > 2 until 11:00, when the 10:00 window weighs 1 × 1.
		take(ratelimit.Questions, "203.0.113.1", 30*time.Minute)
		clock.Advance(30 * time.Minute)
		take(ratelimit.Questions, "203.0.113.1", 0)
		if _, err := l.Take(ctx, "comments", "203.0.113.1"); err == nil {
			t.Error("Take of an unknown group succeeded")
		}
	})
}

// Limiters of two instances on one database share the counts, and concurrent requests of one
// address through both admit exactly the limit.
func TestRateLimiterInstancesShareCounts(t *testing.T) {
	t.Parallel()
	for _, d := range testkit.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			url := testkit.NewSQLiteURL
			if d == migrations.Postgres {
				url = testkit.NewPostgresURL
			}
			u := url(t)
			clock := testkit.NewClock(t0.Add(30 * time.Minute))
			var limiters []*ratelimit.Limiter
			for range 2 {
				db, err := repository.Open(context.Background(), u, repository.Options{MaxOpenConns: 4})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				l, err := ratelimit.New(repository.NewRateLimits(db), clock, rules(func(r map[string]models.RateRule) {
					r[ratelimit.Bookings] = models.RateRule{Limit: 10, Window: time.Hour}
				}))
				if err != nil {
					t.Fatal(err)
				}
				limiters = append(limiters, l)
			}
			const n = 30
			var admitted, refused atomic.Int64
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					wait, err := limiters[i%2].Take(context.Background(), ratelimit.Bookings, "198.51.100.7")
					switch {
					case err != nil:
						t.Errorf("Take %d: %v", i, err)
					case wait == 0:
						admitted.Add(1)
					case wait == 30*time.Minute+6*time.Minute: // 10 × (1 − 6/60) + 1 ≤ 10 at 10:06
						refused.Add(1)
					default:
						t.Errorf("Take %d: wait %v", i, wait)
					}
				})
			}
			close(start)
			wg.Wait()
			if admitted.Load() != 10 || refused.Load() != n-10 {
				t.Errorf("%d admitted, %d refused of %d; want the limit, 10, admitted", admitted.Load(), refused.Load(), n)
			}
			// Either instance refuses the address now; another address is free on both.
			for i, l := range limiters {
				if wait, err := l.Take(context.Background(), ratelimit.Bookings, "198.51.100.7"); err != nil || wait == 0 {
					t.Errorf("instance %d: Take = %v, %v; want refused", i, wait, err)
				}
				if wait, err := l.Take(context.Background(), ratelimit.Bookings, "198.51.100.8"); err != nil || wait != 0 {
					t.Errorf("instance %d: Take of another address = %v, %v; want admitted", i, wait, err)
				}
			}
		})
	}
}

// Cleanup deletes the counters of windows that are neither current nor previous for any group.
func TestRateLimiterCleanup(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(t0)
		l, err := ratelimit.New(repository.NewRateLimits(db), clock, rules(func(r map[string]models.RateRule) {
			r[ratelimit.ToolRuns] = models.RateRule{Limit: 2, Window: 2 * time.Hour} // the longest
		}))
		if err != nil {
			t.Fatal(err)
		}
		for _, addr := range []string{"203.0.113.1", "203.0.113.2"} {
			if wait, err := l.Take(ctx, ratelimit.Questions, addr); err != nil || wait != 0 {
				t.Fatalf("Take = %v, %v", wait, err)
			}
		}
		clock.Advance(time.Hour)
		if wait, err := l.Take(ctx, ratelimit.Questions, "203.0.113.1"); err != nil || wait != 0 {
			t.Fatalf("Take = %v, %v", wait, err)
		}
		// The 9:00 windows are still read until 9:00 + 2 × 2h, by the longest rule's reckoning.
		clock.Advance(3*time.Hour - time.Second)
		if n, err := l.Cleanup(ctx); err != nil || n != 0 {
			t.Fatalf("Cleanup at %v = %d, %v; want 0", clock.Now(), n, err)
		}
		clock.Advance(time.Second)
		if n, err := l.Cleanup(ctx); err != nil || n != 2 {
			t.Fatalf("Cleanup at %v = %d, %v; want the two 9:00 counters", clock.Now(), n, err)
		}
		clock.Advance(time.Hour)
		if n, err := l.Cleanup(ctx); err != nil || n != 1 {
			t.Fatalf("Cleanup at %v = %d, %v; want the 10:00 counter", clock.Now(), n, err)
		}
	})
}

// On PostgreSQL a Take is one statement in one (implicit) transaction, admitted or refused: the
// rate limit of a booking is part of its statement budget.
func TestRateLimiterTakeIsOneStatementOnPostgres(t *testing.T) {
	t.Parallel()
	trace := testkit.NewSQLTrace()
	db, err := repository.Open(context.Background(), testkit.NewPostgresURL(t), repository.Options{MaxOpenConns: 4, Tracer: trace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := ratelimit.New(repository.NewRateLimits(db), testkit.NewClock(t0), rules(nil))
	if err != nil {
		t.Fatal(err)
	}
	for i, refused := range []bool{false, false, true} {
		trace.Reset()
		wait, err := l.Take(trace.Track(context.Background()), ratelimit.Bookings, "203.0.113.1")
		if err != nil || (wait > 0) != refused {
			t.Fatalf("Take %d = %v, %v; want refused %v", i, wait, err, refused)
		}
		if stmts, txs := trace.Counts(); stmts != 1 || txs != 1 {
			t.Errorf("Take %d (refused %v): %d statements in %d transactions, want 1 in 1:\n%s", i, refused, stmts, txs, trace)
		}
	}
}
