package yookassasim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/integrations/yookassa"
	"balance/integrations/yookassa/yookassasim"
	"balance/models"
)

const (
	shopID    = "shop"
	secretKey = "test_SimSecretKey_4b3a"
	returnURL = "https://balance.example/return?booking=1"
	okPayment = `{"amount":{"value":"100.00","currency":"RUB"},"capture":true,"confirmation":{"type":"redirect","return_url":"` + returnURL + `"},"description":"Сессия","metadata":{"appointment_id":"a"}}`
)

// notification is a webhook body as a shop receives it.
type notification struct {
	Type   string         `json:"type"`
	Event  string         `json:"event"`
	Object map[string]any `json:"object"`
}

// receiver is a shop's webhook endpoint: it answers the queued statuses first, then 200.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	attempts int
	got      []notification
	bad      []string
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.attempts++
		if len(rc.statuses) > 0 {
			status := rc.statuses[0]
			rc.statuses = rc.statuses[1:]
			w.WriteHeader(status)
			return
		}
		var n notification
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &n) != nil {
			rc.bad = append(rc.bad, r.Method+" "+r.Header.Get("Content-Type")+" "+string(body))
		}
		rc.got = append(rc.got, n)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// received is what arrived so far: the notifications answered 2xx, all attempts, malformed ones.
func (rc *receiver) received() ([]notification, int, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]notification(nil), rc.got...), rc.attempts, append([]string(nil), rc.bad...)
}

// waitFor waits for n notifications: API calls notify after their answer has left.
func (rc *receiver) waitFor(t *testing.T, n int) []notification {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _, bad := rc.received()
		if len(bad) > 0 {
			t.Fatalf("malformed notifications: %q", bad)
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lockedBuffer collects log output written from handler goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type env struct {
	sim  *yookassasim.Simulator
	srv  *httptest.Server
	logs *lockedBuffer
}

// newEnv serves a simulator that notifies notifyURL (none when empty).
func newEnv(t *testing.T, notifyURL string) *env {
	t.Helper()
	logs := &lockedBuffer{}
	sim := yookassasim.New(yookassasim.Config{
		ShopID: shopID, SecretKey: secretKey, NotifyURL: notifyURL,
		NotifyAttempts: 4, NotifyRetryWait: time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	sim.SetBaseURL(srv.URL)
	return &env{sim: sim, srv: srv, logs: logs}
}

type call struct {
	method, path, key, body string
	auth                    bool
}

// do calls the API under /v3 and decodes the JSON answer.
func (e *env) do(t *testing.T, c call) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(c.method, e.srv.URL+"/v3"+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.auth {
		req.SetBasicAuth(shopID, secretKey)
	}
	if c.key != "" {
		req.Header.Set("Idempotence-Key", c.key)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body %q: %v", c.method, c.path, raw, err)
	}
	return resp.StatusCode, out
}

// create makes a payment through the API and returns its id and confirmation URL.
func (e *env) create(t *testing.T, key, body string) (string, string) {
	t.Helper()
	status, p := e.do(t, call{"POST", "/payments", key, body, true})
	if status != http.StatusOK {
		t.Fatalf("create: %d %v", status, p)
	}
	return p["id"].(string), p["confirmation"].(map[string]any)["confirmation_url"].(string)
}

type page struct {
	status   int
	location string
	ctype    string
	body     string
}

// browse requests a checkout URL without following redirects, as a payer's first hop.
func browse(t *testing.T, method, u, accept string) page {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"), string(raw)}
}

func TestErrorsAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	long := `{"amount":{"value":"1.00","currency":"RUB"},"confirmation":{"type":"redirect","return_url":"r"},"description":"` + strings.Repeat("я", 129) + `"}`
	tests := []struct {
		name   string
		c      call
		status int
		code   string
	}{
		{"no auth", call{"GET", "/payments/x", "", "", false}, 401, "invalid_credentials"},
		{"no key", call{"POST", "/payments", "", okPayment, true}, 400, "invalid_request"},
		{"long key", call{"POST", "/payments", strings.Repeat("k", 65), okPayment, true}, 400, "invalid_request"},
		{"bad json", call{"POST", "/payments", "k1", `{`, true}, 400, "invalid_request"},
		{"bad amount", call{"POST", "/payments", "k2", `{"amount":{"value":"1.5","currency":"RUB"}}`, true}, 400, "invalid_request"},
		{"no confirmation", call{"POST", "/payments", "k3", `{"amount":{"value":"1.50","currency":"RUB"}}`, true}, 400, "invalid_request"},
		{"long description", call{"POST", "/payments", "k4", long, true}, 400, "invalid_request"},
		{"receipt no contact", call{"POST", "/payments", "k5", strings.TrimSuffix(okPayment, "}") + `,"receipt":{"items":[{"vat_code":1}]}}`, true}, 400, "invalid_request"},
		{"receipt bad vat", call{"POST", "/payments", "k6", strings.TrimSuffix(okPayment, "}") + `,"receipt":{"customer":{"email":"a@b.c"},"items":[{"vat_code":9}]}}`, true}, 400, "invalid_request"},
		{"unknown post", call{"POST", "/nothing", "k7", `{}`, true}, 404, "not_found"},
		{"unknown get", call{"GET", "/nothing", "", "", true}, 404, "not_found"},
		{"missing payment", call{"GET", "/payments/x", "", "", true}, 404, "not_found"},
		{"missing refund", call{"GET", "/refunds/x", "", "", true}, 404, "not_found"},
		{"capture missing", call{"POST", "/payments/x/capture", "k8", `{}`, true}, 404, "not_found"},
		{"cancel missing", call{"POST", "/payments/x/cancel", "k9", `{}`, true}, 404, "not_found"},
		{"refund missing", call{"POST", "/refunds", "k10", `{"payment_id":"x","amount":{"value":"1.00","currency":"RUB"}}`, true}, 404, "not_found"},
		{"refund bad json", call{"POST", "/refunds", "k11", `[`, true}, 400, "invalid_request"},
		{"method", call{"DELETE", "/payments/x", "", "", true}, 405, "invalid_request"},
	}
	for _, tt := range tests {
		status, body := e.do(t, tt.c)
		if status != tt.status || body["type"] != "error" || body["code"] != tt.code || body["id"] == "" {
			t.Errorf("%s: %d %v; want %d %s", tt.name, status, body, tt.status, tt.code)
		}
	}
	if e.sim.PaymentCount() != 0 {
		t.Errorf("payments = %d", e.sim.PaymentCount())
	}
}

func TestIdempotenceKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	_, first := e.do(t, call{"POST", "/payments", "same", okPayment, true})
	_, second := e.do(t, call{"POST", "/payments", "same", okPayment, true})
	if first["id"] == nil || first["id"] != second["id"] || e.sim.PaymentCount() != 1 || e.sim.KeyUses("same") != 2 {
		t.Errorf("replay: %v vs %v, %d payments", first["id"], second["id"], e.sim.PaymentCount())
	}
	var wire struct {
		Amount struct{ Value string } `json:"amount"`
	}
	if err := json.Unmarshal(e.sim.CreateRequest(first["id"].(string)), &wire); err != nil || wire.Amount.Value != "100.00" {
		t.Errorf("create request = %s (%v)", e.sim.CreateRequest(first["id"].(string)), err)
	}
	status, body := e.do(t, call{"POST", "/payments", "same", strings.Replace(okPayment, "100.00", "200.00", 1), true})
	if status != 400 || body["parameter"] != "Idempotence-Key" || e.sim.PaymentCount() != 1 {
		t.Errorf("other body: %d %v", status, body)
	}
	id := first["id"].(string)
	status, _ = e.do(t, call{"POST", "/payments/" + id + "/cancel", "same", okPayment, true})
	if status != 400 {
		t.Errorf("same key on another endpoint: %d", status)
	}

	// concurrent creates with one key make one payment
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { e.do(t, call{"POST", "/payments", "race", okPayment, true}) })
	}
	wg.Wait()
	if e.sim.PaymentCount() != 2 || e.sim.Requests("/payments") != 23 {
		t.Errorf("payments %d, requests %d", e.sim.PaymentCount(), e.sim.Requests("/payments"))
	}
}

func TestStateAndRefunds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	id, _ := e.create(t, "k", okPayment)
	if e.sim.SetPaymentStatus("nope", "succeeded") || e.sim.Succeed("nope") || e.sim.PaymentJSON("nope") != nil || e.sim.RefundJSON("nope") != nil {
		t.Error("unknown payment accepted")
	}
	if status, _ := e.do(t, call{"POST", "/refunds", "r0", `{"payment_id":"` + id + `","amount":{"value":"1.00","currency":"RUB"}}`, true}); status != 400 {
		t.Errorf("refund of pending payment: %d", status)
	}
	if status, _ := e.do(t, call{"POST", "/payments/" + id + "/capture", "c0", `{}`, true}); status != 400 {
		t.Errorf("capture of pending payment: %d", status)
	}
	e.sim.SetPaymentStatus(id, yookassasim.StatusCanceled)
	var got map[string]any
	_ = json.Unmarshal(e.sim.PaymentJSON(id), &got)
	details, _ := got["cancellation_details"].(map[string]any)
	if got["status"] != "canceled" || got["paid"] != false || details["party"] != "yoo_money" || details["reason"] != "expired_on_confirmation" {
		t.Errorf("canceled = %v", got)
	}
	if status, _ := e.do(t, call{"POST", "/payments/" + id + "/cancel", "c1", `{}`, true}); status != 400 {
		t.Errorf("cancel of canceled payment: %d", status)
	}
	e.sim.SetPaymentStatus(id, yookassasim.StatusSucceeded)
	tests := []struct {
		name, body string
		status     int
	}{
		{"over", `{"payment_id":"` + id + `","amount":{"value":"100.01","currency":"RUB"}}`, 400},
		{"currency", `{"payment_id":"` + id + `","amount":{"value":"1.00","currency":"USD"}}`, 400},
		{"part", `{"payment_id":"` + id + `","amount":{"value":"40.00","currency":"RUB"}}`, 200},
		{"rest", `{"payment_id":"` + id + `","amount":{"value":"60.00","currency":"RUB"}}`, 200},
		{"more", `{"payment_id":"` + id + `","amount":{"value":"0.01","currency":"RUB"}}`, 400},
	}
	var refundID string
	for _, tt := range tests {
		status, body := e.do(t, call{"POST", "/refunds", "r-" + tt.name, tt.body, true})
		if status != tt.status {
			t.Errorf("%s: %d %v", tt.name, status, body)
		}
		if status == 200 {
			refundID = body["id"].(string)
		}
	}
	_ = json.Unmarshal(e.sim.PaymentJSON(id), &got)
	if got["refundable"] != false || got["refunded_amount"].(map[string]any)["value"] != "100.00" {
		t.Errorf("after full refund = %v", got)
	}
	if status, body := e.do(t, call{"GET", "/refunds/" + refundID, "", "", true}); status != 200 || body["payment_id"] != id {
		t.Errorf("get refund: %d %v", status, body)
	}

	n := yookassasim.Notification(yookassasim.EventRefundSucceeded, e.sim.RefundJSON(refundID))
	var note notification
	if err := json.Unmarshal(n, &note); err != nil || note.Type != "notification" || note.Event != "refund.succeeded" || note.Object["id"] != refundID || note.Object["payment_id"] != id {
		t.Errorf("notification = %s (%v)", n, err)
	}

	// two-stage capture with a bad amount
	tid, _ := e.create(t, "two", strings.Replace(okPayment, `"capture":true`, `"capture":false`, 1))
	e.sim.Succeed(tid)
	_ = json.Unmarshal(e.sim.PaymentJSON(tid), &got)
	if got["status"] != yookassasim.StatusWaitingForCapture || got["paid"] != true {
		t.Errorf("two-stage after Succeed = %v", got)
	}
	for i, body := range []string{`[`, `{"amount":{"value":"100.01","currency":"RUB"}}`} {
		if status, _ := e.do(t, call{"POST", "/payments/" + tid + "/capture", "cap-" + string(rune('a'+i)), body, true}); status != 400 {
			t.Errorf("capture %s: %d", body, status)
		}
	}
}

func TestInjectedFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.sim.FailNext(1, http.StatusBadRequest)
	if status, _ := e.do(t, call{"POST", "/payments", "k", okPayment, true}); status != 400 || e.sim.PaymentCount() != 0 {
		t.Errorf("4xx injection: %d, %d payments", status, e.sim.PaymentCount())
	}
	e.sim.FailNext(1, http.StatusServiceUnavailable)
	status, body := e.do(t, call{"POST", "/payments", "k2", okPayment, true})
	if status != 503 || body["code"] != "internal_server_error" || e.sim.PaymentCount() != 1 {
		t.Errorf("5xx injection: %d %v, %d payments (want processed, answer lost)", status, body, e.sim.PaymentCount())
	}
	e.sim.ProcessingNext(1, 1500*time.Millisecond)
	status, body = e.do(t, call{"GET", "/payments/x", "", "", true})
	if status != 202 || body["type"] != "processing" || body["retry_after"] != float64(1500) {
		t.Errorf("processing: %d %v", status, body)
	}
}

func TestCheckoutPageEscapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	script := `<script>alert("x")</script>`
	id, confirmURL := e.create(t, "k", strings.Replace(okPayment, `"Сессия"`, `"`+strings.ReplaceAll(script, `"`, `\"`)+`"`, 1))
	if confirmURL != e.srv.URL+"/checkout/"+id {
		t.Errorf("confirmation url = %q", confirmURL)
	}
	p := browse(t, "GET", confirmURL, "")
	if p.status != 200 || !strings.HasPrefix(p.ctype, "text/html") {
		t.Fatalf("page: %d %s", p.status, p.ctype)
	}
	if strings.Contains(strings.ToLower(p.body), "<script") || !strings.Contains(p.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("description not escaped:\n%s", p.body)
	}
	for _, want := range []string{"100.00 RUB", `action="` + id + `/pay"`, `action="` + id + `/cancel"`, "Оплатить", "Pay"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q:\n%s", want, p.body)
		}
	}

	// once paid, the page has nothing left to submit
	e.sim.Succeed(id)
	if p := browse(t, "GET", confirmURL, ""); p.status != 200 || strings.Contains(p.body, "<form") || !strings.Contains(p.body, "succeeded") {
		t.Errorf("paid page: %d\n%s", p.status, p.body)
	}
}

func TestCheckoutActionsNotify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, action string
		capture      bool
		event        string
		status       string
		paid         bool
	}{
		{"pay", "pay", true, "payment.succeeded", "succeeded", true},
		{"pay two-stage", "pay", false, "payment.waiting_for_capture", "waiting_for_capture", true},
		{"cancel", "cancel", true, "payment.canceled", "canceled", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t)
			e := newEnv(t, rc.srv.URL+"/webhook")
			body := okPayment
			if !tt.capture {
				body = strings.Replace(body, `"capture":true`, `"capture":false`, 1)
			}
			id, confirmURL := e.create(t, "k", body)

			p := browse(t, "POST", confirmURL+"/"+tt.action, "")
			if p.status != http.StatusSeeOther || p.location != returnURL {
				t.Errorf("answer: %d to %q; want 303 to %q", p.status, p.location, returnURL)
			}
			// delivered before the answer: no waiting
			got, attempts, bad := rc.received()
			if len(got) != 1 || attempts != 1 || len(bad) > 0 {
				t.Fatalf("notifications = %+v, %d attempts, bad %q; want exactly one", got, attempts, bad)
			}
			n := got[0]
			if n.Type != "notification" || n.Event != tt.event || n.Object["id"] != id || n.Object["status"] != tt.status || n.Object["paid"] != tt.paid {
				t.Errorf("notification = %+v", n)
			}
			var now map[string]any
			_ = json.Unmarshal(e.sim.PaymentJSON(id), &now)
			if now["status"] != tt.status {
				t.Errorf("payment status = %v, want %s", now["status"], tt.status)
			}
			if tt.action == "cancel" {
				details, _ := n.Object["cancellation_details"].(map[string]any)
				if details["party"] != "yoo_money" || details["reason"] != "expired_on_confirmation" {
					t.Errorf("cancellation_details = %v", details)
				}
			}

			// a second action on the same payment is refused and notifies nobody
			for _, again := range []string{"pay", "cancel"} {
				if p := browse(t, "POST", confirmURL+"/"+again, ""); p.status != http.StatusConflict || !strings.Contains(p.body, "not pending") {
					t.Errorf("%s again: %d %q; want 409", again, p.status, p.body)
				}
			}
			if got, attempts, _ := rc.received(); len(got) != 1 || attempts != 1 {
				t.Errorf("after 409: %d notifications, %d attempts; want 1", len(got), attempts)
			}
			if logs := e.logs.String(); strings.Contains(logs, secretKey) || !strings.Contains(logs, "notification delivered") {
				t.Errorf("logs:\n%s", logs)
			}
		})
	}
}

func TestCheckoutUnknownPayment(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	e := newEnv(t, rc.srv.URL)
	for _, c := range []struct{ method, path string }{
		{"GET", "/checkout/nope"},
		{"POST", "/checkout/nope/pay"},
		{"POST", "/checkout/nope/cancel"},
		{"GET", "/elsewhere"},
	} {
		if p := browse(t, c.method, e.srv.URL+c.path, ""); p.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", c.method, c.path, p.status)
		}
	}
	if p := browse(t, "GET", e.srv.URL+"/checkout/nope/pay", ""); p.status != http.StatusMethodNotAllowed {
		t.Errorf("GET pay: %d, want 405", p.status)
	}
	if _, attempts, _ := rc.received(); attempts != 0 {
		t.Errorf("%d notification attempts, want none", attempts)
	}
}

func TestCheckoutAcceptJSON(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	e := newEnv(t, rc.srv.URL)
	id, confirmURL := e.create(t, "k", okPayment)
	p := browse(t, "POST", confirmURL+"/pay", "application/json")
	var got map[string]any
	if err := json.Unmarshal([]byte(p.body), &got); err != nil || p.status != 200 || !strings.HasPrefix(p.ctype, "application/json") || p.location != "" {
		t.Fatalf("answer: %d %s %q (%v)", p.status, p.ctype, p.body, err)
	}
	if got["id"] != id || got["status"] != "succeeded" || got["paid"] != true {
		t.Errorf("payment = %v", got)
	}
	if n := rc.waitFor(t, 1); len(n) != 1 || n[0].Event != "payment.succeeded" {
		t.Errorf("notifications = %+v", n)
	}
}

// flush waits for the simulator's queued notifications.
func (e *env) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.sim.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestNotificationRetries: the payer is answered once the first attempt is over; a notification
// not answered 2xx is retried in the background, waiting longer each time, until it is delivered
// or its attempts (4 here) run out.
func TestNotificationRetries(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name      string
		statuses  []int
		target    string // overrides the receiver
		delivered int
		attempts  int
		log       []string
	}{
		{"fails twice then succeeds", []int{500, 503}, "", 1, 3, []string{"wait=1ms", "wait=2ms", "notification delivered", "attempt=3"}},
		{"fails every time", []int{500, 404, 502, 500}, "", 0, 4, []string{"wait=4ms", "notification not delivered", "attempts=4"}},
		{"unreachable", nil, closed.URL, 0, 0, []string{"notification not delivered", "attempts=4"}},
		{"bad url", nil, "http://\x7f", 0, 0, []string{"notification not delivered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tt.statuses...)
			target := rc.srv.URL
			if tt.target != "" {
				target = tt.target
			}
			e := newEnv(t, target)
			_, confirmURL := e.create(t, "k", okPayment)
			// the payer gets back to the shop whatever became of the notification
			if p := browse(t, "POST", confirmURL+"/pay", ""); p.status != http.StatusSeeOther || p.location != returnURL {
				t.Errorf("answer: %d %q", p.status, p.location)
			}
			// (retries wait only milliseconds here, so later attempts may be over too)
			if _, attempts, _ := rc.received(); attempts < min(tt.attempts, 1) {
				t.Errorf("%d attempts before the answer; want the first one over", attempts)
			}
			e.flush(t)
			got, attempts, _ := rc.received()
			if len(got) != tt.delivered || attempts != tt.attempts {
				t.Errorf("delivered %d in %d attempts; want %d in %d", len(got), attempts, tt.delivered, tt.attempts)
			}
			logs := e.logs.String()
			for _, want := range tt.log {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
			if strings.Contains(logs, secretKey) {
				t.Errorf("logs leak the key:\n%s", logs)
			}
		})
	}
}

// TestNotificationsKeepTheirOrder: a payment's payment.succeeded reaches the shop before its
// refund.succeeded, even when the first needs retries.
func TestNotificationsKeepTheirOrder(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500, 500)
	e := newEnv(t, rc.srv.URL)
	id, _ := e.create(t, "k", strings.Replace(okPayment, `"capture":true`, `"capture":false`, 1))
	e.sim.Succeed(id)
	e.do(t, call{"POST", "/payments/" + id + "/capture", "c", `{}`, true})
	e.do(t, call{"POST", "/refunds", "r", `{"payment_id":"` + id + `","amount":{"value":"100.00","currency":"RUB"}}`, true})
	e.flush(t)
	got, attempts, _ := rc.received()
	if len(got) != 2 || got[0].Event != "payment.succeeded" || got[1].Event != "refund.succeeded" || attempts != 4 {
		t.Errorf("notifications %+v in %d attempts; want payment.succeeded, then refund.succeeded, in 4", got, attempts)
	}
}

// TestCloseStopsDelivery: Close abandons a notification that keeps failing and drops the queued
// ones without waiting out their retries; afterwards the API works and notifies nobody.
func TestCloseStopsDelivery(t *testing.T) {
	t.Parallel()
	var statuses []int
	for range 100 {
		statuses = append(statuses, 503)
	}
	rc := newReceiver(t, statuses...)
	logs := &lockedBuffer{}
	sim := yookassasim.New(yookassasim.Config{
		ShopID: shopID, SecretKey: secretKey, NotifyURL: rc.srv.URL, NotifyAttempts: 100, NotifyRetryWait: time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sim.SetBaseURL(srv.URL)
	e := &env{sim: sim, srv: srv, logs: logs}
	for _, key := range []string{"a", "b"} {
		id, _ := e.create(t, key, okPayment)
		sim.Succeed(id)
		e.do(t, call{"POST", "/refunds", "r" + key, `{"payment_id":"` + id + `","amount":{"value":"1.00","currency":"RUB"}}`, true})
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, attempts, _ := rc.received(); attempts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no attempt within 5s")
		}
	}
	start := time.Now()
	sim.Close()
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Close took %s; want it not to wait out the retries", d)
	}
	sim.Close() // again: nothing to do
	if err := sim.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	if got := strings.Count(logs.String(), "notification dropped"); got != 1 {
		t.Errorf("%d dropped notifications logged, want the queued one:\n%s", got, logs.String())
	}
	_, before, _ := rc.received()
	id, _ := e.create(t, "c", okPayment)
	sim.Succeed(id)
	if status, _ := e.do(t, call{"POST", "/refunds", "rc", `{"payment_id":"` + id + `","amount":{"value":"1.00","currency":"RUB"}}`, true}); status != 200 {
		t.Errorf("refund after Close: %d", status)
	}
	time.Sleep(20 * time.Millisecond)
	if _, after, _ := rc.received(); after != before {
		t.Errorf("%d attempts after Close", after-before)
	}
}

func TestAPIChangesNotify(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	e := newEnv(t, rc.srv.URL)

	paid, _ := e.create(t, "k1", okPayment)
	e.sim.Succeed(paid) // a test knob: silent
	refundBody := `{"payment_id":"` + paid + `","amount":{"value":"10.00","currency":"RUB"}}`
	_, rf := e.do(t, call{"POST", "/refunds", "r1", refundBody, true})
	e.do(t, call{"POST", "/refunds", "r1", refundBody, true}) // a replay changes nothing

	held, _ := e.create(t, "k2", strings.Replace(okPayment, `"capture":true`, `"capture":false`, 1))
	e.sim.Succeed(held)
	e.sim.FailNext(1, http.StatusInternalServerError) // done, answer lost: still notified
	if status, _ := e.do(t, call{"POST", "/payments/" + held + "/capture", "c1", `{}`, true}); status != 500 {
		t.Errorf("capture with lost answer: %d", status)
	}

	dropped, _ := e.create(t, "k3", okPayment)
	e.do(t, call{"POST", "/payments/" + dropped + "/cancel", "x1", `{}`, true})

	got := rc.waitFor(t, 3)
	time.Sleep(50 * time.Millisecond) // room for a wrong extra one
	got, _, _ = rc.received()
	want := map[string]string{rf["id"].(string): "refund.succeeded", held: "payment.succeeded", dropped: "payment.canceled"}
	if len(got) != len(want) {
		t.Fatalf("notifications = %+v; want %v", got, want)
	}
	for _, n := range got {
		if want[n.Object["id"].(string)] != n.Event {
			t.Errorf("unexpected %s for %v", n.Event, n.Object["id"])
		}
		if n.Event == "payment.canceled" && n.Object["cancellation_details"].(map[string]any)["party"] != "merchant" {
			t.Errorf("merchant cancel = %v", n.Object)
		}
	}
}

func TestRealClient(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	sim := yookassasim.New(yookassasim.Config{ShopID: shopID, SecretKey: secretKey})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	// as a test that learns its URLs after starting the server
	sim.SetBaseURL(srv.URL + "/")
	sim.SetNotifyURL(rc.srv.URL)
	c, err := yookassa.New(yookassa.Config{
		ShopID: shopID, SecretKey: secretKey, APIURL: srv.URL + "/v3", ReturnURL: returnURL,
		HTTPClient: srv.Client(), RetryWait: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	appt := uuid.New()
	rub := models.Money{Minor: 150000, Currency: "RUB"}
	p, err := c.CreatePayment(ctx, yookassa.CreatePaymentRequest{Amount: rub, Description: "Сессия", AppointmentID: appt, IdempotenceKey: "book-1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != yookassa.PaymentPending || p.ConfirmationURL != srv.URL+"/checkout/"+p.ID {
		t.Errorf("created = %+v", p)
	}
	got, err := c.GetPayment(ctx, p.ID)
	if err != nil || got.ID != p.ID || got.Amount != rub || got.AppointmentID != appt || got.Status != yookassa.PaymentPending {
		t.Fatalf("read back = %+v, %v", got, err)
	}

	if page := browse(t, "POST", p.ConfirmationURL+"/pay", "application/json"); page.status != 200 {
		t.Fatalf("pay: %d %s", page.status, page.body)
	}
	got, err = c.GetPayment(ctx, p.ID)
	if err != nil || got.Status != yookassa.PaymentSucceeded || !got.Paid {
		t.Errorf("after pay = %+v, %v", got, err)
	}
	if n := rc.waitFor(t, 1); len(n) != 1 || n[0].Object["metadata"].(map[string]any)["appointment_id"] != appt.String() {
		t.Errorf("notifications = %+v", n)
	}
}

// TestMountedUnderPrefix follows the page's own form, as a browser would, with the simulator
// mounted below the product's root like the demo does.
func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	sim := yookassasim.New(yookassasim.Config{ShopID: shopID, SecretKey: secretKey})
	t.Cleanup(sim.Close)
	mux := http.NewServeMux()
	mux.Handle("/demo/yookassa/", http.StripPrefix("/demo/yookassa", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sim.SetBaseURL(srv.URL + "/demo/yookassa")

	req, _ := http.NewRequest("POST", srv.URL+"/demo/yookassa/v3/payments", strings.NewReader(okPayment))
	req.SetBasicAuth(shopID, secretKey)
	req.Header.Set("Idempotence-Key", "k")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		ID           string
		Confirmation struct {
			ConfirmationURL string `json:"confirmation_url"`
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if err != nil || !strings.HasPrefix(p.Confirmation.ConfirmationURL, srv.URL+"/demo/yookassa/checkout/") {
		t.Fatalf("created = %+v, %v", p, err)
	}

	form := browse(t, "GET", p.Confirmation.ConfirmationURL, "")
	m := regexp.MustCompile(`action="([^"]*/pay)"`).FindStringSubmatch(form.body)
	if m == nil {
		t.Fatalf("no pay form:\n%s", form.body)
	}
	base, _ := url.Parse(p.Confirmation.ConfirmationURL)
	action, _ := base.Parse(m[1])
	if page := browse(t, "POST", action.String(), ""); page.status != http.StatusSeeOther || page.location != returnURL {
		t.Errorf("submit %s: %d %q", action, page.status, page.location)
	}
	if !strings.Contains(string(sim.PaymentJSON(p.ID)), `"status":"succeeded"`) {
		t.Errorf("payment = %s", sim.PaymentJSON(p.ID))
	}
}

// TestNotificationDoesNotHoldTheAnswersConnection is the shop's real pattern: a refund through its
// API client, then, on refund.succeeded, a read-back of the refund through the same client — whose
// keep-alive connection is the one the refund came back on. The simulator notifies in the
// background, so the read-back is answered at once and the whole round trip takes milliseconds.
func TestNotificationDoesNotHoldTheAnswersConnection(t *testing.T) {
	t.Parallel()
	var e *env
	readBack := make(chan string, 4)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v3/refunds/"+n.Object["id"].(string), nil)
		req.SetBasicAuth(shopID, secretKey)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			readBack <- "read-back failed: " + err.Error()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer resp.Body.Close()
		var rf map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&rf)
		readBack <- n.Event + " " + rf["status"].(string)
	}))
	t.Cleanup(shop.Close)
	e = newEnv(t, shop.URL)
	id, _ := e.create(t, "k", okPayment)
	e.sim.Succeed(id)

	start := time.Now()
	if status, body := e.do(t, call{"POST", "/refunds", "r", `{"payment_id":"` + id + `","amount":{"value":"100.00","currency":"RUB"}}`, true}); status != 200 {
		t.Fatalf("refund: %d %v", status, body)
	}
	select {
	case got := <-readBack:
		if got != "refund.succeeded succeeded" {
			t.Errorf("shop saw %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5s")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refund, notification and read-back took %s; want well under a second", d)
	}
}
