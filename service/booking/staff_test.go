package booking_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

func int64Ptr(n int64) *int64 { return &n }

func isRefundAmount(err error, refundable int64) bool {
	var ae *booking.RefundAmountError
	return errors.As(err, &ae) && ae.Refundable == refundable && isValidation(err, "amount")
}

// TestRefundPaymentByStaff: staff refund part of a paid booking, then the rest (what is being
// refunded already counts), through the same refund job as a cancellation; more than is left,
// nothing, or a payment that did not succeed are refused.
func TestRefundPaymentByStaff(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.confirmed(t, 0, "a@example.com").Appointment
		pay := a.Payments[0]

		first, err := e.b.RefundPayment(ctx, pay.ID, int64Ptr(200000), "часть сессии")
		if err != nil || first.AmountMinor != 200000 || first.Status != models.RefundStatusPending || first.Reason != "часть сессии" {
			t.Fatalf("first refund: %+v %v", first, err)
		}
		for name, amount := range map[string]*int64{"more than is left": int64Ptr(300001), "nothing": int64Ptr(0), "less than nothing": int64Ptr(-5)} {
			if _, err := e.b.RefundPayment(ctx, pay.ID, amount, ""); !isRefundAmount(err, 300000) {
				t.Errorf("%s: %v", name, err)
			}
		}
		rest, err := e.b.RefundPayment(ctx, pay.ID, nil, "")
		if err != nil || rest.AmountMinor != 300000 {
			t.Fatalf("the rest: %+v %v", rest, err)
		}
		if _, err := e.b.RefundPayment(ctx, pay.ID, nil, ""); !isRefundAmount(err, 0) {
			t.Errorf("a third refund of a payment being refunded in full: %v", err)
		}
		if jobs := e.scheduled(t, booking.TaskRefund); len(jobs) != 2 {
			t.Errorf("refund jobs: %d, want 2", len(jobs))
		}
		for _, r := range e.runRefunds(t, a) {
			if r.Status != models.RefundStatusSucceeded || e.yk.KeyUses(r.IdempotenceKey) != 1 {
				t.Errorf("refund %s: %s, key used %d times", r.ID, r.Status, e.yk.KeyUses(r.IdempotenceKey))
			}
		}
		after, err := e.st.Payments.ByID(ctx, pay.ID)
		if err != nil || after.Status != models.PaymentStatusRefunded || after.RefundedMinor != 500000 {
			t.Fatalf("payment after both refunds: %+v %v", after, err)
		}
		if _, err := e.b.RefundPayment(ctx, pay.ID, int64Ptr(1), ""); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("refund a refunded payment: %v", err)
		}

		// A payment still waiting for the client.
		unpaid := e.book(t, 4, "b@example.com").Appointment
		if _, err := e.b.RefundPayment(ctx, unpaid.Payments[0].ID, nil, ""); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("refund an unpaid payment: %v", err)
		}
	})
}

// TestCancelByStaffWithAChosenRefund: the practice cancels refunding everything by default, or
// the amount it chooses (0 … paid); an amount beyond that cancels nothing.
func TestCancelByStaffWithAChosenRefund(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		for _, tc := range []struct {
			slot   int
			refund *int64
			want   int64
		}{
			{0, nil, 500000},
			{4, int64Ptr(150000), 150000},
			{8, int64Ptr(0), 0},
		} {
			a := e.confirmed(t, tc.slot, "c"+string(rune('a'+tc.slot))+"@example.com").Appointment
			if tc.refund != nil {
				if _, err := e.b.CancelByStaff(ctx, a.ID, booking.StaffCancel{RefundMinor: int64Ptr(500001)}); !isRefundAmount(err, 500000) {
					t.Fatalf("slot %d: more than was paid: %v", tc.slot, err)
				}
				if got := e.appointment(t, a.ID); got.Status != models.AppointmentStatusConfirmed {
					t.Fatalf("slot %d: a refused cancel canceled: %s", tc.slot, got.Status)
				}
			}
			res, err := e.b.CancelByStaff(ctx, a.ID, booking.StaffCancel{RefundMinor: tc.refund})
			if err != nil || res.RefundMinor != tc.want || res.Appointment.Status != models.AppointmentStatusCanceled ||
				*res.Appointment.CanceledBy != models.BookingActorStaff {
				t.Fatalf("slot %d: %+v %v", tc.slot, res, err)
			}
			refunds, err := e.st.Refunds.ByPayment(ctx, a.Payments[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, r := range refunds {
				total += r.AmountMinor
			}
			if total != tc.want || (tc.want == 0) != (len(refunds) == 0) {
				t.Errorf("slot %d: refunds %+v, want %d", tc.slot, refunds, tc.want)
			}
		}
	})
}

// TestRescheduleByStaff: staff move a booking inside the client's deadline (the client may not),
// through the same slot checks; the payment moves with it and the old time is free.
func TestRescheduleByStaff(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res := e.confirmed(t, 0, "a@example.com")
		e.confirmed(t, 4, "b@example.com")
		e.clock.Set(envSlot(0).Add(-6 * time.Hour)) // inside the 12 hours the client may not move it
		if _, err := e.b.Reschedule(ctx, res.Appointment.ID, res.ManageToken, envSlot(8)); !errors.Is(err, models.ErrTooLateToReschedule) {
			t.Fatalf("the client's late move: %v", err)
		}
		if _, err := e.b.RescheduleByStaff(ctx, res.Appointment.ID, envSlot(4)); !errors.Is(err, models.ErrSlotTaken) {
			t.Errorf("onto a taken time: %v", err)
		}
		if _, err := e.b.RescheduleByStaff(ctx, res.Appointment.ID, envSlot(0).Add(13*time.Hour)); !isValidation(err, "start") {
			t.Errorf("outside the hours: %v", err)
		}
		next, err := e.b.RescheduleByStaff(ctx, res.Appointment.ID, envSlot(8))
		if err != nil || next.Status != models.AppointmentStatusConfirmed || !next.StartAt.Equal(envSlot(8)) ||
			*next.RescheduledFromID != res.Appointment.ID || len(next.Payments) != 1 {
			t.Fatalf("staff move: %+v %v", next, err)
		}
		if old := e.appointment(t, res.Appointment.ID); old.Status != models.AppointmentStatusRescheduled {
			t.Errorf("old booking: %s", old.Status)
		}
		// The old time is bookable again.
		if _, err := e.b.RescheduleByStaff(ctx, next.ID, envSlot(0)); err != nil {
			t.Errorf("back to the freed time: %v", err)
		}
		if _, err := e.b.RescheduleByStaff(ctx, res.Appointment.ID, envSlot(12)); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("move a moved booking: %v", err)
		}
	})
}

// TestConfirmPaidOffline: a booking waiting for its online payment is confirmed as paid in cash:
// a payment by hand, the online one called off; a refund of the cash payment is recorded as made
// at once; should the client pay online after all, that payment is refunded.
func TestConfirmPaidOffline(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.book(t, 0, "a@example.com").Appointment
		online := a.Payments[0]
		got, err := e.b.ConfirmPaidOffline(ctx, a.ID, nil)
		if err != nil || got.Status != models.AppointmentStatusConfirmed || got.HoldExpiresAt != nil || len(got.Payments) != 2 {
			t.Fatalf("confirm: %+v %v", got, err)
		}
		cash := got.Payments[1]
		if cash.Provider != models.PaymentProviderManual || cash.Status != models.PaymentStatusSucceeded || cash.AmountMinor != 500000 || cash.PaidAt == nil {
			t.Errorf("the cash payment: %+v", cash)
		}
		if jobs := e.scheduled(t, booking.TaskCancelPayment); len(jobs) != 1 {
			t.Errorf("cancel-payment jobs: %d", len(jobs))
		}
		if _, err := e.b.ConfirmPaidOffline(ctx, a.ID, nil); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("confirm twice: %v", err)
		}
		if e.pub.Count("appointment.confirmed") != 1 || e.pub.Count("payment.succeeded") != 1 {
			t.Errorf("events: confirmed %d, payment.succeeded %d", e.pub.Count("appointment.confirmed"), e.pub.Count("payment.succeeded"))
		}

		// The client paid online too before the call-off reached YooKassa: refunded in full.
		e.yk.Succeed(*online.ProviderPaymentID)
		out, err := e.b.HandleNotification(ctx, "payment.succeeded", *online.ProviderPaymentID)
		if err != nil || !strings.HasPrefix(out, "refunding") {
			t.Fatalf("the second payment: %q %v", out, err)
		}
		if refunds, err := e.st.Refunds.ByPayment(ctx, online.ID); err != nil || len(refunds) != 1 || refunds[0].AmountMinor != 500000 {
			t.Errorf("refund of the online payment: %+v %v", refunds, err)
		}

		// Cash goes back by hand: the refund is made at once, no job, no provider.
		jobs := len(e.scheduled(t, booking.TaskRefund))
		r, err := e.b.RefundPayment(ctx, cash.ID, int64Ptr(100000), "")
		if err != nil || r.Status != models.RefundStatusSucceeded || r.ProviderRefundID != nil {
			t.Fatalf("cash refund: %+v %v", r, err)
		}
		if p, _ := e.st.Payments.ByID(ctx, cash.ID); p.Status != models.PaymentStatusPartiallyRefunded || p.RefundedMinor != 100000 {
			t.Errorf("cash payment after the refund: %+v", p)
		}
		if n := len(e.scheduled(t, booking.TaskRefund)); n != jobs {
			t.Errorf("a cash refund queued a provider job: %d → %d", jobs, n)
		}

		// A chosen amount; nothing is refused.
		b := e.book(t, 4, "b@example.com").Appointment
		if _, err := e.b.ConfirmPaidOffline(ctx, b.ID, int64Ptr(0)); !isValidation(err, "amount") {
			t.Errorf("confirm with nothing paid: %v", err)
		}
		got, err = e.b.ConfirmPaidOffline(ctx, b.ID, int64Ptr(300000))
		if err != nil || got.Payments[len(got.Payments)-1].AmountMinor != 300000 {
			t.Errorf("confirm a part: %+v %v", got, err)
		}
	})
}

// TestBookByStaff: a phone booking takes the time through the public booking's checks, records
// the client (an account with an email; a lead alone with a phone) with the comment in the lead's
// notes, and is confirmed at once without a payment.
func TestBookByStaff(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		in := booking.StaffBookingInput{
			ServiceID: e.svc.ID, Start: envSlot(0), Format: models.AppointmentFormatOffline,
			Client:  contact("Ольга", "olga@example.com", "+7 999 000-11-22"),
			Comment: "Просила перезвонить накануне",
		}
		a, err := e.b.BookByStaff(ctx, in)
		if err != nil || a.Status != models.AppointmentStatusConfirmed || len(a.Payments) != 0 || a.ClientUserID == nil || a.LeadID == nil ||
			a.Metadata.EntryPoint != "staff" || a.HoldExpiresAt != nil {
			t.Fatalf("phone booking: %+v %v", a, err)
		}
		lead, err := e.st.Leads.ByID(ctx, *a.LeadID)
		if err != nil || lead.Source != "admin" || !strings.Contains(lead.Notes, "Просила перезвонить накануне") ||
			!strings.Contains(lead.Notes, "03.12.2026 10:00") || !lead.HasIdentity(models.LeadIdentityKindPhone, "+79990001122") {
			t.Errorf("lead: %+v %v", lead, err)
		}
		if u, err := e.st.Users.ByID(ctx, *a.ClientUserID); err != nil || u.Email == nil || string(*u.Email) != "olga@example.com" {
			t.Errorf("client: %+v %v", u, err)
		}
		if e.pub.Count("appointment.booked") != 1 || e.pub.Count("appointment.confirmed") != 1 {
			t.Errorf("events: booked %d, confirmed %d", e.pub.Count("appointment.booked"), e.pub.Count("appointment.confirmed"))
		}
		if n := len(e.scheduled(t, booking.TaskExpireHold)); n != 0 {
			t.Errorf("a hold on a phone booking: %d jobs", n)
		}

		// The same time again, by staff or by a client.
		if _, err := e.b.BookByStaff(ctx, in); !errors.Is(err, models.ErrSlotTaken) {
			t.Errorf("the same time by staff: %v", err)
		}
		if _, err := e.b.Book(ctx, input(0, "c@example.com")); !errors.Is(err, models.ErrSlotTaken) {
			t.Errorf("the same time by a client: %v", err)
		}

		// A client known by phone only: a lead, no account.
		phoneOnly := in
		phoneOnly.Start, phoneOnly.Client = envSlot(4), contact("Пётр", "", "+7 999 333-44-55")
		b, err := e.b.BookByStaff(ctx, phoneOnly)
		if err != nil || b.ClientUserID != nil || b.LeadID == nil {
			t.Fatalf("phone only: %+v %v", b, err)
		}
		if lead, err := e.st.Leads.ByID(ctx, *b.LeadID); err != nil || !strings.Contains(lead.Notes, "Пётр") {
			t.Errorf("the phone-only lead keeps the name: %+v %v", lead, err)
		}

		for name, tc := range map[string]struct {
			edit  func(*booking.StaffBookingInput)
			field string
		}{
			"outside the hours": {func(in *booking.StaffBookingInput) { in.Start = envSlot(0).Add(13 * time.Hour) }, "start"},
			"off the grid":      {func(in *booking.StaffBookingInput) { in.Start = envSlot(8).Add(10 * time.Minute) }, "start"},
			"in the past":       {func(in *booking.StaffBookingInput) { in.Start = envNow.Add(-time.Hour) }, "start"},
			"unknown service":   {func(in *booking.StaffBookingInput) { in.ServiceID = models.NewID() }, "service_id"},
			"bad format":        {func(in *booking.StaffBookingInput) { in.Format = "phone" }, "format"},
			"long comment":      {func(in *booking.StaffBookingInput) { in.Comment = strings.Repeat("я", 2001) }, "comment"},
		} {
			x := in
			x.Start = envSlot(8)
			tc.edit(&x)
			if _, err := e.b.BookByStaff(ctx, x); !isValidation(err, tc.field) {
				t.Errorf("%s: %v, want a validation error of %s", name, err, tc.field)
			}
		}
	})
}
