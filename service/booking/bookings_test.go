package booking_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"balance/crypto"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

func TestBookPaidServiceHoldsTimeAndCreatesPayment(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res := e.book(t, 0, "Anna@Example.com")
		a := res.Appointment

		if a.Status != models.AppointmentStatusPendingPayment || a.HoldExpiresAt == nil || !a.HoldExpiresAt.Equal(envNow.Add(15*time.Minute)) {
			t.Fatalf("appointment %s hold %v, want pending until now+15m", a.Status, a.HoldExpiresAt)
		}
		if a.ManageTokenHash == nil || *a.ManageTokenHash != crypto.HashToken(res.ManageToken) || res.ManageToken == "" {
			t.Error("only the hash of the manage token is stored with the appointment")
		}
		if a.Timezone != "Europe/Berlin" || a.Metadata.EntryPoint != "article" || a.Metadata.UTM["source"] != "telegram" {
			t.Errorf("zone %s metadata %+v", a.Timezone, a.Metadata)
		}
		if len(a.Payments) != 1 {
			t.Fatalf("payments %+v", a.Payments)
		}
		p := a.Payments[0]
		if p.Status != models.PaymentStatusPending || p.AmountMinor != 500000 || p.ConfirmationURL == nil {
			t.Errorf("payment %+v", p)
		}
		// The provider got one create request, with the payment's idempotence key and the
		// appointment in its metadata.
		if n := e.yk.KeyUses(p.IdempotenceKey); n != 1 || e.yk.PaymentCount() != 1 {
			t.Errorf("key used %d times, %d payments at the provider", n, e.yk.PaymentCount())
		}
		var sent struct {
			Amount      struct{ Value string }
			Description string
			Metadata    map[string]string
		}
		if err := json.Unmarshal(e.yk.CreateRequest(providerID(t, a)), &sent); err != nil {
			t.Fatal(err)
		}
		if sent.Amount.Value != "5000.00" || sent.Metadata["appointment_id"] != a.ID.String() || sent.Description != "Индивидуальная консультация, 03.12.2026 10:00" {
			t.Errorf("create request %+v", sent)
		}

		// The client: a user with the consent, and a lead with both identities, linked.
		u, err := e.st.Users.ByEmail(ctx, "anna@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if c := u.ActiveConsent(models.ConsentPersonalData); c == nil || c.Version != "2026-01" || c.Source != "booking_form" {
			t.Errorf("consent %+v", c)
		}
		l, err := e.st.Leads.ByIdentity(ctx, models.LeadIdentityKindPhone, "+79991234567")
		if err != nil || l.UserID == nil || *l.UserID != u.ID || a.LeadID == nil || *a.LeadID != l.ID || *a.ClientUserID != u.ID {
			t.Errorf("lead %+v (%v), appointment lead %v user %v", l, err, a.LeadID, a.ClientUserID)
		}
		if l.UTM.Source != "telegram" || l.Source != "booking" {
			t.Errorf("lead source %s utm %+v", l.Source, l.UTM)
		}

		// The hold's expiry is a job due when it lapses, queued with the booking.
		jobs := e.scheduled(t, booking.TaskExpireHold)
		if len(jobs) != 1 || !jobs[0].ScheduledAt.Equal(*a.HoldExpiresAt) {
			t.Errorf("expire-hold jobs %+v", jobs)
		}

		// The same client books again: one user, one lead.
		second := e.book(t, 4, "anna@example.com")
		if *second.Appointment.ClientUserID != u.ID || *second.Appointment.LeadID != l.ID {
			t.Error("a second booking of the same client made another user or lead")
		}
		if e.pub.Count("lead.captured") != 1 || e.pub.Count("appointment.booked") != 2 {
			t.Errorf("events: lead.captured %d, appointment.booked %d", e.pub.Count("lead.captured"), e.pub.Count("appointment.booked"))
		}
	})
}

func TestBookFreeServiceIsConfirmedAtOnce(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db, free(), noProvider())
		res := e.book(t, 0, "free@example.com")
		if a := res.Appointment; a.Status != models.AppointmentStatusConfirmed || a.HoldExpiresAt != nil || len(a.Payments) != 0 {
			t.Fatalf("free booking %s hold %v payments %d", a.Status, a.HoldExpiresAt, len(a.Payments))
		}
		if e.pub.Count("appointment.confirmed") != 1 || len(e.scheduled(t, booking.TaskExpireHold)) != 0 {
			t.Error("a free booking is confirmed once and holds nothing")
		}
	})
}

func TestBookRefusals(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.book(t, 0, "first@example.com")
		for _, tc := range []struct {
			name  string
			edit  func(*booking.BookingInput)
			check func(error) bool
		}{
			{"taken", func(in *booking.BookingInput) {}, func(err error) bool { return errors.Is(err, models.ErrSlotTaken) }},
			{"inside the buffer", func(in *booking.BookingInput) { in.Start = envSlot(1) }, func(err error) bool { return errors.Is(err, models.ErrSlotTaken) }},
			{"off the grid", func(in *booking.BookingInput) { in.Start = envSlot(4).Add(10 * time.Minute) }, func(err error) bool { return isValidation(err, "start") }},
			{"outside hours", func(in *booking.BookingInput) { in.Start = envSlot(-2) }, func(err error) bool { return isValidation(err, "start") }},
			{"in the past", func(in *booking.BookingInput) { in.Start = envNow.Add(-time.Hour).Truncate(time.Hour) }, func(err error) bool { return isValidation(err, "start") }},
			{"weekend", func(in *booking.BookingInput) { in.Start = envSlot(0).AddDate(0, 0, 2) }, func(err error) bool { return isValidation(err, "start") }},
			{"no personal data consent", func(in *booking.BookingInput) {
				in.Consents = []booking.ConsentInput{{Type: models.ConsentCommunications, Version: "1"}}
			}, func(err error) bool { return isValidation(err, "consents") }},
			{"telegram consent here", func(in *booking.BookingInput) {
				in.Consents = append(in.Consents, booking.ConsentInput{Type: models.ConsentTelegram, Version: "1"})
			}, func(err error) bool { return isValidation(err, "consents[1].type") }},
			{"format", func(in *booking.BookingInput) { in.Format = "phone" }, func(err error) bool { return isValidation(err, "format") }},
			{"unknown service", func(in *booking.BookingInput) { in.ServiceSlug = "nope" }, func(err error) bool { return errors.Is(err, models.ErrNotFound) }},
			{"bad idempotency key", func(in *booking.BookingInput) { in.IdempotencyKey = "a b" }, func(err error) bool { return isValidation(err, "Idempotency-Key") }},
		} {
			in := input(0, "second@example.com")
			tc.edit(&in)
			if _, err := e.b.Book(ctx, in); !tc.check(err) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if n := e.yk.PaymentCount(); n != 1 {
			t.Errorf("refused bookings created payments: %d at the provider", n)
		}
		if _, err := e.st.Users.ByEmail(ctx, "second@example.com"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a refused booking left its client behind: %v", err)
		}
	})
}

func TestBookPaidServiceWithoutPaymentsIsRefused(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db, noProvider())
		if _, err := e.b.Book(context.Background(), input(0, "a@example.com")); !errors.Is(err, booking.ErrPaymentsDisabled) {
			t.Fatalf("err = %v", err)
		}
		if _, err := e.b.HandleNotification(context.Background(), "payment.succeeded", "x"); !errors.Is(err, booking.ErrPaymentsDisabled) {
			t.Errorf("notification without provider: %v", err)
		}
		if err := e.b.Reconcile(context.Background()); err != nil {
			t.Errorf("reconcile without provider: %v", err)
		}
	})
}

func TestBookProviderDownFreesTheTime(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.yk.FailNext(3, 500) // the first attempt and both retries
		_, err := e.b.Book(ctx, input(0, "a@example.com"))
		if !errors.Is(err, booking.ErrPaymentUnavailable) {
			t.Fatalf("err = %v", err)
		}
		// Nothing holds the time: it can be booked at once.
		res := e.book(t, 0, "b@example.com")
		if res.Appointment.Status != models.AppointmentStatusPendingPayment {
			t.Errorf("rebooked %s", res.Appointment.Status)
		}
		old, err := e.st.Appointments.Upcoming(ctx, envNow, envNow.AddDate(0, 0, 7), repository.Page{})
		if err != nil || len(old) != 1 {
			t.Errorf("active appointments %d (%v)", len(old), err)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		in := input(0, "a@example.com")
		in.IdempotencyKey, in.RequestHash = "key-1", "hash-1"
		first, err := e.b.Book(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.b.Book(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Replayed || again.Appointment.ID != first.Appointment.ID || again.ManageToken != first.ManageToken {
			t.Errorf("replay %+v, want the first booking", again)
		}
		if e.yk.PaymentCount() != 1 {
			t.Errorf("%d payments at the provider", e.yk.PaymentCount())
		}
		in.RequestHash = "hash-2"
		if _, err := e.b.Book(ctx, in); !errors.Is(err, booking.ErrIdempotencyKeyReused) {
			t.Errorf("same key, other body: %v", err)
		}

		// The token is stored only encrypted.
		var raw string
		if err := db.SQL.QueryRowContext(ctx, "SELECT manage_token FROM booking_requests").Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if raw == first.ManageToken || len(raw) < 100 {
			t.Errorf("stored manage token is not a Fernet token: %q", raw)
		}

		// Concurrent requests with one key make one booking; each gets it (or "in progress").
		in = input(4, "b@example.com")
		in.IdempotencyKey, in.RequestHash = "key-2", "hash-1"
		var wg sync.WaitGroup
		ids := make([]string, 10)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.b.Book(ctx, in)
				switch {
				case err == nil:
					ids[i] = res.Appointment.ID.String()
				case errors.Is(err, booking.ErrIdempotencyInProgress):
					ids[i] = "in progress"
				default:
					ids[i] = err.Error()
				}
			}()
		}
		wg.Wait()
		var winner string
		for _, id := range ids {
			if id == "in progress" {
				continue
			}
			if winner == "" {
				winner = id
			}
			if id != winner {
				t.Fatalf("answers %v", ids)
			}
		}
		if e.yk.PaymentCount() != 2 {
			t.Errorf("%d payments at the provider, want 2", e.yk.PaymentCount())
		}

		// Expired keys are cleaned up.
		e.clock.Advance(25 * time.Hour)
		if n, err := e.b.CleanupRequests(ctx); err != nil || n != 2 {
			t.Errorf("cleanup %d %v", n, err)
		}
	})
}

func TestConcurrentBookingsOfOneSlot(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[string]int{}
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.b.Book(context.Background(), input(0, fmt.Sprintf("c%d@example.com", i)))
				key := "ok"
				if errors.Is(err, models.ErrSlotTaken) {
					key = "taken"
				} else if err != nil {
					key = err.Error()
				}
				mu.Lock()
				results[key]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if results["ok"] != 1 || results["taken"] != 29 {
			t.Fatalf("results %v", results)
		}
		if e.yk.PaymentCount() != 1 {
			t.Errorf("%d payments at the provider", e.yk.PaymentCount())
		}
	})
}

func TestIdempotencyKeyWhileProviderIsDown(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		in := input(0, "a@example.com")
		in.IdempotencyKey, in.RequestHash = "key-down", "hash-1"
		// YooKassa cannot be reached: the keyed request fails as an unkeyed one does, and so does
		// its retry — a failure is not an answer to replay.
		for i := range 2 {
			e.yk.FailNext(3, 500) // the first attempt and both retries
			if res, err := e.b.Book(ctx, in); !errors.Is(err, booking.ErrPaymentUnavailable) {
				t.Fatalf("try %d with the provider down: %+v, %v", i+1, res, err)
			}
		}
		// YooKassa is back: the same key and body book.
		res, err := e.b.Book(ctx, in)
		if err != nil {
			t.Fatalf("retry with the provider back: %v", err)
		}
		a := res.Appointment
		if res.Replayed || a.Status != models.AppointmentStatusPendingPayment || len(a.Payments) != 1 ||
			a.Payments[0].Status != models.PaymentStatusPending || a.Payments[0].ConfirmationURL == nil {
			t.Fatalf("retry booked %s (replayed %t), payments %+v", a.Status, res.Replayed, a.Payments)
		}
		again, err := e.b.Book(ctx, in)
		if err != nil || !again.Replayed || again.Appointment.ID != a.ID || again.ManageToken != res.ManageToken {
			t.Fatalf("replay of the successful retry: %+v %v", again, err)
		}
		active, err := e.st.Appointments.Upcoming(ctx, envNow, envNow.AddDate(0, 0, 7), repository.Page{})
		if err != nil || len(active) != 1 || active[0].ID != a.ID {
			t.Errorf("active appointments %d (%v), want the retry's only", len(active), err)
		}
	})
}
