package repository_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

func recordFailure(t *testing.T, store *repository.LoginFailures, scope models.LoginScope, key string, at, olderThan time.Time) {
	t.Helper()
	f := &models.LoginFailure{ID: models.NewID(), Scope: scope, Key: key, FailedAt: at}
	if err := store.Record(context.Background(), f, olderThan); err != nil {
		t.Fatalf("Record %s/%s at %v: %v", scope, key, at, err)
	}
}

func TestLoginFailuresSince(t *testing.T) {
	t.Parallel()
	// Failures of ip/10.0.0.1 at t0, t0+1m ... t0+4m; noise on other keys and scopes.
	tests := []struct {
		name       string
		scope      models.LoginScope
		key        string
		since      time.Time
		wantCount  int
		wantOldest time.Time
	}{
		{"all", models.LoginScopeIP, "10.0.0.1", t0.Add(-time.Hour), 5, t0},
		{"window start is inclusive", models.LoginScopeIP, "10.0.0.1", t0.Add(2 * time.Minute), 3, t0.Add(2 * time.Minute)},
		{"window start between failures", models.LoginScopeIP, "10.0.0.1", t0.Add(150 * time.Second), 2, t0.Add(3 * time.Minute)},
		{"window start in another zone", models.LoginScopeIP, "10.0.0.1", t0.Add(2 * time.Minute).In(msk), 3, t0.Add(2 * time.Minute)},
		{"after the last failure", models.LoginScopeIP, "10.0.0.1", t0.Add(5 * time.Minute), 0, time.Time{}},
		{"other scope, same key", models.LoginScopeAccount, "10.0.0.1", t0.Add(-time.Hour), 1, t0.Add(30 * time.Second)},
		{"unknown key", models.LoginScopeIP, "10.0.0.9", t0.Add(-time.Hour), 0, time.Time{}},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		store := repository.NewLoginFailures(db)
		never := t0.Add(-24 * time.Hour) // prunes nothing
		for i := range 5 {
			recordFailure(t, store, models.LoginScopeIP, "10.0.0.1", t0.Add(time.Duration(i)*time.Minute), never)
		}
		recordFailure(t, store, models.LoginScopeIP, "10.0.0.2", t0.Add(-time.Minute), never)
		recordFailure(t, store, models.LoginScopeAccount, "10.0.0.1", t0.Add(30*time.Second), never)

		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n, oldest, err := store.Since(context.Background(), tt.scope, tt.key, tt.since)
				if err != nil {
					t.Fatal(err)
				}
				if n != tt.wantCount {
					t.Errorf("count = %d, want %d", n, tt.wantCount)
				}
				if tt.wantOldest.IsZero() {
					if !oldest.IsZero() {
						t.Errorf("oldest = %v, want zero", oldest)
					}
					return
				}
				assertUTC(t, "oldest", oldest, tt.wantOldest)
			})
		}
	})
}

func TestLoginFailuresRecordPrunesOnlyItsKey(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		store := repository.NewLoginFailures(db)
		never := t0.Add(-24 * time.Hour)
		old := t0.Add(-time.Hour)
		for _, k := range []struct {
			scope models.LoginScope
			key   string
		}{
			{models.LoginScopeIP, "a"}, {models.LoginScopeIP, "b"}, {models.LoginScopeAccount, "a"},
		} {
			recordFailure(t, store, k.scope, k.key, old, never)
			recordFailure(t, store, k.scope, k.key, t0.Add(-time.Minute), never)
		}
		// A new failure of ip/a with a 15-minute window drops ip/a's failure from an hour ago only.
		recordFailure(t, store, models.LoginScopeIP, "a", t0, t0.Add(-15*time.Minute))

		tests := []struct {
			scope     models.LoginScope
			key       string
			wantTotal int64
		}{
			{models.LoginScopeIP, "a", 2},      // pruned old, kept recent, added new
			{models.LoginScopeIP, "b", 2},      // other key: untouched
			{models.LoginScopeAccount, "a", 2}, // same key, other scope: untouched
		}
		for _, tt := range tests {
			if n := count(t, db, "login_failures", "scope = ? AND key = ?", tt.scope, tt.key); n != tt.wantTotal {
				t.Errorf("%s/%s: %d rows, want %d", tt.scope, tt.key, n, tt.wantTotal)
			}
		}
		n, oldest, err := store.Since(context.Background(), models.LoginScopeIP, "a", never)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("ip/a count = %d, want 2", n)
		}
		assertUTC(t, "ip/a oldest", oldest, t0.Add(-time.Minute))
	})
}

func TestLoginFailuresClear(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		store := repository.NewLoginFailures(db)
		never := t0.Add(-24 * time.Hour)
		for _, scope := range []models.LoginScope{models.LoginScopeIP, models.LoginScopeAccount} {
			for _, key := range []string{"a", "b"} {
				recordFailure(t, store, scope, key, t0, never)
				recordFailure(t, store, scope, key, t0.Add(time.Second), never)
			}
		}
		if err := store.Clear(context.Background(), models.LoginScopeAccount, "a"); err != nil {
			t.Fatalf("Clear: %v", err)
		}
		tests := []struct {
			scope models.LoginScope
			key   string
			want  int
		}{
			{models.LoginScopeAccount, "a", 0},
			{models.LoginScopeAccount, "b", 2},
			{models.LoginScopeIP, "a", 2},
			{models.LoginScopeIP, "b", 2},
		}
		for _, tt := range tests {
			n, _, err := store.Since(context.Background(), tt.scope, tt.key, never)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Errorf("%s/%s: %d failures, want %d", tt.scope, tt.key, n, tt.want)
			}
		}
	})
}

// Record prunes and inserts in one transaction: when the insert fails, the prune is undone too.
func TestLoginFailuresRecordIsAtomic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spoil   func(db *repository.DB, recent *models.LoginFailure) *models.LoginFailure
		wantErr string
	}{
		{
			name: "insert fails",
			spoil: func(_ *repository.DB, recent *models.LoginFailure) *models.LoginFailure {
				return &models.LoginFailure{ID: recent.ID, Scope: recent.Scope, Key: recent.Key, FailedAt: t0} // duplicate id
			},
			wantErr: "record login failure",
		},
		{
			name: "prune fails",
			spoil: func(db *repository.DB, recent *models.LoginFailure) *models.LoginFailure {
				// A column the prune filters on (but the insert does not name) disappears.
				if err := db.Gorm.Exec("ALTER TABLE login_failures RENAME COLUMN key TO k").Error; err != nil {
					t.Fatal(err)
				}
				return &models.LoginFailure{ID: models.NewID(), Scope: recent.Scope, Key: recent.Key, FailedAt: t0}
			},
			wantErr: "prune login failures",
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := db.Gorm.Exec("DELETE FROM login_failures").Error; err != nil {
					t.Fatal(err)
				}
				store := repository.NewLoginFailures(db)
				never := t0.Add(-24 * time.Hour)
				recordFailure(t, store, models.LoginScopeIP, "k", t0.Add(-time.Hour), never)
				recent := &models.LoginFailure{ID: models.NewID(), Scope: models.LoginScopeIP, Key: "k", FailedAt: t0.Add(-time.Minute)}
				if err := store.Record(context.Background(), recent, never); err != nil {
					t.Fatal(err)
				}
				f := tt.spoil(db, recent)
				err := store.Record(context.Background(), f, t0.Add(-15*time.Minute))
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				if n := count(t, db, "login_failures", ""); n != 2 {
					t.Errorf("%d failures left, want both earlier ones (the prune rolled back)", n)
				}
			})
		}
	})
}
