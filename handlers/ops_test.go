package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"balance/events"
	"balance/handlers"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// scrape reads the metrics as Prometheus would, from the metrics listener's handler.
func scrape(t *testing.T, s *server) string {
	t.Helper()
	w := httptest.NewRecorder()
	s.metrics.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("scrape = %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// requestLines returns the access-log lines ("http request") written to logs.
func requestLines(t *testing.T, logs *testkit.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logs.JSONLines(t) {
		if l["msg"] == "http request" {
			out = append(out, l)
		}
	}
	return out
}

// assertNo5xx fails when the metrics count any request as a server error.
func assertNo5xx(t *testing.T, metrics string) {
	t.Helper()
	for line := range strings.Lines(metrics) {
		if strings.HasPrefix(line, "balance_http_requests_total{") && strings.Contains(line, `status="5`) {
			t.Errorf("a request is counted as a server error: %s", line)
		}
	}
}

// TestClientGoneIs499 cancels the request's context, as net/http does when the client goes away,
// while the handler reads the database: that is recorded as 499 at INFO, not as a server error.
func TestClientGoneIs499(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		var logs testkit.Buffer
		s, _ := newServer(t, db, options{
			log:       slog.New(slog.NewJSONHandler(&logs, nil)),
			catalogue: booking.NewCatalogue(repository.NewServices(db)),
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequest("GET", "/api/v1/services", nil).WithContext(ctx)
		w := httptest.NewRecorder()
		s.api.Server.Config.Handler.ServeHTTP(w, req)

		if w.Code != 499 {
			t.Errorf("status %d, want 499", w.Code)
		}
		lines := requestLines(t, &logs)
		if len(lines) != 1 || lines[0]["status"] != float64(499) || lines[0]["level"] != "INFO" {
			t.Errorf("access log %v, want one INFO line with status 499", lines)
		}
		for _, l := range logs.JSONLines(t) {
			if l["level"] == "ERROR" || l["level"] == "WARN" {
				t.Errorf("logged %v", l)
			}
		}
		m := scrape(t, s)
		assertNo5xx(t, m)
		if want := `balance_http_requests_total{method="GET",route="/api/v1/services",status="499"} 1`; !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	})
}

// blockingCatalogue answers only when the request's context ends, as a slow query does.
type blockingCatalogue struct{ started chan struct{} }

func (b blockingCatalogue) PublishedServices(ctx context.Context, _, _ int) ([]models.Service, error) {
	close(b.started)
	<-ctx.Done()
	return nil, fmt.Errorf("published services: %w", ctx.Err())
}

func (blockingCatalogue) PublishedService(context.Context, string) (*models.Service, error) {
	return nil, models.ErrNotFound
}

// TestClientDisconnectsMidRequest is the same over a real connection the client closes.
func TestClientDisconnectsMidRequest(t *testing.T) {
	t.Parallel()
	var logs testkit.Buffer
	started := make(chan struct{})
	s, _ := newServer(t, testkit.NewDB(t, "sqlite"), options{
		log:       slog.New(slog.NewJSONHandler(&logs, nil)),
		catalogue: blockingCatalogue{started: started},
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", s.api.Server.URL+"/api/v1/services", nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started
		cancel()
	}()
	// The client has left, so it normally reads nothing; on a loaded machine its transport may
	// still hand over the 499 the server wrote as the connection closed. Any other answer is wrong.
	if resp, err := s.api.Client.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 499 {
			t.Fatalf("the request was answered %d", resp.StatusCode)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(requestLines(t, &logs)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	lines := requestLines(t, &logs)
	if len(lines) != 1 || lines[0]["status"] != float64(499) || lines[0]["level"] != "INFO" {
		t.Errorf("access log %v, want one INFO line with status 499", lines)
	}
	assertNo5xx(t, scrape(t, s))
}

// TestDatabaseOutage cuts PostgreSQL off (as a restart does) under a running server: requests
// answer 503 database-unavailable with Retry-After, /readyz names the database, and both recover
// as soon as the database is back. Backends terminated by an administrator never answer 500.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	db, proxy, dbName := proxiedPostgres(t)
	var logs testkit.Buffer
	s, _ := newServer(t, db, options{
		log:       slog.New(slog.NewJSONHandler(&logs, nil)),
		catalogue: booking.NewCatalogue(repository.NewServices(db)),
	})
	readyz := func(wantStatus int, wantDB string) {
		t.Helper()
		r := s.api.Do("GET", "/readyz", nil)
		var body struct {
			Checks map[string]string `json:"checks"`
		}
		r.JSON(t, &body)
		if r.Status != wantStatus || body.Checks["database"] != wantDB {
			t.Errorf("readyz = %d %s, want %d with database %s", r.Status, r.Body, wantStatus, wantDB)
		}
	}
	services := func(wantStatus int) {
		t.Helper()
		r := s.api.Do("GET", "/api/v1/services", nil)
		if r.Status != wantStatus {
			t.Fatalf("services = %d %s, want %d", r.Status, r.Body, wantStatus)
		}
		if wantStatus != http.StatusServiceUnavailable {
			return
		}
		if p := r.Problem(t); !strings.HasSuffix(p.Type, "/database-unavailable") || p.Status != 503 {
			t.Errorf("problem %+v", p)
		}
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 5 {
			t.Errorf("Retry-After %q, want 1 to 5 seconds", r.Header.Get("Retry-After"))
		}
	}

	services(http.StatusOK)
	readyz(http.StatusOK, "ok")

	proxy.Down()
	services(http.StatusServiceUnavailable)
	services(http.StatusServiceUnavailable)
	readyz(http.StatusServiceUnavailable, "failing")

	proxy.Up()
	services(http.StatusOK)
	readyz(http.StatusOK, "ok")

	// An administrator (or a restart) terminates the backends: the pool reconnects by itself.
	admin, err := repository.Open(context.Background(), testkit.PostgresURL(), repository.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var terminated int
	if err := admin.SQL.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1`, dbName).Scan(&terminated); err != nil || terminated == 0 {
		t.Fatalf("terminated %d backends: %v", terminated, err)
	}
	if r := s.api.Do("GET", "/api/v1/services", nil); r.Status != http.StatusOK && r.Status != http.StatusServiceUnavailable {
		t.Errorf("right after the backends were terminated: %d %s", r.Status, r.Body)
	}
	services(http.StatusOK)

	for _, l := range logs.JSONLines(t) {
		if l["msg"] == "request failed" {
			t.Errorf("an outage was logged as an unexpected error: %v", l)
		}
	}
}

// TestHEAD answers HEAD on every GET endpoint as GET does, without the body; HEAD is not a way
// around a route's method.
func TestHEAD(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	s, _ := newServer(t, db, options{catalogue: booking.NewCatalogue(repository.NewServices(db))})
	for _, path := range []string{"/healthz", "/readyz", "/api/openapi.yaml", "/api/v1/services", "/api/v1/services/none", "/admin/api/auth/me", "/nowhere"} {
		t.Run(path, func(t *testing.T) {
			get := s.api.Do("GET", path, nil)
			head := s.api.Do("HEAD", path, nil)
			if head.Status != get.Status || len(head.Body) != 0 {
				t.Errorf("HEAD = %d with %d bytes; GET = %d", head.Status, len(head.Body), get.Status)
			}
			for _, h := range []string{"Content-Type", "Content-Length", "X-Content-Type-Options", "Cache-Control"} {
				if head.Header.Get(h) != get.Header.Get(h) {
					t.Errorf("%s: HEAD %q, GET %q", h, head.Header.Get(h), get.Header.Get(h))
				}
			}
			if head.Header.Get(handlers.RequestIDHeader) == "" {
				t.Error("HEAD has no request id")
			}
		})
	}
	if r := s.api.Do("HEAD", "/admin/api/auth/login", nil); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("HEAD on a POST endpoint = %d, want 405", r.Status)
	}
	m := scrape(t, s)
	if want := `balance_http_requests_total{method="HEAD",route="/healthz",status="200"} 1`; !strings.Contains(m, want) {
		t.Errorf("metrics lack %s", want)
	}
}

// TestSecurityHeaders: every answer, errors included, tells browsers not to sniff, frame or leak
// the referrer.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s, r := newServer(t, testkit.NewDB(t, "sqlite"), options{})
	r.GET("/test/panic", func(*gin.Context) { panic("boom") })
	for _, tc := range []struct{ method, path string }{
		{"GET", "/healthz"},
		{"GET", "/api/openapi.yaml"},
		{"GET", "/nowhere"},
		{"DELETE", "/healthz"},
		{"GET", "/admin/api/auth/me"},
		{"POST", "/admin/api/auth/login"},
		{"GET", "/test/panic"},
	} {
		resp := s.api.Do(tc.method, tc.path, nil)
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s %s (%d): %s = %q, want %q", tc.method, tc.path, resp.Status, h, got, want)
			}
		}
	}
}

// TestDatabaseGauges scrapes the job queue, failed deliveries, appointments and payments by
// state, read from the database at scrape time.
func TestDatabaseGauges(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		s, _ := newServer(t, db, options{counts: repository.NewOpsCounts(db)})

		// Nothing yet: every known state is there, at zero, so alerts need no absent().
		m := scrape(t, s)
		for _, want := range []string{
			`balance_jobs{state="available"} 0`, `balance_jobs{state="retryable"} 0`, `balance_jobs{state="discarded"} 0`,
			`balance_notification_deliveries_failed 0`,
			`balance_appointments{status="pending_payment"} 0`, `balance_payments{status="succeeded"} 0`,
		} {
			if !strings.Contains(m, want+"\n") {
				t.Errorf("metrics lack %s", want)
			}
		}

		svc, err := models.NewService(models.ServiceDetails{
			Slug: "session", Title: "Session", Format: models.ServiceFormatOnline, DurationMinutes: 50,
			Price: models.Money{Minor: 500000, Currency: models.CurrencyRUB}, Timezone: "Europe/Moscow",
		}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewServices(db).Create(ctx, svc); err != nil {
			t.Fatal(err)
		}
		appts, payments := repository.NewAppointments(db), repository.NewPayments(db)
		for i := range 3 {
			lead := models.NewID()
			a, err := models.NewAppointment(svc, t0.Add(time.Duration(24*(i+1))*time.Hour), models.MustTimeZone("Europe/Moscow"),
				models.AppointmentFormatOnline, nil, &lead, models.AppointmentMetadata{}, 15*time.Minute, t0)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := a.Confirm(t0); err != nil {
					t.Fatal(err)
				}
			}
			a.ClearEvents()
			if err := appts.Create(ctx, a); err != nil {
				t.Fatal(err)
			}
			p, err := models.NewPayment(a.ID, svc.Price(), fmt.Sprintf("key-%d", i), t0)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				if err := p.MarkPending(fmt.Sprintf("yk-%d", i), "https://pay.example/1", t0); err != nil {
					t.Fatal(err)
				}
			}
			p.ClearEvents()
			if err := payments.Create(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		deliveries := repository.NewDeliveries(db)
		for i := range 3 {
			d, err := models.NewNotificationDelivery(fmt.Sprintf("k%d", i), models.TemplateChannelEmail, "booking_confirmed", nil, "email", nil, t0)
			if err != nil {
				t.Fatal(err)
			}
			if d, err = deliveries.Claim(ctx, d); err != nil {
				t.Fatal(err)
			}
			if i < 2 {
				if err := d.Attempted(errors.New("smtp 550"), true, t0); err != nil {
					t.Fatal(err)
				}
				if err := deliveries.Save(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		outbox, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		outbox.Handle("ops.test", func(context.Context, json.RawMessage) error { return nil })
		for _, at := range []time.Time{{}, time.Now().Add(time.Hour), time.Now().Add(2 * time.Hour)} {
			if _, err := outbox.Schedule(ctx, "ops.test", nil, at); err != nil {
				t.Fatal(err)
			}
		}

		m = scrape(t, s)
		for _, want := range []string{
			`balance_jobs{state="available"} 1`, `balance_jobs{state="scheduled"} 2`, `balance_jobs{state="discarded"} 0`,
			`balance_notification_deliveries_failed 2`,
			`balance_appointments{status="confirmed"} 1`, `balance_appointments{status="pending_payment"} 2`,
			`balance_appointments{status="canceled"} 0`,
			`balance_payments{status="intent"} 1`, `balance_payments{status="pending"} 2`, `balance_payments{status="succeeded"} 0`,
		} {
			if !strings.Contains(m, want+"\n") {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

// TestMetricsWhileDatabaseIsDown: a scrape still shows the HTTP metrics when the gauges cannot be
// read.
func TestMetricsWhileDatabaseIsDown(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	s, _ := newServer(t, db, options{counts: repository.NewOpsCounts(db)})
	s.api.Do("GET", "/healthz", nil)
	db.Close()
	w := httptest.NewRecorder()
	s.metrics.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusOK || !strings.Contains(string(body), `balance_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Errorf("scrape = %d %s", w.Code, body)
	}
}

// proxiedPostgres opens a fresh PostgreSQL database through a proxy the test can cut (proxy.Down,
// as a restart does) and mend, and returns it with the database's name.
func proxiedPostgres(t *testing.T) (*repository.DB, *testkit.Proxy, string) {
	t.Helper()
	u, err := url.Parse(testkit.NewPostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	db, err := repository.Open(context.Background(), u.String(), repository.Options{MaxOpenConns: 4, Keys: testkit.KeyRing(t, testkit.Key(t))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, proxy, strings.TrimPrefix(u.Path, "/")
}
