package handlers_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/repository"
)

// TestBookingAPI lists what POST /api/v1/bookings answers: each scenario a request (made from the
// usual one), the status, the problem it names or checks of the body, and the events it leaves.
// Every scenario runs on a fresh database after one booking of slot 0 and one of slot 4 (made with
// the Idempotency-Key "7d1c9f0e-key" by k@example.com).
func TestBookingAPI(t *testing.T) {
	key := http.Header{"Idempotency-Key": {"7d1c9f0e-key"}}
	tests := []struct {
		name    string
		request func(req map[string]any)
		header  http.Header
		status  int
		// problem is the problem type's last segment, field the first field it names.
		problem, field string
		body           func(t *testing.T, e *bookingEnv, b bookingBody, r *testkit.Response)
		// events are how many of each event the request adds.
		events map[string]int
	}{
		{
			name: "a free time is held for payment", status: http.StatusCreated,
			body: func(t *testing.T, e *bookingEnv, b bookingBody, r *testkit.Response) {
				if b.Status != "pending_payment" || b.Payment == nil || b.Payment.ConfirmationURL == nil || b.ManageToken == "" {
					t.Errorf("answer: %s", r.Body)
				}
				if r.Header.Get("Location") != "/api/v1/bookings/"+b.ID {
					t.Errorf("Location %q", r.Header.Get("Location"))
				}
			},
			events: map[string]int{"appointment.booked": 1, "lead.captured": 1, "consent.changed": 1},
		},
		{
			name: "a taken time", status: http.StatusConflict, problem: "slot-taken",
			request: func(req map[string]any) { req["start"] = bookingSlot(0).Format(time.RFC3339) },
		},
		{
			name: "a start that is no time", status: http.StatusUnprocessableEntity, problem: "validation", field: "start",
			request: func(req map[string]any) { req["start"] = "tomorrow" },
		},
		{
			name: "a time off the grid", status: http.StatusUnprocessableEntity, problem: "validation", field: "start",
			request: func(req map[string]any) {
				req["start"] = bookingSlot(8).Add(10 * time.Minute).Format(time.RFC3339)
			},
		},
		{
			name: "no consents", status: http.StatusUnprocessableEntity, problem: "validation", field: "consents",
			request: func(req map[string]any) { delete(req, "consents") },
		},
		{
			name: "a format the service has not", status: http.StatusUnprocessableEntity, problem: "validation", field: "format",
			request: func(req map[string]any) { req["format"] = "phone" },
		},
		{
			name: "an unknown time zone", status: http.StatusUnprocessableEntity, problem: "validation", field: "timezone",
			request: func(req map[string]any) { req["timezone"] = "Mars/Olympus" },
		},
		{
			name: "the server's zone", status: http.StatusUnprocessableEntity, problem: "validation", field: "timezone",
			request: func(req map[string]any) { req["timezone"] = "Local" },
		},
		{
			name: "no time zone takes the service's", status: http.StatusCreated,
			request: func(req map[string]any) { delete(req, "timezone") },
			body: func(t *testing.T, e *bookingEnv, b bookingBody, r *testkit.Response) {
				if b.Timezone != "Europe/Moscow" || !strings.HasSuffix(b.StartLocal, "+03:00") {
					t.Errorf("zone %q, start_local %q; want the service's Europe/Moscow", b.Timezone, b.StartLocal)
				}
			},
			events: map[string]int{"appointment.booked": 1, "lead.captured": 1, "consent.changed": 1},
		},
		{
			name: "an address that is no email", status: http.StatusUnprocessableEntity, problem: "validation", field: "client.email",
			request: func(req map[string]any) { req["client"].(map[string]any)["email"] = "anna at example" },
		},
		{
			name: "an unknown service", status: http.StatusNotFound, problem: "not-found",
			request: func(req map[string]any) { req["service_slug"] = "nope" },
		},
		{
			name: "the same request with its key again is answered as the first", status: http.StatusCreated, header: key,
			request: func(req map[string]any) {
				req["start"] = bookingSlot(4).Format(time.RFC3339)
				req["client"].(map[string]any)["email"] = "k@example.com"
			},
			body: func(t *testing.T, e *bookingEnv, b bookingBody, r *testkit.Response) {
				if r.Header.Get("Idempotent-Replayed") != "true" || b.ManageToken == "" {
					t.Errorf("replay: %s %s", r.Header, r.Body)
				}
			},
		},
		{
			name: "the key with another body", status: http.StatusUnprocessableEntity, problem: "idempotency-key-reused", header: key,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
				e := bookingSetup(t, db, bookingOpts{})
				e.book(t, bookingSlot(0), "a@example.com")
				if r := e.s.api.Do("POST", "/api/v1/bookings", bookingRequest(bookingSlot(4), "k@example.com"), key); r.Status != http.StatusCreated {
					t.Fatalf("the keyed booking: %d %s", r.Status, r.Body)
				}
				before := map[string]int{}
				for _, name := range []string{"appointment.booked", "lead.captured", "consent.changed"} {
					before[name] = e.pub.Count(name)
				}
				payments := e.yk.PaymentCount()

				req := bookingRequest(bookingSlot(8), "b@example.com")
				if tc.request != nil {
					tc.request(req)
				}
				var r *testkit.Response
				if tc.header != nil {
					r = e.s.api.Do("POST", "/api/v1/bookings", req, tc.header)
				} else {
					r = e.s.api.Do("POST", "/api/v1/bookings", req)
				}
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
				}
				if tc.problem != "" {
					p := r.Problem(t)
					if !strings.HasSuffix(p.Type, "/"+tc.problem) {
						t.Errorf("problem %s, want %s", p.Type, tc.problem)
					}
					if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
						t.Errorf("fields %+v, want %s", p.Errors, tc.field)
					}
				}
				if tc.body != nil {
					var b bookingBody
					r.JSON(t, &b)
					tc.body(t, e, b, r)
				}
				want := maps.Clone(before)
				for name, n := range tc.events {
					want[name] += n
				}
				for name, n := range want {
					if got := e.pub.Count(name); got != n {
						t.Errorf("%s: %d events, want %d", name, got, n)
					}
				}
				if created := e.yk.PaymentCount() - payments; (tc.status == http.StatusCreated && tc.header == nil) != (created == 1) {
					t.Errorf("%d payments created at YooKassa", created)
				}
			})
		})
	}
}
