package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"balance/models"
)

const (
	requestIDKey = "request_id"
	loggerKey    = "logger"
	// RequestIDHeader carries the request id in and out.
	RequestIDHeader = "X-Request-ID"
)

// StatusClientClosedRequest records a request whose client went away before the answer (nginx's
// 499): not a server error.
const StatusClientClosedRequest = 499

// securityHeaders tells browsers not to sniff content types, not to frame any page and not to send
// our URLs (which may carry tokens) as referrers. Set first, so every answer carries them.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		c.Next()
	}
}

// validRequestID accepts ids a proxy might send; anything else is replaced, so logs stay clean.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID takes X-Request-ID from the client when it looks sane, or makes one, and echoes it.
func requestID(base *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			id = models.NewID().String()
		}
		c.Set(requestIDKey, id)
		c.Set(loggerKey, base.With("request_id", id))
		c.Header(RequestIDHeader, id)
		c.Next()
	}
}

// logger returns the request-scoped logger.
func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(loggerKey); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// accessLog writes one structured line per request. The query string is left out: it may carry
// tokens or personal data.
func accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status == StatusClientClosedRequest: // the client left: neither its fault nor ours
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelWarn
		}
		logger(c).LogAttrs(c.Request.Context(), level, "http request",
			slog.String("method", method(c)),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", routeOf(c)),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("ip", c.ClientIP()),
		)
	}
}

func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// recovery turns a panic into a logged 500 problem response.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler { // the client went away; nothing to answer
					panic(r)
				}
				logger(c).ErrorContext(c.Request.Context(), "panic in handler",
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if !c.Writer.Written() {
					problem(c, http.StatusInternalServerError, "internal", "an unexpected error occurred; quote the request id to support")
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// bodyLimit rejects bodies over limit bytes: at once when Content-Length says so, otherwise when
// the decoder reads past the limit.
func bodyLimit(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			problem(c, http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the body exceeds %d bytes", limit))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// Metrics are the HTTP server's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP collectors with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "balance_http_requests_total",
			Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "balance_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		labels := prometheus.Labels{
			"method": method(c),
			"route":  routeOf(c),
			"status": strconv.Itoa(c.Writer.Status()),
		}
		m.requests.With(labels).Inc()
		m.latency.With(labels).Observe(time.Since(start).Seconds())
	}
}
