// Package ratelimit caps how many public POSTs (bookings, questions, leads, tool runs, deep links)
// one client address may send per window. The counters are throttle hits in the database, so every
// instance behind a load balancer counts against the same limits.
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

// TaskCleanup is the periodic task that deletes hits older than every window.
const TaskCleanup = "ratelimit.cleanup"

// Store counts hits against keys in one step and forgets old ones (repository.Throttle).
type Store interface {
	Take(ctx context.Context, rule models.ThrottleRule, now time.Time, keys ...models.ThrottleKey) ([]models.ThrottleHit, time.Duration, error)
	Prune(ctx context.Context, t time.Time, scopes ...models.ThrottleScope) (int64, error)
}

// Limiter admits a request of a group from a client address while the address has sent fewer
// than the group's limit in its window.
type Limiter struct {
	store Store
	clock service.Clock
	rules map[string]models.ThrottleRule
}

// New returns a limiter with a rule for every group of Groups.
func New(store Store, clock service.Clock, rules map[string]models.ThrottleRule) (*Limiter, error) {
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
// counted and wait is how long until it may send again.
func (l *Limiter) Take(ctx context.Context, group, client string) (wait time.Duration, err error) {
	rule, ok := l.rules[group]
	if !ok {
		return 0, fmt.Errorf("rate limits: unknown group %q", group)
	}
	key := models.ThrottleKey{Scope: models.ThrottleRateLimit, Key: group + " " + client}
	if _, wait, err = l.store.Take(ctx, rule, l.clock.Now(), key); err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", group, err)
	}
	return wait, nil
}

// Cleanup deletes the hits that have left even the longest window (Take prunes only the keys it
// touches, so addresses that never come back would stay) and returns how many.
func (l *Limiter) Cleanup(ctx context.Context) (int64, error) {
	var longest time.Duration
	for _, r := range l.rules {
		longest = max(longest, r.Window)
	}
	return l.store.Prune(ctx, l.clock.Now().Add(-longest), models.ThrottleRateLimit)
}
