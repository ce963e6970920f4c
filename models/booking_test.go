package models_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// bookingT0 is a Monday morning; appointments are booked a day or more ahead of it.
var bookingT0 = time.Date(2026, time.April, 6, 9, 0, 0, 0, time.UTC)

// bookingStart is the start of the appointments the tests book: Tuesday 12:00 UTC.
var bookingStart = bookingT0.Add(27 * time.Hour)

func bookingPtr[T any](v T) *T { return &v }

// bookingAssertValidation fails unless err is a *models.ValidationError about field.
func bookingAssertValidation(t *testing.T, err error, field string) {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v (%T), want a ValidationError about %s", err, err, field)
	}
	if ve.Field != field {
		t.Errorf("ValidationError field = %q (%v), want %q", ve.Field, ve, field)
	}
}

// bookingEventNames lists the names of the events an aggregate recorded.
func bookingEventNames(events []models.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.EventName())
	}
	return out
}

func bookingDetails() models.ServiceDetails {
	return models.ServiceDetails{
		Slug: "first-consultation", Title: "Первая консультация", DescriptionMarkdown: "**50 минут**",
		Format: models.ServiceFormatHybrid, DurationMinutes: 50, Price: models.Money{Minor: 500000, Currency: "RUB"},
		DepositMinor: bookingPtr[int64](100000), CancelFreeHours: bookingPtr(24), CancelPartialHours: bookingPtr(12),
		RescheduleMinHours: bookingPtr(24), BufferMinutes: 10, MinNoticeMinutes: 120,
		BookingHorizonDays: 30, SlotStepMinutes: 60, Timezone: "Europe/Moscow",
	}
}

func bookingService(t *testing.T, mutate func(*models.ServiceDetails)) *models.Service {
	t.Helper()
	d := bookingDetails()
	if mutate != nil {
		mutate(&d)
	}
	s, err := models.NewService(d, bookingT0)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return s
}

// bookingAppointment books a paid service for a signed-in client at bookingStart.
func bookingAppointment(t *testing.T, svc *models.Service) *models.Appointment {
	t.Helper()
	a, err := models.NewAppointment(svc, bookingStart, models.MustTimeZone("Asia/Yekaterinburg"), models.AppointmentFormatOnline,
		bookingPtr(models.NewID()), nil, models.AppointmentMetadata{EntryPoint: "home"}, 15*time.Minute, bookingT0)
	if err != nil {
		t.Fatalf("NewAppointment: %v", err)
	}
	return a
}

// bookingAppointmentIn returns an appointment moved to status by legal steps, events cleared.
func bookingAppointmentIn(t *testing.T, svc *models.Service, status models.AppointmentStatus) *models.Appointment {
	t.Helper()
	a := bookingAppointment(t, svc)
	var err error
	switch status {
	case models.AppointmentStatusPendingPayment:
	case models.AppointmentStatusConfirmed:
		err = a.Confirm(bookingT0)
	case models.AppointmentStatusCanceled:
		err = a.Cancel(models.BookingActorStaff, "", bookingT0)
	case models.AppointmentStatusRescheduled:
		if err = a.Confirm(bookingT0); err == nil {
			_, err = a.Reschedule(svc, bookingStart.Add(24*time.Hour), models.BookingActorStaff, bookingT0)
		}
	case models.AppointmentStatusCompleted:
		if err = a.Confirm(bookingT0); err == nil {
			err = a.Complete(a.EndAt)
		}
	case models.AppointmentStatusNoShow:
		if err = a.Confirm(bookingT0); err == nil {
			err = a.MarkNoShow(a.StartAt)
		}
	}
	if err != nil {
		t.Fatalf("move appointment to %s: %v", status, err)
	}
	a.ClearEvents()
	return a
}

func TestBookingParsers(t *testing.T) {
	t.Parallel()
	type parser func(string) (string, error)
	wrap := func(f any) parser {
		return func(s string) (string, error) {
			out := reflect.ValueOf(f).Call([]reflect.Value{reflect.ValueOf(s)})
			err, _ := out[1].Interface().(error)
			return out[0].String(), err
		}
	}
	tests := []struct {
		name  string
		parse parser
		valid []string
		field string
	}{
		{"service format", wrap(models.ParseServiceFormat), []string{"online", "offline", "hybrid"}, "format"},
		{"appointment format", wrap(models.ParseAppointmentFormat), []string{"online", "offline"}, "format"},
		{"appointment status", wrap(models.ParseAppointmentStatus), []string{"pending_payment", "confirmed", "canceled", "rescheduled", "completed", "no_show"}, "status"},
		{"booking actor", wrap(models.ParseBookingActor), []string{"client", "staff", "system"}, "by"},
		{"exception kind", wrap(models.ParseAvailabilityExceptionKind), []string{"day_off", "extra_hours"}, "kind"},
		{"intake form status", wrap(models.ParseIntakeFormStatus), []string{"draft", "submitted"}, "status"},
		{"waitlist status", wrap(models.ParseWaitlistStatus), []string{"active", "notified", "booked", "canceled"}, "status"},
		{"payment status", wrap(models.ParsePaymentStatus), []string{"intent", "pending", "succeeded", "canceled", "failed", "partially_refunded", "refunded"}, "status"},
		{"refund status", wrap(models.ParseRefundStatus), []string{"pending", "succeeded", "canceled"}, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.valid {
				got, err := tt.parse(s)
				if err != nil || got != s {
					t.Errorf("parse(%q) = %q, %v", s, got, err)
				}
			}
			for _, s := range []string{"", "Online", tt.valid[0] + " ", "unknown"} {
				got, err := tt.parse(s)
				if got != "" {
					t.Errorf("parse(%q) = %q, want nothing", s, got)
				}
				bookingAssertValidation(t, err, tt.field)
			}
		})
	}
}

func TestBookingNewService(t *testing.T) {
	t.Parallel()
	s := bookingService(t, nil)
	d := bookingDetails()
	if s.ID.Version() != 7 || s.Status != models.PublicationDraft || s.PublishedAt != nil {
		t.Errorf("new service: id %s, status %s, published %v", s.ID, s.Status, s.PublishedAt)
	}
	if !s.CreatedAt.Equal(bookingT0) || !s.UpdatedAt.Equal(bookingT0) {
		t.Errorf("times %v %v", s.CreatedAt, s.UpdatedAt)
	}
	if got := s.Details(); !reflect.DeepEqual(got, d) {
		t.Errorf("Details() = %+v, want %+v", got, d)
	}
	if s.Price() != (models.Money{Minor: 500000, Currency: "RUB"}) || s.Duration() != 50*time.Minute || s.Buffer() != 10*time.Minute {
		t.Errorf("price %v, duration %v, buffer %v", s.Price(), s.Duration(), s.Buffer())
	}

	t.Run("defaults", func(t *testing.T) {
		s := bookingService(t, func(d *models.ServiceDetails) {
			d.Timezone, d.Price.Currency, d.BookingHorizonDays, d.SlotStepMinutes = "", "", 0, 0
		})
		if s.Timezone != models.DefaultServiceTimezone || s.Currency != models.CurrencyRUB ||
			s.BookingHorizonDays != models.DefaultBookingHorizonDays || s.SlotStepMinutes != models.DefaultSlotStepMinutes {
			t.Errorf("defaults: zone %q, currency %q, horizon %d, step %d", s.Timezone, s.Currency, s.BookingHorizonDays, s.SlotStepMinutes)
		}
	})

	tests := []struct {
		name   string
		mutate func(*models.ServiceDetails)
		field  string
	}{
		{"empty slug", func(d *models.ServiceDetails) { d.Slug = "" }, "slug"},
		{"upper-case slug", func(d *models.ServiceDetails) { d.Slug = "First" }, "slug"},
		{"double hyphen", func(d *models.ServiceDetails) { d.Slug = "a--b" }, "slug"},
		{"long slug", func(d *models.ServiceDetails) { d.Slug = strings.Repeat("a", 101) }, "slug"},
		{"no title", func(d *models.ServiceDetails) { d.Title = "" }, "title"},
		{"long title", func(d *models.ServiceDetails) { d.Title = strings.Repeat("я", 201) }, "title"},
		{"unknown format", func(d *models.ServiceDetails) { d.Format = "phone" }, "format"},
		{"zero duration", func(d *models.ServiceDetails) { d.DurationMinutes = 0 }, "duration_minutes"},
		{"negative price", func(d *models.ServiceDetails) { d.Price.Minor = -1 }, "amount"},
		{"bad currency", func(d *models.ServiceDetails) { d.Price.Currency = "rub" }, "currency"},
		{"deposit above price", func(d *models.ServiceDetails) { d.DepositMinor = bookingPtr[int64](500001) }, "deposit_minor"},
		{"negative deposit", func(d *models.ServiceDetails) { d.DepositMinor = bookingPtr[int64](-1) }, "deposit_minor"},
		{"negative free hours", func(d *models.ServiceDetails) { d.CancelFreeHours = bookingPtr(-1) }, "cancel_free_hours"},
		{"negative partial hours", func(d *models.ServiceDetails) { d.CancelFreeHours, d.CancelPartialHours = nil, bookingPtr(-1) }, "cancel_partial_hours"},
		{"partial after free", func(d *models.ServiceDetails) { d.CancelPartialHours = bookingPtr(25) }, "cancel_partial_hours"},
		{"negative reschedule hours", func(d *models.ServiceDetails) { d.RescheduleMinHours = bookingPtr(-1) }, "reschedule_min_hours"},
		{"negative buffer", func(d *models.ServiceDetails) { d.BufferMinutes = -1 }, "buffer_minutes"},
		{"negative notice", func(d *models.ServiceDetails) { d.MinNoticeMinutes = -1 }, "min_notice_minutes"},
		{"negative horizon", func(d *models.ServiceDetails) { d.BookingHorizonDays = -1 }, "booking_horizon_days"},
		{"negative step", func(d *models.ServiceDetails) { d.SlotStepMinutes = -5 }, "slot_step_minutes"},
		{"unknown zone", func(d *models.ServiceDetails) { d.Timezone = "Mars/Olympus" }, "timezone"},
		{"local zone", func(d *models.ServiceDetails) { d.Timezone = "Local" }, "timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := bookingDetails()
			tt.mutate(&d)
			s, err := models.NewService(d, bookingT0)
			if s != nil {
				t.Errorf("NewService returned %+v with an error", s)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}
}

func TestBookingServiceRevise(t *testing.T) {
	t.Parallel()
	t1 := bookingT0.Add(time.Hour)
	s := bookingService(t, nil)
	before := *s
	d := s.Details()
	d.Title = ""
	bookingAssertValidation(t, s.Revise(d, t1), "title")
	if !reflect.DeepEqual(*s, before) {
		t.Errorf("failed Revise changed the service:\n%+v\nwant\n%+v", *s, before)
	}

	d = s.Details()
	d.Slug, d.Format, d.DepositMinor, d.CancelFreeHours = "online-session", models.ServiceFormatOnline, nil, nil
	if err := s.Revise(d, t1); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Details(), d) || !s.UpdatedAt.Equal(t1) || !s.CreatedAt.Equal(bookingT0) || s.ID != before.ID {
		t.Errorf("revised service = %+v", s)
	}
}

func TestBookingServicePublication(t *testing.T) {
	t.Parallel()
	t1, t2, t3 := bookingT0.Add(time.Hour), bookingT0.Add(2*time.Hour), bookingT0.Add(3*time.Hour)
	s := bookingService(t, nil)
	steps := []struct {
		name    string
		move    func(time.Time) error
		at      time.Time
		want    models.PublicationStatus
		wantErr bool
	}{
		{"publish", s.Publish, t1, models.PublicationPublished, false},
		{"unpublish", s.Unpublish, t2, models.PublicationDraft, false},
		{"archive", s.Archive, t3, models.PublicationArchived, false},
		{"publish archived", s.Publish, t3.Add(time.Hour), models.PublicationArchived, true},
	}
	for _, st := range steps {
		before := *s
		err := st.move(st.at)
		if st.wantErr {
			if !errors.Is(err, models.ErrInvalidTransition) {
				t.Errorf("%s: err = %v, want ErrInvalidTransition", st.name, err)
			}
			if !reflect.DeepEqual(*s, before) {
				t.Errorf("%s: failed move changed the service", st.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if s.Status != st.want || !s.UpdatedAt.Equal(st.at) {
			t.Errorf("%s: status %s, updated %v", st.name, s.Status, s.UpdatedAt)
		}
	}
	if s.PublishedAt == nil || !s.PublishedAt.Equal(t1) {
		t.Errorf("PublishedAt = %v, want the first publication %v", s.PublishedAt, t1)
	}
}

func TestBookingServiceAllows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format          models.ServiceFormat
		online, offline bool
	}{
		{models.ServiceFormatOnline, true, false},
		{models.ServiceFormatOffline, false, true},
		{models.ServiceFormatHybrid, true, true},
	}
	for _, tt := range tests {
		s := bookingService(t, func(d *models.ServiceDetails) { d.Format = tt.format })
		if s.Allows(models.AppointmentFormatOnline) != tt.online || s.Allows(models.AppointmentFormatOffline) != tt.offline {
			t.Errorf("%s: Allows(online) = %v, Allows(offline) = %v", tt.format, s.Allows(models.AppointmentFormatOnline), s.Allows(models.AppointmentFormatOffline))
		}
		if s.Allows("hybrid") {
			t.Errorf("%s allows an appointment format \"hybrid\"", tt.format)
		}
	}
}

func TestBookingNewAvailabilityRule(t *testing.T) {
	t.Parallel()
	svc := models.NewID()
	msk := time.FixedZone("MSK", 3*60*60)
	// 00:30 on 1 May in Moscow is still 30 April in UTC: the date as written counts.
	from := time.Date(2026, time.May, 1, 0, 30, 0, 0, msk)
	to := time.Date(2026, time.May, 31, 23, 0, 0, 0, time.UTC)
	r, err := models.NewAvailabilityRule(&svc, 2, 600, 1080, "Europe/Moscow", &from, &to, bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	want := models.AvailabilityRule{
		ID: r.ID, ServiceID: &svc, Weekday: 2, StartMinute: 600, EndMinute: 1080, Timezone: "Europe/Moscow",
		ValidFrom: bookingPtr(time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC)),
		ValidTo:   bookingPtr(time.Date(2026, time.May, 31, 0, 0, 0, 0, time.UTC)), CreatedAt: bookingT0,
	}
	if !reflect.DeepEqual(*r, want) || r.ID.Version() != 7 {
		t.Errorf("rule = %+v, want %+v", *r, want)
	}
	if global, err := models.NewAvailabilityRule(nil, 7, 0, 1440, "UTC", nil, nil, bookingT0); err != nil || global.ServiceID != nil {
		t.Errorf("global all-day Sunday rule: %+v, %v", global, err)
	}

	tests := []struct {
		name               string
		weekday, start, to int
		zone               string
		from, until        *time.Time
		field              string
	}{
		{"weekday 0", 0, 600, 700, "UTC", nil, nil, "weekday"},
		{"weekday 8", 8, 600, 700, "UTC", nil, nil, "weekday"},
		{"negative start", 1, -1, 700, "UTC", nil, nil, "start_minute"},
		{"start at midnight end", 1, 1440, 1440, "UTC", nil, nil, "start_minute"},
		{"end before start", 1, 700, 600, "UTC", nil, nil, "end_minute"},
		{"empty window", 1, 600, 600, "UTC", nil, nil, "end_minute"},
		{"end after midnight", 1, 600, 1441, "UTC", nil, nil, "end_minute"},
		{"no zone", 1, 600, 700, "", nil, nil, "timezone"},
		{"valid_to before valid_from", 1, 600, 700, "UTC", &to, &from, "valid_to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := models.NewAvailabilityRule(nil, tt.weekday, tt.start, tt.to, tt.zone, tt.from, tt.until, bookingT0)
			if r != nil {
				t.Errorf("rule %+v returned with an error", r)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}
}

func TestBookingAvailabilityRuleAppliesOn(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, time.April, 7, 0, 0, 0, 0, time.UTC) // a Tuesday
	to := time.Date(2026, time.April, 21, 0, 0, 0, 0, time.UTC)  // a Tuesday
	tuesdays, err := models.NewAvailabilityRule(nil, 2, 600, 1080, "Europe/Moscow", &from, &to, bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	sundays, err := models.NewAvailabilityRule(nil, 7, 600, 1080, "Europe/Moscow", nil, nil, bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	msk := time.FixedZone("MSK", 3*60*60)
	tests := []struct {
		name string
		rule *models.AvailabilityRule
		date time.Time
		want bool
	}{
		{"first day", tuesdays, from, true},
		{"last day, late", tuesdays, to.Add(23 * time.Hour), true},
		{"middle Tuesday", tuesdays, from.AddDate(0, 0, 7), true},
		{"a Wednesday", tuesdays, from.AddDate(0, 0, 1), false},
		{"Tuesday before validity", tuesdays, from.AddDate(0, 0, -7), false},
		{"Tuesday after validity", tuesdays, to.AddDate(0, 0, 7), false},
		{"Tuesday in Moscow, Monday in UTC", tuesdays, time.Date(2026, time.April, 14, 1, 0, 0, 0, msk), true},
		{"Sunday is 7", sundays, time.Date(2026, time.April, 12, 12, 0, 0, 0, time.UTC), true},
		{"Monday is not 7", sundays, bookingT0, false},
	}
	for _, tt := range tests {
		if got := tt.rule.AppliesOn(tt.date); got != tt.want {
			t.Errorf("%s: AppliesOn(%v) = %v, want %v", tt.name, tt.date, got, tt.want)
		}
	}
}

func TestBookingNewAvailabilityException(t *testing.T) {
	t.Parallel()
	svc := models.NewID()
	day := time.Date(2026, time.May, 9, 15, 0, 0, 0, time.UTC)
	midnight := time.Date(2026, time.May, 9, 0, 0, 0, 0, time.UTC)
	off, err := models.NewAvailabilityException(&svc, models.AvailabilityExceptionKindDayOff, day, day.AddDate(0, 0, 2), nil, nil, "Europe/Moscow", "праздник", bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	want := models.AvailabilityException{
		ID: off.ID, ServiceID: &svc, Kind: models.AvailabilityExceptionKindDayOff, DateFrom: midnight, DateTo: midnight.AddDate(0, 0, 2),
		Timezone: "Europe/Moscow", Reason: "праздник", CreatedAt: bookingT0,
	}
	if !reflect.DeepEqual(*off, want) || !off.WholeDay() {
		t.Errorf("day off = %+v, want %+v", *off, want)
	}
	extra, err := models.NewAvailabilityException(nil, models.AvailabilityExceptionKindExtraHours, day, day, bookingPtr(600), bookingPtr(720), "UTC", "", bookingT0)
	if err != nil || extra.WholeDay() || *extra.StartMinute != 600 || *extra.EndMinute != 720 {
		t.Errorf("extra hours = %+v, %v", extra, err)
	}
	if part, err := models.NewAvailabilityException(nil, models.AvailabilityExceptionKindDayOff, day, day, bookingPtr(0), bookingPtr(720), "UTC", "", bookingT0); err != nil || part.WholeDay() {
		t.Errorf("morning off = %+v, %v", part, err)
	}

	tests := []struct {
		name       string
		kind       models.AvailabilityExceptionKind
		from, to   time.Time
		start, end *int
		zone       string
		reason     string
		field      string
	}{
		{"unknown kind", "vacation", day, day, nil, nil, "UTC", "", "kind"},
		{"to before from", models.AvailabilityExceptionKindDayOff, day, day.AddDate(0, 0, -1), nil, nil, "UTC", "", "date_to"},
		{"start without end", models.AvailabilityExceptionKindDayOff, day, day, bookingPtr(600), nil, "UTC", "", "end_minute"},
		{"end without start", models.AvailabilityExceptionKindDayOff, day, day, nil, bookingPtr(600), "UTC", "", "end_minute"},
		{"extra hours without window", models.AvailabilityExceptionKindExtraHours, day, day, nil, nil, "UTC", "", "start_minute"},
		{"inverted window", models.AvailabilityExceptionKindExtraHours, day, day, bookingPtr(700), bookingPtr(600), "UTC", "", "end_minute"},
		{"bad zone", models.AvailabilityExceptionKindDayOff, day, day, nil, nil, "Nowhere/City", "", "timezone"},
		{"long reason", models.AvailabilityExceptionKindDayOff, day, day, nil, nil, "UTC", strings.Repeat("x", 1001), "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := models.NewAvailabilityException(nil, tt.kind, tt.from, tt.to, tt.start, tt.end, tt.zone, tt.reason, bookingT0)
			if e != nil {
				t.Errorf("exception %+v returned with an error", e)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}
}

func TestBookingNewAppointment(t *testing.T) {
	t.Parallel()
	paid := bookingService(t, nil)
	free := bookingService(t, func(d *models.ServiceDetails) { d.Price.Minor, d.DepositMinor, d.BufferMinutes = 0, nil, 0 })
	client, lead, link := models.NewID(), models.NewID(), models.NewID()
	meta := models.AppointmentMetadata{EntryPoint: "quiz", TopicCode: "anxiety", DeepLinkID: &link, UTM: map[string]string{"source": "tg"}}
	msk := time.FixedZone("MSK", 3*60*60)

	t.Run("paid service waits for payment", func(t *testing.T) {
		start := bookingStart.In(msk)
		a, err := models.NewAppointment(paid, start, models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOffline, &client, &lead, meta, 15*time.Minute, bookingT0)
		if err != nil {
			t.Fatal(err)
		}
		hold := bookingT0.Add(15 * time.Minute)
		want := models.Appointment{
			ID: a.ID, ServiceID: paid.ID, ClientUserID: &client, LeadID: &lead,
			StartAt: bookingStart, EndAt: bookingStart.Add(50 * time.Minute), BlockedUntil: bookingStart.Add(60 * time.Minute),
			Timezone: "Europe/Moscow", Status: models.AppointmentStatusPendingPayment, Format: models.AppointmentFormatOffline,
			Metadata: meta, HoldExpiresAt: &hold, Version: 1, CreatedAt: bookingT0, UpdatedAt: bookingT0,
		}
		events := a.Events()
		a.ClearEvents()
		if !reflect.DeepEqual(*a, want) {
			t.Errorf("appointment = %+v\nwant %+v", *a, want)
		}
		if a.StartAt.Location() != time.UTC || a.ID.Version() != 7 || !a.IsActive() {
			t.Errorf("start %v in %v, id %s, active %v", a.StartAt, a.StartAt.Location(), a.ID, a.IsActive())
		}
		if len(events) != 1 {
			t.Fatalf("events = %v, want appointment.booked", bookingEventNames(events))
		}
		booked, ok := events[0].(models.AppointmentBooked)
		if !ok || booked.EventName() != "appointment.booked" || booked.AggregateID() != a.ID || !booked.OccurredAt().Equal(bookingT0) ||
			booked.ServiceID != paid.ID || *booked.ClientUserID != client || *booked.LeadID != lead ||
			booked.Status != models.AppointmentStatusPendingPayment || booked.RescheduledFromID != nil {
			t.Errorf("booked event = %+v", events[0])
		}
	})

	t.Run("free service is confirmed at once", func(t *testing.T) {
		a, err := models.NewAppointment(free, bookingStart, models.MustTimeZone("UTC"), models.AppointmentFormatOnline, nil, &lead, models.AppointmentMetadata{}, 0, bookingT0)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != models.AppointmentStatusConfirmed || a.HoldExpiresAt != nil || !a.BlockedUntil.Equal(a.EndAt) {
			t.Errorf("free appointment: status %s, hold %v, blocked until %v, end %v", a.Status, a.HoldExpiresAt, a.BlockedUntil, a.EndAt)
		}
		if got := bookingEventNames(a.Events()); !reflect.DeepEqual(got, []string{"appointment.booked", "appointment.confirmed"}) {
			t.Errorf("events = %v", got)
		}
		if c, ok := a.Events()[1].(models.AppointmentConfirmed); !ok || c.AggregateID() != a.ID {
			t.Errorf("confirmed event = %+v", a.Events()[1])
		}
	})

	t.Run("no client zone takes the service's", func(t *testing.T) {
		berlin := bookingService(t, func(d *models.ServiceDetails) { d.Timezone = "Europe/Berlin" })
		a, err := models.NewAppointment(berlin, bookingStart, models.TimeZone{}, models.AppointmentFormatOnline, nil, &lead, meta, time.Minute, bookingT0)
		if err != nil {
			t.Fatal(err)
		}
		if a.Timezone != "Europe/Berlin" {
			t.Errorf("NewAppointment: zone %q, want Europe/Berlin", a.Timezone)
		}
		s, err := models.NewAppointmentByStaff(berlin, bookingStart, models.TimeZone{}, models.AppointmentFormatOnline, nil, &lead, meta, bookingT0)
		if err != nil {
			t.Fatal(err)
		}
		if s.Timezone != "Europe/Berlin" || s.Status != models.AppointmentStatusConfirmed {
			t.Errorf("NewAppointmentByStaff: zone %q, status %s; want confirmed in Europe/Berlin", s.Timezone, s.Status)
		}
	})

	onlineOnly := bookingService(t, func(d *models.ServiceDetails) { d.Format = models.ServiceFormatOnline })
	tests := []struct {
		name   string
		svc    *models.Service
		start  time.Time
		format models.AppointmentFormat
		client *uuid.UUID
		lead   *uuid.UUID
		hold   time.Duration
		field  string
	}{
		{"no service", nil, bookingStart, models.AppointmentFormatOnline, &client, nil, time.Minute, "service_id"},
		{"format not offered", onlineOnly, bookingStart, models.AppointmentFormatOffline, &client, nil, time.Minute, "format"},
		{"hybrid is not an appointment format", paid, bookingStart, "hybrid", &client, nil, time.Minute, "format"},
		{"zero start", paid, time.Time{}, models.AppointmentFormatOnline, &client, nil, time.Minute, "start_at"},
		{"start with seconds", paid, bookingStart.Add(time.Second), models.AppointmentFormatOnline, &client, nil, time.Minute, "start_at"},
		{"start in the past", paid, bookingT0.Add(-time.Hour), models.AppointmentFormatOnline, &client, nil, time.Minute, "start_at"},
		{"start now", paid, bookingT0, models.AppointmentFormatOnline, &client, nil, time.Minute, "start_at"},
		{"nobody", paid, bookingStart, models.AppointmentFormatOnline, nil, nil, time.Minute, "client_user_id"},
		{"paid without hold", paid, bookingStart, models.AppointmentFormatOnline, &client, nil, 0, "hold_ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := models.NewAppointment(tt.svc, tt.start, models.MustTimeZone("UTC"), tt.format, tt.client, tt.lead, meta, tt.hold, bookingT0)
			if a != nil {
				t.Errorf("appointment %+v returned with an error", a)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}
}

func TestBookingAppointmentDetails(t *testing.T) {
	t.Parallel()
	t1 := bookingT0.Add(time.Minute)
	a := bookingAppointment(t, bookingService(t, nil))
	bookingAssertValidation(t, a.SetManageTokenHash(""), "manage_token_hash")
	if a.ManageTokenHash != nil {
		t.Error("empty hash stored")
	}
	if err := a.SetManageTokenHash("abc"); err != nil || *a.ManageTokenHash != "abc" {
		t.Errorf("SetManageTokenHash: %v, %v", err, a.ManageTokenHash)
	}
	a.SetCalendarEventID("evt1", t1)
	a.SetMeetingDetails("https://meet.example.org/x", "", t1)
	if *a.ExternalCalendarEventID != "evt1" || *a.MeetingURL != "https://meet.example.org/x" || a.LocationText != nil || !a.UpdatedAt.Equal(t1) {
		t.Errorf("details: %v %v %v %v", a.ExternalCalendarEventID, a.MeetingURL, a.LocationText, a.UpdatedAt)
	}
	a.SetCalendarEventID("", t1)
	a.SetMeetingDetails("", "Москва, ул. Тверская, 1", t1)
	if a.ExternalCalendarEventID != nil || a.MeetingURL != nil || *a.LocationText != "Москва, ул. Тверская, 1" {
		t.Errorf("cleared details: %v %v %v", a.ExternalCalendarEventID, a.MeetingURL, a.LocationText)
	}
}

// bookingMove is one state change tried on an appointment.
type bookingMove struct {
	name string
	do   func(a *models.Appointment, svc *models.Service) error
}

// bookingMoves tries every appointment method at a moment where its time rules allow it, so the
// outcome depends on the status alone.
var bookingMoves = []bookingMove{
	{"confirm", func(a *models.Appointment, _ *models.Service) error { return a.Confirm(bookingT0.Add(time.Minute)) }},
	{"cancel by staff", func(a *models.Appointment, _ *models.Service) error {
		return a.Cancel(models.BookingActorStaff, "ill", bookingT0.Add(time.Minute))
	}},
	{"expire hold", func(a *models.Appointment, _ *models.Service) error { return a.ExpireHold(bookingT0.Add(time.Hour)) }},
	{"complete", func(a *models.Appointment, _ *models.Service) error { return a.Complete(a.EndAt) }},
	{"no-show", func(a *models.Appointment, _ *models.Service) error { return a.MarkNoShow(a.StartAt) }},
	{"reschedule", func(a *models.Appointment, svc *models.Service) error {
		_, err := a.Reschedule(svc, bookingStart.Add(48*time.Hour), models.BookingActorStaff, bookingT0.Add(time.Minute))
		return err
	}},
}

// bookingLegal lists, per status, the moves allowed and the status they lead to.
var bookingLegal = map[models.AppointmentStatus]map[string]models.AppointmentStatus{
	models.AppointmentStatusPendingPayment: {
		"confirm": models.AppointmentStatusConfirmed, "cancel by staff": models.AppointmentStatusCanceled,
		"expire hold": models.AppointmentStatusCanceled,
	},
	models.AppointmentStatusConfirmed: {
		"cancel by staff": models.AppointmentStatusCanceled, "complete": models.AppointmentStatusCompleted,
		"no-show": models.AppointmentStatusNoShow, "reschedule": models.AppointmentStatusRescheduled,
	},
}

var bookingMoveEvents = map[string]string{
	"confirm": "appointment.confirmed", "cancel by staff": "appointment.canceled", "expire hold": "appointment.canceled",
	"complete": "appointment.completed", "no-show": "appointment.no_show", "reschedule": "appointment.rescheduled",
}

func TestBookingAppointmentTransitions(t *testing.T) {
	t.Parallel()
	svc := bookingService(t, nil)
	statuses := []models.AppointmentStatus{
		models.AppointmentStatusPendingPayment, models.AppointmentStatusConfirmed, models.AppointmentStatusCanceled,
		models.AppointmentStatusRescheduled, models.AppointmentStatusCompleted, models.AppointmentStatusNoShow,
	}
	for _, from := range statuses {
		for _, m := range bookingMoves {
			t.Run(string(from)+"/"+m.name, func(t *testing.T) {
				a := bookingAppointmentIn(t, svc, from)
				before := *a
				err := m.do(a, svc)
				to, legal := bookingLegal[from][m.name]
				if !legal {
					if !errors.Is(err, models.ErrInvalidTransition) {
						t.Fatalf("err = %v, want ErrInvalidTransition", err)
					}
					if !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), a.ID.String()) {
						t.Errorf("err = %q, want it to name the status and the appointment", err)
					}
					if !reflect.DeepEqual(*a, before) {
						t.Errorf("illegal move changed the appointment:\n%+v\nwant\n%+v", *a, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("legal move: %v", err)
				}
				if a.Status != to {
					t.Errorf("status = %s, want %s", a.Status, to)
				}
				if a.UpdatedAt.Equal(before.UpdatedAt) {
					t.Errorf("UpdatedAt not stamped")
				}
				if got := bookingEventNames(a.Events()); len(got) != 1 || got[0] != bookingMoveEvents[m.name] {
					t.Errorf("events = %v, want [%s]", got, bookingMoveEvents[m.name])
				}
				if e := a.Events()[0]; e.AggregateID() != a.ID || e.EventID() == uuid.Nil {
					t.Errorf("event meta = %+v", e)
				}
				if a.IsActive() != (to == models.AppointmentStatusConfirmed) {
					t.Errorf("IsActive = %v in %s", a.IsActive(), to)
				}
			})
		}
	}
}

func TestBookingAppointmentConfirm(t *testing.T) {
	t.Parallel()
	a := bookingAppointmentIn(t, bookingService(t, nil), models.AppointmentStatusPendingPayment)
	// A late payment after the hold lapsed, but before anyone expired it, still confirms.
	late := a.HoldExpiresAt.Add(time.Hour)
	if err := a.Confirm(late); err != nil {
		t.Fatal(err)
	}
	if a.HoldExpiresAt != nil || !a.UpdatedAt.Equal(late) {
		t.Errorf("hold %v, updated %v", a.HoldExpiresAt, a.UpdatedAt)
	}
}

func TestBookingAppointmentCancel(t *testing.T) {
	t.Parallel()
	svc := bookingService(t, nil)
	tests := []struct {
		name    string
		from    models.AppointmentStatus
		by      models.BookingActor
		reason  string
		at      func(a *models.Appointment) time.Time
		wantErr error
		field   string
	}{
		{"client cancels pending", models.AppointmentStatusPendingPayment, models.BookingActorClient, "передумала", func(a *models.Appointment) time.Time { return bookingT0 }, nil, ""},
		{"client cancels confirmed a minute before", models.AppointmentStatusConfirmed, models.BookingActorClient, "", func(a *models.Appointment) time.Time { return a.StartAt.Add(-time.Minute) }, nil, ""},
		{"client cancels confirmed at its start", models.AppointmentStatusConfirmed, models.BookingActorClient, "", func(a *models.Appointment) time.Time { return a.StartAt }, models.ErrTooLateToCancel, ""},
		{"client cancels confirmed after its start", models.AppointmentStatusConfirmed, models.BookingActorClient, "", func(a *models.Appointment) time.Time { return a.StartAt.Add(time.Minute) }, models.ErrTooLateToCancel, ""},
		{"client cancels pending after its start", models.AppointmentStatusPendingPayment, models.BookingActorClient, "", func(a *models.Appointment) time.Time { return a.StartAt.Add(time.Minute) }, nil, ""},
		{"staff cancels confirmed after its start", models.AppointmentStatusConfirmed, models.BookingActorStaff, "болезнь", func(a *models.Appointment) time.Time { return a.StartAt.Add(time.Minute) }, nil, ""},
		{"system cancels confirmed", models.AppointmentStatusConfirmed, models.BookingActorSystem, "the payment could not be created", func(a *models.Appointment) time.Time { return a.StartAt }, nil, ""},
		{"unknown actor", models.AppointmentStatusConfirmed, "robot", "", func(a *models.Appointment) time.Time { return bookingT0 }, nil, "by"},
		{"long reason", models.AppointmentStatusConfirmed, models.BookingActorStaff, strings.Repeat("я", 1001), func(a *models.Appointment) time.Time { return bookingT0 }, nil, "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := bookingAppointmentIn(t, svc, tt.from)
			before := *a
			at := tt.at(a)
			err := a.Cancel(tt.by, tt.reason, at)
			switch {
			case tt.field != "":
				bookingAssertValidation(t, err, tt.field)
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			}
			if err != nil {
				if !reflect.DeepEqual(*a, before) {
					t.Errorf("refused cancel changed the appointment")
				}
				return
			}
			if tt.wantErr != nil || tt.field != "" {
				t.Fatal("cancel succeeded, want an error")
			}
			if a.Status != models.AppointmentStatusCanceled || *a.CanceledBy != tt.by || !a.CanceledAt.Equal(at) ||
				a.HoldExpiresAt != nil || !a.UpdatedAt.Equal(at) {
				t.Errorf("canceled appointment = %+v", a)
			}
			// A person's reason is P2, kept apart from the system's own reasons.
			var wantPlain string
			var wantP2 *string
			switch {
			case tt.by == models.BookingActorSystem:
				wantPlain = tt.reason
			case tt.reason != "":
				wantP2 = &tt.reason
			}
			if a.CancelReason != wantPlain || !reflect.DeepEqual(a.CancelReasonP2, wantP2) {
				t.Errorf("reason %q: stored as %q (system) and %v (P2)", tt.reason, a.CancelReason, a.CancelReasonP2)
			}
			if raw, _ := json.Marshal(a.Events()[0]); tt.reason != "" && strings.Contains(string(raw), tt.reason) {
				t.Errorf("the event carries the reason: %s", raw)
			}
			ev, ok := a.Events()[0].(models.AppointmentCanceled)
			if !ok || ev.By != tt.by || ev.From != tt.from || ev.EventName() != "appointment.canceled" {
				t.Errorf("event = %+v", a.Events()[0])
			}
		})
	}
}

func TestBookingAppointmentExpireHold(t *testing.T) {
	t.Parallel()
	svc := bookingService(t, nil)
	a := bookingAppointmentIn(t, svc, models.AppointmentStatusPendingPayment)
	lapse := *a.HoldExpiresAt
	before := *a
	if err := a.ExpireHold(lapse.Add(-time.Second)); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("expire before the lapse: err = %v", err)
	}
	if !reflect.DeepEqual(*a, before) {
		t.Error("refused expiry changed the appointment")
	}
	if err := a.ExpireHold(lapse); err != nil {
		t.Fatalf("expire at the lapse: %v", err)
	}
	if a.Status != models.AppointmentStatusCanceled || *a.CanceledBy != models.BookingActorSystem || a.CancelReason == "" || !a.CanceledAt.Equal(lapse) {
		t.Errorf("expired = %+v", a)
	}
	// A pending appointment without a hold (e.g. loaded from a bad row) never expires.
	b := bookingAppointmentIn(t, svc, models.AppointmentStatusPendingPayment)
	b.HoldExpiresAt = nil
	if err := b.ExpireHold(bookingT0.Add(24 * time.Hour)); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("expire without hold: err = %v", err)
	}
}

func TestBookingAppointmentCompleteAndNoShowTiming(t *testing.T) {
	t.Parallel()
	svc := bookingService(t, nil)
	tests := []struct {
		name string
		do   func(a *models.Appointment) error
		ok   bool
	}{
		{"complete a minute before the end", func(a *models.Appointment) error { return a.Complete(a.EndAt.Add(-time.Minute)) }, false},
		{"complete at the end", func(a *models.Appointment) error { return a.Complete(a.EndAt) }, true},
		{"no-show before the start", func(a *models.Appointment) error { return a.MarkNoShow(a.StartAt.Add(-time.Second)) }, false},
		{"no-show ten minutes in", func(a *models.Appointment) error { return a.MarkNoShow(a.StartAt.Add(10 * time.Minute)) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := bookingAppointmentIn(t, svc, models.AppointmentStatusConfirmed)
			before := *a
			err := tt.do(a)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Errorf("err = %v, want ErrInvalidTransition", err)
				}
				if !reflect.DeepEqual(*a, before) {
					t.Error("refused move changed the appointment")
				}
			}
		})
	}
}

func TestBookingAppointmentReschedule(t *testing.T) {
	t.Parallel()
	svc := bookingService(t, nil) // reschedule_min_hours = 24
	other := bookingService(t, func(d *models.ServiceDetails) { d.Slug = "other" })
	newStart := bookingStart.Add(48 * time.Hour)

	t.Run("moves to a new confirmed appointment", func(t *testing.T) {
		a := bookingAppointmentIn(t, svc, models.AppointmentStatusConfirmed)
		_ = a.SetManageTokenHash("hash-1")
		a.SetMeetingDetails("https://meet/x", "кабинет 5", bookingT0)
		a.SetCalendarEventID("0abc123", bookingT0)
		lead := models.NewID()
		a.LeadID = &lead
		now := a.StartAt.Add(-24 * time.Hour) // exactly at the client's deadline
		next, err := a.Reschedule(svc, newStart, models.BookingActorClient, now)
		if err != nil {
			t.Fatal(err)
		}
		want := models.Appointment{
			ID: next.ID, ServiceID: svc.ID, ClientUserID: a.ClientUserID, LeadID: &lead,
			StartAt: newStart, EndAt: newStart.Add(50 * time.Minute), BlockedUntil: newStart.Add(60 * time.Minute),
			Timezone: a.Timezone, Status: models.AppointmentStatusConfirmed, Format: a.Format, Metadata: a.Metadata,
			LocationText: bookingPtr("кабинет 5"), ManageTokenHash: bookingPtr("hash-1"), RescheduledFromID: &a.ID,
			ExternalCalendarEventID: bookingPtr("0abc123"), Version: 1, CreatedAt: now, UpdatedAt: now,
		}
		events := next.Events()
		next.ClearEvents()
		if !reflect.DeepEqual(*next, want) {
			t.Errorf("new appointment = %+v\nwant %+v", *next, want)
		}
		if next.ID == a.ID {
			t.Error("new appointment reuses the old ID")
		}
		if b, ok := events[0].(models.AppointmentBooked); len(events) != 1 || !ok || *b.RescheduledFromID != a.ID || b.Status != models.AppointmentStatusConfirmed {
			t.Errorf("new appointment's events = %+v", events)
		}
		if a.Status != models.AppointmentStatusRescheduled || a.ManageTokenHash != nil || !a.UpdatedAt.Equal(now) {
			t.Errorf("old appointment = %+v", a)
		}
		if r, ok := a.Events()[0].(models.AppointmentRescheduled); !ok || r.NewAppointmentID != next.ID || r.By != models.BookingActorClient {
			t.Errorf("old appointment's events = %+v", a.Events())
		}
	})

	tests := []struct {
		name    string
		svc     *models.Service
		start   time.Time
		by      models.BookingActor
		now     func(a *models.Appointment) time.Time
		wantErr error
		field   string
	}{
		{"client a minute after the deadline", svc, newStart, models.BookingActorClient, func(a *models.Appointment) time.Time { return a.StartAt.Add(-24*time.Hour + time.Minute) }, models.ErrTooLateToReschedule, ""},
		{"staff after the deadline", svc, newStart, models.BookingActorStaff, func(a *models.Appointment) time.Time { return a.StartAt.Add(-time.Hour) }, nil, ""},
		{"unknown actor", svc, newStart, "bot", func(*models.Appointment) time.Time { return bookingT0 }, nil, "by"},
		{"another service", other, newStart, models.BookingActorStaff, func(*models.Appointment) time.Time { return bookingT0 }, nil, "service_id"},
		{"no service", nil, newStart, models.BookingActorStaff, func(*models.Appointment) time.Time { return bookingT0 }, nil, "service_id"},
		{"into the past", svc, bookingT0.Add(-time.Hour), models.BookingActorStaff, func(*models.Appointment) time.Time { return bookingT0 }, nil, "start_at"},
		{"same start", svc, bookingStart, models.BookingActorStaff, func(*models.Appointment) time.Time { return bookingT0 }, nil, "start_at"},
		{"odd start", svc, newStart.Add(30 * time.Second), models.BookingActorStaff, func(*models.Appointment) time.Time { return bookingT0 }, nil, "start_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := bookingAppointmentIn(t, svc, models.AppointmentStatusConfirmed)
			before := *a
			next, err := a.Reschedule(tt.svc, tt.start, tt.by, tt.now(a))
			switch {
			case tt.field != "":
				bookingAssertValidation(t, err, tt.field)
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil || next == nil {
					t.Fatalf("Reschedule = %v, %v", next, err)
				}
				return
			}
			if next != nil {
				t.Errorf("new appointment %+v returned with an error", next)
			}
			if !reflect.DeepEqual(*a, before) {
				t.Error("refused reschedule changed the appointment")
			}
		})
	}

	t.Run("without reschedule_min_hours a client may move it until the start", func(t *testing.T) {
		loose := bookingService(t, func(d *models.ServiceDetails) { d.RescheduleMinHours = nil })
		a := bookingAppointmentIn(t, loose, models.AppointmentStatusConfirmed)
		if _, err := a.Reschedule(loose, newStart, models.BookingActorClient, a.StartAt.Add(-time.Minute)); err != nil {
			t.Errorf("a minute before the start: %v", err)
		}
		b := bookingAppointmentIn(t, loose, models.AppointmentStatusConfirmed)
		if _, err := b.Reschedule(loose, newStart, models.BookingActorClient, b.StartAt.Add(time.Minute)); !errors.Is(err, models.ErrTooLateToReschedule) {
			t.Errorf("after the start: err = %v", err)
		}
	})
}

func TestBookingIntakeForm(t *testing.T) {
	t.Parallel()
	t1, t2 := bookingT0.Add(time.Hour), bookingT0.Add(2*time.Hour)
	appt := models.NewID()

	if f, err := models.NewIntakeForm(uuid.Nil, nil, bookingT0); f != nil || err == nil {
		t.Errorf("form without appointment = %+v, %v", f, err)
	} else {
		bookingAssertValidation(t, err, "appointment_id")
	}

	f, err := models.NewIntakeForm(appt, nil, bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != models.IntakeFormStatusDraft || f.Payload == nil || len(f.Payload) != 0 || f.AppointmentID != appt || f.SubmittedAt != nil {
		t.Errorf("new form = %+v", f)
	}
	before := *f
	bookingAssertValidation(t, f.Submit(t1), "payload")
	if !reflect.DeepEqual(*f, before) {
		t.Error("refused submit changed the form")
	}
	if err := f.UpdatePayload(nil, t1); err != nil || f.Payload == nil {
		t.Errorf("clear payload: %v, %v", err, f.Payload)
	}
	answers := models.IntakeAnswers{"complaint": "бессонница", "first_time": true}
	if err := f.UpdatePayload(answers, t1); err != nil || !reflect.DeepEqual(f.Payload, answers) || !f.UpdatedAt.Equal(t1) {
		t.Errorf("UpdatePayload: %v, %+v", err, f)
	}
	if err := f.Submit(t2); err != nil {
		t.Fatal(err)
	}
	if f.Status != models.IntakeFormStatusSubmitted || !f.SubmittedAt.Equal(t2) || !f.UpdatedAt.Equal(t2) {
		t.Errorf("submitted form = %+v", f)
	}
	ev, ok := f.Events()[0].(models.IntakeFormSubmitted)
	if len(f.Events()) != 1 || !ok || ev.AppointmentID != appt || ev.AggregateID() != f.ID || ev.EventName() != "intake_form.submitted" {
		t.Errorf("events = %+v", f.Events())
	}
	// The event carries no answers: nothing of the payload reaches it.
	if b, err := json.Marshal(ev); err != nil || strings.Contains(string(b), "бессонница") || strings.Contains(fmt.Sprintf("%+v", ev), "бессонница") {
		t.Errorf("event leaks P2: %s, %v", b, err)
	}

	submitted := *f
	for name, do := range map[string]func() error{
		"edit submitted":   func() error { return f.UpdatePayload(models.IntakeAnswers{"x": "y"}, t2.Add(time.Hour)) },
		"submit submitted": func() error { return f.Submit(t2.Add(time.Hour)) },
	} {
		if err := do(); !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("%s: err = %v, want ErrInvalidTransition", name, err)
		}
		if !reflect.DeepEqual(*f, submitted) {
			t.Errorf("%s changed the form", name)
		}
	}
}

func TestBookingWaitlistEntry(t *testing.T) {
	t.Parallel()
	svc, user, lead := models.NewID(), models.NewID(), models.NewID()
	msk := time.FixedZone("MSK", 3*60*60)
	from := time.Date(2026, time.April, 10, 10, 0, 0, 0, msk)
	to := from.Add(72 * time.Hour)
	w, err := models.NewWaitlistEntry(svc, nil, nil, bookingPtr(models.Email(" Anna@Example.org ")), &from, &to, models.MustTimeZone("Europe/Moscow"), bookingT0)
	if err != nil {
		t.Fatal(err)
	}
	if *w.Email != "anna@example.org" || w.Status != models.WaitlistStatusActive || w.PreferredFrom.Location() != time.UTC ||
		!w.PreferredFrom.Equal(from) || !w.PreferredTo.Equal(to) || w.ServiceID != svc || w.ID.Version() != 7 {
		t.Errorf("entry = %+v", w)
	}
	if w2, err := models.NewWaitlistEntry(svc, &user, &lead, nil, nil, nil, models.MustTimeZone("UTC"), bookingT0); err != nil || w2.Email != nil || w2.PreferredFrom != nil {
		t.Errorf("entry of a user = %+v, %v", w2, err)
	}

	tests := []struct {
		name     string
		svc      uuid.UUID
		user     *uuid.UUID
		email    *models.Email
		from, to *time.Time
		zone     models.TimeZone
		field    string
	}{
		{"no service", uuid.Nil, &user, nil, nil, nil, models.MustTimeZone("UTC"), "service_id"},
		{"nobody to notify", svc, nil, nil, nil, nil, models.MustTimeZone("UTC"), "email"},
		{"bad email", svc, nil, bookingPtr(models.Email("not-an-email")), nil, nil, models.MustTimeZone("UTC"), "email"},
		{"empty period", svc, &user, nil, &from, &from, models.MustTimeZone("UTC"), "preferred_to"},
		{"inverted period", svc, &user, nil, &to, &from, models.MustTimeZone("UTC"), "preferred_to"},
		{"no zone", svc, &user, nil, nil, nil, models.TimeZone{}, "timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := models.NewWaitlistEntry(tt.svc, tt.user, nil, tt.email, tt.from, tt.to, tt.zone, bookingT0)
			if w != nil {
				t.Errorf("entry %+v returned with an error", w)
			}
			bookingAssertValidation(t, err, tt.field)
		})
	}

	t1 := bookingT0.Add(time.Hour)
	moves := map[string]func(w *models.WaitlistEntry) error{
		"notify":      func(w *models.WaitlistEntry) error { return w.Notify(t1) },
		"mark booked": func(w *models.WaitlistEntry) error { return w.MarkBooked(t1) },
		"cancel":      func(w *models.WaitlistEntry) error { return w.Cancel(t1) },
	}
	legal := map[models.WaitlistStatus]map[string]models.WaitlistStatus{
		models.WaitlistStatusActive:   {"notify": models.WaitlistStatusNotified, "mark booked": models.WaitlistStatusBooked, "cancel": models.WaitlistStatusCanceled},
		models.WaitlistStatusNotified: {"mark booked": models.WaitlistStatusBooked, "cancel": models.WaitlistStatusCanceled},
	}
	for _, from := range []models.WaitlistStatus{models.WaitlistStatusActive, models.WaitlistStatusNotified, models.WaitlistStatusBooked, models.WaitlistStatusCanceled} {
		for name, move := range moves {
			t.Run(string(from)+"/"+name, func(t *testing.T) {
				w, err := models.NewWaitlistEntry(svc, &user, nil, nil, nil, nil, models.MustTimeZone("UTC"), bookingT0)
				if err != nil {
					t.Fatal(err)
				}
				switch from {
				case models.WaitlistStatusNotified:
					err = w.Notify(bookingT0)
				case models.WaitlistStatusBooked:
					err = w.MarkBooked(bookingT0)
				case models.WaitlistStatusCanceled:
					err = w.Cancel(bookingT0)
				}
				if err != nil {
					t.Fatal(err)
				}
				before := *w
				err = move(w)
				to, ok := legal[from][name]
				if !ok {
					if !errors.Is(err, models.ErrInvalidTransition) {
						t.Errorf("err = %v, want ErrInvalidTransition", err)
					}
					if !reflect.DeepEqual(*w, before) {
						t.Error("illegal move changed the entry")
					}
					return
				}
				if err != nil || w.Status != to || !w.UpdatedAt.Equal(t1) {
					t.Errorf("err %v, status %s, updated %v; want %s", err, w.Status, w.UpdatedAt, to)
				}
				if name == "notify" && (w.NotifiedAt == nil || !w.NotifiedAt.Equal(t1)) {
					t.Errorf("NotifiedAt = %v", w.NotifiedAt)
				}
			})
		}
	}
}
