package yookassatest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"balance/integrations/yookassa/yookassatest"
)

const okPayment = `{"amount":{"value":"100.00","currency":"RUB"},"capture":true,"confirmation":{"type":"redirect","return_url":"https://x.example/r"},"metadata":{"appointment_id":"a"}}`

type call struct {
	method, path, key, body string
	auth                    bool
}

func do(t *testing.T, s *yookassatest.Server, c call) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(c.method, s.URL()+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.auth {
		req.SetBasicAuth("shop", "secret")
	}
	if c.key != "" {
		req.Header.Set("Idempotence-Key", c.key)
	}
	resp, err := s.Client().Do(req)
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

func TestErrorsAndValidation(t *testing.T) {
	t.Parallel()
	s := yookassatest.New(t, "shop", "secret")
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
		status, body := do(t, s, tt.c)
		if status != tt.status || body["type"] != "error" || body["code"] != tt.code || body["id"] == "" {
			t.Errorf("%s: %d %v; want %d %s", tt.name, status, body, tt.status, tt.code)
		}
	}
	if s.PaymentCount() != 0 {
		t.Errorf("payments = %d", s.PaymentCount())
	}
}

func TestIdempotenceKeys(t *testing.T) {
	t.Parallel()
	s := yookassatest.New(t, "shop", "secret")
	_, first := do(t, s, call{"POST", "/payments", "same", okPayment, true})
	_, second := do(t, s, call{"POST", "/payments", "same", okPayment, true})
	if first["id"] == nil || first["id"] != second["id"] || s.PaymentCount() != 1 || s.KeyUses("same") != 2 {
		t.Errorf("replay: %v vs %v, %d payments", first["id"], second["id"], s.PaymentCount())
	}
	status, body := do(t, s, call{"POST", "/payments", "same", strings.Replace(okPayment, "100.00", "200.00", 1), true})
	if status != 400 || body["parameter"] != "Idempotence-Key" || s.PaymentCount() != 1 {
		t.Errorf("other body: %d %v", status, body)
	}
	id := first["id"].(string)
	status, _ = do(t, s, call{"POST", "/payments/" + id + "/cancel", "same", okPayment, true})
	if status != 400 {
		t.Errorf("same key on another endpoint: %d", status)
	}

	// concurrent creates with one key make one payment
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { do(t, s, call{"POST", "/payments", "race", okPayment, true}) })
	}
	wg.Wait()
	if s.PaymentCount() != 2 || s.Requests("/payments") != 23 {
		t.Errorf("payments %d, requests %d", s.PaymentCount(), s.Requests("/payments"))
	}
}

func TestStateAndNotifications(t *testing.T) {
	t.Parallel()
	s := yookassatest.New(t, "shop", "secret")
	_, p := do(t, s, call{"POST", "/payments", "k", okPayment, true})
	id := p["id"].(string)
	if s.SetPaymentStatus("nope", "succeeded") || s.Succeed("nope") || s.PaymentJSON("nope") != nil || s.RefundJSON("nope") != nil {
		t.Error("unknown payment accepted")
	}
	if status, _ := do(t, s, call{"POST", "/refunds", "r0", `{"payment_id":"` + id + `","amount":{"value":"1.00","currency":"RUB"}}`, true}); status != 400 {
		t.Errorf("refund of pending payment: %d", status)
	}
	if status, _ := do(t, s, call{"POST", "/payments/" + id + "/capture", "c0", `{}`, true}); status != 400 {
		t.Errorf("capture of pending payment: %d", status)
	}
	s.SetPaymentStatus(id, yookassatest.StatusCanceled)
	var got map[string]any
	_ = json.Unmarshal(s.PaymentJSON(id), &got)
	details, _ := got["cancellation_details"].(map[string]any)
	if got["status"] != "canceled" || got["paid"] != false || details["party"] != "yoo_money" || details["reason"] != "expired_on_confirmation" {
		t.Errorf("canceled = %v", got)
	}
	s.SetPaymentStatus(id, yookassatest.StatusSucceeded)
	tests := []struct {
		name, body string
		status     int
	}{
		{"over", `{"payment_id":"` + id + `","amount":{"value":"100.01","currency":"RUB"}}`, 400},
		{"currency", `{"payment_id":"` + id + `","amount":{"value":"1.00","currency":"USD"}}`, 400},
		{"all", `{"payment_id":"` + id + `","amount":{"value":"100.00","currency":"RUB"}}`, 200},
		{"more", `{"payment_id":"` + id + `","amount":{"value":"0.01","currency":"RUB"}}`, 400},
	}
	var refundID string
	for _, tt := range tests {
		status, body := do(t, s, call{"POST", "/refunds", "r-" + tt.name, tt.body, true})
		if status != tt.status {
			t.Errorf("%s: %d %v", tt.name, status, body)
		}
		if status == 200 {
			refundID = body["id"].(string)
		}
	}
	_ = json.Unmarshal(s.PaymentJSON(id), &got)
	if got["refundable"] != false || got["refunded_amount"].(map[string]any)["value"] != "100.00" {
		t.Errorf("after full refund = %v", got)
	}

	n := yookassatest.Notification("refund.succeeded", s.RefundJSON(refundID))
	var note struct {
		Type, Event string
		Object      map[string]any
	}
	if err := json.Unmarshal(n, &note); err != nil || note.Type != "notification" || note.Event != "refund.succeeded" || note.Object["id"] != refundID || note.Object["payment_id"] != id {
		t.Errorf("notification = %s (%v)", n, err)
	}

	// two-stage capture with a bad amount
	_, two := do(t, s, call{"POST", "/payments", "two", strings.Replace(okPayment, `"capture":true`, `"capture":false`, 1), true})
	tid := two["id"].(string)
	s.Succeed(tid)
	_ = json.Unmarshal(s.PaymentJSON(tid), &got)
	if got["status"] != yookassatest.StatusWaitingForCapture || got["paid"] != true {
		t.Errorf("two-stage after Succeed = %v", got)
	}
	for i, body := range []string{`[`, `{"amount":{"value":"100.01","currency":"RUB"}}`} {
		if status, _ := do(t, s, call{"POST", "/payments/" + tid + "/capture", "cap-" + string(rune('a'+i)), body, true}); status != 400 {
			t.Errorf("capture %s: %d", body, status)
		}
	}
}

func TestInjectedFailures(t *testing.T) {
	t.Parallel()
	s := yookassatest.New(t, "shop", "secret")
	s.FailNext(1, http.StatusBadRequest)
	if status, _ := do(t, s, call{"POST", "/payments", "k", okPayment, true}); status != 400 || s.PaymentCount() != 0 {
		t.Errorf("4xx injection: %d, %d payments", status, s.PaymentCount())
	}
	s.FailNext(1, http.StatusServiceUnavailable)
	status, body := do(t, s, call{"POST", "/payments", "k2", okPayment, true})
	if status != 503 || body["code"] != "internal_server_error" || s.PaymentCount() != 1 {
		t.Errorf("5xx injection: %d %v, %d payments (want processed, answer lost)", status, body, s.PaymentCount())
	}
	s.ProcessingNext(1, 1500_000_000)
	status, body = do(t, s, call{"GET", "/payments/x", "", "", true})
	if status != 202 || body["type"] != "processing" || body["retry_after"] != float64(1500) {
		t.Errorf("processing: %d %v", status, body)
	}
}
