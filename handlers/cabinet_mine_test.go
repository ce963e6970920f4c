package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/integrations/yookassa/yookassatest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
	"balance/service/interactive"
)

// myEnv is the cabinet with the paid service of bookingSetup, its fake YooKassa and the tools.
type myEnv struct {
	*cabinetEnv
	clock *testkit.Clock
	yk    *yookassatest.Server
	runs  *repository.InteractiveRuns
}

func newMyEnv(t *testing.T, db *repository.DB) *myEnv {
	t.Helper()
	e := &myEnv{clock: testkit.NewClock(bookingNow), runs: repository.NewInteractiveRuns(db)}
	e.cabinetEnv = newCabinetEnv(t, db, func(o *options) {
		outbox := o.codeJobs.(*events.Outbox)
		db.SetPublisher(outbox)
		st := booking.NewStores(db)
		var b *booking.Bookings
		var slots *booking.Slots
		b, slots, e.yk = paidBookings(t, db, st, outbox, e.clock)
		o.catalogue, o.slots, o.bookings = booking.NewCatalogue(st.Services), slots, b
		o.webhookCIDRs = []string{"127.0.0.1/32", "::1"}
		o.tools = interactive.NewFromDB(db, e.clock, interactive.Config{AbandonAfter: 24 * time.Hour}, testkit.Logger(t))
		o.myCabinet, o.myRuns = true, interactive.NewHistory(e.runs)
	})
	return e
}

// book books slot n for email (who consents to communications too) and, when paid, pays it.
func (e *myEnv) book(t *testing.T, n int, email string, paid bool) bookingBody {
	t.Helper()
	req := bookingRequest(bookingSlot(n), email)
	delete(req["client"].(map[string]any), "phone")
	req["consents"] = []map[string]any{{"type": "personal_data", "version": "2026-01"}, {"type": "communications", "version": "2026-01"}}
	r := e.s.api.Do("POST", "/api/v1/bookings", req)
	if r.Status != http.StatusCreated {
		t.Fatalf("book: %d %s", r.Status, r.Body)
	}
	var b bookingBody
	r.JSON(t, &b)
	if paid {
		id := providerPaymentID(t, b)
		e.yk.Succeed(id)
		if r := e.s.api.Do("POST", "/webhooks/yookassa", yookassatest.Notification("payment.succeeded", json.RawMessage(e.yk.PaymentJSON(id)))); r.Status != http.StatusOK {
			t.Fatalf("webhook: %d %s", r.Status, r.Body)
		}
	}
	return b
}

type myAppointmentsBody struct {
	Items []struct {
		bookingBody
		ServiceSlug string `json:"service_slug"`
		Timezone    string `json:"timezone"`
		Format      string `json:"format"`
		IntakeForm  *struct {
			Status string `json:"status"`
		} `json:"intake_form"`
	} `json:"items"`
	NextOffset *int `json:"next_offset"`
}

func (e *myEnv) list(t *testing.T, h http.Header, query string) myAppointmentsBody {
	t.Helper()
	r := e.s.api.Do("GET", "/api/v1/me/appointments"+query, nil, h)
	if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("list%s: %d %s", query, r.Status, r.Body)
	}
	var out myAppointmentsBody
	r.JSON(t, &out)
	return out
}

func ids(l myAppointmentsBody) []string {
	var out []string
	for _, it := range l.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestMyAppointments: a client lists, cancels, moves and fills the intake form of their own
// bookings from the cabinet, with the manage link's rules (the refund policy included); another
// client's bookings answer 404 to every call and never show in the list.
func TestMyAppointments(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newMyEnv(t, db)
		api := e.s.api
		paid := e.book(t, 0, "a@example.com", true)
		unpaid := e.book(t, 4, "a@example.com", false)
		other := e.book(t, 8, "b@example.com", true)
		a := bearer(e.signIn(t, api, "a@example.com", "token").Token)
		b := bearer(e.signIn(t, api, "b@example.com", "token").Token)

		if r := api.Do("GET", "/api/v1/me/appointments", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("no session: %d", r.Status)
		}
		l := e.list(t, a, "")
		if got := ids(l); len(got) != 2 || got[0] != paid.ID || got[1] != unpaid.ID || l.NextOffset != nil {
			t.Fatalf("A's upcoming: %v, want [%s %s]", got, paid.ID, unpaid.ID)
		}
		first := l.Items[0]
		if first.Status != "confirmed" || first.ServiceSlug != "individual-session" || first.Timezone != "Europe/Berlin" ||
			first.StartLocal != "2026-12-03T08:00:00+01:00" || first.Format != "online" || first.Payment == nil ||
			first.Payment.Status != "succeeded" || first.Payment.Amount.AmountMinor != 500000 ||
			first.RefundIfCanceled == nil || first.RefundIfCanceled.AmountMinor != 500000 || first.IntakeForm != nil {
			t.Errorf("A's paid booking: %+v", first)
		}
		if l.Items[1].Status != "pending_payment" || l.Items[1].RefundIfCanceled != nil {
			t.Errorf("A's unpaid booking: %+v", l.Items[1])
		}
		if got := ids(e.list(t, b, "?when=upcoming")); len(got) != 1 || got[0] != other.ID {
			t.Errorf("B's upcoming: %v", got)
		}
		if p := e.list(t, a, "?limit=1"); len(p.Items) != 1 || p.NextOffset == nil || *p.NextOffset != 1 {
			t.Errorf("first page: %v next %v", ids(p), p.NextOffset)
		}
		if p := e.list(t, a, "?limit=1&offset=1"); len(p.Items) != 1 || p.Items[0].ID != unpaid.ID {
			t.Errorf("second page: %v", ids(p))
		}
		if p := e.list(t, a, "?when=past"); len(p.Items) != 0 {
			t.Errorf("A's past, before any: %v", ids(p))
		}

		// B's booking, an unknown one and a malformed id: 404 for everything, and B's is untouched.
		for _, id := range []string{other.ID, uuid.NewString(), "nope", "%27%20OR%201=1"} {
			for _, c := range []struct {
				method, path string
				body         any
			}{
				{"POST", "/cancel", nil},
				{"POST", "/reschedule", map[string]any{"start": bookingSlot(10).Format(time.RFC3339)}},
				{"GET", "/intake-form", nil},
				{"PUT", "/intake-form", map[string]any{"answers": map[string]any{"concern": "x"}}},
			} {
				r := api.Do(c.method, "/api/v1/me/appointments/"+id+c.path, c.body, a)
				if r.Status != http.StatusNotFound || r.Problem(t).Type != "https://balance.example/problems/not-found" {
					t.Errorf("A %s %s of %s: %d %s", c.method, c.path, id, r.Status, r.Body)
				}
			}
		}
		if l := e.list(t, b, ""); l.Items[0].Status != "confirmed" || l.Items[0].IntakeForm != nil {
			t.Fatalf("B's booking changed: %+v", l.Items[0])
		}

		// Intake form: a draft, then submitted (stored encrypted), then it cannot change.
		base := "/api/v1/me/appointments/" + paid.ID
		r := api.Do("PUT", base+"/intake-form", map[string]any{"answers": map[string]any{"concern": "бессонница-маркер"}}, a)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"draft"`) || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("draft: %d %s", r.Status, r.Body)
		}
		r = api.Do("PUT", base+"/intake-form", map[string]any{"answers": map[string]any{"concern": "бессонница-маркер", "topics": []string{"sleep"}}, "submit": true}, a)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"submitted"`) {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		if r := api.Do("PUT", base+"/intake-form", map[string]any{"answers": map[string]any{}}, a); r.Status != http.StatusConflict {
			t.Errorf("edit after submit: %d %s", r.Status, r.Body)
		}
		if r := api.Do("GET", base+"/intake-form", nil, a); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "бессонница-маркер") {
			t.Errorf("read back: %d %s", r.Status, r.Body)
		}
		if r := api.Do("GET", base+"/intake-form", nil, b); r.Status != http.StatusNotFound {
			t.Errorf("B reads A's intake form: %d %s", r.Status, r.Body)
		}
		var stored []string
		if err := db.Gorm.Raw("SELECT CAST(payload AS TEXT) FROM intake_forms").Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if len(stored) != 1 || strings.Contains(stored[0], "маркер") || strings.Contains(stored[0], "concern") {
			t.Errorf("intake form stored in the clear: %q", stored)
		}
		if l := e.list(t, a, ""); l.Items[0].IntakeForm == nil || l.Items[0].IntakeForm.Status != "submitted" {
			t.Errorf("the list's intake form: %+v", l.Items[0].IntakeForm)
		}

		// Reschedule an hour later: a new booking, with the form and the payment.
		r = api.Do("POST", base+"/reschedule", map[string]any{"start": bookingSlot(2).Format(time.RFC3339)}, a)
		var moved bookingBody
		r.JSON(t, &moved)
		if r.Status != http.StatusOK || moved.ID == paid.ID || moved.Status != "confirmed" || moved.Start != bookingSlot(2).Format(time.RFC3339) ||
			r.Header.Get("Location") != "/api/v1/me/appointments/"+moved.ID {
			t.Fatalf("reschedule: %d %s", r.Status, r.Body)
		}
		if r := api.Do("POST", "/api/v1/me/appointments/"+moved.ID+"/reschedule", map[string]any{"start": bookingSlot(8).Format(time.RFC3339)}, a); r.Status != http.StatusConflict {
			t.Errorf("onto B's time: %d %s", r.Status, r.Body)
		}

		// Cancel inside the partial window: half back, as by the manage link.
		e.clock.Set(bookingSlot(2).Add(-13 * time.Hour))
		if l := e.list(t, a, ""); l.Items[0].RefundIfCanceled == nil || l.Items[0].RefundIfCanceled.AmountMinor != 250000 {
			t.Errorf("refund preview in the partial window: %+v", l.Items[0].RefundIfCanceled)
		}
		r = api.Do("POST", "/api/v1/me/appointments/"+moved.ID+"/cancel", map[string]any{"reason": "сильная тревога с утра"}, a)
		var canceled bookingBody
		r.JSON(t, &canceled)
		if r.Status != http.StatusOK || canceled.Status != "canceled" || canceled.Refund == nil || canceled.Refund.AmountMinor != 250000 ||
			strings.Contains(string(r.Body), "тревога") {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		var refunds []models.Refund
		if err := db.Gorm.Find(&refunds).Error; err != nil || len(refunds) != 1 || refunds[0].AmountMinor != 250000 {
			t.Errorf("refunds %+v (%v)", refunds, err)
		}
		if r := api.Do("POST", "/api/v1/me/appointments/"+moved.ID+"/cancel", nil, a); r.Status != http.StatusConflict {
			t.Errorf("cancel twice: %d %s", r.Status, r.Body)
		}

		// Once the times are over, they are past: latest first (the moved booking stands for the
		// one it replaced).
		e.clock.Set(bookingSlot(12))
		if got := ids(e.list(t, a, "?when=past")); len(got) != 2 || got[0] != unpaid.ID || got[1] != moved.ID {
			t.Errorf("A's past: %v", got)
		}
		if got := ids(e.list(t, a, "?when=upcoming")); len(got) != 0 {
			t.Errorf("A's upcoming, after all: %v", got)
		}
	})
}

// TestMyAppointmentsHostileInput: bad queries, bodies and ids answer 4xx problems, never 500.
func TestMyAppointmentsHostileInput(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newMyEnv(t, db)
		api := e.s.api
		mine := e.book(t, 0, "a@example.com", true)
		a := bearer(e.signIn(t, api, "a@example.com", "token").Token)
		base := "/api/v1/me/appointments/" + mine.ID
		for _, c := range []struct {
			method, path string
			body         any
			want         int
		}{
			{"GET", "/api/v1/me/appointments?when=soon", nil, 422},
			{"GET", "/api/v1/me/appointments?limit=0", nil, 422},
			{"GET", "/api/v1/me/appointments?limit=101", nil, 422},
			{"GET", "/api/v1/me/appointments?limit=abc", nil, 422},
			{"GET", "/api/v1/me/appointments?offset=-1", nil, 422},
			{"GET", "/api/v1/me/appointments?offset=99999999999999999999", nil, 422},
			{"GET", "/api/v1/me/tool-runs?limit=-5", nil, 422},
			{"POST", base + "/cancel", `{"reason":`, 400},
			{"POST", base + "/cancel", map[string]any{"reason": strings.Repeat("x", 1001)}, 422},
			{"POST", base + "/cancel", `[]`, 422},
			{"POST", base + "/reschedule", map[string]any{"start": "tomorrow"}, 422},
			{"POST", base + "/reschedule", map[string]any{}, 422},
			{"POST", base + "/reschedule", map[string]any{"start": mine.Start}, 422},
			{"POST", base + "/reschedule", map[string]any{"start": "2026-12-05T07:13:00Z"}, 422},
			{"POST", base + "/reschedule", `null`, 422},
			{"PUT", base + "/intake-form", map[string]any{"answers": map[string]any{"Bad Key": "x"}}, 422},
			{"PUT", base + "/intake-form", map[string]any{"answers": map[string]any{"q": map[string]any{"deep": 1}}}, 422},
			{"PUT", base + "/intake-form", map[string]any{"answers": "text"}, 422},
			{"PUT", base + "/intake-form", map[string]any{}, 422},
			{"GET", base + "/intake-form", nil, 404},
			{"POST", "/api/v1/me/consents/%00/revoke", nil, 404},
			{"POST", "/api/v1/me/consents/" + strings.Repeat("a", 5000) + "/revoke", nil, 404},
		} {
			r := api.Do(c.method, c.path, c.body, a)
			if r.Status != c.want {
				t.Errorf("%s %.80s %.60v: %d %s, want %d", c.method, c.path, c.body, r.Status, r.Body, c.want)
				continue
			}
			r.Problem(t)
		}
	})
}

// TestMyToolRuns: the cabinet lists the client's own runs, newest first, with their results and
// never their answers; another client's and anonymous runs are not listed.
func TestMyToolRuns(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newMyEnv(t, db)
		api := e.s.api
		(&toolsEnv{clock: e.clock, defs: repository.NewInteractiveDefinitions(db)}).define(t, "anxiety-check", models.InteractiveTypeQuiz, "publish")
		a := bearer(e.signIn(t, api, "a@example.com", "token").Token)
		b := bearer(e.signIn(t, api, "b@example.com", "token").Token)
		start := func(h ...http.Header) startedRun {
			t.Helper()
			r := api.Do("POST", "/api/v1/tools/anxiety-check/runs", nil, h...)
			if r.Status != http.StatusCreated {
				t.Fatalf("start: %d %s", r.Status, r.Body)
			}
			var s startedRun
			r.JSON(t, &s)
			return s
		}
		done := start(a)
		if r := api.Do("POST", "/api/v1/tools/runs/"+done.RunID+"/answers", answers(optOften, optOften, optCrisis), runToken(done.RunToken)); r.Status != http.StatusOK {
			t.Fatalf("answers: %d %s", r.Status, r.Body)
		}
		e.clock.Advance(time.Minute)
		open := start(a)
		start(b)
		start()

		r := api.Do("GET", "/api/v1/me/tool-runs", nil, a)
		var page struct {
			Items      []toolRunBody `json:"items"`
			NextOffset *int          `json:"next_offset"`
		}
		r.JSON(t, &page)
		if r.Status != http.StatusOK || len(page.Items) != 2 || page.Items[0].RunID != open.RunID || page.Items[1].RunID != done.RunID {
			t.Fatalf("A's runs: %d %s", r.Status, r.Body)
		}
		if page.Items[0].Status != "in_progress" || page.Items[0].Result != nil {
			t.Errorf("open run: %+v", page.Items[0])
		}
		res := page.Items[1].Result
		if res == nil || res.Level == nil || *res.Level != "high" || res.Profile == nil || *res.Profile != "body" ||
			len(res.Recommendations) == 0 || res.Crisis == nil || res.Score != nil || page.Items[1].Tool.Slug != "anxiety-check" {
			t.Errorf("completed run: %s", r.Body)
		}
		for _, leak := range []string{"answers", optCrisis, "q1"} {
			if strings.Contains(string(r.Body), leak) {
				t.Errorf("the list shows %q: %s", leak, r.Body)
			}
		}
		r = api.Do("GET", "/api/v1/me/tool-runs?limit=1&offset=1", nil, b)
		r.JSON(t, &page)
		if r.Status != http.StatusOK || len(page.Items) != 0 {
			t.Errorf("B's second page: %d %s", r.Status, r.Body)
		}
		r = api.Do("GET", "/api/v1/me/tool-runs", nil, b)
		r.JSON(t, &page)
		if len(page.Items) != 1 || page.Items[0].RunID == done.RunID || page.Items[0].RunID == open.RunID {
			t.Errorf("B's runs: %s", r.Body)
		}
	})
}

type myConsentsBody struct {
	Current []struct {
		Type    string  `json:"type"`
		Active  bool    `json:"active"`
		Version *string `json:"version"`
	} `json:"current"`
	History []struct {
		Type      string     `json:"type"`
		Source    string     `json:"source"`
		RevokedAt *time.Time `json:"revoked_at"`
	} `json:"history"`
}

func (c myConsentsBody) active(typ string) bool {
	for _, s := range c.Current {
		if s.Type == typ {
			return s.Active
		}
	}
	return false
}

// TestMyConsents: a client sees their consents and withdraws communications and Telegram (at
// once, idempotently); the personal-data consent goes only with the account (409); other types
// 422 or 404; another client's consents are neither shown nor changed.
func TestMyConsents(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newMyEnv(t, db)
		api := e.s.api
		e.book(t, 0, "a@example.com", false)
		e.book(t, 2, "b@example.com", false)
		// B first: a sign-in ends the session whose cookie it carries.
		b := bearer(e.signIn(t, api, "b@example.com", "token").Token)
		sa := e.signIn(t, api, "a@example.com", "cookie")
		csrf := http.Header{"X-CSRF-Token": {sa.CSRFToken}}
		ctx := context.Background()
		users := repository.NewUsers(db)
		if err := users.Update(ctx, uuid.MustParse(sa.Me.ID), func(u *models.User) error {
			return u.GrantConsent(models.ConsentTelegram, "2026-01", "telegram", bookingNow)
		}); err != nil {
			t.Fatal(err)
		}

		get := func(h ...http.Header) myConsentsBody {
			t.Helper()
			r := api.Do("GET", "/api/v1/me/consents", nil, h...)
			if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("consents: %d %s", r.Status, r.Body)
			}
			var out myConsentsBody
			r.JSON(t, &out)
			return out
		}
		c := get()
		if !c.active("personal_data") || !c.active("communications") || !c.active("telegram") || c.active("review_publication") ||
			len(c.Current) != 4 || len(c.History) != 3 || c.History[0].Type != "telegram" || c.History[1].Source != "booking_form" {
			t.Fatalf("A's consents: %+v", c)
		}

		if r := api.Do("POST", "/api/v1/me/consents/communications/revoke", nil); r.Status != http.StatusForbidden {
			t.Errorf("cookie session without CSRF: %d %s", r.Status, r.Body)
		}
		r := api.Do("POST", "/api/v1/me/consents/communications/revoke", nil, b)
		var bc myConsentsBody
		r.JSON(t, &bc)
		if r.Status != http.StatusOK || bc.active("communications") || bc.active("telegram") {
			t.Fatalf("B revokes: %d %s", r.Status, r.Body)
		}
		if c := get(); !c.active("communications") {
			t.Fatal("B's revocation withdrew A's consent")
		}
		for range 2 { // the second time changes nothing
			r = api.Do("POST", "/api/v1/me/consents/communications/revoke", nil, csrf)
			r.JSON(t, &c)
			if r.Status != http.StatusOK || c.active("communications") || !c.active("telegram") || len(c.History) != 3 {
				t.Fatalf("revoke communications: %d %s", r.Status, r.Body)
			}
		}
		r = api.Do("POST", "/api/v1/me/consents/telegram/revoke", nil, csrf)
		r.JSON(t, &c)
		if r.Status != http.StatusOK || c.active("telegram") || c.History[0].RevokedAt == nil {
			t.Fatalf("revoke telegram: %d %s", r.Status, r.Body)
		}
		u, err := users.ByID(ctx, uuid.MustParse(sa.Me.ID))
		if err != nil || u.ActiveConsent(models.ConsentCommunications) != nil || u.ActiveConsent(models.ConsentTelegram) != nil ||
			u.ActiveConsent(models.ConsentPersonalData) == nil {
			t.Fatalf("stored consents %+v (%v)", u, err)
		}

		r = api.Do("POST", "/api/v1/me/consents/personal_data/revoke", nil, csrf)
		if r.Status != http.StatusConflict || r.Problem(t).Type != "https://balance.example/problems/consent-needs-account-deletion" ||
			!strings.Contains(r.Problem(t).Detail, "deleting the account") {
			t.Errorf("personal data: %d %s", r.Status, r.Body)
		}
		if r := api.Do("POST", "/api/v1/me/consents/review_publication/revoke", nil, csrf); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("review publication: %d %s", r.Status, r.Body)
		}
		if r := api.Do("POST", "/api/v1/me/consents/newsletter/revoke", nil, csrf); r.Status != http.StatusNotFound {
			t.Errorf("unknown type: %d %s", r.Status, r.Body)
		}
		if c := get(); !c.active("personal_data") {
			t.Error("the personal data consent was withdrawn")
		}
	})
}
