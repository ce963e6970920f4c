package booking

// This file keeps the waitlist: clients waiting for a time of a service, told when one frees up.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/models"
	"balance/service"
)

// WaitlistSubscriber names the waitlist subscriber in job rows; keep it stable.
const WaitlistSubscriber = "booking.waitlist"

// waitlistBatch bounds the entries told about one freed time.
const waitlistBatch = 50

// WaitlistStore is what the waitlist reads and writes. Calls made with the context InTx gives its
// function join one transaction.
type WaitlistStore interface {
	ClientStore
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateWaitlistEntry(ctx context.Context, w *models.WaitlistEntry) error
	// WaitingFor lists up to limit entries still waiting for a time of the service that start is in.
	WaitingFor(ctx context.Context, serviceID uuid.UUID, start time.Time, limit int) ([]models.WaitlistEntry, error)
	UpdateWaitlistEntry(ctx context.Context, id uuid.UUID, fn func(*models.WaitlistEntry) error) error
	Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error)
}

// Waitlist is the use case of waiting for a time: clients join it, and are told when a time frees up.
type Waitlist struct {
	store     WaitlistStore
	catalogue *Catalogue
	clock     service.Clock
	log       *slog.Logger
}

// NewWaitlist wires the waitlist; catalogue finds the published services clients may wait for.
func NewWaitlist(store WaitlistStore, catalogue *Catalogue, clock service.Clock, log *slog.Logger) *Waitlist {
	return &Waitlist{store: store, catalogue: catalogue, clock: clock, log: log}
}

// WaitlistInput asks to be told when a time of a service frees up between two days.
type WaitlistInput struct {
	ServiceSlug string
	// From and To are calendar days (YYYY-MM-DD) in the service's zone, both included; empty
	// means "any".
	From, To string
	// Timezone is the client's zone; the zero TimeZone means the service's.
	Timezone models.TimeZone
	Client   ClientInput
	Consents []ConsentInput
}

// JoinWaitlist records the client (user, lead, consents) and their wish.
func (wl *Waitlist) JoinWaitlist(ctx context.Context, in WaitlistInput) (*models.WaitlistEntry, error) {
	svc, err := wl.catalogue.PublishedService(ctx, in.ServiceSlug)
	if err != nil {
		return nil, err
	}
	if err := validateConsents(in.Consents); err != nil {
		return nil, err
	}
	if in.Client.Email == "" {
		return nil, &models.ValidationError{Field: "client.email", Message: "must be an email address"}
	}
	home, err := serviceZone(svc)
	if err != nil {
		return nil, fmt.Errorf("waitlist: %w", err)
	}
	if in.Timezone.IsZero() {
		in.Timezone = home
	}
	var from, to *time.Time
	if in.From != "" {
		d, err := time.Parse(dateLayout, in.From)
		if err != nil {
			return nil, &models.ValidationError{Field: "from", Message: "must be a date as YYYY-MM-DD"}
		}
		t := inZone(d, 0, home.Location())
		from = &t
	}
	if in.To != "" {
		d, err := time.Parse(dateLayout, in.To)
		if err != nil {
			return nil, &models.ValidationError{Field: "to", Message: "must be a date as YYYY-MM-DD"}
		}
		t := inZone(d.AddDate(0, 0, 1), 0, home.Location())
		to = &t
	}
	if from != nil && to != nil && !from.Before(*to) {
		return nil, &models.ValidationError{Field: "to", Message: "must not be before from"}
	}
	if to != nil && !to.After(wl.clock.Now()) {
		return nil, &models.ValidationError{Field: "to", Message: "must not be in the past"}
	}
	var entry *models.WaitlistEntry
	err = wl.store.InTx(ctx, func(ctx context.Context) error {
		now := wl.clock.Now().UTC()
		userID, leadID, err := recordClient(ctx, wl.store, wl.log, in.Client, in.Consents, nil, nil, now)
		if err != nil {
			return err
		}
		email := in.Client.Email
		if entry, err = models.NewWaitlistEntry(svc.ID, userID, &leadID, &email, from, to, in.Timezone, now); err != nil {
			return err
		}
		return wl.store.CreateWaitlistEntry(ctx, entry)
	})
	if err != nil {
		return nil, fmt.Errorf("join waitlist of %s: %w", svc.Slug, err)
	}
	return entry, nil
}

// RegisterWaitlist subscribes the waitlist to canceled and rescheduled appointments: the time
// they held is offered to the clients waiting for it.
func (wl *Waitlist) RegisterWaitlist(subs *events.Subscriptions) error {
	for _, e := range []models.Event{models.AppointmentCanceled{}, models.AppointmentRescheduled{}} {
		if err := subs.Subscribe(e.EventName(), WaitlistSubscriber, wl.offerFreedTime); err != nil {
			return err
		}
	}
	return nil
}

// offerFreedTime tells the waiting clients that the time of the appointment in e is free. Each
// entry is told once (it moves to notified), so a repeated delivery tells nobody twice.
func (wl *Waitlist) offerFreedTime(ctx context.Context, e models.Event) error {
	a, err := wl.store.Appointment(ctx, e.AggregateID())
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := wl.clock.Now()
	if a.IsActive() || !a.StartAt.After(now) {
		return nil // confirmed again after a late payment, or already past
	}
	waiting, err := wl.store.WaitingFor(ctx, a.ServiceID, a.StartAt, waitlistBatch)
	if err != nil {
		return err
	}
	for i := range waiting {
		err := wl.store.UpdateWaitlistEntry(ctx, waiting[i].ID, func(w *models.WaitlistEntry) error {
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
		wl.log.InfoContext(ctx, "freed time offered to the waitlist", "appointment_id", a.ID, "entries", len(waiting))
	}
	return nil
}
