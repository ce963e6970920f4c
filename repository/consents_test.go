package repository_test

import (
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// The consents table is evidence: a trigger on both dialects lets a row gain revoked_at once and
// refuses every other change, whoever issues the UPDATE.
func TestConsentsAppendOnly(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	t2 := t0.Add(2 * time.Hour)

	tests := []struct {
		name    string
		revoked bool // the row is already revoked (at t1) before the update
		set     string
		args    []any
		wantErr bool
	}{
		{name: "revoke once", set: "revoked_at = ?", args: []any{t1}},
		{name: "change version", set: "version = ?", args: []any{"v2"}, wantErr: true},
		{name: "change source", set: "source = ?", args: []any{"admin"}, wantErr: true},
		{name: "change granted", set: "granted = ?", args: []any{false}, wantErr: true},
		{name: "change granted_at", set: "granted_at = ?", args: []any{t2}, wantErr: true},
		{name: "change type", set: "consent_type = ?", args: []any{string(models.ConsentTelegram)}, wantErr: true},
		{name: "revoke and change version together", set: "revoked_at = ?, version = ?", args: []any{t1, "v2"}, wantErr: true},
		{name: "un-revoke", revoked: true, set: "revoked_at = NULL", wantErr: true},
		{name: "revoke again", revoked: true, set: "revoked_at = ?", args: []any{t2}, wantErr: true},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := newStaff(t, t0)
				_ = u.GrantConsent(models.ConsentPersonalData, "v1", "site", t0)
				if tt.revoked {
					_ = u.RevokeConsent(models.ConsentPersonalData, t1)
				}
				if err := repository.NewUsers(db).Create(t.Context(), u); err != nil {
					t.Fatal(err)
				}
				before := u.Consents[0]

				err := db.Gorm.Exec("UPDATE consents SET "+tt.set+" WHERE id = ?", append(tt.args, before.ID)...).Error
				rows := consentRows(t, db, u.ID)
				if len(rows) != 1 {
					t.Fatalf("consent rows = %+v, want 1", rows)
				}
				if tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), "append-only") {
						t.Fatalf("err = %v, want the append-only trigger's error", err)
					}
					assertConsent(t, 0, rows[0], before)
					return
				}
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				want := before
				want.RevokedAt = &t1
				assertConsent(t, 0, rows[0], want)
			})
		}
	})
}
