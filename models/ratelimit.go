package models

import "time"

// RateRule limits the requests of one key (a group of routes and a client address) to Limit per
// Window, counted in fixed windows (aligned to multiples of Window since the zero time, so at UTC
// midnight for windows that divide a day) with the previous window weighted: a request is
// admitted while
//
//	previous × (the share of the previous window still within the last Window) + current + 1 ≤ Limit
//
// where previous and current are the admitted requests of the previous and the current fixed
// window. It is the sliding window's count estimated as if the previous window's requests were
// spread evenly; one counter per window keeps it to one statement, however many requests a key sends.
type RateRule struct {
	Limit  int
	Window time.Duration
}

// At returns the fixed window of r that holds now, with what the admission test needs.
func (r RateRule) At(now time.Time) RateWindow {
	start := now.Truncate(r.Window).UTC()
	span := r.Window.Milliseconds()
	return RateWindow{
		Start: start, Previous: start.Add(-r.Window), Limit: int64(r.Limit), Span: span,
		Overlap: max(span-now.Sub(start).Milliseconds(), 0),
		now:     now, window: r.Window,
	}
}

// RateWindow is a rule's fixed window at a moment. The database evaluates Admits itself, with these
// numbers, so that counting and deciding are one atomic statement; times are in whole milliseconds.
type RateWindow struct {
	// Start is when the current window began; Previous when the one before it did.
	Start, Previous time.Time
	Limit           int64
	// Span is the window's length; Overlap how much of the previous window is still within the
	// last Span (Span minus the time since Start).
	Span, Overlap int64

	now    time.Time
	window time.Duration
}

// RateCount is what one take saw: whether it was admitted (and counted), and, when it was not,
// the admitted requests of the previous and of the current window that refused it (the current
// count possibly read just before a concurrent take raised it; Wait allows for that).
type RateCount struct {
	Taken             bool
	Previous, Current int
}

// Admits says whether a key with these counts may send one more request now.
func (w RateWindow) Admits(previous, current int) bool {
	return int64(previous)*w.Overlap+int64(current+1)*w.Span <= w.Limit*w.Span
}

// Wait is how long a key refused with counts c waits until Admits would let one more through,
// if it sends nothing meanwhile: later in this window, as the previous window's weight shrinks, or
// in the next one, where this window's count is the previous one. It is never zero. A refusal
// means the current window holds at least the smallest count that w refuses (every admitted
// request was admitted under a heavier previous window, so it holds exactly that many, unless the
// rule changed); a current count read before a concurrent request took the last place is raised
// to it.
func (w RateWindow) Wait(c RateCount) time.Duration {
	current := max(int64(c.Current), (w.Limit*w.Span-int64(c.Previous)*w.Overlap)/w.Span, 0)
	var at time.Time
	if free := w.Limit - current - 1; free >= 0 {
		// Later in this window, once Previous × Overlap ≤ free × Span (Previous > 0: refused).
		at = w.Start.Add(w.admitAfter(int64(c.Previous), free))
	} else {
		// In the next window, where current is the previous count and nothing is counted yet.
		at = w.Start.Add(w.window).Add(w.admitAfter(current, w.Limit-1))
	}
	if wait := at.Sub(w.now); wait > 0 {
		return wait
	}
	return time.Millisecond // unreachable unless the clock and the counts disagree
}

// admitAfter is the time into a window from which previous × (Span − elapsed) ≤ free × Span.
func (w RateWindow) admitAfter(previous, free int64) time.Duration {
	elapsed := w.Span - free*w.Span/previous
	return time.Duration(max(elapsed, 0)) * time.Millisecond
}

// RateLimitCounter holds the admitted requests of one key in one fixed window of its rule.
type RateLimitCounter struct {
	// Key is "<group> <client address>".
	Key         string    `gorm:"primaryKey"`
	WindowStart time.Time `gorm:"primaryKey;index:rate_limit_counters_window_idx"`
	Hits        int
}
