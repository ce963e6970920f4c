package models

import (
	"time"

	"github.com/google/uuid"
)

// ThrottleScope names what a throttle counts against: sign-ins per address, per account, ...
type ThrottleScope string

// Throttle scopes.
const (
	ThrottleLoginIP      ThrottleScope = "login_ip"
	ThrottleLoginAccount ThrottleScope = "login_account"
)

// ThrottleKey is one thing a throttle counts: an address, an account, within its scope.
type ThrottleKey struct {
	Scope ThrottleScope
	Key   string
}

// ThrottleRule admits at most Limit hits per key in any Window (a sliding window): a key that holds
// Limit hits admits the next when its oldest hit leaves the window.
type ThrottleRule struct {
	Limit  int
	Window time.Duration
}

// Since is the start of the window ending at now: only hits after it count.
func (r ThrottleRule) Since(now time.Time) time.Time { return now.Add(-r.Window) }

// Admit says whether a key holding n hits in the window, the oldest at oldest, may take one more at
// now; if not, wait is how long until its oldest hit leaves the window.
func (r ThrottleRule) Admit(n int, oldest, now time.Time) (ok bool, wait time.Duration) {
	if n < r.Limit {
		return true, 0
	}
	return false, max(oldest.Add(r.Window).Sub(now), time.Nanosecond)
}

// ThrottleHit is one attempt counted against a key. It is taken before the attempt's costly or
// guarded work (e.g. checking a password), so concurrent attempts cannot all slip under the limit,
// and it stays as a failure unless the attempt gives it back.
type ThrottleHit struct {
	ID    uuid.UUID     `gorm:"primaryKey"`
	Scope ThrottleScope `gorm:"index:throttle_hits_key_idx,priority:1"`
	Key   string        `gorm:"index:throttle_hits_key_idx,priority:2"`
	HitAt time.Time     `gorm:"index:throttle_hits_key_idx,priority:3"`
}
