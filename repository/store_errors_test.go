package repository_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// Every store method reports a failing database as an error with context, never as "not found"
// and never as success.
func TestStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		sessions := repository.NewSessions(db)
		throttle := repository.NewThrottle(db)
		u := createStaff(t, db, t0)
		s := models.NewSession(u.ID, "hash", time.Hour, "", "", t0)
		if err := sessions.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name    string
			call    func() error
			context string // expected in the message; "" when the failure is at BEGIN
		}{
			{"Users.Create", func() error { return users.Create(ctx, newStaff(t, t0)) }, ""},
			{"Users.ByID", func() error { _, err := users.ByID(ctx, u.ID); return err }, "user " + u.ID.String()},
			{"Users.ByEmail", func() error { _, err := users.ByEmail(ctx, *u.Email); return err }, "user by email"},
			{"Users.Update", func() error { return users.Update(ctx, u.ID, func(*models.User) error { return nil }) }, ""},
			{"Sessions.Create", func() error { return sessions.Create(ctx, models.NewSession(u.ID, "h2", time.Hour, "", "", t0)) }, "create session"},
			{"Sessions.ByTokenHash", func() error { _, err := sessions.ByTokenHash(ctx, "hash"); return err }, "session"},
			{"Sessions.Touch", func() error { return sessions.Touch(ctx, s) }, "touch session"},
			{"Sessions.Revoke", func() error { return sessions.Revoke(ctx, s) }, "revoke session"},
			{"Sessions.DeleteExpired", func() error { _, err := sessions.DeleteExpired(ctx, t0); return err }, "delete expired sessions"},
			{"Throttle.Take", func() error {
				_, _, err := throttle.Take(ctx, models.ThrottleRule{Limit: 1, Window: time.Minute}, t0, models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: "k"})
				return err
			}, ""},
			{"Throttle.Release", func() error { return throttle.Release(ctx, models.ThrottleHit{ID: models.NewID()}) }, "release throttle hits"},
			{"Throttle.Clear", func() error {
				return throttle.Clear(ctx, models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: "k"})
			}, "clear throttle hits"},
			{"Throttle.Prune", func() error { _, err := throttle.Prune(ctx, t0, models.ThrottleLoginIP); return err }, "prune throttle hits"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if err == nil || errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want a database error", err)
				}
				if !strings.Contains(err.Error(), tt.context) {
					t.Errorf("err = %v, want it to mention %q", err, tt.context)
				}
			})
		}
	})
}
