package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Cross-origin requests and rate limits.

// CORS: what a front end on another origin may send and read. The headers a client may send are
// those the public API reads (and the admin API's, should a front end grow one); the headers it
// may read are those the public API answers with besides the CORS-safelisted ones.
var (
	corsAllowMethods  = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Content-Type, Idempotency-Key, X-Manage-Token, X-Run-Token, X-Question-Token, Authorization, X-CSRF-Token"
	corsExposeHeaders = "Content-Range, Retry-After, ETag, Location, X-Request-Id, Idempotent-Replayed"
)

// corsMaxAge is how long a browser may reuse a preflight's answer, in seconds: short enough that
// a changed http.cors_origins takes effect soon (Chromium caps it at two hours anyway).
const corsMaxAge = 600

// corsListedOrigin marks (in the request's context) a request of the public API from an origin
// listed in http.cors_origins: the site's own front end, even when the browser calls it cross-site.
const corsListedOrigin = "balance.cors_listed_origin"

// corsScoped reports whether path is part of the public API a front end on another origin may
// call: /api/v1/... and the contract. Never the admin API, the webhooks or the health checks.
func corsScoped(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") || path == "/api/openapi.yaml"
}

// cors answers preflights and marks the answers of the public API for the listed origins (exact
// scheme://host[:port], as config validates them). It runs before routing, since the router
// answers OPTIONS with 405. A request from another origin gets no CORS header, so the browser
// keeps its answer from the page; a preflight from it is refused with 403 origin-not-allowed.
// Requests without Origin (same origin, curl, servers) pass untouched.
func cors(origins []string) gin.HandlerFunc {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return func(c *gin.Context) {
		if len(allowed) == 0 || !corsScoped(c.Request.URL.Path) {
			c.Next()
			return
		}
		h := c.Writer.Header()
		// The answer depends on Origin: a shared cache must not hand one origin's answer to another.
		h.Add("Vary", "Origin")
		origin := c.GetHeader("Origin")
		preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
		if origin == "" {
			c.Next()
			return
		}
		if !allowed[origin] {
			if preflight {
				problem(c, http.StatusForbidden, "origin-not-allowed", "this origin is not allowed to call the API from a browser (http.cors_origins)")
				return
			}
			c.Next()
			return
		}
		c.Set(corsListedOrigin, true)
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if preflight {
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		c.Next()
	}
}
