package admin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/booking"
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
// freed and a paid booking refunded in full through the payment provider — or, when the owner
// says refund_minor, that much (0 … what is refundable). Another role's refund_minor is a 422 on
// the field: the amount is the owner's decision.
func cancelByStaff(ctx context.Context, c *Call, id uuid.UUID) error {
	if c.Bookings == nil {
		return fmt.Errorf("cancel appointment %s: %w", id, ErrNotAvailable)
	}
	in := c.In
	var opt booking.StaffCancel
	if in.Has("refund_minor") {
		opt.RefundMinor = in.OptInt64("refund_minor")
		if opt.RefundMinor != nil && !slices.Contains(c.Actor.Roles, models.RoleOwner) {
			in.fail("refund_minor", "сумму возврата выбирает только владелец; без неё вернётся всё оплаченное")
		}
	}
	if err := in.Err(); err != nil {
		return err
	}
	_, err := c.Bookings.CancelByStaff(ctx, id, opt)
	return refundError(err, "refund_minor")
}

// rescheduleByStaff moves a confirmed appointment to start_at through the booking use case: the
// slot checks of the client's move, without the client's deadline.
func rescheduleByStaff(ctx context.Context, c *Call, id uuid.UUID) error {
	if c.Bookings == nil {
		return fmt.Errorf("reschedule appointment %s: %w", id, ErrNotAvailable)
	}
	in := c.In
	in.Require("start_at")
	start := optTime(in, "start_at")
	if err := in.Err(); err != nil {
		return err
	}
	_, err := c.Bookings.RescheduleByStaff(ctx, id, *start)
	return bookingInputError(err)
}

// confirmPaidOffline records that the client of an unpaid booking paid in cash or by transfer
// (amount_minor, by default what the booking waits for) and confirms it.
func confirmPaidOffline(ctx context.Context, c *Call, id uuid.UUID) error {
	if c.Bookings == nil {
		return fmt.Errorf("confirm appointment %s: %w", id, ErrNotAvailable)
	}
	in := c.In
	amount := in.OptInt64("amount_minor")
	if amount != nil && *amount <= 0 {
		in.fail("amount_minor", "сумма должна быть больше нуля")
	}
	if err := in.Err(); err != nil {
		return err
	}
	_, err := c.Bookings.ConfirmPaidOffline(ctx, id, amount)
	return bookingInputError(err)
}

// optTime is a date and time field, RFC 3339 (nil when absent, null or "").
func optTime(in *Input, name string) *time.Time {
	s := in.String(name)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		in.fail(name, "должно быть датой и временем, например 2026-12-03T10:00:00+03:00")
		return nil
	}
	t = t.UTC()
	return &t
}

// bookingMessages are the Russian messages of the booking use cases' field errors, by their
// field, with the admin form's field they belong to.
var bookingMessages = map[string]struct{ field, message string }{
	"start":        {"start_at", "в это время записаться нельзя: выберите свободное время из расписания услуги"},
	"start_at":     {"start_at", "в это время записаться нельзя: время должно быть в будущем, с точностью до минуты, и не совпадать с нынешним"},
	"format":       {"format", "услуга не проводится в этом формате"},
	"service_id":   {"service_id", "выберите опубликованную услугу"},
	"client.name":  {"client_name", "обязательное поле, не длиннее 200 символов"},
	"client.email": {"client_email", "укажите адрес электронной почты (или телефон)"},
	"client.phone": {"client_phone", "должно быть номером телефона, например +7 999 123-45-67"},
	"comment":      {"comment", "не длиннее 2000 символов"},
	"amount":       {"amount_minor", "сумма должна быть больше нуля"},
}

// bookingInputError puts a booking use case's field error beside the admin form's field, in
// Russian; other errors pass through (a taken time is a 409 slot-taken).
func bookingInputError(err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	if m, ok := bookingMessages[ve.Field]; ok {
		return &InputError{Fields: map[string]string{m.field: m.message}}
	}
	return err
}

// appointmentWriter sets where an appointment takes place; everything else about an appointment
// changes through its actions.
type appointmentWriter struct{}

// Create books a client staff talked to (on the phone, say) through the booking use case: the
// slot checks of the public booking (a taken time is 409, one outside the schedule a 422 on
// start_at), the client's account (with an email) and lead, and the usual events; it is confirmed
// at once, without an online payment.
func (appointmentWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in := c.In
	in.Require("service_id", "start_at", "format", "client_name")
	serviceID, start := in.OptID("service_id"), optTime(in, "start_at")
	format, err := models.ParseAppointmentFormat(in.String("format"))
	if err != nil {
		in.fail("format", bookingMessages["format"].message)
	}
	comment := in.String("comment")
	email, phone := in.String("client_email"), in.String("client_phone")
	if email == "" && phone == "" {
		in.fail("client_email", "укажите электронную почту или телефон")
	}
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	// Parsed once, here: the booking use case trusts the format and the contact it is given.
	client, err := models.ParseStaffClientContact(in.String("client_name"), email, phone)
	if err != nil {
		return uuid.Nil, bookingInputError(err)
	}
	if c.Bookings == nil {
		return uuid.Nil, fmt.Errorf("book by staff: %w", ErrNotAvailable)
	}
	a, err := c.Bookings.BookByStaff(ctx, booking.StaffBookingInput{ServiceID: *serviceID, Start: *start, Format: format, Client: client, Comment: comment})
	if errors.Is(err, models.ErrForbidden) {
		// The account of this email was blocked or erased: not the staff member's role.
		return uuid.Nil, &InputError{Fields: map[string]string{"client_email": "учётная запись с этим адресом заблокирована или удалена"}}
	}
	if err != nil {
		return uuid.Nil, bookingInputError(err)
	}
	return a.ID, nil
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
