package identity_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/identity"
)

// Two owners step down at the same moment, each leaving the other in charge: exactly one of them
// may, whatever the database — the practice always keeps an active owner.
func TestLastOwnerUnderConcurrency(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		clock := testkit.NewClock(t0)
		users := repository.NewUsers(db)
		svc := identity.New(users, repository.NewSessions(db), repository.NewThrottle(db), clock, identity.Config{
			SessionTTL: time.Hour, SessionIdleTimeout: time.Hour, LoginMaxFailures: 5, LoginFailureWindow: time.Minute,
			Password: fast, Tx: db,
		})
		ctx := context.Background()
		var owners []*models.User
		for _, email := range []string{"anna@example.org", "olga@example.org"} {
			u, err := svc.CreateStaff(ctx, email, "owner", "Owner", password)
			if err != nil {
				t.Fatal(err)
			}
			owners = append(owners, u)
		}
		for round := range 5 {
			errs := make([]error, 2)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, u := range owners {
				wg.Go(func() {
					<-start
					if round%2 == 0 {
						errs[i] = svc.SetStaffRole(ctx, u.ID, models.RoleEditor)
					} else {
						errs[i] = svc.Block(ctx, u.ID)
					}
				})
			}
			close(start)
			wg.Wait()
			var last identity.LastOwnerError
			refused := 0
			for _, err := range errs {
				switch {
				case errors.As(err, &last) && errors.Is(err, models.ErrConflict):
					refused++
				case err != nil:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			left, err := users.ActiveOwners(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if refused != 1 || len(left) != 1 {
				t.Fatalf("round %d: %d refused, %d owners left (%v), want 1 and 1", round, refused, len(left), errs)
			}
			// Put both back in charge for the next round.
			for _, u := range owners {
				if err := users.Update(ctx, u.ID, func(u *models.User) error {
					if u.Status == models.UserBlocked {
						if err := u.Unblock(clock.Now()); err != nil {
							return err
						}
					}
					return u.SetStaffRole(models.RoleOwner, clock.Now())
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
