package booking_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/integrations/yookassa/yookassatest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

func TestNotificationConfirmsOnceUnderConcurrency(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.book(t, 0, "a@example.com").Appointment
		id := providerID(t, a)
		e.yk.Succeed(id)

		var wg sync.WaitGroup
		outcomes := make([]string, 20)
		errs := make([]error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outcomes[i], errs[i] = e.b.HandleNotification(ctx, "payment.succeeded", id)
			}()
		}
		wg.Wait()
		confirmed := 0
		for i := range outcomes {
			if errs[i] != nil {
				t.Fatalf("notification %d: %v", i, errs[i])
			}
			if outcomes[i] == "confirmed" {
				confirmed++
			} else if outcomes[i] != "duplicate" {
				t.Errorf("outcome %q", outcomes[i])
			}
		}
		if confirmed != 1 || e.pub.Count("payment.succeeded") != 1 || e.pub.Count("appointment.confirmed") != 1 {
			t.Fatalf("confirmed %d times; events payment.succeeded %d appointment.confirmed %d",
				confirmed, e.pub.Count("payment.succeeded"), e.pub.Count("appointment.confirmed"))
		}
		got := e.appointment(t, a.ID)
		if got.Status != models.AppointmentStatusConfirmed || got.HoldExpiresAt != nil || got.Payments[0].Status != models.PaymentStatusSucceeded {
			t.Errorf("appointment %s payment %s", got.Status, got.Payments[0].Status)
		}
		n, err := e.st.Notifications.ByKey(ctx, models.PaymentProviderYooKassa, "payment.succeeded", id)
		if err != nil || n.ProcessedAt == nil || n.Outcome == nil || *n.Outcome != "confirmed" {
			t.Errorf("notification row %+v (%v)", n, err)
		}
		// The hold job finds nothing to do now.
		e.clock.Advance(time.Hour)
		if err := e.b.ExpireHold(ctx, a.ID); err != nil || e.appointment(t, a.ID).Status != models.AppointmentStatusConfirmed {
			t.Errorf("hold job after payment: %v", err)
		}
	})
}

func TestNotificationIsCheckedAgainstTheAPI(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.book(t, 0, "a@example.com").Appointment
		id := providerID(t, a)

		// Claims "succeeded" while the API says pending: nothing changes, nothing is recorded.
		out, err := e.b.HandleNotification(ctx, "payment.succeeded", id)
		if err != nil || out != "ignored: still pending at the provider" {
			t.Fatalf("forged success: %q %v", out, err)
		}
		if got := e.appointment(t, a.ID); got.Status != models.AppointmentStatusPendingPayment || e.pub.Count("payment.succeeded") != 0 {
			t.Fatalf("a forged notification changed the booking: %s", got.Status)
		}
		// An object the provider does not know, an unsupported event.
		if out, err := e.b.HandleNotification(ctx, "payment.succeeded", "no-such-payment"); err != nil || out != "ignored: unknown payment" {
			t.Errorf("unknown payment: %q %v", out, err)
		}
		if out, err := e.b.HandleNotification(ctx, "deal.closed", id); err != nil || out != "ignored: unsupported event" {
			t.Errorf("unsupported: %q %v", out, err)
		}
		// A provider outage is an error, so the webhook asks for a retry.
		e.yk.FailNext(3, 500)
		if _, err := e.b.HandleNotification(ctx, "payment.succeeded", id); err == nil {
			t.Error("an unreachable API must fail the notification")
		}
		// When the payment really succeeds, the same notification confirms.
		e.yk.Succeed(id)
		if out := e.pay(t, a); out != "confirmed" {
			t.Errorf("real success: %q", out)
		}
	})
}

func TestCanceledPaymentFreesTheTime(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.book(t, 0, "a@example.com").Appointment
		id := providerID(t, a)
		e.yk.SetPaymentStatus(id, yookassatest.StatusCanceled)
		if out, err := e.b.HandleNotification(ctx, "payment.canceled", id); err != nil || out != "canceled" {
			t.Fatalf("cancel: %q %v", out, err)
		}
		got := e.appointment(t, a.ID)
		if got.Status != models.AppointmentStatusCanceled || got.Payments[0].Status != models.PaymentStatusCanceled {
			t.Fatalf("after payment.canceled: %s / %s", got.Status, got.Payments[0].Status)
		}
		e.book(t, 0, "b@example.com") // the time is free
	})
}

func TestHoldLapses(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.book(t, 0, "a@example.com").Appointment
		id := providerID(t, a)

		// Early: the job does nothing.
		e.clock.Advance(14 * time.Minute)
		if err := e.b.ExpireHold(ctx, a.ID); err != nil || e.appointment(t, a.ID).Status != models.AppointmentStatusPendingPayment {
			t.Fatalf("expired early: %v", err)
		}
		e.clock.Advance(time.Minute)
		if err := e.b.ExpireHold(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		got := e.appointment(t, a.ID)
		if got.Status != models.AppointmentStatusCanceled || !got.HoldLapsed() || got.Payments[0].Status != models.PaymentStatusCanceled {
			t.Fatalf("after the hold: %s (%s) / %s", got.Status, got.CancelReason, got.Payments[0].Status)
		}
		if st := e.providerStatus(t, id); st != "canceled" || e.yk.KeyUses("cancel-"+got.Payments[0].ID.String()) != 1 {
			t.Errorf("provider status %s", st)
		}
		// The time is free again, and the late webhook of the cancellation is a duplicate.
		if out, err := e.b.HandleNotification(ctx, "payment.canceled", id); err != nil || out != "duplicate" {
			t.Errorf("late payment.canceled: %q %v", out, err)
		}
		e.book(t, 0, "b@example.com")
	})
}

func TestHoldLapseFindsThePaymentPaid(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		a := e.book(t, 0, "a@example.com").Appointment
		e.yk.Succeed(providerID(t, a)) // paid, but the webhook was lost
		e.clock.Advance(16 * time.Minute)
		if err := e.b.ExpireHold(context.Background(), a.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.appointment(t, a.ID); got.Status != models.AppointmentStatusConfirmed {
			t.Fatalf("paid booking after its hold: %s", got.Status)
		}
	})
}

func TestLatePayment(t *testing.T) {
	for _, taken := range []bool{false, true} {
		name := "time still free"
		if taken {
			name = "time taken meanwhile"
		}
		t.Run(name, func(t *testing.T) { latePayment(t, taken) })
	}
}

func latePayment(t *testing.T, taken bool) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		{
			e := newEnv(t, db)
			ctx := context.Background()
			slot := 0
			if taken {
				slot = 6
			}
			a := e.book(t, slot, "late@example.com").Appointment
			id := providerID(t, a)
			// The hold lapses with the payment canceled locally only (the cancel request failed
			// for good), then the client pays anyway.
			e.yk.FailNext(1, 400)
			e.clock.Advance(16 * time.Minute)
			if err := e.b.ExpireHold(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if got := e.appointment(t, a.ID); !got.HoldLapsed() {
				t.Fatalf("hold did not lapse: %s", got.Status)
			}
			if taken {
				e.book(t, slot, "other@example.com")
			}
			e.yk.SetPaymentStatus(id, yookassatest.StatusSucceeded)
			out, err := e.b.HandleNotification(ctx, "payment.succeeded", id)
			if err != nil {
				t.Fatal(err)
			}
			got := e.appointment(t, a.ID)
			if !taken {
				if out != "confirmed after the hold lapsed" || got.Status != models.AppointmentStatusConfirmed {
					t.Errorf("free time: %q, %s", out, got.Status)
				}
				return
			}
			if got.Status != models.AppointmentStatusCanceled || out != "refunding: paid after the hold lapsed and the time was booked by someone else" {
				t.Fatalf("taken time: %q, %s", out, got.Status)
			}
			refunds := e.runRefunds(t, got)
			if len(refunds) != 1 || refunds[0].Status != models.RefundStatusSucceeded || refunds[0].AmountMinor != 500000 {
				t.Fatalf("refunds %+v", refunds)
			}
			if p := e.appointment(t, a.ID).Payments[0]; p.Status != models.PaymentStatusRefunded {
				t.Errorf("payment %s", p.Status)
			}
		}
	})
}

func TestPaymentStateChangesAreCheckedBeforeTheyApply(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.book(t, 0, "a@example.com").Appointment
		// A payment of another amount (tampered metadata, another shop) confirms nothing.
		e.yk.Succeed(providerID(t, a))
		if err := e.st.Payments.Update(ctx, a.Payments[0].ID, func(p *models.Payment) error {
			p.AmountMinor = 1 // what we expected differs from what the provider holds
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if out, err := e.b.HandleNotification(ctx, "payment.succeeded", providerID(t, a)); err != nil || out != "ignored: amount differs from the booking" {
			t.Fatalf("mismatch: %q %v", out, err)
		}
		if e.appointment(t, a.ID).Status != models.AppointmentStatusPendingPayment {
			t.Error("a payment of another amount confirmed the booking")
		}
	})
}

func TestReconcileAppliesLostNotifications(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		paid := e.book(t, 0, "paid@example.com").Appointment
		open := e.book(t, 4, "open@example.com").Appointment
		e.yk.Succeed(providerID(t, paid))

		// Too soon: payments younger than ReconcileAfter are left alone.
		e.clock.Advance(5 * time.Minute)
		if err := e.b.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if e.appointment(t, paid.ID).Status != models.AppointmentStatusPendingPayment {
			t.Fatal("reconciled too soon")
		}
		e.clock.Advance(6 * time.Minute)
		if err := e.b.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.appointment(t, paid.ID); got.Status != models.AppointmentStatusConfirmed {
			t.Errorf("paid: %s", got.Status)
		}
		if got := e.appointment(t, open.ID); got.Status != models.AppointmentStatusPendingPayment {
			t.Errorf("still open: %s", got.Status)
		}
		// After its hold, reconciliation expires an open booking whose job never ran.
		e.clock.Advance(5 * time.Minute)
		if err := e.b.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.appointment(t, open.ID); got.Status != models.AppointmentStatusCanceled {
			t.Errorf("lapsed: %s", got.Status)
		}
		// A provider outage leaves work for the next run and says so.
		e.book(t, 8, "third@example.com")
		e.clock.Advance(11 * time.Minute)
		e.yk.FailNext(3, 500)
		if err := e.b.Reconcile(ctx); err == nil {
			t.Error("reconcile hid a provider outage")
		}
	})
}

func TestTasksDecodeTheirPayloads(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		names := map[string]bool{}
		for _, task := range e.b.Tasks() {
			names[task.Name] = true
			if err := task.Run(context.Background(), []byte(`not json`)); err == nil {
				t.Errorf("%s accepted a malformed payload", task.Name)
			}
			if err := task.Run(context.Background(), []byte(`{}`)); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s with no id: %v", task.Name, err)
			}
		}
		for _, want := range []string{booking.TaskExpireHold, booking.TaskRefund, booking.TaskCancelPayment} {
			if !names[want] {
				t.Errorf("task %s missing", want)
			}
		}
	})
}

// A request whose process dies between the booking's commit and the payment's creation leaves an
// appointment on hold with its payment an intent. Its retry is told to wait only while the
// request could still be running; then the booking is called off — by reconciliation, by the
// hold's job or by the retry itself — the time is free, and the retry books afresh.
func TestBookingWhoseProcessDied(t *testing.T) {
	reconcile := func(t *testing.T, e *env, _ uuid.UUID) {
		if err := e.b.Reconcile(context.Background()); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
	}
	for _, tc := range []struct {
		name          string
		afterProvider bool
		// settle runs once the request cannot be running any more; nil leaves it to the retry.
		settle func(t *testing.T, e *env, id uuid.UUID)
	}{
		{"before YooKassa was asked, reconciled", false, reconcile},
		{"after YooKassa made the payment, reconciled", true, reconcile},
		{"before YooKassa was asked, the retry decides", false, nil},
		{"after YooKassa made the payment, the hold lapses", true, func(t *testing.T, e *env, id uuid.UUID) {
			e.clock.Advance(15 * time.Minute)
			if err := e.b.ExpireHold(context.Background(), id); err != nil {
				t.Fatalf("expire hold: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
				e := newEnv(t, db, crashable())
				ctx := context.Background()
				e.crash.afterProvider.Store(tc.afterProvider)
				in := input(0, "a@example.com")
				in.IdempotencyKey, in.RequestHash = "key-died", "hash-1"
				e.bookAndDie(t, in)

				active := func() []models.Appointment {
					t.Helper()
					out, err := e.st.Appointments.Upcoming(ctx, envNow, envNow.AddDate(0, 0, 7), repository.Page{})
					if err != nil {
						t.Fatal(err)
					}
					return out
				}
				held := active()
				if len(held) != 1 || len(held[0].Payments) != 1 || held[0].Payments[0].Status != models.PaymentStatusIntent {
					t.Fatalf("after the crash: %+v", held)
				}
				dead := held[0].ID

				// While the request could still be running, its retry waits and reconciliation
				// leaves the payment alone.
				for _, step := range []time.Duration{0, booking.IntentGrace - time.Second} {
					e.clock.Advance(step)
					if _, err := e.b.Book(ctx, in); !errors.Is(err, booking.ErrIdempotencyInProgress) {
						t.Fatalf("retry %s after the crash: %v", step, err)
					}
					if err := e.b.Reconcile(ctx); err != nil {
						t.Fatal(err)
					}
					if got := e.appointment(t, dead); got.Status != models.AppointmentStatusPendingPayment {
						t.Fatalf("called off %s after the crash: %s", step, got.Status)
					}
				}
				e.clock.Advance(time.Second)

				if tc.settle != nil {
					tc.settle(t, e, dead)
					got := e.appointment(t, dead)
					if got.Status != models.AppointmentStatusCanceled || got.Payments[0].Status != models.PaymentStatusCanceled {
						t.Fatalf("settled: %s (%s) / %s", got.Status, got.CancelReason, got.Payments[0].Status)
					}
					if n := len(active()); n != 0 {
						t.Fatalf("%d appointments still hold time", n)
					}
				}

				// The retry gets a definite answer: the time booked afresh, payable.
				res, err := e.b.Book(ctx, in)
				if err != nil {
					t.Fatalf("retry once the request is over: %v", err)
				}
				a := res.Appointment
				if res.Replayed || a.ID == dead || a.Status != models.AppointmentStatusPendingPayment ||
					len(a.Payments) != 1 || a.Payments[0].Status != models.PaymentStatusPending || a.Payments[0].ConfirmationURL == nil {
					t.Fatalf("retry: %s %s (replayed %t), payments %+v", a.ID, a.Status, res.Replayed, a.Payments)
				}
				if got := e.appointment(t, dead); got.Status != models.AppointmentStatusCanceled {
					t.Errorf("the dead request's booking is %s", got.Status)
				}
				again, err := e.b.Book(ctx, in)
				if err != nil || !again.Replayed || again.Appointment.ID != a.ID || again.ManageToken != res.ManageToken {
					t.Fatalf("replay of the retry: %+v %v", again, err)
				}
				if got := active(); len(got) != 1 || got[0].ID != a.ID {
					t.Errorf("active appointments %d, want the retry's only", len(got))
				}
			})
		})
	}
}
