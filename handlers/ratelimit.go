package handlers

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// Cross-origin requests and rate limits.

// RateLimiter counts a request of a group of routes from a client address (ratelimit.Limiter).
type RateLimiter interface {
	// Take counts one request; wait > 0 refuses it (nothing counted) until then.
	Take(ctx context.Context, group, client string) (wait time.Duration, err error)
	Known(group string) bool
}

// rateLimits makes the per-route middleware of the rate limits; with no limiter, it limits nothing.
type rateLimits struct{ limiter RateLimiter }

// group returns the middleware that counts a route's requests in the named group ("bookings",
// "questions", "leads", "tool_runs", "deep_links") per client address — c.ClientIP(), which believes
// X-Forwarded-For only from http.trusted_proxies — and answers 429 rate-limited with Retry-After
// (whole seconds, rounded up) beyond the group's limit. A database that cannot be reached answers
// 503 database-unavailable, as the route itself would. An unknown group is a programming error and
// panics when the router is built.
func (l rateLimits) group(name string) gin.HandlerFunc {
	if l.limiter == nil {
		return func(c *gin.Context) { c.Next() }
	}
	if !l.limiter.Known(name) {
		panic(fmt.Sprintf("rate limits: unknown group %q", name))
	}
	return func(c *gin.Context) {
		wait, err := l.limiter.Take(c.Request.Context(), name, c.ClientIP())
		if err != nil {
			respondError(c, err)
			return
		}
		if wait > 0 {
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(max(wait, time.Second).Seconds()))))
			problem(c, http.StatusTooManyRequests, "rate-limited", "too many requests from this address; retry after Retry-After seconds")
			return
		}
		c.Next()
	}
}
