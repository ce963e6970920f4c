package gcal

import (
	"slices"
	"sync"
	"time"
)

// defaultCacheEntries bounds the free/busy cache: slot listings ask for a few windows (a week,
// a month, the final check of one slot), so a few hundred cover every visitor at once.
const defaultCacheEntries = 256

// window is a cache key: a free/busy query's bounds, as instants.
type window struct {
	from, to time.Time
}

func newWindow(from, to time.Time) window {
	// UTC and Round(0) drop the location and the monotonic reading, so equal instants compare
	// equal with ==.
	return window{from: from.UTC().Round(0), to: to.UTC().Round(0)}
}

type cacheEntry struct {
	busy    []Interval
	expires time.Time
}

// busyCache keeps free/busy answers until they expire or the calendar is written. It is safe for
// concurrent use.
type busyCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[window]cacheEntry
	// gen counts invalidations: an answer fetched before a write is not stored after it.
	gen uint64
}

func newBusyCache(ttl time.Duration, maxEntries int) *busyCache {
	return &busyCache{ttl: ttl, max: maxEntries, entries: make(map[window]cacheEntry)}
}

// get returns a copy of a fresh answer for w, and the generation to store a new answer with.
func (c *busyCache) get(w window, now time.Time) ([]Interval, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[w]
	if !ok || !now.Before(e.expires) {
		return nil, false, c.gen
	}
	return slices.Clone(e.busy), true, c.gen
}

// put stores an answer fetched at generation gen, unless the calendar was written since. When
// the cache is full it drops the expired entries, then the one closest to expiry.
func (c *busyCache) put(w window, busy []Interval, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.entries[w]; !ok && len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			var oldest window
			first := true
			for k, e := range c.entries {
				if first || e.expires.Before(c.entries[oldest].expires) {
					oldest, first = k, false
				}
			}
			delete(c.entries, oldest)
		}
	}
	c.entries[w] = cacheEntry{busy: slices.Clone(busy), expires: now.Add(c.ttl)}
}

// invalidate forgets every answer: the calendar changed.
func (c *busyCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

func (c *busyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
