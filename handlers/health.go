package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz says the process is up; it checks nothing else, so orchestrators restart only a hung process.
func healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyTimeout bounds all readiness checks together, well inside a load balancer's probe timeout:
// a database that does not answer by then counts as down.
const readyTimeout = 2 * time.Second

// readyz runs every readiness check, at once; any failure answers 503 so a load balancer holds
// traffic back until the checks pass again.
func readyz(checks []Check) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
		defer cancel()
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, ch := range checks {
			wg.Go(func() { errs[i] = ch.Fn(ctx) })
		}
		wg.Wait()
		results := make(map[string]string, len(checks))
		ready := true
		for i, ch := range checks {
			if err := errs[i]; err != nil {
				ready = false
				results[ch.Name] = "failing"
				logger(c).WarnContext(c.Request.Context(), "readiness check failed", "check", ch.Name, "error", err.Error())
				continue
			}
			results[ch.Name] = "ok"
		}
		if ready {
			c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
			return
		}
		body, _ := json.Marshal(struct {
			Problem
			Checks map[string]string `json:"checks"`
		}{
			Problem: Problem{
				Type: problemTypeBase + "not-ready", Title: http.StatusText(http.StatusServiceUnavailable),
				Status: http.StatusServiceUnavailable, Detail: "a dependency is not ready",
				Instance: c.Request.URL.Path, RequestID: c.GetString(requestIDKey),
			},
			Checks: results,
		})
		c.Data(http.StatusServiceUnavailable, ProblemContentType, body)
	}
}
