package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// TestAdminRunsThePractice is the admin API's acceptance scenario, on both databases: the owner
// signs in with her authenticator, creates a service with weekly hours and publishes it; the public
// slots offer it; a visitor books and pays; the owner sees the booking in the admin list, cancels
// it with a refund through the action; the refund reaches YooKassa; the audit log shows each of
// the owner's steps.
func TestAdminRunsThePractice(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := bookingSetup(t, db, bookingOpts{admin: true, requireTOTP: []models.Role{models.RoleOwner}})
		e.s.staff(t, "owner@example.org", models.RoleOwner)
		owner := e.s.api
		pending := loginPending(t, e.s, "owner@example.org", true)
		_, confirmed := enrol(t, e.s, pending.CSRFToken)
		h := jobsCSRF(confirmed.Me.CSRFToken)

		// A service with weekly hours, published.
		created := owner.Do("POST", "/admin/api/services", map[string]any{
			"slug": "couples-session", "title": "Семейная консультация", "format": "online",
			"duration_minutes": 80, "price_minor": 800000, "timezone": "Europe/Moscow", "cancel_free_hours": 24,
		}, h)
		var svc map[string]any
		created.JSON(t, &svc)
		if created.Status != http.StatusCreated {
			t.Fatalf("create the service: %d %s", created.Status, created.Body)
		}
		svcID := svc["id"].(string)
		var ruleIDs []string
		for wd := 1; wd <= 5; wd++ {
			r := owner.Do("POST", "/admin/api/availability_rules", map[string]any{
				"service_id": svcID, "weekday": wd, "start_minute": 10 * 60, "end_minute": 18 * 60, "timezone": "Europe/Moscow",
			}, h)
			var rule map[string]any
			r.JSON(t, &rule)
			if r.Status != http.StatusCreated {
				t.Fatalf("weekday %d: %d %s", wd, r.Status, r.Body)
			}
			ruleIDs = append(ruleIDs, rule["id"].(string))
		}
		if r := owner.Do("POST", "/admin/api/services/"+svcID+"/actions/publish", nil, h); r.Status != http.StatusOK {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}

		// The public site offers its slots; a visitor books the first one and pays.
		visitor := testkit.NewAPI(t, e.r)
		r := visitor.Do("GET", "/api/v1/services/couples-session/slots?from=2026-12-03&to=2026-12-04&tz=Europe/Moscow", nil)
		var slots struct {
			Slots []struct {
				Start string `json:"start"`
			} `json:"slots"`
		}
		r.JSON(t, &slots)
		if r.Status != http.StatusOK || len(slots.Slots) == 0 {
			t.Fatalf("public slots of the new service: %d %s", r.Status, r.Body)
		}
		start, err := time.Parse(time.RFC3339, slots.Slots[0].Start)
		if err != nil {
			t.Fatal(err)
		}
		req := bookingRequest(start, "visitor@example.com")
		req["service_slug"] = "couples-session"
		r = visitor.Do("POST", "/api/v1/bookings", req)
		var b bookingBody
		r.JSON(t, &b)
		if r.Status != http.StatusCreated {
			t.Fatalf("book: %d %s", r.Status, r.Body)
		}
		pid := providerPaymentID(t, b)
		e.yk.Succeed(pid)
		if r := e.notify(t, "payment.succeeded", pid); r.Status != http.StatusOK {
			t.Fatalf("payment: %d %s", r.Status, r.Body)
		}

		// The owner sees it, paid, and cancels it with a refund.
		recs, cr := adminList(t, owner, "appointments", adminQuery("filter", `{"service_id":"`+svcID+`"}`))
		if len(recs) != 1 || recs[0]["id"] != b.ID || recs[0]["status"] != "confirmed" || cr != "appointments 0-0/1" {
			t.Fatalf("the booking in the admin list: %v %q", recs, cr)
		}
		r = owner.Do("POST", "/admin/api/appointments/"+b.ID+"/actions/cancel", nil, h)
		var canceled map[string]any
		r.JSON(t, &canceled)
		if r.Status != http.StatusOK || canceled["status"] != "canceled" || canceled["canceled_by"] != "staff" {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		a, err := e.appts.ByID(ctx, uuid.MustParse(b.ID))
		if err != nil {
			t.Fatal(err)
		}
		refunds, err := repository.NewRefunds(db).ByPayment(ctx, a.Payments[len(a.Payments)-1].ID)
		if err != nil || len(refunds) != 1 || refunds[0].AmountMinor != 800000 {
			t.Fatalf("refunds %+v (%v), want one of 8000.00", refunds, err)
		}
		if err := e.b.RunRefund(ctx, refunds[0].ID); err != nil {
			t.Fatal(err)
		}
		if n := e.yk.KeyUses(refunds[0].IdempotenceKey); n != 1 {
			t.Fatalf("the refund reached YooKassa %d times, want once", n)
		}
		if r := visitor.Do("GET", "/api/v1/bookings/"+b.ID, nil, manage(b.ManageToken)); r.Status != http.StatusOK {
			t.Errorf("the client's view of the canceled booking: %d %s", r.Status, r.Body)
		}

		// The audit log, as the owner reads it, shows each of her steps.
		logs, _ := adminList(t, owner, "audit_logs", adminQuery("filter", `{"actor_role":"owner"}`, "range", "[0,199]"))
		type step struct{ resource, id, change string }
		var got []step
		for _, l := range logs {
			var full map[string]any
			owner.Do("GET", "/admin/api/audit_logs/"+l["id"].(string), nil).JSON(t, &full)
			changes, _ := full["changes"].(map[string]any)
			for name := range changes {
				got = append(got, step{l["resource"].(string), l["resource_id"].(string), name})
			}
		}
		want := []step{{"services", svcID, "slug"}, {"services", svcID, "action:publish"}, {"appointments", b.ID, "action:cancel"}}
		for _, id := range ruleIDs {
			want = append(want, step{"availability_rules", id, "weekday"})
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("the audit log lacks %+v; it has %+v", w, got)
			}
		}
	})
}
