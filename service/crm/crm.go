// Package crm holds the CRM use cases. Its timeline subscriber writes what happens to a lead in
// other contexts — captured, booked, confirmed, canceled, paid — into the lead's timeline, which
// staff read in the CRM.
package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"balance/events"
	"balance/models"
	"balance/service"
)

// TimelineSubscriber names the timeline subscriber in job rows; keep it stable, queued jobs carry it.
const TimelineSubscriber = "crm.timeline"

// Timeline is what the subscriber needs of the lead timeline.
type Timeline interface {
	// Append adds an entry; one whose source event is in the timeline already is skipped, no error.
	Append(ctx context.Context, e *models.LeadTimelineEvent) error
}

// Appointments finds the lead of an appointment.
type Appointments interface {
	// LeadOf returns the appointment's lead, nil when it has none; models.ErrNotFound when there
	// is no such appointment.
	LeadOf(ctx context.Context, appointmentID uuid.UUID) (*uuid.UUID, error)
}

// Payments loads payments.
type Payments interface {
	ByID(ctx context.Context, id uuid.UUID) (*models.Payment, error)
}

// timelineEvents are the events the timeline subscriber follows.
var timelineEvents = []string{
	models.LeadCaptured{}.EventName(),
	models.AppointmentBooked{}.EventName(),
	models.AppointmentConfirmed{}.EventName(),
	models.AppointmentCanceled{}.EventName(),
	models.PaymentSucceeded{}.EventName(),
}

// TimelineEvents lists the events the timeline subscriber follows.
func TimelineEvents() []string { return slices.Clone(timelineEvents) }

type timeline struct {
	entries      Timeline
	appointments Appointments
	payments     Payments
	clock        service.Clock
}

// Register subscribes the timeline subscriber to TimelineEvents.
func Register(subs *events.Subscriptions, entries Timeline, appointments Appointments, payments Payments, clock service.Clock) error {
	t := &timeline{entries: entries, appointments: appointments, payments: payments, clock: clock}
	for _, name := range timelineEvents {
		if err := subs.Subscribe(name, TimelineSubscriber, t.handle); err != nil {
			return fmt.Errorf("crm: %w", err)
		}
	}
	return nil
}

// handle appends the entry of one event to its lead's timeline. The entry's source is the event,
// so a second run for the same event appends nothing. An event whose appointment has no lead, or
// whose appointment, payment or lead no longer exists, has nothing to add: that is no error, as a
// retry could not change it.
func (t *timeline) handle(ctx context.Context, e models.Event) error {
	leadID, data, err := t.entry(ctx, e)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lead timeline for %s %s: %w", e.EventName(), e.EventID(), err)
	}
	if leadID == nil {
		return nil
	}
	entry, err := models.NewLeadTimelineEventFrom(*leadID, e, data, t.clock.Now())
	if err != nil {
		return fmt.Errorf("lead timeline for %s %s: %w", e.EventName(), e.EventID(), err)
	}
	err = t.entries.Append(ctx, entry)
	if errors.Is(err, models.ErrInvalidReference) {
		return nil // the lead is gone, and its timeline with it
	}
	if err != nil {
		return fmt.Errorf("lead timeline for %s %s: %w", e.EventName(), e.EventID(), err)
	}
	return nil
}

// entry finds the lead an event is about (nil: none) and the facts its timeline entry shows — IDs,
// statuses, amounts; never P2.
func (t *timeline) entry(ctx context.Context, e models.Event) (*uuid.UUID, map[string]any, error) {
	switch e := e.(type) {
	case models.LeadCaptured:
		id := e.AggregateID()
		return &id, map[string]any{"source": e.Source}, nil
	case models.AppointmentBooked:
		// The event carries the lead; an appointment's lead never changes.
		data := map[string]any{"appointment_id": e.AggregateID().String(), "service_id": e.ServiceID.String(), "status": string(e.Status)}
		if e.RescheduledFromID != nil {
			data["rescheduled_from_id"] = e.RescheduledFromID.String()
		}
		return e.LeadID, data, nil
	case models.AppointmentConfirmed:
		lead, err := t.appointments.LeadOf(ctx, e.AggregateID())
		return lead, map[string]any{"appointment_id": e.AggregateID().String()}, err
	case models.AppointmentCanceled:
		lead, err := t.appointments.LeadOf(ctx, e.AggregateID())
		return lead, map[string]any{"appointment_id": e.AggregateID().String(), "by": string(e.By), "from": string(e.From)}, err
	case models.PaymentSucceeded:
		// The payment gives the amount; its appointment gives the lead.
		p, err := t.payments.ByID(ctx, e.AggregateID())
		if err != nil {
			return nil, nil, err
		}
		lead, err := t.appointments.LeadOf(ctx, p.AppointmentID)
		return lead, map[string]any{
			"payment_id": p.ID.String(), "appointment_id": p.AppointmentID.String(),
			"amount_minor": p.AmountMinor, "currency": p.Currency,
		}, err
	}
	return nil, nil, fmt.Errorf("unexpected event type %T", e)
}
