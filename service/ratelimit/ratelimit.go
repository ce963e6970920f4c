// Package ratelimit caps how many public POSTs (bookings, questions, leads, tool runs, deep links)
// one client address may send per window. The counters are rows in the database (one per address,
// group and fixed window), so every instance behind a load balancer counts against the same limits.
package ratelimit

import (
	"context"
	"fmt"
	"slices"
	"time"

	"balance/models"
	"balance/service"
)

// The groups of routes that count together.
const (
	Bookings  = "bookings"
	Questions = "questions"
	Leads     = "leads"
	ToolRuns  = "tool_runs"
	DeepLinks = "deep_links"
)

// Groups lists every group; each needs a rule.
var Groups = []string{Bookings, Questions, Leads, ToolRuns, DeepLinks}

// TaskCleanup is the periodic task that deletes the counters of windows no rule looks at any more.
const TaskCleanup = "ratelimit.cleanup"

// Store counts a key's requests in a rule's fixed windows, counting and deciding in one atomic
// step, and forgets old windows (repository.RateLimits).
type Store interface {
	// Take counts one request of key when w admits it; when not, it returns the counts that
	// refused it.
	Take(ctx context.Context, key string, w models.RateWindow) (models.RateCount, error)
	// Prune deletes the counters of windows that began at or before t.
	Prune(ctx context.Context, t time.Time) (int64, error)
}

// Limiter admits a request of a group from a client address while the group's rule
// (models.RateRule: at most Limit per Window, counted in fixed windows with the previous window
// weighted) admits one more.
type Limiter struct {
	store Store
	clock service.Clock
	rules map[string]models.RateRule
}

// New returns a limiter with a rule for every group of Groups.
func New(store Store, clock service.Clock, rules map[string]models.RateRule) (*Limiter, error) {
	for _, g := range Groups {
		r, ok := rules[g]
		if !ok {
			return nil, fmt.Errorf("rate limits: no rule for %s", g)
		}
		if r.Limit <= 0 || r.Window <= 0 {
			return nil, fmt.Errorf("rate limits: the rule for %s admits nothing", g)
		}
	}
	for g := range rules {
		if !slices.Contains(Groups, g) {
			return nil, fmt.Errorf("rate limits: unknown group %q", g)
		}
	}
	return &Limiter{store: store, clock: clock, rules: rules}, nil
}

// Known reports whether group is one the limiter has a rule for.
func (l *Limiter) Known(group string) bool {
	_, ok := l.rules[group]
	return ok
}

// Take counts one request of group from client; when the address is at its limit, nothing is
// counted and wait (> 0) is how long until it may send again, if it sends nothing meanwhile.
func (l *Limiter) Take(ctx context.Context, group, client string) (wait time.Duration, err error) {
	rule, ok := l.rules[group]
	if !ok {
		return 0, fmt.Errorf("rate limits: unknown group %q", group)
	}
	w := rule.At(l.clock.Now())
	c, err := l.store.Take(ctx, group+" "+client, w)
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", group, err)
	}
	if c.Taken {
		return 0, nil
	}
	return w.Wait(c), nil
}

// Cleanup deletes the counters no rule reads any more — windows that ended at least the longest
// window ago, so they are neither current nor previous for any group — and returns how many.
func (l *Limiter) Cleanup(ctx context.Context) (int64, error) {
	var longest time.Duration
	for _, r := range l.rules {
		longest = max(longest, r.Window)
	}
	return l.store.Prune(ctx, l.clock.Now().Add(-2*longest))
}
