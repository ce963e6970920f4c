package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"balance/events"
	"balance/integrations/yookassa"
	"balance/integrations/yookassa/yookassatest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// bookingNow is Tuesday 2026-12-01 12:00 in Moscow; Thursday 10:00 Moscow is 07:00 UTC.
var bookingNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func bookingSlot(n int) time.Time {
	return time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC).Add(time.Duration(n) * 30 * time.Minute)
}

type bookingEnv struct {
	s     *server
	r     *gin.Engine
	yk    *yookassatest.Server
	b     *booking.Bookings
	clock *testkit.Clock
	pub   *testkit.EventCounter
	appts *repository.Appointments
}

type bookingOpts struct {
	webhookCIDRs   []string
	trustedProxies []string
	// admin also serves the admin resources (their booking actions through this booking service).
	admin bool
	// requireTOTP lists the roles that must sign in with an authenticator code.
	requireTOTP []models.Role
}

// bookingSetup serves the booking API over a published paid service (weekdays 10:00–19:00
// Moscow, 50 minutes + 10 buffer, free cancellation until 24 h before) with a fake YooKassa.
func bookingSetup(t *testing.T, db *repository.DB, o bookingOpts) *bookingEnv {
	t.Helper()
	clock := testkit.NewClock(bookingNow)
	st := booking.NewStores(db)
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	pub := testkit.CountEvents(outbox)
	db.SetPublisher(pub)
	b, slots, yk := paidBookings(t, db, st, outbox, clock)
	if err := outbox.Init(); err != nil {
		t.Fatal(err)
	}
	if o.webhookCIDRs == nil {
		o.webhookCIDRs = []string{"127.0.0.1/32", "::1"}
	}
	s, r := newServer(t, db, options{
		catalogue: booking.NewCatalogue(st.Services), slots: slots, bookings: b,
		webhookCIDRs: o.webhookCIDRs, trustedProxies: o.trustedProxies, adminResources: o.admin,
		requireTOTP: o.requireTOTP,
	})
	return &bookingEnv{s: s, r: r, yk: yk, b: b, clock: clock, pub: pub, appts: st.Appointments}
}

// paidBookings publishes the paid service of bookingSetup and returns the booking service over it,
// its tasks handled by outbox (not yet initialized), with a fake YooKassa.
func paidBookings(t *testing.T, db *repository.DB, st booking.Stores, outbox *events.Outbox, clock *testkit.Clock) (*booking.Bookings, *booking.Slots, *yookassatest.Server) {
	t.Helper()
	ctx := context.Background()
	yk := yookassatest.New(t, "shop-1", "secret-1")
	client, err := yookassa.New(yookassa.Config{
		ShopID: "shop-1", SecretKey: "secret-1", APIURL: yk.URL(), ReturnURL: "https://balance.example/paid",
		HTTPClient: yk.Client(), RetryWait: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	free, partial, move := 24, 12, 12
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
		DurationMinutes: 50, BufferMinutes: 10, Price: models.Money{Minor: 500000, Currency: models.CurrencyRUB},
		CancelFreeHours: &free, CancelPartialHours: &partial, RescheduleMinHours: &move, Timezone: "Europe/Moscow",
	}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.Services.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	av := repository.NewAvailability(db)
	for wd := 1; wd <= 5; wd++ {
		r, err := models.NewAvailabilityRule(&svc.ID, wd, 10*60, 19*60, "Europe/Moscow", nil, nil, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := av.CreateRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	slots := booking.NewSlots(av, st.Appointments, nil, clock)
	b := booking.NewBookings(db, st, slots, yookassa.Gateway{Client: client}, outbox, clock, booking.Config{
		HoldTTL: 15 * time.Minute, PartialRefundPercent: 50, ReconcileAfter: 10 * time.Minute, IdempotencyTTL: 24 * time.Hour,
	}, testkit.Logger(t))
	for _, task := range b.Tasks() {
		outbox.Handle(task.Name, task.Run)
	}
	return b, slots, yk
}

type bookingBody struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	Start         string  `json:"start"`
	StartLocal    string  `json:"start_local"`
	Timezone      string  `json:"timezone"`
	ManageToken   string  `json:"manage_token"`
	HoldExpiresAt *string `json:"hold_expires_at"`
	Payment       *struct {
		Status          string  `json:"status"`
		ConfirmationURL *string `json:"confirmation_url"`
		Amount          struct {
			AmountMinor int64 `json:"amount_minor"`
		} `json:"amount"`
	} `json:"payment"`
	RefundIfCanceled *struct {
		AmountMinor int64 `json:"amount_minor"`
	} `json:"refund_if_canceled"`
	Refund *struct {
		AmountMinor int64 `json:"amount_minor"`
	} `json:"refund"`
}

func bookingRequest(start time.Time, email string) map[string]any {
	return map[string]any{
		"service_slug": "individual-session", "start": start.Format(time.RFC3339), "format": "online",
		"timezone": "Europe/Berlin",
		"client":   map[string]any{"name": "Анна", "email": email, "phone": "+7 999 123-45-67"},
		"consents": []map[string]any{{"type": "personal_data", "version": "2026-01"}},
		"metadata": map[string]any{"entry_point": "article", "utm": map[string]string{"source": "telegram"}},
	}
}

func (e *bookingEnv) book(t *testing.T, start time.Time, email string) bookingBody {
	t.Helper()
	r := e.s.api.Do("POST", "/api/v1/bookings", bookingRequest(start, email))
	if r.Status != http.StatusCreated {
		t.Fatalf("book: %d %s", r.Status, r.Body)
	}
	var b bookingBody
	r.JSON(t, &b)
	return b
}

func manage(token string) http.Header { return http.Header{"X-Manage-Token": {token}} }

// providerPaymentID finds the YooKassa id of a booking's payment from its confirmation URL.
func providerPaymentID(t *testing.T, b bookingBody) string {
	t.Helper()
	if b.Payment == nil || b.Payment.ConfirmationURL == nil {
		t.Fatalf("booking %s has no payment page", b.ID)
	}
	u := *b.Payment.ConfirmationURL
	return u[strings.LastIndex(u, "/")+1:]
}

func (e *bookingEnv) notify(t *testing.T, event, id string, header ...http.Header) *testkit.Response {
	t.Helper()
	return e.s.api.Do("POST", "/webhooks/yookassa", yookassatest.Notification(event, json.RawMessage(e.yk.PaymentJSON(id))), header...)
}

func (e *bookingEnv) slotStarts(t *testing.T) map[string]bool {
	t.Helper()
	r := e.s.api.Do("GET", "/api/v1/services/individual-session/slots?from=2026-12-03&to=2026-12-03&tz=Europe/Berlin", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("slots: %d %s", r.Status, r.Body)
	}
	var body struct {
		Slots []struct {
			Start string `json:"start"`
		} `json:"slots"`
	}
	r.JSON(t, &body)
	out := map[string]bool{}
	for _, s := range body.Slots {
		out[s.Start] = true
	}
	return out
}

func TestBookingEndToEnd(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		start := bookingSlot(0).Format(time.RFC3339)
		if !e.slotStarts(t)[start] {
			t.Fatalf("%s is not offered", start)
		}
		b := e.book(t, bookingSlot(0), "anna@example.com")
		if b.Status != "pending_payment" || b.ManageToken == "" || b.HoldExpiresAt == nil || b.Payment.Status != "pending" ||
			b.Payment.Amount.AmountMinor != 500000 || b.StartLocal != "2026-12-03T08:00:00+01:00" {
			t.Fatalf("booking %+v", b)
		}
		if e.slotStarts(t)[start] {
			t.Error("a held time is still offered")
		}

		// The client pays; YooKassa notifies from an allowed address.
		id := providerPaymentID(t, b)
		e.yk.Succeed(id)
		if r := e.notify(t, "payment.succeeded", id); r.Status != http.StatusOK {
			t.Fatalf("webhook: %d %s", r.Status, r.Body)
		}
		r := e.s.api.Do("GET", "/api/v1/bookings/"+b.ID, nil, manage(b.ManageToken))
		var got bookingBody
		r.JSON(t, &got)
		if r.Status != http.StatusOK || got.Status != "confirmed" || got.Payment.Status != "succeeded" || got.Payment.ConfirmationURL != nil ||
			got.RefundIfCanceled == nil || got.RefundIfCanceled.AmountMinor != 500000 || got.ManageToken != "" {
			t.Fatalf("after payment: %d %s", r.Status, r.Body)
		}
		if e.slotStarts(t)[start] {
			t.Error("a confirmed time is offered")
		}
		// Without the token, or with another, the booking does not exist.
		if r := e.s.api.Do("GET", "/api/v1/bookings/"+b.ID, nil); r.Status != http.StatusNotFound {
			t.Errorf("no token: %d", r.Status)
		}
		if r := e.s.api.Do("GET", "/api/v1/bookings/not-a-uuid", nil, manage(b.ManageToken)); r.Status != http.StatusNotFound {
			t.Errorf("bad id: %d", r.Status)
		}
	})
}

func TestBookingWebhookTrust(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		// YooKassa's published ranges only: the test client (127.0.0.1) is not among them.
		e := bookingSetup(t, db, bookingOpts{webhookCIDRs: []string{"185.71.76.0/27", "77.75.156.11", "2a02:5180::/32"}})
		b := e.book(t, bookingSlot(0), "a@example.com")
		id := providerPaymentID(t, b)
		e.yk.Succeed(id)
		r := e.notify(t, "payment.succeeded", id)
		if r.Status != http.StatusForbidden || r.Problem(t).Status != http.StatusForbidden {
			t.Fatalf("disallowed address: %d %s", r.Status, r.Body)
		}
		// X-Forwarded-For is not believed from an untrusted peer.
		if r := e.notify(t, "payment.succeeded", id, http.Header{"X-Forwarded-For": {"185.71.76.5"}}); r.Status != http.StatusForbidden {
			t.Errorf("spoofed X-Forwarded-For: %d", r.Status)
		}
		if e.pub.Count("payment.succeeded") != 0 || e.pub.Count("appointment.confirmed") != 0 {
			t.Fatal("a refused notification changed something")
		}
		var got bookingBody
		e.s.api.Do("GET", "/api/v1/bookings/"+b.ID, nil, manage(b.ManageToken)).JSON(t, &got)
		if got.Status != "pending_payment" {
			t.Fatalf("status %s", got.Status)
		}
	})
}

func TestBookingWebhookBehindProxy(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		// Behind a trusted proxy, the forwarded address decides.
		e := bookingSetup(t, db, bookingOpts{webhookCIDRs: []string{"185.71.76.0/27"}, trustedProxies: []string{"127.0.0.1", "::1"}})
		b := e.book(t, bookingSlot(0), "a@example.com")
		id := providerPaymentID(t, b)
		e.yk.Succeed(id)
		if r := e.notify(t, "payment.succeeded", id, http.Header{"X-Forwarded-For": {"10.0.0.1"}}); r.Status != http.StatusForbidden {
			t.Errorf("forwarded from elsewhere: %d", r.Status)
		}
		if r := e.notify(t, "payment.succeeded", id, http.Header{"X-Forwarded-For": {"185.71.76.5"}}); r.Status != http.StatusOK {
			t.Errorf("forwarded from YooKassa: %d %s", r.Status, r.Body)
		}
	})
}

func TestBookingWebhookAnswers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		b := e.book(t, bookingSlot(0), "a@example.com")
		id := providerPaymentID(t, b)
		// Claims success while the API says pending: 200, nothing confirmed.
		if r := e.notify(t, "payment.succeeded", id); r.Status != http.StatusOK {
			t.Errorf("forged success: %d", r.Status)
		}
		if e.pub.Count("appointment.confirmed") != 0 {
			t.Fatal("a notification the API contradicts confirmed the booking")
		}
		for name, body := range map[string]string{
			"not json":      `{"type":`,
			"no object id":  `{"type":"notification","event":"payment.succeeded","object":{}}`,
			"wrong type":    `{"type":"other","event":"payment.succeeded","object":{"id":"x"}}`,
			"NUL in the id": `{"type":"notification","event":"payment.succeeded","object":{"id":"` + id + `\u0000"}}`,
			"id not UTF-8":  "{\"type\":\"notification\",\"event\":\"payment.succeeded\",\"object\":{\"id\":\"" + id + "\xff\"}}",
			"id as a path":  `{"type":"notification","event":"payment.succeeded","object":{"id":"../refunds/` + id + `"}}`,
			"NUL in event":  `{"type":"notification","event":"payment.succeeded\u0000","object":{"id":"` + id + `"}}`,
		} {
			if r := e.s.api.Do("POST", "/webhooks/yookassa", body); r.Status != http.StatusBadRequest {
				t.Errorf("%s: %d", name, r.Status)
			}
		}
		// The API is down: 503, so YooKassa sends it again; then it goes through.
		e.yk.Succeed(id)
		e.yk.FailNext(4, 500)
		if r := e.notify(t, "payment.succeeded", id); r.Status != http.StatusServiceUnavailable {
			t.Errorf("API down: %d %s", r.Status, r.Body)
		}
		if r := e.notify(t, "payment.succeeded", id); r.Status != http.StatusOK || e.pub.Count("appointment.confirmed") != 1 {
			t.Errorf("retry: %d %s", r.Status, r.Body)
		}
	})
}

func TestBookingSameNotificationTwentyTimes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		b := e.book(t, bookingSlot(0), "a@example.com")
		id := providerPaymentID(t, b)
		e.yk.Succeed(id)
		body := yookassatest.Notification("payment.succeeded", json.RawMessage(e.yk.PaymentJSON(id)))
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.s.api.Do("POST", "/webhooks/yookassa", body).Status
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Errorf("notification %d: %d", i, s)
			}
		}
		if e.pub.Count("payment.succeeded") != 1 || e.pub.Count("appointment.confirmed") != 1 {
			t.Fatalf("payment.succeeded %d, appointment.confirmed %d", e.pub.Count("payment.succeeded"), e.pub.Count("appointment.confirmed"))
		}
	})
}

func TestBookingHundredClientsOneSlot(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		var wg sync.WaitGroup
		statuses := make([]int, 100)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.s.api.Do("POST", "/api/v1/bookings", bookingRequest(bookingSlot(0), fmt.Sprintf("c%d@example.com", i))).Status
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusConflict] != 99 {
			t.Fatalf("answers %v", count)
		}
		if e.yk.PaymentCount() != 1 {
			t.Errorf("%d payments at YooKassa", e.yk.PaymentCount())
		}
	})
}

func TestBookingHoldLapses(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		b := e.book(t, bookingSlot(0), "a@example.com")
		id := providerPaymentID(t, b)
		e.clock.Advance(15 * time.Minute)
		if err := e.b.Reconcile(context.Background()); err != nil { // sweeps lapsed holds too
			t.Fatal(err)
		}
		var got bookingBody
		e.s.api.Do("GET", "/api/v1/bookings/"+b.ID, nil, manage(b.ManageToken)).JSON(t, &got)
		if got.Status != "canceled" || got.Payment.Status != "canceled" {
			t.Fatalf("after the hold: %s / %s", got.Status, got.Payment.Status)
		}
		var remote struct{ Status string }
		if err := json.Unmarshal(e.yk.PaymentJSON(id), &remote); err != nil || remote.Status != "canceled" {
			t.Errorf("YooKassa still has %s (%v)", remote.Status, err)
		}
		if !e.slotStarts(t)[bookingSlot(0).Format(time.RFC3339)] {
			t.Error("the lapsed time is not offered again")
		}
	})
}

func TestBookingIdempotencyKeyWhileYooKassaIsDown(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		key := http.Header{"Idempotency-Key": {"3f9a-down"}}
		req := bookingRequest(bookingSlot(0), "a@example.com")
		// Unreachable: 502 with or without a key, and a retry of the key tries again.
		for i := range 2 {
			e.yk.FailNext(4, 500) // the first attempt and the client's three retries
			r := e.s.api.Do("POST", "/api/v1/bookings", req, key)
			if p := r.Problem(t); r.Status != http.StatusBadGateway || !strings.HasSuffix(p.Type, "/payment-provider-unavailable") ||
				r.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("try %d with YooKassa down: %d %s", i+1, r.Status, r.Body)
			}
		}
		// Reachable again: the same key books, and then replays that booking.
		first := e.s.api.Do("POST", "/api/v1/bookings", req, key)
		var b1 bookingBody
		first.JSON(t, &b1)
		if first.Status != http.StatusCreated || first.Header.Get("Idempotent-Replayed") != "" || b1.Status != "pending_payment" ||
			b1.Payment == nil || b1.Payment.Status != "pending" || b1.Payment.ConfirmationURL == nil {
			t.Fatalf("retry with YooKassa back: %d %s", first.Status, first.Body)
		}
		again := e.s.api.Do("POST", "/api/v1/bookings", req, key)
		var b2 bookingBody
		again.JSON(t, &b2)
		if again.Status != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "true" || b2.ID != b1.ID {
			t.Errorf("replay: %d %s", again.Status, again.Body)
		}
	})
}

func TestBookingManageAPI(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		b := e.book(t, bookingSlot(0), "a@example.com")
		id := providerPaymentID(t, b)
		e.yk.Succeed(id)
		e.notify(t, "payment.succeeded", id)
		h := manage(b.ManageToken)

		// Intake form: a draft, then submitted; then it cannot change.
		r := e.s.api.Do("PUT", "/api/v1/bookings/"+b.ID+"/intake-form", map[string]any{"answers": map[string]any{"concern": "sleep"}}, h)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"draft"`) || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("draft: %d %s", r.Status, r.Body)
		}
		r = e.s.api.Do("PUT", "/api/v1/bookings/"+b.ID+"/intake-form", map[string]any{"answers": map[string]any{"concern": "sleep", "topics": []string{"a"}}, "submit": true}, h)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"submitted"`) {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("PUT", "/api/v1/bookings/"+b.ID+"/intake-form", map[string]any{"answers": map[string]any{}}, h); r.Status != http.StatusConflict {
			t.Errorf("edit after submit: %d", r.Status)
		}
		if r := e.s.api.Do("GET", "/api/v1/bookings/"+b.ID+"/intake-form", nil, h); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "sleep") {
			t.Errorf("read back: %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("GET", "/api/v1/bookings/"+b.ID+"/intake-form", nil); r.Status != http.StatusNotFound {
			t.Errorf("intake form without the token: %d", r.Status)
		}

		// Reschedule an hour later; the token follows.
		r = e.s.api.Do("POST", "/api/v1/bookings/"+b.ID+"/reschedule", map[string]any{"start": bookingSlot(2).Format(time.RFC3339)}, h)
		var moved bookingBody
		r.JSON(t, &moved)
		if r.Status != http.StatusOK || moved.ID == b.ID || moved.Status != "confirmed" || moved.Start != bookingSlot(2).Format(time.RFC3339) ||
			r.Header.Get("Location") != "/api/v1/bookings/"+moved.ID {
			t.Fatalf("reschedule: %d %s", r.Status, r.Body)
		}
		// Cancel inside the partial window: half back.
		e.clock.Set(bookingSlot(2).Add(-13 * time.Hour))
		r = e.s.api.Do("POST", "/api/v1/bookings/"+moved.ID+"/cancel", map[string]any{"reason": "сильная тревога с утра"}, h)
		var canceled bookingBody
		r.JSON(t, &canceled)
		if r.Status != http.StatusOK || canceled.Status != "canceled" || canceled.Refund == nil || canceled.Refund.AmountMinor != 250000 {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		// The reason is P2: stored encrypted for the owner, never echoed in an answer.
		if strings.Contains(string(r.Body), "тревога") {
			t.Errorf("the cancel answer repeats the reason: %s", r.Body)
		}
		if r := e.s.api.Do("POST", "/api/v1/bookings/"+moved.ID+"/cancel", nil, h); r.Status != http.StatusConflict {
			t.Errorf("cancel twice: %d %s", r.Status, r.Body)
		}

		// Waitlist.
		r = e.s.api.Do("POST", "/api/v1/waitlist", map[string]any{
			"service_slug": "individual-session", "from": "2026-12-03", "to": "2026-12-04",
			"client":   map[string]any{"name": "W", "email": "w@example.com"},
			"consents": []map[string]any{{"type": "personal_data", "version": "2026-01"}},
		})
		if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"status":"active"`) ||
			!strings.Contains(string(r.Body), `"timezone":"Europe/Moscow"`) {
			t.Errorf("waitlist (in the service's zone): %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("POST", "/api/v1/waitlist", map[string]any{"service_slug": "individual-session", "from": "3.12"}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("bad waitlist: %d", r.Status)
		}
		r = e.s.api.Do("POST", "/api/v1/waitlist", map[string]any{
			"service_slug": "individual-session", "timezone": "Mars/Olympus",
			"client":   map[string]any{"name": "W", "email": "w2@example.com"},
			"consents": []map[string]any{{"type": "personal_data", "version": "2026-01"}},
		})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("waitlist in an unknown zone: %d %s", r.Status, r.Body)
		} else if p := r.Problem(t); len(p.Errors) == 0 || p.Errors[0].Field != "timezone" {
			t.Errorf("waitlist in an unknown zone names %+v, want timezone", p.Errors)
		}
	})
}
