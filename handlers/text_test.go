package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"balance/internal/testkit"
	"balance/repository"
)

// invalidUTF8 stands in a JSON body for bytes that are not UTF-8: json.Marshal would replace
// them, so the marker is swapped for the raw bytes after encoding.
const invalidUTF8 = "@@INVALID@@"

// rawJSON encodes v and puts raw invalid UTF-8 where the marker stands.
func rawJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte(invalidUTF8), []byte("\xff\xfe"))
}

// TestBadTextIsRefusedAtTheEdge sends NUL bytes and invalid UTF-8 everywhere a string reaches the
// database. PostgreSQL refuses such text, SQLite stores it: both must answer the same 404 for a
// path and 422 naming the field for the rest, never 500.
func TestBadTextIsRefusedAtTheEdge(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		b := e.book(t, bookingSlot(0), "a@example.com")
		h := manage(b.ManageToken)
		days := "?from=2026-12-03&to=2026-12-03&tz=Europe/Berlin"

		withBooking := func(edit func(m map[string]any)) []byte {
			m := bookingRequest(bookingSlot(6), "edge@example.com")
			edit(m)
			return rawJSON(t, m)
		}
		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			field              string
		}{
			{"slug with NUL", "GET", "/api/v1/services/abc%00def", nil, 404, ""},
			{"slug not UTF-8", "GET", "/api/v1/services/%FF%FE", nil, 404, ""},
			{"slots of a slug with NUL", "GET", "/api/v1/services/abc%00def/slots" + days, nil, 404, ""},
			{"slots of a slug not UTF-8", "GET", "/api/v1/services/%FF%FE/slots" + days, nil, 404, ""},
			{"zone with NUL", "GET", "/api/v1/services/individual-session/slots?from=2026-12-03&to=2026-12-03&tz=Europe%00Berlin", nil, 422, "tz"},
			{"query name not UTF-8", "GET", "/api/v1/services?%FF=1", nil, 422, "query[0]"},
			{"booking id not UTF-8", "GET", "/api/v1/bookings/%FF", nil, 404, ""},
			{"service_slug with NUL", "POST", "/api/v1/bookings", withBooking(func(m map[string]any) { m["service_slug"] = "individual\x00session" }), 422, "service_slug"},
			{"service_slug not UTF-8", "POST", "/api/v1/bookings", withBooking(func(m map[string]any) { m["service_slug"] = invalidUTF8 }), 422, "service_slug"},
			{"name not UTF-8", "POST", "/api/v1/bookings", withBooking(func(m map[string]any) {
				m["client"].(map[string]any)["name"] = "Ан" + invalidUTF8 + "на"
			}), 422, "client.name"},
			{"consent version with NUL", "POST", "/api/v1/bookings", withBooking(func(m map[string]any) {
				m["consents"] = []map[string]any{{"type": "personal_data", "version": "2026\x0001"}}
			}), 422, "consents[0].version"},
			{"entry point with NUL", "POST", "/api/v1/bookings", withBooking(func(m map[string]any) {
				m["metadata"] = map[string]any{"entry_point": "art\x00icle"}
			}), 422, "metadata.entry_point"},
			{"key with NUL", "POST", "/api/v1/bookings", withBooking(func(m map[string]any) {
				m["metadata"] = map[string]any{"utm": map[string]string{"sou\x00rce": "x"}}
			}), 422, `metadata.utm.sou\u0000rce`},
			{"cancel reason with NUL", "POST", "/api/v1/bookings/" + b.ID + "/cancel", map[string]any{"reason": "ill\x00"}, 422, "reason"},
			{"cancel reason not UTF-8", "POST", "/api/v1/bookings/" + b.ID + "/cancel", rawJSON(t, map[string]any{"reason": invalidUTF8}), 422, "reason"},
			{"intake answer not UTF-8", "PUT", "/api/v1/bookings/" + b.ID + "/intake-form", rawJSON(t, map[string]any{
				"answers": map[string]any{"concern": "sl" + invalidUTF8 + "eep", "topics": []string{"a", invalidUTF8}},
			}), 422, "answers.concern"},
			{"intake answer in a list with NUL", "PUT", "/api/v1/bookings/" + b.ID + "/intake-form", map[string]any{
				"answers": map[string]any{"topics": []string{"a", "b\x00"}},
			}, 422, "answers.topics[1]"},
			{"waitlist name with NUL", "POST", "/api/v1/waitlist", map[string]any{
				"service_slug": "individual-session", "from": "2026-12-03", "to": "2026-12-04",
				"client":   map[string]any{"name": "W\x00", "email": "w@example.com"},
				"consents": []map[string]any{{"type": "personal_data", "version": "2026-01"}},
			}, 422, "client.name"},
			{"waitlist slug not UTF-8", "POST", "/api/v1/waitlist", rawJSON(t, map[string]any{
				"service_slug": invalidUTF8, "from": "2026-12-03", "to": "2026-12-04",
				"client":   map[string]any{"name": "W", "email": "w@example.com"},
				"consents": []map[string]any{{"type": "personal_data", "version": "2026-01"}},
			}), 422, "service_slug"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.s.api.Do(tc.method, tc.path, tc.body, h)
				catalogueProblemField(t, r, tc.status, tc.field)
				if tc.field != "" {
					p := r.Problem(t)
					if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "UTF-8") {
						t.Errorf("errors %+v, want one naming the text rule", p.Errors)
					}
				}
			})
		}

		// Nothing of the refused bookings was stored, and the booking was not canceled.
		var n int64
		if err := db.SQL.QueryRow("SELECT count(*) FROM appointments").Scan(&n); err != nil || n != 1 {
			t.Errorf("%d appointments (%v), want only the first", n, err)
		}
		r := e.s.api.Do("GET", "/api/v1/bookings/"+b.ID, nil, h)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"pending_payment"`) {
			t.Errorf("the booking after the refusals: %d %s", r.Status, r.Body)
		}

		// A client's User-Agent is stored with sessions: bytes PostgreSQL refuses are cleaned,
		// not answered with 500.
		s := e.s
		s.staff(t, "owner@example.com", "owner")
		r = s.api.Do("POST", "/admin/api/auth/login", map[string]any{"email": "owner@example.com", "password": password},
			http.Header{"User-Agent": {"Mozilla/5.0 \xff\xfe"}})
		if r.Status != http.StatusOK {
			t.Errorf("sign-in with a User-Agent that is not UTF-8: %d %s", r.Status, r.Body)
		}
	})
}

// TestBadTextInDeepLinks covers the Telegram deep-link body: its entry point and payload are
// stored with the link.
func TestBadTextInDeepLinks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		for _, tc := range []struct {
			name  string
			body  any
			field string
		}{
			{"entry point with NUL", map[string]any{"purpose": "plan", "entry_point": "quiz\x00"}, "entry_point"},
			{"payload with NUL", map[string]any{"purpose": "plan", "payload": map[string]string{"run_id": "run\x0042"}}, "payload.run_id"},
			{"payload not UTF-8", rawJSON(t, map[string]any{"purpose": "plan", "payload": map[string]string{"run_id": invalidUTF8}}), "payload.run_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				catalogueProblemField(t, e.s.api.Do("POST", "/api/v1/telegram/deep-links", tc.body), http.StatusUnprocessableEntity, tc.field)
			})
		}
	})
}
