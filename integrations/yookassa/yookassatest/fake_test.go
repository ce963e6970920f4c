package yookassatest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"balance/integrations/yookassa/yookassatest"
)

// The engine is tested in yookassasim; these tests check that the wrapper serves it and delegates.

const okPayment = `{"amount":{"value":"100.00","currency":"RUB"},"capture":true,"confirmation":{"type":"redirect","return_url":"https://x.example/r"},"metadata":{"appointment_id":"a"}}`

func post(t *testing.T, s *yookassatest.Server, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("shop", "secret")
	req.Header.Set("Idempotence-Key", key)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s: body %q: %v", path, raw, err)
	}
	return resp.StatusCode, out
}

func TestServerDelegates(t *testing.T) {
	t.Parallel()
	s := yookassatest.New(t, "shop", "secret")
	if !strings.HasSuffix(s.URL(), "/v3") || s.Sim() == nil {
		t.Fatalf("URL = %q", s.URL())
	}
	s.FailNext(1, http.StatusBadRequest)
	if status, _ := post(t, s, "/payments", "k0", okPayment); status != 400 {
		t.Errorf("injected: %d", status)
	}
	s.ProcessingNext(1, time.Second)
	if status, body := post(t, s, "/payments", "k0", okPayment); status != 202 || body["type"] != "processing" {
		t.Errorf("processing: %d %v", status, body)
	}
	_, p := post(t, s, "/payments", "k1", okPayment)
	id := p["id"].(string)
	if p["confirmation"].(map[string]any)["confirmation_url"] != strings.TrimSuffix(s.URL(), "/v3")+"/checkout/"+id {
		t.Errorf("confirmation = %v", p["confirmation"])
	}
	if s.PaymentCount() != 1 || s.Requests("/payments") != 3 || s.KeyUses("k0") != 2 || len(s.CreateRequest(id)) == 0 {
		t.Errorf("counters: %d payments, %d requests, %d key uses", s.PaymentCount(), s.Requests("/payments"), s.KeyUses("k0"))
	}
	if !s.SetPaymentStatus(id, yookassatest.StatusPending) || !s.Succeed(id) ||
		!strings.Contains(string(s.PaymentJSON(id)), `"status":"`+yookassatest.StatusSucceeded+`"`) {
		t.Errorf("payment = %s", s.PaymentJSON(id))
	}
	_, rf := post(t, s, "/refunds", "r1", `{"payment_id":"`+id+`","amount":{"value":"1.00","currency":"RUB"}}`)
	n := yookassatest.Notification("refund.succeeded", s.RefundJSON(rf["id"].(string)))
	if !strings.Contains(string(n), `"event":"refund.succeeded"`) || !strings.Contains(string(n), id) {
		t.Errorf("notification = %s", n)
	}
}

func TestServerNotifies(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n struct {
			Event  string
			Object struct{ ID string }
		}
		_ = json.NewDecoder(r.Body).Decode(&n)
		mu.Lock()
		defer mu.Unlock()
		// Delivery is at least once, as YooKassa's: a notification whose answer was lost comes
		// again, right after the first. Order and the set of notifications are what is promised.
		if last := len(events) - 1; last < 0 || events[last] != n.Event+" "+n.Object.ID {
			events = append(events, n.Event+" "+n.Object.ID)
		}
	}))
	t.Cleanup(receiver.Close)

	s := yookassatest.New(t, "shop", "secret")
	s.SetNotifyURL(receiver.URL)
	_, p := post(t, s, "/payments", "k", okPayment)
	req, _ := http.NewRequest("POST", p["confirmation"].(map[string]any)["confirmation_url"].(string)+"/cancel", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// An API call notifies in the background: Flush waits for it.
	_, paid := post(t, s, "/payments", "k2", okPayment)
	s.Succeed(paid["id"].(string))
	_, refund := post(t, s, "/refunds", "r", `{"payment_id":"`+paid["id"].(string)+`","amount":{"value":"1.00","currency":"RUB"}}`)
	s.Flush(t)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"payment.canceled " + p["id"].(string), "refund.succeeded " + refund["id"].(string)}
	if resp.StatusCode != 200 || !slices.Equal(events, want) || s.PaymentJSON(p["id"].(string)) == nil {
		t.Errorf("cancel: %d, events %v", resp.StatusCode, events)
	}
}
