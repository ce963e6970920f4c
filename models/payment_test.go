package models_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

var bookingRUB5000 = models.Money{Minor: 500000, Currency: "RUB"}

func bookingPayment(t *testing.T) *models.Payment {
	t.Helper()
	p, err := models.NewPayment(models.NewID(), bookingRUB5000, "key-"+models.NewID().String()[:8], bookingT0)
	if err != nil {
		t.Fatalf("NewPayment: %v", err)
	}
	return p
}

// bookingPaymentIn returns a payment moved to status by legal steps, events cleared.
func bookingPaymentIn(t *testing.T, status models.PaymentStatus) *models.Payment {
	t.Helper()
	p := bookingPayment(t)
	steps := map[models.PaymentStatus][]func() error{
		models.PaymentStatusIntent:            nil,
		models.PaymentStatusPending:           {func() error { return p.MarkPending("yk-1", "https://pay/1", bookingT0) }},
		models.PaymentStatusSucceeded:         {func() error { return p.MarkPending("yk-1", "", bookingT0) }, func() error { return p.Succeed(bookingT0) }},
		models.PaymentStatusCanceled:          {func() error { return p.Cancel(bookingT0) }},
		models.PaymentStatusFailed:            {func() error { return p.Fail("card_expired", bookingT0) }},
		models.PaymentStatusPartiallyRefunded: {func() error { return p.MarkPending("yk-1", "", bookingT0) }, func() error { return p.Succeed(bookingT0) }, func() error { return p.ApplyRefund(100000, bookingT0) }},
		models.PaymentStatusRefunded:          {func() error { return p.MarkPending("yk-1", "", bookingT0) }, func() error { return p.Succeed(bookingT0) }, func() error { return p.ApplyRefund(500000, bookingT0) }},
	}
	for _, step := range steps[status] {
		if err := step(); err != nil {
			t.Fatalf("move payment to %s: %v", status, err)
		}
	}
	if p.Status != status {
		t.Fatalf("payment in %s, want %s", p.Status, status)
	}
	p.ClearEvents()
	return p
}

func TestBookingNewPayment(t *testing.T) {
	t.Parallel()
	appt := models.NewID()
	p, err := models.NewPayment(appt, bookingRUB5000, "idem-1", bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	want := models.Payment{
		ID: p.ID, AppointmentID: appt, AmountMinor: 500000, Currency: "RUB", Provider: models.PaymentProviderYooKassa,
		IdempotenceKey: "idem-1", Status: models.PaymentStatusIntent, Version: 1, CreatedAt: bookingT0, UpdatedAt: bookingT0,
	}
	if !reflect.DeepEqual(*p, want) || p.ID.Version() != 7 {
		t.Errorf("payment = %+v\nwant %+v", *p, want)
	}
	if p.Amount() != bookingRUB5000 || p.RefundableMinor() != 0 || len(p.Events()) != 0 {
		t.Errorf("amount %v, refundable %d, events %v", p.Amount(), p.RefundableMinor(), p.Events())
	}

	tests := []struct {
		name  string
		appt  uuid.UUID
		money models.Money
		key   string
		field string
	}{
		{"no appointment", uuid.Nil, bookingRUB5000, "k", "appointment_id"},
		{"zero amount", appt, models.Money{Minor: 0, Currency: "RUB"}, "k", "amount"},
		{"negative amount", appt, models.Money{Minor: -1, Currency: "RUB"}, "k", "amount"},
		{"bad currency", appt, models.Money{Minor: 1, Currency: "руб"}, "k", "currency"},
		{"no key", appt, bookingRUB5000, "", "idempotence_key"},
		{"long key", appt, bookingRUB5000, strings.Repeat("k", 65), "idempotence_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := models.NewPayment(tt.appt, tt.money, tt.key, bookingT0)
			if p != nil {
				t.Errorf("payment %+v returned with an error", p)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}
}

var bookingPaymentMoves = []struct {
	name string
	do   func(p *models.Payment, at time.Time) error
}{
	{"mark pending", func(p *models.Payment, at time.Time) error { return p.MarkPending("yk-2", "https://pay/2", at) }},
	{"succeed", func(p *models.Payment, at time.Time) error { return p.Succeed(at) }},
	{"fail", func(p *models.Payment, at time.Time) error { return p.Fail("insufficient_funds", at) }},
	{"cancel", func(p *models.Payment, at time.Time) error { return p.Cancel(at) }},
	{"refund part", func(p *models.Payment, at time.Time) error { return p.ApplyRefund(50000, at) }},
}

var bookingPaymentLegal = map[models.PaymentStatus]map[string]models.PaymentStatus{
	models.PaymentStatusIntent: {
		"mark pending": models.PaymentStatusPending, "fail": models.PaymentStatusFailed, "cancel": models.PaymentStatusCanceled,
	},
	models.PaymentStatusPending: {
		"succeed": models.PaymentStatusSucceeded, "fail": models.PaymentStatusFailed, "cancel": models.PaymentStatusCanceled,
	},
	models.PaymentStatusSucceeded:         {"refund part": models.PaymentStatusPartiallyRefunded},
	models.PaymentStatusPartiallyRefunded: {"refund part": models.PaymentStatusPartiallyRefunded},
}

var bookingPaymentEvents = map[string]string{
	"succeed": "payment.succeeded", "fail": "payment.failed", "cancel": "payment.canceled",
}

func TestBookingPaymentTransitions(t *testing.T) {
	t.Parallel()
	t1 := bookingT0.Add(time.Hour)
	statuses := []models.PaymentStatus{
		models.PaymentStatusIntent, models.PaymentStatusPending, models.PaymentStatusSucceeded, models.PaymentStatusCanceled,
		models.PaymentStatusFailed, models.PaymentStatusPartiallyRefunded, models.PaymentStatusRefunded,
	}
	for _, from := range statuses {
		for _, m := range bookingPaymentMoves {
			t.Run(string(from)+"/"+m.name, func(t *testing.T) {
				p := bookingPaymentIn(t, from)
				before := *p
				err := m.do(p, t1)
				to, legal := bookingPaymentLegal[from][m.name]
				if !legal {
					if !errors.Is(err, models.ErrInvalidTransition) {
						t.Fatalf("err = %v, want ErrInvalidTransition", err)
					}
					if !strings.Contains(err.Error(), string(from)) {
						t.Errorf("err = %q, want it to name the status", err)
					}
					if !reflect.DeepEqual(*p, before) {
						t.Errorf("illegal move changed the payment:\n%+v\nwant\n%+v", *p, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("legal move: %v", err)
				}
				if p.Status != to || !p.UpdatedAt.Equal(t1) {
					t.Errorf("status %s, updated %v; want %s", p.Status, p.UpdatedAt, to)
				}
				var names []string
				for _, e := range p.Events() {
					names = append(names, e.EventName())
				}
				if want := bookingPaymentEvents[m.name]; (want == "" && len(names) != 0) || (want != "" && (len(names) != 1 || names[0] != want)) {
					t.Errorf("events = %v, want %q", names, want)
				}
				switch m.name {
				case "mark pending":
					if *p.ProviderPaymentID != "yk-2" || *p.ConfirmationURL != "https://pay/2" {
						t.Errorf("provider id %v, url %v", p.ProviderPaymentID, p.ConfirmationURL)
					}
				case "succeed":
					if p.PaidAt == nil || !p.PaidAt.Equal(t1) || p.RefundableMinor() != p.AmountMinor {
						t.Errorf("paid at %v, refundable %d", p.PaidAt, p.RefundableMinor())
					}
					if e := p.Events()[0].(models.PaymentSucceeded); e.AppointmentID != p.AppointmentID || e.AggregateID() != p.ID ||
						e.AmountMinor != p.AmountMinor || e.Currency != p.Currency {
						t.Errorf("event = %+v", e)
					}
				case "fail":
					if *p.FailureReason != "insufficient_funds" {
						t.Errorf("failure reason %v", p.FailureReason)
					}
					if e := p.Events()[0].(models.PaymentFailed); e.AppointmentID != p.AppointmentID {
						t.Errorf("event = %+v", e)
					}
				case "cancel":
					if e := p.Events()[0].(models.PaymentCanceled); e.AppointmentID != p.AppointmentID {
						t.Errorf("event = %+v", e)
					}
				case "refund part":
					if p.RefundedMinor != before.RefundedMinor+50000 || p.RefundableMinor() != p.AmountMinor-p.RefundedMinor {
						t.Errorf("refunded %d, refundable %d", p.RefundedMinor, p.RefundableMinor())
					}
				}
			})
		}
	}
}

func TestBookingPaymentInputValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		from  models.PaymentStatus
		do    func(p *models.Payment) error
		field string
	}{
		{"pending without provider id", models.PaymentStatusIntent, func(p *models.Payment) error { return p.MarkPending("", "", bookingT0) }, "provider_payment_id"},
		{"long provider id", models.PaymentStatusIntent, func(p *models.Payment) error { return p.MarkPending(strings.Repeat("x", 256), "", bookingT0) }, "provider_payment_id"},
		{"long confirmation URL", models.PaymentStatusIntent, func(p *models.Payment) error {
			return p.MarkPending("yk", "https://"+strings.Repeat("x", 2048), bookingT0)
		}, "confirmation_url"},
		{"long failure reason", models.PaymentStatusPending, func(p *models.Payment) error { return p.Fail(strings.Repeat("я", 1001), bookingT0) }, "failure_reason"},
		{"zero refund", models.PaymentStatusSucceeded, func(p *models.Payment) error { return p.ApplyRefund(0, bookingT0) }, "amount"},
		{"negative refund", models.PaymentStatusSucceeded, func(p *models.Payment) error { return p.ApplyRefund(-5, bookingT0) }, "amount"},
		{"over-refund", models.PaymentStatusSucceeded, func(p *models.Payment) error { return p.ApplyRefund(500001, bookingT0) }, "amount"},
		{"over-refund of the rest", models.PaymentStatusPartiallyRefunded, func(p *models.Payment) error { return p.ApplyRefund(400001, bookingT0) }, "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := bookingPaymentIn(t, tt.from)
			before := *p
			bookingAssertValidation(t, tt.do(p), tt.field)
			if !reflect.DeepEqual(*p, before) {
				t.Error("refused change changed the payment")
			}
		})
	}
}

func TestBookingPaymentRefundsToTheEnd(t *testing.T) {
	t.Parallel()
	p := bookingPaymentIn(t, models.PaymentStatusSucceeded)
	for i, step := range []struct {
		amount int64
		want   models.PaymentStatus
	}{{100000, models.PaymentStatusPartiallyRefunded}, {300000, models.PaymentStatusPartiallyRefunded}, {100000, models.PaymentStatusRefunded}} {
		if err := p.ApplyRefund(step.amount, bookingT0); err != nil {
			t.Fatalf("refund %d: %v", i, err)
		}
		if p.Status != step.want {
			t.Errorf("after refund %d: status %s, want %s", i, p.Status, step.want)
		}
	}
	if p.RefundedMinor != p.AmountMinor || p.RefundableMinor() != 0 {
		t.Errorf("refunded %d of %d, refundable %d", p.RefundedMinor, p.AmountMinor, p.RefundableMinor())
	}
	if err := p.ApplyRefund(1, bookingT0); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("refund of a refunded payment: err = %v", err)
	}
}

func TestBookingRefund(t *testing.T) {
	t.Parallel()
	t1 := bookingT0.Add(time.Hour)
	pay := models.NewID()
	r, err := models.NewRefund(pay, models.Money{Minor: 100000, Currency: "RUB"}, "refund-1", "отмена клиентом", bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	want := models.Refund{
		ID: r.ID, PaymentID: pay, AmountMinor: 100000, Currency: "RUB", IdempotenceKey: "refund-1",
		Status: models.RefundStatusPending, Reason: "отмена клиентом", CreatedAt: bookingT0, UpdatedAt: bookingT0,
	}
	if !reflect.DeepEqual(*r, want) || r.Amount() != (models.Money{Minor: 100000, Currency: "RUB"}) {
		t.Errorf("refund = %+v\nwant %+v", *r, want)
	}

	for _, tt := range []struct {
		name   string
		pay    uuid.UUID
		amount models.Money
		key    string
		reason string
		field  string
	}{
		{"no payment", uuid.Nil, bookingRUB5000, "k", "", "payment_id"},
		{"zero amount", pay, models.Money{Currency: "RUB"}, "k", "", "amount"},
		{"no key", pay, bookingRUB5000, "", "", "idempotence_key"},
		{"long reason", pay, bookingRUB5000, "k", strings.Repeat("x", 1001), "reason"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := models.NewRefund(tt.pay, tt.amount, tt.key, tt.reason, bookingT0)
			if r != nil {
				t.Errorf("refund %+v returned with an error", r)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}

	t.Run("provider id", func(t *testing.T) {
		r, _ := models.NewRefund(pay, bookingRUB5000, "k2", "", bookingT0)
		bookingAssertValidation(t, r.SetProviderRefundID("", t1), "provider_refund_id")
		if err := r.SetProviderRefundID("rf-1", t1); err != nil || *r.ProviderRefundID != "rf-1" || !r.UpdatedAt.Equal(t1) {
			t.Fatalf("SetProviderRefundID: %v, %+v", err, r)
		}
		if err := r.SetProviderRefundID("rf-1", t1.Add(time.Hour)); err != nil || !r.UpdatedAt.Equal(t1) {
			t.Errorf("same id again: %v, updated %v", err, r.UpdatedAt)
		}
		before := *r
		if err := r.SetProviderRefundID("rf-2", t1); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("another id: err = %v", err)
		}
		if !reflect.DeepEqual(*r, before) {
			t.Error("refused id change changed the refund")
		}
	})

	moves := map[string]func(r *models.Refund) error{
		"succeed": func(r *models.Refund) error { return r.Succeed(t1) },
		"cancel":  func(r *models.Refund) error { return r.Cancel(t1) },
		"set id":  func(r *models.Refund) error { return r.SetProviderRefundID("rf-9", t1) },
	}
	legal := map[models.RefundStatus]map[string]models.RefundStatus{
		models.RefundStatusPending: {"succeed": models.RefundStatusSucceeded, "cancel": models.RefundStatusCanceled, "set id": models.RefundStatusPending},
	}
	for _, from := range []models.RefundStatus{models.RefundStatusPending, models.RefundStatusSucceeded, models.RefundStatusCanceled} {
		for name, move := range moves {
			t.Run(string(from)+"/"+name, func(t *testing.T) {
				r, _ := models.NewRefund(pay, bookingRUB5000, "k3", "", bookingT0)
				switch from {
				case models.RefundStatusSucceeded:
					_ = r.Succeed(bookingT0)
				case models.RefundStatusCanceled:
					_ = r.Cancel(bookingT0)
				}
				r.ClearEvents()
				before := *r
				err := move(r)
				to, ok := legal[from][name]
				if !ok {
					if !errors.Is(err, models.ErrInvalidTransition) {
						t.Errorf("err = %v, want ErrInvalidTransition", err)
					}
					if !reflect.DeepEqual(*r, before) {
						t.Error("illegal move changed the refund")
					}
					return
				}
				if err != nil || r.Status != to || !r.UpdatedAt.Equal(t1) {
					t.Fatalf("err %v, status %s; want %s", err, r.Status, to)
				}
				if name == "succeed" {
					e, ok := r.Events()[0].(models.RefundSucceeded)
					if len(r.Events()) != 1 || !ok || e.PaymentID != pay || e.AggregateID() != r.ID || e.EventName() != "refund.succeeded" ||
						e.AmountMinor != r.AmountMinor || e.Currency != r.Currency || e.AmountMinor == 0 {
						t.Errorf("events = %+v", r.Events())
					}
				} else if len(r.Events()) != 0 {
					t.Errorf("events = %+v, want none", r.Events())
				}
			})
		}
	}
}

func TestBookingNewPaymentNotification(t *testing.T) {
	t.Parallel()
	n, err := models.NewPaymentNotification(models.PaymentProviderYooKassa, "payment.succeeded", "2d8e-yk", bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	want := models.PaymentNotification{ID: n.ID, Provider: "yookassa", Event: "payment.succeeded", ObjectID: "2d8e-yk", ReceivedAt: bookingT0}
	if !reflect.DeepEqual(*n, want) {
		t.Errorf("notification = %+v", *n)
	}
	for _, tt := range []struct {
		name                 string
		provider             models.PaymentProvider
		event, object, field string
	}{
		{"no provider", "", "payment.succeeded", "x", "provider"},
		{"long provider", models.PaymentProvider(strings.Repeat("p", 33)), "payment.succeeded", "x", "provider"},
		{"no event", "yookassa", "", "x", "event"},
		{"long event", "yookassa", strings.Repeat("e", 65), "x", "event"},
		{"no object", "yookassa", "payment.succeeded", "", "object_id"},
		{"long object", "yookassa", "payment.succeeded", strings.Repeat("o", 256), "object_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := models.NewPaymentNotification(tt.provider, tt.event, tt.object, bookingT0)
			if n != nil {
				t.Errorf("notification %+v returned with an error", n)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}
}

func TestBookingPaymentSucceedsAfterALocalCancel(t *testing.T) {
	t.Parallel()
	p := bookingPaymentIn(t, models.PaymentStatusPending)
	if err := p.Cancel(bookingT0); err != nil {
		t.Fatal(err)
	}
	p.ClearEvents()
	if err := p.Succeed(bookingT0.Add(time.Minute)); err != nil || p.Status != models.PaymentStatusSucceeded || len(p.Events()) != 1 {
		t.Fatalf("the provider's success after a local cancel: %v, %s", err, p.Status)
	}
}
