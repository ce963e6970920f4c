package calendar_test

import (
	"context"
	"testing"
	"time"

	"balance/events"
	"balance/integrations/gcal"
	"balance/integrations/gcal/gcaltest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
	"balance/service/calendar"
)

// now is Tuesday 2026-12-01 12:00 Moscow; Thursday 10:00 Moscow is 07:00 UTC.
var (
	now   = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	start = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
)

type env struct {
	fake  *gcaltest.Server
	cal   *gcal.Client
	subs  *events.Subscriptions
	appts *repository.Appointments
	svc   *models.Service
	av    *repository.Availability
	clock *testkit.Clock
}

func newEnv(t *testing.T, db *repository.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{fake: gcaltest.New(t), subs: events.NewSubscriptions(), appts: repository.NewAppointments(db),
		av: repository.NewAvailability(db), clock: testkit.NewClock(now)}
	var err error
	e.cal, err = gcal.New(ctx, gcal.Config{
		CredentialsFile: e.fake.CredentialsFile(t), CalendarID: e.fake.CalendarID(), APIURL: e.fake.URL(),
		HTTPClient: e.fake.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := calendar.New(e.cal, e.appts, e.clock, testkit.Logger(t)).Register(e.subs); err != nil {
		t.Fatal(err)
	}
	e.svc, err = models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatOnline,
		DurationMinutes: 50, BufferMinutes: 10, Price: models.Money{Currency: "RUB"}, Timezone: "Europe/Moscow",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := repository.NewServices(db).Create(ctx, e.svc); err != nil {
		t.Fatal(err)
	}
	for wd := 1; wd <= 5; wd++ {
		r, err := models.NewAvailabilityRule(&e.svc.ID, wd, 10*60, 13*60, "Europe/Moscow", nil, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.av.CreateRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) deliver(t *testing.T, ev models.Event) {
	t.Helper()
	for _, s := range e.subs.For(ev.EventName()) {
		if s.Name == calendar.Subscriber {
			if err := s.Handle(context.Background(), ev); err != nil {
				t.Fatalf("%s: %v", ev.EventName(), err)
			}
			return
		}
	}
	t.Fatalf("no calendar subscriber for %s", ev.EventName())
}

func TestCalendarFollowsTheAppointment(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		lead := models.NewID()
		a, err := models.NewAppointment(e.svc, start, models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline, nil, &lead, models.AppointmentMetadata{}, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.appts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		confirmed := models.AppointmentConfirmed{EventMeta: models.NewEventMeta(a.ID, now)}
		e.deliver(t, confirmed)
		id := gcal.EventID(a.ID)
		ev, ok := e.fake.Events()[id]
		if !ok || !ev.Start.Equal(start) || !ev.End.Equal(start.Add(50*time.Minute)) || ev.Summary != "Индивидуальная консультация" {
			t.Fatalf("event %s: %+v (%v)", id, ev, ok)
		}
		// The job is retried after the event was made (409): still success, one event.
		e.deliver(t, confirmed)
		if len(e.fake.Events()) != 1 {
			t.Errorf("events %d", len(e.fake.Events()))
		}
		if got, _ := e.appts.ByID(ctx, a.ID); got.ExternalCalendarEventID == nil || *got.ExternalCalendarEventID != id {
			t.Errorf("appointment's event id %v", got.ExternalCalendarEventID)
		}

		// Moved: the same event moves.
		next, err := e.appts.Reschedule(ctx, a.ID, func(old *models.Appointment) (*models.Appointment, error) {
			return old.Reschedule(e.svc, start.Add(time.Hour), models.BookingActorStaff, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		e.deliver(t, models.AppointmentRescheduled{EventMeta: models.NewEventMeta(a.ID, now), NewAppointmentID: next.ID})
		if ev := e.fake.Events()[id]; !ev.Start.Equal(start.Add(time.Hour)) || len(e.fake.Events()) != 1 {
			t.Errorf("after the move: %+v", e.fake.Events())
		}

		// Canceled: the event goes; a repeat (410) is fine.
		if err := e.appts.Update(ctx, next.ID, func(x *models.Appointment) error {
			return x.Cancel(models.BookingActorClient, "", now)
		}); err != nil {
			t.Fatal(err)
		}
		canceled := models.AppointmentCanceled{EventMeta: models.NewEventMeta(next.ID, now), From: models.AppointmentStatusConfirmed}
		e.deliver(t, canceled)
		e.deliver(t, canceled)
		if !e.fake.Deleted(id) {
			t.Error("the event was not deleted")
		}

		// An unpaid booking that lapses had no event: nothing is asked of the calendar.
		before := e.fake.Requests("events")
		e.deliver(t, models.AppointmentCanceled{EventMeta: models.NewEventMeta(next.ID, now), From: models.AppointmentStatusPendingPayment})
		if e.fake.Requests("events") != before {
			t.Error("a pending booking's cancellation called the calendar")
		}
	})
}

func TestCalendarOutageIsRetriedAndRefusalIsNot(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		lead := models.NewID()
		a, err := models.NewAppointment(e.svc, start, models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, nil, &lead, models.AppointmentMetadata{}, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.appts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		sub := e.subs.For(models.AppointmentConfirmed{}.EventName())[0]
		ev := models.AppointmentConfirmed{EventMeta: models.NewEventMeta(a.ID, now)}
		e.fake.FailNext(5, 503)
		if err := sub.Handle(ctx, ev); err == nil {
			t.Fatal("a calendar outage must fail the job so it is retried")
		}
		e.fake.FailNext(1, 403)
		if err := sub.Handle(ctx, ev); err != nil {
			t.Fatalf("a refusal is given up, not retried: %v", err)
		}
	})
}

func TestBusyCalendarTimeIsNotOffered(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		withCalendar := booking.NewSlots(e.av, e.appts, calendar.FreeBusy{Source: e.cal}, e.clock)
		find := func(slots *booking.Slots) map[string]bool {
			t.Helper()
			got, err := slots.Find(ctx, e.svc, "2026-12-03", "2026-12-04", models.MustTimeZone("Europe/Moscow"))
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, s := range got {
				out[s.ClientStart.Format("01-02 15:04")] = true
			}
			return out
		}
		// A meeting in the practitioner's own calendar, Thursday 11:00–11:30, and Friday all day.
		e.fake.AddBusy(start.Add(time.Hour), start.Add(90*time.Minute))
		e.fake.AddAllDay(2026, 12, 4)
		before := find(booking.NewSlots(e.av, e.appts, nil, e.clock))
		if !before["12-03 11:00"] || !before["12-04 10:00"] {
			t.Fatalf("free without the calendar: %v", before)
		}
		after := find(withCalendar)
		for _, gone := range []string{"12-03 10:30", "12-03 11:00", "12-04 10:00", "12-04 12:00"} {
			if after[gone] {
				t.Errorf("%s is offered though the calendar is busy", gone)
			}
		}
		// 10:00 holds 10:00–11:00 with its buffer: it only touches the block.
		if !after["12-03 10:00"] || !after["12-03 11:30"] || !after["12-03 12:00"] {
			t.Errorf("free time next to the busy block is missing: %v", after)
		}
		// The booking's final check asks the calendar too.
		if err := withCalendar.Check(ctx, e.svc, start.Add(time.Hour), [16]byte{}); err == nil {
			t.Error("a busy calendar time passed the booking check")
		}
	})
}
