package handlers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"balance/api"
	"balance/crypto"
	"balance/handlers"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/admin"
	"balance/service/booking"
	"balance/service/content"
	"balance/service/erasure"
	"balance/service/identity"
)

const password = "correct horse battery"

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type server struct {
	api   *testkit.API
	clock *testkit.Clock
	svc   *identity.Service
	users *repository.Users
	// clients is client sign-in (with options.codeJobs).
	clients *identity.Clients
	// metrics serves the registry the router records into, as the metrics listener does.
	metrics http.Handler
}

type options struct {
	checks  []handlers.Check
	maxBody int64
	// jobs is the job queue the admin resources' retry goes through (none: 503 not-available).
	jobs admin.JobQueue
	// catalogue and slots enable the public service catalogue and slots API.
	catalogue handlers.Catalogue
	slots     handlers.SlotFinder
	// bookings enables the booking API and the YooKassa webhook (from webhookCIDRs, behind
	// trustedProxies).
	bookings       *booking.Bookings
	webhookCIDRs   []string
	trustedProxies []string
	// bot enables the Telegram webhook (checked with botSecret) and deep links.
	bot       handlers.Bot
	botSecret handlers.SecretChecker
	// log receives the router's logs (the test's log when nil).
	log *slog.Logger
	// counts adds the database gauges to the metrics.
	counts handlers.OpsCounter
	// adminResources serves the declared admin resources over the test's database.
	adminResources bool
	// requireTOTP lists the roles that must sign in with an authenticator code (none when empty).
	requireTOTP []models.Role
	// invites queues the emails of staff invitations (staff cannot be invited without it).
	invites identity.Scheduler
	// library enables the public library over the test's database.
	library bool
	// questions enables the public questions API.
	questions handlers.Questions
	// corsOrigins may call /api/v1 from a browser; rateLimits limits the public POSTs.
	corsOrigins []string
	rateLimits  handlers.RateLimiter
	// tools enables the self-help tools.
	tools handlers.Tools
	// Leads and consents: leads enables POST /api/v1/leads, consents GET /api/v1/consents/current.
	leads    handlers.Leads
	consents []handlers.ConsentDocument
	// codeJobs enables client sign-in and the cabinet, queueing the code emails.
	codeJobs identity.Scheduler
	// Cabinet: My appointments, self-help results and consents: myCabinet serves them (the
	// appointments with bookings, the runs from myRuns), with codeJobs.
	myCabinet bool
	myRuns    handlers.MyRuns
	// diary enables the cabinet's diary (with codeJobs).
	diary handlers.Diary
	// dataExports enables the cabinet's data export (with codeJobs).
	dataExports handlers.DataExports
	// Cabinet: Account deletion. deletionJobs enables it (with codeJobs and bookings), queueing
	// the confirmation emails.
	deletionJobs erasure.Scheduler
}

// newServer builds the real router over the real identity service and a real database. It returns
// the Gin engine beneath, for tests that add routes of their own.
func newServer(t *testing.T, db *repository.DB, opt options) (*server, *gin.Engine) {
	t.Helper()
	clock := testkit.NewClock(t0)
	users := repository.NewUsers(db)
	svc := identity.New(users, repository.NewSessions(db), repository.NewThrottle(db), clock, identity.Config{
		SessionTTL: 12 * time.Hour, SessionIdleTimeout: 2 * time.Hour,
		LoginMaxFailures: 5, LoginFailureWindow: 15 * time.Minute,
		Password: crypto.PasswordParams{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32},
		TOTP:     repository.NewTOTP(db), RequireTOTP: opt.requireTOTP,
		Audit: repository.NewAuditLogs(db), Tx: db, Invites: repository.NewStaffInvites(db), Jobs: opt.invites,
	})
	if opt.maxBody == 0 {
		opt.maxBody = 1 << 20
	}
	if opt.checks == nil {
		opt.checks = []handlers.Check{{Name: "database", Fn: db.Ping}}
	}
	if opt.log == nil {
		opt.log = testkit.Logger(t)
	}
	deps := handlers.Deps{
		Log: opt.log, Auth: svc, Checks: opt.checks, Registry: prometheus.NewRegistry(),
		OpenAPI: api.Spec, MaxBodyBytes: opt.maxBody, CookieSecure: true, SessionTTL: 12 * time.Hour,
		Counts: opt.counts, APIDocs: api.Docs,
	}
	deps.Catalogue, deps.Slots = opt.catalogue, opt.slots
	if opt.library {
		deps.Library = content.NewLibrary(repository.NewContentItems(db), repository.NewTopics(db), repository.NewTags(db))
	}
	if opt.bookings != nil {
		deps.Bookings, deps.Payments = opt.bookings, opt.bookings
	}
	deps.WebhookCIDRs, deps.TrustedProxies = opt.webhookCIDRs, opt.trustedProxies
	deps.Bot, deps.BotSecret = opt.bot, opt.botSecret
	deps.Questions = opt.questions
	deps.CORSOrigins, deps.RateLimits = opt.corsOrigins, opt.rateLimits
	deps.Tools = opt.tools
	deps.Leads, deps.Consents = opt.leads, opt.consents // Leads and consents.
	if opt.adminResources {
		reg, err := admin.NewRegistry(admin.Resources()...)
		if err != nil {
			t.Fatal(err)
		}
		ports := admin.Ports{Accounts: svc} // a nil *booking.Bookings must stay a nil interface
		if opt.bookings != nil {
			ports.Bookings = opt.bookings
		}
		if opt.jobs != nil {
			ports.Jobs = opt.jobs
		}
		deps.AdminResources, deps.AdminRecords = reg, admin.NewRecords(reg, db, ports, clock)
	}
	var clients *identity.Clients
	if opt.codeJobs != nil {
		clients = identity.NewClients(svc, repository.NewOneTimeCodes(db), opt.codeJobs, identity.ClientConfig{
			SessionTTL: 30 * 24 * time.Hour, SessionIdleTimeout: 7 * 24 * time.Hour, CodeTTL: 10 * time.Minute,
			CodesPerEmail: 5, CodesPerAddress: 20, CodeWindow: time.Hour,
		})
		deps.ClientAccounts = clients
		if opt.myCabinet { // Cabinet: My appointments, self-help results and consents.
			if opt.bookings != nil {
				deps.MyBookings = opt.bookings
			}
			deps.MyRuns, deps.MyConsents = opt.myRuns, clients
		}
		deps.Diary = opt.diary
		deps.DataExports = opt.dataExports // Cabinet: Data export.
	}
	if opt.deletionJobs != nil && clients != nil && opt.bookings != nil { // Cabinet: Account deletion.
		deps.AccountDeletion = erasure.New(erasure.Deps{
			Codes: clients, Bookings: opt.bookings, Users: users, Store: repository.NewErasure(db),
			Audit: repository.NewAuditLogs(db), Tx: db, Jobs: opt.deletionJobs, Clock: clock,
		})
	}
	r, err := handlers.NewRouter(deps)
	if err != nil {
		t.Fatal(err)
	}
	return &server{api: testkit.NewAPI(t, r), clock: clock, svc: svc, users: users, clients: clients,
		metrics: handlers.MetricsHandler(deps.Registry, opt.log)}, r.Engine
}

func (s *server) staff(t *testing.T, email string, role models.Role) {
	t.Helper()
	if _, err := s.svc.CreateStaff(context.Background(), email, string(role), "Anna", password); err != nil {
		t.Fatal(err)
	}
}

func TestOps(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{})
		if r := s.api.Do("GET", "/healthz", nil); r.Status != http.StatusOK {
			t.Errorf("healthz = %d", r.Status)
		}
		r := s.api.Do("GET", "/readyz", nil)
		var ready struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		r.JSON(t, &ready)
		if r.Status != http.StatusOK || ready.Checks["database"] != "ok" {
			t.Errorf("readyz = %d %s", r.Status, r.Body)
		}
		if r := s.api.Do("GET", "/api/openapi.yaml", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "openapi: 3") {
			t.Errorf("openapi.yaml = %d", r.Status)
		}
		if r := s.api.Do("GET", "/metrics", nil); r.Status != http.StatusNotFound {
			t.Errorf("public /metrics = %d, want 404: metrics have their own listener", r.Status)
		}
		m := scrape(t, s)
		for _, want := range []string{
			`balance_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
			`balance_http_request_duration_seconds_count{method="GET",route="/readyz",status="200"} 1`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestReadyzFailing(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	s, _ := newServer(t, db, options{checks: []handlers.Check{
		{Name: "database", Fn: db.Ping},
		{Name: "migrations", Fn: func(context.Context) error { return errors.New("migrations pending") }},
	}})
	r := s.api.Do("GET", "/readyz", nil)
	p := r.Problem(t)
	if r.Status != http.StatusServiceUnavailable || p.Status != 503 {
		t.Fatalf("readyz = %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(r.Body), `"migrations":"failing"`) || !strings.Contains(string(r.Body), `"database":"ok"`) {
		t.Errorf("readyz body %s does not name the failing check", r.Body)
	}
}

func TestProblemsForUnknownRoutes(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, testkit.NewDB(t, "sqlite"), options{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/nope", http.StatusNotFound},
		{"GET", "/api/v1/unknown", http.StatusNotFound},
		{"DELETE", "/healthz", http.StatusMethodNotAllowed},
		{"GET", "/admin/api/auth/login", http.StatusMethodNotAllowed},
	} {
		r := s.api.Do(tc.method, tc.path, nil)
		if p := r.Problem(t); r.Status != tc.status || p.Status != tc.status || p.RequestID == "" {
			t.Errorf("%s %s = %d %s", tc.method, tc.path, r.Status, r.Body)
		}
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, testkit.NewDB(t, "sqlite"), options{})
	r := s.api.Do("GET", "/healthz", nil, http.Header{"X-Request-Id": {"abc-123"}})
	if got := r.Header.Get("X-Request-ID"); got != "abc-123" {
		t.Errorf("echoed id = %q", got)
	}
	r = s.api.Do("GET", "/healthz", nil, http.Header{"X-Request-Id": {"bad id with spaces <script>"}})
	if got := r.Header.Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Errorf("unsafe id not replaced: %q", got)
	}
	r = s.api.Do("GET", "/healthz", nil)
	if got := r.Header.Get("X-Request-ID"); len(got) != 36 {
		t.Errorf("generated id = %q, want a UUID", got)
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	t.Parallel()
	s, r := newServer(t, testkit.NewDB(t, "sqlite"), options{})
	r.GET("/test/panic", func(*gin.Context) { panic("boom") })
	resp := s.api.Do("GET", "/test/panic", nil)
	if p := resp.Problem(t); resp.Status != http.StatusInternalServerError || strings.Contains(string(resp.Body), "boom") || p.RequestID == "" {
		t.Errorf("panic answered %d %s", resp.Status, resp.Body)
	}
}

func TestAdminSignIn(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{})
		s.staff(t, "owner@example.org", models.RoleOwner)

		// Not signed in.
		if r := s.api.Do("GET", "/admin/api/auth/me", nil); r.Status != http.StatusUnauthorized || r.Problem(t).Status != 401 {
			t.Fatalf("me without session = %d", r.Status)
		}

		r := s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": password})
		if r.Status != http.StatusOK {
			t.Fatalf("login = %d %s", r.Status, r.Body)
		}
		var me struct {
			ID        string   `json:"id"`
			Email     string   `json:"email"`
			Roles     []string `json:"roles"`
			CSRFToken string   `json:"csrf_token"`
		}
		r.JSON(t, &me)
		if me.Email != "owner@example.org" || len(me.Roles) != 1 || me.Roles[0] != "owner" || me.CSRFToken == "" {
			t.Errorf("login body = %s", r.Body)
		}
		setCookie := r.Header.Get("Set-Cookie")
		for _, attr := range []string{handlers.SessionCookie + "=", "Path=/admin/api", "HttpOnly", "Secure", "SameSite=Strict", "Max-Age=43200"} {
			if !strings.Contains(setCookie, attr) {
				t.Errorf("Set-Cookie %q lacks %s", setCookie, attr)
			}
		}

		r = s.api.Do("GET", "/admin/api/auth/me", nil)
		var me2 struct {
			Roles     []string `json:"roles"`
			CSRFToken string   `json:"csrf_token"`
		}
		r.JSON(t, &me2)
		if r.Status != http.StatusOK || me2.Roles[0] != "owner" || me2.CSRFToken != me.CSRFToken {
			t.Errorf("me = %d %s", r.Status, r.Body)
		}

		// Unsafe method without, or with a wrong, CSRF token.
		for _, h := range []http.Header{nil, {"X-Csrf-Token": {"forged"}}} {
			r = s.api.Do("POST", "/admin/api/auth/logout", nil, h)
			if r.Status != http.StatusForbidden || r.Problem(t).Status != 403 {
				t.Errorf("logout with %v = %d %s", h, r.Status, r.Body)
			}
		}
		if s.api.Do("GET", "/admin/api/auth/me", nil).Status != http.StatusOK {
			t.Error("a rejected logout ended the session")
		}

		r = s.api.Do("POST", "/admin/api/auth/logout", nil, http.Header{"X-Csrf-Token": {me.CSRFToken}})
		if r.Status != http.StatusNoContent || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
			t.Fatalf("logout = %d, Set-Cookie %q", r.Status, r.Header.Get("Set-Cookie"))
		}
		if s.api.Cookie(handlers.SessionCookie) != nil {
			t.Error("cookie still held after logout")
		}
		if r := s.api.Do("GET", "/admin/api/auth/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("me after logout = %d", r.Status)
		}
	})
}

func TestAdminSignInFailures(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{})
		s.staff(t, "owner@example.org", models.RoleOwner)

		wrong := s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": "wrong password!!"})
		unknown := s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "ghost@example.org", "password": "wrong password!!"})
		pw, pu := wrong.Problem(t), unknown.Problem(t)
		if wrong.Status != http.StatusUnauthorized || unknown.Status != wrong.Status ||
			pw.Type != pu.Type || pw.Title != pu.Title || pw.Detail != pu.Detail || len(wrong.Body) != len(unknown.Body) {
			t.Errorf("wrong password %d %s vs unknown email %d %s", wrong.Status, wrong.Body, unknown.Status, unknown.Body)
		}
		if wrong.Header.Get("Set-Cookie") != "" {
			t.Error("failed login set a cookie")
		}

		// Three more wrong passwords make five; the sixth attempt is refused even with the right one.
		for range 3 {
			if r := s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": "wrong password!!"}); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password = %d", r.Status)
			}
		}
		r := s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": password})
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("6th attempt = %d %s", r.Status, r.Body)
		}
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs != 900 {
			t.Errorf("Retry-After = %q, want 900", r.Header.Get("Retry-After"))
		}
		s.clock.Advance(15 * time.Minute)
		if r := s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": password}); r.Status != http.StatusOK {
			t.Errorf("after the window = %d %s", r.Status, r.Body)
		}
	})
}

func TestAdminLoginBadInput(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, testkit.NewDB(t, "sqlite"), options{maxBody: 256})
	for _, tc := range []struct {
		name   string
		body   any
		header http.Header
		status int
		field  string
	}{
		{"missing password", map[string]string{"email": "a@example.org"}, nil, 422, "password"},
		{"empty email", map[string]string{"email": "", "password": "x"}, nil, 422, "email"},
		{"unknown field", map[string]any{"email": "a@example.org", "password": "x", "admin": true}, nil, 422, "admin"},
		{"wrong type", map[string]any{"email": 5, "password": "x"}, nil, 422, "email"},
		{"malformed", `{"email":`, nil, 400, ""},
		{"two values", `{"email":"a@example.org","password":"x"} {}`, nil, 400, ""},
		{"empty body", "", nil, 400, ""},
		{"not json", "email=a", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415, ""},
		{"too large", `{"email":"` + strings.Repeat("a", 300) + `","password":"x"}`, nil, 413, ""},
		{"cross-site", map[string]string{"email": "a@example.org", "password": "x"}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.api.Do("POST", "/admin/api/auth/login", tc.body, tc.header)
			p := r.Problem(t)
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Message == "") {
				t.Errorf("errors = %+v, want one on %s", p.Errors, tc.field)
			}
		})
	}
}
