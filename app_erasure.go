package main

import (
	"balance/repository"
	"balance/service"
	"balance/service/erasure"
)

// This file: client accounts and the cabinet — the deletion of a client's account.

// accountDeletion is the deletion of client accounts over the app's database, sign-in codes,
// bookings and job queue; nil without client accounts.
func (a *app) accountDeletion() *erasure.Service {
	if a.clients == nil || a.bookings == nil {
		return nil
	}
	return erasure.New(erasure.Deps{
		Codes: a.clients, Bookings: a.bookings, Users: repository.NewUsers(a.db), Store: repository.NewErasure(a.db),
		Audit: repository.NewAuditLogs(a.db), Tx: a.db, Jobs: a.outbox, Clock: service.SystemClock{},
	})
}
