package booking_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// confirmed books slot n for email and pays it.
func (e *env) confirmed(t *testing.T, n int, email string) *booking.BookingResult {
	t.Helper()
	res := e.book(t, n, email)
	if out := e.pay(t, res.Appointment); out != "confirmed" {
		t.Fatalf("pay: %s", out)
	}
	res.Appointment = e.appointment(t, res.Appointment.ID)
	return res
}

func TestManageNeedsTheToken(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res := e.book(t, 0, "a@example.com")
		other := e.book(t, 4, "b@example.com")
		if a, err := e.b.Manage(ctx, res.Appointment.ID, res.ManageToken); err != nil || a.ID != res.Appointment.ID {
			t.Fatalf("own token: %v", err)
		}
		for name, tc := range map[string]struct {
			id    uuid.UUID
			token string
		}{
			"no token":         {res.Appointment.ID, ""},
			"wrong token":      {res.Appointment.ID, "x" + res.ManageToken},
			"another's token":  {res.Appointment.ID, other.ManageToken},
			"token of another": {other.Appointment.ID, res.ManageToken},
			"no such booking":  {uuid.New(), res.ManageToken},
		} {
			if _, err := e.b.Manage(ctx, tc.id, tc.token); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s: %v", name, err)
			}
			if _, err := e.b.Cancel(ctx, tc.id, tc.token, ""); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s cancel: %v", name, err)
			}
		}
	})
}

func TestCancelRefundsByPolicyAtTheBoundaries(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		// Four bookings on Thursday; each is canceled at one boundary instant of its own.
		cases := []struct {
			slot   int
			before time.Duration // cancel this long before the start
			refund int64
		}{
			{0, 24 * time.Hour, 500000},             // the last instant of free cancellation
			{4, 24*time.Hour - time.Second, 250000}, // a second later: the partial share
			{8, 12 * time.Hour, 250000},             // the last instant of the partial window
			{12, 12*time.Hour - time.Second, 0},     // a second later: nothing
		}
		results := make([]*booking.BookingResult, len(cases))
		for i, c := range cases {
			results[i] = e.confirmed(t, c.slot, "c"+string(rune('a'+i))+"@example.com")
		}
		for i, c := range cases {
			a := results[i].Appointment
			e.clock.Set(a.StartAt.Add(-c.before))
			if got := e.b.RefundIfCanceledNow(a); got != c.refund {
				t.Errorf("slot %d: preview %d, want %d", c.slot, got, c.refund)
			}
			res, err := e.b.Cancel(ctx, a.ID, results[i].ManageToken, "plans changed")
			if err != nil {
				t.Fatalf("slot %d: %v", c.slot, err)
			}
			if res.RefundMinor != c.refund || res.Appointment.Status != models.AppointmentStatusCanceled {
				t.Errorf("slot %d: refund %d status %s, want %d", c.slot, res.RefundMinor, res.Appointment.Status, c.refund)
			}
			refunds := e.runRefunds(t, res.Appointment)
			if c.refund == 0 {
				if len(refunds) != 0 {
					t.Errorf("slot %d: refunds %+v", c.slot, refunds)
				}
				continue
			}
			if len(refunds) != 1 || refunds[0].Status != models.RefundStatusSucceeded || refunds[0].AmountMinor != c.refund {
				t.Fatalf("slot %d: refunds %+v", c.slot, refunds)
			}
			// Through the API, with the refund's idempotence key; running the job again asks nothing.
			if n := e.yk.KeyUses(refunds[0].IdempotenceKey); n != 1 {
				t.Errorf("refund key used %d times", n)
			}
			if err := e.b.RunRefund(ctx, refunds[0].ID); err != nil || e.yk.KeyUses(refunds[0].IdempotenceKey) != 1 {
				t.Errorf("second run: %v", err)
			}
			p := e.appointment(t, a.ID).Payments[0]
			want := models.PaymentStatusPartiallyRefunded
			if c.refund == 500000 {
				want = models.PaymentStatusRefunded
			}
			if p.Status != want || p.RefundedMinor != c.refund {
				t.Errorf("slot %d: payment %s refunded %d", c.slot, p.Status, p.RefundedMinor)
			}
			// The webhook of that refund arrives later: a duplicate.
			if out, err := e.b.HandleNotification(ctx, "refund.succeeded", *refunds[0].ProviderRefundID); err != nil || out != "duplicate" {
				t.Errorf("refund webhook: %q %v", out, err)
			}
		}
		if e.pub.Count("refund.succeeded") != 3 {
			t.Errorf("refund.succeeded events %d", e.pub.Count("refund.succeeded"))
		}
		// Once started, a confirmed appointment cannot be canceled by its client.
		late := e.confirmed(t, 16, "late@example.com")
		e.clock.Set(late.Appointment.StartAt)
		if _, err := e.b.Cancel(ctx, late.Appointment.ID, late.ManageToken, ""); !errors.Is(err, models.ErrTooLateToCancel) {
			t.Errorf("cancel at the start: %v", err)
		}
	})
}

func TestCancelUnpaidBookingCallsOffThePayment(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res := e.book(t, 0, "a@example.com")
		out, err := e.b.Cancel(ctx, res.Appointment.ID, res.ManageToken, "")
		if err != nil || out.RefundMinor != 0 || out.Appointment.Status != models.AppointmentStatusCanceled {
			t.Fatalf("cancel: %+v %v", out, err)
		}
		jobs := e.scheduled(t, booking.TaskCancelPayment)
		if len(jobs) != 1 {
			t.Fatalf("cancel-payment jobs %+v", jobs)
		}
		pay := out.Appointment.Payments[0]
		if err := e.b.CancelPayment(ctx, pay.ID); err != nil {
			t.Fatal(err)
		}
		if st := e.providerStatus(t, *pay.ProviderPaymentID); st != "canceled" {
			t.Errorf("provider status %s", st)
		}
		if p := e.appointment(t, res.Appointment.ID).Payments[0]; p.Status != models.PaymentStatusCanceled {
			t.Errorf("payment %s", p.Status)
		}
		// Paid at the provider just before the cancel arrived: refunded in full.
		res = e.book(t, 4, "b@example.com")
		if _, err := e.b.Cancel(ctx, res.Appointment.ID, res.ManageToken, ""); err != nil {
			t.Fatal(err)
		}
		pay = e.appointment(t, res.Appointment.ID).Payments[0]
		e.yk.Succeed(*pay.ProviderPaymentID)
		if err := e.b.CancelPayment(ctx, pay.ID); err != nil {
			t.Fatal(err)
		}
		refunds := e.runRefunds(t, res.Appointment)
		if len(refunds) != 1 || refunds[0].AmountMinor != 500000 || refunds[0].Status != models.RefundStatusSucceeded {
			t.Errorf("refunds %+v", refunds)
		}
	})
}

func TestRescheduleAtTheBoundary(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res := e.confirmed(t, 0, "a@example.com")
		a := res.Appointment
		if _, err := e.b.SaveIntakeForm(ctx, a.ID, res.ManageToken, models.IntakeAnswers{"goal": "sleep"}, false); err != nil {
			t.Fatal(err)
		}
		// Pending bookings cannot move.
		pending := e.book(t, 12, "p@example.com")
		if _, err := e.b.Reschedule(ctx, pending.Appointment.ID, pending.ManageToken, envSlot(14)); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("pending: %v", err)
		}

		// A second after the deadline: refused.
		e.clock.Set(a.StartAt.Add(-12*time.Hour + time.Second))
		if _, err := e.b.Reschedule(ctx, a.ID, res.ManageToken, envSlot(4)); !errors.Is(err, models.ErrTooLateToReschedule) {
			t.Fatalf("after the deadline: %v", err)
		}
		// Onto a taken time, or off the grid: refused, nothing moves.
		if _, err := e.b.Reschedule(ctx, a.ID, res.ManageToken, envSlot(12)); !errors.Is(err, models.ErrSlotTaken) {
			t.Errorf("onto a taken time: %v", err)
		}
		if _, err := e.b.Reschedule(ctx, a.ID, res.ManageToken, envSlot(4).Add(time.Minute)); !isValidation(err, "start") {
			t.Errorf("off the grid: %v", err)
		}
		// At the deadline itself: allowed — even half an hour later, overlapping its own time.
		e.clock.Set(a.StartAt.Add(-12 * time.Hour))
		next, err := e.b.Reschedule(ctx, a.ID, res.ManageToken, envSlot(1))
		if err != nil {
			t.Fatalf("at the deadline: %v", err)
		}
		if next.Status != models.AppointmentStatusConfirmed || !next.StartAt.Equal(envSlot(1)) || next.RescheduledFromID == nil || *next.RescheduledFromID != a.ID {
			t.Errorf("new booking %+v", next)
		}
		// The answer carries the intake form's status; its answers (P2) are read on their own.
		if len(next.Payments) != 1 || next.Payments[0].ID != a.Payments[0].ID || next.IntakeForm == nil || next.IntakeForm.Payload != nil {
			t.Errorf("payment and intake form did not move: %+v %+v", next.Payments, next.IntakeForm)
		}
		if f, err := e.b.IntakeForm(ctx, next.ID, res.ManageToken); err != nil || f.Payload["goal"] != "sleep" {
			t.Errorf("the moved intake form: %+v, %v", f, err)
		}
		if old := e.appointment(t, a.ID); old.Status != models.AppointmentStatusRescheduled {
			t.Errorf("old booking %s", old.Status)
		}
		// The token moved with the booking.
		if _, err := e.b.Manage(ctx, a.ID, res.ManageToken); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("old id still managed: %v", err)
		}
		if _, err := e.b.Manage(ctx, next.ID, res.ManageToken); err != nil {
			t.Errorf("new id: %v", err)
		}
		// The old time (but for the overlap) is free; the new one is not.
		e.book(t, 3, "c@example.com")
		if _, err := e.b.Book(ctx, input(1, "d@example.com")); !errors.Is(err, models.ErrSlotTaken) {
			t.Errorf("the new time: %v", err)
		}
	})
}

func TestIntakeForm(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res := e.book(t, 0, "a@example.com")
		id, token := res.Appointment.ID, res.ManageToken
		if _, err := e.b.IntakeForm(ctx, id, token); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("no form yet: %v", err)
		}
		secret := "I cannot sleep since the accident"
		draft, err := e.b.SaveIntakeForm(ctx, id, token, models.IntakeAnswers{"concern": secret, "sessions_before": float64(2)}, false)
		if err != nil || draft.Status != models.IntakeFormStatusDraft {
			t.Fatalf("draft: %+v %v", draft, err)
		}
		var raw string
		if err := db.SQL.QueryRowContext(ctx, "SELECT payload FROM intake_forms").Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "sleep") || !strings.HasPrefix(raw, "gAAAAA") {
			t.Errorf("payload stored as %q", raw)
		}
		sent, err := e.b.SaveIntakeForm(ctx, id, token, models.IntakeAnswers{"concern": secret, "topics": []any{"sleep", "anxiety"}}, true)
		if err != nil || sent.Status != models.IntakeFormStatusSubmitted || sent.SubmittedAt == nil || len(sent.Payload) != 2 {
			t.Fatalf("submit: %+v %v", sent, err)
		}
		if _, err := e.b.SaveIntakeForm(ctx, id, token, models.IntakeAnswers{"concern": "edit"}, false); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("edit after submit: %v", err)
		}
		got, err := e.b.IntakeForm(ctx, id, token)
		if err != nil || got.Payload["concern"] != secret {
			t.Errorf("read back: %v", err)
		}
		if e.pub.Count("intake_form.submitted") != 1 {
			t.Errorf("submitted events %d", e.pub.Count("intake_form.submitted"))
		}
		// A canceled booking takes no form.
		if _, err := e.b.Cancel(ctx, id, token, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.b.SaveIntakeForm(ctx, id, token, models.IntakeAnswers{"a": "b"}, false); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("canceled booking: %v", err)
		}
	})
}

func TestWaitlistHearsOfFreedTime(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		join := func(email, from, to string) *models.WaitlistEntry {
			t.Helper()
			w, err := e.b.JoinWaitlist(ctx, booking.WaitlistInput{
				ServiceSlug: "individual-session", From: from, To: to, Timezone: models.MustTimeZone("Europe/Berlin"),
				Client:   contact("W", email, ""),
				Consents: []booking.ConsentInput{{Type: models.ConsentPersonalData, Version: "2026-01"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		thursday := join("thu@example.com", "2026-12-03", "2026-12-03")
		anyDay := join("any@example.com", "", "")
		friday := join("fri@example.com", "2026-12-04", "2026-12-04")
		if thursday.PreferredFrom == nil || !thursday.PreferredFrom.Equal(time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)) ||
			!thursday.PreferredTo.Equal(time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)) {
			t.Errorf("Thursday in Moscow: %v – %v", thursday.PreferredFrom, thursday.PreferredTo)
		}
		for name, in := range map[string]booking.WaitlistInput{
			"bad date":     {ServiceSlug: "individual-session", From: "03.12.2026"},
			"reversed":     {ServiceSlug: "individual-session", From: "2026-12-04", To: "2026-12-03"},
			"past":         {ServiceSlug: "individual-session", To: "2026-11-01"},
			"no consent":   {ServiceSlug: "individual-session"},
			"unknown slug": {ServiceSlug: "nope"},
		} {
			in.Client = contact("W", "w@example.com", "")
			if name != "no consent" {
				in.Consents = []booking.ConsentInput{{Type: models.ConsentPersonalData, Version: "1"}}
			}
			if _, err := e.b.JoinWaitlist(ctx, in); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}

		res := e.confirmed(t, 0, "a@example.com")
		if _, err := e.b.Cancel(ctx, res.Appointment.ID, res.ManageToken, ""); err != nil {
			t.Fatal(err)
		}
		// Deliver appointment.canceled to the waitlist subscriber, twice (at-least-once delivery).
		ev := models.AppointmentCanceled{EventMeta: models.NewEventMeta(res.Appointment.ID, e.clock.Now()), By: models.BookingActorClient, From: models.AppointmentStatusConfirmed}
		subs := e.subs.For(ev.EventName())
		var handler func(context.Context, models.Event) error
		for _, s := range subs {
			if s.Name == booking.WaitlistSubscriber {
				handler = s.Handle
			}
		}
		if handler == nil {
			t.Fatalf("no waitlist subscriber for %s", ev.EventName())
		}
		for range 2 {
			if err := handler(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			w    *models.WaitlistEntry
			want models.WaitlistStatus
		}{{thursday, models.WaitlistStatusNotified}, {anyDay, models.WaitlistStatusNotified}, {friday, models.WaitlistStatusActive}} {
			got, err := e.st.Waitlist.ByID(ctx, c.w.ID)
			if err != nil || got.Status != c.want {
				t.Errorf("entry %s: %s (%v), want %s", *c.w.Email, got.Status, err, c.want)
			}
		}
		if n := e.pub.Count("waitlist.slot_freed"); n != 2 {
			t.Errorf("waitlist.slot_freed events %d, want 2", n)
		}
		// A booking that is active again, or an unknown one, frees nothing.
		active := e.confirmed(t, 8, "b@example.com")
		if err := handler(ctx, models.AppointmentCanceled{EventMeta: models.NewEventMeta(active.Appointment.ID, e.clock.Now())}); err != nil {
			t.Fatal(err)
		}
		if err := handler(ctx, models.AppointmentCanceled{EventMeta: models.NewEventMeta(uuid.New(), e.clock.Now())}); err != nil {
			t.Fatal(err)
		}
		if n := e.pub.Count("waitlist.slot_freed"); n != 2 {
			t.Errorf("waitlist.slot_freed events %d, want still 2", n)
		}
	})
}
