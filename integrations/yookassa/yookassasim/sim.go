// Package yookassasim simulates the YooKassa API v3 in process, for tests and for the demo: it speaks
// the real wire format (Basic auth, Idempotence-Key, error objects, amounts as decimal strings),
// remembers idempotence keys like YooKassa does, keeps payments and refunds in memory, and serves a
// checkout page where a payer pays or gives up. After a state change it POSTs the webhook
// notification YooKassa would send — from a background goroutine, in order, retrying failures with
// backoff, as YooKassa notifies apart from the API call that caused it. Tests can drive state,
// inject failures and wait for notifications (Flush) through its methods; Close stops delivery.
//
// It imports neither testing nor httptest, so the product binary can mount it; yookassatest wraps
// it in an httptest server for tests.
package yookassasim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Payment and refund states, as on the wire.
const (
	StatusPending           = "pending"
	StatusWaitingForCapture = "waiting_for_capture"
	StatusSucceeded         = "succeeded"
	StatusCanceled          = "canceled"
)

// Notification events, as on the wire.
const (
	EventPaymentSucceeded         = "payment.succeeded"
	EventPaymentWaitingForCapture = "payment.waiting_for_capture"
	EventPaymentCanceled          = "payment.canceled"
	EventRefundSucceeded          = "refund.succeeded"
)

const maxBodyBytes = 1 << 20

// Config configures a Simulator.
type Config struct {
	// ShopID and SecretKey are the Basic auth credentials the API accepts.
	ShopID    string
	SecretKey string
	// BaseURL is the public root of the simulator, e.g. http://127.0.0.1:8080/demo/yookassa;
	// confirmation URLs are BaseURL+"/checkout/"+id.
	BaseURL string
	// NotifyURL is where webhook notifications are POSTed; empty sends none.
	NotifyURL string
	// HTTPClient delivers notifications; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// NotifyAttempts bounds the deliveries of one notification (0: 8).
	NotifyAttempts int
	// NotifyRetryWait is the wait after a notification's first failed attempt, doubled after each
	// further one up to 3 s (0: 100 ms).
	NotifyRetryWait time.Duration
	// Log records checkout actions and notification deliveries; nil discards them.
	Log *slog.Logger
}

// Simulator is a simulated YooKassa and an http.Handler: the API under /v3/..., the checkout page
// under /checkout/{id}. Its methods are safe for concurrent use.
type Simulator struct {
	shopID    string
	secretKey string
	log       *slog.Logger
	mux       *http.ServeMux
	notes     *notifier

	mu             sync.Mutex
	baseURL        string
	notifyURL      string
	payments       map[string]*payment
	refunds        map[string]*refund
	createRequests map[string]json.RawMessage
	keys           map[string]stored
	pathCounts     map[string]int
	keyCounts      map[string]int
	failures       []int
	processing     int
	retryAfter     time.Duration
}

type amount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

type confirmation struct {
	Type            string `json:"type"`
	ReturnURL       string `json:"return_url,omitempty"`
	ConfirmationURL string `json:"confirmation_url,omitempty"`
}

type cancellation struct {
	Party  string `json:"party"`
	Reason string `json:"reason"`
}

type payment struct {
	ID                  string            `json:"id"`
	Status              string            `json:"status"`
	Paid                bool              `json:"paid"`
	Amount              amount            `json:"amount"`
	RefundedAmount      *amount           `json:"refunded_amount,omitempty"`
	Confirmation        *confirmation     `json:"confirmation,omitempty"`
	Description         string            `json:"description,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	CancellationDetails *cancellation     `json:"cancellation_details,omitempty"`
	Refundable          bool              `json:"refundable"`
	Test                bool              `json:"test"`
	CreatedAt           string            `json:"created_at"`
	capture             bool
}

type refund struct {
	ID          string `json:"id"`
	PaymentID   string `json:"payment_id"`
	Status      string `json:"status"`
	Amount      amount `json:"amount"`
	Description string `json:"description,omitempty"`
	CreatedAt   string `json:"created_at"`
}

// stored is a remembered answer to an idempotent POST.
type stored struct {
	op     string
	digest [32]byte
	status int
	body   []byte
}

// New returns a simulator that accepts cfg.ShopID:cfg.SecretKey.
func New(cfg Config) *Simulator {
	s := &Simulator{
		shopID:         cfg.ShopID,
		secretKey:      cfg.SecretKey,
		log:            cfg.Log,
		baseURL:        strings.TrimRight(cfg.BaseURL, "/"),
		notifyURL:      cfg.NotifyURL,
		payments:       map[string]*payment{},
		refunds:        map[string]*refund{},
		createRequests: map[string]json.RawMessage{},
		keys:           map[string]stored{},
		pathCounts:     map[string]int{},
		keyCounts:      map[string]int{},
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: notifyTimeout}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.notes = newNotifier(client, s.log, s.currentNotifyURL, cfg.NotifyAttempts, cfg.NotifyRetryWait)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/v3", s.serveAPI)
	s.mux.HandleFunc("/v3/", s.serveAPI)
	s.mux.HandleFunc("GET /checkout/{id}", s.checkoutPage)
	s.mux.HandleFunc("POST /checkout/{id}/pay", s.checkoutPay)
	s.mux.HandleFunc("POST /checkout/{id}/cancel", s.checkoutCancel)
	return s
}

// ServeHTTP serves the API under /v3/... and the checkout page under /checkout/{id}.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetBaseURL changes the public root used in the confirmation URLs of payments created afterwards.
func (s *Simulator) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimRight(u, "/")
}

// SetNotifyURL changes where notifications go, queued ones included; empty stops them.
func (s *Simulator) SetNotifyURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyURL = u
}

func (s *Simulator) currentNotifyURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notifyURL
}

// Flush waits until every notification queued so far has been delivered or given up on, or ctx
// ends. Tests call it instead of sleeping.
func (s *Simulator) Flush(ctx context.Context) error { return s.notes.flush(ctx) }

// Close stops sending notifications: an attempt in flight is abandoned and queued ones are dropped
// and logged. It returns once the delivery goroutine has stopped; Flush first to deliver what is
// queued. The API and the checkout page go on working, without notifying.
func (s *Simulator) Close() { s.notes.close() }

// notify queues n for delivery, when there is somewhere to deliver it. Called with s.mu held, at
// the state change, so notifications leave in the order the changes happened.
func (s *Simulator) notify(n *note) <-chan struct{} {
	if n == nil || s.notifyURL == "" {
		return nil
	}
	return s.notes.enqueue(n)
}

// FailNext makes the next n API requests answer status with an error body. A 5xx is injected after
// the request was processed, as when YooKassa did the work but the answer was lost; a 4xx is
// injected before, and nothing happens.
func (s *Simulator) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, status)
	}
}

// ProcessingNext makes the next n API requests answer 202 "processing" with retry_after.
func (s *Simulator) ProcessingNext(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processing, s.retryAfter = n, retryAfter
}

// Requests counts the requests to a path under /v3, such as "/payments", whatever their outcome.
func (s *Simulator) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pathCounts[path]
}

// KeyUses counts the requests that carried an Idempotence-Key.
func (s *Simulator) KeyUses(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyCounts[key]
}

// PaymentCount is how many payments were created.
func (s *Simulator) PaymentCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.payments)
}

// CreateRequest is the body a payment was created with, to inspect the wire format.
func (s *Simulator) CreateRequest(id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createRequests[id]
}

// PaymentJSON is the payment object as the API shows it now; nil if there is none.
func (s *Simulator) PaymentJSON(id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return nil
	}
	return mustJSON(p)
}

// RefundJSON is the refund object as the API shows it now; nil if there is none.
func (s *Simulator) RefundJSON(id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refunds[id]
	if !ok {
		return nil
	}
	return mustJSON(r)
}

// SetPaymentStatus moves a payment to status, as the client's bank or YooKassa would. It sends no
// notification: a test builds one with Notification. It reports false when there is no such payment.
func (s *Simulator) SetPaymentStatus(id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return false
	}
	setStatus(p, status)
	return true
}

// Succeed marks a payment paid: succeeded, or waiting_for_capture for a two-stage payment. Like
// SetPaymentStatus it sends no notification.
func (s *Simulator) Succeed(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return false
	}
	setStatus(p, paidStatus(p))
	return true
}

func setStatus(p *payment, status string) {
	p.Status = status
	p.Paid = status == StatusWaitingForCapture || status == StatusSucceeded
	p.Refundable = status == StatusSucceeded
	if status == StatusCanceled && p.CancellationDetails == nil {
		// what YooKassa reports when the payer leaves the payment page
		p.CancellationDetails = &cancellation{Party: "yoo_money", Reason: "expired_on_confirmation"}
	}
}

// paidStatus is where a payment goes once the payer pays.
func paidStatus(p *payment) string {
	if p.capture {
		return StatusSucceeded
	}
	return StatusWaitingForCapture
}

// Notification builds a webhook body: {"type":"notification","event":...,"object":...}.
// object may be a json.RawMessage from PaymentJSON or RefundJSON.
func Notification(event string, object any) []byte {
	return mustJSON(struct {
		Type   string `json:"type"`
		Event  string `json:"event"`
		Object any    `json:"object"`
	}{"notification", event, object})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("yookassasim: marshal: %v", err))
	}
	return b
}

// The checkout page stands in for YooKassa's payment form. Form actions are relative, so the page
// works wherever the simulator is mounted.
var checkoutTmpl = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<title>Оплата / Payment — YooKassa simulator</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}form{display:inline-block;margin-right:1rem}</style>
</head>
<body>
<h1>Симулятор ЮKassa / YooKassa simulator</h1>
<p>Тестовый платёж: деньги не списываются. / A test payment: no money moves.</p>
<dl>
<dt>Сумма / Amount</dt><dd>{{.Amount.Value}} {{.Amount.Currency}}</dd>
<dt>Описание / Description</dt><dd>{{.Description}}</dd>
<dt>Статус / Status</dt><dd>{{.Status}}</dd>
</dl>
{{if eq .Status "pending"}}
<form method="post" action="{{.ID}}/pay"><button type="submit">Оплатить / Pay</button></form>
<form method="post" action="{{.ID}}/cancel"><button type="submit">Отказаться / Cancel</button></form>
{{else}}
<p>Платёж уже не ждёт оплаты. / This payment is no longer pending.</p>
{{end}}
</body>
</html>
`))

func (s *Simulator) checkoutPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p, ok := s.payments[r.PathValue("id")]
	var view payment
	if ok {
		view = *p
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "payment not found", http.StatusNotFound)
		return
	}
	var buf bytes.Buffer
	if err := checkoutTmpl.Execute(&buf, view); err != nil {
		http.Error(w, "render checkout page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(buf.Bytes())
}

func (s *Simulator) checkoutPay(w http.ResponseWriter, r *http.Request) {
	s.checkout(w, r, "paid", paidStatus)
}

func (s *Simulator) checkoutCancel(w http.ResponseWriter, r *http.Request) {
	s.checkout(w, r, "canceled", func(*payment) string { return StatusCanceled })
}

// checkout moves a pending payment as the payer chose, notifies the shop, then sends the payer back
// to the shop's return URL (or, for an API caller, answers the payment). It answers once the first
// delivery attempt is over — so the shop has usually heard before the payer is back; behind an
// earlier notification still being retried that takes a few seconds — and leaves any retries to
// the background. (The payer's connection is not the one the shop reads the
// payment back on, so waiting here holds nothing the shop needs.)
func (s *Simulator) checkout(w http.ResponseWriter, r *http.Request, action string, next func(*payment) string) {
	id := r.PathValue("id")
	s.mu.Lock()
	p, ok := s.payments[id]
	if !ok {
		s.mu.Unlock()
		http.Error(w, "payment not found", http.StatusNotFound)
		return
	}
	if p.Status != StatusPending {
		status := p.Status
		s.mu.Unlock()
		http.Error(w, "payment is "+status+", not pending", http.StatusConflict)
		return
	}
	setStatus(p, next(p))
	object, returnURL := mustJSON(p), p.Confirmation.ReturnURL
	event := map[string]string{
		StatusSucceeded:         EventPaymentSucceeded,
		StatusWaitingForCapture: EventPaymentWaitingForCapture,
		StatusCanceled:          EventPaymentCanceled,
	}[p.Status]
	tried := s.notify(&note{event: event, id: id, object: object})
	s.mu.Unlock()

	s.log.Info("yookassasim: payer "+action, slog.String("payment_id", id))
	if tried != nil {
		select {
		case <-tried:
		case <-r.Context().Done():
		}
	}

	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		write(w, answer{status: http.StatusOK, body: object})
		return
	}
	http.Redirect(w, r, returnURL, http.StatusSeeOther)
}

func errorBody(code, description, parameter string) []byte {
	return mustJSON(struct {
		Type        string `json:"type"`
		ID          string `json:"id"`
		Code        string `json:"code"`
		Description string `json:"description"`
		Parameter   string `json:"parameter,omitempty"`
	}{"error", uuid.NewString(), code, description, parameter})
}

var codes = map[int]string{
	http.StatusBadRequest:          "invalid_request",
	http.StatusUnauthorized:        "invalid_credentials",
	http.StatusForbidden:           "forbidden",
	http.StatusNotFound:            "not_found",
	http.StatusTooManyRequests:     "too_many_requests",
	http.StatusInternalServerError: "internal_server_error",
}

// answer is an API response, with the notification the change it made causes, if any.
type answer struct {
	status int
	body   []byte
	note   *note
}

func fail(status int, description, parameter string) answer {
	code := codes[status]
	if code == "" {
		code = "internal_server_error"
	}
	return answer{status: status, body: errorBody(code, description, parameter)}
}

func write(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// serveAPI answers an API request. The notification the request caused is queued and delivered
// in the background, as YooKassa does: a shop must not rely on it arriving before or after the
// answer. (Delivering it inside the request would keep this connection busy, while the shop,
// handling the notification, reads the object back on that very keep-alive connection.)
func (s *Simulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		write(w, fail(http.StatusBadRequest, "unreadable body", ""))
		return
	}
	write(w, s.api(r, body))
}

func (s *Simulator) api(r *http.Request, body []byte) answer {
	path := strings.TrimPrefix(r.URL.Path, "/v3")
	key := r.Header.Get("Idempotence-Key")

	s.mu.Lock()
	defer s.mu.Unlock()
	s.pathCounts[path]++
	if key != "" {
		s.keyCounts[key]++
	}

	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.shopID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.secretKey)) != 1 {
		return fail(http.StatusUnauthorized, "Login and password are incorrect", "")
	}
	var injected int
	if len(s.failures) > 0 {
		injected, s.failures = s.failures[0], s.failures[1:]
		if injected < http.StatusInternalServerError {
			return fail(injected, "injected failure", "")
		}
	}
	if s.processing > 0 {
		s.processing--
		return answer{status: http.StatusAccepted, body: mustJSON(map[string]any{
			"type": "processing", "description": "Request accepted, but not processed yet",
			"retry_after": s.retryAfter.Milliseconds(),
		})}
	}

	var a answer
	switch r.Method {
	case http.MethodPost:
		a = s.post(path, key, body)
	case http.MethodGet:
		a = s.get(path)
	default:
		a = answer{status: http.StatusMethodNotAllowed, body: errorBody("invalid_request", "method not allowed", "")}
	}
	s.notify(a.note)
	if injected != 0 {
		// the work is done and notified; only the answer is lost
		a = fail(injected, "injected failure", "")
	}
	return a
}

// post applies YooKassa's idempotence: a key answers the same way for the same operation and
// body, and is refused for anything else. A replay notifies nobody: nothing changed.
func (s *Simulator) post(path, key string, body []byte) answer {
	if key == "" {
		return fail(http.StatusBadRequest, "Idempotence key is missing", "Idempotence-Key")
	}
	if len(key) > 64 {
		return fail(http.StatusBadRequest, "Idempotence key is too long", "Idempotence-Key")
	}
	digest := sha256.Sum256(body)
	if prev, ok := s.keys[key]; ok {
		if prev.op != path || prev.digest != digest {
			return fail(http.StatusBadRequest, "Idempotence key duplicated with another request", "Idempotence-Key")
		}
		return answer{status: prev.status, body: prev.body}
	}
	a := s.route(path, body)
	s.keys[key] = stored{op: path, digest: digest, status: a.status, body: a.body}
	return a
}

func (s *Simulator) route(path string, body []byte) answer {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "payments":
		return s.createPayment(body)
	case len(parts) == 3 && parts[0] == "payments" && parts[2] == "capture":
		return s.capture(parts[1], body)
	case len(parts) == 3 && parts[0] == "payments" && parts[2] == "cancel":
		return s.cancel(parts[1])
	case len(parts) == 1 && parts[0] == "refunds":
		return s.createRefund(body)
	}
	return fail(http.StatusNotFound, "unknown endpoint", "")
}

func (s *Simulator) get(path string) answer {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 2 && parts[0] == "payments" {
		if p, ok := s.payments[parts[1]]; ok {
			return answer{status: http.StatusOK, body: mustJSON(p)}
		}
		return fail(http.StatusNotFound, "Payment doesn't exist or access denied", "payment_id")
	}
	if len(parts) == 2 && parts[0] == "refunds" {
		if r, ok := s.refunds[parts[1]]; ok {
			return answer{status: http.StatusOK, body: mustJSON(r)}
		}
		return fail(http.StatusNotFound, "Refund doesn't exist or access denied", "refund_id")
	}
	return fail(http.StatusNotFound, "unknown endpoint", "")
}

var amountRE = regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)

// minor reads a wire amount; ok is false when it is not what YooKassa accepts.
func minor(a amount) (int64, bool) {
	if !amountRE.MatchString(a.Value) || len(a.Currency) != 3 {
		return 0, false
	}
	var units, cents int64
	if _, err := fmt.Sscanf(a.Value, "%d.%d", &units, &cents); err != nil {
		return 0, false
	}
	return units*100 + cents, units*100+cents > 0
}

func decimal(m int64, currency string) amount {
	return amount{Value: fmt.Sprintf("%d.%02d", m/100, m%100), Currency: currency}
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Simulator) createPayment(body []byte) answer {
	var req struct {
		Amount       amount            `json:"amount"`
		Capture      bool              `json:"capture"`
		Confirmation *confirmation     `json:"confirmation"`
		Description  string            `json:"description"`
		Metadata     map[string]string `json:"metadata"`
		Receipt      *struct {
			Customer struct {
				Email string `json:"email"`
				Phone string `json:"phone"`
			} `json:"customer"`
			Items []struct {
				Description string `json:"description"`
				Quantity    string `json:"quantity"`
				Amount      amount `json:"amount"`
				VATCode     int    `json:"vat_code"`
			} `json:"items"`
		} `json:"receipt"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return fail(http.StatusBadRequest, "malformed JSON", "")
	}
	if _, ok := minor(req.Amount); !ok {
		return fail(http.StatusBadRequest, "Invalid amount", "amount")
	}
	if utf8.RuneCountInString(req.Description) > 128 {
		return fail(http.StatusBadRequest, "Description is too long", "description")
	}
	if req.Confirmation == nil || req.Confirmation.Type != "redirect" || req.Confirmation.ReturnURL == "" {
		return fail(http.StatusBadRequest, "Redirect confirmation needs return_url", "confirmation.return_url")
	}
	if rc := req.Receipt; rc != nil {
		if rc.Customer.Email == "" && rc.Customer.Phone == "" {
			return fail(http.StatusBadRequest, "Receipt needs customer email or phone", "receipt.customer")
		}
		if len(rc.Items) == 0 || rc.Items[0].VATCode < 1 || rc.Items[0].VATCode > 6 {
			return fail(http.StatusBadRequest, "Receipt items are invalid", "receipt.items")
		}
	}
	id := uuid.NewString()
	p := &payment{
		ID:     id,
		Status: StatusPending,
		Amount: req.Amount,
		Confirmation: &confirmation{
			Type:            "redirect",
			ReturnURL:       req.Confirmation.ReturnURL,
			ConfirmationURL: s.baseURL + "/checkout/" + id,
		},
		Description: req.Description,
		Metadata:    req.Metadata,
		Test:        true,
		CreatedAt:   now(),
		capture:     req.Capture,
	}
	s.payments[id] = p
	s.createRequests[id] = append(json.RawMessage(nil), body...)
	return answer{status: http.StatusOK, body: mustJSON(p)}
}

func (s *Simulator) capture(id string, body []byte) answer {
	p, ok := s.payments[id]
	if !ok {
		return fail(http.StatusNotFound, "Payment doesn't exist or access denied", "payment_id")
	}
	if p.Status != StatusWaitingForCapture {
		return fail(http.StatusBadRequest, "Payment is in "+p.Status+" status, capture is not possible", "payment_id")
	}
	var req struct {
		Amount *amount `json:"amount"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return fail(http.StatusBadRequest, "malformed JSON", "")
	}
	if req.Amount != nil {
		got, ok := minor(*req.Amount)
		full, _ := minor(p.Amount)
		if !ok || got > full || req.Amount.Currency != p.Amount.Currency {
			return fail(http.StatusBadRequest, "Invalid capture amount", "amount")
		}
		p.Amount = *req.Amount
	}
	p.Status, p.Paid, p.Refundable = StatusSucceeded, true, true
	object := mustJSON(p)
	return answer{status: http.StatusOK, body: object, note: &note{event: EventPaymentSucceeded, id: id, object: object}}
}

func (s *Simulator) cancel(id string) answer {
	p, ok := s.payments[id]
	if !ok {
		return fail(http.StatusNotFound, "Payment doesn't exist or access denied", "payment_id")
	}
	if p.Status != StatusPending && p.Status != StatusWaitingForCapture {
		return fail(http.StatusBadRequest, "Payment is in "+p.Status+" status, cancel is not possible", "payment_id")
	}
	p.Status, p.Paid, p.Refundable = StatusCanceled, false, false
	p.CancellationDetails = &cancellation{Party: "merchant", Reason: "canceled_by_merchant"}
	object := mustJSON(p)
	return answer{status: http.StatusOK, body: object, note: &note{event: EventPaymentCanceled, id: id, object: object}}
}

func (s *Simulator) createRefund(body []byte) answer {
	var req struct {
		PaymentID   string `json:"payment_id"`
		Amount      amount `json:"amount"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return fail(http.StatusBadRequest, "malformed JSON", "")
	}
	p, ok := s.payments[req.PaymentID]
	if !ok {
		return fail(http.StatusNotFound, "Payment doesn't exist or access denied", "payment_id")
	}
	want, ok := minor(req.Amount)
	if !ok || req.Amount.Currency != p.Amount.Currency {
		return fail(http.StatusBadRequest, "Invalid amount", "amount")
	}
	if p.Status != StatusSucceeded {
		return fail(http.StatusBadRequest, "Payment is not succeeded, refund is not possible", "payment_id")
	}
	paid, _ := minor(p.Amount)
	var refunded int64
	if p.RefundedAmount != nil {
		refunded, _ = minor(*p.RefundedAmount)
	}
	if refunded+want > paid {
		return fail(http.StatusBadRequest, "Refund amount exceeds the payment", "amount")
	}
	ra := decimal(refunded+want, p.Amount.Currency)
	p.RefundedAmount = &ra
	p.Refundable = refunded+want < paid
	rf := &refund{
		ID:          uuid.NewString(),
		PaymentID:   p.ID,
		Status:      StatusSucceeded,
		Amount:      req.Amount,
		Description: req.Description,
		CreatedAt:   now(),
	}
	s.refunds[rf.ID] = rf
	object := mustJSON(rf)
	return answer{status: http.StatusOK, body: object, note: &note{event: EventRefundSucceeded, id: rf.ID, object: object}}
}
