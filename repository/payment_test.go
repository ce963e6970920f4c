package repository_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// bookingCreatePayment saves a payment of 5000 RUB for appointment a with a unique key.
func bookingCreatePayment(t *testing.T, db *repository.DB, appointmentID uuid.UUID, now time.Time) *models.Payment {
	t.Helper()
	p, err := models.NewPayment(appointmentID, models.Money{Minor: 500000, Currency: "RUB"}, "pay-"+uuid.NewString(), now)
	if err != nil {
		t.Fatal(err)
	}
	if err := repository.NewPayments(db).Create(context.Background(), p); err != nil {
		t.Fatalf("create payment: %v", err)
	}
	return p
}

func TestBookingPayments(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		payments := repository.NewPayments(db)
		svc := bookingCreateService(t, db, nil)
		a := bookingCreate(t, db, svc, bookingAt(0, 10), nil)
		t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)

		p := bookingCreatePayment(t, db, a.ID, t0)
		got, err := payments.ByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		bookingAssertSame(t, "new payment", *got, *p)

		// Through its whole life every column is written and read back.
		steps := []func(p *models.Payment) error{
			func(p *models.Payment) error {
				return p.MarkPending("yk-"+p.ID.String(), "https://yoomoney.ru/checkout?o=1", t1)
			},
			func(p *models.Payment) error { return p.Succeed(t2) },
			func(p *models.Payment) error { return p.ApplyRefund(100000, t3) },
		}
		for i, step := range steps {
			if err := payments.Update(ctx, p.ID, step); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if err := step(p); err != nil {
				t.Fatalf("step %d in memory: %v", i, err)
			}
			p.Version++
		}
		p.ClearEvents()
		got, err = payments.ByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertUTCPtr(t, "PaidAt", got.PaidAt, &t2)
		assertUTC(t, "UpdatedAt", got.UpdatedAt, t3)
		bookingAssertSame(t, "refunded payment", *got, *p)
		if got.Status != models.PaymentStatusPartiallyRefunded || got.RefundedMinor != 100000 || got.Version != 4 {
			t.Errorf("payment = %+v", got)
		}

		t.Run("finders", func(t *testing.T) {
			byProvider, err := payments.ByProviderPaymentID(ctx, *p.ProviderPaymentID)
			if err != nil || byProvider.ID != p.ID {
				t.Errorf("ByProviderPaymentID = %+v, %v", byProvider, err)
			}
			byKey, err := payments.ByIdempotenceKey(ctx, p.IdempotenceKey)
			if err != nil || byKey.ID != p.ID {
				t.Errorf("ByIdempotenceKey = %+v, %v", byKey, err)
			}
			later := bookingCreatePayment(t, db, a.ID, t3)
			earlier := bookingCreatePayment(t, db, a.ID, t0.Add(-time.Minute))
			list, err := payments.ByAppointment(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ids []uuid.UUID
			for _, x := range list {
				ids = append(ids, x.ID)
			}
			if want := []uuid.UUID{earlier.ID, p.ID, later.ID}; !slices.Equal(ids, want) {
				t.Errorf("ByAppointment = %v, want %v", ids, want)
			}
			if none, err := payments.ByAppointment(ctx, models.NewID()); err != nil || len(none) != 0 {
				t.Errorf("ByAppointment of another = %v, %v", none, err)
			}
			withPayments, err := repository.NewAppointments(db).ByID(ctx, a.ID)
			if err != nil || len(withPayments.Payments) != 3 || withPayments.Payments[1].ID != p.ID {
				t.Errorf("appointment's payments = %+v, %v", withPayments.Payments, err)
			}
		})

		t.Run("not found", func(t *testing.T) {
			finders := map[string]func() error{
				"ByID":                func() error { _, err := payments.ByID(ctx, models.NewID()); return err },
				"ByProviderPaymentID": func() error { _, err := payments.ByProviderPaymentID(ctx, "nope"); return err },
				"ByIdempotenceKey":    func() error { _, err := payments.ByIdempotenceKey(ctx, "nope"); return err },
				"Update": func() error {
					return payments.Update(ctx, models.NewID(), func(*models.Payment) error { return nil })
				},
			}
			for name, find := range finders {
				if err := find(); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("%s: %v, want ErrNotFound", name, err)
				}
			}
		})

		t.Run("uniqueness and references", func(t *testing.T) {
			dup, _ := models.NewPayment(a.ID, svc.Price(), p.IdempotenceKey, t0)
			assertConstraint(t, payments.Create(ctx, dup), models.ErrConflict,
				byDialect(db, "payments_idempotence_key_key", "payments.idempotence_key"))
			orphan, _ := models.NewPayment(models.NewID(), svc.Price(), "orphan-"+uuid.NewString(), t0)
			assertConstraint(t, payments.Create(ctx, orphan), models.ErrInvalidReference, "")
			// Two payments may wait for the provider's id, but not share one.
			second := bookingCreatePayment(t, db, a.ID, t0)
			err := payments.Update(ctx, second.ID, func(x *models.Payment) error { return x.MarkPending(*p.ProviderPaymentID, "", t1) })
			assertConstraint(t, err, models.ErrConflict, byDialect(db, "payments_provider_payment_id_key", "payments.provider_payment_id"))
			if got, _ := payments.ByID(ctx, second.ID); got.Status != models.PaymentStatusIntent || got.ProviderPaymentID != nil {
				t.Errorf("refused update left %+v", got)
			}
		})

		t.Run("the database refuses an over-refund", func(t *testing.T) {
			err := db.Gorm.Exec("UPDATE payments SET refunded_minor = amount_minor + 1 WHERE id = ?", p.ID).Error
			if err == nil {
				t.Error("refunded more than was paid")
			}
		})

		t.Run("an appointment with payments cannot be deleted", func(t *testing.T) {
			if err := db.Gorm.Exec("DELETE FROM appointments WHERE id = ?", a.ID).Error; err == nil {
				t.Error("deleted an appointment that has payments")
			}
		})

		t.Run("a refused change leaves the row", func(t *testing.T) {
			before, _ := payments.ByID(ctx, p.ID)
			err := payments.Update(ctx, p.ID, func(p *models.Payment) error { return p.ApplyRefund(500000, t3) })
			var ve *models.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("over-refund: %v, want a ValidationError", err)
			}
			if after, _ := payments.ByID(ctx, p.ID); after.RefundedMinor != before.RefundedMinor || after.Version != before.Version {
				t.Errorf("refused refund changed the row: %+v", after)
			}
		})
	})
}

func TestBookingPaymentOptimisticLocking(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		payments := repository.NewPayments(db)
		a := bookingCreate(t, db, bookingCreateService(t, db, nil), bookingAt(0, 10), nil)
		p := bookingCreatePayment(t, db, a.ID, t0)

		// A webhook and a user's cancel load the same payment; the slower one must not win silently.
		webhook, err := payments.ByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		user, err := payments.ByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := webhook.MarkPending("yk-1", "", t0); err != nil {
			t.Fatal(err)
		}
		if err := payments.Save(ctx, webhook); err != nil {
			t.Fatalf("first save: %v", err)
		}
		if err := user.Cancel(t0); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, payments.Save(ctx, user), models.ErrConflict, "version")
		got, err := payments.ByID(ctx, p.ID)
		if err != nil || got.Status != models.PaymentStatusPending || got.Version != 2 {
			t.Errorf("stored = %+v, %v; want the first save", got, err)
		}
	})
}

// The booking's hot path writes a payment the provider created in one UPDATE of the columns
// MarkPending changes, versioned like every save.
func TestBookingSavePendingPayment(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		payments, hot := repository.NewPayments(db), repository.NewBookingHotPath(db)
		a := bookingCreate(t, db, bookingCreateService(t, db, nil), bookingAt(0, 10), nil)
		p := bookingCreatePayment(t, db, a.ID, t0)
		stale := *p
		later := t0.Add(time.Minute)
		if err := p.MarkPending("yk-42", "https://pay.example/42", later); err != nil {
			t.Fatal(err)
		}
		q := testkit.CountQueries(t, db.Gorm)
		if err := hot.SavePendingPayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		if n := q.N(); n != 1 {
			t.Errorf("%d statements, want 1", n)
		}
		got, err := payments.ByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.PaymentStatusPending || got.ProviderPaymentID == nil || *got.ProviderPaymentID != "yk-42" ||
			got.ConfirmationURL == nil || *got.ConfirmationURL != "https://pay.example/42" || !got.UpdatedAt.Equal(later) ||
			got.Version != 2 || p.Version != 2 || got.AmountMinor != 500000 || got.IdempotenceKey != p.IdempotenceKey {
			t.Errorf("stored %+v (in memory version %d)", got, p.Version)
		}
		// A copy of the intent at its old version is refused, and changes nothing.
		if err := stale.MarkPending("yk-43", "", later); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, hot.SavePendingPayment(ctx, &stale), models.ErrConflict, "version")
		if stale.Version != 1 {
			t.Errorf("a refused save moved the version to %d", stale.Version)
		}
		if got, err := payments.ByID(ctx, p.ID); err != nil || *got.ProviderPaymentID != "yk-42" || got.Version != 2 {
			t.Errorf("after the refused save: %+v, %v", got, err)
		}
	})
}

func TestBookingRefunds(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		refunds := repository.NewRefunds(db)
		a := bookingCreate(t, db, bookingCreateService(t, db, nil), bookingAt(0, 10), nil)
		p := bookingCreatePayment(t, db, a.ID, t0)
		newRefund := func(amount int64, now time.Time) *models.Refund {
			t.Helper()
			r, err := models.NewRefund(p.ID, models.Money{Minor: amount, Currency: "RUB"}, "refund-"+uuid.NewString(), "отмена", now)
			if err != nil {
				t.Fatal(err)
			}
			if err := refunds.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		r := newRefund(100000, t0.Add(time.Minute))
		early := newRefund(50000, t0)
		got, err := refunds.ByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		bookingAssertSame(t, "refund", *got, *r)

		t1 := t0.Add(time.Hour)
		err = refunds.Update(ctx, r.ID, func(r *models.Refund) error {
			if err := r.SetProviderRefundID("rf-"+r.ID.String(), t1); err != nil {
				return err
			}
			return r.Succeed(t1)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err = refunds.ByProviderRefundID(ctx, "rf-"+r.ID.String())
		if err != nil || got.ID != r.ID || got.Status != models.RefundStatusSucceeded {
			t.Fatalf("ByProviderRefundID = %+v, %v", got, err)
		}
		assertUTC(t, "UpdatedAt", got.UpdatedAt, t1)
		list, err := refunds.ByPayment(ctx, p.ID)
		if err != nil || len(list) != 2 || list[0].ID != early.ID || list[1].ID != r.ID {
			t.Errorf("ByPayment = %+v, %v", list, err)
		}

		err = refunds.Update(ctx, r.ID, func(r *models.Refund) error { return r.Cancel(t1) })
		if !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("cancel a succeeded refund: %v", err)
		}
		// Provider ids and keys are unique.
		err = refunds.Update(ctx, early.ID, func(e *models.Refund) error { return e.SetProviderRefundID(*got.ProviderRefundID, t1) })
		assertConstraint(t, err, models.ErrConflict, byDialect(db, "refunds_provider_refund_id_key", "refunds.provider_refund_id"))
		dup, _ := models.NewRefund(p.ID, models.Money{Minor: 1, Currency: "RUB"}, r.IdempotenceKey, "", t0)
		assertConstraint(t, refunds.Create(ctx, dup), models.ErrConflict, byDialect(db, "refunds_idempotence_key_key", "refunds.idempotence_key"))
		orphan, _ := models.NewRefund(models.NewID(), models.Money{Minor: 1, Currency: "RUB"}, "orphan-"+uuid.NewString(), "", t0)
		assertConstraint(t, refunds.Create(ctx, orphan), models.ErrInvalidReference, "")
		if err := db.Gorm.Exec("DELETE FROM payments WHERE id = ?", p.ID).Error; err == nil {
			t.Error("deleted a payment that has refunds")
		}

		for name, find := range map[string]func() error{
			"ByID":               func() error { _, err := refunds.ByID(ctx, models.NewID()); return err },
			"ByProviderRefundID": func() error { _, err := refunds.ByProviderRefundID(ctx, "nope"); return err },
			"Update":             func() error { return refunds.Update(ctx, models.NewID(), func(*models.Refund) error { return nil }) },
		} {
			if err := find(); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestBookingPaymentNotifications(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		notes := repository.NewPaymentNotifications(db)
		payments := repository.NewPayments(db)
		a := bookingCreate(t, db, bookingCreateService(t, db, nil), bookingAt(0, 10), nil)
		p := bookingCreatePayment(t, db, a.ID, t0)
		receive := func(event, object string) *models.PaymentNotification {
			t.Helper()
			n, err := models.NewPaymentNotification(models.PaymentProviderYooKassa, event, object, t0)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		first := receive("payment.waiting_for_capture", "yk-1")
		if ok, err := notes.Record(ctx, first); err != nil || !ok {
			t.Fatalf("first Record = %v, %v; want true", ok, err)
		}
		if ok, err := notes.Record(ctx, receive("payment.waiting_for_capture", "yk-1")); err != nil || ok {
			t.Errorf("repeated Record = %v, %v; want false, nil", ok, err)
		}
		for _, other := range []*models.PaymentNotification{receive("payment.succeeded", "yk-1"), receive("payment.waiting_for_capture", "yk-2")} {
			if ok, err := notes.Record(ctx, other); err != nil || !ok {
				t.Errorf("Record of %s %s = %v, %v; want true", other.Event, other.ObjectID, ok, err)
			}
		}
		if n := count(t, db, "payment_notifications", ""); n != 3 {
			t.Errorf("%d notifications stored, want 3", n)
		}
		got, err := notes.ByKey(ctx, models.PaymentProviderYooKassa, "payment.waiting_for_capture", "yk-1")
		if err != nil {
			t.Fatal(err)
		}
		bookingAssertSame(t, "notification", *got, *first)
		if _, err := notes.ByKey(ctx, "yookassa", "payment.canceled", "yk-1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ByKey unknown: %v", err)
		}

		t.Run("mark processed", func(t *testing.T) {
			t1 := t0.Add(time.Second)
			if err := notes.MarkProcessed(ctx, first.ID, "confirmed", t1); err != nil {
				t.Fatal(err)
			}
			got, err := notes.ByKey(ctx, first.Provider, first.Event, first.ObjectID)
			if err != nil || got.Outcome == nil || *got.Outcome != "confirmed" {
				t.Fatalf("processed = %+v, %v", got, err)
			}
			assertUTCPtr(t, "ProcessedAt", got.ProcessedAt, &t1)
			if err := notes.MarkProcessed(ctx, models.NewID(), "x", t1); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("MarkProcessed unknown: %v", err)
			}
		})

		// The webhook records the notification in the transaction of the state change: a repeat
		// neither fails that transaction nor changes anything twice.
		t.Run("inside the state change's transaction", func(t *testing.T) {
			process := func() (bool, error) {
				var first bool
				err := db.InTx(ctx, func(ctx context.Context) error {
					var err error
					if first, err = notes.Record(ctx, receive("payment.succeeded", "yk-tx")); err != nil || !first {
						return err
					}
					return payments.Update(ctx, p.ID, func(p *models.Payment) error { return p.Cancel(t0) })
				})
				return first, err
			}
			if ok, err := process(); err != nil || !ok {
				t.Fatalf("first delivery = %v, %v", ok, err)
			}
			if ok, err := process(); err != nil || ok {
				t.Fatalf("second delivery = %v, %v; want false, nil", ok, err)
			}
			// A repeat inside a transaction leaves it usable (PostgreSQL would abort it on an error).
			err := db.InTx(ctx, func(ctx context.Context) error {
				if ok, err := notes.Record(ctx, receive("payment.succeeded", "yk-tx")); err != nil || ok {
					return errors.Join(err, errors.New("repeat recorded"))
				}
				_, err := payments.ByID(ctx, p.ID)
				return err
			})
			if err != nil {
				t.Errorf("transaction after a repeat: %v", err)
			}
			got, _ := payments.ByID(ctx, p.ID)
			if got.Status != models.PaymentStatusCanceled || got.Version != 2 {
				t.Errorf("payment processed %d times: %+v", got.Version-1, got)
			}
		})

		t.Run("concurrent deliveries", func(t *testing.T) {
			const deliveries = 20
			firsts := make(chan bool, deliveries)
			errs := make(chan error, deliveries)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range deliveries {
				n := receive("refund.succeeded", "rf-concurrent")
				wg.Go(func() {
					<-start
					ok, err := notes.Record(context.Background(), n)
					firsts <- ok
					errs <- err
				})
			}
			close(start)
			wg.Wait()
			close(firsts)
			close(errs)
			won := 0
			for ok := range firsts {
				if ok {
					won++
				}
			}
			for err := range errs {
				if err != nil {
					t.Errorf("delivery: %v", err)
				}
			}
			if won != 1 {
				t.Errorf("%d deliveries were first, want 1", won)
			}
		})
	})
}

// Every booking store reports a failing database as an error with context, never as "not found"
// and never as success.
func TestBookingStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		services, avail, appts := repository.NewServices(db), repository.NewAvailability(db), repository.NewAppointments(db)
		forms, waitlist := repository.NewIntakeForms(db), repository.NewWaitlist(db)
		payments, refunds, notes := repository.NewPayments(db), repository.NewRefunds(db), repository.NewPaymentNotifications(db)
		svc := bookingCreateService(t, db, nil)
		a := bookingCreate(t, db, svc, bookingAt(0, 10), nil)
		p := bookingCreatePayment(t, db, a.ID, t0)
		id := models.NewID()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		rule, _ := models.NewAvailabilityRule(nil, 1, 0, 60, "UTC", nil, nil, t0)
		exc, _ := models.NewAvailabilityException(nil, models.AvailabilityExceptionKindDayOff, t0, t0, nil, nil, "UTC", "", t0)
		form, _ := models.NewIntakeForm(a.ID, nil, t0)
		entry, _ := models.NewWaitlistEntry(svc.ID, ptr(id), nil, nil, nil, nil, models.MustTimeZone("UTC"), t0)
		refund, _ := models.NewRefund(p.ID, svc.Price(), "k", "", t0)
		note, _ := models.NewPaymentNotification("yookassa", "payment.succeeded", "x", t0)

		tests := []struct {
			name    string
			call    func() error
			context string // expected in the message; "" when the failure is at BEGIN
		}{
			{"Services.Create", func() error { return services.Create(ctx, bookingNewService(t, nil)) }, "create service"},
			{"Services.ByID", func() error { _, err := services.ByID(ctx, svc.ID); return err }, "service " + svc.ID.String()},
			{"Services.BySlug", func() error { _, err := services.BySlug(ctx, svc.Slug); return err }, "service " + svc.Slug},
			{"Services.ListPublished", func() error { _, err := services.ListPublished(ctx, repository.Page{}); return err }, "list published services"},
			{"Services.List", func() error { _, err := services.List(ctx, repository.Page{}); return err }, "list services"},
			{"Services.Update", func() error { return services.Update(ctx, svc.ID, func(*models.Service) error { return nil }) }, ""},
			{"Availability.CreateRule", func() error { return avail.CreateRule(ctx, rule) }, "create availability rule"},
			{"Availability.CreateException", func() error { return avail.CreateException(ctx, exc) }, "create availability exception"},
			{"Availability.RulesFor", func() error { _, err := avail.RulesFor(ctx, svc.ID); return err }, "availability rules"},
			{"Availability.ExceptionsBetween", func() error { _, err := avail.ExceptionsBetween(ctx, svc.ID, t0, t0); return err }, "availability exceptions"},
			{"Availability.DeleteRule", func() error { return avail.DeleteRule(ctx, id) }, "delete availability rule"},
			{"Availability.DeleteException", func() error { return avail.DeleteException(ctx, id) }, "delete availability exception"},
			{"Appointments.Create", func() error { return appts.Create(ctx, bookingNew(t, svc, bookingAt(1, 10), nil)) }, "create appointment"},
			{"Appointments.ByID", func() error { _, err := appts.ByID(ctx, a.ID); return err }, "appointment " + a.ID.String()},
			{"Appointments.ByManageTokenHash", func() error { _, err := appts.ByManageTokenHash(ctx, "h"); return err }, "appointment by manage token"},
			{"Appointments.ByClient", func() error { _, err := appts.ByClient(ctx, id, repository.Page{}); return err }, "appointments of client"},
			{"Appointments.Conflicting", func() error { _, err := appts.Conflicting(ctx, t0, t0.Add(time.Hour)); return err }, "conflicting appointments"},
			{"Appointments.Upcoming", func() error { _, err := appts.Upcoming(ctx, t0, t0.Add(time.Hour), repository.Page{}); return err }, "upcoming appointments"},
			{"Appointments.ExpiredHolds", func() error { _, err := appts.ExpiredHolds(ctx, t0, 10); return err }, "expired appointment holds"},
			{"Appointments.Update", func() error { return appts.Update(ctx, a.ID, func(*models.Appointment) error { return nil }) }, ""},
			{"Appointments.Save", func() error { return appts.Save(ctx, a) }, "save appointment"},
			{"Appointments.Reschedule", func() error {
				_, err := appts.Reschedule(ctx, a.ID, func(*models.Appointment) (*models.Appointment, error) { return nil, nil })
				return err
			}, "reschedule appointment"},
			{"IntakeForms.Save", func() error { return forms.Save(ctx, form) }, ""},
			{"IntakeForms.ByAppointment", func() error { _, err := forms.ByAppointment(ctx, a.ID); return err }, "intake form of appointment"},
			{"IntakeForms.Update", func() error { return forms.Update(ctx, a.ID, func(*models.IntakeForm) error { return nil }) }, ""},
			{"Waitlist.Create", func() error { return waitlist.Create(ctx, entry) }, "create waitlist entry"},
			{"Waitlist.ByID", func() error { _, err := waitlist.ByID(ctx, id); return err }, "waitlist entry"},
			{"Waitlist.ActiveForService", func() error { _, err := waitlist.ActiveForService(ctx, svc.ID, repository.Page{}); return err }, "waitlist of service"},
			{"Waitlist.Update", func() error { return waitlist.Update(ctx, id, func(*models.WaitlistEntry) error { return nil }) }, ""},
			{"Payments.Create", func() error { return payments.Create(ctx, p) }, "create payment"},
			{"Payments.ByID", func() error { _, err := payments.ByID(ctx, p.ID); return err }, "payment " + p.ID.String()},
			{"Payments.ByProviderPaymentID", func() error { _, err := payments.ByProviderPaymentID(ctx, "x"); return err }, "payment by provider id"},
			{"Payments.ByIdempotenceKey", func() error { _, err := payments.ByIdempotenceKey(ctx, "x"); return err }, "payment by idempotence key"},
			{"Payments.ByAppointment", func() error { _, err := payments.ByAppointment(ctx, a.ID); return err }, "payments of appointment"},
			{"Payments.Update", func() error { return payments.Update(ctx, p.ID, func(*models.Payment) error { return nil }) }, ""},
			{"Payments.Save", func() error { return payments.Save(ctx, p) }, "save payment"},
			{"Refunds.Create", func() error { return refunds.Create(ctx, refund) }, "create refund"},
			{"Refunds.ByID", func() error { _, err := refunds.ByID(ctx, id); return err }, "refund " + id.String()},
			{"Refunds.ByProviderRefundID", func() error { _, err := refunds.ByProviderRefundID(ctx, "x"); return err }, "refund by provider id"},
			{"Refunds.ByPayment", func() error { _, err := refunds.ByPayment(ctx, p.ID); return err }, "refunds of payment"},
			{"Refunds.Update", func() error { return refunds.Update(ctx, id, func(*models.Refund) error { return nil }) }, ""},
			{"PaymentNotifications.Record", func() error { _, err := notes.Record(ctx, note); return err }, "record payment notification"},
			{"PaymentNotifications.MarkProcessed", func() error { return notes.MarkProcessed(ctx, id, "x", t0) }, "mark payment notification"},
			{"PaymentNotifications.ByKey", func() error { _, err := notes.ByKey(ctx, "yookassa", "e", "x"); return err }, "payment notification"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if err == nil || errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want a database error", err)
				}
				if !strings.Contains(err.Error(), tt.context) {
					t.Errorf("err = %v, want it to mention %q", err, tt.context)
				}
			})
		}
	})
}

// Every payment and refund state the models can reach is accepted by the schema's CHECK constraints.
func TestBookingEveryPaymentStatePersists(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		payments, refunds := repository.NewPayments(db), repository.NewRefunds(db)
		a := bookingCreate(t, db, bookingCreateService(t, db, nil), bookingAt(0, 10), nil)
		pending := func(p *models.Payment) error { return p.MarkPending("yk-"+p.ID.String(), "", t0) }
		succeed := func(p *models.Payment) error { return p.Succeed(t0) }
		paths := map[models.PaymentStatus][]func(p *models.Payment) error{
			models.PaymentStatusIntent:            nil,
			models.PaymentStatusPending:           {pending},
			models.PaymentStatusSucceeded:         {pending, succeed},
			models.PaymentStatusCanceled:          {func(p *models.Payment) error { return p.Cancel(t0) }},
			models.PaymentStatusFailed:            {pending, func(p *models.Payment) error { return p.Fail("expired_on_confirmation", t0) }},
			models.PaymentStatusPartiallyRefunded: {pending, succeed, func(p *models.Payment) error { return p.ApplyRefund(1, t0) }},
			models.PaymentStatusRefunded:          {pending, succeed, func(p *models.Payment) error { return p.ApplyRefund(p.AmountMinor, t0) }},
		}
		for status, steps := range paths {
			p := bookingCreatePayment(t, db, a.ID, t0)
			for _, step := range steps {
				if err := payments.Update(ctx, p.ID, step); err != nil {
					t.Fatalf("%s: %v", status, err)
				}
			}
			if got, err := payments.ByID(ctx, p.ID); err != nil || got.Status != status {
				t.Errorf("payment in %s: %+v, %v", status, got, err)
			}
		}
		p := bookingCreatePayment(t, db, a.ID, t0)
		for _, status := range []models.RefundStatus{models.RefundStatusPending, models.RefundStatusSucceeded, models.RefundStatusCanceled} {
			r, _ := models.NewRefund(p.ID, models.Money{Minor: 1, Currency: "RUB"}, "r-"+uuid.NewString(), "", t0)
			if err := refunds.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
			err := refunds.Update(ctx, r.ID, func(r *models.Refund) error {
				switch status {
				case models.RefundStatusSucceeded:
					return r.Succeed(t0)
				case models.RefundStatusCanceled:
					return r.Cancel(t0)
				}
				return nil
			})
			if got, _ := refunds.ByID(ctx, r.ID); err != nil || got.Status != status {
				t.Errorf("refund in %s: %+v, %v", status, got, err)
			}
		}
	})
}
