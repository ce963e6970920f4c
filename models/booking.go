package models

import (
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Booking errors, for the client to learn why a change of plans was refused.
var (
	// ErrTooLateToCancel means a client tried to cancel a confirmed appointment that has already started.
	ErrTooLateToCancel = errors.New("too late to cancel")
	// ErrTooLateToReschedule means a client tried to move an appointment closer to its start than
	// the service's reschedule_min_hours allow.
	ErrTooLateToReschedule = errors.New("too late to reschedule")
)

// Service defaults, applied by NewService and Revise to zero values.
const (
	DefaultServiceTimezone    = "Europe/Moscow"
	DefaultBookingHorizonDays = 60
	DefaultSlotStepMinutes    = 30
)

// Bounds of free text in the booking context.
const (
	bookingTitleMaxLen  = 200
	bookingSlugMaxLen   = 100
	bookingReasonMaxLen = 1000
	bookingMinutesInDay = 24 * 60
)

var bookingSlugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// bookingDate returns the calendar day of t (in t's own zone) as midnight UTC: DATE columns hold it.
func bookingDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func bookingDatePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := bookingDate(*t)
	return &d
}

// bookingISOWeekday numbers days ISO-style: 1 = Monday … 7 = Sunday.
func bookingISOWeekday(t time.Time) int {
	if wd := t.Weekday(); wd != time.Sunday {
		return int(wd)
	}
	return 7
}

func bookingOptional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ServiceFormat says how a service is delivered; hybrid lets the client choose online or offline.
type ServiceFormat string

// Service formats.
const (
	ServiceFormatOnline  ServiceFormat = "online"
	ServiceFormatOffline ServiceFormat = "offline"
	ServiceFormatHybrid  ServiceFormat = "hybrid"
)

// ParseServiceFormat validates a service format name.
func ParseServiceFormat(s string) (ServiceFormat, error) {
	switch f := ServiceFormat(s); f {
	case ServiceFormatOnline, ServiceFormatOffline, ServiceFormatHybrid:
		return f, nil
	}
	return "", &ValidationError{Field: "format", Message: fmt.Sprintf("must be online, offline or hybrid; got %q", s)}
}

// AppointmentFormat is how one appointment takes place.
type AppointmentFormat string

// Appointment formats.
const (
	AppointmentFormatOnline  AppointmentFormat = "online"
	AppointmentFormatOffline AppointmentFormat = "offline"
)

// ParseAppointmentFormat validates an appointment format name.
func ParseAppointmentFormat(s string) (AppointmentFormat, error) {
	switch f := AppointmentFormat(s); f {
	case AppointmentFormatOnline, AppointmentFormatOffline:
		return f, nil
	}
	return "", &ValidationError{Field: "format", Message: fmt.Sprintf("must be online or offline; got %q", s)}
}

// ServiceDetails are the editable fields of a Service. Zero Timezone, Price.Currency,
// BookingHorizonDays and SlotStepMinutes take the defaults.
type ServiceDetails struct {
	Slug                string
	Title               string
	DescriptionMarkdown string
	Format              ServiceFormat
	DurationMinutes     int
	Price               Money
	// DepositMinor, when set, is what a booking pays upfront instead of the full price.
	DepositMinor *int64
	// Cancellation policy, in hours before the start: free until CancelFreeHours, partly refunded
	// until CancelPartialHours; a client may move the appointment until RescheduleMinHours.
	CancelFreeHours    *int
	CancelPartialHours *int
	RescheduleMinHours *int
	// BufferMinutes is the pause kept free after each appointment.
	BufferMinutes      int
	MinNoticeMinutes   int
	BookingHorizonDays int
	SlotStepMinutes    int
	Timezone           string
}

func (d *ServiceDetails) defaults() {
	if d.Timezone == "" {
		d.Timezone = DefaultServiceTimezone
	}
	if d.Price.Currency == "" {
		d.Price.Currency = CurrencyRUB
	}
	if d.BookingHorizonDays == 0 {
		d.BookingHorizonDays = DefaultBookingHorizonDays
	}
	if d.SlotStepMinutes == 0 {
		d.SlotStepMinutes = DefaultSlotStepMinutes
	}
}

func (d *ServiceDetails) validate() error {
	if _, err := NewMoney(d.Price.Minor, d.Price.Currency); err != nil {
		return err
	}
	switch {
	case len(d.Slug) > bookingSlugMaxLen || !bookingSlugRe.MatchString(d.Slug):
		return &ValidationError{Field: "slug", Message: "must be lower-case letters and digits separated by single hyphens, at most 100 characters"}
	case d.Title == "":
		return &ValidationError{Field: "title", Message: "is required"}
	case utf8.RuneCountInString(d.Title) > bookingTitleMaxLen:
		return &ValidationError{Field: "title", Message: "must be at most 200 characters"}
	case d.DurationMinutes <= 0:
		return &ValidationError{Field: "duration_minutes", Message: "must be positive"}
	case d.DepositMinor != nil && (*d.DepositMinor < 0 || *d.DepositMinor > d.Price.Minor):
		return &ValidationError{Field: "deposit_minor", Message: "must be between 0 and the price"}
	case d.BufferMinutes < 0:
		return &ValidationError{Field: "buffer_minutes", Message: "must not be negative"}
	case d.MinNoticeMinutes < 0:
		return &ValidationError{Field: "min_notice_minutes", Message: "must not be negative"}
	case d.BookingHorizonDays <= 0:
		return &ValidationError{Field: "booking_horizon_days", Message: "must be positive"}
	case d.SlotStepMinutes <= 0:
		return &ValidationError{Field: "slot_step_minutes", Message: "must be positive"}
	}
	if _, err := ParseServiceFormat(string(d.Format)); err != nil {
		return err
	}
	for _, h := range []struct {
		field string
		v     *int
	}{{"cancel_free_hours", d.CancelFreeHours}, {"cancel_partial_hours", d.CancelPartialHours}, {"reschedule_min_hours", d.RescheduleMinHours}} {
		if h.v != nil && *h.v < 0 {
			return &ValidationError{Field: h.field, Message: "must not be negative"}
		}
	}
	if d.CancelFreeHours != nil && d.CancelPartialHours != nil && *d.CancelPartialHours > *d.CancelFreeHours {
		return &ValidationError{Field: "cancel_partial_hours", Message: "must not exceed cancel_free_hours"}
	}
	return bookingZone("timezone", d.Timezone)
}

// Service is a kind of consultation a client can book: its format, length, price and booking policy.
type Service struct {
	ID                  uuid.UUID `gorm:"primaryKey"`
	Slug                string    `gorm:"uniqueIndex:services_slug_key"`
	Title               string
	DescriptionMarkdown string
	Format              ServiceFormat
	DurationMinutes     int
	PriceMinor          int64
	DepositMinor        *int64
	Currency            string
	CancelFreeHours     *int
	CancelPartialHours  *int
	RescheduleMinHours  *int
	BufferMinutes       int
	MinNoticeMinutes    int
	BookingHorizonDays  int
	SlotStepMinutes     int
	// Timezone is the IANA zone the practitioner's schedule for this service is written in.
	Timezone    string
	Publication `gorm:"embedded"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewService validates d and creates a draft service.
func NewService(d ServiceDetails, now time.Time) (*Service, error) {
	s := &Service{ID: NewID(), Publication: Publication{Status: PublicationDraft}, CreatedAt: now}
	if err := s.Revise(d, now); err != nil {
		return nil, err
	}
	return s, nil
}

// Revise replaces the editable fields; on a validation error nothing changes.
func (s *Service) Revise(d ServiceDetails, now time.Time) error {
	d.defaults()
	if err := d.validate(); err != nil {
		return err
	}
	s.Slug, s.Title, s.DescriptionMarkdown, s.Format = d.Slug, d.Title, d.DescriptionMarkdown, d.Format
	s.DurationMinutes, s.PriceMinor, s.DepositMinor, s.Currency = d.DurationMinutes, d.Price.Minor, d.DepositMinor, d.Price.Currency
	s.CancelFreeHours, s.CancelPartialHours, s.RescheduleMinHours = d.CancelFreeHours, d.CancelPartialHours, d.RescheduleMinHours
	s.BufferMinutes, s.MinNoticeMinutes, s.BookingHorizonDays, s.SlotStepMinutes = d.BufferMinutes, d.MinNoticeMinutes, d.BookingHorizonDays, d.SlotStepMinutes
	s.Timezone = d.Timezone
	s.UpdatedAt = now
	return nil
}

// Details returns the editable fields, e.g. to change one of them and Revise.
func (s *Service) Details() ServiceDetails {
	return ServiceDetails{
		Slug: s.Slug, Title: s.Title, DescriptionMarkdown: s.DescriptionMarkdown, Format: s.Format,
		DurationMinutes: s.DurationMinutes, Price: s.Price(), DepositMinor: s.DepositMinor,
		CancelFreeHours: s.CancelFreeHours, CancelPartialHours: s.CancelPartialHours, RescheduleMinHours: s.RescheduleMinHours,
		BufferMinutes: s.BufferMinutes, MinNoticeMinutes: s.MinNoticeMinutes,
		BookingHorizonDays: s.BookingHorizonDays, SlotStepMinutes: s.SlotStepMinutes, Timezone: s.Timezone,
	}
}

// Publish makes the service bookable by the public.
func (s *Service) Publish(now time.Time) error { return s.publication(s.Publication.publish, now) }

// Unpublish returns the service to draft.
func (s *Service) Unpublish(now time.Time) error { return s.publication(s.Publication.unpublish, now) }

// Archive retires the service.
func (s *Service) Archive(now time.Time) error { return s.publication(s.Publication.archive, now) }

func (s *Service) publication(move func(time.Time) error, now time.Time) error {
	if err := move(now); err != nil {
		return fmt.Errorf("service %s: %w", s.Slug, err)
	}
	s.UpdatedAt = now
	return nil
}

// Allows reports whether an appointment of this service may take place in format f.
func (s *Service) Allows(f AppointmentFormat) bool {
	switch f {
	case AppointmentFormatOnline:
		return s.Format == ServiceFormatOnline || s.Format == ServiceFormatHybrid
	case AppointmentFormatOffline:
		return s.Format == ServiceFormatOffline || s.Format == ServiceFormatHybrid
	}
	return false
}

// Price is the full price of one appointment.
func (s *Service) Price() Money { return Money{Minor: s.PriceMinor, Currency: s.Currency} }

// Duration is the length of one appointment.
func (s *Service) Duration() time.Duration { return time.Duration(s.DurationMinutes) * time.Minute }

// Buffer is the pause kept free after an appointment.
func (s *Service) Buffer() time.Duration { return time.Duration(s.BufferMinutes) * time.Minute }

// AvailabilityRule is a weekly working window: on Weekday (ISO, 1 = Monday) from StartMinute to
// EndMinute after local midnight in Timezone, between the optional ValidFrom and ValidTo dates.
// A rule without a service applies to every service.
type AvailabilityRule struct {
	ID          uuid.UUID  `gorm:"primaryKey"`
	ServiceID   *uuid.UUID `gorm:"index:availability_rules_service_idx"`
	Weekday     int
	StartMinute int
	EndMinute   int
	Timezone    string
	// ValidFrom and ValidTo are calendar dates (midnight UTC), both inclusive.
	ValidFrom *time.Time
	ValidTo   *time.Time
	CreatedAt time.Time
}

func bookingWindow(startMinute, endMinute int) error {
	if startMinute < 0 || startMinute >= bookingMinutesInDay {
		return &ValidationError{Field: "start_minute", Message: "must be between 0 and 1439"}
	}
	if endMinute <= startMinute || endMinute > bookingMinutesInDay {
		return &ValidationError{Field: "end_minute", Message: "must be after start_minute and at most 1440"}
	}
	return nil
}

// NewAvailabilityRule validates a weekly window. Dates keep only their calendar day.
func NewAvailabilityRule(serviceID *uuid.UUID, weekday, startMinute, endMinute int, zone string, validFrom, validTo *time.Time, now time.Time) (*AvailabilityRule, error) {
	if weekday < 1 || weekday > 7 {
		return nil, &ValidationError{Field: "weekday", Message: "must be 1 (Monday) to 7 (Sunday)"}
	}
	if err := bookingWindow(startMinute, endMinute); err != nil {
		return nil, err
	}
	if err := bookingZone("timezone", zone); err != nil {
		return nil, err
	}
	from, to := bookingDatePtr(validFrom), bookingDatePtr(validTo)
	if from != nil && to != nil && to.Before(*from) {
		return nil, &ValidationError{Field: "valid_to", Message: "must not be before valid_from"}
	}
	return &AvailabilityRule{
		ID: NewID(), ServiceID: serviceID, Weekday: weekday, StartMinute: startMinute, EndMinute: endMinute,
		Timezone: zone, ValidFrom: from, ValidTo: to, CreatedAt: now,
	}, nil
}

// AppliesOn reports whether the rule opens a window on the calendar day of date (in date's zone).
func (r *AvailabilityRule) AppliesOn(date time.Time) bool {
	day := bookingDate(date)
	return bookingISOWeekday(day) == r.Weekday &&
		(r.ValidFrom == nil || !day.Before(*r.ValidFrom)) &&
		(r.ValidTo == nil || !day.After(*r.ValidTo))
}

// AvailabilityExceptionKind says whether an exception closes or opens time.
type AvailabilityExceptionKind string

// Availability exception kinds.
const (
	AvailabilityExceptionKindDayOff     AvailabilityExceptionKind = "day_off"
	AvailabilityExceptionKindExtraHours AvailabilityExceptionKind = "extra_hours"
)

// ParseAvailabilityExceptionKind validates an exception kind.
func ParseAvailabilityExceptionKind(s string) (AvailabilityExceptionKind, error) {
	switch k := AvailabilityExceptionKind(s); k {
	case AvailabilityExceptionKindDayOff, AvailabilityExceptionKindExtraHours:
		return k, nil
	}
	return "", &ValidationError{Field: "kind", Message: fmt.Sprintf("must be day_off or extra_hours; got %q", s)}
}

// AvailabilityException overrides the weekly rules on the days DateFrom..DateTo (inclusive): a day
// off (the whole day, or only StartMinute..EndMinute) or extra hours (StartMinute..EndMinute).
type AvailabilityException struct {
	ID          uuid.UUID  `gorm:"primaryKey"`
	ServiceID   *uuid.UUID `gorm:"index:availability_exceptions_service_idx"`
	Kind        AvailabilityExceptionKind
	DateFrom    time.Time `gorm:"index:availability_exceptions_dates_idx,priority:1"`
	DateTo      time.Time `gorm:"index:availability_exceptions_dates_idx,priority:2"`
	StartMinute *int
	EndMinute   *int
	Timezone    string
	Reason      string
	CreatedAt   time.Time
}

// NewAvailabilityException validates an exception. Dates keep only their calendar day; a window
// (startMinute, endMinute) is required for extra hours and optional for a day off.
func NewAvailabilityException(serviceID *uuid.UUID, kind AvailabilityExceptionKind, dateFrom, dateTo time.Time, startMinute, endMinute *int, zone, reason string, now time.Time) (*AvailabilityException, error) {
	if _, err := ParseAvailabilityExceptionKind(string(kind)); err != nil {
		return nil, err
	}
	from, to := bookingDate(dateFrom), bookingDate(dateTo)
	if to.Before(from) {
		return nil, &ValidationError{Field: "date_to", Message: "must not be before date_from"}
	}
	switch {
	case (startMinute == nil) != (endMinute == nil):
		return nil, &ValidationError{Field: "end_minute", Message: "start_minute and end_minute go together"}
	case startMinute == nil && kind == AvailabilityExceptionKindExtraHours:
		return nil, &ValidationError{Field: "start_minute", Message: "is required for extra hours"}
	case startMinute != nil:
		if err := bookingWindow(*startMinute, *endMinute); err != nil {
			return nil, err
		}
	}
	if err := bookingZone("timezone", zone); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(reason) > bookingReasonMaxLen {
		return nil, &ValidationError{Field: "reason", Message: "must be at most 1000 characters"}
	}
	return &AvailabilityException{
		ID: NewID(), ServiceID: serviceID, Kind: kind, DateFrom: from, DateTo: to,
		StartMinute: startMinute, EndMinute: endMinute, Timezone: zone, Reason: reason, CreatedAt: now,
	}, nil
}

// WholeDay reports whether the exception covers whole days.
func (e *AvailabilityException) WholeDay() bool { return e.StartMinute == nil }

// AppointmentStatus is the lifecycle state of an appointment.
type AppointmentStatus string

// Appointment statuses. Pending and confirmed appointments are active: they hold their time.
const (
	AppointmentStatusPendingPayment AppointmentStatus = "pending_payment"
	AppointmentStatusConfirmed      AppointmentStatus = "confirmed"
	AppointmentStatusCanceled       AppointmentStatus = "canceled"
	AppointmentStatusRescheduled    AppointmentStatus = "rescheduled"
	AppointmentStatusCompleted      AppointmentStatus = "completed"
	AppointmentStatusNoShow         AppointmentStatus = "no_show"
)

// ActiveAppointmentStatuses hold their time slot; the database refuses two of them overlapping.
var ActiveAppointmentStatuses = []AppointmentStatus{AppointmentStatusPendingPayment, AppointmentStatusConfirmed}

// ParseAppointmentStatus validates an appointment status name.
func ParseAppointmentStatus(s string) (AppointmentStatus, error) {
	switch st := AppointmentStatus(s); st {
	case AppointmentStatusPendingPayment, AppointmentStatusConfirmed, AppointmentStatusCanceled,
		AppointmentStatusRescheduled, AppointmentStatusCompleted, AppointmentStatusNoShow:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("unknown appointment status %q", s)}
}

// IsActive reports whether an appointment in this status holds its time.
func (s AppointmentStatus) IsActive() bool {
	return s == AppointmentStatusPendingPayment || s == AppointmentStatusConfirmed
}

// BookingActor is who changed an appointment's plans.
type BookingActor string

// Booking actors.
const (
	BookingActorClient BookingActor = "client"
	BookingActorStaff  BookingActor = "staff"
	BookingActorSystem BookingActor = "system"
)

// ParseBookingActor validates an actor name.
func ParseBookingActor(s string) (BookingActor, error) {
	switch a := BookingActor(s); a {
	case BookingActorClient, BookingActorStaff, BookingActorSystem:
		return a, nil
	}
	return "", &ValidationError{Field: "by", Message: fmt.Sprintf("must be client, staff or system; got %q", s)}
}

// AppointmentMetadata is where a booking came from, for the practice's analytics. No P2 data.
type AppointmentMetadata struct {
	EntryPoint string            `json:"entry_point,omitempty"`
	TopicCode  string            `json:"topic_code,omitempty"`
	DeepLinkID *uuid.UUID        `json:"deep_link_id,omitempty"`
	UTM        map[string]string `json:"utm,omitempty"`
}

// bookingHoldExpiredReason is the cancel reason of an appointment whose payment hold lapsed.
const bookingHoldExpiredReason = "payment hold expired"

// Appointment is one booked consultation: the booking aggregate. Its time, from StartAt to
// BlockedUntil (the end plus the service's buffer), is held while it is active; the database
// guarantees that no two active appointments overlap.
type Appointment struct {
	ID           uuid.UUID  `gorm:"primaryKey"`
	ServiceID    uuid.UUID  `gorm:"index:appointments_service_idx"`
	ClientUserID *uuid.UUID `gorm:"index:appointments_client_status_idx,priority:1"`
	// LeadID refers to the CRM lead of an anonymous client (another context: by ID only).
	LeadID       *uuid.UUID `gorm:"index:appointments_lead_idx"`
	StartAt      time.Time  `gorm:"index:appointments_start_status_idx,priority:1"`
	EndAt        time.Time
	BlockedUntil time.Time `gorm:"index:appointments_active_until_idx"`
	// Timezone is the client's IANA zone, to show times as the client lives them.
	Timezone                string
	Status                  AppointmentStatus `gorm:"index:appointments_start_status_idx,priority:2;index:appointments_client_status_idx,priority:2"`
	Format                  AppointmentFormat
	Metadata                AppointmentMetadata `gorm:"serializer:json"`
	ExternalCalendarEventID *string
	MeetingURL              *string
	LocationText            *string
	// ManageTokenHash is the SHA-256 of the token in the client's manage link.
	ManageTokenHash *string `gorm:"uniqueIndex:appointments_manage_token_hash_key"`
	// ManageToken is the token itself, stored only as a Fernet token, so that the booking's emails
	// can carry the manage link; lookups go by ManageTokenHash. Never in events, audit or logs.
	ManageToken *string `gorm:"serializer:fernet"`
	// CancelReason is the system's reason for a cancellation it made: a phrase of ours ("payment
	// hold expired") or the payment provider's code. Not P2: every staff role may see it.
	CancelReason string
	// CancelReasonP2 is what the client (or a staff member) wrote when canceling: P2, owner-only.
	// Stored only as a Fernet token; never put into events, audit diffs, logs or staff lists; only
	// the owner and the client who wrote it (through the manage link) may read it. nil when none.
	CancelReasonP2    *string `gorm:"column:cancel_reason_p2;serializer:fernet"`
	CanceledBy        *BookingActor
	CanceledAt        *time.Time
	RescheduledFromID *uuid.UUID `gorm:"index:appointments_rescheduled_from_idx"`
	// HoldExpiresAt is when an unpaid booking stops holding its time.
	HoldExpiresAt *time.Time `gorm:"index:appointments_hold_expires_idx"`
	Version       int
	CreatedAt     time.Time
	UpdatedAt     time.Time

	Service    *Service    `gorm:"foreignKey:ServiceID"`
	Payments   []Payment   `gorm:"foreignKey:AppointmentID"`
	IntakeForm *IntakeForm `gorm:"foreignKey:AppointmentID"`

	Recorder `gorm:"-"`
}

// AppointmentBooked: a client booked (or was booked into) a time.
type AppointmentBooked struct {
	EventMeta
	ServiceID         uuid.UUID         `json:"service_id"`
	ClientUserID      *uuid.UUID        `json:"client_user_id,omitempty"`
	LeadID            *uuid.UUID        `json:"lead_id,omitempty"`
	Status            AppointmentStatus `json:"status"`
	RescheduledFromID *uuid.UUID        `json:"rescheduled_from_id,omitempty"`
}

// EventName implements Event.
func (AppointmentBooked) EventName() string { return "appointment.booked" }

// AppointmentConfirmed: the appointment is paid (or free) and will take place.
type AppointmentConfirmed struct {
	EventMeta
}

// EventName implements Event.
func (AppointmentConfirmed) EventName() string { return "appointment.confirmed" }

// AppointmentCanceled: the appointment will not take place; its time is free again.
type AppointmentCanceled struct {
	EventMeta
	By BookingActor `json:"by"`
	// From is the status the appointment was canceled in (pending_payment or confirmed).
	From AppointmentStatus `json:"from"`
}

// EventName implements Event.
func (AppointmentCanceled) EventName() string { return "appointment.canceled" }

// AppointmentRescheduled: the appointment moved to NewAppointmentID.
type AppointmentRescheduled struct {
	EventMeta
	By               BookingActor `json:"by"`
	NewAppointmentID uuid.UUID    `json:"new_appointment_id"`
}

// EventName implements Event.
func (AppointmentRescheduled) EventName() string { return "appointment.rescheduled" }

// AppointmentCompleted: the consultation took place.
type AppointmentCompleted struct {
	EventMeta
}

// EventName implements Event.
func (AppointmentCompleted) EventName() string { return "appointment.completed" }

// AppointmentNoShow: the client did not come.
type AppointmentNoShow struct {
	EventMeta
}

// EventName implements Event.
func (AppointmentNoShow) EventName() string { return "appointment.no_show" }

// NewAppointment books svc at start for a signed-in client and/or a CRM lead, in the client's
// zone (the zero TimeZone: the service's). A paid service's
// appointment waits for payment, holding its time until now+holdTTL; a free one is confirmed at
// once. Whether start is a free slot on the service's grid is the booking use case's question;
// the database refuses an overlap.
func NewAppointment(svc *Service, start time.Time, clientZone TimeZone, format AppointmentFormat,
	clientUserID, leadID *uuid.UUID, metadata AppointmentMetadata, holdTTL time.Duration, now time.Time,
) (*Appointment, error) {
	return newAppointment(svc, start, clientZone, format, clientUserID, leadID, metadata, holdTTL, true, now)
}

// NewAppointmentByStaff books svc at start for a client staff booked (on the phone, say): the
// same rules as NewAppointment, but confirmed at once whatever the price — the practice takes the
// money itself, not through an online payment.
func NewAppointmentByStaff(svc *Service, start time.Time, clientZone TimeZone, format AppointmentFormat,
	clientUserID, leadID *uuid.UUID, metadata AppointmentMetadata, now time.Time,
) (*Appointment, error) {
	return newAppointment(svc, start, clientZone, format, clientUserID, leadID, metadata, 0, false, now)
}

// newAppointment is NewAppointment; payOnline makes a paid service's appointment wait for its payment.
func newAppointment(svc *Service, start time.Time, clientZone TimeZone, format AppointmentFormat,
	clientUserID, leadID *uuid.UUID, metadata AppointmentMetadata, holdTTL time.Duration, payOnline bool, now time.Time,
) (*Appointment, error) {
	if svc == nil {
		return nil, &ValidationError{Field: "service_id", Message: "is required"}
	}
	if err := bookingNewTime(svc, start, format, now); err != nil {
		return nil, err
	}
	if clientUserID == nil && leadID == nil {
		return nil, &ValidationError{Field: "client_user_id", Message: "a client user or a lead is required"}
	}
	if payOnline && svc.PriceMinor > 0 && holdTTL <= 0 {
		return nil, &ValidationError{Field: "hold_ttl", Message: "must be positive for a paid service"}
	}
	a := bookingAppointment(svc, start.UTC(), now)
	a.ClientUserID, a.LeadID, a.Timezone, a.Format, a.Metadata = clientUserID, leadID, svc.Timezone, format, metadata
	if !clientZone.IsZero() {
		a.Timezone = clientZone.Name()
	}
	if payOnline && svc.PriceMinor > 0 {
		hold := now.Add(holdTTL)
		a.Status, a.HoldExpiresAt = AppointmentStatusPendingPayment, &hold
	}
	a.Record(AppointmentBooked{
		EventMeta: NewEventMeta(a.ID, now), ServiceID: a.ServiceID,
		ClientUserID: a.ClientUserID, LeadID: a.LeadID, Status: a.Status,
	})
	if a.Status == AppointmentStatusConfirmed {
		a.Record(AppointmentConfirmed{EventMeta: NewEventMeta(a.ID, now)})
	}
	return a, nil
}

// bookingNewTime checks what every new appointment's time must satisfy. format was parsed where
// the request came in (ParseAppointmentFormat); whether svc is offered so is the service's rule.
func bookingNewTime(svc *Service, start time.Time, format AppointmentFormat, now time.Time) error {
	if !svc.Allows(format) {
		return &ValidationError{Field: "format", Message: fmt.Sprintf("service %s is not offered %s", svc.Slug, format)}
	}
	if start.IsZero() || start.Truncate(time.Minute) != start {
		return &ValidationError{Field: "start_at", Message: "must be a whole minute"}
	}
	if !start.After(now) {
		return &ValidationError{Field: "start_at", Message: "must be in the future"}
	}
	return nil
}

// bookingAppointment is a confirmed appointment of svc at start, without client details.
func bookingAppointment(svc *Service, start, now time.Time) *Appointment {
	end := start.Add(svc.Duration())
	return &Appointment{
		ID: NewID(), ServiceID: svc.ID, StartAt: start, EndAt: end, BlockedUntil: end.Add(svc.Buffer()),
		Status: AppointmentStatusConfirmed, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
}

// SetManageTokenHash stores the hash of the client's manage-link token.
func (a *Appointment) SetManageTokenHash(hash string) error {
	if hash == "" {
		return &ValidationError{Field: "manage_token_hash", Message: "is required"}
	}
	a.ManageTokenHash = &hash
	return nil
}

// SetManageToken stores the client's manage-link token (encrypted, for the booking's emails) and
// its hash (for lookups).
func (a *Appointment) SetManageToken(token, hash string) error {
	if token == "" {
		return &ValidationError{Field: "manage_token", Message: "is required"}
	}
	if err := a.SetManageTokenHash(hash); err != nil {
		return err
	}
	a.ManageToken = &token
	return nil
}

// SetCalendarEventID links the appointment to its event in the practitioner's calendar.
func (a *Appointment) SetCalendarEventID(id string, now time.Time) {
	a.ExternalCalendarEventID = bookingOptional(id)
	a.UpdatedAt = now
}

// SetMeetingDetails stores where the appointment takes place: a video link, an address. Empty
// strings clear them.
func (a *Appointment) SetMeetingDetails(meetingURL, locationText string, now time.Time) {
	a.MeetingURL, a.LocationText = bookingOptional(meetingURL), bookingOptional(locationText)
	a.UpdatedAt = now
}

// IsActive reports whether the appointment holds its time.
func (a *Appointment) IsActive() bool { return a.Status.IsActive() }

// Confirm marks a pending appointment paid. A lapsed hold that nobody expired yet still holds the
// time, so a late payment confirms it.
func (a *Appointment) Confirm(now time.Time) error {
	if a.Status != AppointmentStatusPendingPayment {
		return fmt.Errorf("confirm %s appointment %s: %w", a.Status, a.ID, ErrInvalidTransition)
	}
	a.Status, a.HoldExpiresAt, a.UpdatedAt = AppointmentStatusConfirmed, nil, now
	a.Record(AppointmentConfirmed{EventMeta: NewEventMeta(a.ID, now)})
	return nil
}

// Cancel frees the appointment's time. A client may not cancel a confirmed appointment once it
// has started (ErrTooLateToCancel); staff and the system may. A person's reason goes to
// CancelReasonP2 (it may say something about the client's state); the system's to CancelReason.
func (a *Appointment) Cancel(by BookingActor, reason string, now time.Time) error {
	if _, err := ParseBookingActor(string(by)); err != nil {
		return err
	}
	if utf8.RuneCountInString(reason) > bookingReasonMaxLen {
		return &ValidationError{Field: "reason", Message: "must be at most 1000 characters"}
	}
	if !a.IsActive() {
		return fmt.Errorf("cancel %s appointment %s: %w", a.Status, a.ID, ErrInvalidTransition)
	}
	if by == BookingActorClient && a.Status == AppointmentStatusConfirmed && !now.Before(a.StartAt) {
		return fmt.Errorf("cancel appointment %s that started at %s: %w", a.ID, a.StartAt.Format(time.RFC3339), ErrTooLateToCancel)
	}
	from := a.Status
	a.Status, a.CanceledBy, a.CanceledAt = AppointmentStatusCanceled, &by, &now
	if by == BookingActorSystem {
		a.CancelReason = reason
	} else {
		a.CancelReasonP2 = bookingOptional(reason)
	}
	a.HoldExpiresAt, a.UpdatedAt = nil, now
	a.Record(AppointmentCanceled{EventMeta: NewEventMeta(a.ID, now), By: by, From: from})
	return nil
}

// ExpireHold cancels, on the system's behalf, a pending appointment whose payment hold has lapsed.
func (a *Appointment) ExpireHold(now time.Time) error {
	if a.Status != AppointmentStatusPendingPayment {
		return fmt.Errorf("expire hold of %s appointment %s: %w", a.Status, a.ID, ErrInvalidTransition)
	}
	if a.HoldExpiresAt == nil || now.Before(*a.HoldExpiresAt) {
		return fmt.Errorf("expire hold of appointment %s before it lapses: %w", a.ID, ErrInvalidTransition)
	}
	return a.Cancel(BookingActorSystem, bookingHoldExpiredReason, now)
}

// Complete records that a confirmed appointment took place; only after its end.
func (a *Appointment) Complete(now time.Time) error {
	if a.Status != AppointmentStatusConfirmed {
		return fmt.Errorf("complete %s appointment %s: %w", a.Status, a.ID, ErrInvalidTransition)
	}
	if now.Before(a.EndAt) {
		return fmt.Errorf("complete appointment %s before its end: %w", a.ID, ErrInvalidTransition)
	}
	a.Status, a.UpdatedAt = AppointmentStatusCompleted, now
	a.Record(AppointmentCompleted{EventMeta: NewEventMeta(a.ID, now)})
	return nil
}

// MarkNoShow records that the client of a confirmed appointment did not come; only after its start.
func (a *Appointment) MarkNoShow(now time.Time) error {
	if a.Status != AppointmentStatusConfirmed {
		return fmt.Errorf("mark %s appointment %s no-show: %w", a.Status, a.ID, ErrInvalidTransition)
	}
	if now.Before(a.StartAt) {
		return fmt.Errorf("mark appointment %s no-show before its start: %w", a.ID, ErrInvalidTransition)
	}
	a.Status, a.UpdatedAt = AppointmentStatusNoShow, now
	a.Record(AppointmentNoShow{EventMeta: NewEventMeta(a.ID, now)})
	return nil
}

// Reschedule moves a confirmed appointment of svc to newStart: it returns the new, confirmed
// appointment (same service, client, lead, format, zone, metadata and place, RescheduledFromID =
// a.ID) and marks a rescheduled. The manage-link token moves to the new appointment, so the
// client's link keeps working. A client may move it until svc.RescheduleMinHours (zero when unset)
// before the start; later is ErrTooLateToReschedule. Save a before inserting the new appointment:
// the new time may overlap only a's.
func (a *Appointment) Reschedule(svc *Service, newStart time.Time, by BookingActor, now time.Time) (*Appointment, error) {
	if _, err := ParseBookingActor(string(by)); err != nil {
		return nil, err
	}
	if svc == nil || svc.ID != a.ServiceID {
		return nil, &ValidationError{Field: "service_id", Message: "must be the appointment's service"}
	}
	if a.Status != AppointmentStatusConfirmed {
		return nil, fmt.Errorf("reschedule %s appointment %s: %w", a.Status, a.ID, ErrInvalidTransition)
	}
	if by == BookingActorClient {
		minHours := 0
		if svc.RescheduleMinHours != nil {
			minHours = *svc.RescheduleMinHours
		}
		if deadline := a.StartAt.Add(-time.Duration(minHours) * time.Hour); now.After(deadline) {
			return nil, fmt.Errorf("reschedule appointment %s after %s: %w", a.ID, deadline.Format(time.RFC3339), ErrTooLateToReschedule)
		}
	}
	if err := bookingNewTime(svc, newStart, a.Format, now); err != nil {
		return nil, err
	}
	if newStart.Equal(a.StartAt) {
		return nil, &ValidationError{Field: "start_at", Message: "is the current start"}
	}
	next := bookingAppointment(svc, newStart.UTC(), now)
	next.ClientUserID, next.LeadID, next.Timezone, next.Format = a.ClientUserID, a.LeadID, a.Timezone, a.Format
	next.Metadata, next.LocationText, next.ManageTokenHash, next.RescheduledFromID = a.Metadata, a.LocationText, a.ManageTokenHash, &a.ID
	next.ManageToken = a.ManageToken
	// The practitioner's calendar event stays the same one; it moves with the appointment.
	next.ExternalCalendarEventID = a.ExternalCalendarEventID
	next.Record(AppointmentBooked{
		EventMeta: NewEventMeta(next.ID, now), ServiceID: next.ServiceID, ClientUserID: next.ClientUserID,
		LeadID: next.LeadID, Status: next.Status, RescheduledFromID: next.RescheduledFromID,
	})

	a.Status, a.ManageTokenHash, a.ManageToken, a.UpdatedAt = AppointmentStatusRescheduled, nil, nil, now
	a.Record(AppointmentRescheduled{EventMeta: NewEventMeta(a.ID, now), By: by, NewAppointmentID: next.ID})
	return next, nil
}

// IntakeFormStatus is the state of a client's intake form.
type IntakeFormStatus string

// Intake form statuses.
const (
	IntakeFormStatusDraft     IntakeFormStatus = "draft"
	IntakeFormStatusSubmitted IntakeFormStatus = "submitted"
)

// ParseIntakeFormStatus validates an intake form status.
func ParseIntakeFormStatus(s string) (IntakeFormStatus, error) {
	switch st := IntakeFormStatus(s); st {
	case IntakeFormStatusDraft, IntakeFormStatusSubmitted:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be draft or submitted; got %q", s)}
}

// IntakeAnswers are the client's answers, by question code. P2: stored only encrypted.
type IntakeAnswers map[string]any

// IntakeForm is what a client tells the psychologist before the first appointment. Its payload is
// P2 data: only the owner and the client read it, and it never leaves in events or logs.
type IntakeForm struct {
	ID            uuid.UUID     `gorm:"primaryKey"`
	AppointmentID uuid.UUID     `gorm:"uniqueIndex:intake_forms_appointment_key"`
	Payload       IntakeAnswers `gorm:"serializer:fernet"`
	Status        IntakeFormStatus
	SubmittedAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time

	Recorder `gorm:"-"`
}

// IntakeFormSubmitted: the client sent the form to the psychologist. No answers travel with it.
type IntakeFormSubmitted struct {
	EventMeta
	AppointmentID uuid.UUID `json:"appointment_id"`
}

// EventName implements Event.
func (IntakeFormSubmitted) EventName() string { return "intake_form.submitted" }

// NewIntakeForm starts a draft form for an appointment.
func NewIntakeForm(appointmentID uuid.UUID, payload IntakeAnswers, now time.Time) (*IntakeForm, error) {
	if appointmentID == uuid.Nil {
		return nil, &ValidationError{Field: "appointment_id", Message: "is required"}
	}
	if payload == nil {
		payload = IntakeAnswers{}
	}
	return &IntakeForm{
		ID: NewID(), AppointmentID: appointmentID, Payload: payload,
		Status: IntakeFormStatusDraft, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// UpdatePayload replaces the answers of a draft.
func (f *IntakeForm) UpdatePayload(payload IntakeAnswers, now time.Time) error {
	if f.Status != IntakeFormStatusDraft {
		return fmt.Errorf("edit %s intake form %s: %w", f.Status, f.ID, ErrInvalidTransition)
	}
	if payload == nil {
		payload = IntakeAnswers{}
	}
	f.Payload, f.UpdatedAt = payload, now
	return nil
}

// Submit sends a draft with answers to the psychologist; it cannot be edited afterwards.
func (f *IntakeForm) Submit(now time.Time) error {
	if f.Status != IntakeFormStatusDraft {
		return fmt.Errorf("submit %s intake form %s: %w", f.Status, f.ID, ErrInvalidTransition)
	}
	if len(f.Payload) == 0 {
		return &ValidationError{Field: "payload", Message: "has no answers"}
	}
	f.Status, f.SubmittedAt, f.UpdatedAt = IntakeFormStatusSubmitted, &now, now
	f.Record(IntakeFormSubmitted{EventMeta: NewEventMeta(f.ID, now), AppointmentID: f.AppointmentID})
	return nil
}

// WaitlistStatus is the state of a waitlist entry.
type WaitlistStatus string

// Waitlist statuses.
const (
	WaitlistStatusActive   WaitlistStatus = "active"
	WaitlistStatusNotified WaitlistStatus = "notified"
	WaitlistStatusBooked   WaitlistStatus = "booked"
	WaitlistStatusCanceled WaitlistStatus = "canceled"
)

// ParseWaitlistStatus validates a waitlist status.
func ParseWaitlistStatus(s string) (WaitlistStatus, error) {
	switch st := WaitlistStatus(s); st {
	case WaitlistStatusActive, WaitlistStatusNotified, WaitlistStatusBooked, WaitlistStatusCanceled:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be active, notified, booked or canceled; got %q", s)}
}

// WaitlistEntry is a client waiting for a time of a service to free up, optionally within a
// preferred period.
type WaitlistEntry struct {
	ID           uuid.UUID  `gorm:"primaryKey"`
	ServiceID    uuid.UUID  `gorm:"index:waitlist_entries_service_status_idx,priority:1"`
	ClientUserID *uuid.UUID `gorm:"index:waitlist_entries_client_idx"`
	// LeadID refers to the CRM lead (another context: by ID only).
	LeadID        *uuid.UUID `gorm:"index:waitlist_entries_lead_idx"`
	Email         *Email
	PreferredFrom *time.Time
	PreferredTo   *time.Time
	Timezone      string
	Status        WaitlistStatus `gorm:"index:waitlist_entries_service_status_idx,priority:2"`
	NotifiedAt    *time.Time
	CreatedAt     time.Time `gorm:"index:waitlist_entries_service_status_idx,priority:3"`
	UpdatedAt     time.Time

	Recorder `gorm:"-"`
}

// NewWaitlistEntry validates an entry: someone to notify (a user, a lead or an email), the
// client's zone (required: the zero TimeZone is refused) and an optional preferred period.
func NewWaitlistEntry(serviceID uuid.UUID, clientUserID, leadID *uuid.UUID, email *Email, preferredFrom, preferredTo *time.Time, zone TimeZone, now time.Time) (*WaitlistEntry, error) {
	if serviceID == uuid.Nil {
		return nil, &ValidationError{Field: "service_id", Message: "is required"}
	}
	if clientUserID == nil && leadID == nil && email == nil {
		return nil, &ValidationError{Field: "email", Message: "a client user, a lead or an email is required"}
	}
	if email != nil {
		e, err := ParseEmail(string(*email))
		if err != nil {
			return nil, err
		}
		email = &e
	}
	if preferredFrom != nil && preferredTo != nil && !preferredFrom.Before(*preferredTo) {
		return nil, &ValidationError{Field: "preferred_to", Message: "must be after preferred_from"}
	}
	if zone.IsZero() {
		return nil, &ValidationError{Field: "timezone", Message: "is required"}
	}
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return &WaitlistEntry{
		ID: NewID(), ServiceID: serviceID, ClientUserID: clientUserID, LeadID: leadID, Email: email,
		PreferredFrom: utc(preferredFrom), PreferredTo: utc(preferredTo), Timezone: zone.Name(),
		Status: WaitlistStatusActive, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// Notify records that the client was told a time is free.
func (w *WaitlistEntry) Notify(now time.Time) error {
	if w.Status != WaitlistStatusActive {
		return fmt.Errorf("notify %s waitlist entry %s: %w", w.Status, w.ID, ErrInvalidTransition)
	}
	w.Status, w.NotifiedAt, w.UpdatedAt = WaitlistStatusNotified, &now, now
	return nil
}

// MarkBooked records that the client booked; the entry is done.
func (w *WaitlistEntry) MarkBooked(now time.Time) error {
	return w.finish(WaitlistStatusBooked, now)
}

// Cancel takes the client off the waitlist.
func (w *WaitlistEntry) Cancel(now time.Time) error {
	return w.finish(WaitlistStatusCanceled, now)
}

func (w *WaitlistEntry) finish(to WaitlistStatus, now time.Time) error {
	if w.Status != WaitlistStatusActive && w.Status != WaitlistStatusNotified {
		return fmt.Errorf("move %s waitlist entry %s to %s: %w", w.Status, w.ID, to, ErrInvalidTransition)
	}
	w.Status, w.UpdatedAt = to, now
	return nil
}

// ClientCancelRefund is how much of paidMinor goes back when the client cancels an appointment
// starting at start, at now, under the service's policy: everything until CancelFreeHours before
// the start (unset: until the start), partialPercent of it until CancelPartialHours before (unset:
// no partial window), nothing later. Each deadline instant itself still counts as in time.
func (s *Service) ClientCancelRefund(start, now time.Time, paidMinor int64, partialPercent int) int64 {
	hoursBefore := func(h *int) time.Time {
		if h == nil {
			return start
		}
		return start.Add(-time.Duration(*h) * time.Hour)
	}
	switch {
	case paidMinor <= 0:
		return 0
	case !now.After(hoursBefore(s.CancelFreeHours)):
		return paidMinor
	case s.CancelPartialHours != nil && !now.After(hoursBefore(s.CancelPartialHours)):
		return paidMinor * int64(min(max(partialPercent, 0), 100)) / 100
	}
	return 0
}

// HoldLapsed reports whether the appointment was canceled because its payment hold lapsed.
func (a *Appointment) HoldLapsed() bool {
	return a.Status == AppointmentStatusCanceled && a.CanceledBy != nil && *a.CanceledBy == BookingActorSystem &&
		a.CancelReason == bookingHoldExpiredReason
}

// ConfirmLatePayment confirms an appointment whose hold lapsed before its payment arrived: the
// time is held again (the database refuses it with ErrSlotTaken if someone else took it meanwhile).
func (a *Appointment) ConfirmLatePayment(now time.Time) error {
	if !a.HoldLapsed() {
		return fmt.Errorf("confirm late payment of %s appointment %s: %w", a.Status, a.ID, ErrInvalidTransition)
	}
	a.Status, a.CanceledBy, a.CanceledAt, a.CancelReason, a.CancelReasonP2 = AppointmentStatusConfirmed, nil, nil, "", nil
	a.UpdatedAt = now
	a.Record(AppointmentConfirmed{EventMeta: NewEventMeta(a.ID, now)})
	return nil
}

// BookingRequest remembers a booking made with an Idempotency-Key, so that the same request sent
// again gets the same booking instead of a second one. ManageToken is kept (encrypted) only so the
// repeated answer can show it again; the record expires with ExpiresAt.
type BookingRequest struct {
	Key           string `gorm:"primaryKey"`
	RequestHash   string
	AppointmentID uuid.UUID
	ManageToken   string `gorm:"serializer:fernet"`
	CreatedAt     time.Time
	ExpiresAt     time.Time `gorm:"index:booking_requests_expires_idx"`
}

// bookingIdempotencyKeyMaxLen bounds a client's Idempotency-Key.
const bookingIdempotencyKeyMaxLen = 255

// NewBookingRequest records that the request hashed as requestHash, sent with key, booked
// appointmentID; it is remembered for ttl.
func NewBookingRequest(key, requestHash string, appointmentID uuid.UUID, manageToken string, ttl time.Duration, now time.Time) (*BookingRequest, error) {
	if err := ValidateIdempotencyKey(key); err != nil {
		return nil, err
	}
	if requestHash == "" || appointmentID == uuid.Nil || manageToken == "" || ttl <= 0 {
		return nil, &ValidationError{Field: "idempotency_key", Message: "needs a request hash, an appointment, a token and a lifetime"}
	}
	return &BookingRequest{
		Key: key, RequestHash: requestHash, AppointmentID: appointmentID, ManageToken: manageToken,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}, nil
}

// ValidateIdempotencyKey checks a client's Idempotency-Key: 1 to 255 visible ASCII characters.
func ValidateIdempotencyKey(key string) error {
	if key == "" || len(key) > bookingIdempotencyKeyMaxLen {
		return &ValidationError{Field: "Idempotency-Key", Message: "must be 1 to 255 characters"}
	}
	if !visibleASCII(key) {
		return &ValidationError{Field: "Idempotency-Key", Message: "may contain only visible ASCII characters"}
	}
	return nil
}

// WaitlistSlotFreed: a time the client waits for became free. The notifications issue tells them.
type WaitlistSlotFreed struct {
	EventMeta
	ServiceID uuid.UUID `json:"service_id"`
	// Start is when the freed time begins.
	Start time.Time `json:"start"`
}

// EventName implements Event.
func (WaitlistSlotFreed) EventName() string { return "waitlist.slot_freed" }

// Wants reports whether an active entry waits for a time of serviceID starting at start.
func (w *WaitlistEntry) Wants(serviceID uuid.UUID, start time.Time) bool {
	return w.Status == WaitlistStatusActive && w.ServiceID == serviceID &&
		(w.PreferredFrom == nil || !start.Before(*w.PreferredFrom)) &&
		(w.PreferredTo == nil || start.Before(*w.PreferredTo))
}

// OfferFreedSlot tells the client that the time at start is free: the entry is notified (once)
// and records WaitlistSlotFreed.
func (w *WaitlistEntry) OfferFreedSlot(start, now time.Time) error {
	if !w.Wants(w.ServiceID, start) {
		return fmt.Errorf("offer %s to %s waitlist entry %s: %w", start.Format(time.RFC3339), w.Status, w.ID, ErrInvalidTransition)
	}
	if err := w.Notify(now); err != nil {
		return err
	}
	w.Record(WaitlistSlotFreed{EventMeta: NewEventMeta(w.ID, now), ServiceID: w.ServiceID, Start: start.UTC()})
	return nil
}
