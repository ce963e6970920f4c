package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/ratelimit"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func rules(edit func(map[string]models.ThrottleRule)) map[string]models.ThrottleRule {
	r := map[string]models.ThrottleRule{}
	for _, g := range ratelimit.Groups {
		r[g] = models.ThrottleRule{Limit: 2, Window: time.Hour}
	}
	if edit != nil {
		edit(r)
	}
	return r
}

// Every group needs a rule that admits something, and only known groups have one.
func TestNewChecksRules(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(map[string]models.ThrottleRule){
		"a group without a rule": func(r map[string]models.ThrottleRule) { delete(r, ratelimit.Leads) },
		"a rule admitting none": func(r map[string]models.ThrottleRule) {
			r[ratelimit.Questions] = models.ThrottleRule{Window: time.Hour}
		},
		"a rule without window": func(r map[string]models.ThrottleRule) { r[ratelimit.ToolRuns] = models.ThrottleRule{Limit: 1} },
		"an unknown group": func(r map[string]models.ThrottleRule) {
			r["comments"] = models.ThrottleRule{Limit: 1, Window: time.Hour}
		},
	} {
		if _, err := ratelimit.New(nil, testkit.NewClock(t0), rules(edit)); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// Groups and addresses count apart; the wait is until the oldest hit leaves the window.
func TestTake(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(t0)
		l, err := ratelimit.New(repository.NewThrottle(db), clock, rules(nil))
		if err != nil {
			t.Fatal(err)
		}
		take := func(group, addr string, want time.Duration) {
			t.Helper()
			if wait, err := l.Take(ctx, group, addr); err != nil || wait != want {
				t.Fatalf("Take(%s, %s) = %v, %v; want %v", group, addr, wait, err, want)
			}
		}
		take(ratelimit.Questions, "203.0.113.1", 0)
		clock.Advance(time.Minute)
		take(ratelimit.Questions, "203.0.113.1", 0)
		take(ratelimit.Questions, "203.0.113.1", 59*time.Minute)
		take(ratelimit.Leads, "203.0.113.1", 0)
		take(ratelimit.Questions, "2001:db8::1", 0)
		if _, err := l.Take(ctx, "comments", "203.0.113.1"); err == nil {
			t.Error("Take of an unknown group succeeded")
		}
	})
}
