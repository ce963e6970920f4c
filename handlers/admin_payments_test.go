package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// adminStaff is the owner and the assistant signed in to one booking server, with their CSRF headers.
type adminStaff struct {
	owner, assistant, editor *testkit.API
	ownerH, assistantH       http.Header
	editorH                  http.Header
}

func adminStaffOf(t *testing.T, e *bookingEnv) adminStaff {
	t.Helper()
	var s adminStaff
	var csrf string
	s.owner, csrf = jobsSignIn(t, e.s, e.r, models.RoleOwner)
	s.ownerH = jobsCSRF(csrf)
	s.assistant, csrf = jobsSignIn(t, e.s, e.r, models.RoleAssistant)
	s.assistantH = jobsCSRF(csrf)
	s.editor, csrf = jobsSignIn(t, e.s, e.r, models.RoleEditor)
	s.editorH = jobsCSRF(csrf)
	return s
}

// paid books slot n for email through the public API and pays it at the YooKassa fake.
func (e *bookingEnv) paid(t *testing.T, n int, email string) bookingBody {
	t.Helper()
	b := e.book(t, bookingSlot(n), email)
	pid := providerPaymentID(t, b)
	e.yk.Succeed(pid)
	if r := e.notify(t, "payment.succeeded", pid); r.Status != http.StatusOK {
		t.Fatalf("payment: %d %s", r.Status, r.Body)
	}
	return b
}

// paymentsOf lists the payments of an appointment in the admin API, oldest first.
func paymentsOf(t *testing.T, c *testkit.API, appointmentID string) []map[string]any {
	t.Helper()
	recs, _ := adminList(t, c, "payments", adminQuery("filter", `{"appointment_id":"`+appointmentID+`"}`, "sort", `["created_at","ASC"]`))
	return recs
}

// auditedActions lists the change keys ("action:refund", "client_name", …) of the audit rows of
// one record, with the role that made each.
func auditedActions(t *testing.T, db *repository.DB, resource, id string) map[string]string {
	t.Helper()
	rows, err := repository.NewAuditLogs(db).List(context.Background(), repository.AuditLogFilter{Resource: resource, ResourceID: id}, repository.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, row := range rows {
		for k, v := range row.Changes {
			if v.From != nil || v.To != nil {
				t.Errorf("audit of %s %s carries values: %s", resource, id, k)
			}
			out[k] = row.ActorRole
		}
		out[string(row.Action)] = row.ActorRole
	}
	return out
}

// fieldErrors reads a 422 of the admin API: the field messages.
func fieldErrors(t *testing.T, r *testkit.Response) map[string]string {
	t.Helper()
	var p struct {
		Errors map[string]string `json:"errors"`
	}
	r.JSON(t, &p)
	return p.Errors
}

type adminCall struct {
	name   string
	as     func(adminStaff) (*testkit.API, http.Header)
	method string
	path   func() string
	body   map[string]any
	status int
	// field, when set, is the field a 422 names; contains, text its message (or the body) holds.
	field, contains string
}

func asOwner(s adminStaff) (*testkit.API, http.Header)     { return s.owner, s.ownerH }
func asAssistant(s adminStaff) (*testkit.API, http.Header) { return s.assistant, s.assistantH }
func asEditor(s adminStaff) (*testkit.API, http.Header)    { return s.editor, s.editorH }

// run makes the calls in order, checking each answer.
func (s adminStaff) run(t *testing.T, calls []adminCall) {
	t.Helper()
	for _, c := range calls {
		api, h := c.as(s)
		r := api.Do(c.method, c.path(), c.body, h)
		if r.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.status)
			continue
		}
		switch {
		case c.field != "":
			errs := fieldErrors(t, r)
			if msg, ok := errs[c.field]; !ok || !strings.Contains(msg, c.contains) {
				t.Errorf("%s: errors %v, want %s: …%q…", c.name, errs, c.field, c.contains)
			}
		case c.contains != "" && !strings.Contains(string(r.Body), c.contains):
			t.Errorf("%s: %s does not hold %s", c.name, r.Body, c.contains)
		}
	}
}

// TestAdminRefundsAPayment: staff refund part of a paid booking, then the rest; too much, nothing
// or a payment that did not succeed are refused; each refund reaches YooKassa through the booking
// service's job with its Idempotence-Key, and the payments list shows what staff need.
func TestAdminRefundsAPayment(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := bookingSetup(t, db, bookingOpts{admin: true})
		s := adminStaffOf(t, e)
		b := e.paid(t, 0, "a@example.com")
		pays := paymentsOf(t, s.assistant, b.ID)
		if len(pays) != 1 {
			t.Fatalf("payments of the booking: %v", pays)
		}
		pay := pays[0]
		for _, f := range []string{"status", "amount_minor", "refunded_minor", "currency", "provider", "provider_payment_id", "paid_at", "updated_at"} {
			if _, ok := pay[f]; !ok {
				t.Errorf("the payments list has no %s: %v", f, pay)
			}
		}
		if pay["status"] != "succeeded" || pay["provider"] != "yookassa" || pay["provider_payment_id"] != providerPaymentID(t, b) {
			t.Errorf("the paid payment: %v", pay)
		}
		payID := pay["id"].(string)

		// A second booking whose payment YooKassa canceled.
		failed := e.book(t, bookingSlot(4), "b@example.com")
		fid := providerPaymentID(t, failed)
		e.yk.SetPaymentStatus(fid, "canceled")
		if r := e.notify(t, "payment.canceled", fid); r.Status != http.StatusOK {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		failedPay := paymentsOf(t, s.owner, failed.ID)[0]["id"].(string)

		refund := func(id string) func() string {
			return func() string { return "/admin/api/payments/" + id + "/actions/refund" }
		}
		s.run(t, []adminCall{
			{"the editor", asEditor, "POST", refund(payID), map[string]any{"amount_minor": 100}, http.StatusForbidden, "", ""},
			{"a part", asAssistant, "POST", refund(payID), map[string]any{"amount_minor": 200000, "reason": "Сессия сокращена"}, http.StatusOK, "", `"status":"succeeded"`},
			{"more than is left", asOwner, "POST", refund(payID), map[string]any{"amount_minor": 300001}, http.StatusUnprocessableEntity, "amount_minor", "не больше 3000.00 RUB"},
			{"nothing", asOwner, "POST", refund(payID), map[string]any{"amount_minor": 0}, http.StatusUnprocessableEntity, "amount_minor", "больше нуля"},
			{"less than nothing", asOwner, "POST", refund(payID), map[string]any{"amount_minor": -100}, http.StatusUnprocessableEntity, "amount_minor", "больше нуля"},
			{"not money", asOwner, "POST", refund(payID), map[string]any{"amount_minor": "all"}, http.StatusUnprocessableEntity, "amount_minor", "целым"},
			{"a long reason", asOwner, "POST", refund(payID), map[string]any{"reason": strings.Repeat("я", 251)}, http.StatusUnprocessableEntity, "reason", "250"},
			{"the rest", asOwner, "POST", refund(payID), nil, http.StatusOK, "", ""},
			{"nothing left", asOwner, "POST", refund(payID), nil, http.StatusUnprocessableEntity, "amount_minor", "возвращать нечего"},
			{"a canceled payment", asOwner, "POST", refund(failedPay), nil, http.StatusConflict, "", ""},
			{"no such payment", asOwner, "POST", refund(uuid.NewString()), nil, http.StatusNotFound, "", ""},
		})

		// Both refunds reach YooKassa through the booking service's job, each with its key.
		refunds, err := repository.NewRefunds(db).ByPayment(ctx, uuid.MustParse(payID))
		if err != nil || len(refunds) != 2 || refunds[0].AmountMinor+refunds[1].AmountMinor != 500000 {
			t.Fatalf("refunds %+v (%v), want 2000.00 and 3000.00", refunds, err)
		}
		recs, _ := adminList(t, s.owner, "refunds", adminQuery("filter", `{"payment_id":"`+payID+`"}`))
		if len(recs) != 2 {
			t.Errorf("the refunds list: %v", recs)
		}
		for _, r := range refunds {
			if err := e.b.RunRefund(ctx, r.ID); err != nil || e.yk.KeyUses(r.IdempotenceKey) != 1 {
				t.Fatalf("refund %s at YooKassa: %v, key used %d times", r.ID, err, e.yk.KeyUses(r.IdempotenceKey))
			}
		}
		after := paymentsOf(t, s.owner, b.ID)[0]
		if after["status"] != "refunded" || after["refunded_minor"] != float64(500000) {
			t.Errorf("the payment after both refunds: %v", after)
		}
		if a := auditedActions(t, db, "payments", payID); a["action:refund"] == "" || a["amount_minor"] == "" || a["reason"] == "" {
			t.Errorf("no audit rows for the refunds: %v", a)
		}
	})
}

// TestAdminCancelWithAChosenRefund: either role cancels with a full refund; the owner may choose
// the amount (0 … paid); an assistant's amount is refused on the field.
func TestAdminCancelWithAChosenRefund(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := bookingSetup(t, db, bookingOpts{admin: true})
		s := adminStaffOf(t, e)
		first, second, third := e.paid(t, 0, "a@example.com"), e.paid(t, 4, "b@example.com"), e.paid(t, 8, "c@example.com")
		cancel := func(b bookingBody) func() string {
			return func() string { return "/admin/api/appointments/" + b.ID + "/actions/cancel" }
		}
		s.run(t, []adminCall{
			{"the assistant's amount", asAssistant, "POST", cancel(first), map[string]any{"refund_minor": 100000}, http.StatusUnprocessableEntity, "refund_minor", "только владелец"},
			{"more than was paid", asOwner, "POST", cancel(first), map[string]any{"refund_minor": 500001}, http.StatusUnprocessableEntity, "refund_minor", "не больше 5000.00 RUB"},
			{"the owner's amount", asOwner, "POST", cancel(first), map[string]any{"refund_minor": 150000}, http.StatusOK, "", `"canceled_by":"staff"`},
			{"the owner refunds nothing", asOwner, "POST", cancel(second), map[string]any{"refund_minor": 0}, http.StatusOK, "", `"status":"canceled"`},
			{"the assistant, in full", asAssistant, "POST", cancel(third), nil, http.StatusOK, "", `"status":"canceled"`},
		})
		for _, tc := range []struct {
			b    bookingBody
			want int64
		}{{first, 150000}, {second, 0}, {third, 500000}} {
			a, err := e.appts.ByID(ctx, uuid.MustParse(tc.b.ID))
			if err != nil {
				t.Fatal(err)
			}
			refunds, err := repository.NewRefunds(db).ByPayment(ctx, a.Payments[0].ID)
			var total int64
			for _, r := range refunds {
				total += r.AmountMinor
			}
			if err != nil || total != tc.want {
				t.Errorf("%s: refunds %+v (%v), want %d", tc.b.ID, refunds, err, tc.want)
			}
		}
		if a := auditedActions(t, db, "appointments", first.ID); a["action:cancel"] != "owner" || a["refund_minor"] == "" {
			t.Errorf("audit of the owner's cancel: %v", a)
		}
	})
}

// TestAdminReschedulesABooking: staff move a confirmed booking through the booking service's
// slot checks; the old time is offered again and the new one is not.
func TestAdminReschedulesABooking(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{admin: true})
		s := adminStaffOf(t, e)
		b := e.paid(t, 0, "a@example.com")
		e.paid(t, 4, "b@example.com")
		unpaid := e.book(t, bookingSlot(12), "c@example.com")
		// Closer to the start than the client may move it (12 hours).
		e.clock.Set(bookingSlot(0).Add(-3 * time.Hour))
		move := func(id string) func() string {
			return func() string { return "/admin/api/appointments/" + id + "/actions/reschedule" }
		}
		at := func(n int) map[string]any { return map[string]any{"start_at": bookingSlot(n).Format(time.RFC3339)} }
		s.run(t, []adminCall{
			{"no time", asOwner, "POST", move(b.ID), nil, http.StatusUnprocessableEntity, "start_at", "обязательное"},
			{"not a time", asOwner, "POST", move(b.ID), map[string]any{"start_at": "завтра"}, http.StatusUnprocessableEntity, "start_at", "дат"},
			{"a taken time", asOwner, "POST", move(b.ID), at(4), http.StatusConflict, "", "slot-taken"},
			{"outside the hours", asOwner, "POST", move(b.ID), map[string]any{"start_at": bookingSlot(0).Add(13 * time.Hour).Format(time.RFC3339)},
				http.StatusUnprocessableEntity, "start_at", "расписания"},
			{"an unpaid booking", asOwner, "POST", move(unpaid.ID), at(8), http.StatusConflict, "", ""},
			{"the editor", asEditor, "POST", move(b.ID), at(8), http.StatusForbidden, "", ""},
			{"the assistant moves it", asAssistant, "POST", move(b.ID), at(8), http.StatusOK, "", `"status":"rescheduled"`},
			{"again", asAssistant, "POST", move(b.ID), at(10), http.StatusConflict, "", ""},
		})
		free := e.slotStarts(t)
		if !free[bookingSlot(0).UTC().Format(time.RFC3339)] || free[bookingSlot(8).UTC().Format(time.RFC3339)] {
			t.Errorf("after the move: old time offered %v, new time offered %v", free[bookingSlot(0).UTC().Format(time.RFC3339)], free[bookingSlot(8).UTC().Format(time.RFC3339)])
		}
		moved, _ := adminList(t, s.owner, "appointments", adminQuery("filter", `{"rescheduled_from_id":"`+b.ID+`"}`))
		if len(moved) != 1 || moved[0]["status"] != "confirmed" || moved[0]["start_at"] != bookingSlot(8).UTC().Format(time.RFC3339) {
			t.Fatalf("the moved booking: %v", moved)
		}
		if pays := paymentsOf(t, s.owner, moved[0]["id"].(string)); len(pays) != 1 || pays[0]["status"] != "succeeded" {
			t.Errorf("the payment moved with it: %v", pays)
		}
		if e.pub.Count("appointment.rescheduled") != 1 {
			t.Errorf("appointment.rescheduled events: %d", e.pub.Count("appointment.rescheduled"))
		}
		if a := auditedActions(t, db, "appointments", b.ID); a["action:reschedule"] != "assistant" || a["start_at"] == "" {
			t.Errorf("audit of the move: %v", a)
		}
	})
}

// TestAdminConfirmsAPaidOfflineBooking: a booking waiting for its online payment is confirmed as
// paid in cash: a manual payment is recorded and the online one called off.
func TestAdminConfirmsAPaidOfflineBooking(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{admin: true})
		s := adminStaffOf(t, e)
		b := e.book(t, bookingSlot(0), "a@example.com")
		confirmed := e.paid(t, 4, "b@example.com")
		confirm := func(id string) func() string {
			return func() string { return "/admin/api/appointments/" + id + "/actions/confirm" }
		}
		s.run(t, []adminCall{
			{"nothing received", asAssistant, "POST", confirm(b.ID), map[string]any{"amount_minor": 0}, http.StatusUnprocessableEntity, "amount_minor", "больше нуля"},
			{"a paid booking", asAssistant, "POST", confirm(confirmed.ID), nil, http.StatusConflict, "", ""},
			{"the editor", asEditor, "POST", confirm(b.ID), nil, http.StatusForbidden, "", ""},
			{"paid in cash", asAssistant, "POST", confirm(b.ID), nil, http.StatusOK, "", `"status":"confirmed"`},
			{"twice", asAssistant, "POST", confirm(b.ID), nil, http.StatusConflict, "", ""},
		})
		pays := paymentsOf(t, s.owner, b.ID)
		if len(pays) != 2 || pays[1]["provider"] != "manual" || pays[1]["status"] != "succeeded" || pays[1]["amount_minor"] != float64(500000) ||
			pays[1]["paid_at"] == nil {
			t.Fatalf("payments after the confirmation: %v", pays)
		}
		// The online payment is called off at YooKassa by the booking service's job.
		if err := e.b.CancelPayment(context.Background(), uuid.MustParse(pays[0]["id"].(string))); err != nil {
			t.Fatal(err)
		}
		if p := paymentsOf(t, s.owner, b.ID)[0]; p["status"] != "canceled" {
			t.Errorf("the online payment: %v", p)
		}
		var remote struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(e.yk.PaymentJSON(providerPaymentID(t, b)), &remote); err != nil || remote.Status != "canceled" {
			t.Errorf("at YooKassa: %+v %v", remote, err)
		}
		if a := auditedActions(t, db, "appointments", b.ID); a["action:confirm"] != "assistant" {
			t.Errorf("audit of the confirmation: %v", a)
		}
	})
}

// TestAdminPhoneBooking: staff book a client who called through the public booking's checks: the
// time is no longer offered publicly, a second booking of it is a 409, a time outside the schedule
// a 422; the booking is confirmed without an online payment and audited.
func TestAdminPhoneBooking(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{admin: true})
		s := adminStaffOf(t, e)
		services, _ := adminList(t, s.owner, "services", "")
		if len(services) != 1 {
			t.Fatalf("services: %v", services)
		}
		svcID := services[0]["id"].(string)
		book := func(n int, extra map[string]any) map[string]any {
			body := map[string]any{
				"service_id": svcID, "start_at": bookingSlot(n).Format(time.RFC3339), "format": "offline",
				"client_name": "Ольга", "client_email": "olga@example.com", "client_phone": "+7 999 000-11-22",
				"comment": "Позвонила в пятницу",
			}
			for k, v := range extra {
				body[k] = v
			}
			return body
		}
		path := func() string { return "/admin/api/appointments" }
		s.run(t, []adminCall{
			{"the editor", asEditor, "POST", path, book(0, nil), http.StatusForbidden, "", ""},
			{"no contact", asOwner, "POST", path, book(0, map[string]any{"client_email": "", "client_phone": nil}), http.StatusUnprocessableEntity, "client_email", "телефон"},
			{"no service", asOwner, "POST", path, book(0, map[string]any{"service_id": nil}), http.StatusUnprocessableEntity, "service_id", "обязательное"},
			{"an unknown service", asOwner, "POST", path, book(0, map[string]any{"service_id": uuid.NewString()}), http.StatusUnprocessableEntity, "service_id", "услугу"},
			{"a bad email", asOwner, "POST", path, book(0, map[string]any{"client_email": "olga"}), http.StatusUnprocessableEntity, "client_email", "почты"},
			{"a bad format", asOwner, "POST", path, book(0, map[string]any{"format": "phone"}), http.StatusUnprocessableEntity, "format", "формате"},
			{"outside the hours", asOwner, "POST", path, map[string]any{"service_id": svcID, "start_at": bookingSlot(0).Add(13 * time.Hour).Format(time.RFC3339),
				"format": "online", "client_name": "Ольга", "client_phone": "+7 999 000-11-22"}, http.StatusUnprocessableEntity, "start_at", "расписания"},
			{"booked", asAssistant, "POST", path, book(0, nil), http.StatusCreated, "", `"status":"confirmed"`},
			{"the same time again", asOwner, "POST", path, book(0, map[string]any{"client_email": "petr@example.com"}), http.StatusConflict, "", "slot-taken"},
			{"by phone only", asOwner, "POST", path, book(4, map[string]any{"client_email": nil, "client_name": "Пётр", "client_phone": "+7 999 333-44-55"}), http.StatusCreated, "", `"client_user_id":null`},
		})
		free := e.slotStarts(t)
		for _, n := range []int{0, 4} {
			if free[bookingSlot(n).UTC().Format(time.RFC3339)] {
				t.Errorf("slot %d is still offered publicly", n)
			}
		}
		if r := e.s.api.Do("POST", "/api/v1/bookings", bookingRequest(bookingSlot(0), "c@example.com")); r.Status != http.StatusConflict {
			t.Errorf("a client books the phone booking's time: %d %s", r.Status, r.Body)
		}
		recs, _ := adminList(t, s.owner, "appointments", adminQuery("filter", `{"status":"confirmed"}`))
		if len(recs) != 2 {
			t.Fatalf("phone bookings: %v", recs)
		}
		for _, rec := range recs {
			if pays := paymentsOf(t, s.owner, rec["id"].(string)); len(pays) != 0 {
				t.Errorf("a phone booking has payments: %v", pays)
			}
			a := auditedActions(t, db, "appointments", rec["id"].(string))
			if a["create"] == "" || a["client_name"] == "" || a["start_at"] == "" {
				t.Errorf("audit of the phone booking: %v", a)
			}
		}

		// The schema offers the create form to the practice.
		var schema struct {
			Resources []struct {
				Name         string `json:"name"`
				CreateFields []struct {
					Name     string `json:"name"`
					Required bool   `json:"required"`
				} `json:"create_fields"`
			} `json:"resources"`
		}
		s.assistant.Do("GET", "/admin/api/schema", nil).JSON(t, &schema)
		for _, r := range schema.Resources {
			if r.Name == "appointments" && (len(r.CreateFields) != 7 || r.CreateFields[0].Name != "service_id" || !r.CreateFields[0].Required) {
				t.Errorf("create fields of appointments: %+v", r.CreateFields)
			}
		}
	})
}
