package models

import (
	"time"

	"github.com/google/uuid"
)

// Event is something that happened to an aggregate. Events carry IDs and states, never P2 data,
// so they may travel through queues, logs and the audit trail.
type Event interface {
	// EventName is stable and dotted, e.g. "appointment.booked"; subscribers bind to it.
	EventName() string
	EventID() uuid.UUID
	AggregateID() uuid.UUID
	OccurredAt() time.Time
}

// EventMeta is embedded in every event struct.
type EventMeta struct {
	ID        uuid.UUID `json:"event_id"`
	Aggregate uuid.UUID `json:"aggregate_id"`
	At        time.Time `json:"occurred_at"`
}

// NewEventMeta stamps a new event about aggregate at time at.
func NewEventMeta(aggregate uuid.UUID, at time.Time) EventMeta {
	return EventMeta{ID: NewID(), Aggregate: aggregate, At: at.UTC()}
}

// EventID identifies the event, for de-duplication.
func (m EventMeta) EventID() uuid.UUID { return m.ID }

// AggregateID names the aggregate the event is about.
func (m EventMeta) AggregateID() uuid.UUID { return m.Aggregate }

// OccurredAt is when the event happened (UTC).
func (m EventMeta) OccurredAt() time.Time { return m.At }

// Recorder collects an aggregate's events until its repository publishes them with the save.
// Embed it with `gorm:"-"`.
type Recorder struct {
	events []Event
}

// Record appends an event.
func (r *Recorder) Record(e Event) { r.events = append(r.events, e) }

// Events returns the recorded, not yet published events.
func (r *Recorder) Events() []Event { return r.events }

// ClearEvents forgets the recorded events, once they are published.
func (r *Recorder) ClearEvents() { r.events = nil }
