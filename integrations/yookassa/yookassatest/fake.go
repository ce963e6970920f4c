// Package yookassatest runs a yookassasim.Simulator — an in-process YooKassa API v3 that speaks the
// real wire format, remembers idempotence keys, lets a test drive payment state and inject failures,
// and builds webhook notification bodies — on an httptest server that closes when the test ends.
package yookassatest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"balance/integrations/yookassa/yookassasim"
)

// Payment and refund states, as on the wire.
const (
	StatusPending           = yookassasim.StatusPending
	StatusWaitingForCapture = yookassasim.StatusWaitingForCapture
	StatusSucceeded         = yookassasim.StatusSucceeded
	StatusCanceled          = yookassasim.StatusCanceled
)

// Server is a fake YooKassa. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server
	sim *yookassasim.Simulator
}

// New starts a fake that accepts shopID:secretKey and closes it when the test ends. It sends no
// notifications until SetNotifyURL.
func New(tb testing.TB, shopID, secretKey string) *Server {
	tb.Helper()
	// Failed deliveries are logged through the test, so a failing test shows why.
	log := slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sim := yookassasim.New(yookassasim.Config{ShopID: shopID, SecretKey: secretKey, Log: log})
	srv := httptest.NewServer(sim)
	sim.SetBaseURL(srv.URL)
	tb.Cleanup(srv.Close)
	tb.Cleanup(sim.Close) // runs first: no delivery outlives the test
	return &Server{srv: srv, sim: sim}
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}

// Sim is the simulator behind the server.
func (s *Server) Sim() *yookassasim.Simulator { return s.sim }

// URL is the API root to configure a client with (it ends in /v3).
func (s *Server) URL() string { return s.srv.URL + "/v3" }

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetNotifyURL makes the fake POST webhook notifications to url after checkout actions, captures,
// cancellations and refunds; empty stops them. They are sent in the background, in order, with
// retries: a checkout action answers once the first attempt is over, an API call at once. Flush
// waits for them.
func (s *Server) SetNotifyURL(url string) { s.sim.SetNotifyURL(url) }

// Flush waits until every notification queued so far was delivered or given up on; it fails the
// test after 30 s.
func (s *Server) Flush(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.sim.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
}

// FailNext makes the next n requests answer status with an error body. A 5xx is injected after
// the request was processed, as when YooKassa did the work but the answer was lost; a 4xx is
// injected before, and nothing happens.
func (s *Server) FailNext(n, status int) { s.sim.FailNext(n, status) }

// ProcessingNext makes the next n requests answer 202 "processing" with retry_after.
func (s *Server) ProcessingNext(n int, retryAfter time.Duration) { s.sim.ProcessingNext(n, retryAfter) }

// Requests counts the requests to a path under /v3, such as "/payments", whatever their outcome.
func (s *Server) Requests(path string) int { return s.sim.Requests(path) }

// KeyUses counts the requests that carried an Idempotence-Key.
func (s *Server) KeyUses(key string) int { return s.sim.KeyUses(key) }

// PaymentCount is how many payments were created.
func (s *Server) PaymentCount() int { return s.sim.PaymentCount() }

// CreateRequest is the body a payment was created with, to inspect the wire format.
func (s *Server) CreateRequest(id string) json.RawMessage { return s.sim.CreateRequest(id) }

// PaymentJSON is the payment object as the API shows it now; nil if there is none.
func (s *Server) PaymentJSON(id string) json.RawMessage { return s.sim.PaymentJSON(id) }

// RefundJSON is the refund object as the API shows it now; nil if there is none.
func (s *Server) RefundJSON(id string) json.RawMessage { return s.sim.RefundJSON(id) }

// SetPaymentStatus moves a payment to status, as the client's bank or YooKassa would.
// It reports false when there is no such payment.
func (s *Server) SetPaymentStatus(id, status string) bool { return s.sim.SetPaymentStatus(id, status) }

// Succeed marks a payment paid: succeeded, or waiting_for_capture for a two-stage payment.
func (s *Server) Succeed(id string) bool { return s.sim.Succeed(id) }

// Notification builds a webhook body: {"type":"notification","event":...,"object":...}.
// object may be a json.RawMessage from PaymentJSON or RefundJSON.
func Notification(event string, object any) []byte { return yookassasim.Notification(event, object) }
