package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"balance/handlers"
	"balance/integrations/yookassa"
	"balance/integrations/yookassa/yookassasim"
	"balance/internal/testkit"
	"balance/service"
)

// The most statements and transactions one booking may send to PostgreSQL: the hot path's budget
// (docs/performance.md). A booking sends 9 statements today — the rate limit, 7 in the booking's
// transaction, the provider's payment id — and the job queue adds a 10th, a pg_notify wake-up,
// to at most one insert per 100 ms. A change that makes a booking cost more fails here; lower the
// budget when a change makes it cheaper.
const (
	bookingStatementBudget   = 10
	bookingTransactionBudget = 3
)

// TestBookingStatementBudget books the demo's service through the HTTP API on PostgreSQL, paid
// through the local payment simulator as in the demo, and counts every statement the request sends
// (the job queue's inserts included) with a pgx tracer.
func TestBookingStatementBudget(t *testing.T) {
	t.Setenv("BALANCE_ENCRYPTION_KEYS", testkit.Key(t))
	trace := testkit.NewSQLTrace()
	d := newTracedDemo(t, trace)

	book := func(n int, key string, start time.Time) (int, string) {
		body := fmt.Sprintf(`{"service_slug":%q,"start":%q,"timezone":"Europe/Moscow","format":"online",
			"client":{"name":"Анна","email":"budget%d@example.com","phone":"+7 999 123-45-6%d"},
			"consents":[{"type":"personal_data","version":"2026-01"}]}`, demoServiceSlug, start.Format(time.RFC3339), n, n%10)
		return d.post(t, "/api/v1/bookings", body, key)
	}

	// The first booking of a process also asks the job queue's driver for the server's version:
	// the budget is the steady state's.
	if status, answer := book(0, "budget-key-0000", d.firstFreeSlot(t)); status != http.StatusCreated {
		t.Fatalf("first booking: %d %s", status, answer)
	}
	start := d.firstFreeSlot(t)
	trace.Reset()
	status, answer := book(1, "budget-key-0001", start)
	if status != http.StatusCreated {
		t.Fatalf("booking: %d %s", status, answer)
	}
	stmts, txs := trace.Counts()
	t.Logf("one booking: %d statements in %d transactions:\n%s", stmts, txs, trace)
	if stmts > bookingStatementBudget || txs > bookingTransactionBudget {
		t.Errorf("one booking sent %d statements in %d transactions; the budget is %d in %d:\n%s",
			stmts, txs, bookingStatementBudget, bookingTransactionBudget, trace)
	}

	// A returning client (the same email, an account and a lead already) costs the same.
	next := d.firstFreeSlot(t)
	trace.Reset()
	if status, answer := book(1, "budget-key-0002", next); status != http.StatusCreated {
		t.Fatalf("returning client's booking: %d %s", status, answer)
	}
	if stmts, txs := trace.Counts(); stmts > bookingStatementBudget || txs > bookingTransactionBudget {
		t.Errorf("a returning client's booking sent %d statements in %d transactions:\n%s", stmts, txs, trace)
	}

	// The same request again is answered from its Idempotency-Key, within the same budget.
	trace.Reset()
	if status, again := book(1, "budget-key-0001", start); status != http.StatusCreated || again != answer {
		t.Fatalf("replay: %d\n%s\nfirst answer:\n%s", status, again, answer)
	}
	if stmts, txs := trace.Counts(); stmts > bookingStatementBudget || txs > bookingTransactionBudget {
		t.Errorf("a replayed booking sent %d statements in %d transactions:\n%s", stmts, txs, trace)
	}
}

// tracedDemo is the demo's application (its service, the payment simulator) with every request's
// statements reported to a trace.
type tracedDemo struct {
	srv   *httptest.Server
	trace *testkit.SQLTrace
}

func newTracedDemo(t testing.TB, trace *testkit.SQLTrace) *tracedDemo {
	t.Helper()
	ctx := context.Background()
	cfg, err := demoConfig("", "127.0.0.1:0", testkit.NewPostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SMTP.Host, cfg.Telegram.BotToken, cfg.GCal.CredentialsFile = "", "", ""
	sim := yookassasim.New(yookassasim.Config{ShopID: demoShopID, SecretKey: demoSecretKey, Log: testkit.Logger(t)})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	t.Cleanup(sim.Close)
	provider, err := yookassa.New(yookassa.Config{
		ShopID: demoShopID, SecretKey: demoSecretKey, APIURL: simSrv.URL + "/v3", ReturnURL: "http://127.0.0.1/paid",
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(ctx, cfg, testkit.Logger(t), true, 0, withPaymentProvider(yookassa.Gateway{Client: provider}), withQueryTracer(trace))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	if err := seedDemo(ctx, a.db, service.SystemClock{}.Now(), testkit.Logger(t)); err != nil {
		t.Fatal(err)
	}
	router, err := handlers.NewRouter(routerDeps(a))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		router.ServeHTTP(w, r.WithContext(trace.Track(r.Context())))
	}))
	t.Cleanup(srv.Close)
	return &tracedDemo{srv: srv, trace: trace}
}

func (d *tracedDemo) firstFreeSlot(t *testing.T) time.Time {
	t.Helper()
	from := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
	to := time.Now().UTC().AddDate(0, 0, 16).Format(time.DateOnly)
	var slots struct {
		Items []struct {
			Start time.Time `json:"start"`
		} `json:"slots"`
	}
	status, raw := callJSON(t, d.srv.URL, http.MethodGet,
		"/api/v1/services/"+demoServiceSlug+"/slots?tz=Europe/Moscow&from="+from+"&to="+to, nil, &slots)
	if status != http.StatusOK || len(slots.Items) == 0 {
		t.Fatalf("slots: %d %s", status, raw)
	}
	return slots.Items[0].Start
}

func (d *tracedDemo) post(t *testing.T, path, body, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(raw)
}
