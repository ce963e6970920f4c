package admin

import (
	"context"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
)

// serviceWriter creates and revises services through models.Service's rules. Services are never
// deleted (appointments refer to them): they are archived.
type serviceWriter struct{}

// details overlays what the input sets on base.
func (serviceWriter) details(in *Input, base models.ServiceDetails) models.ServiceDetails {
	d := base
	str := func(name string, dst *string) {
		if in.Has(name) {
			*dst = in.String(name)
		}
	}
	num := func(name string, dst *int) {
		if in.Has(name) {
			*dst = in.Int(name)
		}
	}
	opt := func(name string, dst **int) {
		if in.Has(name) {
			*dst = in.OptInt(name)
		}
	}
	str("slug", &d.Slug)
	str("title", &d.Title)
	str("description_markdown", &d.DescriptionMarkdown)
	if in.Has("format") {
		d.Format = models.ServiceFormat(in.String("format"))
	}
	num("duration_minutes", &d.DurationMinutes)
	if in.Has("price_minor") {
		d.Price.Minor = in.Int64("price_minor")
	}
	if in.Has("currency") {
		d.Price.Currency = in.String("currency")
	}
	if in.Has("deposit_minor") {
		d.DepositMinor = in.OptInt64("deposit_minor")
	}
	opt("cancel_free_hours", &d.CancelFreeHours)
	opt("cancel_partial_hours", &d.CancelPartialHours)
	opt("reschedule_min_hours", &d.RescheduleMinHours)
	num("buffer_minutes", &d.BufferMinutes)
	num("min_notice_minutes", &d.MinNoticeMinutes)
	num("booking_horizon_days", &d.BookingHorizonDays)
	num("slot_step_minutes", &d.SlotStepMinutes)
	str("timezone", &d.Timezone)
	return d
}

func (w serviceWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in, now := c.In, c.Now
	in.Require("slug", "title", "format", "duration_minutes", "price_minor")
	d := w.details(in, models.ServiceDetails{})
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	s, err := models.NewService(d, now)
	if err != nil {
		return uuid.Nil, err
	}
	return s.ID, c.Services.Create(ctx, s)
}

func (w serviceWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	in, now := c.In, c.Now
	return c.Services.Update(ctx, id, func(s *models.Service) error {
		d := w.details(in, s.Details())
		if err := in.Err(); err != nil {
			return err
		}
		return s.Revise(d, now)
	})
}

func (serviceWriter) Delete(context.Context, *Call, uuid.UUID) error { return models.ErrForbidden }

// publication is a service's publish, unpublish or archive action.
func publication(change func(*models.Service, time.Time) error) func(context.Context, *Call, uuid.UUID) error {
	return func(ctx context.Context, c *Call, id uuid.UUID) error {
		return c.Services.Update(ctx, id, func(s *models.Service) error { return change(s, c.Now) })
	}
}

// ruleWriter adds and removes weekly windows; a window is changed by replacing it.
type ruleWriter struct{}

func (ruleWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in, now := c.In, c.Now
	in.Require("weekday", "start_minute", "end_minute")
	serviceID, weekday, from, to := in.OptID("service_id"), in.Int("weekday"), in.Int("start_minute"), in.Int("end_minute")
	zone, validFrom, validTo := in.String("timezone"), in.OptDate("valid_from"), in.OptDate("valid_to")
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	if zone == "" {
		zone = models.DefaultServiceTimezone
	}
	r, err := models.NewAvailabilityRule(serviceID, weekday, from, to, zone, validFrom, validTo, now)
	if err != nil {
		return uuid.Nil, err
	}
	return r.ID, c.Availability.CreateRule(ctx, r)
}

func (ruleWriter) Update(context.Context, *Call, uuid.UUID) error {
	return models.ErrForbidden
}

func (ruleWriter) Delete(ctx context.Context, c *Call, id uuid.UUID) error {
	return c.Availability.DeleteRule(ctx, id)
}

// exceptionWriter adds and removes days off and extra hours.
type exceptionWriter struct{}

func (exceptionWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in, now := c.In, c.Now
	in.Require("kind", "date_from", "date_to")
	serviceID, kind := in.OptID("service_id"), models.AvailabilityExceptionKind(in.String("kind"))
	from, to := in.OptDate("date_from"), in.OptDate("date_to")
	start, end := in.OptInt("start_minute"), in.OptInt("end_minute")
	zone, reason := in.String("timezone"), in.String("reason")
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	if zone == "" {
		zone = models.DefaultServiceTimezone
	}
	e, err := models.NewAvailabilityException(serviceID, kind, *from, *to, start, end, zone, reason, now)
	if err != nil {
		return uuid.Nil, err
	}
	return e.ID, c.Availability.CreateException(ctx, e)
}

func (exceptionWriter) Update(context.Context, *Call, uuid.UUID) error {
	return models.ErrForbidden
}

func (exceptionWriter) Delete(ctx context.Context, c *Call, id uuid.UUID) error {
	return c.Availability.DeleteException(ctx, id)
}

// appointmentChange is an appointment action that is one model transition.
func appointmentChange(change func(*models.Appointment, time.Time) error) func(context.Context, *Call, uuid.UUID) error {
	return func(ctx context.Context, c *Call, id uuid.UUID) error {
		return c.Appointments.Update(ctx, id, func(a *models.Appointment) error { return change(a, c.Now) })
	}
}

// cancelByStaff cancels an appointment for the practice through the booking use case: the time is
// freed and a paid booking refunded in full through the payment provider.
func cancelByStaff(ctx context.Context, c *Call, id uuid.UUID) error {
	if c.Bookings == nil {
		return fmt.Errorf("cancel appointment %s: %w", id, ErrNotAvailable)
	}
	_, err := c.Bookings.CancelByStaff(ctx, id)
	return err
}

// appointmentWriter sets where an appointment takes place; everything else about an appointment
// changes through its actions.
type appointmentWriter struct{}

func (appointmentWriter) Create(context.Context, *Call) (uuid.UUID, error) {
	return uuid.Nil, models.ErrForbidden
}

func (appointmentWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	in, now := c.In, c.Now
	return c.Appointments.Update(ctx, id, func(a *models.Appointment) error {
		if err := in.CheckVersion(a.Version); err != nil {
			return err
		}
		url, place := deref(a.MeetingURL), deref(a.LocationText)
		if in.Has("meeting_url") {
			url = in.String("meeting_url")
			if url != "" && !webURL(url) {
				in.fail("meeting_url", "должна быть ссылкой http(s)://, не длиннее 2048 символов")
			}
		}
		if in.Has("location_text") {
			if place = in.String("location_text"); utf8.RuneCountInString(place) > 500 {
				in.fail("location_text", "не длиннее 500 символов")
			}
		}
		if err := in.Err(); err != nil {
			return err
		}
		a.SetMeetingDetails(url, place, now)
		return nil
	})
}

func (appointmentWriter) Delete(context.Context, *Call, uuid.UUID) error { return models.ErrForbidden }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// webURL reports whether s is an absolute http(s) URL a browser can open.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && len(s) <= 2048 && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
