// Package audit writes the domain events that staff must be able to account for — bookings and
// their fate, money, consents, moderation decisions, data exports, the CRM funnel — into the audit
// trail, as the system. Each event becomes one audit_logs row with action "event", the aggregate
// as resource and the event's own facts (never P2: events carry none) as changes.
package audit

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/models"
)

// Subscriber names the audit subscriber in job rows; keep it stable, queued jobs carry it.
const Subscriber = "audit"

// Store is what the subscriber needs of the audit trail.
type Store interface {
	// AppendForEvent inserts l unless a row for l.EventID exists already, and reports whether it did.
	AppendForEvent(ctx context.Context, l *models.AuditLog) (bool, error)
}

// system is the actor of every row this subscriber writes: no user acted, the system recorded.
var system = models.AuditActor{Role: "system"}

// eventKey is the change that names the event a row records (its "to"; "from" is null).
const eventKey = "event"

type changes = map[string]models.AuditChange

// rule turns one audited event into the resource and changes of its audit row.
type rule struct {
	event    string
	resource string
	changes  func(models.Event) (changes, error)
}

// on is the rule for event type E, about aggregates of kind resource.
func on[E models.Event](resource string, facts func(E) changes) rule {
	var zero E
	name := zero.EventName()
	return rule{event: name, resource: resource, changes: func(e models.Event) (changes, error) {
		ev, ok := e.(E)
		if !ok {
			return nil, fmt.Errorf("audit %s: unexpected event type %T", name, e)
		}
		return facts(ev), nil
	}}
}

// rules lists every audited event, in one place. Left out on purpose: diary entries and
// interactive runs (even their timing says something about a client's state, and audit rows are
// shown to every staff role), intake forms (their reads are audited instead), lead captures and
// deep-link uses (traffic, not decisions), content and template edits (staff writes, audited by
// the admin API with the real actor), Telegram account changes.
var rules = []rule{
	on("appointment", func(e models.AppointmentBooked) changes {
		return changes{
			"status": to(string(e.Status)), "service_id": to(e.ServiceID.String()),
			"client_user_id": toID(e.ClientUserID), "lead_id": toID(e.LeadID), "rescheduled_from_id": toID(e.RescheduledFromID),
		}
	}),
	on("appointment", func(models.AppointmentConfirmed) changes {
		return changes{"status": to(string(models.AppointmentStatusConfirmed))}
	}),
	on("appointment", func(e models.AppointmentCanceled) changes {
		return changes{"status": move(string(e.From), string(models.AppointmentStatusCanceled)), "by": to(string(e.By))}
	}),
	on("appointment", func(e models.AppointmentRescheduled) changes {
		return changes{
			"status": to(string(models.AppointmentStatusRescheduled)), "by": to(string(e.By)),
			"new_appointment_id": to(e.NewAppointmentID.String()),
		}
	}),
	on("appointment", func(models.AppointmentCompleted) changes {
		return changes{"status": to(string(models.AppointmentStatusCompleted))}
	}),
	on("appointment", func(models.AppointmentNoShow) changes {
		return changes{"status": to(string(models.AppointmentStatusNoShow))}
	}),
	on("payment", func(e models.PaymentSucceeded) changes {
		return changes{"status": to(string(models.PaymentStatusSucceeded)), "appointment_id": to(e.AppointmentID.String()),
			"amount": to(models.Money{Minor: e.AmountMinor, Currency: e.Currency}.String())}
	}),
	on("payment", func(e models.PaymentFailed) changes {
		return changes{"status": to(string(models.PaymentStatusFailed)), "appointment_id": to(e.AppointmentID.String())}
	}),
	on("payment", func(e models.PaymentCanceled) changes {
		return changes{"status": to(string(models.PaymentStatusCanceled)), "appointment_id": to(e.AppointmentID.String())}
	}),
	on("refund", func(e models.RefundSucceeded) changes {
		return changes{"status": to(string(models.RefundStatusSucceeded)), "payment_id": to(e.PaymentID.String()),
			"amount": to(models.Money{Minor: e.AmountMinor, Currency: e.Currency}.String())}
	}),
	on("user", func(e models.ConsentChanged) changes {
		c := changes{"consent_type": to(string(e.Type)), "granted": to(e.Granted), "version": to(e.Version)}
		if e.Source != "" {
			c["source"] = to(e.Source)
		}
		return c
	}),
	on("moderation_item", func(e models.ModerationDecided) changes {
		return changes{
			"status": move(string(e.From), string(e.To)), "kind": to(string(e.Kind)),
			"subject_id": to(e.SubjectID.String()), "moderator_id": to(e.ModeratorID.String()),
		}
	}),
	on("data_export_request", func(e models.DataExportRequested) changes {
		return changes{"status": to(string(models.DataExportStatusRequested)), "user_id": to(e.UserID.String())}
	}),
	on("data_export_request", func(e models.DataExportReady) changes {
		return changes{
			"status": to(string(models.DataExportStatusReady)), "user_id": to(e.UserID.String()),
			"expires_at": to(e.ExpiresAt.UTC().Format(time.RFC3339)),
		}
	}),
	on("data_export_request", func(e models.DataExportFailed) changes {
		return changes{"status": to(string(models.DataExportStatusFailed)), "user_id": to(e.UserID.String())}
	}),
	on("lead", func(e models.LeadStatusChanged) changes {
		return changes{"status": move(string(e.From), string(e.To))}
	}),
}

// to is a fact the event states: no earlier value recorded.
func to(v any) models.AuditChange { return models.AuditChange{To: v} }

// move is a change from one value to another.
func move(from, to any) models.AuditChange { return models.AuditChange{From: from, To: to} }

// toID is an optional reference; null when absent.
func toID(id *uuid.UUID) models.AuditChange {
	if id == nil {
		return to(nil)
	}
	return to(id.String())
}

// Events lists the names of the audited events, sorted.
func Events() []string {
	out := make([]string, 0, len(rules))
	for _, r := range rules {
		out = append(out, r.event)
	}
	slices.Sort(out)
	return out
}

// Register subscribes the audit subscriber to every audited event.
func Register(subs *events.Subscriptions, store Store) error {
	for _, r := range rules {
		if err := subs.Subscribe(r.event, Subscriber, handler(r, store)); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return nil
}

// handler writes the audit row of one event. Delivery is at least once: a second run for the same
// event finds its row (unique event_id) and adds nothing.
func handler(r rule, store Store) events.Handler {
	return func(ctx context.Context, e models.Event) error {
		c, err := r.changes(e)
		if err != nil {
			return err
		}
		c[eventKey] = to(e.EventName())
		l, err := models.NewAuditLog(system, models.AuditActionEvent, r.resource, e.AggregateID().String(), c, e.OccurredAt())
		if err != nil {
			return fmt.Errorf("audit %s %s: %w", e.EventName(), e.EventID(), err)
		}
		id := e.EventID()
		l.EventID = &id
		if _, err := store.AppendForEvent(ctx, l); err != nil {
			return fmt.Errorf("audit %s %s: %w", e.EventName(), e.EventID(), err)
		}
		return nil
	}
}
