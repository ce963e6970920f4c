package models_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// crmNewLead returns a lead captured at t0 from the site, with its capture event forgotten.
func crmNewLead(t *testing.T) *models.Lead {
	t.Helper()
	l, err := models.NewLead("site", models.UTM{Source: "yandex"}, t0)
	if err != nil {
		t.Fatalf("NewLead: %v", err)
	}
	l.ClearEvents()
	return l
}

// crmClone copies l deeply enough that later changes to l do not show in the copy.
func crmClone(l *models.Lead) models.Lead {
	c := *l
	c.Identities = slices.Clone(l.Identities)
	if l.UserID != nil {
		id := *l.UserID
		c.UserID = &id
	}
	return c
}

// crmAssertUnchanged fails unless l equals before, events included.
func crmAssertUnchanged(t *testing.T, l *models.Lead, before models.Lead) {
	t.Helper()
	if !reflect.DeepEqual(*l, before) {
		t.Errorf("lead changed on error:\n got %+v\nwant %+v", *l, before)
	}
	if len(l.Events()) != len(before.Events()) {
		t.Errorf("events = %d, want %d", len(l.Events()), len(before.Events()))
	}
}

func TestParseLeadStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want models.LeadStatus
		ok   bool
	}{
		{"new", models.LeadStatusNew, true},
		{"engaged", models.LeadStatusEngaged, true},
		{"booked", models.LeadStatusBooked, true},
		{"client", models.LeadStatusClient, true},
		{"lost", models.LeadStatusLost, true},
		{"", "", false},
		{"New", "", false},
		{"won", "", false},
		{" lost", "", false},
	}
	for _, tt := range tests {
		got, err := models.ParseLeadStatus(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("ParseLeadStatus(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if got != "" {
			t.Errorf("ParseLeadStatus(%q) = %q along with the error", tt.in, got)
		}
		wantValidationError(t, err, "status")
	}
}

func TestNewLead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		source     string
		utm        models.UTM
		wantSource string
		wantUTM    models.UTM
	}{
		{"plain", "site", models.UTM{}, "site", models.UTM{}},
		{"normalized source", "  Telegram ", models.UTM{}, "telegram", models.UTM{}},
		{"tag characters", "interactive.plan_v2-b", models.UTM{}, "interactive.plan_v2-b", models.UTM{}},
		{"longest source", strings.Repeat("a", 32), models.UTM{}, strings.Repeat("a", 32), models.UTM{}},
		{
			"utm trimmed", "site",
			models.UTM{Source: " yandex ", Medium: "cpc", Campaign: "spring", Content: "banner", Term: strings.Repeat("x", 256)},
			"site", models.UTM{Source: "yandex", Medium: "cpc", Campaign: "spring", Content: "banner", Term: strings.Repeat("x", 256)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := models.NewLead(tt.source, tt.utm, t0.In(time.FixedZone("MSK", 3*3600)))
			if err != nil {
				t.Fatalf("NewLead: %v", err)
			}
			if l.ID.Version() != 7 {
				t.Errorf("ID %s is not a UUID v7", l.ID)
			}
			if l.Status != models.LeadStatusNew || l.Source != tt.wantSource || l.UTM != tt.wantUTM {
				t.Errorf("status %q, source %q, utm %+v; want new, %q, %+v", l.Status, l.Source, l.UTM, tt.wantSource, tt.wantUTM)
			}
			if l.Version != 1 || l.Notes != "" || l.UserID != nil || len(l.Identities) != 0 {
				t.Errorf("unexpected fields: %+v", l)
			}
			for name, at := range map[string]time.Time{"CreatedAt": l.CreatedAt, "UpdatedAt": l.UpdatedAt, "LastActivityAt": l.LastActivityAt} {
				if !at.Equal(t0) || at.Location() != time.UTC {
					t.Errorf("%s = %v, want %v in UTC", name, at, t0)
				}
			}
			want := []models.Event{models.LeadCaptured{EventMeta: l.Events()[0].(models.LeadCaptured).EventMeta, Source: tt.wantSource}}
			if !reflect.DeepEqual(l.Events(), want) {
				t.Fatalf("events = %+v, want %+v", l.Events(), want)
			}
			e := l.Events()[0]
			if e.EventName() != "lead.captured" || e.AggregateID() != l.ID || !e.OccurredAt().Equal(t0) || e.EventID() == uuid.Nil {
				t.Errorf("event %s about %s at %v (id %s)", e.EventName(), e.AggregateID(), e.OccurredAt(), e.EventID())
			}
		})
	}
}

func TestNewLeadRejects(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 257)
	tests := []struct {
		name   string
		source string
		utm    models.UTM
		field  string
	}{
		{"empty source", "", models.UTM{}, "source"},
		{"blank source", "   ", models.UTM{}, "source"},
		{"source too long", strings.Repeat("a", 33), models.UTM{}, "source"},
		{"source with space", "web site", models.UTM{}, "source"},
		{"source with punctuation first", "-site", models.UTM{}, "source"},
		{"source not ASCII", "сайт", models.UTM{}, "source"},
		{"utm source too long", "site", models.UTM{Source: long}, "utm.source"},
		{"utm medium too long", "site", models.UTM{Medium: long}, "utm.medium"},
		{"utm campaign too long", "site", models.UTM{Campaign: long}, "utm.campaign"},
		{"utm content too long", "site", models.UTM{Content: long}, "utm.content"},
		{"utm term too long", "site", models.UTM{Term: long}, "utm.term"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := models.NewLead(tt.source, tt.utm, t0)
			if l != nil {
				t.Errorf("returned a lead along with the error")
			}
			wantValidationError(t, err, tt.field)
		})
	}
}

// crmLegalMoves is the lead state machine as the product describes it, written independently of
// the table in the code.
var crmLegalMoves = map[[2]models.LeadStatus]bool{
	{models.LeadStatusNew, models.LeadStatusEngaged}:    true,
	{models.LeadStatusNew, models.LeadStatusBooked}:     true,
	{models.LeadStatusNew, models.LeadStatusLost}:       true,
	{models.LeadStatusEngaged, models.LeadStatusBooked}: true,
	{models.LeadStatusEngaged, models.LeadStatusLost}:   true,
	{models.LeadStatusBooked, models.LeadStatusClient}:  true,
	{models.LeadStatusBooked, models.LeadStatusEngaged}: true,
	{models.LeadStatusBooked, models.LeadStatusLost}:    true,
	{models.LeadStatusClient, models.LeadStatusLost}:    true,
	{models.LeadStatusLost, models.LeadStatusEngaged}:   true,
	{models.LeadStatusLost, models.LeadStatusBooked}:    true,
}

func TestLeadMoveTo(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	if len(models.LeadStatuses) != 5 {
		t.Fatalf("LeadStatuses = %v, want the 5 statuses", models.LeadStatuses)
	}
	for _, from := range models.LeadStatuses {
		for _, to := range models.LeadStatuses {
			legal := crmLegalMoves[[2]models.LeadStatus{from, to}]
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				t.Parallel()
				l := crmNewLead(t)
				l.Status = from
				if got := from.CanMoveTo(to); got != legal {
					t.Errorf("CanMoveTo = %v, want %v", got, legal)
				}
				before := crmClone(l)
				err := l.MoveTo(to, t1)
				if !legal {
					if !errors.Is(err, models.ErrInvalidTransition) {
						t.Fatalf("err = %v, want ErrInvalidTransition", err)
					}
					if !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(to)) {
						t.Errorf("error %q does not name both statuses", err)
					}
					crmAssertUnchanged(t, l, before)
					return
				}
				if err != nil {
					t.Fatalf("MoveTo: %v", err)
				}
				if l.Status != to || !l.UpdatedAt.Equal(t1) || !l.LastActivityAt.Equal(t1) {
					t.Errorf("status %q, updated %v, activity %v; want %q at %v", l.Status, l.UpdatedAt, l.LastActivityAt, to, t1)
				}
				if len(l.Events()) != 1 {
					t.Fatalf("events = %+v, want one", l.Events())
				}
				e, ok := l.Events()[0].(models.LeadStatusChanged)
				if !ok || e.From != from || e.To != to || e.AggregateID() != l.ID || !e.OccurredAt().Equal(t1) || e.EventName() != "lead.status_changed" {
					t.Errorf("event = %+v", l.Events()[0])
				}
			})
		}
	}
}

func TestLeadMoveToUnknownStatus(t *testing.T) {
	t.Parallel()
	l := crmNewLead(t)
	before := crmClone(l)
	wantValidationError(t, l.MoveTo("won", t0.Add(time.Hour)), "status")
	crmAssertUnchanged(t, l, before)
	if models.LeadStatus("won").CanMoveTo(models.LeadStatusLost) {
		t.Error("an unknown status may move somewhere")
	}
}

func TestLeadMoveToKeepsLaterActivity(t *testing.T) {
	t.Parallel()
	l := crmNewLead(t)
	l.Touch(t0.Add(2 * time.Hour))
	if err := l.MoveTo(models.LeadStatusEngaged, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !l.LastActivityAt.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("LastActivityAt = %v, want the later activity kept", l.LastActivityAt)
	}
}

func TestNormalizeLeadIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind  models.LeadIdentityKind
		in    string
		want  string
		field string // the ValidationError's field; empty when valid
	}{
		{models.LeadIdentityKindEmail, " Anna@Example.ORG ", "anna@example.org", ""},
		{models.LeadIdentityKindEmail, "not an email", "", "email"},
		{models.LeadIdentityKindEmail, "", "", "email"},
		{models.LeadIdentityKindPhone, "8 (999) 123-45-67", "+79991234567", ""},
		{models.LeadIdentityKindPhone, "+44 20 7946 0958", "+442079460958", ""},
		{models.LeadIdentityKindPhone, "call me", "", "phone"},
		{models.LeadIdentityKindTelegram, "123456789", "123456789", ""},
		{models.LeadIdentityKindTelegram, " 0042 ", "42", ""},
		{models.LeadIdentityKindTelegram, "9223372036854775807", "9223372036854775807", ""},
		{models.LeadIdentityKindTelegram, "0", "", "telegram"},
		{models.LeadIdentityKindTelegram, "-100123", "", "telegram"},
		{models.LeadIdentityKindTelegram, "+42", "", "telegram"},
		{models.LeadIdentityKindTelegram, "@anna", "", "telegram"},
		{models.LeadIdentityKindTelegram, "9223372036854775808", "", "telegram"},
		{models.LeadIdentityKindAnonymousID, "0195d0c6-8d2a-7c5e-b7a1-2f3c4d5e6f70", "0195d0c6-8d2a-7c5e-b7a1-2f3c4d5e6f70", ""},
		{models.LeadIdentityKindAnonymousID, "Case.Matters~" + strings.Repeat("z", 115), "Case.Matters~" + strings.Repeat("z", 115), ""},
		{models.LeadIdentityKindAnonymousID, "", "", "anonymous_id"},
		{models.LeadIdentityKindAnonymousID, strings.Repeat("z", 129), "", "anonymous_id"},
		{models.LeadIdentityKindAnonymousID, "has space", "", "anonymous_id"},
		{models.LeadIdentityKindAnonymousID, "tab\t", "", "anonymous_id"},
		{models.LeadIdentityKindAnonymousID, "кириллица", "", "anonymous_id"},
		{"cookie", "abc", "", "kind"},
		{"", "abc", "", "kind"},
	}
	for _, tt := range tests {
		got, err := models.NormalizeLeadIdentity(tt.kind, tt.in)
		if tt.field == "" {
			if err != nil || got != tt.want {
				t.Errorf("NormalizeLeadIdentity(%s, %q) = %q, %v; want %q", tt.kind, tt.in, got, err, tt.want)
			}
			continue
		}
		if got != "" {
			t.Errorf("NormalizeLeadIdentity(%s, %q) = %q along with the error", tt.kind, tt.in, got)
		}
		wantValidationError(t, err, tt.field)
	}
}

func TestParseLeadIdentityKind(t *testing.T) {
	t.Parallel()
	for _, k := range []models.LeadIdentityKind{models.LeadIdentityKindEmail, models.LeadIdentityKindPhone, models.LeadIdentityKindTelegram, models.LeadIdentityKindAnonymousID} {
		if got, err := models.ParseLeadIdentityKind(string(k)); err != nil || got != k {
			t.Errorf("ParseLeadIdentityKind(%q) = %q, %v", k, got, err)
		}
	}
	for _, bad := range []string{"", "Email", "vk"} {
		got, err := models.ParseLeadIdentityKind(bad)
		if got != "" {
			t.Errorf("ParseLeadIdentityKind(%q) = %q along with the error", bad, got)
		}
		wantValidationError(t, err, "kind")
	}
}

func TestLeadAddIdentity(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	l := crmNewLead(t)
	adds := []struct {
		kind  models.LeadIdentityKind
		value string
	}{
		{models.LeadIdentityKindEmail, "Anna@Example.org"},
		{models.LeadIdentityKindPhone, "8 999 123-45-67"},
		{models.LeadIdentityKindTelegram, "123456789"},
		{models.LeadIdentityKindAnonymousID, "anon-1"},
	}
	for i, a := range adds {
		if err := l.AddIdentity(a.kind, a.value, t1.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("AddIdentity(%s): %v", a.kind, err)
		}
	}
	want := []struct {
		kind  models.LeadIdentityKind
		value string
	}{
		{models.LeadIdentityKindEmail, "anna@example.org"},
		{models.LeadIdentityKindPhone, "+79991234567"},
		{models.LeadIdentityKindTelegram, "123456789"},
		{models.LeadIdentityKindAnonymousID, "anon-1"},
	}
	if len(l.Identities) != len(want) {
		t.Fatalf("identities = %+v", l.Identities)
	}
	for i, w := range want {
		id := l.Identities[i]
		at := t1.Add(time.Duration(i) * time.Minute)
		if id.Kind != w.kind || id.Value != w.value || id.LeadID != l.ID || id.ID.Version() != 7 || !id.CreatedAt.Equal(at) {
			t.Errorf("identity[%d] = %+v, want %s %q of lead %s at %v", i, id, w.kind, w.value, l.ID, at)
		}
		if !l.HasIdentity(w.kind, w.value) {
			t.Errorf("HasIdentity(%s, %q) = false", w.kind, w.value)
		}
		e, ok := l.Events()[i].(models.LeadIdentityAdded)
		if !ok || e.IdentityID != id.ID || e.Kind != w.kind || e.AggregateID() != l.ID || e.EventName() != "lead.identity_added" {
			t.Errorf("event[%d] = %+v", i, l.Events()[i])
		}
	}
	if !l.UpdatedAt.Equal(t1.Add(3 * time.Minute)) {
		t.Errorf("UpdatedAt = %v", l.UpdatedAt)
	}
	if !l.LastActivityAt.Equal(t0) {
		t.Errorf("LastActivityAt = %v, want unchanged %v", l.LastActivityAt, t0)
	}

	// The same identity in another spelling, or a bad one, changes nothing.
	again := []struct {
		kind  models.LeadIdentityKind
		value string
		field string
	}{
		{models.LeadIdentityKindEmail, " ANNA@example.org", ""},
		{models.LeadIdentityKindPhone, "+7 (999) 123-45-67", ""},
		{models.LeadIdentityKindTelegram, "0123456789", ""},
		{models.LeadIdentityKindEmail, "anna@", "email"},
		{models.LeadIdentityKindPhone, "12", "phone"},
		{"vk", "id1", "kind"},
	}
	for _, a := range again {
		before := crmClone(l)
		err := l.AddIdentity(a.kind, a.value, t0.Add(5*time.Hour))
		if a.field == "" {
			if err != nil {
				t.Errorf("AddIdentity(%s, %q) again: %v", a.kind, a.value, err)
			}
		} else {
			wantValidationError(t, err, a.field)
		}
		crmAssertUnchanged(t, l, before)
	}
	// The same value of another kind is another identity.
	if err := l.AddIdentity(models.LeadIdentityKindAnonymousID, "123456789", t1); err != nil || len(l.Identities) != 5 {
		t.Errorf("anonymous id equal to the telegram id: err %v, identities %d", err, len(l.Identities))
	}
}

func TestLeadLinkUser(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	user, other := models.NewID(), models.NewID()

	l := crmNewLead(t)
	before := crmClone(l)
	wantValidationError(t, l.LinkUser(uuid.Nil, t1), "user_id")
	crmAssertUnchanged(t, l, before)

	if err := l.LinkUser(user, t1); err != nil {
		t.Fatalf("LinkUser: %v", err)
	}
	if l.UserID == nil || *l.UserID != user || !l.UpdatedAt.Equal(t1) {
		t.Errorf("UserID %v, UpdatedAt %v", l.UserID, l.UpdatedAt)
	}
	want := []models.Event{models.LeadUserLinked{EventMeta: l.Events()[0].(models.LeadUserLinked).EventMeta, UserID: user}}
	if !reflect.DeepEqual(l.Events(), want) || l.Events()[0].EventName() != "lead.user_linked" || !l.Events()[0].OccurredAt().Equal(t1) {
		t.Errorf("events = %+v", l.Events())
	}

	tests := []struct {
		name    string
		userID  uuid.UUID
		wantErr error
	}{
		{"same user again", user, nil},
		{"another user", other, models.ErrInvalidTransition},
	}
	for _, tt := range tests {
		before := crmClone(l)
		err := l.LinkUser(tt.userID, t0.Add(2*time.Hour))
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
		crmAssertUnchanged(t, l, before)
	}
}

func TestLeadTouch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		at           time.Time
		wantActivity time.Time
		wantUpdated  time.Time
	}{
		{"later", t0.Add(time.Hour), t0.Add(time.Hour), t0.Add(time.Hour)},
		{"same moment", t0, t0, t0},
		{"earlier, reported late", t0.Add(-time.Hour), t0, t0},
		{"in another zone", t0.Add(time.Minute).In(time.FixedZone("X", -5*3600)), t0.Add(time.Minute), t0.Add(time.Minute)},
	}
	for _, tt := range tests {
		l := crmNewLead(t)
		l.Touch(tt.at)
		if !l.LastActivityAt.Equal(tt.wantActivity) || !l.UpdatedAt.Equal(tt.wantUpdated) || l.LastActivityAt.Location() != time.UTC {
			t.Errorf("%s: activity %v, updated %v; want %v, %v", tt.name, l.LastActivityAt, l.UpdatedAt, tt.wantActivity, tt.wantUpdated)
		}
		if len(l.Events()) != 0 {
			t.Errorf("%s: Touch recorded %+v", tt.name, l.Events())
		}
	}
}

func TestLeadSetNotes(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	l := crmNewLead(t)
	if err := l.SetNotes("  Prefers evenings.\nCall after 18:00. ", t1); err != nil {
		t.Fatal(err)
	}
	if l.Notes != "Prefers evenings.\nCall after 18:00." || !l.UpdatedAt.Equal(t1) {
		t.Errorf("notes %q, updated %v", l.Notes, l.UpdatedAt)
	}
	for _, tt := range []struct {
		name  string
		notes string
		field string
	}{
		{"same notes", "Prefers evenings.\nCall after 18:00.", ""},
		{"too long", strings.Repeat("n", 10001), "notes"},
	} {
		before := crmClone(l)
		err := l.SetNotes(tt.notes, t0.Add(2*time.Hour))
		if tt.field == "" && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.field != "" {
			wantValidationError(t, err, tt.field)
		}
		crmAssertUnchanged(t, l, before)
	}
	if err := l.SetNotes("", t0.Add(3*time.Hour)); err != nil || l.Notes != "" {
		t.Errorf("clearing notes: %v, %q", err, l.Notes)
	}
}

func TestNewLeadTimelineEvent(t *testing.T) {
	t.Parallel()
	lead, src := models.NewID(), models.NewID()
	occurred := t0.Add(-time.Hour).In(time.FixedZone("MSK", 3*3600))
	tests := []struct {
		name     string
		leadID   uuid.UUID
		kind     string
		occurred time.Time
		source   *uuid.UUID
		data     map[string]any
		field    string
		wantData map[string]any
	}{
		{"note", lead, models.LeadTimelineKindNote, occurred, nil, map[string]any{"by": "assistant"}, "", map[string]any{"by": "assistant"}},
		{"domain event", lead, "payment.succeeded", occurred, &src, nil, "", map[string]any{}},
		{"longest kind", lead, strings.Repeat("a", 64), occurred, nil, nil, "", map[string]any{}},
		{"no lead", uuid.Nil, "note", occurred, nil, nil, "lead_id", nil},
		{"empty kind", lead, "", occurred, nil, nil, "kind", nil},
		{"kind too long", lead, strings.Repeat("a", 65), occurred, nil, nil, "kind", nil},
		{"upper-case kind", lead, "Payment.Succeeded", occurred, nil, nil, "kind", nil},
		{"kind with empty part", lead, "payment..succeeded", occurred, nil, nil, "kind", nil},
		{"no time", lead, "note", time.Time{}, nil, nil, "occurred_at", nil},
		{"nil source event", lead, "note", occurred, &uuid.Nil, nil, "source_event_id", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := models.NewLeadTimelineEvent(tt.leadID, tt.kind, tt.occurred, tt.source, tt.data, t0)
			if tt.field != "" {
				if e != nil {
					t.Error("returned an entry along with the error")
				}
				wantValidationError(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.ID.Version() != 7 || e.LeadID != tt.leadID || e.Kind != tt.kind || e.SourceEventID != tt.source {
				t.Errorf("entry = %+v", e)
			}
			if !e.OccurredAt.Equal(occurred) || e.OccurredAt.Location() != time.UTC || !e.CreatedAt.Equal(t0) {
				t.Errorf("OccurredAt %v, CreatedAt %v", e.OccurredAt, e.CreatedAt)
			}
			if !reflect.DeepEqual(e.Data, tt.wantData) {
				t.Errorf("Data = %#v, want %#v", e.Data, tt.wantData)
			}
		})
	}
}

func TestNewLeadTimelineEventFrom(t *testing.T) {
	t.Parallel()
	l := crmNewLead(t)
	t1 := t0.Add(time.Hour)
	if err := l.MoveTo(models.LeadStatusEngaged, t1); err != nil {
		t.Fatal(err)
	}
	ev := l.Events()[0]
	e, err := models.NewLeadTimelineEventFrom(l.ID, ev, map[string]any{"to": "engaged"}, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != "lead.status_changed" || !e.OccurredAt.Equal(t1) || e.SourceEventID == nil || *e.SourceEventID != ev.EventID() || e.LeadID != l.ID {
		t.Errorf("entry = %+v, from event %+v", e, ev)
	}
	if !e.CreatedAt.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("CreatedAt = %v", e.CreatedAt)
	}
}
