package gcal

import "time"

// SetNow replaces the clock the free/busy cache reads, so tests can let answers expire.
func SetNow(c *Client, now func() time.Time) { c.now = now }

// SetCacheLimit bounds the free/busy cache to n entries.
func SetCacheLimit(c *Client, n int) { c.cache.max = n }

// CacheLen is how many free/busy answers the cache holds.
func CacheLen(c *Client) int { return c.cache.len() }
