package models_test

import (
	"testing"
	"time"

	"balance/models"
)

// At places a moment in its fixed window: aligned on multiples of the window, in UTC whatever the
// moment's zone, with the share of the previous window still within the last window.
func TestRateRuleAt(t *testing.T) {
	t.Parallel()
	msk := time.FixedZone("MSK", 3*60*60)
	for _, tt := range []struct {
		rule            models.RateRule
		now             time.Time
		start, previous time.Time
		span, overlap   int64
	}{
		{models.RateRule{Limit: 10, Window: time.Hour}, time.Date(2026, 12, 1, 12, 15, 0, 0, msk),
			time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), 3_600_000, 2_700_000},
		{models.RateRule{Limit: 1, Window: 30 * time.Minute}, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC), 1_800_000, 1_800_000},
		{models.RateRule{Limit: 5, Window: 24 * time.Hour}, time.Date(2026, 12, 1, 23, 59, 59, 999_999_999, time.UTC),
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 86_400_000, 1},
	} {
		w := tt.rule.At(tt.now)
		if !w.Start.Equal(tt.start) || w.Start.Location() != time.UTC || !w.Previous.Equal(tt.previous) || w.Span != tt.span || w.Overlap != tt.overlap || w.Limit != int64(tt.rule.Limit) {
			t.Errorf("%v at %v = %+v", tt.rule, tt.now, w)
		}
	}
}

// admits replays a key that sends nothing after being refused with c in w: is one more request of
// it admitted at at?
func admits(rule models.RateRule, w models.RateWindow, c models.RateCount, at time.Time) bool {
	next := rule.At(at)
	switch {
	case next.Start.Equal(w.Start):
		return next.Admits(c.Previous, c.Current)
	case next.Start.Equal(w.Start.Add(rule.Window)):
		return next.Admits(c.Current, 0)
	}
	return next.Admits(0, 0)
}

// A refused key waits exactly until the weighted count lets one more through: later in its window
// as the previous one weighs less, or into the next one, where its window weighs.
func TestRateWindowAdmitsAndWait(t *testing.T) {
	t.Parallel()
	hour := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		rule  models.RateRule
		at    time.Duration // into the window
		count models.RateCount
		admit bool
		wait  time.Duration
	}{
		{"an empty window", models.RateRule{Limit: 1, Window: time.Hour}, 0, models.RateCount{}, true, 0},
		{"under the limit", models.RateRule{Limit: 3, Window: time.Hour}, 10 * time.Minute, models.RateCount{Current: 2}, true, 0},
		{"full: into the next window", models.RateRule{Limit: 3, Window: time.Hour}, 40 * time.Minute, models.RateCount{Current: 3}, false, 40 * time.Minute},
		{"full at the start of a window", models.RateRule{Limit: 3, Window: time.Hour}, 0, models.RateCount{Previous: 3}, false, 20 * time.Minute},
		{"the previous one weighs 10 × 3/4", models.RateRule{Limit: 10, Window: time.Hour}, 15 * time.Minute, models.RateCount{Previous: 10, Current: 2}, false, 3 * time.Minute},
		{"the previous one weighs 10 × 7/10", models.RateRule{Limit: 10, Window: time.Hour}, 18 * time.Minute, models.RateCount{Previous: 10, Current: 2}, true, 0},
		{"a limit of one: the window after next", models.RateRule{Limit: 1, Window: time.Hour}, 10 * time.Minute, models.RateCount{Current: 1}, false, 110 * time.Minute},
		{"a millisecond to go", models.RateRule{Limit: 2, Window: time.Second}, 499*time.Millisecond + 400*time.Microsecond, models.RateCount{Previous: 2, Current: 0}, false, 600 * time.Microsecond},
		{"a window of no whole milliseconds", models.RateRule{Limit: 2, Window: time.Second + time.Microsecond}, 0, models.RateCount{Previous: 2}, false, 500 * time.Millisecond},
		// A refusal read counts before a concurrent take filled the window: they are raised to what
		// refuses.
		{"a stale count, no previous window", models.RateRule{Limit: 3, Window: time.Hour}, time.Minute, models.RateCount{Current: 1}, true, 79 * time.Minute},
		{"a stale count, a previous window", models.RateRule{Limit: 10, Window: time.Hour}, 15 * time.Minute, models.RateCount{Previous: 10}, true, 3 * time.Minute},
	} {
		start := hour.Truncate(tt.rule.Window)
		now := start.Add(tt.at)
		w := tt.rule.At(now)
		if got := w.Admits(tt.count.Previous, tt.count.Current); got != tt.admit {
			t.Errorf("%s: Admits(%+v) = %v", tt.name, tt.count, got)
		}
		if tt.admit && tt.wait == 0 {
			continue
		}
		wait := w.Wait(tt.count)
		if wait != tt.wait {
			t.Errorf("%s: Wait(%+v) = %v, want %v", tt.name, tt.count, wait, tt.wait)
		}
		if tt.admit {
			continue
		}
		if admits(tt.rule, w, tt.count, now.Add(wait-time.Nanosecond)) {
			t.Errorf("%s: admitted before the wait", tt.name)
		}
		if !admits(tt.rule, w, tt.count, now.Add(wait)) {
			t.Errorf("%s: refused after the wait", tt.name)
		}
	}
}
