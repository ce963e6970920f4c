package main

import (
	"log/slog"

	"balance/events"
	"balance/repository"
	"balance/service"
	"balance/service/audit"
	"balance/service/crm"
)

// registerSubscribers subscribes every handler of every context to the events it follows.
func registerSubscribers(subs *events.Subscriptions, db *repository.DB, log *slog.Logger) error {
	if err := audit.Register(subs, repository.NewAuditLogs(db)); err != nil {
		return err
	}
	if err := crm.Register(subs, repository.NewLeadTimeline(db), repository.NewAppointments(db),
		repository.NewPayments(db), service.SystemClock{}); err != nil {
		return err
	}
	log.Debug("event subscribers registered", "audit", len(audit.Events()), "crm_timeline", len(crm.TimelineEvents()))
	return nil
}
