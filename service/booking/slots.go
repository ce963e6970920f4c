// Package booking holds the booking use cases. This file answers "when can a client book this
// service?": the practitioner's weekly rules and exceptions, minus what is already taken, on the
// service's grid, shown in the client's zone.
package booking

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service"
)

// MaxSlotRangeDays is the longest date range, both ends included, one Find may ask for.
const MaxSlotRangeDays = 31

// dateLayout is how the API writes calendar dates.
const dateLayout = "2006-01-02"

// Interval is a half-open span of time [Start, End).
type Interval struct {
	Start, End time.Time
}

// Slot is a bookable time: Start and End in UTC, and the same instants in the client's zone.
type Slot struct {
	Start       time.Time
	End         time.Time
	ClientStart time.Time
	ClientEnd   time.Time
}

// SlotQuery is everything FreeSlots needs; it reads nothing else.
type SlotQuery struct {
	Service    *models.Service
	Rules      []models.AvailabilityRule
	Exceptions []models.AvailabilityException
	// Busy holds the taken time: active appointments as [StartAt, BlockedUntil) (their buffer
	// included) and the external calendar's busy blocks. Order does not matter.
	Busy []Interval
	Now  time.Time
	// From and To are calendar days (only their year, month and day count), both included, in
	// the service's zone.
	From, To time.Time
	// ClientZone is the zone slots are shown in; nil means UTC.
	ClientZone *time.Location
}

// FreeSlots computes the free slots of q.Service between q.From and q.To, ordered by start.
//
// Windows are built from wall-clock minutes with time.Date in each rule's zone, so a 10:00–19:00
// rule stays 10:00–19:00 local across a DST change. Rules and extra hours of one zone and day are
// merged (overlapping rules give each slot once); the grid starts at each merged window's start
// and walks wall-clock minutes, so a start that does not exist (a spring-forward gap) is skipped
// and an ambiguous one (fall-back) is offered once. A slot [s, s+duration) must fit its window and
// miss every day off; [s, s+duration+buffer) must miss every busy interval. The buffer may run past
// the window's end: it is a pause, not working time.
func FreeSlots(q SlotQuery) ([]Slot, error) {
	svc := q.Service
	if svc == nil {
		return nil, errors.New("free slots: no service")
	}
	if svc.DurationMinutes <= 0 || svc.SlotStepMinutes <= 0 {
		return nil, fmt.Errorf("free slots of service %s: duration and slot step must be positive", svc.Slug)
	}
	zones := zoneCache{}
	home, err := zones.load(svc.Timezone)
	if err != nil {
		return nil, fmt.Errorf("free slots of service %s: %w", svc.Slug, err)
	}
	client := q.ClientZone
	if client == nil {
		client = time.UTC
	}
	from, to := civilDay(q.From), civilDay(q.To)
	lo, hi := bookable(svc, home, from, to, q.Now)
	if !lo.Before(hi) {
		return nil, nil
	}

	// Rules and exceptions may be written in another zone than the service's: look two days
	// beyond each end so that every window reaching into the range is seen.
	windows := map[zoneDay][]minuteSpan{}
	var daysOff []Interval
	for day := from.AddDate(0, 0, -2); !day.After(to.AddDate(0, 0, 2)); day = day.AddDate(0, 0, 1) {
		for i := range q.Rules {
			r := &q.Rules[i]
			if !r.AppliesOn(day) {
				continue
			}
			k := zoneDay{r.Timezone, day}
			windows[k] = append(windows[k], minuteSpan{r.StartMinute, r.EndMinute})
		}
		for i := range q.Exceptions {
			e := &q.Exceptions[i]
			if day.Before(civilDay(e.DateFrom)) || day.After(civilDay(e.DateTo)) {
				continue
			}
			span := minuteSpan{0, minutesInDay}
			if !e.WholeDay() {
				span = minuteSpan{*e.StartMinute, *e.EndMinute}
			}
			switch e.Kind {
			case models.AvailabilityExceptionKindExtraHours:
				k := zoneDay{e.Timezone, day}
				windows[k] = append(windows[k], span)
			case models.AvailabilityExceptionKindDayOff:
				loc, err := zones.load(e.Timezone)
				if err != nil {
					return nil, fmt.Errorf("availability exception %s: %w", e.ID, err)
				}
				daysOff = append(daysOff, Interval{inZone(day, span.start, loc), inZone(day, span.end, loc)})
			}
		}
	}

	busy := newBusyIndex(q.Busy)
	offs := newBusyIndex(daysOff)
	duration := svc.Duration()
	held := duration + svc.Buffer()
	step := svc.SlotStepMinutes
	// Days in order, so that the slots come out ordered unless rules of several zones interleave.
	keys := slices.SortedFunc(maps.Keys(windows), func(a, b zoneDay) int {
		return cmp.Or(a.day.Compare(b.day), cmp.Compare(a.zone, b.zone))
	})
	// The grid's starts bound the slots: the answer is allocated once.
	grid := 0
	for _, k := range keys {
		merged := mergeSpans(windows[k])
		windows[k] = merged
		for _, w := range merged {
			grid += max(0, (w.end+gapSlack-w.start-svc.DurationMinutes)/step+1)
		}
	}
	out := make([]Slot, 0, grid)
	for _, k := range keys {
		loc, err := zones.load(k.zone)
		if err != nil {
			return nil, fmt.Errorf("availability rule zone: %w", err)
		}
		for _, w := range windows[k] {
			end := inZone(k.day, w.end, loc)
			for m := w.start; m+svc.DurationMinutes <= w.end+gapSlack; m += step {
				start, ok := exactlyInZone(k.day, m, loc)
				if !ok {
					continue // this wall-clock time does not exist today
				}
				if start.Add(duration).After(end) {
					continue
				}
				if start.Before(lo) || !start.Before(hi) ||
					offs.overlaps(start, start.Add(duration)) || busy.overlaps(start, start.Add(held)) {
					continue
				}
				s, e := start.UTC(), start.Add(duration).UTC()
				out = append(out, Slot{Start: s, End: e, ClientStart: s.In(client), ClientEnd: e.In(client)})
			}
		}
	}
	byStart := func(a, b Slot) int { return a.Start.Compare(b.Start) }
	if !slices.IsSortedFunc(out, byStart) {
		slices.SortFunc(out, byStart)
	}
	// Equal instants reached from windows in different zones are one slot.
	return slices.CompactFunc(out, func(a, b Slot) bool { return a.Start.Equal(b.Start) }), nil
}

// gapSlack lets the grid walk past a window's wall-clock end by the longest DST shift, so that
// a window whose end instant lies later than its wall clock suggests (a day that falls back) is
// filled; the instant check against the window's end decides.
const gapSlack = 60

const minutesInDay = 24 * 60

type zoneDay struct {
	zone string
	day  time.Time
}

type minuteSpan struct{ start, end int }

// mergeSpans unites overlapping or touching spans, in order.
func mergeSpans(spans []minuteSpan) []minuteSpan {
	slices.SortFunc(spans, func(a, b minuteSpan) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end)) })
	out := spans[:0] // in place: each span is read before its index is written
	for _, s := range spans {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// busyIndex answers "does [start, end) overlap any interval?" in O(log n): intervals sorted by
// start, with the latest end among the first i.
type busyIndex struct {
	starts []time.Time
	maxEnd []time.Time
}

func newBusyIndex(in []Interval) busyIndex {
	sorted := slices.Clone(in)
	slices.SortFunc(sorted, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	b := busyIndex{starts: make([]time.Time, len(sorted)), maxEnd: make([]time.Time, len(sorted))}
	for i, iv := range sorted {
		b.starts[i], b.maxEnd[i] = iv.Start, iv.End
		if i > 0 && b.maxEnd[i-1].After(iv.End) {
			b.maxEnd[i] = b.maxEnd[i-1]
		}
	}
	return b
}

func (b busyIndex) overlaps(start, end time.Time) bool {
	// Intervals starting before end are the first n; one of them overlaps if it ends after start.
	n := sort.Search(len(b.starts), func(i int) bool { return !b.starts[i].Before(end) })
	return n > 0 && b.maxEnd[n-1].After(start)
}

// zoneCache remembers the zones one computation uses; behind it, models.ParseTimeZone keeps every
// zone the process has loaded. The zones it loads are stored ones (a service's, a rule's), saved
// valid: a name that does not load is the data's fault, not the request's, so it is no
// ValidationError.
type zoneCache map[string]*time.Location

func (c zoneCache) load(name string) (*time.Location, error) {
	if loc, ok := c[name]; ok {
		return loc, nil
	}
	z, err := models.ParseTimeZone("timezone", name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not an IANA zone", name)
	}
	c[name] = z.Location()
	return c[name], nil
}

// serviceZone is the zone of svc, saved valid (see zoneCache).
func serviceZone(svc *models.Service) (models.TimeZone, error) {
	z, err := models.ParseTimeZone("timezone", svc.Timezone)
	if err != nil {
		return models.TimeZone{}, fmt.Errorf("zone %q of service %s is not an IANA zone", svc.Timezone, svc.Slug)
	}
	return z, nil
}

// civilDay keeps the calendar day of t, as midnight UTC (how DATE columns come back).
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween counts the days from one civilDay to another.
func daysBetween(from, to time.Time) int { return int(to.Sub(from) / (24 * time.Hour)) }

// bookable is when offered slots may start: [lo, hi), the days from..to in the service's zone
// after the minimum notice and before the booking horizon.
func bookable(svc *models.Service, home *time.Location, from, to, now time.Time) (lo, hi time.Time) {
	lo = maxTime(inZone(from, 0, home), now.Add(time.Duration(svc.MinNoticeMinutes)*time.Minute))
	hi = minTime(inZone(to.AddDate(0, 0, 1), 0, home), now.Add(time.Duration(svc.BookingHorizonDays)*24*time.Hour))
	return lo, hi
}

// inZone is the instant of minute m after midnight of day, on loc's wall clock. Minute 1440 is
// the next midnight.
func inZone(day time.Time, m int, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, m, 0, 0, loc)
}

// exactlyInZone is inZone, and whether that wall-clock time exists on that day.
func exactlyInZone(day time.Time, m int, loc *time.Location) (time.Time, bool) {
	t := inZone(day, m, loc)
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	return t, y == day.Year() && mo == day.Month() && d == day.Day() && h*60+mi == m
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// AvailabilityStore is what slots need of the practitioner's schedule. ScheduleBetween returns
// what RulesFor and ExceptionsBetween do (the fields a slot computation reads), in one round trip.
type AvailabilityStore interface {
	RulesFor(ctx context.Context, serviceID uuid.UUID) ([]models.AvailabilityRule, error)
	ExceptionsBetween(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityException, error)
	ScheduleBetween(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error)
}

// AppointmentWindow lists the active appointments whose held time overlaps [start, blockedUntil)
// — of every service: the practitioner is one person. BusyBetween answers the same question with
// only the held times, which is all Find needs.
type AppointmentWindow interface {
	Conflicting(ctx context.Context, start, blockedUntil time.Time) ([]models.Appointment, error)
	BusyBetween(ctx context.Context, start, blockedUntil time.Time) ([]repository.BusyTime, error)
}

// Calendar is the practitioner's external calendar: the times it says are busy.
type Calendar interface {
	Busy(ctx context.Context, from, to time.Time) ([]Interval, error)
}

// Slots finds the free times of a service.
type Slots struct {
	availability AvailabilityStore
	appointments AppointmentWindow
	calendar     Calendar
	clock        service.Clock
}

// NewSlots returns the slot finder. calendar may be nil: then only appointments are busy.
func NewSlots(availability AvailabilityStore, appointments AppointmentWindow, calendar Calendar, clock service.Clock) *Slots {
	return &Slots{availability: availability, appointments: appointments, calendar: calendar, clock: clock}
}

// Find lists the free slots of svc on the days fromDate..toDate (YYYY-MM-DD, both included, in
// the service's zone, at most MaxSlotRangeDays), shown in clientZone (the zero TimeZone: the
// service's). It reads only the appointments and calendar blocks that can touch the range.
func (s *Slots) Find(ctx context.Context, svc *models.Service, fromDate, toDate string, clientZone models.TimeZone) ([]Slot, error) {
	if svc == nil {
		return nil, &models.ValidationError{Field: "service", Message: "is required"}
	}
	r, err := parseSlotRange(fromDate, toDate, clientZone)
	if err != nil {
		return nil, err
	}
	lo, hi, busyTo, ok, err := s.window(svc, r)
	if err != nil || !ok {
		return []Slot{}, err
	}
	rules, exceptions, err := s.availability.ScheduleBetween(ctx, svc.ID, r.from.AddDate(0, 0, -2), r.to.AddDate(0, 0, 2))
	if err != nil {
		return nil, fmt.Errorf("slots of service %s: %w", svc.Slug, err)
	}
	held, err := s.appointments.BusyBetween(ctx, lo, busyTo)
	if err != nil {
		return nil, fmt.Errorf("slots of service %s: %w", svc.Slug, err)
	}
	return s.free(ctx, svc, r, lo, hi, busyTo, rules, exceptions, held)
}

// SlotWindowStore reads, in one go, what the slots of a service by its slug need: the service's
// timing, its schedule and the busy time; *repository.Availability is one.
type SlotWindowStore interface {
	SlotWindow(ctx context.Context, slug string, from, to, busyFrom, busyTo time.Time) (*repository.SlotWindow, error)
}

// FindPublished is Find for the published service of slug, everything read in one statement on
// PostgreSQL (the availability store must be a SlotWindowStore). It returns the service as far
// as the slots need it (its id, slug, zone and timing). An unknown or unpublished slug is
// models.ErrNotFound.
func (s *Slots) FindPublished(ctx context.Context, slug, fromDate, toDate string, clientZone models.TimeZone) (*models.Service, []Slot, error) {
	windows, ok := s.availability.(SlotWindowStore)
	if !ok {
		return nil, nil, fmt.Errorf("slots of service %s: the availability store cannot read a slot window", slug)
	}
	r, err := parseSlotRange(fromDate, toDate, clientZone)
	if err != nil {
		return nil, nil, err
	}
	// Whatever the service's zone, notice and horizon, its busy time lies within a day before
	// the first date and two after the last: read that, before the service is known.
	w, err := windows.SlotWindow(ctx, slug, r.from.AddDate(0, 0, -2), r.to.AddDate(0, 0, 2),
		r.from.AddDate(0, 0, -1), r.to.AddDate(0, 0, 3))
	if err != nil {
		return nil, nil, fmt.Errorf("slots of service %s: %w", slug, err)
	}
	svc := &w.Service
	if svc.ID == uuid.Nil || !svc.IsPublished() {
		return nil, nil, fmt.Errorf("published service %s: %w", slug, models.ErrNotFound)
	}
	lo, hi, busyTo, ok, err := s.window(svc, r)
	if err != nil || !ok {
		return svc, []Slot{}, err
	}
	slots, err := s.free(ctx, svc, r, lo, hi, busyTo, w.Rules, w.Exceptions, w.Busy)
	return svc, slots, err
}

// slotRange is a slots request's dates, parsed, and the client's zone.
type slotRange struct {
	from, to time.Time
	client   models.TimeZone
}

func parseSlotRange(fromDate, toDate string, clientZone models.TimeZone) (slotRange, error) {
	from, err := time.Parse(dateLayout, fromDate)
	if err != nil {
		return slotRange{}, &models.ValidationError{Field: "from", Message: "must be a date as YYYY-MM-DD"}
	}
	to, err := time.Parse(dateLayout, toDate)
	if err != nil {
		return slotRange{}, &models.ValidationError{Field: "to", Message: "must be a date as YYYY-MM-DD"}
	}
	switch days := daysBetween(from, to) + 1; {
	case days < 1:
		return slotRange{}, &models.ValidationError{Field: "to", Message: "must not be before from"}
	case days > MaxSlotRangeDays:
		return slotRange{}, &models.ValidationError{Field: "to", Message: fmt.Sprintf("must be at most %d days after from, both included", MaxSlotRangeDays)}
	}
	return slotRange{from: from, to: to, client: clientZone}, nil
}

// window is when slots of svc in r can start now, [lo, hi), and until when their held time can
// last; ok is false when no slot can.
func (s *Slots) window(svc *models.Service, r slotRange) (lo, hi, busyTo time.Time, ok bool, err error) {
	home, err := zoneCache{}.load(svc.Timezone)
	if err != nil {
		return lo, hi, busyTo, false, fmt.Errorf("slots of service %s: %w", svc.Slug, err)
	}
	lo, hi = bookable(svc, home, r.from, r.to, s.clock.Now())
	if !lo.Before(hi) {
		return lo, hi, busyTo, false, nil
	}
	return lo, hi, hi.Add(svc.Duration() + svc.Buffer()), true, nil
}

// free computes the free slots of svc in r from its schedule and the busy time (and the
// practitioner's calendar, when there is one) of [lo, busyTo).
func (s *Slots) free(ctx context.Context, svc *models.Service, r slotRange, lo, hi, busyTo time.Time,
	rules []models.AvailabilityRule, exceptions []models.AvailabilityException, held []repository.BusyTime) ([]Slot, error) {
	client := r.client
	if client.IsZero() {
		var err error
		if client, err = serviceZone(svc); err != nil {
			return nil, fmt.Errorf("slots: %w", err)
		}
	}
	q := SlotQuery{Service: svc, Now: s.clock.Now(), From: r.from, To: r.to, ClientZone: client.Location(), Rules: rules, Exceptions: exceptions}
	q.Busy = make([]Interval, 0, len(held))
	for _, h := range held {
		q.Busy = append(q.Busy, Interval{h.StartAt, h.BlockedUntil})
	}
	if s.calendar != nil {
		blocks, err := s.calendar.Busy(ctx, lo, busyTo)
		if err != nil {
			return nil, fmt.Errorf("slots of service %s: calendar: %w", svc.Slug, err)
		}
		q.Busy = append(q.Busy, blocks...)
	}
	slots, err := FreeSlots(q)
	if err != nil {
		return nil, err
	}
	if slots == nil {
		slots = []Slot{}
	}
	return slots, nil
}

// Check reports whether start is a free slot of svc now: nil when it is, models.ErrSlotTaken
// when it is a slot of the service's schedule that is taken (ignoring the appointment ignore, so
// that a booking can move within its own time), and a ValidationError when it is no slot at all
// (outside working hours, off the grid, too soon, beyond the horizon).
func (s *Slots) Check(ctx context.Context, svc *models.Service, start time.Time, ignore uuid.UUID) error {
	if svc == nil {
		return &models.ValidationError{Field: "service", Message: "is required"}
	}
	if start.IsZero() {
		return &models.ValidationError{Field: "start", Message: "is required"}
	}
	schedule := func(ctx context.Context, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
		rules, err := s.availability.RulesFor(ctx, svc.ID)
		if err != nil {
			return nil, nil, err
		}
		exceptions, err := s.availability.ExceptionsBetween(ctx, svc.ID, from, to)
		return rules, exceptions, err
	}
	if err := s.onGrid(ctx, svc, start, schedule); err != nil {
		return err
	}
	held := start.Add(svc.Duration() + svc.Buffer())
	appts, err := s.appointments.Conflicting(ctx, start, held)
	if err != nil {
		return fmt.Errorf("check slot of service %s: %w", svc.Slug, err)
	}
	for i := range appts {
		if appts[i].IsActive() && appts[i].ID != ignore {
			return fmt.Errorf("slot %s of service %s: %w", start.UTC().Format(time.RFC3339), svc.Slug, models.ErrSlotTaken)
		}
	}
	return s.calendarFree(ctx, svc, start, held)
}

// scheduleFunc reads a service's weekly rules and the exceptions touching the days from..to.
type scheduleFunc func(ctx context.Context, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error)

// onGrid reports whether start is a slot of svc's schedule now (read by schedule, and only when
// start is within the service's notice and horizon): a ValidationError when it is not.
func (s *Slots) onGrid(ctx context.Context, svc *models.Service, start time.Time, schedule scheduleFunc) error {
	home, err := zoneCache{}.load(svc.Timezone)
	if err != nil {
		return fmt.Errorf("check slot of service %s: %w", svc.Slug, err)
	}
	day := civilDay(start.In(home))
	now := s.clock.Now()
	q := SlotQuery{Service: svc, Now: now, From: day, To: day}
	lo, hi := bookable(svc, home, day, day, now)
	if !start.Before(lo) && start.Before(hi) {
		if q.Rules, q.Exceptions, err = schedule(ctx, day.AddDate(0, 0, -2), day.AddDate(0, 0, 2)); err != nil {
			return fmt.Errorf("check slot of service %s: %w", svc.Slug, err)
		}
	}
	grid, err := FreeSlots(q)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(grid, func(sl Slot) bool { return sl.Start.Equal(start) }) {
		return &models.ValidationError{Field: "start", Message: "is not a bookable time of this service; ask /slots for free times"}
	}
	return nil
}

// calendarFree reports models.ErrSlotTaken when the practice's calendar is busy in [start, held).
func (s *Slots) calendarFree(ctx context.Context, svc *models.Service, start, held time.Time) error {
	if s.calendar != nil {
		blocks, err := s.calendar.Busy(ctx, start, held)
		if err != nil {
			return fmt.Errorf("check slot of service %s: calendar: %w", svc.Slug, err)
		}
		if newBusyIndex(blocks).overlaps(start, held) {
			return fmt.Errorf("slot %s of service %s (calendar): %w", start.UTC().Format(time.RFC3339), svc.Slug, models.ErrSlotTaken)
		}
	}
	return nil
}
