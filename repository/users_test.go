package repository_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// assertUser compares every stored field of got with want; times as instants that must come back
// in UTC, roles in role order and consents in granted_at order (want lists them that way).
func assertUser(t *testing.T, got, want *models.User) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("ID = %s, want %s", got.ID, want.ID)
	}
	eqPtr(t, "Email", got.Email, want.Email)
	eqPtr(t, "Phone", got.Phone, want.Phone)
	eqPtr(t, "TelegramUserID", got.TelegramUserID, want.TelegramUserID)
	eqPtr(t, "TelegramUsername", got.TelegramUsername, want.TelegramUsername)
	eqPtr(t, "PasswordHash", got.PasswordHash, want.PasswordHash)
	if got.DisplayName != want.DisplayName {
		t.Errorf("DisplayName = %q, want %q", got.DisplayName, want.DisplayName)
	}
	if got.Status != want.Status {
		t.Errorf("Status = %q, want %q", got.Status, want.Status)
	}
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.DeletedAt.Valid != want.DeletedAt.Valid || (want.DeletedAt.Valid && !got.DeletedAt.Time.Equal(want.DeletedAt.Time)) {
		t.Errorf("DeletedAt = %+v, want %+v", got.DeletedAt, want.DeletedAt)
	}

	if len(got.Roles) != len(want.Roles) {
		t.Fatalf("roles = %+v, want %+v", got.Roles, want.Roles)
	}
	for i, w := range want.Roles {
		g := got.Roles[i]
		if g.UserID != w.UserID || g.Role != w.Role {
			t.Errorf("role[%d] = %s/%s, want %s/%s", i, g.UserID, g.Role, w.UserID, w.Role)
		}
		assertUTC(t, "role "+string(w.Role)+" GrantedAt", g.GrantedAt, w.GrantedAt)
	}

	if len(got.Consents) != len(want.Consents) {
		t.Fatalf("consents = %+v, want %+v", got.Consents, want.Consents)
	}
	for i, w := range want.Consents {
		assertConsent(t, i, got.Consents[i], w)
	}
}

func assertConsent(t *testing.T, i int, g, w models.Consent) {
	t.Helper()
	if g.ID != w.ID || g.UserID != w.UserID || g.Type != w.Type || g.Granted != w.Granted ||
		g.Version != w.Version || g.Source != w.Source {
		t.Errorf("consent[%d] = %+v, want %+v", i, g, w)
	}
	assertUTC(t, "consent GrantedAt", g.GrantedAt, w.GrantedAt)
	assertUTCPtr(t, "consent RevokedAt", g.RevokedAt, w.RevokedAt)
}

func eqPtr[T comparable](t *testing.T, field string, got, want *T) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", field, got, want)
	case *got != *want:
		t.Errorf("%s = %v, want %v", field, *got, *want)
	}
}

// consentRows reads the consents table directly, oldest first.
func consentRows(t *testing.T, db *repository.DB, userID uuid.UUID) []models.Consent {
	t.Helper()
	var rows []models.Consent
	if err := db.Gorm.Where("user_id = ?", userID).Order("granted_at, id").Find(&rows).Error; err != nil {
		t.Fatalf("read consents: %v", err)
	}
	return rows
}

func TestUsersRoundTrip(t *testing.T) {
	t.Parallel()
	// Given in +03:00 with microseconds (PostgreSQL's precision); must come back as UTC instants.
	created := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)

	tests := []struct {
		name string
		// user builds the user to save and the one expected back (roles and consents in load order).
		user func() (save, want *models.User)
	}{
		{
			name: "staff with every field",
			user: func() (*models.User, *models.User) {
				id := models.NewID()
				c1 := models.Consent{ID: models.NewID(), UserID: id, Type: models.ConsentPersonalData, Granted: true, Version: "v3", Source: "admin", GrantedAt: created.Add(2 * time.Hour)}
				c2 := models.Consent{ID: models.NewID(), UserID: id, Type: models.ConsentCommunications, Granted: true, Version: "v1", Source: "site", GrantedAt: created, RevokedAt: ptr(created.Add(90 * time.Minute))}
				c3 := models.Consent{ID: models.NewID(), UserID: id, Type: models.ConsentTelegram, Granted: false, Version: "v2", Source: "bot", GrantedAt: created.Add(time.Hour)}
				owner := models.UserRole{UserID: id, Role: models.RoleOwner, GrantedAt: created}
				editor := models.UserRole{UserID: id, Role: models.RoleEditor, GrantedAt: created.Add(time.Minute)}
				u := &models.User{
					ID:               id,
					Email:            ptr(models.Email("anna@example.org")),
					Phone:            ptr(models.Phone("+79991234567")),
					TelegramUserID:   ptr("123456789"),
					TelegramUsername: ptr("anna_t"),
					DisplayName:      "Анна Петрова",
					PasswordHash:     ptr("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"),
					Status:           models.UserBlocked,
					CreatedAt:        created,
					UpdatedAt:        created.Add(3 * time.Hour),
					Roles:            []models.UserRole{owner, editor},
					Consents:         []models.Consent{c1, c2, c3},
				}
				want := *u
				want.Roles = []models.UserRole{editor, owner} // ordered by role
				want.Consents = []models.Consent{c2, c3, c1}  // ordered by granted_at
				return u, &want
			},
		},
		{
			name: "client with nil optional fields",
			user: func() (*models.User, *models.User) {
				u := models.NewClientUser("client@example.org", "", created)
				want := *u
				return u, &want
			},
		},
		{
			name: "user without email or roles",
			user: func() (*models.User, *models.User) {
				u := &models.User{ID: models.NewID(), Phone: ptr(models.Phone("+79990000000")), Status: models.UserActive, CreatedAt: created, UpdatedAt: created}
				want := *u
				return u, &want
			},
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				save, want := tt.user()
				if err := users.Create(ctx, save); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := users.ByID(ctx, want.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				assertUser(t, got, want)
				if want.Email == nil {
					return
				}
				got, err = users.ByEmail(ctx, *want.Email)
				if err != nil {
					t.Fatalf("ByEmail: %v", err)
				}
				assertUser(t, got, want)
			})
		}
	})
}

func TestUsersNotFound(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		createStaff(t, db, t0) // the table is not empty

		tests := []struct {
			name string
			load func() (*models.User, error)
		}{
			{"ByID", func() (*models.User, error) { return users.ByID(ctx, models.NewID()) }},
			{"ByEmail", func() (*models.User, error) { return users.ByEmail(ctx, "nobody@example.org") }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := tt.load()
				if !errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
				if u != nil {
					t.Errorf("user = %+v, want nil", u)
				}
			})
		}
	})
}

func TestUsersCreateUniqueness(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// clash makes u collide with existing on one unique column.
		clash            func(u, existing *models.User)
		postgres, sqlite string // the constraint each dialect reports
	}{
		{"email", func(u, e *models.User) { u.Email = e.Email }, "users_email_key", "users.email"},
		{"phone", func(u, e *models.User) { u.Phone = e.Phone }, "users_phone_key", "users.phone"},
		{"telegram user id", func(u, e *models.User) { u.TelegramUserID = e.TelegramUserID }, "users_telegram_user_id_key", "users.telegram_user_id"},
		{"id", func(u, e *models.User) { u.ID = e.ID; u.Roles = nil }, "users_pkey", "users.id"},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				existing := newStaff(t, t0)
				existing.Phone = ptr(models.Phone("+7999000000" + string(rune('0'+i))))
				existing.TelegramUserID = ptr("tg-existing-" + tt.name)
				if err := users.Create(ctx, existing); err != nil {
					t.Fatal(err)
				}
				u := newStaff(t, t0)
				tt.clash(u, existing)
				err := users.Create(ctx, u)
				assertConstraint(t, err, models.ErrConflict, byDialect(db, tt.postgres, tt.sqlite))

				// The existing user is untouched and the new one left no trace.
				got, err := users.ByID(ctx, existing.ID)
				if err != nil {
					t.Fatal(err)
				}
				if *got.Email != *existing.Email || len(got.Roles) != 1 {
					t.Errorf("existing user changed: %+v", got)
				}
				if u.ID != existing.ID {
					if n := count(t, db, "users", "id = ?", u.ID); n != 0 {
						t.Errorf("%d rows of the rejected user", n)
					}
				}
			})
		}
	})
}

func TestUsersCreateIsAtomic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(u *models.User)
		check func(t *testing.T, db *repository.DB, err error)
	}{
		{
			name: "duplicate role",
			spoil: func(u *models.User) {
				u.Roles = append(u.Roles, models.UserRole{UserID: u.ID, Role: models.RoleOwner, GrantedAt: t0})
			},
			check: func(t *testing.T, db *repository.DB, err error) {
				assertConstraint(t, err, models.ErrConflict, byDialect(db, "user_roles_pkey", "user_roles.user_id, user_roles.role"))
			},
		},
		{
			name: "invalid consent type",
			spoil: func(u *models.User) {
				u.Consents = []models.Consent{{ID: models.NewID(), UserID: u.ID, Type: "bogus", Granted: true, Version: "v1", Source: "site", GrantedAt: t0}}
			},
			check: func(t *testing.T, _ *repository.DB, err error) {
				// A CHECK violation is no domain error: it passes through untranslated.
				var ce *models.ConstraintError
				if err == nil || errors.As(err, &ce) {
					t.Errorf("err = %v, want an untranslated check violation", err)
				}
			},
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := newStaff(t, t0)
				tt.spoil(u)
				err := users.Create(ctx, u)
				tt.check(t, db, err)
				for _, table := range []string{"users", "user_roles", "consents"} {
					col := "user_id"
					if table == "users" {
						col = "id"
					}
					if n := count(t, db, table, col+" = ?", u.ID); n != 0 {
						t.Errorf("%s: %d rows left by the failed Create, want 0", table, n)
					}
				}
			})
		}
	})
}

func TestUsersSoftDelete(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		old := createStaff(t, db, t0)
		deletedAt := t0.Add(time.Hour)
		if err := users.Update(ctx, old.ID, func(u *models.User) error { return u.MarkDeleted(deletedAt) }); err != nil {
			t.Fatalf("delete: %v", err)
		}

		if _, err := users.ByEmail(ctx, *old.Email); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ByEmail of a deleted user: err = %v, want ErrNotFound", err)
		}
		if _, err := users.ByID(ctx, old.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ByID of a deleted user: err = %v, want ErrNotFound", err)
		}
		// The row stays for the audit trail, stamped.
		var row models.User
		if err := db.Gorm.Unscoped().First(&row, "id = ?", old.ID).Error; err != nil {
			t.Fatalf("deleted row: %v", err)
		}
		if row.Status != models.UserDeleted || !row.DeletedAt.Valid {
			t.Errorf("deleted row: status %q, deleted_at %+v", row.Status, row.DeletedAt)
		}
		assertUTC(t, "DeletedAt", row.DeletedAt.Time, deletedAt)

		// Update still reaches the deleted user (Unscoped), whose methods refuse a second delete.
		err := users.Update(ctx, old.ID, func(u *models.User) error { return u.MarkDeleted(deletedAt) })
		if !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("deleting twice: err = %v, want ErrInvalidTransition", err)
		}

		// The email is free again.
		reuse := newStaff(t, t0.Add(2*time.Hour))
		reuse.Email = old.Email
		if err := users.Create(ctx, reuse); err != nil {
			t.Fatalf("reuse email of a deleted user: %v", err)
		}
		got, err := users.ByEmail(ctx, *old.Email)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != reuse.ID {
			t.Errorf("ByEmail = %s, want the new user %s", got.ID, reuse.ID)
		}
		// But two live users still may not share it.
		dup := newStaff(t, t0)
		dup.Email = old.Email
		assertConstraint(t, users.Create(ctx, dup), models.ErrConflict, "")
	})
}

func TestUsersUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	t2 := t0.Add(2 * time.Hour)

	tests := []struct {
		name string
		// prepare changes the new user before it is created.
		prepare func(u *models.User)
		change  func(u *models.User) error
		check   func(t *testing.T, db *repository.DB, before, after *models.User)
	}{
		{
			name:   "grant role",
			change: func(u *models.User) error { return u.GrantRole(models.RoleEditor, t1) },
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				if got := after.RoleNames(); !slices.Equal(got, []models.Role{models.RoleEditor, models.RoleOwner}) {
					t.Fatalf("roles = %v", got)
				}
				assertUTC(t, "editor GrantedAt", after.Roles[0].GrantedAt, t1)
				assertUTC(t, "owner GrantedAt", after.Roles[1].GrantedAt, t0)
				assertUTC(t, "UpdatedAt", after.UpdatedAt, t1)
				if n := count(t, db, "user_roles", "user_id = ?", after.ID); n != 2 {
					t.Errorf("user_roles rows = %d, want 2", n)
				}
			},
		},
		{
			name:    "role left out of the set is revoked",
			prepare: func(u *models.User) { _ = u.GrantRole(models.RoleEditor, t0) },
			change: func(u *models.User) error {
				u.Roles = slices.DeleteFunc(u.Roles, func(r models.UserRole) bool { return r.Role == models.RoleEditor })
				return nil
			},
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				if got := after.RoleNames(); !slices.Equal(got, []models.Role{models.RoleOwner}) {
					t.Errorf("roles = %v, want [owner]", got)
				}
				if n := count(t, db, "user_roles", "user_id = ?", after.ID); n != 1 {
					t.Errorf("user_roles rows = %d, want 1", n)
				}
			},
		},
		{
			name:   "change password",
			change: func(u *models.User) error { return u.SetPasswordHash("hash-1", t1) },
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				eqPtr(t, "PasswordHash", after.PasswordHash, ptr("hash-1"))
				// The domain's clock, not the database driver's, stamps the change.
				assertUTC(t, "UpdatedAt", after.UpdatedAt, t1)
				assertUTC(t, "CreatedAt", after.CreatedAt, before.CreatedAt)
			},
		},
		{
			name:   "block",
			change: func(u *models.User) error { return u.Block(t1) },
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				if after.Status != models.UserBlocked {
					t.Errorf("status = %q, want blocked", after.Status)
				}
			},
		},
		{
			name: "clear optional fields",
			prepare: func(u *models.User) {
				u.Phone = ptr(models.Phone("+7999" + u.ID.String()[:7]))
				u.TelegramUsername = ptr("someone")
			},
			change: func(u *models.User) error {
				u.Phone, u.TelegramUsername = nil, nil
				return nil
			},
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				if after.Phone != nil || after.TelegramUsername != nil {
					t.Errorf("phone %v, telegram username %v: want both nil", after.Phone, after.TelegramUsername)
				}
				eqPtr(t, "Email", after.Email, before.Email)
			},
		},
		{
			name:   "grant consent",
			change: func(u *models.User) error { return u.GrantConsent(models.ConsentPersonalData, "v1", "site", t1) },
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				rows := consentRows(t, db, after.ID)
				if len(rows) != 1 {
					t.Fatalf("consent rows = %+v, want 1", rows)
				}
				assertConsent(t, 0, rows[0], models.Consent{ID: rows[0].ID, UserID: after.ID, Type: models.ConsentPersonalData, Granted: true, Version: "v1", Source: "site", GrantedAt: t1})
				if c := after.ActiveConsent(models.ConsentPersonalData); c == nil || c.Version != "v1" {
					t.Errorf("active consent = %+v, want v1", c)
				}
			},
		},
		{
			name:    "granting the version in force again changes nothing",
			prepare: func(u *models.User) { _ = u.GrantConsent(models.ConsentPersonalData, "v1", "site", t0) },
			change:  func(u *models.User) error { return u.GrantConsent(models.ConsentPersonalData, "v1", "admin", t2) },
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				rows := consentRows(t, db, after.ID)
				if len(rows) != 1 {
					t.Fatalf("consent rows = %+v, want 1", rows)
				}
				assertConsent(t, 0, rows[0], before.Consents[0])
			},
		},
		{
			name:    "new version keeps history",
			prepare: func(u *models.User) { _ = u.GrantConsent(models.ConsentPersonalData, "v1", "site", t0) },
			change:  func(u *models.User) error { return u.GrantConsent(models.ConsentPersonalData, "v2", "admin", t1) },
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				rows := consentRows(t, db, after.ID)
				if len(rows) != 2 {
					t.Fatalf("consent rows = %+v, want 2", rows)
				}
				// The old row only gained revoked_at.
				old := before.Consents[0]
				old.RevokedAt = &t1
				assertConsent(t, 0, rows[0], old)
				assertConsent(t, 1, rows[1], models.Consent{ID: rows[1].ID, UserID: after.ID, Type: models.ConsentPersonalData, Granted: true, Version: "v2", Source: "admin", GrantedAt: t1})
				if c := after.ActiveConsent(models.ConsentPersonalData); c == nil || c.Version != "v2" {
					t.Errorf("active consent = %+v, want v2", c)
				}
				if len(after.Consents) != 2 {
					t.Errorf("loaded consents = %d, want 2", len(after.Consents))
				}
			},
		},
		{
			name: "revoke consent",
			prepare: func(u *models.User) {
				_ = u.GrantConsent(models.ConsentPersonalData, "v1", "site", t0)
				_ = u.GrantConsent(models.ConsentCommunications, "v1", "site", t0)
			},
			change: func(u *models.User) error { return u.RevokeConsent(models.ConsentCommunications, t1) },
			check: func(t *testing.T, db *repository.DB, before, after *models.User) {
				rows := consentRows(t, db, after.ID)
				if len(rows) != 2 {
					t.Fatalf("consent rows = %+v, want 2", rows)
				}
				byType := map[models.ConsentType]models.Consent{}
				for _, r := range rows {
					byType[r.Type] = r
				}
				for _, c := range before.Consents {
					want := c
					if c.Type == models.ConsentCommunications {
						want.RevokedAt = &t1
					}
					assertConsent(t, 0, byType[c.Type], want)
				}
				if after.ActiveConsent(models.ConsentCommunications) != nil {
					t.Error("communications consent still active")
				}
			},
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := newStaff(t, t0)
				if tt.prepare != nil {
					tt.prepare(u)
				}
				if err := users.Create(ctx, u); err != nil {
					t.Fatal(err)
				}
				before, err := users.ByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if err := users.Update(ctx, u.ID, tt.change); err != nil {
					t.Fatalf("Update: %v", err)
				}
				after, err := users.ByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, db, before, after)
			})
		}
	})
}

func TestUsersUpdateRollsBack(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	errBoom := errors.New("boom")

	tests := []struct {
		name string
		// change makes several changes and then fails, or makes a change the database rejects.
		change func(u *models.User, other *models.User) error
		check  func(t *testing.T, err error)
	}{
		{
			name: "callback error",
			change: func(u, _ *models.User) error {
				_ = u.GrantRole(models.RoleEditor, t1)
				_ = u.SetPasswordHash("hash-1", t1)
				_ = u.GrantConsent(models.ConsentCommunications, "v1", "site", t1)
				_ = u.GrantConsent(models.ConsentPersonalData, "v2", "site", t1)
				_ = u.Block(t1)
				return errBoom
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, errBoom) {
					t.Errorf("err = %v, want the callback's error", err)
				}
			},
		},
		{
			name: "database rejects a consent after the user and roles were written",
			change: func(u, _ *models.User) error {
				_ = u.GrantRole(models.RoleEditor, t1)
				_ = u.SetPasswordHash("hash-1", t1)
				_ = u.RevokeConsent(models.ConsentPersonalData, t1)
				u.Consents = append(u.Consents, models.Consent{ID: models.NewID(), UserID: u.ID, Type: "bogus", Granted: true, Version: "v1", Source: "site", GrantedAt: t1})
				return nil
			},
			check: func(t *testing.T, err error) {
				if err == nil {
					t.Error("err = nil, want the check violation")
				}
			},
		},
		{
			name: "database rejects a role after the user was written",
			change: func(u, _ *models.User) error {
				_ = u.SetPasswordHash("hash-1", t1)
				return u.GrantRole("bogus", t1)
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "grant role bogus") {
					t.Errorf("err = %v, want the rejected role grant", err)
				}
			},
		},
		{
			name: "email taken by another user",
			change: func(u, other *models.User) error {
				_ = u.GrantRole(models.RoleEditor, t1)
				u.Email = other.Email
				return nil
			},
			check: func(t *testing.T, err error) {
				assertConstraint(t, err, models.ErrConflict, "")
			},
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				other := createStaff(t, db, t0)
				u := newStaff(t, t0)
				_ = u.GrantConsent(models.ConsentPersonalData, "v1", "site", t0)
				if err := users.Create(ctx, u); err != nil {
					t.Fatal(err)
				}
				before, err := users.ByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, users.Update(ctx, u.ID, func(u *models.User) error { return tt.change(u, other) }))

				after, err := users.ByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				assertUser(t, after, before)
				rows := consentRows(t, db, u.ID)
				if len(rows) != 1 {
					t.Fatalf("consent rows = %+v, want the 1 from before", rows)
				}
				assertConsent(t, 0, rows[0], before.Consents[0])
				if n := count(t, db, "user_roles", "user_id = ?", u.ID); n != 1 {
					t.Errorf("user_roles rows = %d, want 1", n)
				}
			})
		}
	})
}

func TestUsersUpdateUnknown(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		called := false
		err := repository.NewUsers(db).Update(context.Background(), models.NewID(), func(*models.User) error {
			called = true
			return nil
		})
		if !errors.Is(err, models.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
		if called {
			t.Error("callback called for a user that does not exist")
		}
	})
}
