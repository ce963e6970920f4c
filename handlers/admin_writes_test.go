package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// TestAdminBuildsABookableSchedule: the owner creates a service with weekly hours and a day off
// through the admin API and publishes it; the public API then offers exactly those slots. Every
// write is audited with the names of the fields it set, never their values.
func TestAdminBuildsABookableSchedule(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		services, av := repository.NewServices(db), repository.NewAvailability(db)
		s, r := newServer(t, db, options{
			adminResources: true,
			catalogue:      booking.NewCatalogue(services),
			slots:          booking.NewSlots(av, repository.NewAppointments(db), nil, testkit.NewClock(t0)),
		})
		owner, csrf := jobsSignIn(t, s, r, models.RoleOwner)
		editor, editorCSRF := jobsSignIn(t, s, r, models.RoleEditor)
		h := jobsCSRF(csrf)

		svcBody := map[string]any{
			"slug": "individual-session", "title": "Индивидуальная консультация", "format": "online",
			"duration_minutes": 50, "price_minor": 500000, "buffer_minutes": 10, "timezone": "Europe/Moscow",
			"description_markdown": "**Пятьдесят** минут.", "cancel_free_hours": 24,
		}
		if r := owner.Do("POST", "/admin/api/services", svcBody); r.Status != http.StatusForbidden {
			t.Errorf("without the CSRF token: %d", r.Status)
		}
		if r := editor.Do("POST", "/admin/api/services", svcBody, jobsCSRF(editorCSRF)); r.Status != http.StatusForbidden {
			t.Errorf("the editor created a service: %d", r.Status)
		}

		// Form errors come back per field, in Russian, for the form to show.
		for _, tc := range []struct {
			body   map[string]any
			fields map[string]string
		}{
			{map[string]any{"title": ""}, map[string]string{"slug": "обязательное поле", "title": "обязательное поле", "price_minor": "обязательное поле"}},
			{map[string]any{"slug": "a", "title": "T", "format": "online", "duration_minutes": "long", "price_minor": 1.5},
				map[string]string{"duration_minutes": "должно быть целым числом", "price_minor": "должно быть целым числом"}},
			{map[string]any{"slug": "Not A Slug", "title": "T", "format": "online", "duration_minutes": 50, "price_minor": 100}, map[string]string{"slug": ""}},
			{map[string]any{"slug": "ok", "title": "T", "format": "phone", "duration_minutes": 50, "price_minor": 100}, map[string]string{"format": ""}},
		} {
			r := owner.Do("POST", "/admin/api/services", tc.body, h)
			var p struct {
				Status int               `json:"status"`
				Errors map[string]string `json:"errors"`
			}
			r.JSON(t, &p)
			if r.Status != http.StatusUnprocessableEntity || p.Status != 422 {
				t.Errorf("%v: %d %s", tc.body, r.Status, r.Body)
				continue
			}
			for field, msg := range tc.fields {
				if got, ok := p.Errors[field]; !ok || (msg != "" && got != msg) {
					t.Errorf("%v: errors %v, want %s: %q", tc.body, p.Errors, field, msg)
				}
			}
		}

		created := owner.Do("POST", "/admin/api/services", svcBody, h)
		var svc map[string]any
		created.JSON(t, &svc)
		id, _ := svc["id"].(string)
		if created.Status != http.StatusCreated || created.Header.Get("Location") != "/admin/api/services/"+id ||
			svc["status"] != "draft" || svc["price_minor"] != float64(500000) || svc["description_markdown"] != "**Пятьдесят** минут." {
			t.Fatalf("create: %d %s", created.Status, created.Body)
		}
		if r := owner.Do("POST", "/admin/api/services", svcBody, h); r.Status != http.StatusConflict {
			t.Errorf("the same slug again: %d %s", r.Status, r.Body)
		}

		// Weekly hours: Monday 10:00–13:00 Moscow; a day off on Monday 7 December.
		rule := owner.Do("POST", "/admin/api/availability_rules", map[string]any{
			"service_id": id, "weekday": 1, "start_minute": 600, "end_minute": 780, "timezone": "Europe/Moscow",
		}, h)
		if rule.Status != http.StatusCreated {
			t.Fatalf("rule: %d %s", rule.Status, rule.Body)
		}
		if r := owner.Do("POST", "/admin/api/availability_rules", map[string]any{"weekday": 1, "start_minute": 800, "end_minute": 700}, h); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(r.Body), `"end_minute":"позже начала и не больше 1440 минут от полуночи"`) {
			t.Errorf("a window ending before it starts: %d %s", r.Status, r.Body)
		}
		var extra map[string]any
		rule.JSON(t, &extra)
		off := owner.Do("POST", "/admin/api/availability_exceptions", map[string]any{
			"service_id": id, "kind": "day_off", "date_from": "2026-12-07", "date_to": "2026-12-07", "reason": "Отпуск",
		}, h)
		if off.Status != http.StatusCreated {
			t.Fatalf("day off: %d %s", off.Status, off.Body)
		}

		// Not bookable until published; then offered on Monday the 30th and not on the 7th.
		slotsURL := "/api/v1/services/individual-session/slots?from=2026-11-30&to=2026-12-07&tz=Europe/Moscow"
		if r := s.api.Do("GET", slotsURL, nil); r.Status != http.StatusNotFound {
			t.Errorf("a draft's slots: %d", r.Status)
		}
		if r := owner.Do("POST", "/admin/api/services/"+id+"/actions/fly", nil, h); r.Status != http.StatusNotFound {
			t.Errorf("an unknown action: %d", r.Status)
		}
		pub := owner.Do("POST", "/admin/api/services/"+id+"/actions/publish", nil, h)
		if pub.Status != http.StatusOK || !strings.Contains(string(pub.Body), `"status":"published"`) {
			t.Fatalf("publish: %d %s", pub.Status, pub.Body)
		}
		slots := s.api.Do("GET", slotsURL, nil)
		var body struct {
			Slots []struct {
				StartLocal string `json:"start_local"`
			} `json:"slots"`
		}
		slots.JSON(t, &body)
		if slots.Status != http.StatusOK || len(body.Slots) == 0 {
			t.Fatalf("slots: %d %s", slots.Status, slots.Body)
		}
		for _, sl := range body.Slots {
			if !strings.HasPrefix(sl.StartLocal, "2026-11-30T1") {
				t.Errorf("a slot outside Monday 30th's hours: %s", sl.StartLocal)
			}
		}

		// An update keeps what it does not set and ignores what is not editable.
		upd := owner.Do("PUT", "/admin/api/services/"+id, map[string]any{"id": id, "title": "Консультация", "status": "archived", "created_at": "2000-01-01T00:00:00Z"}, h)
		var after map[string]any
		upd.JSON(t, &after)
		if upd.Status != http.StatusOK || after["title"] != "Консультация" || after["status"] != "published" || after["duration_minutes"] != float64(50) {
			t.Errorf("update: %d %s", upd.Status, upd.Body)
		}
		if r := owner.Do("DELETE", "/admin/api/services/"+id, nil, h); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("deleting a service (archived instead): %d", r.Status)
		}

		// Removing the weekly window takes the slots away.
		ruleID := extra["id"].(string)
		del := owner.Do("DELETE", "/admin/api/availability_rules/"+ruleID, nil, h)
		if del.Status != http.StatusOK || !strings.Contains(string(del.Body), `"start_minute":600`) {
			t.Errorf("delete rule: %d %s", del.Status, del.Body)
		}
		if r := owner.Do("DELETE", "/admin/api/availability_rules/"+ruleID, nil, h); r.Status != http.StatusNotFound {
			t.Errorf("delete it again: %d", r.Status)
		}
		slots = s.api.Do("GET", slotsURL, nil)
		slots.JSON(t, &body)
		if len(body.Slots) != 0 {
			t.Errorf("slots without hours: %s", slots.Body)
		}

		// The audit trail: each write once, with field names and no values.
		rows, err := repository.NewAuditLogs(db).List(ctx, repository.AuditLogFilter{Resource: "services", ResourceID: id}, repository.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, row := range rows {
			seen = append(seen, string(row.Action))
			if row.ActorRole != "owner" || row.ActorUserID == nil {
				t.Errorf("audit actor %+v", row)
			}
			for k, v := range row.Changes {
				if v.From != nil || v.To != nil {
					t.Errorf("audit %s carries values: %s=%+v", row.Action, k, v)
				}
			}
		}
		slices.Reverse(seen)
		if !slices.Equal(seen, []string{"create", "update", "update"}) {
			t.Errorf("audit actions %v, want create, update (publish), update (title)", seen)
		}
		if _, ok := rows[0].Changes["title"]; !ok {
			t.Errorf("the update's audit row does not name the title: %+v", rows[0].Changes)
		}
		if _, ok := rows[1].Changes["action:publish"]; !ok {
			t.Errorf("the publish audit row: %+v", rows[1].Changes)
		}
		for _, res := range []string{"availability_rules", "availability_exceptions"} {
			n, err := repository.NewAuditLogs(db).List(ctx, repository.AuditLogFilter{Resource: res}, repository.Page{Limit: 50})
			if err != nil || len(n) == 0 {
				t.Errorf("no audit rows for %s (%v)", res, err)
			}
		}
	})
}

// TestAdminCancelsABookingWithARefund: a client books and pays through the public API; the
// assistant sees it in the admin API and cancels it with an action; the refund goes to YooKassa
// through the booking service's job, and the audit log shows the action.
func TestAdminCancelsABookingWithARefund(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := bookingSetup(t, db, bookingOpts{admin: true})
		b := e.book(t, bookingSlot(0), "a@example.com")
		pid := providerPaymentID(t, b)
		e.yk.Succeed(pid)
		if r := e.notify(t, "payment.succeeded", pid); r.Status != http.StatusOK {
			t.Fatalf("payment: %d %s", r.Status, r.Body)
		}
		assistant, csrf := jobsSignIn(t, e.s, e.r, models.RoleAssistant)
		editor, editorCSRF := jobsSignIn(t, e.s, e.r, models.RoleEditor)

		recs, _ := adminList(t, assistant, "appointments", adminQuery("filter", `{"status":"confirmed"}`))
		if len(recs) != 1 || recs[0]["id"] != b.ID {
			t.Fatalf("the paid booking in the admin list: %v", recs)
		}
		path := "/admin/api/appointments/" + b.ID + "/actions/"
		if r := editor.Do("POST", path+"cancel", nil, jobsCSRF(editorCSRF)); r.Status != http.StatusForbidden {
			t.Errorf("the editor canceled: %d", r.Status)
		}
		if r := assistant.Do("POST", path+"complete", nil, jobsCSRF(csrf)); r.Status != http.StatusConflict {
			t.Errorf("completing a session that has not happened: %d %s", r.Status, r.Body)
		}
		r := assistant.Do("POST", path+"cancel", nil, jobsCSRF(csrf))
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"canceled"`) || !strings.Contains(string(r.Body), `"canceled_by":"staff"`) {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		if r := assistant.Do("POST", path+"cancel", nil, jobsCSRF(csrf)); r.Status != http.StatusConflict ||
			!strings.Contains(string(r.Body), `"message":"«Отменить с возвратом оплаты» недоступно: сейчас «Отменена»"`) {
			t.Errorf("cancel twice: %d %s", r.Status, r.Body)
		}

		// A full refund, sent to YooKassa by the booking service's job.
		a, err := e.appts.ByID(ctx, uuid.MustParse(b.ID))
		if err != nil {
			t.Fatal(err)
		}
		refunds, err := repository.NewRefunds(db).ByPayment(ctx, a.Payments[len(a.Payments)-1].ID)
		if err != nil || len(refunds) != 1 || refunds[0].AmountMinor != 500000 {
			t.Fatalf("refunds %+v (%v), want one of 5000.00", refunds, err)
		}
		if err := e.b.RunRefund(ctx, refunds[0].ID); err != nil || e.yk.KeyUses(refunds[0].IdempotenceKey) != 1 {
			t.Fatalf("the refund at YooKassa: %v, key used %d times", err, e.yk.KeyUses(refunds[0].IdempotenceKey))
		}

		rows, err := repository.NewAuditLogs(db).List(ctx, repository.AuditLogFilter{Resource: "appointments", ResourceID: b.ID}, repository.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range rows {
			if _, ok := row.Changes["action:cancel"]; ok && row.ActorRole == "assistant" {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit row for the assistant's cancel: %+v", rows)
		}
	})
}

// TestAdminAppointmentMeetingDetails: staff set where a session takes place; two staff editing one
// appointment get a 409 with the current version instead of overwriting each other.
func TestAdminAppointmentMeetingDetails(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		id := e.appts[1].ID.String()
		path := "/admin/api/appointments/" + id
		owner, assistant := e.clients["owner"], e.clients["assistant"]
		var before map[string]any
		owner.Do("GET", path, nil).JSON(t, &before)
		version := before["version"]

		r := owner.Do("PUT", path, map[string]any{"id": id, "version": version, "meeting_url": "https://meet.example/abc", "status": "completed"}, jobsCSRF(e.csrf["owner"]))
		var after map[string]any
		r.JSON(t, &after)
		if r.Status != http.StatusOK || after["meeting_url"] != "https://meet.example/abc" || after["status"] != before["status"] ||
			after["version"] == version {
			t.Fatalf("set the link: %d %s", r.Status, r.Body)
		}
		// The assistant's form was filled from the old version.
		r = assistant.Do("PUT", path, map[string]any{"version": version, "location_text": "Кабинет 3"}, jobsCSRF(e.csrf["assistant"]))
		var conflict struct {
			Type           string `json:"type"`
			CurrentVersion int    `json:"current_version"`
		}
		r.JSON(t, &conflict)
		if r.Status != http.StatusConflict || !strings.HasSuffix(conflict.Type, "/version-conflict") || float64(conflict.CurrentVersion) != after["version"] {
			t.Errorf("stale edit: %d %s", r.Status, r.Body)
		}
		r = assistant.Do("PUT", path, map[string]any{"version": after["version"], "location_text": "Кабинет 3"}, jobsCSRF(e.csrf["assistant"]))
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"location_text":"Кабинет 3"`) || !strings.Contains(string(r.Body), `"meeting_url":"https://meet.example/abc"`) {
			t.Errorf("edit from the current version: %d %s", r.Status, r.Body)
		}
		for _, body := range []map[string]any{{"meeting_url": "javascript:alert(1)"}, {"meeting_url": 5}, {"location_text": strings.Repeat("я", 501)}} {
			r := owner.Do("PUT", path, body, jobsCSRF(e.csrf["owner"]))
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"errors":{"`) {
				t.Errorf("%v: %d %s", body, r.Status, r.Body)
			}
		}
		if r := e.clients["editor"].Do("PUT", path, map[string]any{"location_text": "x"}, jobsCSRF(e.csrf["editor"])); r.Status != http.StatusForbidden {
			t.Errorf("the editor edited an appointment: %d", r.Status)
		}
	})
}
