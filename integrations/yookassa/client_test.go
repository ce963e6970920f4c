package yookassa_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/integrations/yookassa"
	"balance/integrations/yookassa/yookassasim"
	"balance/integrations/yookassa/yookassatest"
	"balance/models"
)

const (
	shopID = "123456"
	secret = "test_SuperSecretKey_9f8e7d"
)

var rub1500 = models.Money{Minor: 150000, Currency: "RUB"}

func newPair(t *testing.T, mutate func(*yookassa.Config)) (*yookassa.Client, *yookassatest.Server) {
	t.Helper()
	fake := yookassatest.New(t, shopID, secret)
	cfg := yookassa.Config{
		ShopID: shopID, SecretKey: secret, APIURL: fake.URL(), ReturnURL: "https://balance.example/return",
		HTTPClient: fake.Client(), RetryWait: time.Millisecond,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := yookassa.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func create(t *testing.T, c *yookassa.Client, key string) *yookassa.Payment {
	t.Helper()
	p, err := c.CreatePayment(context.Background(), yookassa.CreatePaymentRequest{
		Amount: rub1500, Description: "Сессия", AppointmentID: uuid.New(), IdempotenceKey: key,
		Customer: &yookassa.Customer{Email: "client@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := yookassa.Config{ShopID: "1", SecretKey: secret, ReturnURL: "https://x.example/r"}
	tests := []struct {
		name   string
		mutate func(*yookassa.Config)
		want   string
	}{
		{"valid", func(*yookassa.Config) {}, ""},
		{"no shop", func(c *yookassa.Config) { c.ShopID = "" }, "shop id"},
		{"no secret", func(c *yookassa.Config) { c.SecretKey = "" }, "secret key"},
		{"bad api url", func(c *yookassa.Config) { c.APIURL = "ftp://x" }, "api url"},
		{"credentials in url", func(c *yookassa.Config) { c.APIURL = "https://u:" + secret + "@x.example" }, "credentials"},
		{"no return url", func(c *yookassa.Config) { c.ReturnURL = "" }, "return url"},
		{"negative wait", func(c *yookassa.Config) { c.RetryWait = -time.Second }, "retry wait"},
	}
	for _, tt := range tests {
		cfg := ok
		tt.mutate(&cfg)
		_, err := yookassa.New(cfg)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want mention of %q", tt.name, err, tt.want)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error leaks the secret: %v", tt.name, err)
		}
	}
}

func TestConfigRedactsSecret(t *testing.T) {
	t.Parallel()
	cfg := yookassa.Config{ShopID: shopID, SecretKey: secret, ReturnURL: "https://x.example/r"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("start", "yookassa", cfg)
	for name, s := range map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%s": fmt.Sprintf("%s", cfg), "pointer": fmt.Sprintf("%v", &cfg), "slog": logged.String(),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("%s leaks the secret: %s", name, s)
		}
		if !strings.Contains(s, shopID) {
			t.Errorf("%s lost the shop id: %s", name, s)
		}
	}
}

func TestCreatePaymentWire(t *testing.T) {
	t.Parallel()
	appt := uuid.New()
	long := strings.Repeat("Консультация ", 20)
	tests := []struct {
		name        string
		receipts    bool
		req         yookassa.CreatePaymentRequest
		wantReceipt bool
		wantDesc    string
		wantCapture bool
	}{
		{"plain", false, yookassa.CreatePaymentRequest{Amount: rub1500, Description: "Сессия", AppointmentID: appt}, false, "Сессия", true},
		{"receipts on", true, yookassa.CreatePaymentRequest{Amount: rub1500, Description: "Сессия", AppointmentID: appt,
			Customer: &yookassa.Customer{Email: "a@example.com", Phone: "+79001234567"}}, true, "Сессия", true},
		{"long cyrillic", false, yookassa.CreatePaymentRequest{Amount: rub1500, Description: long, AppointmentID: appt},
			false, string([]rune(long)[:128]), true},
		{"two stage", false, yookassa.CreatePaymentRequest{Amount: rub1500, AppointmentID: appt, ManualCapture: true}, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fake := newPair(t, func(cfg *yookassa.Config) { cfg.Receipts = tt.receipts })
			tt.req.IdempotenceKey = "key-" + tt.name
			p, err := c.CreatePayment(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != yookassa.PaymentPending || p.Paid || p.Amount != rub1500 || p.AppointmentID != appt ||
				p.Metadata["appointment_id"] != appt.String() || !strings.Contains(p.ConfirmationURL, p.ID) ||
				p.Description != tt.wantDesc || p.CreatedAt.IsZero() || p.RefundedAmount != (models.Money{Currency: "RUB"}) {
				t.Errorf("payment = %+v", p)
			}
			var wire struct {
				Amount       map[string]string `json:"amount"`
				Capture      bool              `json:"capture"`
				Description  string            `json:"description"`
				Metadata     map[string]string `json:"metadata"`
				Confirmation map[string]string `json:"confirmation"`
				Receipt      *struct {
					Customer map[string]string `json:"customer"`
					Items    []struct {
						Description    string            `json:"description"`
						Quantity       string            `json:"quantity"`
						Amount         map[string]string `json:"amount"`
						VATCode        int               `json:"vat_code"`
						PaymentSubject string            `json:"payment_subject"`
						PaymentMode    string            `json:"payment_mode"`
					} `json:"items"`
				} `json:"receipt"`
			}
			if err := json.Unmarshal(fake.CreateRequest(p.ID), &wire); err != nil {
				t.Fatal(err)
			}
			if wire.Amount["value"] != "1500.00" || wire.Amount["currency"] != "RUB" || wire.Capture != tt.wantCapture ||
				wire.Description != tt.wantDesc || utf8.RuneCountInString(wire.Description) > 128 ||
				wire.Metadata["appointment_id"] != appt.String() ||
				wire.Confirmation["type"] != "redirect" || wire.Confirmation["return_url"] != "https://balance.example/return" {
				t.Errorf("wire = %+v", wire)
			}
			if (wire.Receipt != nil) != tt.wantReceipt {
				t.Fatalf("receipt present = %t, want %t", wire.Receipt != nil, tt.wantReceipt)
			}
			if r := wire.Receipt; r != nil {
				if r.Customer["email"] != "a@example.com" || r.Customer["phone"] != "79001234567" || len(r.Items) != 1 {
					t.Fatalf("receipt = %+v", r)
				}
				it := r.Items[0]
				if it.Description != tt.wantDesc || it.Quantity != "1.00" || it.Amount["value"] != "1500.00" ||
					it.VATCode != 1 || it.PaymentSubject != "service" || it.PaymentMode != "full_prepayment" {
					t.Errorf("receipt item = %+v", it)
				}
			}
		})
	}
}

func TestCreatePaymentRejectsBadInput(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, func(cfg *yookassa.Config) { cfg.Receipts = true })
	cust := &yookassa.Customer{Email: "a@example.com"}
	tests := []struct {
		name string
		req  yookassa.CreatePaymentRequest
	}{
		{"no key", yookassa.CreatePaymentRequest{Amount: rub1500, Customer: cust}},
		{"key too long", yookassa.CreatePaymentRequest{Amount: rub1500, Customer: cust, IdempotenceKey: strings.Repeat("k", 65)}},
		{"zero amount", yookassa.CreatePaymentRequest{Amount: models.Money{Currency: "RUB"}, Customer: cust, IdempotenceKey: "k"}},
		{"bad currency", yookassa.CreatePaymentRequest{Amount: models.Money{Minor: 1, Currency: "руб"}, Customer: cust, IdempotenceKey: "k"}},
		{"receipt without contact", yookassa.CreatePaymentRequest{Amount: rub1500, Customer: &yookassa.Customer{}, IdempotenceKey: "k"}},
		{"receipt without customer", yookassa.CreatePaymentRequest{Amount: rub1500, IdempotenceKey: "k"}},
	}
	for _, tt := range tests {
		if _, err := c.CreatePayment(context.Background(), tt.req); !errors.Is(err, yookassa.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", tt.name, err)
		}
	}
	if n := fake.Requests("/payments"); n != 0 {
		t.Errorf("fake saw %d requests, want none", n)
	}
}

func TestBasicAuthAndWrongCredentials(t *testing.T) {
	t.Parallel()
	var gotUser, gotPass string
	var hasAuth bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotPass, hasAuth = r.BasicAuth()
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	c, err := yookassa.New(yookassa.Config{ShopID: shopID, SecretKey: secret, APIURL: srv.URL, ReturnURL: "https://x.example/r"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPayment(context.Background(), "p1")
	if !hasAuth || gotUser != shopID || gotPass != secret {
		t.Errorf("basic auth = %t %q %q", hasAuth, gotUser, gotPass)
	}
	if !errors.Is(err, yookassa.ErrNotFound) {
		t.Errorf("bodiless 404 err = %v, want ErrNotFound", err)
	}

	bad, fake := newPair(t, func(cfg *yookassa.Config) { cfg.SecretKey = "wrong_" + secret })
	_, err = bad.CreatePayment(context.Background(), yookassa.CreatePaymentRequest{Amount: rub1500, IdempotenceKey: "k1"})
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || !errors.Is(err, yookassa.ErrInvalidCredentials) {
		t.Fatalf("err = %v, want 401 invalid_credentials", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error leaks the secret: %v", err)
	}
	if fake.Requests("/payments") != 1 || fake.PaymentCount() != 0 {
		t.Errorf("401 retried or created: %d requests, %d payments", fake.Requests("/payments"), fake.PaymentCount())
	}
}

func TestRetryReusesIdempotenceKey(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	// The fake processes the request and then loses the answer: a client that changed the key on
	// retry would create a second payment.
	fake.FailNext(2, http.StatusInternalServerError)
	p := create(t, c, "booking-42")
	if got := fake.KeyUses("booking-42"); got != 3 {
		t.Errorf("key sent %d times, want 3", got)
	}
	if fake.PaymentCount() != 1 || fake.Requests("/payments") != 3 {
		t.Errorf("payments = %d, requests = %d; want 1, 3", fake.PaymentCount(), fake.Requests("/payments"))
	}
	if fake.PaymentJSON(p.ID) == nil {
		t.Error("returned payment is not the stored one")
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, func(cfg *yookassa.Config) { cfg.MaxRetries = 2 })
	fake.FailNext(5, http.StatusInternalServerError)
	_, err := c.GetPayment(context.Background(), "nope")
	if !errors.Is(err, yookassa.ErrInternalServerError) {
		t.Errorf("err = %v, want internal_server_error", err)
	}
	if n := fake.Requests("/payments/nope"); n != 3 {
		t.Errorf("requests = %d, want 3 (1 + 2 retries)", n)
	}

	none, fake2 := newPair(t, func(cfg *yookassa.Config) { cfg.MaxRetries = -1 })
	fake2.FailNext(1, http.StatusBadGateway)
	if _, err := none.GetPayment(context.Background(), "x"); err == nil || fake2.Requests("/payments/x") != 1 {
		t.Errorf("retries disabled: err %v, %d requests", err, fake2.Requests("/payments/x"))
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusBadRequest, yookassa.ErrInvalidRequest},
		{http.StatusForbidden, yookassa.ErrForbidden},
		{http.StatusNotFound, yookassa.ErrNotFound},
		{http.StatusTooManyRequests, yookassa.ErrTooManyRequests},
	}
	for _, tt := range tests {
		c, fake := newPair(t, nil)
		fake.FailNext(1, tt.status)
		_, err := c.CreatePayment(context.Background(), yookassa.CreatePaymentRequest{Amount: rub1500, IdempotenceKey: "k"})
		if !errors.Is(err, tt.want) {
			t.Errorf("%d: err = %v, want %v", tt.status, err, tt.want)
		}
		if fake.Requests("/payments") != 1 || fake.PaymentCount() != 0 {
			t.Errorf("%d: %d requests, %d payments; want 1, 0", tt.status, fake.Requests("/payments"), fake.PaymentCount())
		}
	}
}

func TestAPIErrorParsed(t *testing.T) {
	t.Parallel()
	c, _ := newPair(t, nil)
	_, err := c.GetPayment(context.Background(), "missing")
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %T %v", err, err)
	}
	if apiErr.Status != 404 || apiErr.Type != "error" || apiErr.Code != "not_found" || apiErr.ID == "" ||
		apiErr.Parameter != "payment_id" || apiErr.Description == "" {
		t.Errorf("APIError = %+v", apiErr)
	}
	if !errors.Is(err, yookassa.ErrNotFound) || errors.Is(err, yookassa.ErrInvalidRequest) {
		t.Error("sentinel matching is wrong")
	}
	msg := err.Error()
	for _, want := range []string{"404", "not_found", "payment_id", apiErr.ID} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("message leaks the secret: %q", msg)
	}
	if (&yookassa.APIError{Status: 503}).Is(yookassa.ErrInternalServerError) {
		t.Error("503 without a code must not match internal_server_error")
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, func(cfg *yookassa.Config) { cfg.RetryWait = time.Hour; cfg.MaxRetries = 10 })
	fake.FailNext(10, http.StatusInternalServerError)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetPayment(ctx, "p")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, yookassa.ErrInternalServerError) {
		t.Errorf("err = %v, want deadline exceeded wrapping the last 500", err)
	}
	if time.Since(start) > 5*time.Second || fake.Requests("/payments/p") != 1 {
		t.Errorf("took %s, %d requests", time.Since(start), fake.Requests("/payments/p"))
	}

	done, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := c.GetPayment(done, "p"); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: err = %v", err)
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close() // the connection drops without an answer
			return
		}
		if r.Header.Get("Idempotence-Key") != "net-key" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"id":"r1","payment_id":"p1","status":"succeeded","amount":{"value":"10.00","currency":"RUB"},"created_at":"2026-03-01T10:00:00.000Z"}`))
	}))
	defer srv.Close()
	c, err := yookassa.New(yookassa.Config{ShopID: shopID, SecretKey: secret, APIURL: srv.URL, ReturnURL: "https://x.example/r", RetryWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.CreateRefund(context.Background(), yookassa.CreateRefundRequest{PaymentID: "p1", Amount: models.Money{Minor: 1000, Currency: "RUB"}, IdempotenceKey: "net-key"})
	if err != nil || r.Amount.Minor != 1000 || calls.Load() != 2 {
		t.Errorf("refund %+v, err %v, calls %d", r, err, calls.Load())
	}
}

func TestProcessingAnswerRetried(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.ProcessingNext(2, 5*time.Millisecond)
	p := create(t, c, "proc-key")
	if fake.Requests("/payments") != 3 || fake.PaymentCount() != 1 || p.ID == "" {
		t.Errorf("requests %d, payments %d", fake.Requests("/payments"), fake.PaymentCount())
	}

	c2, fake2 := newPair(t, func(cfg *yookassa.Config) { cfg.MaxRetries = 1 })
	fake2.ProcessingNext(5, 0)
	if _, err := c2.GetPayment(context.Background(), "x"); !errors.Is(err, yookassa.ErrProcessing) {
		t.Errorf("err = %v, want ErrProcessing", err)
	}
}

func TestPaymentLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, fake := newPair(t, nil)

	// one-stage: pay, read, refund partially, read the refund
	p := create(t, c, "k-pay")
	if !fake.Succeed(p.ID) {
		t.Fatal("no payment in fake")
	}
	got, err := c.GetPayment(ctx, p.ID)
	if err != nil || got.Status != yookassa.PaymentSucceeded || !got.Paid || !got.Refundable || got.AppointmentID != p.AppointmentID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	part := models.Money{Minor: 50000, Currency: "RUB"}
	rf, err := c.CreateRefund(ctx, yookassa.CreateRefundRequest{PaymentID: p.ID, Amount: part, Description: "отмена", IdempotenceKey: "k-ref"})
	if err != nil || rf.Status != yookassa.RefundSucceeded || rf.Amount != part || rf.PaymentID != p.ID || rf.CreatedAt.IsZero() {
		t.Fatalf("refund = %+v, %v", rf, err)
	}
	again, err := c.CreateRefund(ctx, yookassa.CreateRefundRequest{PaymentID: p.ID, Amount: part, Description: "отмена", IdempotenceKey: "k-ref"})
	if err != nil || again.ID != rf.ID {
		t.Errorf("same key refund = %+v, %v; want the same refund", again, err)
	}
	if _, err := c.CreateRefund(ctx, yookassa.CreateRefundRequest{PaymentID: p.ID, Amount: rub1500, IdempotenceKey: "k-ref"}); !errors.Is(err, yookassa.ErrInvalidRequest) {
		t.Errorf("same key, other body: err = %v, want invalid_request", err)
	}
	gr, err := c.GetRefund(ctx, rf.ID)
	if err != nil || *gr != *rf {
		t.Errorf("get refund = %+v, %v", gr, err)
	}
	got, _ = c.GetPayment(ctx, p.ID)
	if got.RefundedAmount != part {
		t.Errorf("refunded amount = %v, want %v", got.RefundedAmount, part)
	}
	if _, err := c.GetRefund(ctx, "nope"); !errors.Is(err, yookassa.ErrNotFound) {
		t.Errorf("missing refund: %v", err)
	}

	// two-stage: authorise, capture part
	two, err := c.CreatePayment(ctx, yookassa.CreatePaymentRequest{Amount: rub1500, ManualCapture: true, IdempotenceKey: "k-two"})
	if err != nil {
		t.Fatal(err)
	}
	fake.Succeed(two.ID)
	captured, err := c.CapturePayment(ctx, two.ID, models.Money{Minor: 100000, Currency: "RUB"}, "k-cap")
	if err != nil || captured.Status != yookassa.PaymentSucceeded || captured.Amount.Minor != 100000 || captured.AppointmentID != uuid.Nil {
		t.Fatalf("capture = %+v, %v", captured, err)
	}

	// full capture omits the amount
	full, _ := c.CreatePayment(ctx, yookassa.CreatePaymentRequest{Amount: rub1500, ManualCapture: true, IdempotenceKey: "k-full"})
	fake.SetPaymentStatus(full.ID, string(yookassa.PaymentWaitingForCapture))
	if got, err := c.CapturePayment(ctx, full.ID, models.Money{}, "k-cap-full"); err != nil || got.Amount != rub1500 {
		t.Errorf("full capture = %+v, %v", got, err)
	}

	// cancel a pending payment; cancel again → invalid_request
	pending := create(t, c, "k-cancel-me")
	canceled, err := c.CancelPayment(ctx, pending.ID, "k-cancel")
	if err != nil || canceled.Status != yookassa.PaymentCanceled || canceled.CancellationReason != "canceled_by_merchant" || canceled.CancellationParty != "merchant" {
		t.Fatalf("cancel = %+v, %v", canceled, err)
	}
	if _, err := c.CancelPayment(ctx, pending.ID, "k-cancel-2"); !errors.Is(err, yookassa.ErrInvalidRequest) {
		t.Errorf("second cancel: %v", err)
	}
	if _, err := c.CancelPayment(ctx, pending.ID, ""); !errors.Is(err, yookassa.ErrInvalidInput) {
		t.Errorf("cancel without key: %v", err)
	}
}

func TestEmptyIDsRejected(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	ctx := context.Background()
	errs := []error{}
	_, err := c.GetPayment(ctx, "")
	errs = append(errs, err)
	_, err = c.CapturePayment(ctx, "", models.Money{}, "k")
	errs = append(errs, err)
	_, err = c.CapturePayment(ctx, "p", models.Money{Minor: -1, Currency: "RUB"}, "k")
	errs = append(errs, err)
	_, err = c.CancelPayment(ctx, "", "k")
	errs = append(errs, err)
	_, err = c.CreateRefund(ctx, yookassa.CreateRefundRequest{Amount: rub1500, IdempotenceKey: "k"})
	errs = append(errs, err)
	_, err = c.CreateRefund(ctx, yookassa.CreateRefundRequest{PaymentID: "p", IdempotenceKey: "k"})
	errs = append(errs, err)
	_, err = c.GetRefund(ctx, "")
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, yookassa.ErrInvalidInput) {
			t.Errorf("case %d: err = %v", i, err)
		}
	}
	if fake.PaymentCount() != 0 {
		t.Error("a request went out")
	}
}

func TestMalformedResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		refundToo  bool
	}{
		{"not json", `<html>`, true},
		{"float amount", `{"id":"p","status":"pending","amount":{"value":"1500.001","currency":"RUB"}}`, true},
		{"bad refunded", `{"id":"p","status":"pending","amount":{"value":"1.00","currency":"RUB"},"refunded_amount":{"value":"x","currency":"RUB"}}`, false},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tt.body)) }))
		c, _ := yookassa.New(yookassa.Config{ShopID: shopID, SecretKey: secret, APIURL: srv.URL, ReturnURL: "https://x.example/r"})
		if _, err := c.GetPayment(context.Background(), "p"); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
		if _, err := c.GetRefund(context.Background(), "r"); tt.refundToo && err == nil {
			t.Errorf("%s: refund: no error", tt.name)
		}
		srv.Close()
	}
}

// Without an HTTP client of the caller's, the client keeps a connection open for each of the
// bookings that create payments at once, instead of opening new ones beyond Go's default two.
func TestDefaultClientKeepsConcurrentConnections(t *testing.T) {
	t.Parallel()
	sim := yookassasim.New(yookassasim.Config{ShopID: shopID, SecretKey: secret})
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(sim)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	sim.SetBaseURL(srv.URL)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	c, err := yookassa.New(yookassa.Config{ShopID: shopID, SecretKey: secret, APIURL: srv.URL + "/v3", ReturnURL: "https://balance.example/return"})
	if err != nil {
		t.Fatal(err)
	}
	const concurrent, rounds = 8, 5
	for r := range rounds {
		var wg sync.WaitGroup
		for i := range concurrent {
			wg.Go(func() {
				if _, err := c.CreatePayment(context.Background(), yookassa.CreatePaymentRequest{
					Amount: rub1500, Description: "Сессия", AppointmentID: uuid.New(), IdempotenceKey: fmt.Sprintf("k-%d-%d", r, i),
				}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	// A connection goes back to the pool a moment after its answer was read, so a round may now and
	// then dial one it would have reused; Go's default of two idle connections would make each round
	// after the first dial six (32 in all here).
	if n, most := opened.Load(), int64(concurrent+rounds); n > most {
		t.Errorf("%d connections opened for %d rounds of %d concurrent calls, want at most %d", n, rounds, concurrent, most)
	}
}
