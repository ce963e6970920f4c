package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"balance/events"
	"balance/handlers"
	"balance/integrations/telegram"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
	"balance/service/bot"
	"balance/service/ratelimit"
)

// Cross-origin requests and rate limits.

const siteOrigin = "https://site.example"

// preflight sends a browser's CORS preflight for method on path from origin. A preflight is not an
// operation of the API, so it is sent past the contract check.
func preflight(t *testing.T, s *server, path, origin, method string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, s.api.Server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", "content-type,idempotency-key")
	resp, err := s.api.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

var corsHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Expose-Headers",
}

// noCORS fails when h holds any CORS header a browser would act on.
func noCORS(t *testing.T, what string, h http.Header) {
	t.Helper()
	for _, k := range corsHeaders {
		if v := h.Get(k); v != "" && !(k == "Access-Control-Expose-Headers" && strings.HasPrefix(what, "admin")) {
			t.Errorf("%s: %s = %q, want none", what, k, v)
		}
	}
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, testkit.NewDB(t, "sqlite"), options{corsOrigins: []string{siteOrigin, "http://localhost:5173"}})

	// An allowed origin: 204 with what the browser needs, for any path of the public API (the
	// router answers 405 to OPTIONS otherwise), the contract too.
	for _, path := range []string{"/api/v1/bookings", "/api/v1/bookings/0193a1b2-0000-7000-8000-000000000000/intake-form", "/api/openapi.yaml"} {
		resp := preflight(t, s, path, siteOrigin, "POST")
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("preflight %s from an allowed origin = %d, want 204", path, resp.StatusCode)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":      siteOrigin,
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Max-Age":           "600",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("preflight %s: %s = %q, want %q", path, k, got, v)
			}
		}
		for _, m := range []string{"GET", "POST", "PUT"} {
			if !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), m) {
				t.Errorf("preflight %s: Allow-Methods %q lacks %s", path, resp.Header.Get("Access-Control-Allow-Methods"), m)
			}
		}
		allowHeaders := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"content-type", "idempotency-key", "x-manage-token", "x-run-token", "x-question-token", "authorization", "x-csrf-token"} {
			if !strings.Contains(allowHeaders, h) {
				t.Errorf("preflight %s: Allow-Headers %q lacks %s", path, allowHeaders, h)
			}
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("preflight %s: Vary %q lacks Origin", path, resp.Header.Values("Vary"))
		}
	}
	if resp := preflight(t, s, "/api/v1/bookings", "http://localhost:5173", "PUT"); resp.StatusCode != http.StatusNoContent ||
		resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("preflight from the second origin = %d, Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}

	// A foreign origin (or one differing only in scheme, port or case): 403 origin-not-allowed and
	// no CORS header, so the browser sends nothing.
	for _, origin := range []string{"https://evil.example", "http://site.example", "https://site.example:8443", "https://SITE.example", "null"} {
		resp := preflight(t, s, "/api/v1/bookings", origin, "POST")
		if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), handlers.ProblemContentType) {
			t.Errorf("preflight from %s = %d %s, want 403 problem", origin, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		noCORS(t, "preflight from "+origin, resp.Header)
	}

	// The admin API is never opened to another origin: its OPTIONS stays 405, without CORS headers.
	for _, path := range []string{"/admin/api/auth/login", "/admin/api/auth/me", "/webhooks/yookassa", "/healthz"} {
		resp := preflight(t, s, path, siteOrigin, "POST")
		if resp.StatusCode == http.StatusNoContent || resp.StatusCode < 400 {
			t.Errorf("preflight %s = %d, want an error", path, resp.StatusCode)
		}
		noCORS(t, "admin preflight "+path, resp.Header)
	}

	// An OPTIONS that is not a preflight is left to the router.
	r := s.api.Do("OPTIONS", "/api/v1/bookings", nil, http.Header{"Origin": {siteOrigin}})
	if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
		t.Errorf("plain OPTIONS = %d", r.Status)
	}
}

func TestCORSActualRequests(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	s, _ := newServer(t, db, options{corsOrigins: []string{siteOrigin}, catalogue: booking.NewCatalogue(repository.NewServices(db))})
	origin := func(o string) http.Header { return http.Header{"Origin": {o}} }

	for _, path := range []string{"/api/v1/services", "/api/v1/services/none", "/api/openapi.yaml"} {
		r := s.api.Do("GET", path, nil, origin(siteOrigin))
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != siteOrigin {
			t.Errorf("GET %s from an allowed origin: Allow-Origin %q", path, got)
		}
		if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("GET %s: Allow-Credentials %q", path, got)
		}
		expose := r.Header.Get("Access-Control-Expose-Headers")
		for _, h := range []string{"Content-Range", "Retry-After", "ETag", "Location", "X-Request-Id", "Idempotent-Replayed"} {
			if !strings.Contains(expose, h) {
				t.Errorf("GET %s: Expose-Headers %q lacks %s", path, expose, h)
			}
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("GET %s: Vary %q lacks Origin", path, r.Header.Values("Vary"))
		}
		// A foreign origin is answered (the server cannot stop a request), but without CORS
		// headers the browser keeps the answer from the page.
		r = s.api.Do("GET", path, nil, origin("https://evil.example"))
		noCORS(t, "GET "+path+" from a foreign origin", r.Header)
		r = s.api.Do("GET", path, nil)
		noCORS(t, "GET "+path+" without Origin", r.Header)
	}

	// The admin API answers an allowed origin as any other: no CORS header of ours.
	for _, path := range []string{"/admin/api/auth/me", "/healthz"} {
		r := s.api.Do("GET", path, nil, origin(siteOrigin))
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET %s: Allow-Origin %q, want none", path, got)
		}
		if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("GET %s: Allow-Credentials %q, want none", path, got)
		}
	}
}

// With no origin configured (the default) nothing is allowed: the router's 405 stays.
func TestCORSOffByDefault(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, testkit.NewDB(t, "sqlite"), options{})
	resp := preflight(t, s, "/api/v1/bookings", siteOrigin, "POST")
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("preflight = %d, want the router's answer", resp.StatusCode)
	}
	noCORS(t, "preflight without cors_origins", resp.Header)
	r := s.api.Do("GET", "/api/openapi.yaml", nil, http.Header{"Origin": {siteOrigin}})
	noCORS(t, "GET without cors_origins", r.Header)
}

// refusingBot stands in for the Telegram bot: the rate limit tests send bodies the handler rejects
// before it calls the bot.
type refusingBot struct{}

func (refusingBot) CreateDeepLink(context.Context, bot.DeepLinkRequest) (*bot.DeepLink, error) {
	return nil, errors.New("not in this test")
}
func (refusingBot) HandleUpdate(context.Context, *telegram.Update) error { return nil }
func (refusingBot) CheckSecret(string) bool                              { return false }

var testRateRules = map[string]models.RateRule{
	ratelimit.Bookings: {Limit: 3, Window: time.Hour}, ratelimit.DeepLinks: {Limit: 2, Window: time.Hour},
	ratelimit.Questions: {Limit: 1, Window: time.Hour}, ratelimit.Leads: {Limit: 1, Window: time.Hour},
	ratelimit.ToolRuns: {Limit: 1, Window: time.Hour},
}

// rateLimitedServer serves the booking API and deep links with the limits of testRateRules,
// counted in db at clock's time, behind a proxy at 127.0.0.1 when trusted.
func rateLimitedServer(t *testing.T, db *repository.DB, clock *testkit.Clock, trusted bool) *server {
	t.Helper()
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	st := booking.NewStores(db)
	slots := booking.NewSlots(repository.NewAvailability(db), st.Appointments, nil, clock)
	b := booking.NewBookings(db, st, slots, nil, outbox, clock, booking.Config{HoldTTL: 15 * time.Minute, IdempotencyTTL: 24 * time.Hour}, testkit.Logger(t))
	limits, err := ratelimit.New(repository.NewRateLimits(db), clock, testRateRules)
	if err != nil {
		t.Fatal(err)
	}
	opt := options{bookings: b, bot: refusingBot{}, botSecret: refusingBot{}, rateLimits: limits}
	if trusted {
		opt.trustedProxies = []string{"127.0.0.1", "::1"}
	}
	s, _ := newServer(t, db, opt)
	return s
}

func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

// rateLimited asserts a 429 rate-limited answer with Retry-After of want seconds.
func rateLimited(t *testing.T, what string, r *testkit.Response, want int) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("%s = %d %s, want 429", what, r.Status, r.Body)
	}
	if p := r.Problem(t); !strings.HasSuffix(p.Type, "/rate-limited") || p.Status != 429 {
		t.Errorf("%s: problem %+v", what, p)
	}
	if got := r.Header.Get("Retry-After"); got != strconv.Itoa(want) {
		t.Errorf("%s: Retry-After %q, want %d", what, got, want)
	}
}

func admitted(t *testing.T, what string, r *testkit.Response) {
	t.Helper()
	if r.Status == http.StatusTooManyRequests || r.Status >= 500 {
		t.Fatalf("%s = %d %s, want it admitted", what, r.Status, r.Body)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		clock := testkit.NewClock(bookingNow)
		s := rateLimitedServer(t, db, clock, true)
		const id = "/api/v1/bookings/0193a1b2-0000-7000-8000-000000000000"
		a, b := from("198.51.100.1"), from("198.51.100.2")

		// The bookings group: every POST (and the intake form's PUT) of the booking API counts,
		// whatever its answer; the fourth in the 9:00 window is refused until 10:20, when the 9:00
		// window's 3 weigh 3 × 2/3 and one more fits under 3.
		admitted(t, "waitlist", s.api.Do("POST", "/api/v1/waitlist", map[string]any{}, a))
		clock.Advance(10 * time.Minute)
		admitted(t, "cancel", s.api.Do("POST", id+"/cancel", map[string]any{}, a))
		clock.Advance(10*time.Minute + 500*time.Millisecond)
		admitted(t, "intake form", s.api.Do("PUT", id+"/intake-form", map[string]any{}, a))
		clock.Advance(10 * time.Minute)
		// 49m59.5s left until 10:20: rounded up to whole seconds.
		rateLimited(t, "fourth booking request", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, a), 50*60)
		rateLimited(t, "reschedule", s.api.Do("POST", id+"/reschedule", map[string]any{}, a), 50*60)

		// Reading is never limited; another group has its own bucket; another address its own.
		for range 5 {
			admitted(t, "GET booking", s.api.Do("GET", id, nil, a))
		}
		admitted(t, "deep link", s.api.Do("POST", "/api/v1/telegram/deep-links", map[string]any{}, a))
		admitted(t, "deep link", s.api.Do("POST", "/api/v1/telegram/deep-links", map[string]any{}, a))
		rateLimited(t, "third deep link", s.api.Do("POST", "/api/v1/telegram/deep-links", map[string]any{}, a), 3600)
		admitted(t, "booking from another address", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, b))

		// Another instance on the same database shares the counters.
		other := rateLimitedServer(t, db, clock, true)
		rateLimited(t, "booking through another instance", other.api.Do("POST", "/api/v1/waitlist", map[string]any{}, a), 50*60)

		// At 10:20 one more is admitted; the next waits until 10:40, when 3 × 1/3 + 1 + 1 ≤ 3.
		clock.Advance(50 * time.Minute)
		admitted(t, "booking at 10:20", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, a))
		rateLimited(t, "and no more", other.api.Do("POST", "/api/v1/bookings", map[string]any{}, a), 20*60)
	})
}

// X-Forwarded-For counts only from http.trusted_proxies: otherwise every request from the peer is
// one address, whatever it claims.
func TestRateLimitsIgnoreUntrustedForwardedFor(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		clock := testkit.NewClock(bookingNow)
		s := rateLimitedServer(t, db, clock, false)
		for i := range 3 {
			admitted(t, "booking", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, from("198.51.100."+strconv.Itoa(i+1))))
		}
		rateLimited(t, "booking with a fresh X-Forwarded-For", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, from("203.0.113.9")), 80*60)
	})
}

// The cleanup task deletes the counters of windows that are neither current nor previous for the
// longest rule, whatever their address.
func TestRateLimitCleanup(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		clock := testkit.NewClock(bookingNow)
		s := rateLimitedServer(t, db, clock, true)
		for i := range 3 {
			admitted(t, "booking", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, from("198.51.100."+strconv.Itoa(i+1))))
		}
		limits, err := ratelimit.New(repository.NewRateLimits(db), clock, testRateRules)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(119 * time.Minute)
		if n, err := limits.Cleanup(context.Background()); err != nil || n != 0 {
			t.Fatalf("Cleanup while the 9:00 window is the previous one = %d, %v; want 0", n, err)
		}
		admitted(t, "booking", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, from("198.51.100.1")))
		clock.Advance(time.Minute)
		if n, err := limits.Cleanup(context.Background()); err != nil || n != 3 {
			t.Fatalf("Cleanup at 11:00 = %d, %v; want the three 9:00 counters", n, err)
		}
	})
}

// When the database cannot be reached, a limited POST answers 503 database-unavailable (as the
// route itself would), never 500, and is admitted again once the database is back.
func TestRateLimitsDatabaseOutage(t *testing.T) {
	t.Parallel()
	db, proxy, _ := proxiedPostgres(t)
	s := rateLimitedServer(t, db, testkit.NewClock(bookingNow), true)
	admitted(t, "booking", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, from("198.51.100.1")))
	proxy.Down()
	r := s.api.Do("POST", "/api/v1/bookings", map[string]any{}, from("198.51.100.1"))
	if p := r.Problem(t); r.Status != http.StatusServiceUnavailable || !strings.HasSuffix(p.Type, "/database-unavailable") {
		t.Errorf("booking while the database is down = %d %s", r.Status, r.Body)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	proxy.Up()
	admitted(t, "booking after the outage", s.api.Do("POST", "/api/v1/bookings", map[string]any{}, from("198.51.100.1")))
}

// /api/docs: the viewer's page under a strict CSP, naming the bundle it loads, which is served
// from the binary with year-long caching; both answer HEAD as GET.
func TestAPIDocs(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, testkit.NewDB(t, "sqlite"), options{corsOrigins: []string{siteOrigin}})
	page := s.api.Do("GET", "/api/docs", nil)
	if page.Status != http.StatusOK || page.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /api/docs = %d %s", page.Status, page.Header.Get("Content-Type"))
	}
	csp := page.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "style-src 'self' 'unsafe-inline'", "worker-src blob:", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-eval", "script-src 'self' 'unsafe-inline'", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %q", csp, bad)
		}
	}
	if page.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("the viewer's page carries CORS headers")
	}
	body := string(page.Body)
	if !strings.Contains(body, `<redoc spec-url="/api/openapi.yaml">`) {
		t.Errorf("the page does not load the contract:\n%s", body)
	}
	_, rest, ok := strings.Cut(body, `<script src="`)
	script, _, _ := strings.Cut(rest, `"`)
	if !ok || !strings.HasPrefix(script, "/api/docs/redoc.standalone.") || !strings.HasSuffix(script, ".js") {
		t.Fatalf("the page loads script %q", script)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "http") {
		t.Errorf("the page holds an inline script or an outside address:\n%s", body)
	}
	js := s.api.Do("GET", script, nil)
	if js.Status != http.StatusOK || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET %s = %d %s", script, js.Status, js.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(js.Body[:200]), "redoc.standalone.js.LICENSE.txt") || len(js.Body) < 500_000 {
		t.Errorf("GET %s is not Redoc's bundle (%d bytes)", script, len(js.Body))
	}
	if got := js.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("bundle Cache-Control %q", got)
	}
	for _, path := range []string{"/api/docs", script} {
		if r := s.api.Do("HEAD", path, nil); r.Status != http.StatusOK || len(r.Body) != 0 {
			t.Errorf("HEAD %s = %d with %d bytes", path, r.Status, len(r.Body))
		}
	}
	// Another name (an old bundle's, the source map) is a problem, not the page.
	if r := s.api.Do("GET", "/api/docs/redoc.standalone.js.map", nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown asset = %d", r.Status)
	}
}
