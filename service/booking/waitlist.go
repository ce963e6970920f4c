package booking

// This file keeps the waitlist: clients waiting for a time of a service, told when one frees up.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"balance/events"
	"balance/models"
)

// WaitlistSubscriber names the waitlist subscriber in job rows; keep it stable.
const WaitlistSubscriber = "booking.waitlist"

// waitlistBatch bounds the entries told about one freed time.
const waitlistBatch = 50

// WaitlistInput asks to be told when a time of a service frees up between two days.
type WaitlistInput struct {
	ServiceSlug string
	// From and To are calendar days (YYYY-MM-DD) in the service's zone, both included; empty
	// means "any".
	From, To string
	Timezone string
	Client   ClientInput
	Consents []ConsentInput
}

// JoinWaitlist records the client (user, lead, consents) and their wish.
func (b *Bookings) JoinWaitlist(ctx context.Context, in WaitlistInput) (*models.WaitlistEntry, error) {
	svc, err := b.catalogue.PublishedService(ctx, in.ServiceSlug)
	if err != nil {
		return nil, err
	}
	if err := validateConsents(in.Consents); err != nil {
		return nil, err
	}
	if in.Client.Email == "" {
		return nil, &models.ValidationError{Field: "client.email", Message: "must be an email address"}
	}
	if in.Timezone == "" {
		in.Timezone = svc.Timezone
	}
	home, err := zoneCache{}.load(svc.Timezone)
	if err != nil {
		return nil, fmt.Errorf("waitlist of %s: %w", svc.Slug, err)
	}
	var from, to *time.Time
	if in.From != "" {
		d, err := time.Parse(dateLayout, in.From)
		if err != nil {
			return nil, &models.ValidationError{Field: "from", Message: "must be a date as YYYY-MM-DD"}
		}
		t := inZone(d, 0, home)
		from = &t
	}
	if in.To != "" {
		d, err := time.Parse(dateLayout, in.To)
		if err != nil {
			return nil, &models.ValidationError{Field: "to", Message: "must be a date as YYYY-MM-DD"}
		}
		t := inZone(d.AddDate(0, 0, 1), 0, home)
		to = &t
	}
	if from != nil && to != nil && !from.Before(*to) {
		return nil, &models.ValidationError{Field: "to", Message: "must not be before from"}
	}
	if to != nil && !to.After(b.clock.Now()) {
		return nil, &models.ValidationError{Field: "to", Message: "must not be in the past"}
	}
	var entry *models.WaitlistEntry
	err = b.db.InTx(ctx, func(ctx context.Context) error {
		now := b.clock.Now().UTC()
		userID, leadID, err := b.recordClient(ctx, in.Client, in.Consents, nil, nil, now)
		if err != nil {
			return err
		}
		email := in.Client.Email
		if entry, err = models.NewWaitlistEntry(svc.ID, userID, &leadID, &email, from, to, in.Timezone, now); err != nil {
			return err
		}
		return b.st.Waitlist.Create(ctx, entry)
	})
	if err != nil {
		return nil, fmt.Errorf("join waitlist of %s: %w", svc.Slug, err)
	}
	return entry, nil
}

// RegisterWaitlist subscribes the waitlist to canceled and rescheduled appointments: the time
// they held is offered to the clients waiting for it.
func (b *Bookings) RegisterWaitlist(subs *events.Subscriptions) error {
	for _, e := range []models.Event{models.AppointmentCanceled{}, models.AppointmentRescheduled{}} {
		if err := subs.Subscribe(e.EventName(), WaitlistSubscriber, b.offerFreedTime); err != nil {
			return err
		}
	}
	return nil
}

// offerFreedTime tells the waiting clients that the time of the appointment in e is free. Each
// entry is told once (it moves to notified), so a repeated delivery tells nobody twice.
func (b *Bookings) offerFreedTime(ctx context.Context, e models.Event) error {
	a, err := b.st.Appointments.ByID(ctx, e.AggregateID())
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := b.clock.Now()
	if a.IsActive() || !a.StartAt.After(now) {
		return nil // confirmed again after a late payment, or already past
	}
	waiting, err := b.st.Waitlist.Waiting(ctx, a.ServiceID, a.StartAt, waitlistBatch)
	if err != nil {
		return err
	}
	for i := range waiting {
		err := b.st.Waitlist.Update(ctx, waiting[i].ID, func(w *models.WaitlistEntry) error {
			if !w.Wants(a.ServiceID, a.StartAt) {
				return nil
			}
			return w.OfferFreedSlot(a.StartAt, now)
		})
		if err != nil {
			return err
		}
	}
	if len(waiting) > 0 {
		b.log.InfoContext(ctx, "freed time offered to the waitlist", "appointment_id", a.ID, "entries", len(waiting))
	}
	return nil
}
