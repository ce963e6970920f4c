package repository_test

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// BusyBetween answers Conflicting's question with the held times only: the same appointments,
// canceled ones excluded, a touching end not an overlap.
func TestSlotsWindowBusyBetween(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.BufferMinutes = 10 })

		// Day 0: 08 (canceled), 10, 12, 14 (confirmed); each holds 50 minutes and a 10-minute buffer.
		canceled := bookingCreate(t, db, svc, bookingAt(0, 8), nil)
		if err := appts.Update(ctx, canceled.ID, func(a *models.Appointment) error { return a.Cancel(models.BookingActorClient, "", t0) }); err != nil {
			t.Fatal(err)
		}
		bookingCreate(t, db, svc, bookingAt(0, 10), nil)
		bookingCreate(t, db, svc, bookingAt(0, 12), nil)
		c14 := bookingCreate(t, db, svc, bookingAt(0, 14), nil)
		if err := appts.Update(ctx, c14.ID, func(a *models.Appointment) error { return a.Confirm(t0.Add(time.Minute)) }); err != nil {
			t.Fatal(err)
		}

		held := func(h int) repository.BusyTime {
			return repository.BusyTime{StartAt: bookingAt(0, h), BlockedUntil: bookingAt(0, h+1)}
		}
		tests := []struct {
			name     string
			from, to time.Time
			want     []repository.BusyTime
		}{
			{"the canceled time is free", bookingAt(0, 8), bookingAt(0, 9), nil},
			{"touching the end of the buffer", bookingAt(0, 11), bookingAt(0, 12), nil},
			{"inside the buffer", bookingAt(0, 10).Add(55 * time.Minute), bookingAt(0, 11).Add(30 * time.Minute), []repository.BusyTime{held(10)}},
			{"spanning all, by start", bookingAt(0, 0), bookingAt(1, 0), []repository.BusyTime{held(10), held(12), held(14)}},
			{"ending at a start", bookingAt(0, 13), bookingAt(0, 14), nil},
			{"in another zone", bookingAt(0, 13).In(msk), bookingAt(0, 14).Add(time.Minute).In(msk), []repository.BusyTime{held(14)}},
		}
		for _, tt := range tests {
			got, err := appts.BusyBetween(ctx, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%s: %+v, want %+v", tt.name, got, tt.want)
			}
			for i := range got {
				assertUTC(t, tt.name+": StartAt", got[i].StartAt, tt.want[i].StartAt)
				assertUTC(t, tt.name+": BlockedUntil", got[i].BlockedUntil, tt.want[i].BlockedUntil)
			}
			// The same appointments as Conflicting.
			full, err := appts.Conflicting(ctx, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if len(full) != len(got) {
				t.Errorf("%s: Conflicting found %d appointments, BusyBetween %d", tt.name, len(full), len(got))
			}
		}
	})
}

// ScheduleBetween returns in one query what RulesFor and ExceptionsBetween return, with the
// fields a slot computation reads.
func TestSlotsWindowScheduleBetween(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		avail := repository.NewAvailability(db)
		svc := bookingCreateService(t, db, nil)
		other := bookingCreateService(t, db, nil)
		from, to := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
		d := func(day int) time.Time { return time.Date(2026, 5, day, 0, 0, 0, 0, time.UTC) }

		for _, r := range []struct {
			service       *uuid.UUID
			weekday       int
			start, end    int
			zone          string
			validFrom, to *time.Time
		}{
			{&svc.ID, 2, 600, 1080, "Europe/Moscow", &from, &to},
			{&svc.ID, 1, 540, 720, "Asia/Novosibirsk", nil, nil},
			{&svc.ID, 1, 540, 600, "Europe/Moscow", nil, &to},
			{nil, 1, 720, 900, "Europe/Moscow", nil, nil},
			{&other.ID, 1, 0, 1440, "Europe/Moscow", nil, nil},
		} {
			rule, err := models.NewAvailabilityRule(r.service, r.weekday, r.start, r.end, r.zone, r.validFrom, r.to, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := avail.CreateRule(ctx, rule); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range []struct {
			service    *uuid.UUID
			kind       models.AvailabilityExceptionKind
			from, to   time.Time
			start, end *int
		}{
			{nil, models.AvailabilityExceptionKindDayOff, d(1), d(10), nil, nil},
			{&svc.ID, models.AvailabilityExceptionKindExtraHours, d(12), d(12), ptr(1080), ptr(1200)},
			{&other.ID, models.AvailabilityExceptionKindDayOff, d(11), d(13), nil, nil},
			{&svc.ID, models.AvailabilityExceptionKindDayOff, d(20), d(20), ptr(0), ptr(600)},
			{&svc.ID, models.AvailabilityExceptionKindDayOff, d(25), d(27), nil, nil},
		} {
			exc, err := models.NewAvailabilityException(e.service, e.kind, e.from, e.to, e.start, e.end, "Europe/Berlin", "отпуск", t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := avail.CreateException(ctx, exc); err != nil {
				t.Fatal(err)
			}
		}

		wantRules, err := avail.RulesFor(ctx, svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(wantRules) != 4 {
			t.Fatalf("RulesFor = %d rules, want 4", len(wantRules))
		}
		for i := range wantRules { // the columns ScheduleBetween does not read
			wantRules[i].ServiceID, wantRules[i].CreatedAt = nil, time.Time{}
		}
		for _, tt := range []struct {
			name     string
			from, to time.Time
			n        int
		}{
			{"every exception", d(1), d(31), 4},
			{"one day inside a range", d(5), d(5), 1},
			{"ends included", d(10), d(12), 2},
			{"none", d(21), d(24), 0},
		} {
			rules, exceptions, err := avail.ScheduleBetween(ctx, svc.ID, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rules, wantRules) {
				t.Errorf("%s: rules\n got %+v\nwant %+v", tt.name, rules, wantRules)
			}
			for _, r := range rules {
				for _, p := range []*time.Time{r.ValidFrom, r.ValidTo} {
					if p != nil && p.Location() != time.UTC {
						t.Errorf("%s: rule date %v not in UTC", tt.name, p)
					}
				}
			}
			want, err := avail.ExceptionsBetween(ctx, svc.ID, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != tt.n {
				t.Fatalf("%s: ExceptionsBetween = %d, want %d", tt.name, len(want), tt.n)
			}
			for i := range want {
				want[i].ServiceID, want[i].CreatedAt, want[i].Reason = nil, time.Time{}, ""
			}
			byID := func(a, b models.AvailabilityException) int { return cmp.Compare(a.ID.String(), b.ID.String()) }
			slices.SortFunc(want, byID)
			slices.SortFunc(exceptions, byID)
			if len(exceptions) != len(want) {
				t.Fatalf("%s: exceptions\n got %+v\nwant %+v", tt.name, exceptions, want)
			}
			for i := range want {
				assertUTC(t, tt.name+": DateFrom", exceptions[i].DateFrom, want[i].DateFrom)
				assertUTC(t, tt.name+": DateTo", exceptions[i].DateTo, want[i].DateTo)
				if !reflect.DeepEqual(exceptions[i], want[i]) {
					t.Errorf("%s: exception\n got %+v\nwant %+v", tt.name, exceptions[i], want[i])
				}
			}
		}
	})
}

// The slot reads report a failing database as an error with context, never as an empty window.
func TestSlotsWindowReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		avail, appts := repository.NewAvailability(db), repository.NewAppointments(db)
		svc := bookingCreateService(t, db, nil)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		_, err := appts.BusyBetween(ctx, t0, t0.Add(time.Hour))
		if err == nil || !strings.Contains(err.Error(), "busy time") {
			t.Errorf("BusyBetween = %v, want a database error about busy time", err)
		}
		_, _, err = avail.ScheduleBetween(ctx, svc.ID, t0, t0)
		if err == nil || !strings.Contains(err.Error(), "schedule of service "+svc.ID.String()) {
			t.Errorf("ScheduleBetween = %v, want a database error about the service's schedule", err)
		}
	})
}

// SlotWindow reads what ScheduleBetween and BusyBetween read, with the service's timing, in one
// statement on PostgreSQL; an unknown slug reads nothing.
func TestSlotsWindowInOneRead(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		avail, appts := repository.NewAvailability(db), repository.NewAppointments(db)
		svc := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.BufferMinutes = 10 })
		other := bookingCreateService(t, db, nil)
		for _, r := range []*uuid.UUID{&svc.ID, nil, &other.ID} {
			rule, err := models.NewAvailabilityRule(r, 1, 600, 1080, "Europe/Moscow", nil, nil, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := avail.CreateRule(ctx, rule); err != nil {
				t.Fatal(err)
			}
		}
		day := bookingAt(0, 0)
		exc, err := models.NewAvailabilityException(&svc.ID, models.AvailabilityExceptionKindDayOff, day, day, nil, nil, "Europe/Moscow", "отпуск", t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := avail.CreateException(ctx, exc); err != nil {
			t.Fatal(err)
		}
		bookingCreate(t, db, svc, bookingAt(0, 10), nil)
		bookingCreate(t, db, other, bookingAt(0, 12), nil) // the practitioner is one person

		from, to := day.AddDate(0, 0, -2), day.AddDate(0, 0, 2)
		busyFrom, busyTo := day, day.AddDate(0, 0, 1)
		q := testkit.CountQueries(t, db.Gorm)
		w, err := avail.SlotWindow(ctx, svc.Slug, from, to, busyFrom, busyTo)
		if err != nil {
			t.Fatal(err)
		}
		if n := q.N(); db.Dialect == migrations.Postgres && n != 1 {
			t.Errorf("%d statements, want 1", n)
		}
		s := w.Service
		if s.ID != svc.ID || s.Slug != svc.Slug || !s.IsPublished() || s.Timezone != svc.Timezone ||
			s.DurationMinutes != svc.DurationMinutes || s.BufferMinutes != 10 || s.MinNoticeMinutes != svc.MinNoticeMinutes ||
			s.SlotStepMinutes != svc.SlotStepMinutes || s.BookingHorizonDays != svc.BookingHorizonDays {
			t.Errorf("service %+v, want the timing of %+v", s, svc)
		}
		rules, exceptions, err := avail.ScheduleBetween(ctx, svc.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		busy, err := appts.BusyBetween(ctx, busyFrom, busyTo)
		if err != nil {
			t.Fatal(err)
		}
		if len(rules) != 2 || len(exceptions) != 1 || len(busy) != 2 {
			t.Fatalf("the reference reads found %d rules, %d exceptions, %d busy", len(rules), len(exceptions), len(busy))
		}
		if !reflect.DeepEqual(w.Rules, rules) || !reflect.DeepEqual(w.Exceptions, exceptions) {
			t.Errorf("schedule\n got %+v %+v\nwant %+v %+v", w.Rules, w.Exceptions, rules, exceptions)
		}
		if len(w.Busy) != len(busy) {
			t.Fatalf("busy %+v, want %+v", w.Busy, busy)
		}
		for i := range busy {
			assertUTC(t, "busy start", w.Busy[i].StartAt, busy[i].StartAt)
			assertUTC(t, "busy end", w.Busy[i].BlockedUntil, busy[i].BlockedUntil)
		}

		none, err := avail.SlotWindow(ctx, "no-such-service", from, to, busyFrom, busyTo)
		if err != nil || none.Service.ID != uuid.Nil || len(none.Rules)+len(none.Exceptions)+len(none.Busy) != 0 {
			t.Errorf("unknown slug: %+v, %v; want nothing", none, err)
		}
	})
}
