package crm_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/crm"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type env struct {
	db           *repository.DB
	bus          *events.Memory
	subs         *events.Subscriptions
	clock        *testkit.Clock
	leads        *repository.Leads
	timeline     *repository.LeadTimeline
	appointments *repository.Appointments
	payments     *repository.Payments
	svc          *models.Service
	slot         time.Time
}

// newEnv publishes db's events to an in-memory bus carrying the timeline subscriber, and saves a
// paid service to book.
func newEnv(t *testing.T, db *repository.DB) *env {
	t.Helper()
	e := &env{
		db: db, subs: events.NewSubscriptions(), clock: testkit.NewClock(t0.Add(time.Hour)),
		leads: repository.NewLeads(db), timeline: repository.NewLeadTimeline(db),
		appointments: repository.NewAppointments(db), payments: repository.NewPayments(db),
		slot: t0.Add(48 * time.Hour),
	}
	if err := crm.Register(e.subs, e.timeline, e.appointments, e.payments, e.clock); err != nil {
		t.Fatal(err)
	}
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "consultation", Title: "Консультация", DescriptionMarkdown: "50 минут",
		Format: models.ServiceFormatHybrid, DurationMinutes: 50, Price: models.Money{Minor: 500000, Currency: "RUB"},
		Timezone: "Europe/Moscow",
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish(t0); err != nil {
		t.Fatal(err)
	}
	if err := repository.NewServices(db).Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.bus = events.NewMemory(e.subs, testkit.Logger(t))
	db.SetPublisher(e.bus)
	return e
}

func (e *env) drain(t *testing.T) {
	t.Helper()
	if err := e.bus.Drain(); err != nil {
		t.Fatalf("subscribers failed: %v", err)
	}
}

func (e *env) entries(t *testing.T, leadID uuid.UUID) []models.LeadTimelineEvent {
	t.Helper()
	got, err := e.timeline.ListByLead(context.Background(), leadID, repository.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (e *env) countAll(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.Gorm.Raw("SELECT count(*) FROM lead_timeline_events").Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) handle(t *testing.T, ev models.Event) error {
	t.Helper()
	sub, ok := e.subs.Get(ev.EventName(), crm.TimelineSubscriber)
	if !ok {
		t.Fatalf("the timeline subscriber does not follow %s", ev.EventName())
	}
	return sub.Handle(context.Background(), ev)
}

// lead saves a new lead and returns it with its lead.captured event.
func (e *env) lead(t *testing.T) (*models.Lead, models.Event) {
	t.Helper()
	l, err := models.NewLead("site", models.UTM{Source: "telegram"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	captured := eventOf(t, l.Recorder, "lead.captured")
	if err := e.leads.Create(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	return l, captured
}

// book books the next free slot for a lead and/or a client, waiting for payment, and returns the
// appointment with its appointment.booked event.
func (e *env) book(t *testing.T, clientID, leadID *uuid.UUID) (*models.Appointment, models.Event) {
	t.Helper()
	a, err := models.NewAppointment(e.svc, e.slot, models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, clientID, leadID,
		models.AppointmentMetadata{}, 15*time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	booked := eventOf(t, a.Recorder, "appointment.booked")
	e.slot = e.slot.Add(2 * time.Hour)
	if err := e.appointments.Create(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a, booked
}

// pay creates the appointment's payment and lets it succeed.
func (e *env) pay(t *testing.T, a *models.Appointment) *models.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := models.NewPayment(a.ID, models.Money{Minor: 500000, Currency: "RUB"}, "key-"+a.ID.String()[:8], t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.payments.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	err = e.payments.Update(ctx, p.ID, func(p *models.Payment) error {
		if err := p.MarkPending("yk-"+p.ID.String(), "https://yookassa.example/pay", t0); err != nil {
			return err
		}
		return p.Succeed(t0.Add(time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// eventOf returns the event named name an aggregate recorded (before its save clears them), to
// redeliver it.
func eventOf(t *testing.T, rec models.Recorder, name string) models.Event {
	t.Helper()
	for _, ev := range rec.Events() {
		if ev.EventName() == name {
			return ev
		}
	}
	t.Fatalf("no %s recorded", name)
	return nil
}

func TestTimelineFollowsTheLead(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		l, captured := e.lead(t)
		e.drain(t)

		a, booked := e.book(t, nil, &l.ID)
		e.drain(t)
		p := e.pay(t, a)
		e.drain(t)
		var confirmed, canceled models.Event
		err := e.appointments.Update(ctx, a.ID, func(a *models.Appointment) error {
			if err := a.Confirm(t0.Add(2 * time.Minute)); err != nil {
				return err
			}
			confirmed = eventOf(t, a.Recorder, "appointment.confirmed")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		err = e.appointments.Update(ctx, a.ID, func(a *models.Appointment) error {
			if err := a.Cancel(models.BookingActorClient, "", t0.Add(3*time.Minute)); err != nil {
				return err
			}
			canceled = eventOf(t, a.Recorder, "appointment.canceled")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.drain(t)

		got := e.entries(t, l.ID)
		want := []struct {
			kind string
			at   time.Time
			data map[string]any
		}{
			{"lead.captured", t0, map[string]any{"source": "site"}},
			{"appointment.booked", t0, map[string]any{
				"appointment_id": a.ID.String(), "service_id": e.svc.ID.String(), "status": "pending_payment",
			}},
			{"payment.succeeded", t0.Add(time.Minute), map[string]any{
				"payment_id": p.ID.String(), "appointment_id": a.ID.String(), "amount_minor": float64(500000), "currency": "RUB",
			}},
			{"appointment.confirmed", t0.Add(2 * time.Minute), map[string]any{"appointment_id": a.ID.String()}},
			{"appointment.canceled", t0.Add(3 * time.Minute), map[string]any{
				"appointment_id": a.ID.String(), "by": "client", "from": "confirmed",
			}},
		}
		if len(got) != len(want) {
			t.Fatalf("timeline = %+v, want %d entries", got, len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.Kind != w.kind || !g.OccurredAt.Equal(w.at) || g.SourceEventID == nil || !g.CreatedAt.Equal(e.clock.Now()) {
				t.Errorf("entry %d = %+v, want %s at %v", i, g, w.kind, w.at)
			}
			if !reflect.DeepEqual(g.Data, w.data) {
				t.Errorf("entry %d (%s) data = %#v, want %#v", i, g.Kind, g.Data, w.data)
			}
		}

		// Each event again — once, then several at once — adds nothing.
		for _, ev := range []models.Event{captured, booked, confirmed, canceled} {
			if err := e.handle(t, ev); err != nil {
				t.Fatalf("redelivering %s: %v", ev.EventName(), err)
			}
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					if err := e.handle(t, ev); err != nil {
						t.Errorf("concurrent redelivery of %s: %v", ev.EventName(), err)
					}
				})
			}
			wg.Wait()
		}
		if n := len(e.entries(t, l.ID)); n != len(want) {
			t.Errorf("%d entries after redeliveries, want %d", n, len(want))
		}
	})
}

func TestTimelineRollbackAddsNothing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		l, err := models.NewLead("site", models.UTM{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(ctx context.Context) error {
			if err := e.leads.Create(ctx, l); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
		if err == nil {
			t.Fatal("the transaction did not fail")
		}
		e.drain(t)
		if n := e.countAll(t); n != 0 {
			t.Errorf("%d timeline entries after a rollback", n)
		}
	})
}

// Appointments and payments of a client without a lead — or of a lead, appointment or payment
// that no longer exists — have no timeline to write to: no entry, and no error to retry.
func TestTimelineWithoutLead(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		client := models.NewClientUser("client@example.org", "Клиент", t0)
		if err := repository.NewUsers(db).Create(ctx, client); err != nil {
			t.Fatal(err)
		}
		a, _ := e.book(t, &client.ID, nil)
		e.drain(t)
		e.pay(t, a)
		e.drain(t)
		if err := e.appointments.Update(ctx, a.ID, func(a *models.Appointment) error { return a.Confirm(t0) }); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		if n := e.countAll(t); n != 0 {
			t.Errorf("%d timeline entries for a client without a lead", n)
		}

		// Appointments refer to leads by id only: a lead that is gone has no timeline either.
		ghost := models.NewID()
		e.book(t, nil, &ghost)
		e.drain(t)

		for _, ev := range []models.Event{
			models.AppointmentConfirmed{EventMeta: models.NewEventMeta(models.NewID(), t0)},
			models.AppointmentCanceled{EventMeta: models.NewEventMeta(models.NewID(), t0), By: models.BookingActorStaff},
			models.PaymentSucceeded{EventMeta: models.NewEventMeta(models.NewID(), t0), AppointmentID: a.ID},
		} {
			if err := e.handle(t, ev); err != nil {
				t.Errorf("%s of a missing aggregate: %v", ev.EventName(), err)
			}
		}
		if n := e.countAll(t); n != 0 {
			t.Errorf("%d timeline entries, want none", n)
		}
	})
}

// fakeAppointments fails like a database that is down.
type fakeAppointments struct{ err error }

func (f fakeAppointments) LeadOf(context.Context, uuid.UUID) (*uuid.UUID, error) { return nil, f.err }

func TestTimelineReportsStoreErrors(t *testing.T) {
	t.Parallel()
	subs := events.NewSubscriptions()
	errDown := errors.New("database down")
	if err := crm.Register(subs, nil, fakeAppointments{errDown}, nil, testkit.NewClock(t0)); err != nil {
		t.Fatal(err)
	}
	sub, ok := subs.Get("appointment.confirmed", crm.TimelineSubscriber)
	if !ok {
		t.Fatal("appointment.confirmed is not followed")
	}
	ev := models.AppointmentConfirmed{EventMeta: models.NewEventMeta(models.NewID(), t0)}
	if err := sub.Handle(context.Background(), ev); !errors.Is(err, errDown) {
		t.Errorf("Handle = %v, want the store's error (so that the job is retried)", err)
	}
	if err := sub.Handle(context.Background(), models.AppointmentNoShow{}); err == nil {
		t.Error("Handle accepted an event it does not follow")
	}
	if err := crm.Register(subs, nil, fakeAppointments{}, nil, testkit.NewClock(t0)); err == nil {
		t.Error("a second registration succeeded")
	}
}
