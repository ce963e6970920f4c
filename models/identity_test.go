package models_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
)

// t0 is an arbitrary fixed moment; tests never read the wall clock for domain logic.
var t0 = time.Date(2025, time.March, 30, 1, 30, 0, 0, time.UTC)

const hash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"

func staff(t *testing.T, role models.Role) *models.User {
	t.Helper()
	u, err := models.NewStaffUser("owner@example.org", "Anna", role, hash, t0)
	if err != nil {
		t.Fatalf("NewStaffUser: %v", err)
	}
	return u
}

// snapshot copies the parts of u that methods may change, deeply enough that a later change
// to u does not show in the copy.
func snapshot(u *models.User) models.User {
	c := *u
	c.Roles = slices.Clone(u.Roles)
	c.Consents = slices.Clone(u.Consents)
	for i, consent := range c.Consents {
		if consent.RevokedAt != nil {
			at := *consent.RevokedAt
			c.Consents[i].RevokedAt = &at
		}
	}
	if u.PasswordHash != nil {
		h := *u.PasswordHash
		c.PasswordHash = &h
	}
	return c
}

func TestNewID(t *testing.T) {
	t.Parallel()
	prev := models.NewID()
	for range 100 {
		id := models.NewID()
		if id.Version() != 7 {
			t.Fatalf("NewID() = %s, version %d, want 7", id, id.Version())
		}
		// v7 IDs from one process are strictly increasing, which keeps B-tree inserts at the end.
		if bytes.Compare(id[:], prev[:]) <= 0 {
			t.Fatalf("NewID() = %s is not after %s", id, prev)
		}
		prev = id
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    models.Role
		ok      bool
		isStaff bool
	}{
		{"owner", models.RoleOwner, true, true},
		{"assistant", models.RoleAssistant, true, true},
		{"editor", models.RoleEditor, true, true},
		{"client", models.RoleClient, true, false},
		{"", "", false, false},
		{"Owner", "", false, false},
		{"admin", "", false, false},
		{" owner", "", false, false},
	}
	for _, tt := range tests {
		got, err := models.ParseRole(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("ParseRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		} else {
			if got != "" {
				t.Errorf("ParseRole(%q) = %q along with the error", tt.in, got)
			}
			ve := wantValidationError(t, err, "role")
			if !strings.Contains(ve.Message, "owner, assistant, editor, client") {
				t.Errorf("ParseRole(%q) message %q does not list the roles", tt.in, ve.Message)
			}
		}
		if is := models.Role(tt.in).IsStaff(); is != tt.isStaff {
			t.Errorf("Role(%q).IsStaff() = %v, want %v", tt.in, is, tt.isStaff)
		}
	}
}

func TestNewStaffUser(t *testing.T) {
	t.Parallel()
	for _, role := range models.StaffRoles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			u, err := models.NewStaffUser("anna@example.org", "Anna", role, hash, t0)
			if err != nil {
				t.Fatalf("NewStaffUser: %v", err)
			}
			if u.ID == uuid.Nil || u.ID.Version() != 7 {
				t.Errorf("ID = %s (version %d), want a UUID v7", u.ID, u.ID.Version())
			}
			if u.Email == nil || *u.Email != "anna@example.org" {
				t.Errorf("Email = %v", u.Email)
			}
			if u.PasswordHash == nil || *u.PasswordHash != hash {
				t.Errorf("PasswordHash = %v", u.PasswordHash)
			}
			if u.DisplayName != "Anna" || u.Status != models.UserActive {
				t.Errorf("DisplayName %q, Status %q", u.DisplayName, u.Status)
			}
			if !u.CreatedAt.Equal(t0) || !u.UpdatedAt.Equal(t0) {
				t.Errorf("CreatedAt %v, UpdatedAt %v, want %v", u.CreatedAt, u.UpdatedAt, t0)
			}
			if u.DeletedAt.Valid || u.Phone != nil || u.TelegramUserID != nil || len(u.Consents) != 0 {
				t.Errorf("unexpected fields set: %+v", u)
			}
			want := []models.UserRole{{UserID: u.ID, Role: role, GrantedAt: t0}}
			if !reflect.DeepEqual(u.Roles, want) {
				t.Errorf("Roles = %+v, want %+v", u.Roles, want)
			}
			if err := u.CanSignIn(); err != nil {
				t.Errorf("new staff user cannot sign in: %v", err)
			}
		})
	}
}

func TestNewStaffUserRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		role  models.Role
		hash  string
		field string
	}{
		{"client role", models.RoleClient, hash, "role"},
		{"empty role", "", hash, "role"},
		{"unknown role", "admin", hash, "role"},
		{"empty hash", models.RoleOwner, "", "password"},
		{"client role and empty hash", models.RoleClient, "", "role"},
	}
	for _, tt := range tests {
		u, err := models.NewStaffUser("anna@example.org", "Anna", tt.role, tt.hash, t0)
		if u != nil {
			t.Errorf("%s: returned a user along with the error", tt.name)
		}
		wantValidationError(t, err, tt.field)
	}
}

func TestNewUsersGetDistinctIDs(t *testing.T) {
	t.Parallel()
	a, b := staff(t, models.RoleOwner), models.NewClientUser("c@example.org", "C", t0)
	if a.ID == b.ID {
		t.Fatalf("two users share ID %s", a.ID)
	}
}

func TestNewClientUser(t *testing.T) {
	t.Parallel()
	u := models.NewClientUser("client@example.org", "Client", t0)
	if u.ID.Version() != 7 {
		t.Errorf("ID version %d, want 7", u.ID.Version())
	}
	if u.Email == nil || *u.Email != "client@example.org" {
		t.Errorf("Email = %v", u.Email)
	}
	if u.PasswordHash != nil {
		t.Errorf("client has a password hash %q", *u.PasswordHash)
	}
	if u.Status != models.UserActive || !u.CreatedAt.Equal(t0) || !u.UpdatedAt.Equal(t0) || u.DisplayName != "Client" {
		t.Errorf("unexpected user %+v", u)
	}
	want := []models.UserRole{{UserID: u.ID, Role: models.RoleClient, GrantedAt: t0}}
	if !reflect.DeepEqual(u.Roles, want) {
		t.Errorf("Roles = %+v, want %+v", u.Roles, want)
	}
}

func TestHasRoleAndRoleNames(t *testing.T) {
	t.Parallel()
	u := staff(t, models.RoleOwner)
	for i, r := range []models.Role{models.RoleEditor, models.RoleClient, models.RoleAssistant} {
		if err := u.GrantRole(r, t0.Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatalf("GrantRole(%s): %v", r, err)
		}
	}
	want := []models.Role{models.RoleAssistant, models.RoleClient, models.RoleEditor, models.RoleOwner}
	if got := u.RoleNames(); !slices.Equal(got, want) {
		t.Errorf("RoleNames() = %v, want %v (sorted)", got, want)
	}

	editor := staff(t, models.RoleEditor)
	tests := []struct {
		roles []models.Role
		want  bool
	}{
		{[]models.Role{models.RoleEditor}, true},
		{[]models.Role{models.RoleOwner, models.RoleEditor}, true},
		{models.StaffRoles, true},
		{[]models.Role{models.RoleOwner}, false},
		{[]models.Role{models.RoleClient, models.RoleAssistant}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := editor.HasRole(tt.roles...); got != tt.want {
			t.Errorf("editor.HasRole(%v) = %v, want %v", tt.roles, got, tt.want)
		}
	}

	var empty models.User
	if got := empty.RoleNames(); got == nil || len(got) != 0 {
		t.Errorf("RoleNames() of a user without roles = %#v, want empty", got)
	}
}

func TestGrantRole(t *testing.T) {
	t.Parallel()
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)

	u := staff(t, models.RoleOwner)
	if err := u.GrantRole(models.RoleEditor, t1); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	want := []models.UserRole{
		{UserID: u.ID, Role: models.RoleOwner, GrantedAt: t0},
		{UserID: u.ID, Role: models.RoleEditor, GrantedAt: t1},
	}
	if !reflect.DeepEqual(u.Roles, want) || !u.UpdatedAt.Equal(t1) {
		t.Fatalf("after grant: Roles %+v, UpdatedAt %v", u.Roles, u.UpdatedAt)
	}

	// Granting a held role again is a no-op: no duplicate row, no new timestamp.
	before := snapshot(u)
	if err := u.GrantRole(models.RoleEditor, t2); err != nil {
		t.Fatalf("second GrantRole: %v", err)
	}
	if !reflect.DeepEqual(*u, before) {
		t.Errorf("granting a held role changed the user:\n got %+v\nwant %+v", *u, before)
	}

	// A blocked user keeps being managed.
	if err := u.Block(t2); err != nil {
		t.Fatal(err)
	}
	if err := u.GrantRole(models.RoleAssistant, t2); err != nil || !u.HasRole(models.RoleAssistant) {
		t.Errorf("GrantRole on blocked user: %v", err)
	}

	// A deleted one does not.
	if err := u.MarkDeleted(t2); err != nil {
		t.Fatal(err)
	}
	before = snapshot(u)
	err := u.GrantRole(models.RoleClient, t2.Add(time.Hour))
	if !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("GrantRole on deleted user = %v, want ErrInvalidTransition", err)
	}
	if !reflect.DeepEqual(*u, before) {
		t.Errorf("refused GrantRole changed the user")
	}
}

func TestSetPasswordHash(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	u := models.NewClientUser("client@example.org", "Client", t0)

	before := snapshot(u)
	wantValidationError(t, u.SetPasswordHash("", t1), "password")
	if !reflect.DeepEqual(*u, before) {
		t.Errorf("refused SetPasswordHash changed the user")
	}

	if err := u.SetPasswordHash("new-hash", t1); err != nil {
		t.Fatalf("SetPasswordHash: %v", err)
	}
	if u.PasswordHash == nil || *u.PasswordHash != "new-hash" || !u.UpdatedAt.Equal(t1) {
		t.Errorf("PasswordHash %v, UpdatedAt %v", u.PasswordHash, u.UpdatedAt)
	}
}

func TestCanSignIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user func(t *testing.T) *models.User
		want error
	}{
		{"active owner", func(t *testing.T) *models.User { return staff(t, models.RoleOwner) }, nil},
		{"active editor", func(t *testing.T) *models.User { return staff(t, models.RoleEditor) }, nil},
		{"blocked staff", func(t *testing.T) *models.User {
			u := staff(t, models.RoleOwner)
			mustDo(t, u.Block(t0))
			return u
		}, models.ErrAccountDisabled},
		{"deleted staff", func(t *testing.T) *models.User {
			u := staff(t, models.RoleOwner)
			mustDo(t, u.MarkDeleted(t0))
			return u
		}, models.ErrAccountDisabled},
		{"blocked client: status is checked first", func(t *testing.T) *models.User {
			u := models.NewClientUser("c@example.org", "C", t0)
			mustDo(t, u.Block(t0))
			return u
		}, models.ErrAccountDisabled},
		{"client without password", func(t *testing.T) *models.User {
			return models.NewClientUser("c@example.org", "C", t0)
		}, models.ErrInvalidCredentials},
		{"client with a password is still no staff", func(t *testing.T) *models.User {
			u := models.NewClientUser("c@example.org", "C", t0)
			mustDo(t, u.SetPasswordHash(hash, t0))
			return u
		}, models.ErrInvalidCredentials},
		{"staff without password", func(t *testing.T) *models.User {
			u := staff(t, models.RoleAssistant)
			u.PasswordHash = nil
			return u
		}, models.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.user(t).CanSignIn()
			if tt.want == nil {
				if err != nil {
					t.Errorf("CanSignIn() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("CanSignIn() = %v, want %v", err, tt.want)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatusTransitions(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(24 * time.Hour)
	actions := map[string]func(*models.User, time.Time) error{
		"Block":       (*models.User).Block,
		"Unblock":     (*models.User).Unblock,
		"MarkDeleted": (*models.User).MarkDeleted,
	}
	// into puts a fresh user into status s through the public methods.
	into := func(t *testing.T, s models.UserStatus) *models.User {
		u := staff(t, models.RoleOwner)
		switch s {
		case models.UserBlocked:
			mustDo(t, u.Block(t0))
		case models.UserDeleted:
			mustDo(t, u.MarkDeleted(t0))
		}
		if u.Status != s {
			t.Fatalf("could not reach status %s", s)
		}
		return u
	}
	tests := []struct {
		from   models.UserStatus
		action string
		to     models.UserStatus // empty: the transition is illegal
	}{
		{models.UserActive, "Block", models.UserBlocked},
		{models.UserActive, "Unblock", ""},
		{models.UserActive, "MarkDeleted", models.UserDeleted},
		{models.UserBlocked, "Block", ""},
		{models.UserBlocked, "Unblock", models.UserActive},
		{models.UserBlocked, "MarkDeleted", models.UserDeleted},
		{models.UserDeleted, "Block", ""},
		{models.UserDeleted, "Unblock", ""},
		{models.UserDeleted, "MarkDeleted", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+" "+tt.action, func(t *testing.T) {
			t.Parallel()
			u := into(t, tt.from)
			before := snapshot(u)

			err := actions[tt.action](u, t1)

			if tt.to == "" {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Fatalf("%s from %s = %v, want ErrInvalidTransition", tt.action, tt.from, err)
				}
				if !reflect.DeepEqual(*u, before) {
					t.Errorf("illegal %s changed the user:\n got %+v\nwant %+v", tt.action, *u, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s from %s: %v", tt.action, tt.from, err)
			}
			if u.Status != tt.to || !u.UpdatedAt.Equal(t1) {
				t.Errorf("Status %s, UpdatedAt %v; want %s at %v", u.Status, u.UpdatedAt, tt.to, t1)
			}
			wantDeleted := tt.to == models.UserDeleted
			if u.DeletedAt.Valid != wantDeleted || (wantDeleted && !u.DeletedAt.Time.Equal(t1)) {
				t.Errorf("DeletedAt = %+v, want valid=%v at %v", u.DeletedAt, wantDeleted, t1)
			}
		})
	}
}

func TestParseConsentType(t *testing.T) {
	t.Parallel()
	valid := []models.ConsentType{
		models.ConsentPersonalData, models.ConsentCommunications, models.ConsentTelegram, models.ConsentReviewPublication,
	}
	for _, want := range valid {
		if got, err := models.ParseConsentType(string(want)); err != nil || got != want {
			t.Errorf("ParseConsentType(%q) = %q, %v", want, got, err)
		}
	}
	for _, in := range []string{"", "PERSONAL_DATA", "marketing", "personal data"} {
		got, err := models.ParseConsentType(in)
		if got != "" {
			t.Errorf("ParseConsentType(%q) = %q along with the error", in, got)
		}
		wantValidationError(t, err, "consent_type")
	}
}

func TestGrantConsent(t *testing.T) {
	t.Parallel()
	t1, t2, t3 := t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	u := models.NewClientUser("c@example.org", "C", t0)

	if got := u.ActiveConsent(models.ConsentPersonalData); got != nil {
		t.Fatalf("ActiveConsent before any grant = %+v", got)
	}

	mustDo(t, u.GrantConsent(models.ConsentPersonalData, "v1", "booking-form", t1))
	if len(u.Consents) != 1 {
		t.Fatalf("Consents = %+v, want one row", u.Consents)
	}
	first := u.Consents[0]
	if first.ID.Version() != 7 || first.UserID != u.ID || first.Type != models.ConsentPersonalData ||
		!first.Granted || first.Version != "v1" || first.Source != "booking-form" ||
		!first.GrantedAt.Equal(t1) || first.RevokedAt != nil || !first.Active() {
		t.Errorf("first consent = %+v", first)
	}
	if got := u.ActiveConsent(models.ConsentPersonalData); got == nil || got.ID != first.ID {
		t.Errorf("ActiveConsent = %+v, want the first grant", got)
	}

	// Agreeing again to the version in force changes nothing, whatever the source.
	before := snapshot(u)
	mustDo(t, u.GrantConsent(models.ConsentPersonalData, "v1", "account-page", t2))
	if !reflect.DeepEqual(*u, before) {
		t.Errorf("re-granting the same version changed the user:\n got %+v\nwant %+v", u.Consents, before.Consents)
	}

	// A new version revokes the old grant and appends a new active one.
	mustDo(t, u.GrantConsent(models.ConsentPersonalData, "v2", "account-page", t3))
	if len(u.Consents) != 2 {
		t.Fatalf("Consents = %+v, want two rows", u.Consents)
	}
	old, cur := u.Consents[0], u.Consents[1]
	if old.ID != first.ID || old.RevokedAt == nil || !old.RevokedAt.Equal(t3) || old.Active() {
		t.Errorf("old grant = %+v, want revoked at %v", old, t3)
	}
	if cur.Version != "v2" || cur.Source != "account-page" || !cur.GrantedAt.Equal(t3) || !cur.Active() || cur.ID == old.ID {
		t.Errorf("new grant = %+v", cur)
	}
	if got := u.ActiveConsent(models.ConsentPersonalData); got == nil || got.ID != cur.ID {
		t.Errorf("ActiveConsent = %+v, want the v2 grant", got)
	}
}

func TestGrantConsentRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, source, field string
	}{
		{"", "booking-form", "version"},
		{"v1", "", "source"},
		{"", "", "version"},
	}
	for _, tt := range tests {
		u := models.NewClientUser("c@example.org", "C", t0)
		wantValidationError(t, u.GrantConsent(models.ConsentTelegram, tt.version, tt.source, t0), tt.field)
		if len(u.Consents) != 0 {
			t.Errorf("GrantConsent(%q, %q) appended %+v", tt.version, tt.source, u.Consents)
		}
	}
}

func TestGrantConsentRefusesUnknownTypeAndDeletedUser(t *testing.T) {
	t.Parallel()
	u := models.NewClientUser("c@example.org", "C", t0)
	wantValidationError(t, u.GrantConsent("marketing_spam", "v1", "web", t0), "consent_type")
	if err := u.MarkDeleted(t0); err != nil {
		t.Fatal(err)
	}
	if err := u.GrantConsent(models.ConsentTelegram, "v1", "web", t0); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("grant to deleted user: %v", err)
	}
	if len(u.Consents) != 0 {
		t.Errorf("consents appended: %+v", u.Consents)
	}
}

func TestConsentChangesTouchUser(t *testing.T) {
	t.Parallel()
	u := models.NewClientUser("c@example.org", "C", t0)
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	if err := u.GrantConsent(models.ConsentTelegram, "v1", "web", t1); err != nil || !u.UpdatedAt.Equal(t1) {
		t.Errorf("after grant: UpdatedAt %v, err %v", u.UpdatedAt, err)
	}
	if err := u.RevokeConsent(models.ConsentTelegram, t2); err != nil || !u.UpdatedAt.Equal(t2) {
		t.Errorf("after revoke: UpdatedAt %v, err %v", u.UpdatedAt, err)
	}
}

func TestConsentTypesAreIndependent(t *testing.T) {
	t.Parallel()
	u := models.NewClientUser("c@example.org", "C", t0)
	mustDo(t, u.GrantConsent(models.ConsentPersonalData, "v1", "form", t0))
	mustDo(t, u.GrantConsent(models.ConsentTelegram, "v1", "bot", t0))
	mustDo(t, u.RevokeConsent(models.ConsentTelegram, t0.Add(time.Hour)))

	if u.ActiveConsent(models.ConsentTelegram) != nil {
		t.Error("telegram consent still active after revoke")
	}
	if got := u.ActiveConsent(models.ConsentPersonalData); got == nil || got.Version != "v1" {
		t.Errorf("revoking telegram touched personal data: %+v", got)
	}
	if got := u.ActiveConsent(models.ConsentCommunications); got != nil {
		t.Errorf("never-granted type is active: %+v", got)
	}
}

func TestRevokeConsent(t *testing.T) {
	t.Parallel()
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	u := models.NewClientUser("c@example.org", "C", t0)

	if err := u.RevokeConsent(models.ConsentCommunications, t1); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("RevokeConsent with nothing granted = %v, want ErrInvalidTransition", err)
	}
	if len(u.Consents) != 0 {
		t.Errorf("refused revoke appended %+v", u.Consents)
	}

	mustDo(t, u.GrantConsent(models.ConsentCommunications, "v1", "form", t0))
	mustDo(t, u.RevokeConsent(models.ConsentCommunications, t1))
	if c := u.Consents[0]; c.RevokedAt == nil || !c.RevokedAt.Equal(t1) || c.Active() {
		t.Errorf("after revoke: %+v", c)
	}

	// Revoking twice is refused and keeps the first revocation time.
	before := snapshot(u)
	if err := u.RevokeConsent(models.ConsentCommunications, t2); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("second RevokeConsent = %v, want ErrInvalidTransition", err)
	}
	if !reflect.DeepEqual(*u, before) {
		t.Errorf("refused revoke changed the user")
	}
}

// TestConsentHistoryIsAppendOnly runs a sequence of decisions and checks after each that no row
// disappeared and that old rows changed at most by being revoked once.
func TestConsentHistoryIsAppendOnly(t *testing.T) {
	t.Parallel()
	u := models.NewClientUser("c@example.org", "C", t0)
	steps := []struct {
		name    string
		do      func(now time.Time) error
		wantErr error
		rows    int
	}{
		{"grant v1", func(now time.Time) error { return u.GrantConsent(models.ConsentPersonalData, "v1", "form", now) }, nil, 1},
		{"grant v1 again", func(now time.Time) error { return u.GrantConsent(models.ConsentPersonalData, "v1", "form", now) }, nil, 1},
		{"grant v2", func(now time.Time) error { return u.GrantConsent(models.ConsentPersonalData, "v2", "form", now) }, nil, 2},
		{"revoke", func(now time.Time) error { return u.RevokeConsent(models.ConsentPersonalData, now) }, nil, 2},
		{"revoke again", func(now time.Time) error { return u.RevokeConsent(models.ConsentPersonalData, now) }, models.ErrInvalidTransition, 2},
		{"grant v2 after revoke", func(now time.Time) error { return u.GrantConsent(models.ConsentPersonalData, "v2", "form", now) }, nil, 3},
		{"grant another type", func(now time.Time) error { return u.GrantConsent(models.ConsentReviewPublication, "v1", "review", now) }, nil, 4},
		{"grant v3", func(now time.Time) error { return u.GrantConsent(models.ConsentPersonalData, "v3", "form", now) }, nil, 5},
	}
	now := t0
	for _, st := range steps {
		now = now.Add(time.Hour)
		before := snapshot(u).Consents

		err := st.do(now)

		if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
			t.Fatalf("%s: error %v, want %v", st.name, err, st.wantErr)
		}
		if len(u.Consents) != st.rows {
			t.Fatalf("%s: %d rows, want %d", st.name, len(u.Consents), st.rows)
		}
		for i, old := range before {
			got := u.Consents[i]
			if old.RevokedAt == nil && got.RevokedAt != nil {
				if !got.RevokedAt.Equal(now) {
					t.Errorf("%s: row %d revoked at %v, want %v", st.name, i, got.RevokedAt, now)
				}
				got.RevokedAt = nil // the one change allowed
			}
			if !reflect.DeepEqual(got, old) {
				t.Errorf("%s: row %d changed:\n got %+v\nwant %+v", st.name, i, u.Consents[i], old)
			}
		}
		// At most one active grant per type at any time.
		active := map[models.ConsentType]int{}
		for _, c := range u.Consents {
			if c.Active() {
				active[c.Type]++
			}
		}
		for typ, n := range active {
			if n > 1 {
				t.Errorf("%s: %d active %s grants", st.name, n, typ)
			}
		}
	}
	if got := u.ActiveConsent(models.ConsentPersonalData); got == nil || got.Version != "v3" {
		t.Errorf("final ActiveConsent = %+v, want v3", got)
	}
}

func TestConsentActive(t *testing.T) {
	t.Parallel()
	at := t0
	tests := []struct {
		name string
		c    models.Consent
		want bool
	}{
		{"granted", models.Consent{Granted: true}, true},
		{"granted then revoked", models.Consent{Granted: true, RevokedAt: &at}, false},
		{"refused", models.Consent{Granted: false}, false},
	}
	for _, tt := range tests {
		if got := tt.c.Active(); got != tt.want {
			t.Errorf("%s: Active() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewSession(t *testing.T) {
	t.Parallel()
	userID := models.NewID()
	s := models.NewSession(userID, "sha256-of-token", 12*time.Hour, "Mozilla/5.0", "203.0.113.7", t0)

	if s.ID.Version() != 7 || s.ID == userID {
		t.Errorf("ID = %s", s.ID)
	}
	want := models.Session{
		ID: s.ID, UserID: userID, TokenHash: "sha256-of-token",
		CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour), LastSeenAt: t0,
		UserAgent: "Mozilla/5.0", IP: "203.0.113.7", Kind: models.SessionStaff,
	}
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("NewSession =\n %+v\nwant\n %+v", *s, want)
	}
}

func TestNewSessionTruncatesUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ua      string
		wantLen int
	}{
		{"short", "curl/8.0", 8},
		{"exactly 512 bytes", strings.Repeat("a", 512), 512},
		{"513 bytes", strings.Repeat("a", 513), 512},
		{"2-byte rune across the limit", strings.Repeat("a", 511) + "é" + "tail", 511},
		{"3-byte runes", strings.Repeat("€", 200), 510},
		{"4-byte rune across the limit", "a" + strings.Repeat("😀", 200), 509},
		{"4-byte runes ending on the limit", strings.Repeat("😀", 200), 512},
		{"cyrillic", strings.Repeat("я", 300), 512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := models.NewSession(models.NewID(), "h", time.Hour, tt.ua, "", t0)
			got := s.UserAgent
			if len(got) != tt.wantLen {
				t.Errorf("len(UserAgent) = %d, want %d", len(got), tt.wantLen)
			}
			if !strings.HasPrefix(tt.ua, got) {
				t.Errorf("UserAgent is not a prefix of the input")
			}
			if !utf8.ValidString(got) {
				t.Errorf("UserAgent was cut inside a rune: %q", got[max(0, len(got)-4):])
			}
		})
	}
}

func TestSessionCheck(t *testing.T) {
	t.Parallel()
	const (
		ttl  = 12 * time.Hour
		idle = 2 * time.Hour
	)
	expires := t0.Add(ttl)
	tests := []struct {
		name     string
		lastSeen time.Time // zero: t0
		revoke   bool
		now      time.Time
		wantErr  string // empty: valid; otherwise a word of the reason
	}{
		{"fresh", time.Time{}, false, t0, ""},
		{"just before idle timeout", time.Time{}, false, t0.Add(idle - time.Nanosecond), ""},
		{"exactly at idle timeout", time.Time{}, false, t0.Add(idle), "idle"},
		{"long idle", time.Time{}, false, t0.Add(idle + time.Hour), "idle"},
		{"active, just before expiry", expires.Add(-time.Minute), false, expires.Add(-time.Nanosecond), ""},
		{"active, exactly at expiry", expires.Add(-time.Minute), false, expires, "expired"},
		{"active, after expiry", expires.Add(-time.Minute), false, expires.Add(time.Second), "expired"},
		{"revoked", time.Time{}, true, t0.Add(time.Minute), "revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := models.NewSession(models.NewID(), "h", ttl, "", "", t0)
			if !tt.lastSeen.IsZero() {
				if !s.Touch(tt.lastSeen) {
					t.Fatalf("Touch(%v) did not move LastSeenAt", tt.lastSeen)
				}
			}
			if tt.revoke {
				s.Revoke(t0)
			}

			err := s.Check(tt.now, idle)

			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, models.ErrUnauthenticated) {
				t.Fatalf("Check = %v, want ErrUnauthenticated", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Check = %q, want the %q reason", err, tt.wantErr)
			}
		})
	}
}

func TestSessionTouch(t *testing.T) {
	t.Parallel()
	s := models.NewSession(models.NewID(), "h", time.Hour, "", "", t0)
	steps := []struct {
		at       time.Time
		want     bool
		lastSeen time.Time
	}{
		{t0.Add(time.Second), false, t0},
		{t0.Add(time.Minute - time.Nanosecond), false, t0},
		{t0.Add(time.Minute), true, t0.Add(time.Minute)},
		{t0.Add(time.Minute + 30*time.Second), false, t0.Add(time.Minute)},
		{t0.Add(5 * time.Minute), true, t0.Add(5 * time.Minute)},
	}
	for _, st := range steps {
		if got := s.Touch(st.at); got != st.want {
			t.Errorf("Touch(t0+%v) = %v, want %v", st.at.Sub(t0), got, st.want)
		}
		if !s.LastSeenAt.Equal(st.lastSeen) {
			t.Errorf("after Touch(t0+%v): LastSeenAt = t0+%v, want t0+%v", st.at.Sub(t0), s.LastSeenAt.Sub(t0), st.lastSeen.Sub(t0))
		}
	}
}

func TestSessionRevoke(t *testing.T) {
	t.Parallel()
	t1, t2 := t0.Add(time.Minute), t0.Add(time.Hour)
	s := models.NewSession(models.NewID(), "h", time.Hour, "", "", t0)

	s.Revoke(t1)
	if s.RevokedAt == nil || !s.RevokedAt.Equal(t1) {
		t.Fatalf("RevokedAt = %v, want %v", s.RevokedAt, t1)
	}
	s.Revoke(t2)
	if !s.RevokedAt.Equal(t1) {
		t.Errorf("second Revoke moved RevokedAt to %v, want it kept at %v", s.RevokedAt, t1)
	}
	if err := s.Check(t1, time.Hour); !errors.Is(err, models.ErrUnauthenticated) {
		t.Errorf("Check after Revoke = %v", err)
	}
}

func TestConsentChangesRecordEvents(t *testing.T) {
	t.Parallel()
	u := models.NewClientUser("c@example.org", "C", t0)
	mustDo(t, u.GrantConsent(models.ConsentTelegram, "v1", "bot", t0))
	mustDo(t, u.GrantConsent(models.ConsentTelegram, "v1", "bot", t0)) // same version: no change, no event
	mustDo(t, u.RevokeConsent(models.ConsentTelegram, t0.Add(time.Hour)))
	events := u.Events()
	if len(events) != 2 {
		t.Fatalf("events = %+v, want grant and revoke", events)
	}
	grant, ok1 := events[0].(models.ConsentChanged)
	revoke, ok2 := events[1].(models.ConsentChanged)
	if !ok1 || !ok2 || !grant.Granted || revoke.Granted || grant.Type != models.ConsentTelegram ||
		revoke.Version != "v1" || grant.AggregateID() != u.ID || grant.EventName() != "consent.changed" ||
		!revoke.OccurredAt().Equal(t0.Add(time.Hour)) || grant.EventID() == revoke.EventID() {
		t.Errorf("events = %+v", events)
	}
	u.ClearEvents()
	if len(u.Events()) != 0 {
		t.Error("ClearEvents kept events")
	}
}
