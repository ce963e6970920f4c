// Package yookassatest is an in-process fake of the YooKassa API v3 for tests: it speaks the real
// wire format (Basic auth, Idempotence-Key, error objects, amounts as decimal strings), remembers
// idempotence keys like YooKassa does, keeps payments and refunds in memory, lets a test drive their
// state and inject failures, and builds webhook notification bodies.
package yookassatest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
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

// Server is a fake YooKassa. Its methods are safe for concurrent use.
type Server struct {
	srv       *httptest.Server
	shopID    string
	secretKey string

	mu             sync.Mutex
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

// New starts a fake that accepts shopID:secretKey and closes it when the test ends.
func New(tb testing.TB, shopID, secretKey string) *Server {
	tb.Helper()
	s := &Server{
		shopID:         shopID,
		secretKey:      secretKey,
		payments:       map[string]*payment{},
		refunds:        map[string]*refund{},
		createRequests: map[string]json.RawMessage{},
		keys:           map[string]stored{},
		pathCounts:     map[string]int{},
		keyCounts:      map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	return s
}

// URL is the API root to configure a client with (it ends in /v3).
func (s *Server) URL() string { return s.srv.URL + "/v3" }

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// FailNext makes the next n requests answer status with an error body. A 5xx is injected after
// the request was processed, as when YooKassa did the work but the answer was lost; a 4xx is
// injected before, and nothing happens.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, status)
	}
}

// ProcessingNext makes the next n requests answer 202 "processing" with retry_after.
func (s *Server) ProcessingNext(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processing, s.retryAfter = n, retryAfter
}

// Requests counts the requests to a path under /v3, such as "/payments", whatever their outcome.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pathCounts[path]
}

// KeyUses counts the requests that carried an Idempotence-Key.
func (s *Server) KeyUses(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyCounts[key]
}

// PaymentCount is how many payments were created.
func (s *Server) PaymentCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.payments)
}

// CreateRequest is the body a payment was created with, to inspect the wire format.
func (s *Server) CreateRequest(id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createRequests[id]
}

// PaymentJSON is the payment object as the API shows it now; nil if there is none.
func (s *Server) PaymentJSON(id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return nil
	}
	return mustJSON(p)
}

// RefundJSON is the refund object as the API shows it now; nil if there is none.
func (s *Server) RefundJSON(id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refunds[id]
	if !ok {
		return nil
	}
	return mustJSON(r)
}

// SetPaymentStatus moves a payment to status, as the client's bank or YooKassa would.
// It reports false when there is no such payment.
func (s *Server) SetPaymentStatus(id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return false
	}
	p.Status = status
	p.Paid = status == StatusWaitingForCapture || status == StatusSucceeded
	p.Refundable = status == StatusSucceeded
	if status == StatusCanceled && p.CancellationDetails == nil {
		p.CancellationDetails = &cancellation{Party: "yoo_money", Reason: "expired_on_confirmation"}
	}
	return true
}

// Succeed marks a payment paid: succeeded, or waiting_for_capture for a two-stage payment.
func (s *Server) Succeed(id string) bool {
	s.mu.Lock()
	p, ok := s.payments[id]
	status := StatusSucceeded
	if ok && !p.capture {
		status = StatusWaitingForCapture
	}
	s.mu.Unlock()
	return ok && s.SetPaymentStatus(id, status)
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
		panic(fmt.Sprintf("yookassatest: marshal: %v", err))
	}
	return b
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

type answer struct {
	status int
	body   []byte
}

func fail(status int, description, parameter string) answer {
	code := codes[status]
	if code == "" {
		code = "internal_server_error"
	}
	return answer{status, errorBody(code, description, parameter)}
}

func write(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v3")
	key := r.Header.Get("Idempotence-Key")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		write(w, fail(http.StatusBadRequest, "unreadable body", ""))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.pathCounts[path]++
	if key != "" {
		s.keyCounts[key]++
	}

	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.shopID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.secretKey)) != 1 {
		write(w, fail(http.StatusUnauthorized, "Login and password are incorrect", ""))
		return
	}
	var injected int
	if len(s.failures) > 0 {
		injected, s.failures = s.failures[0], s.failures[1:]
		if injected < http.StatusInternalServerError {
			write(w, fail(injected, "injected failure", ""))
			return
		}
	}
	if s.processing > 0 {
		s.processing--
		write(w, answer{http.StatusAccepted, mustJSON(map[string]any{
			"type": "processing", "description": "Request accepted, but not processed yet",
			"retry_after": s.retryAfter.Milliseconds(),
		})})
		return
	}

	var a answer
	if r.Method == http.MethodPost {
		a = s.post(path, key, body)
	} else if r.Method == http.MethodGet {
		a = s.get(path)
	} else {
		a = answer{http.StatusMethodNotAllowed, errorBody("invalid_request", "method not allowed", "")}
	}
	if injected != 0 {
		a = fail(injected, "injected failure", "")
	}
	write(w, a)
}

// post applies YooKassa's idempotence: a key answers the same way for the same operation and
// body, and is refused for anything else.
func (s *Server) post(path, key string, body []byte) answer {
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
		return answer{prev.status, prev.body}
	}
	a := s.route(path, body)
	s.keys[key] = stored{op: path, digest: digest, status: a.status, body: a.body}
	return a
}

func (s *Server) route(path string, body []byte) answer {
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

func (s *Server) get(path string) answer {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 2 && parts[0] == "payments" {
		if p, ok := s.payments[parts[1]]; ok {
			return answer{http.StatusOK, mustJSON(p)}
		}
		return fail(http.StatusNotFound, "Payment doesn't exist or access denied", "payment_id")
	}
	if len(parts) == 2 && parts[0] == "refunds" {
		if r, ok := s.refunds[parts[1]]; ok {
			return answer{http.StatusOK, mustJSON(r)}
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

func (s *Server) createPayment(body []byte) answer {
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
	p := &payment{
		ID:     uuid.NewString(),
		Status: StatusPending,
		Amount: req.Amount,
		Confirmation: &confirmation{
			Type:      "redirect",
			ReturnURL: req.Confirmation.ReturnURL,
		},
		Description: req.Description,
		Metadata:    req.Metadata,
		Test:        true,
		CreatedAt:   now(),
		capture:     req.Capture,
	}
	p.Confirmation.ConfirmationURL = s.srv.URL + "/checkout/" + p.ID
	s.payments[p.ID] = p
	s.createRequests[p.ID] = append(json.RawMessage(nil), body...)
	return answer{http.StatusOK, mustJSON(p)}
}

func (s *Server) capture(id string, body []byte) answer {
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
	return answer{http.StatusOK, mustJSON(p)}
}

func (s *Server) cancel(id string) answer {
	p, ok := s.payments[id]
	if !ok {
		return fail(http.StatusNotFound, "Payment doesn't exist or access denied", "payment_id")
	}
	if p.Status != StatusPending && p.Status != StatusWaitingForCapture {
		return fail(http.StatusBadRequest, "Payment is in "+p.Status+" status, cancel is not possible", "payment_id")
	}
	p.Status, p.Paid, p.Refundable = StatusCanceled, false, false
	p.CancellationDetails = &cancellation{Party: "merchant", Reason: "canceled_by_merchant"}
	return answer{http.StatusOK, mustJSON(p)}
}

func (s *Server) createRefund(body []byte) answer {
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
	return answer{http.StatusOK, mustJSON(rf)}
}
