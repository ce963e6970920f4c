package repository_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// crmNewLead returns an unsaved lead captured at now, with an anonymous id unique to it.
func crmNewLead(t *testing.T, now time.Time) *models.Lead {
	t.Helper()
	l, err := models.NewLead("site", models.UTM{Source: "yandex", Medium: "cpc"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AddIdentity(models.LeadIdentityKindAnonymousID, "anon-"+l.ID.String(), now); err != nil {
		t.Fatal(err)
	}
	return l
}

// crmCreateLead saves a new lead and returns it.
func crmCreateLead(t *testing.T, db *repository.DB, now time.Time) *models.Lead {
	t.Helper()
	l := crmNewLead(t, now)
	if err := repository.NewLeads(db).Create(context.Background(), l); err != nil {
		t.Fatalf("create lead: %v", err)
	}
	return l
}

// crmAssertLead compares every stored field of got with want; identities in load order
// (created_at, id).
func crmAssertLead(t *testing.T, got, want *models.Lead) {
	t.Helper()
	if got.ID != want.ID || got.Status != want.Status || got.Source != want.Source || got.UTM != want.UTM ||
		got.Notes != want.Notes || got.Version != want.Version {
		t.Errorf("lead = %+v\nwant %+v", got, want)
	}
	eqPtr(t, "UserID", got.UserID, want.UserID)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	assertUTC(t, "LastActivityAt", got.LastActivityAt, want.LastActivityAt)
	if len(got.Identities) != len(want.Identities) {
		t.Fatalf("identities = %+v\nwant %+v", got.Identities, want.Identities)
	}
	for i, w := range want.Identities {
		g := got.Identities[i]
		if g.ID != w.ID || g.LeadID != w.LeadID || g.Kind != w.Kind || g.Value != w.Value {
			t.Errorf("identity[%d] = %+v, want %+v", i, g, w)
		}
		assertUTC(t, fmt.Sprintf("identity[%d] CreatedAt", i), g.CreatedAt, w.CreatedAt)
	}
	if len(got.Events()) != 0 {
		t.Errorf("a loaded lead carries events %+v", got.Events())
	}
}

func TestLeadsRoundTrip(t *testing.T) {
	t.Parallel()
	// Given in +03:00 with microseconds (PostgreSQL's precision); must come back as UTC instants.
	created := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)

	tests := []struct {
		name string
		// lead builds the lead to save; userID is a saved user it may link to.
		lead func(userID uuid.UUID) *models.Lead
	}{
		{
			name: "every field",
			lead: func(userID uuid.UUID) *models.Lead {
				id := models.NewID()
				return &models.Lead{
					ID: id, Status: models.LeadStatusBooked, Source: "interactive",
					UTM:   models.UTM{Source: "telegram", Medium: "social", Campaign: "весна-2026", Content: "post \"1\"", Term: "тревога"},
					Notes: "Предпочитает вечер.\nПерезвонить после 18:00.", UserID: &userID, Version: 7,
					CreatedAt: created, UpdatedAt: created.Add(2 * time.Hour), LastActivityAt: created.Add(time.Hour),
					Identities: []models.LeadIdentity{
						{ID: models.NewID(), LeadID: id, Kind: models.LeadIdentityKindEmail, Value: "anna-" + id.String() + "@example.org", CreatedAt: created},
						{ID: models.NewID(), LeadID: id, Kind: models.LeadIdentityKindPhone, Value: "+7999" + fmt.Sprint(id.ClockSequence()%10000000+1000000), CreatedAt: created.Add(time.Minute)},
						{ID: models.NewID(), LeadID: id, Kind: models.LeadIdentityKindTelegram, Value: fmt.Sprint(id.ClockSequence() + 100000), CreatedAt: created.Add(2 * time.Minute)},
						{ID: models.NewID(), LeadID: id, Kind: models.LeadIdentityKindAnonymousID, Value: "anon-" + id.String(), CreatedAt: created.Add(3 * time.Minute)},
					},
				}
			},
		},
		{
			name: "new lead without identities, user or UTM",
			lead: func(uuid.UUID) *models.Lead {
				l, err := models.NewLead("admin", models.UTM{}, created)
				if err != nil {
					t.Fatal(err)
				}
				return l
			},
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		user := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				save := tt.lead(user.ID)
				want := *save
				if err := leads.Create(ctx, save); err != nil {
					t.Fatalf("Create: %v", err)
				}
				want.ClearEvents()
				got, err := leads.ByID(ctx, save.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				crmAssertLead(t, got, &want)
				for _, i := range want.Identities {
					got, err := leads.ByIdentity(ctx, i.Kind, i.Value)
					if err != nil {
						t.Fatalf("ByIdentity(%s): %v", i.Kind, err)
					}
					crmAssertLead(t, got, &want)
				}
			})
		}
	})
}

func TestLeadsByIdentityNormalizes(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		l := crmNewLead(t, t0)
		for _, id := range []struct {
			kind  models.LeadIdentityKind
			value string
		}{
			{models.LeadIdentityKindEmail, "Anna@Example.org"},
			{models.LeadIdentityKindPhone, "+7 999 123-45-67"},
			{models.LeadIdentityKindTelegram, "987654321"},
		} {
			if err := l.AddIdentity(id.kind, id.value, t0); err != nil {
				t.Fatal(err)
			}
		}
		if err := leads.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		other := crmCreateLead(t, db, t0) // holds another anonymous id

		tests := []struct {
			kind  models.LeadIdentityKind
			value string
			want  uuid.UUID
		}{
			{models.LeadIdentityKindEmail, "  ANNA@example.ORG", l.ID},
			{models.LeadIdentityKindPhone, "8 (999) 123 45 67", l.ID},
			{models.LeadIdentityKindTelegram, "0987654321", l.ID},
			{models.LeadIdentityKindAnonymousID, "anon-" + other.ID.String(), other.ID},
		}
		for _, tt := range tests {
			got, err := leads.ByIdentity(ctx, tt.kind, tt.value)
			if err != nil {
				t.Errorf("ByIdentity(%s, %q): %v", tt.kind, tt.value, err)
				continue
			}
			if got.ID != tt.want {
				t.Errorf("ByIdentity(%s, %q) = lead %s, want %s", tt.kind, tt.value, got.ID, tt.want)
			}
		}
		// The same value under another kind is not the same identity.
		if _, err := leads.ByIdentity(ctx, models.LeadIdentityKindAnonymousID, "987654321"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("telegram id looked up as an anonymous id: err = %v, want ErrNotFound", err)
		}
	})
}

func TestLeadsNotFound(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		crmCreateLead(t, db, t0) // the table is not empty

		tests := []struct {
			name string
			load func() (*models.Lead, error)
		}{
			{"ByID", func() (*models.Lead, error) { return leads.ByID(ctx, models.NewID()) }},
			{"ByIdentity", func() (*models.Lead, error) {
				return leads.ByIdentity(ctx, models.LeadIdentityKindEmail, "nobody@example.org")
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l, err := tt.load()
				if !errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
				if l != nil {
					t.Errorf("lead = %+v, want nil", l)
				}
			})
		}

		called := false
		err := leads.Update(ctx, models.NewID(), func(*models.Lead) error { called = true; return nil })
		if !errors.Is(err, models.ErrNotFound) || called {
			t.Errorf("Update of an unknown lead: err = %v, callback called %v", err, called)
		}
	})
}

func TestLeadsByIdentityRejectsInvalidValue(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		tests := []struct {
			kind  models.LeadIdentityKind
			value string
		}{
			{models.LeadIdentityKindEmail, "not-an-email"},
			{models.LeadIdentityKindTelegram, "@anna"},
			{"vk", "id1"},
		}
		for _, tt := range tests {
			l, err := repository.NewLeads(db).ByIdentity(context.Background(), tt.kind, tt.value)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || l != nil {
				t.Errorf("ByIdentity(%s, %q) = %v, %v; want a ValidationError", tt.kind, tt.value, l, err)
			}
		}
	})
}

func TestLeadsCreateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// spoil makes l collide with existing or refer to nothing.
		spoil            func(l, existing *models.Lead)
		kind             error
		postgres, sqlite string
	}{
		{
			name: "identity held by another lead",
			spoil: func(l, e *models.Lead) {
				_ = l.AddIdentity(e.Identities[0].Kind, e.Identities[0].Value, t0)
			},
			kind:     models.ErrConflict,
			postgres: "lead_identities_kind_value_key", sqlite: "lead_identities.kind, lead_identities.value",
		},
		{
			name:     "same id",
			spoil:    func(l, e *models.Lead) { l.ID = e.ID; l.Identities = nil },
			kind:     models.ErrConflict,
			postgres: "leads_pkey", sqlite: "leads.id",
		},
		{
			name:     "unknown user",
			spoil:    func(l, _ *models.Lead) { l.UserID = ptr(models.NewID()) },
			kind:     models.ErrInvalidReference,
			postgres: "leads_user_id_fkey",
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				existing := crmCreateLead(t, db, t0)
				l := crmNewLead(t, t0)
				tt.spoil(l, existing)
				err := leads.Create(ctx, l)
				assertConstraint(t, err, tt.kind, byDialect(db, tt.postgres, tt.sqlite))
				// The rejected lead left no trace; the existing one is untouched.
				if l.ID != existing.ID {
					if n := count(t, db, "leads", "id = ?", l.ID); n != 0 {
						t.Errorf("%d rows of the rejected lead", n)
					}
				}
				if n := count(t, db, "lead_identities", "lead_id = ?", l.ID); l.ID != existing.ID && n != 0 {
					t.Errorf("%d identities of the rejected lead", n)
				}
				got, err := leads.ByID(ctx, existing.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := *existing
				want.ClearEvents()
				crmAssertLead(t, got, &want)
			})
		}
	})
}

func TestLeadsCheckConstraints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(l *models.Lead)
	}{
		{"unknown status", func(l *models.Lead) { l.Status = "won" }},
		{"empty source", func(l *models.Lead) { l.Source = "" }},
		{"version zero", func(l *models.Lead) { l.Version = 0 }},
		{"unknown identity kind", func(l *models.Lead) { l.Identities[0].Kind = "vk" }},
		{"empty identity", func(l *models.Lead) { l.Identities[0].Value = "" }},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := crmNewLead(t, t0)
				tt.spoil(l)
				err := repository.NewLeads(db).Create(context.Background(), l)
				var ce *models.ConstraintError
				if err == nil || errors.As(err, &ce) {
					t.Errorf("err = %v, want a check violation", err)
				}
				if n := count(t, db, "leads", "id = ?", l.ID); n != 0 {
					t.Errorf("%d rows left", n)
				}
			})
		}
	})
}

func TestLeadsUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)

	tests := []struct {
		name   string
		change func(l *models.Lead, userID uuid.UUID) error
		check  func(t *testing.T, db *repository.DB, before, after *models.Lead, userID uuid.UUID)
	}{
		{
			name:   "move to booked",
			change: func(l *models.Lead, _ uuid.UUID) error { return l.MoveTo(models.LeadStatusBooked, t1) },
			check: func(t *testing.T, _ *repository.DB, before, after *models.Lead, _ uuid.UUID) {
				want := *before
				want.Status, want.UpdatedAt, want.LastActivityAt, want.Version = models.LeadStatusBooked, t1, t1, before.Version+1
				crmAssertLead(t, after, &want)
			},
		},
		{
			name: "add identities",
			change: func(l *models.Lead, _ uuid.UUID) error {
				if err := l.AddIdentity(models.LeadIdentityKindEmail, "New-"+l.ID.String()+"@Example.org", t1); err != nil {
					return err
				}
				return l.AddIdentity(models.LeadIdentityKindTelegram, "4242"+fmt.Sprint(l.ID.ClockSequence()), t1.Add(time.Minute))
			},
			check: func(t *testing.T, db *repository.DB, before, after *models.Lead, _ uuid.UUID) {
				if len(after.Identities) != 3 {
					t.Fatalf("identities = %+v, want 3", after.Identities)
				}
				if got := after.Identities[1]; got.Kind != models.LeadIdentityKindEmail || got.Value != "new-"+after.ID.String()+"@example.org" {
					t.Errorf("identity[1] = %+v", got)
				}
				assertUTC(t, "new identity CreatedAt", after.Identities[2].CreatedAt, t1.Add(time.Minute))
				if after.Version != before.Version+1 {
					t.Errorf("version %d, want %d", after.Version, before.Version+1)
				}
				if n := count(t, db, "lead_identities", "lead_id = ?", after.ID); n != 3 {
					t.Errorf("identity rows = %d, want 3", n)
				}
			},
		},
		{
			name:   "link user",
			change: func(l *models.Lead, userID uuid.UUID) error { return l.LinkUser(userID, t1) },
			check: func(t *testing.T, _ *repository.DB, before, after *models.Lead, userID uuid.UUID) {
				want := *before
				want.UserID, want.UpdatedAt, want.Version = &userID, t1, before.Version+1
				crmAssertLead(t, after, &want)
			},
		},
		{
			name: "notes and activity",
			change: func(l *models.Lead, _ uuid.UUID) error {
				l.Touch(t1.Add(time.Hour))
				return l.SetNotes("Звонок в среду", t1)
			},
			check: func(t *testing.T, _ *repository.DB, before, after *models.Lead, _ uuid.UUID) {
				want := *before
				want.Notes, want.UpdatedAt, want.LastActivityAt, want.Version = "Звонок в среду", t1, t1.Add(time.Hour), before.Version+1
				crmAssertLead(t, after, &want)
			},
		},
		{
			name:   "no change still bumps the version",
			change: func(*models.Lead, uuid.UUID) error { return nil },
			check: func(t *testing.T, _ *repository.DB, before, after *models.Lead, _ uuid.UUID) {
				want := *before
				want.Version = before.Version + 1
				crmAssertLead(t, after, &want)
			},
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		user := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := crmCreateLead(t, db, t0)
				before, err := leads.ByID(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if err := leads.Update(ctx, l.ID, func(l *models.Lead) error { return tt.change(l, user.ID) }); err != nil {
					t.Fatalf("Update: %v", err)
				}
				after, err := leads.ByID(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, db, before, after, user.ID)
			})
		}
	})
}

func TestLeadsUpdateRollsBack(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	errBoom := errors.New("boom")

	tests := []struct {
		name   string
		change func(l, other *models.Lead) error
		check  func(t *testing.T, db *repository.DB, err error)
	}{
		{
			name: "callback error",
			change: func(l, _ *models.Lead) error {
				_ = l.MoveTo(models.LeadStatusEngaged, t1)
				_ = l.AddIdentity(models.LeadIdentityKindEmail, "x-"+l.ID.String()+"@example.org", t1)
				return errBoom
			},
			check: func(t *testing.T, _ *repository.DB, err error) {
				if !errors.Is(err, errBoom) {
					t.Errorf("err = %v, want the callback's error", err)
				}
			},
		},
		{
			name: "invalid transition",
			change: func(l, _ *models.Lead) error {
				return l.MoveTo(models.LeadStatusClient, t1)
			},
			check: func(t *testing.T, _ *repository.DB, err error) {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Errorf("err = %v, want ErrInvalidTransition", err)
				}
			},
		},
		{
			name: "identity held by another lead, after the lead was written",
			change: func(l, other *models.Lead) error {
				_ = l.MoveTo(models.LeadStatusEngaged, t1)
				_ = l.AddIdentity(models.LeadIdentityKindEmail, "y-"+l.ID.String()+"@example.org", t1)
				return l.AddIdentity(other.Identities[0].Kind, other.Identities[0].Value, t1)
			},
			check: func(t *testing.T, db *repository.DB, err error) {
				assertConstraint(t, err, models.ErrConflict, byDialect(db, "lead_identities_kind_value_key", "lead_identities.kind, lead_identities.value"))
			},
		},
		{
			name:   "unknown user",
			change: func(l, _ *models.Lead) error { return l.LinkUser(models.NewID(), t1) },
			check: func(t *testing.T, db *repository.DB, err error) {
				assertConstraint(t, err, models.ErrInvalidReference, byDialect(db, "leads_user_id_fkey", ""))
			},
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				other := crmCreateLead(t, db, t0)
				l := crmCreateLead(t, db, t0)
				before, err := leads.ByID(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, db, leads.Update(ctx, l.ID, func(l *models.Lead) error { return tt.change(l, other) }))
				after, err := leads.ByID(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				crmAssertLead(t, after, before)
				if n := count(t, db, "lead_identities", "lead_id = ?", l.ID); n != 1 {
					t.Errorf("identity rows = %d, want 1", n)
				}
			})
		}
	})
}

func TestLeadsOptimisticLocking(t *testing.T) {
	t.Parallel()
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		l := crmCreateLead(t, db, t0)

		first, err := leads.ByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		second, err := leads.ByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.MoveTo(models.LeadStatusEngaged, t1); err != nil {
			t.Fatal(err)
		}
		if err := first.AddIdentity(models.LeadIdentityKindPhone, "+7999"+fmt.Sprint(1000000+l.ID.ClockSequence()), t1); err != nil {
			t.Fatal(err)
		}
		if err := leads.Save(ctx, first); err != nil {
			t.Fatalf("first save: %v", err)
		}
		if first.Version != 2 {
			t.Errorf("version after save = %d, want 2", first.Version)
		}

		if err := second.MoveTo(models.LeadStatusLost, t2); err != nil {
			t.Fatal(err)
		}
		if err := second.AddIdentity(models.LeadIdentityKindEmail, "late-"+l.ID.String()+"@example.org", t2); err != nil {
			t.Fatal(err)
		}
		err = leads.Save(ctx, second)
		assertConstraint(t, err, models.ErrConflict, "version")
		if second.Version != 1 {
			t.Errorf("losing save left version %d, want 1", second.Version)
		}

		got, err := leads.ByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		first.ClearEvents()
		crmAssertLead(t, got, first)

		// The loser reloads and tries again.
		err = leads.Update(ctx, l.ID, func(l *models.Lead) error { return l.MoveTo(models.LeadStatusLost, t2) })
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		got, err = leads.ByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.LeadStatusLost || got.Version != 3 || len(got.Identities) != 2 {
			t.Errorf("after retry: status %q, version %d, %d identities", got.Status, got.Version, len(got.Identities))
		}
	})
}

func TestLeadsSaveRestoresVersionOnIdentityConflict(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		other := crmCreateLead(t, db, t0)
		l := crmCreateLead(t, db, t0)
		loaded, err := leads.ByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := loaded.AddIdentity(other.Identities[0].Kind, other.Identities[0].Value, t0); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, leads.Save(ctx, loaded), models.ErrConflict, "")
		if loaded.Version != 1 {
			t.Errorf("version after a failed save = %d, want 1", loaded.Version)
		}
		// Without the clashing identity, the same loaded lead saves.
		loaded.Identities = loaded.Identities[:1]
		if err := leads.Save(ctx, loaded); err != nil || loaded.Version != 2 {
			t.Errorf("save: %v, version %d", err, loaded.Version)
		}
	})
}

func TestLeadsListByStatus(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		// Booked leads active at t0+1h, +3h, +2h, +2h (a tie, broken by id, newest first), plus
		// leads in other statuses.
		var booked []*models.Lead
		for _, h := range []int{1, 3, 2, 2} {
			l := crmNewLead(t, t0)
			if err := l.MoveTo(models.LeadStatusBooked, t0.Add(time.Duration(h)*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := l.AddIdentity(models.LeadIdentityKindEmail, "b-"+l.ID.String()+"@example.org", t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := leads.Create(ctx, l); err != nil {
				t.Fatal(err)
			}
			booked = append(booked, l)
		}
		crmCreateLead(t, db, t0.Add(5*time.Hour)) // new
		lost := crmNewLead(t, t0)
		_ = lost.MoveTo(models.LeadStatusLost, t0.Add(6*time.Hour))
		if err := leads.Create(ctx, lost); err != nil {
			t.Fatal(err)
		}
		wantOrder := []uuid.UUID{booked[1].ID, booked[3].ID, booked[2].ID, booked[0].ID}

		tests := []struct {
			name string
			page repository.Page
			want []uuid.UUID
		}{
			{"all", repository.Page{}, wantOrder},
			{"first page", repository.Page{Limit: 2}, wantOrder[:2]},
			{"second page", repository.Page{Limit: 2, Offset: 2}, wantOrder[2:]},
			{"past the end", repository.Page{Limit: 2, Offset: 4}, nil},
			{"negative offset is the start", repository.Page{Limit: 1, Offset: -3}, wantOrder[:1]},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := leads.ListByStatus(ctx, models.LeadStatusBooked, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				var ids []uuid.UUID
				for _, l := range got {
					ids = append(ids, l.ID)
					if len(l.Identities) != 2 || l.Identities[0].Kind != models.LeadIdentityKindAnonymousID || l.Identities[1].Kind != models.LeadIdentityKindEmail {
						t.Errorf("lead %s identities = %+v, want anonymous id then email", l.ID, l.Identities)
					}
					for _, i := range l.Identities {
						if i.LeadID != l.ID {
							t.Errorf("lead %s got identity of lead %s", l.ID, i.LeadID)
						}
					}
				}
				if !reflect.DeepEqual(ids, tt.want) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
			})
		}

		got, err := leads.ListByStatus(ctx, models.LeadStatusLost, repository.Page{})
		if err != nil || len(got) != 1 || got[0].ID != lost.ID {
			t.Errorf("lost leads = %+v, %v", got, err)
		}
		got, err = leads.ListByStatus(ctx, models.LeadStatusClient, repository.Page{})
		if err != nil || len(got) != 0 {
			t.Errorf("client leads = %+v, %v", got, err)
		}
	})
}

func TestLeadsListByStatusQueryCount(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		queries := func(status models.LeadStatus, n int) int {
			for range n {
				l := crmNewLead(t, t0)
				_ = l.MoveTo(status, t0.Add(time.Hour))
				_ = l.AddIdentity(models.LeadIdentityKindEmail, "q-"+l.ID.String()+"@example.org", t0)
				if err := leads.Create(ctx, l); err != nil {
					t.Fatal(err)
				}
			}
			q := testkit.CountQueries(t, db.Gorm)
			got, err := leads.ListByStatus(ctx, status, repository.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("listed %d leads, want %d", len(got), n)
			}
			for _, l := range got {
				if len(l.Identities) != 2 {
					t.Fatalf("lead %s has %d identities loaded, want 2", l.ID, len(l.Identities))
				}
			}
			return q.N()
		}
		one := queries(models.LeadStatusEngaged, 1)
		twenty := queries(models.LeadStatusBooked, 20)
		if one != twenty || one == 0 {
			t.Errorf("queries for 1 lead = %d, for 20 = %d; want equal", one, twenty)
		}
	})
}

func TestLeadsDeletion(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		timeline := repository.NewLeadTimeline(db)
		user := createStaff(t, db, t0)
		l := crmNewLead(t, t0)
		if err := l.LinkUser(user.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := leads.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		e, err := models.NewLeadTimelineEventFrom(l.ID, l.Events()[0], nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := timeline.Append(ctx, e); err != nil {
			t.Fatal(err)
		}

		// Erasing the user keeps the lead and its history, without the link.
		if err := db.Gorm.Exec("DELETE FROM users WHERE id = ?", user.ID).Error; err != nil {
			t.Fatalf("delete user: %v", err)
		}
		got, err := leads.ByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != nil {
			t.Errorf("UserID = %s after the user was deleted, want nil", got.UserID)
		}

		// Deleting the lead takes its identities and timeline with it.
		if err := db.Gorm.Exec("DELETE FROM leads WHERE id = ?", l.ID).Error; err != nil {
			t.Fatalf("delete lead: %v", err)
		}
		for _, table := range []string{"lead_identities", "lead_timeline_events"} {
			if n := count(t, db, table, "lead_id = ?", l.ID); n != 0 {
				t.Errorf("%s: %d rows of the deleted lead", table, n)
			}
		}
	})
}

func TestLeadTimelineAppend(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		timeline := repository.NewLeadTimeline(db)
		l := crmCreateLead(t, db, t0)
		other := crmCreateLead(t, db, t0)

		occurred := time.Date(2026, 3, 29, 4, 0, 0, 654321000, msk)
		src := models.NewID()
		full, err := models.NewLeadTimelineEvent(l.ID, "payment.succeeded", occurred, &src,
			map[string]any{"payment_id": "p-1", "amount_minor": float64(350000), "currency": "RUB", "refunded": false, "tags": []any{"first"}},
			t0.Add(time.Minute).In(msk))
		if err != nil {
			t.Fatal(err)
		}
		if err := timeline.Append(ctx, full); err != nil {
			t.Fatalf("Append: %v", err)
		}

		// The same source event again, as a subscriber that runs twice makes it: nothing new.
		dup, err := models.NewLeadTimelineEvent(l.ID, "payment.succeeded", occurred, &src, map[string]any{"payment_id": "p-1"}, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := timeline.Append(ctx, dup); err != nil {
			t.Errorf("second Append of one source event: %v, want nil", err)
		}
		if n := count(t, db, "lead_timeline_events", "source_event_id = ?", src); n != 1 {
			t.Errorf("rows of the source event = %d, want 1", n)
		}
		if n := count(t, db, "lead_timeline_events", "id = ?", dup.ID); n != 0 {
			t.Error("the duplicate was inserted")
		}

		// Entries without a source event never collide.
		var notes []*models.LeadTimelineEvent
		for i := range 2 {
			n, err := models.NewLeadTimelineEvent(l.ID, models.LeadTimelineKindNote, t0.Add(time.Duration(i)*time.Minute), nil, map[string]any{"text": "звонок"}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := timeline.Append(ctx, n); err != nil {
				t.Fatalf("Append note: %v", err)
			}
			notes = append(notes, n)
		}

		// Another lead's entry stays out of this lead's list.
		theirs, _ := models.NewLeadTimelineEvent(other.ID, models.LeadTimelineKindNote, t0, nil, nil, t0)
		if err := timeline.Append(ctx, theirs); err != nil {
			t.Fatal(err)
		}

		got, err := timeline.ListByLead(ctx, l.ID, repository.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].ID != notes[0].ID || got[1].ID != notes[1].ID || got[2].ID != full.ID {
			t.Fatalf("timeline = %+v, want the two notes then the payment", got)
		}
		g := got[2]
		if g.LeadID != l.ID || g.Kind != "payment.succeeded" || g.SourceEventID == nil || *g.SourceEventID != src || !reflect.DeepEqual(g.Data, full.Data) {
			t.Errorf("entry = %+v, want %+v", g, full)
		}
		assertUTC(t, "OccurredAt", g.OccurredAt, occurred)
		assertUTC(t, "CreatedAt", g.CreatedAt, t0.Add(time.Minute))
		if got[0].SourceEventID != nil || !reflect.DeepEqual(got[0].Data, map[string]any{"text": "звонок"}) {
			t.Errorf("note = %+v", got[0])
		}
		if theirs, err := timeline.ListByLead(ctx, other.ID, repository.Page{}); err != nil || len(theirs) != 1 || !reflect.DeepEqual(theirs[0].Data, map[string]any{}) {
			t.Errorf("other lead's timeline = %+v, %v", theirs, err)
		}

		page, err := timeline.ListByLead(ctx, l.ID, repository.Page{Limit: 2, Offset: 1})
		if err != nil || len(page) != 2 || page[0].ID != notes[1].ID || page[1].ID != full.ID {
			t.Errorf("page = %+v, %v", page, err)
		}
	})
}

func TestLeadTimelineRejects(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		timeline := repository.NewLeadTimeline(db)
		l := crmCreateLead(t, db, t0)

		e, _ := models.NewLeadTimelineEvent(models.NewID(), models.LeadTimelineKindNote, t0, nil, nil, t0)
		assertConstraint(t, timeline.Append(ctx, e), models.ErrInvalidReference, byDialect(db, "lead_timeline_events_lead_id_fkey", ""))

		// The same entry id twice is a conflict, not a silent no-op.
		e, _ = models.NewLeadTimelineEvent(l.ID, models.LeadTimelineKindNote, t0, nil, nil, t0)
		if err := timeline.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, timeline.Append(ctx, e), models.ErrConflict, "")

		// History is append-only.
		err := db.Gorm.Exec("UPDATE lead_timeline_events SET kind = 'edited' WHERE id = ?", e.ID).Error
		if err == nil {
			t.Error("a timeline entry was changed")
		}
		got, err := timeline.ListByLead(ctx, l.ID, repository.Page{})
		if err != nil || len(got) != 1 || got[0].Kind != models.LeadTimelineKindNote {
			t.Errorf("timeline = %+v, %v", got, err)
		}
	})
}

func TestLeadsJoinCallerTransaction(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		timeline := repository.NewLeadTimeline(db)
		l := crmNewLead(t, t0)
		errBoom := errors.New("boom")
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := leads.Create(ctx, l); err != nil {
				return err
			}
			e, err := models.NewLeadTimelineEventFrom(l.ID, l.Events()[0], nil, t0)
			if err != nil {
				return err
			}
			if err := timeline.Append(ctx, e); err != nil {
				return err
			}
			if _, err := leads.ByIdentity(ctx, models.LeadIdentityKindAnonymousID, "anon-"+l.ID.String()); err != nil {
				return fmt.Errorf("read own write: %w", err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("err = %v, want the callback's", err)
		}
		for _, q := range []struct{ table, where string }{{"leads", "id = ?"}, {"lead_identities", "lead_id = ?"}, {"lead_timeline_events", "lead_id = ?"}} {
			if n := count(t, db, q.table, q.where, l.ID); n != 0 {
				t.Errorf("%s: %d rows survived the rollback", q.table, n)
			}
		}
	})
}

// Every CRM store method reports a failing database as an error with context, never as "not
// found" and never as success.
func TestCRMStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		leads := repository.NewLeads(db)
		timeline := repository.NewLeadTimeline(db)
		l := crmCreateLead(t, db, t0)
		loaded, err := leads.ByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		e, err := models.NewLeadTimelineEvent(l.ID, models.LeadTimelineKindNote, t0, nil, nil, t0)
		if err != nil {
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
			{"Leads.Create", func() error { return leads.Create(ctx, crmNewLead(t, t0)) }, ""},
			{"Leads.ByID", func() error { _, err := leads.ByID(ctx, l.ID); return err }, "lead " + l.ID.String()},
			{"Leads.ByIdentity", func() error {
				_, err := leads.ByIdentity(ctx, models.LeadIdentityKindEmail, "anna@example.org")
				return err
			}, "lead by email"},
			{"Leads.ListByStatus", func() error { _, err := leads.ListByStatus(ctx, models.LeadStatusNew, repository.Page{}); return err }, "list new leads"},
			{"Leads.Save", func() error { return leads.Save(ctx, loaded) }, ""},
			{"Leads.Update", func() error { return leads.Update(ctx, l.ID, func(*models.Lead) error { return nil }) }, ""},
			{"LeadTimeline.Append", func() error { return timeline.Append(ctx, e) }, "append note to lead " + l.ID.String()},
			{"LeadTimeline.ListByLead", func() error { _, err := timeline.ListByLead(ctx, l.ID, repository.Page{}); return err }, "lead " + l.ID.String() + " timeline"},
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
		if loaded.Version != 1 {
			t.Errorf("failed Save left version %d, want 1", loaded.Version)
		}
	})
}
