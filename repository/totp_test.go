package repository_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// An authenticator's secret is stored encrypted; a confirmed one cannot be replaced; each time
// step and each recovery code is accepted once, however many requests race for it.
func TestTOTPStore(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		store := repository.NewTOTP(db)
		u := createStaff(t, db, t0)
		const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

		if _, err := store.Factor(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("Factor before enrolment = %v, want ErrNotFound", err)
		}
		if err := store.PutPending(ctx, models.NewTOTPFactor(u.ID, "first", t0)); err != nil {
			t.Fatal(err)
		}
		if err := store.PutPending(ctx, models.NewTOTPFactor(u.ID, secret, t0)); err != nil {
			t.Fatalf("replacing an unconfirmed factor: %v", err)
		}
		var raw string
		if err := db.Gorm.Raw("SELECT secret FROM totp_factors WHERE user_id = ?", u.ID).Scan(&raw).Error; err != nil {
			t.Fatal(err)
		}
		if raw == "" || strings.Contains(raw, secret) {
			t.Fatalf("secret stored as %q, want a Fernet token", raw)
		}
		if ok, err := store.UseStep(ctx, u.ID, 100, t0); ok || err != nil {
			t.Fatalf("UseStep on an unconfirmed factor = %v, %v", ok, err)
		}
		codes := []models.RecoveryCode{
			{ID: models.NewID(), UserID: u.ID, CodeHash: "h1", CreatedAt: t0},
			{ID: models.NewID(), UserID: u.ID, CodeHash: "h2", CreatedAt: t0},
		}
		if ok, err := store.Confirm(ctx, u.ID, 100, t0, codes); !ok || err != nil {
			t.Fatalf("Confirm = %v, %v", ok, err)
		}
		if ok, err := store.Confirm(ctx, u.ID, 101, t0, nil); ok || err != nil {
			t.Fatalf("second Confirm = %v, %v", ok, err)
		}
		f, err := store.Factor(ctx, u.ID)
		if err != nil || !f.Active() || f.Secret != secret || f.LastUsedStep != 100 {
			t.Fatalf("Factor = %+v, %v", f, err)
		}
		if err := store.PutPending(ctx, models.NewTOTPFactor(u.ID, "other", t0)); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("PutPending over a confirmed factor = %v, want ErrConflict", err)
		}

		race := func(use func() (bool, error)) int64 {
			var won atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					ok, err := use()
					if err != nil {
						t.Error(err)
					}
					if ok {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			return won.Load()
		}
		if n := race(func() (bool, error) { return store.UseStep(ctx, u.ID, 100, t0) }); n != 0 {
			t.Errorf("the step used at confirmation was accepted %d times", n)
		}
		if n := race(func() (bool, error) { return store.UseStep(ctx, u.ID, 102, t0) }); n != 1 {
			t.Errorf("a new step was accepted %d times, want once", n)
		}
		if ok, _ := store.UseStep(ctx, u.ID, 101, t0); ok {
			t.Error("an earlier step was accepted after a later one")
		}
		if n := race(func() (bool, error) { return store.UseRecoveryCode(ctx, u.ID, "h1", t0) }); n != 1 {
			t.Errorf("a recovery code was accepted %d times, want once", n)
		}
		if ok, _ := store.UseRecoveryCode(ctx, u.ID, "h2", t0); !ok {
			t.Error("the other recovery code was refused")
		}
	})
}
