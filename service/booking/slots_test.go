package booking_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

func dayPtr(s string) *time.Time { d := day(s); return &d }

func intPtr(i int) *int { return &i }

// at is a wall-clock time "2006-01-02 15:04" in loc.
func at(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testService is a 50-minute service with a 10-minute buffer on a 30-minute grid, in Moscow.
func testService() *models.Service {
	return &models.Service{
		ID: uuid.New(), Slug: "individual-session", DurationMinutes: 50, BufferMinutes: 10,
		BookingHorizonDays: 60, SlotStepMinutes: 30, Timezone: "Europe/Moscow",
	}
}

func rule(weekday, from, to int, zone string) models.AvailabilityRule {
	return models.AvailabilityRule{ID: uuid.New(), Weekday: weekday, StartMinute: from, EndMinute: to, Timezone: zone}
}

func exception(kind models.AvailabilityExceptionKind, from, to string, window ...int) models.AvailabilityException {
	e := models.AvailabilityException{ID: uuid.New(), Kind: kind, DateFrom: day(from), DateTo: day(to), Timezone: "Europe/Moscow"}
	if len(window) == 2 {
		e.StartMinute, e.EndMinute = intPtr(window[0]), intPtr(window[1])
	}
	return e
}

// starts renders slot starts on loc's wall clock, with layout.
func starts(slots []booking.Slot, loc *time.Location, layout string) []string {
	out := []string{}
	for _, s := range slots {
		out = append(out, s.Start.In(loc).Format(layout))
	}
	return out
}

const hm = 60 // minutes in an hour, for readable rules

func TestFreeSlots(t *testing.T) {
	t.Parallel()
	msk := zone(t, "Europe/Moscow")
	mon := 1           // 2026-06-01 is a Monday
	morning := 10 * hm // 10:00
	noon := 13 * hm    // 13:00, the end of the test rule
	five := []string{"10:00", "10:30", "11:00", "11:30", "12:00"}
	busy := func(from, to string) booking.Interval {
		return booking.Interval{Start: at(t, "2026-06-01 "+from, msk), End: at(t, "2026-06-01 "+to, msk)}
	}
	for _, tc := range []struct {
		name       string
		svc        func(*models.Service)
		rules      []models.AvailabilityRule
		exceptions []models.AvailabilityException
		busy       []booking.Interval
		now        string // Moscow wall clock; default 2026-05-31 00:00
		want       []string
	}{
		{name: "basic day", rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")}, want: five},
		{name: "no rule on that weekday", rules: []models.AvailabilityRule{rule(2, morning, noon, "Europe/Moscow")}, want: []string{}},
		{
			name:  "busy block from another service's appointment, buffer included",
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			busy:  []booking.Interval{busy("11:00", "12:00")},
			want:  []string{"10:00", "12:00"},
		},
		{
			name:  "the new slot's own buffer must stay free",
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			busy:  []booking.Interval{busy("10:55", "11:30")},
			want:  []string{"11:30", "12:00"},
		},
		{
			name:  "without a buffer the slot before fits",
			svc:   func(s *models.Service) { s.BufferMinutes = 0 },
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			busy:  []booking.Interval{busy("10:55", "11:30")},
			want:  []string{"10:00", "11:30", "12:00"},
		},
		{
			name:  "busy blocks in any order",
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			busy:  []booking.Interval{busy("12:00", "13:00"), busy("09:00", "10:30"), busy("09:30", "09:45")},
			want:  []string{"10:30", "11:00"},
		},
		{
			name:  "min notice: a start exactly at now+notice is offered",
			svc:   func(s *models.Service) { s.MinNoticeMinutes = 60 },
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			now:   "2026-06-01 09:00",
			want:  five,
		},
		{
			name:  "min notice: a minute later it is not",
			svc:   func(s *models.Service) { s.MinNoticeMinutes = 60 },
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			now:   "2026-06-01 09:01",
			want:  five[1:],
		},
		{
			name:  "horizon: starts before now+horizon only",
			svc:   func(s *models.Service) { s.BookingHorizonDays = 1 },
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			now:   "2026-05-31 10:30",
			want:  []string{"10:00"},
		},
		{
			name:  "horizon ends before the range",
			svc:   func(s *models.Service) { s.BookingHorizonDays = 1 },
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			now:   "2026-05-30 10:00",
			want:  []string{},
		},
		{
			name:  "step grid of 45 minutes",
			svc:   func(s *models.Service) { s.SlotStepMinutes = 45 },
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			want:  []string{"10:00", "10:45", "11:30"},
		},
		{
			name:  "grid counts from the window's start",
			rules: []models.AvailabilityRule{rule(mon, 10*hm+10, 12*hm, "Europe/Moscow")},
			want:  []string{"10:10", "10:40", "11:10"},
		},
		{
			name:       "whole day off",
			rules:      []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			exceptions: []models.AvailabilityException{exception(models.AvailabilityExceptionKindDayOff, "2026-05-30", "2026-06-02")},
			want:       []string{},
		},
		{
			name:       "day off on another day",
			rules:      []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			exceptions: []models.AvailabilityException{exception(models.AvailabilityExceptionKindDayOff, "2026-06-02", "2026-06-05")},
			want:       five,
		},
		{
			name:       "partial day off",
			rules:      []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			exceptions: []models.AvailabilityException{exception(models.AvailabilityExceptionKindDayOff, "2026-06-01", "2026-06-01", 11*hm, 12*hm)},
			want:       []string{"10:00", "12:00"},
		},
		{
			name:       "extra hours on a day without rules",
			exceptions: []models.AvailabilityException{exception(models.AvailabilityExceptionKindExtraHours, "2026-06-01", "2026-06-01", 14*hm, 16*hm)},
			want:       []string{"14:00", "14:30", "15:00"},
		},
		{
			name:       "extra hours extend a rule's window",
			rules:      []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow")},
			exceptions: []models.AvailabilityException{exception(models.AvailabilityExceptionKindExtraHours, "2026-06-01", "2026-06-01", noon, 14*hm)},
			want:       []string{"10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00"},
		},
		{
			name: "rule not yet valid",
			rules: []models.AvailabilityRule{func() models.AvailabilityRule {
				r := rule(mon, morning, noon, "Europe/Moscow")
				r.ValidFrom = dayPtr("2026-06-02")
				return r
			}()},
			want: []string{},
		},
		{
			name: "rule no longer valid",
			rules: []models.AvailabilityRule{func() models.AvailabilityRule {
				r := rule(mon, morning, noon, "Europe/Moscow")
				r.ValidTo = dayPtr("2026-05-31")
				return r
			}()},
			want: []string{},
		},
		{
			name: "rule valid exactly that day",
			rules: []models.AvailabilityRule{func() models.AvailabilityRule {
				r := rule(mon, morning, noon, "Europe/Moscow")
				r.ValidFrom, r.ValidTo = dayPtr("2026-06-01"), dayPtr("2026-06-01")
				return r
			}()},
			want: five,
		},
		{
			name:  "overlapping rules give each slot once",
			rules: []models.AvailabilityRule{rule(mon, morning, 12*hm, "Europe/Moscow"), rule(mon, 11*hm, noon, "Europe/Moscow"), rule(mon, morning, noon, "Europe/Moscow")},
			want:  five,
		},
		{
			name:  "the same window written in another zone is not doubled",
			rules: []models.AvailabilityRule{rule(mon, morning, noon, "Europe/Moscow"), rule(mon, 9*hm, 12*hm, "Europe/Berlin")},
			want:  five,
		},
		{
			name:  "a rule in the practitioner's other zone",
			rules: []models.AvailabilityRule{rule(mon, 8*hm, 9*hm, "Europe/Berlin")},
			want:  []string{"09:00"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := testService()
			if tc.svc != nil {
				tc.svc(svc)
			}
			now := "2026-05-31 00:00"
			if tc.now != "" {
				now = tc.now
			}
			slots, err := booking.FreeSlots(booking.SlotQuery{
				Service: svc, Rules: tc.rules, Exceptions: tc.exceptions, Busy: tc.busy,
				Now: at(t, now, msk), From: day("2026-06-01"), To: day("2026-06-01"), ClientZone: msk,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := starts(slots, msk, "15:04"); !slices.Equal(got, tc.want) {
				t.Errorf("slots = %v, want %v", got, tc.want)
			}
			for _, s := range slots {
				if s.End.Sub(s.Start) != svc.Duration() || s.Start.Location() != time.UTC || !s.ClientStart.Equal(s.Start) || !s.ClientEnd.Equal(s.End) {
					t.Errorf("slot %+v: want UTC start, end = start + duration, client fields the same instants", s)
				}
			}
		})
	}
}

func TestFreeSlotsSeveralDaysInOrder(t *testing.T) {
	t.Parallel()
	msk := zone(t, "Europe/Moscow")
	svc := testService()
	svc.SlotStepMinutes = 120
	slots, err := booking.FreeSlots(booking.SlotQuery{
		Service: svc,
		// Wednesday's rule is listed first and in another zone: the order must come from time.
		Rules: []models.AvailabilityRule{rule(3, 8*hm, 11*hm, "Europe/Berlin"), rule(1, 10*hm, 13*hm, "Europe/Moscow"), rule(7, 10*hm, 11*hm, "Europe/Moscow")},
		Now:   at(t, "2026-05-01 00:00", msk), From: day("2026-06-01"), To: day("2026-06-03"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-06-01 10:00", "2026-06-01 12:00", "2026-06-03 09:00", "2026-06-03 11:00"}
	if got := starts(slots, msk, "2006-01-02 15:04"); !slices.Equal(got, want) {
		t.Errorf("slots = %v, want %v (Sunday 2026-05-31 and 2026-06-07 are outside the range)", got, want)
	}
	if len(slots) > 0 && slots[0].ClientStart.Location() != time.UTC {
		t.Errorf("no client zone should show UTC, got %v", slots[0].ClientStart.Location())
	}
}

func TestFreeSlotsRefusesBadInput(t *testing.T) {
	t.Parallel()
	badZone := testService()
	badZone.Timezone = "Mars/Olympus"
	noStep := testService()
	noStep.SlotStepMinutes = 0
	badRule := rule(1, 600, 700, "Nowhere/Land")
	badDayOff := exception(models.AvailabilityExceptionKindDayOff, "2026-06-01", "2026-06-01")
	badDayOff.Timezone = "Local"
	for _, tc := range []struct {
		name string
		q    booking.SlotQuery
	}{
		{"no service", booking.SlotQuery{}},
		{"service zone", booking.SlotQuery{Service: badZone}},
		{"no step", booking.SlotQuery{Service: noStep}},
		{"rule zone", booking.SlotQuery{Service: testService(), Rules: []models.AvailabilityRule{badRule}}},
		{"day off zone", booking.SlotQuery{Service: testService(), Exceptions: []models.AvailabilityException{badDayOff}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.q.Now, tc.q.From, tc.q.To = day("2026-05-01"), day("2026-06-01"), day("2026-06-01")
			if _, err := booking.FreeSlots(tc.q); err == nil {
				t.Error("FreeSlots accepted bad input")
			}
		})
	}
}

// A practitioner in Moscow (no DST) works 10:00–12:00 every day; clients in zones that change
// clocks see the same UTC instants at shifted local times.
func TestFreeSlotsClientZonesAcrossDST(t *testing.T) {
	t.Parallel()
	svc := testService()
	svc.SlotStepMinutes = 60
	svc.BookingHorizonDays = 400
	var rules []models.AvailabilityRule
	for wd := 1; wd <= 7; wd++ {
		rules = append(rules, rule(wd, 10*hm, 12*hm, "Europe/Moscow"))
	}
	for _, tc := range []struct {
		client   string
		from, to string
		want     []string // client wall clock of each slot
	}{
		{"Europe/Berlin", "2026-03-28", "2026-03-29", []string{"2026-03-28 08:00 CET", "2026-03-28 09:00 CET", "2026-03-29 09:00 CEST", "2026-03-29 10:00 CEST"}},
		{"Europe/Berlin", "2026-10-24", "2026-10-25", []string{"2026-10-24 09:00 CEST", "2026-10-24 10:00 CEST", "2026-10-25 08:00 CET", "2026-10-25 09:00 CET"}},
		// New York springs forward at 07:00 UTC, the very instant of the first slot.
		{"America/New_York", "2026-03-07", "2026-03-08", []string{"2026-03-07 02:00 EST", "2026-03-07 03:00 EST", "2026-03-08 03:00 EDT", "2026-03-08 04:00 EDT"}},
		{"America/New_York", "2026-10-31", "2026-11-01", []string{"2026-10-31 03:00 EDT", "2026-10-31 04:00 EDT", "2026-11-01 02:00 EST", "2026-11-01 03:00 EST"}},
	} {
		t.Run(tc.client+" "+tc.to, func(t *testing.T) {
			t.Parallel()
			client := zone(t, tc.client)
			slots, err := booking.FreeSlots(booking.SlotQuery{
				Service: svc, Rules: rules, Now: day("2026-01-01"), From: day(tc.from), To: day(tc.to), ClientZone: client,
			})
			if err != nil {
				t.Fatal(err)
			}
			var got, utc []string
			for _, s := range slots {
				got = append(got, s.ClientStart.Format("2006-01-02 15:04 MST"))
				utc = append(utc, s.Start.Format("15:04"))
				if s.ClientStart.Location() != client || s.ClientEnd.Sub(s.ClientStart) != 50*time.Minute {
					t.Errorf("slot %+v: client fields must be in %s, 50 minutes apart", s, tc.client)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("client starts = %v, want %v", got, tc.want)
			}
			if want := []string{"07:00", "08:00", "07:00", "08:00"}; !slices.Equal(utc, want) {
				t.Errorf("UTC starts = %v, want %v: Moscow does not change clocks", utc, want)
			}
		})
	}
}

// A practitioner in Berlin: rules are wall-clock times there, whatever the offset that day.
func TestFreeSlotsPractitionerZoneDST(t *testing.T) {
	t.Parallel()
	ber := zone(t, "Europe/Berlin")
	svc := testService()
	svc.Timezone, svc.DurationMinutes, svc.BufferMinutes, svc.BookingHorizonDays = "Europe/Berlin", 30, 0, 400
	sunday := 7 // 2026-03-29 and 2026-10-25 are Sundays
	layout := "15:04 MST"
	for _, tc := range []struct {
		name     string
		day      string
		from, to int
		want     []string
		wantUTC  []string
		duration int
	}{
		{"spring: the gap 02:00–03:00 does not exist", "2026-03-29", 2 * hm, 3 * hm, []string{}, []string{}, 30},
		{
			"spring: a window across the gap skips its times", "2026-03-29", 1 * hm, 4 * hm,
			[]string{"01:00 CET", "01:30 CET", "03:00 CEST", "03:30 CEST"}, []string{"00:00", "00:30", "01:00", "01:30"}, 30,
		},
		{"fall: 02:00–03:00 happens twice, offered once", "2026-10-25", 2 * hm, 3 * hm, []string{"02:00 CET", "02:30 CET"}, []string{"01:00", "01:30"}, 30},
		{
			"fall: a window across the change offers each wall time once", "2026-10-25", 1 * hm, 4 * hm,
			[]string{"01:00 CEST", "01:30 CEST", "02:00 CET", "02:30 CET", "03:00 CET", "03:30 CET"},
			[]string{"23:00", "23:30", "01:00", "01:30", "02:00", "02:30"}, 30,
		},
		{"spring: 10:00–19:00 stays local", "2026-03-29", 10 * hm, 19 * hm, nil, nil, 9 * hm},
		{"fall: 10:00–19:00 stays local", "2026-10-25", 10 * hm, 19 * hm, nil, nil, 9 * hm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := *svc
			s.DurationMinutes = tc.duration
			slots, err := booking.FreeSlots(booking.SlotQuery{
				Service: &s, Rules: []models.AvailabilityRule{rule(sunday, tc.from, tc.to, "Europe/Berlin")},
				Now: day("2026-01-01"), From: day(tc.day), To: day(tc.day), ClientZone: ber,
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil { // the whole 9-hour day as one slot: 10:00 to 19:00 local
				if len(slots) != 1 || slots[0].ClientStart.Format("15:04") != "10:00" || slots[0].ClientEnd.Format("15:04") != "19:00" {
					t.Errorf("slots = %+v, want one from 10:00 to 19:00 local", slots)
				}
				return
			}
			if got := starts(slots, ber, layout); !slices.Equal(got, tc.want) {
				t.Errorf("local starts = %v, want %v", got, tc.want)
			}
			if got := starts(slots, time.UTC, "15:04"); !slices.Equal(got, tc.wantUTC) {
				t.Errorf("UTC starts = %v, want %v", got, tc.wantUTC)
			}
		})
	}
}

// fakeAvailability, fakeAppointments and fakeCalendar record how Find reads.
type fakeAvailability struct {
	rules       []models.AvailabilityRule
	exceptions  []models.AvailabilityException
	rulesErr    error
	excErr      error
	excFrom     time.Time
	excTo       time.Time
	excCalled   bool
	rulesCalled bool
}

func (f *fakeAvailability) RulesFor(context.Context, uuid.UUID) ([]models.AvailabilityRule, error) {
	f.rulesCalled = true
	return f.rules, f.rulesErr
}

func (f *fakeAvailability) ExceptionsBetween(_ context.Context, _ uuid.UUID, from, to time.Time) ([]models.AvailabilityException, error) {
	f.excCalled, f.excFrom, f.excTo = true, from, to
	return f.exceptions, f.excErr
}

func (f *fakeAvailability) ScheduleBetween(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
	rules, err := f.RulesFor(ctx, serviceID)
	if err != nil {
		return nil, nil, err
	}
	exceptions, err := f.ExceptionsBetween(ctx, serviceID, from, to)
	return rules, exceptions, err
}

type fakeAppointments struct {
	appts      []models.Appointment
	err        error
	start, end time.Time
	called     bool
}

func (f *fakeAppointments) Conflicting(_ context.Context, start, blockedUntil time.Time) ([]models.Appointment, error) {
	f.called, f.start, f.end = true, start, blockedUntil
	return f.appts, f.err
}

// BusyBetween answers like the repository: the held time of the active appointments only.
func (f *fakeAppointments) BusyBetween(_ context.Context, start, blockedUntil time.Time) ([]repository.BusyTime, error) {
	f.called, f.start, f.end = true, start, blockedUntil
	var out []repository.BusyTime
	for _, a := range f.appts {
		if a.IsActive() {
			out = append(out, repository.BusyTime{StartAt: a.StartAt, BlockedUntil: a.BlockedUntil})
		}
	}
	return out, f.err
}

type fakeCalendar struct {
	busy     []booking.Interval
	err      error
	from, to time.Time
}

func (f *fakeCalendar) Busy(_ context.Context, from, to time.Time) ([]booking.Interval, error) {
	f.from, f.to = from, to
	return f.busy, f.err
}

func TestFindValidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, from, to, field string
		nilService            bool
	}{
		{name: "no service", from: "2026-06-01", to: "2026-06-01", field: "service", nilService: true},
		{name: "bad from", from: "2026-6-1", to: "2026-06-01", field: "from"},
		{name: "bad to", from: "2026-06-01", to: "2026-06-31", field: "to"},
		{name: "from after to", from: "2026-06-02", to: "2026-06-01", field: "to"},
		{name: "32 days", from: "2026-06-01", to: "2026-07-02", field: "to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			slots := booking.NewSlots(&fakeAvailability{}, &fakeAppointments{}, nil, testkit.NewClock(day("2026-05-01")))
			svc := testService()
			if tc.nilService {
				svc = nil
			}
			_, err := slots.Find(context.Background(), svc, tc.from, tc.to, models.MustTimeZone("UTC"))
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("Find = %v, want a validation error of field %q", err, tc.field)
			}
		})
	}
	t.Run("31 days are allowed", func(t *testing.T) {
		t.Parallel()
		slots := booking.NewSlots(&fakeAvailability{}, &fakeAppointments{}, nil, testkit.NewClock(day("2026-05-01")))
		if _, err := slots.Find(context.Background(), testService(), "2026-06-01", "2026-07-01", models.MustTimeZone("UTC")); err != nil {
			t.Errorf("Find = %v", err)
		}
	})
}

func TestFindReadsOnlyTheWindow(t *testing.T) {
	t.Parallel()
	msk := zone(t, "Europe/Moscow")
	now := at(t, "2026-05-31 12:00", msk)
	svc := testService()
	svc.MinNoticeMinutes = 120
	svc.BufferMinutes = 15
	av := &fakeAvailability{rules: []models.AvailabilityRule{rule(1, 10*hm, 13*hm, "Europe/Moscow"), rule(2, 10*hm, 13*hm, "Europe/Moscow")}}
	canceled := models.Appointment{StartAt: at(t, "2026-06-01 12:00", msk), BlockedUntil: at(t, "2026-06-01 13:00", msk), Status: models.AppointmentStatusCanceled}
	active := models.Appointment{StartAt: at(t, "2026-06-01 11:00", msk), BlockedUntil: at(t, "2026-06-01 12:00", msk), Status: models.AppointmentStatusConfirmed}
	ap := &fakeAppointments{appts: []models.Appointment{canceled, active}}
	cal := &fakeCalendar{busy: []booking.Interval{{Start: at(t, "2026-06-02 10:00", msk), End: at(t, "2026-06-02 11:30", msk)}}}
	slots, err := booking.NewSlots(av, ap, cal, testkit.NewClock(now)).Find(context.Background(), svc, "2026-05-31", "2026-06-02", models.MustTimeZone("America/New_York"))
	if err != nil {
		t.Fatal(err)
	}
	wantFrom := now.Add(2 * time.Hour)                                            // the notice is later than the range's start
	wantTo := at(t, "2026-06-03 00:00", msk).Add(50*time.Minute + 15*time.Minute) // the range's end plus the time a slot holds
	if !ap.start.Equal(wantFrom) || !ap.end.Equal(wantTo) || !cal.from.Equal(wantFrom) || !cal.to.Equal(wantTo) {
		t.Errorf("read appointments [%v, %v), calendar [%v, %v); want [%v, %v)", ap.start, ap.end, cal.from, cal.to, wantFrom, wantTo)
	}
	if !av.excFrom.Equal(day("2026-05-29")) || !av.excTo.Equal(day("2026-06-04")) {
		t.Errorf("exceptions read for %v..%v, want two days around the range", av.excFrom, av.excTo)
	}
	want := []string{
		// 10:00 would leave no 15-minute pause before the active appointment at 11:00; the
		// canceled one at 12:00 holds nothing.
		"2026-06-01 12:00",
		"2026-06-02 11:30", "2026-06-02 12:00", // the calendar is busy until 11:30
	}
	if got := starts(slots, msk, "2006-01-02 15:04"); !slices.Equal(got, want) {
		t.Errorf("slots = %v, want %v", got, want)
	}
	if ny := zone(t, "America/New_York"); len(slots) == 0 || slots[0].ClientStart.Location().String() != ny.String() {
		t.Errorf("client fields not in America/New_York: %+v", slots)
	}
}

func TestFindWithoutAClientZoneShowsTheServices(t *testing.T) {
	t.Parallel()
	msk := zone(t, "Europe/Moscow")
	av := &fakeAvailability{rules: []models.AvailabilityRule{rule(1, 10*hm, 11*hm, "Europe/Moscow")}}
	slots, err := booking.NewSlots(av, &fakeAppointments{}, nil, testkit.NewClock(at(t, "2026-05-31 12:00", msk))).
		Find(context.Background(), testService(), "2026-06-01", "2026-06-01", models.TimeZone{})
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 1 || slots[0].ClientStart.Location().String() != "Europe/Moscow" || slots[0].ClientStart.Hour() != 10 {
		t.Errorf("slots = %+v, want one at 10:00 in the service's Europe/Moscow", slots)
	}
}

func TestFindOutsideTheHorizonReadsNothing(t *testing.T) {
	t.Parallel()
	av, ap := &fakeAvailability{}, &fakeAppointments{}
	slots, err := booking.NewSlots(av, ap, nil, testkit.NewClock(day("2026-01-01"))).
		Find(context.Background(), testService(), "2026-06-01", "2026-06-02", models.MustTimeZone("Europe/Berlin"))
	if err != nil || slots == nil || len(slots) != 0 {
		t.Errorf("Find = %v, %v; want an empty list", slots, err)
	}
	if av.rulesCalled || av.excCalled || ap.called {
		t.Error("Find read the stores for a range beyond the horizon")
	}
}

func TestFindPassesStoreErrorsOn(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	badZone := testService()
	badZone.Timezone = "Nowhere/Land"
	for _, tc := range []struct {
		name string
		svc  *models.Service
		av   *fakeAvailability
		ap   *fakeAppointments
		cal  booking.Calendar
		want error
	}{
		{"rules", testService(), &fakeAvailability{rulesErr: boom}, &fakeAppointments{}, nil, boom},
		{"exceptions", testService(), &fakeAvailability{excErr: boom}, &fakeAppointments{}, nil, boom},
		{"appointments", testService(), &fakeAvailability{}, &fakeAppointments{err: boom}, nil, boom},
		{"calendar", testService(), &fakeAvailability{}, &fakeAppointments{}, &fakeCalendar{err: boom}, boom},
		{"service zone", badZone, &fakeAvailability{}, &fakeAppointments{}, nil, nil},
		{"rule zone", testService(), &fakeAvailability{rules: []models.AvailabilityRule{rule(1, 600, 700, "Nowhere/Land")}}, &fakeAppointments{}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := booking.NewSlots(tc.av, tc.ap, tc.cal, testkit.NewClock(day("2026-05-20"))).
				Find(context.Background(), tc.svc, "2026-06-01", "2026-06-01", models.MustTimeZone("UTC"))
			var ve *models.ValidationError
			if err == nil || errors.As(err, &ve) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Find = %v, want a non-validation error wrapping %v", err, tc.want)
			}
		})
	}
}

// Through the real stores: a booked appointment removes its slot and its buffer neighbours; a
// canceled one frees them again.
func TestFindWithRepositories(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		msk := zone(t, "Europe/Moscow")
		clock := testkit.NewClock(at(t, "2026-05-25 09:00", msk))
		svc, err := models.NewService(models.ServiceDetails{
			Slug: "individual-session", Title: "Individual session", Format: models.ServiceFormatOnline,
			DurationMinutes: 50, BufferMinutes: 10, Price: models.Money{Minor: 0, Currency: models.CurrencyRUB},
		}, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewServices(db).Create(ctx, svc); err != nil {
			t.Fatal(err)
		}
		av := repository.NewAvailability(db)
		r, err := models.NewAvailabilityRule(&svc.ID, 1, 10*hm, 13*hm, "Europe/Moscow", nil, nil, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := av.CreateRule(ctx, r); err != nil {
			t.Fatal(err)
		}
		appts := repository.NewAppointments(db)
		slots := booking.NewSlots(av, appts, nil, clock)
		find := func() []string {
			t.Helper()
			got, err := slots.Find(ctx, svc, "2026-06-01", "2026-06-01", models.MustTimeZone("Europe/Berlin"))
			if err != nil {
				t.Fatal(err)
			}
			return starts(got, msk, "15:04")
		}
		five := []string{"10:00", "10:30", "11:00", "11:30", "12:00"}
		if got := find(); !slices.Equal(got, five) {
			t.Fatalf("free day = %v, want %v", got, five)
		}

		lead := uuid.New()
		a, err := models.NewAppointment(svc, at(t, "2026-06-01 11:00", msk), models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline,
			nil, &lead, models.AppointmentMetadata{}, 0, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := appts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		// 11:00–12:00 is held: 10:30 would run into it, 11:30 starts inside it.
		if got, want := find(), []string{"10:00", "12:00"}; !slices.Equal(got, want) {
			t.Errorf("after booking 11:00: %v, want %v", got, want)
		}

		if err := appts.Update(ctx, a.ID, func(a *models.Appointment) error {
			return a.Cancel(models.BookingActorStaff, "test", clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
		if got := find(); !slices.Equal(got, five) {
			t.Errorf("after canceling: %v, want %v", got, five)
		}
	})
}

// FindPublished answers as Find does for the service read by its slug, and sees every change of
// the service at once: nothing is kept between requests.
func TestFindPublishedReadsTheServiceEveryTime(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		slots := booking.NewSlots(repository.NewAvailability(db), e.st.Appointments, nil, e.clock)
		find := func() (*models.Service, []booking.Slot, error) {
			return slots.FindPublished(ctx, "individual-session", "2026-12-03", "2026-12-04", models.MustTimeZone("Europe/Berlin"))
		}
		e.book(t, 0, "anna@example.com")
		svc, got, err := find()
		if err != nil {
			t.Fatal(err)
		}
		want, err := slots.Find(ctx, e.svc, "2026-12-03", "2026-12-04", models.MustTimeZone("Europe/Berlin"))
		if err != nil {
			t.Fatal(err)
		}
		if svc.ID != e.svc.ID || len(got) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("FindPublished: %s, %d slots; Find: %d slots", svc.ID, len(got), len(want))
		}

		// Longer sessions: fewer slots, from the very next request.
		if err := e.st.Services.Update(ctx, e.svc.ID, func(s *models.Service) error {
			d := s.Details()
			d.DurationMinutes = 110
			return s.Revise(d, e.clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
		_, longer, err := find()
		if err != nil || len(longer) >= len(got) {
			t.Fatalf("after the change: %d slots (%v), before %d", len(longer), err, len(got))
		}
		// Unpublished: gone at once; an unknown slug likewise.
		if err := e.st.Services.Update(ctx, e.svc.ID, func(s *models.Service) error { return s.Unpublish(e.clock.Now()) }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := find(); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unpublished: %v, want ErrNotFound", err)
		}
		if _, _, err := slots.FindPublished(ctx, "nope", "2026-12-03", "2026-12-04", models.MustTimeZone("Europe/Berlin")); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown slug: %v, want ErrNotFound", err)
		}
		// A bad request is refused before anything is read.
		if _, _, err := slots.FindPublished(ctx, "nope", "2026-12-04", "2026-12-03", models.MustTimeZone("Europe/Berlin")); !isValidation(err, "to") {
			t.Errorf("reversed dates: %v, want a validation error of to", err)
		}
	})
}
