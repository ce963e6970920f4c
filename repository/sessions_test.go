package repository_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

func assertSession(t *testing.T, got, want *models.Session) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.TokenHash != want.TokenHash ||
		got.UserAgent != want.UserAgent || got.IP != want.IP {
		t.Errorf("session = %+v, want %+v", got, want)
	}
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	assertUTC(t, "LastSeenAt", got.LastSeenAt, want.LastSeenAt)
	assertUTCPtr(t, "RevokedAt", got.RevokedAt, want.RevokedAt)
}

func TestSessionsLifecycle(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		sessions := repository.NewSessions(db)
		u := createStaff(t, db, t0)
		start := t0.In(msk).Add(123456 * time.Microsecond)
		s := models.NewSession(u.ID, "hash-"+uuid.NewString(), 12*time.Hour, "Mozilla/5.0 (X11)", "203.0.113.7", start)
		other := models.NewSession(u.ID, "hash-"+uuid.NewString(), 12*time.Hour, "curl", "198.51.100.1", start)
		for _, x := range []*models.Session{s, other} {
			if err := sessions.Create(ctx, x); err != nil {
				t.Fatalf("Create: %v", err)
			}
		}
		want := *s

		steps := []struct {
			name string
			do   func() error
		}{
			{"created", func() error { return nil }},
			{"touched", func() error {
				if !s.Touch(start.Add(5 * time.Minute)) {
					t.Fatal("Touch reported no change")
				}
				want.LastSeenAt = start.Add(5 * time.Minute)
				return sessions.Touch(ctx, s)
			}},
			{"revoked", func() error {
				s.Revoke(start.Add(10 * time.Minute))
				want.RevokedAt = ptr(start.Add(10 * time.Minute))
				return sessions.Revoke(ctx, s)
			}},
		}
		for _, step := range steps {
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			got, err := sessions.ByTokenHash(ctx, s.TokenHash)
			if err != nil {
				t.Fatalf("%s: ByTokenHash: %v", step.name, err)
			}
			assertSession(t, got, &want)
		}
		// The other session was left alone.
		got, err := sessions.ByTokenHash(ctx, other.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		assertSession(t, got, other)

		if _, err := sessions.ByTokenHash(ctx, "no-such-hash"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown hash: err = %v, want ErrNotFound", err)
		}
	})
}

func TestSessionsCreateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(existing *models.Session) *models.Session
		kind  error
		// constraint reported by each dialect ("" = not checked)
		postgres, sqlite string
	}{
		{
			name: "duplicate token hash",
			build: func(e *models.Session) *models.Session {
				return models.NewSession(e.UserID, e.TokenHash, time.Hour, "", "", t0)
			},
			kind: models.ErrConflict, postgres: "sessions_token_hash_key", sqlite: "sessions.token_hash",
		},
		{
			name: "duplicate id",
			build: func(e *models.Session) *models.Session {
				s := models.NewSession(e.UserID, "other-"+e.TokenHash, time.Hour, "", "", t0)
				s.ID = e.ID
				return s
			},
			kind: models.ErrConflict, postgres: "sessions_pkey", sqlite: "sessions.id",
		},
		{
			name: "unknown user",
			build: func(e *models.Session) *models.Session {
				return models.NewSession(models.NewID(), "other-"+e.TokenHash, time.Hour, "", "", t0)
			},
			kind: models.ErrInvalidReference, postgres: "sessions_user_id_fkey",
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		sessions := repository.NewSessions(db)
		u := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				existing := models.NewSession(u.ID, "hash-"+uuid.NewString(), time.Hour, "", "", t0)
				if err := sessions.Create(ctx, existing); err != nil {
					t.Fatal(err)
				}
				s := tt.build(existing)
				assertConstraint(t, sessions.Create(ctx, s), tt.kind, byDialect(db, tt.postgres, tt.sqlite))
				if n := count(t, db, "sessions", "token_hash = ?", s.TokenHash); n != int64(btoi(s.TokenHash == existing.TokenHash)) {
					t.Errorf("%d sessions with the rejected hash", n)
				}
			})
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSessionsDeleteExpired(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cutoff  time.Time
		deleted int64
		remain  []string
	}{
		{"nothing expired yet", t0, 0, []string{"early", "at-cutoff", "late"}},
		{"strictly before the cutoff", t0.Add(2 * time.Hour), 1, []string{"at-cutoff", "late"}},
		{"cutoff given in another zone", t0.Add(2 * time.Hour).In(msk), 1, []string{"at-cutoff", "late"}},
		{"everything", t0.Add(24 * time.Hour), 3, nil},
	}
	// Sessions expire at t0+1h, t0+2h and t0+3h.
	expiries := map[string]time.Duration{"early": time.Hour, "at-cutoff": 2 * time.Hour, "late": 3 * time.Hour}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		sessions := repository.NewSessions(db)
		u := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := db.Gorm.Exec("DELETE FROM sessions").Error; err != nil {
					t.Fatal(err)
				}
				for name, ttl := range expiries {
					if err := sessions.Create(ctx, models.NewSession(u.ID, name, ttl, "", "", t0)); err != nil {
						t.Fatal(err)
					}
				}
				n, err := sessions.DeleteExpired(ctx, tt.cutoff)
				if err != nil {
					t.Fatalf("DeleteExpired: %v", err)
				}
				if n != tt.deleted {
					t.Errorf("deleted %d, want %d", n, tt.deleted)
				}
				var remain []string
				if err := db.Gorm.Model(&models.Session{}).Order("token_hash").Pluck("token_hash", &remain).Error; err != nil {
					t.Fatal(err)
				}
				want := slices.Clone(tt.remain)
				slices.Sort(want)
				if !slices.Equal(remain, want) {
					t.Errorf("remaining = %v, want %v", remain, want)
				}
			})
		}
	})
}
