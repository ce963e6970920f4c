// Package calendar keeps the practitioner's calendar in step with the bookings: a confirmed
// appointment gets an event (its id derived from the appointment's, so a retried create is
// harmless), a move patches it, a cancellation deletes it. Each is a subscriber on the durable
// outbox, retried while the calendar is unreachable.
package calendar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/integrations/gcal"
	"balance/models"
	"balance/service"
	"balance/service/booking"
)

// Subscriber names the calendar subscriber in job rows; keep it stable.
const Subscriber = "calendar.sync"

// maxChain bounds the walk from a moved appointment back to the one its event was made for.
const maxChain = 100

// Calendar is what the sync needs of the practitioner's calendar; *gcal.Client is one.
type Calendar interface {
	CreateEvent(ctx context.Context, e gcal.Event) error
	MoveEvent(ctx context.Context, appointmentID uuid.UUID, start, end time.Time, timeZone string) error
	DeleteEvent(ctx context.Context, appointmentID uuid.UUID) error
}

// Appointments is what the sync needs of the appointments table; *repository.Appointments is one.
type Appointments interface {
	ByID(ctx context.Context, id uuid.UUID) (*models.Appointment, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error
}

// Sync writes appointments to the calendar.
type Sync struct {
	cal   Calendar
	appts Appointments
	clock service.Clock
	log   *slog.Logger
}

// New returns the calendar sync.
func New(cal Calendar, appts Appointments, clock service.Clock, log *slog.Logger) *Sync {
	return &Sync{cal: cal, appts: appts, clock: clock, log: log}
}

// Register subscribes the sync to confirmations, moves and cancellations.
func (s *Sync) Register(subs *events.Subscriptions) error {
	for event, h := range map[string]events.Handler{
		models.AppointmentConfirmed{}.EventName():   s.onConfirmed,
		models.AppointmentRescheduled{}.EventName(): s.onRescheduled,
		models.AppointmentCanceled{}.EventName():    s.onCanceled,
	} {
		if err := subs.Subscribe(event, Subscriber, h); err != nil {
			return err
		}
	}
	return nil
}

// done turns a permanent calendar error into "give up" (logged for a person), and keeps a
// transient one for the job queue to retry.
func (s *Sync) done(ctx context.Context, what string, id uuid.UUID, err error) error {
	if err == nil {
		return nil
	}
	if gcal.IsPermanent(err) {
		s.log.ErrorContext(ctx, "calendar refused a change; fix the event by hand", "change", what, "appointment_id", id, "error", err.Error())
		return nil
	}
	return err
}

func (s *Sync) onConfirmed(ctx context.Context, e models.Event) error {
	a, err := s.appts.ByID(ctx, e.AggregateID())
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !a.IsActive() {
		return nil // canceled meanwhile: its cancellation deletes nothing, there is nothing
	}
	ev := gcal.Event{AppointmentID: a.ID, Start: a.StartAt, End: a.EndAt, Summary: "Консультация", TimeZone: a.Timezone}
	if a.Service != nil {
		ev.Summary = a.Service.Title
	}
	if a.LocationText != nil {
		ev.Location = *a.LocationText
	}
	// The description names the booking, never the client's words.
	ev.Description = fmt.Sprintf("Запись %s (%s)", a.ID, a.Format)
	if err := s.cal.CreateEvent(ctx, ev); err != nil {
		return s.done(ctx, "create", a.ID, err)
	}
	return s.appts.Update(ctx, a.ID, func(x *models.Appointment) error {
		x.SetCalendarEventID(gcal.EventID(a.ID), s.clock.Now().UTC())
		return nil
	})
}

// root is the appointment the calendar event was made for: a moved appointment keeps its
// predecessor's event.
func (s *Sync) root(ctx context.Context, a *models.Appointment) (uuid.UUID, error) {
	id := a.ID
	for i := 0; a.RescheduledFromID != nil; i++ {
		if i == maxChain {
			return uuid.Nil, fmt.Errorf("appointment %s: reschedule chain longer than %d", a.ID, maxChain)
		}
		prev, err := s.appts.ByID(ctx, *a.RescheduledFromID)
		if err != nil {
			return uuid.Nil, err
		}
		a, id = prev, prev.ID
	}
	return id, nil
}

func (s *Sync) onRescheduled(ctx context.Context, e models.Event) error {
	r, ok := e.(models.AppointmentRescheduled)
	if !ok {
		return fmt.Errorf("calendar: unexpected event %T", e)
	}
	next, err := s.appts.ByID(ctx, r.NewAppointmentID)
	if err != nil {
		return err
	}
	root, err := s.root(ctx, next)
	if err != nil {
		return err
	}
	return s.done(ctx, "move", next.ID, s.cal.MoveEvent(ctx, root, next.StartAt, next.EndAt, next.Timezone))
}

func (s *Sync) onCanceled(ctx context.Context, e models.Event) error {
	c, ok := e.(models.AppointmentCanceled)
	if !ok {
		return fmt.Errorf("calendar: unexpected event %T", e)
	}
	if c.From != models.AppointmentStatusConfirmed {
		return nil // an unpaid booking never had an event
	}
	a, err := s.appts.ByID(ctx, e.AggregateID())
	if err != nil {
		return err
	}
	root, err := s.root(ctx, a)
	if err != nil {
		return err
	}
	return s.done(ctx, "delete", a.ID, s.cal.DeleteEvent(ctx, root))
}

// Busy is what the free/busy source gives; *gcal.Client is one.
type Busy interface {
	Busy(ctx context.Context, from, to time.Time) ([]gcal.Interval, error)
}

// FreeBusy lets slot computation consult the calendar: it is a booking.Calendar.
type FreeBusy struct{ Source Busy }

// Busy lists the calendar's busy blocks overlapping [from, to).
func (f FreeBusy) Busy(ctx context.Context, from, to time.Time) ([]booking.Interval, error) {
	blocks, err := f.Source.Busy(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]booking.Interval, 0, len(blocks))
	for _, b := range blocks {
		out = append(out, booking.Interval{Start: b.Start, End: b.End})
	}
	return out, nil
}
