package models_test

import (
	"errors"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// telegramCode is a valid 22-character deep-link code.
const telegramCode = "AbC-dEf_0123456789xyzQ"

func telegramNewLink(t *testing.T, maxUses int) *models.DeepLink {
	t.Helper()
	l, err := models.NewDeepLink(telegramCode, models.DeepLinkPurposePlan, map[string]string{"run_id": "r-1"}, "interactive_result", time.Hour, maxUses, t0)
	if err != nil {
		t.Fatalf("NewDeepLink: %v", err)
	}
	return l
}

// telegramCloneLink copies l deeply enough that later changes to l do not show in the copy.
func telegramCloneLink(l *models.DeepLink) models.DeepLink {
	c := *l
	c.Payload = maps.Clone(l.Payload)
	for _, p := range []**uuid.UUID{&c.LeadID, &c.UserID} {
		if *p != nil {
			id := **p
			*p = &id
		}
	}
	if l.UsedAt != nil {
		at := *l.UsedAt
		c.UsedAt = &at
	}
	return c
}

func telegramNewAccount(t *testing.T) *models.TelegramAccount {
	t.Helper()
	a, err := models.NewTelegramAccount(123456789, "anna_t", 123456789, t0)
	if err != nil {
		t.Fatalf("NewTelegramAccount: %v", err)
	}
	return a
}

func telegramCloneAccount(a *models.TelegramAccount) models.TelegramAccount {
	c := *a
	if a.Username != nil {
		u := *a.Username
		c.Username = &u
	}
	for _, p := range []**uuid.UUID{&c.UserID, &c.LeadID} {
		if *p != nil {
			id := **p
			*p = &id
		}
	}
	for _, p := range []**time.Time{&c.BlockedAt, &c.LinkedAt} {
		if *p != nil {
			at := **p
			*p = &at
		}
	}
	return c
}

func TestParseDeepLinkPurpose(t *testing.T) {
	t.Parallel()
	for _, p := range []models.DeepLinkPurpose{models.DeepLinkPurposePlan, models.DeepLinkPurposeBooking, models.DeepLinkPurposeSubscribe} {
		if got, err := models.ParseDeepLinkPurpose(string(p)); err != nil || got != p {
			t.Errorf("ParseDeepLinkPurpose(%q) = %q, %v", p, got, err)
		}
	}
	for _, bad := range []string{"", "Plan", "pay"} {
		got, err := models.ParseDeepLinkPurpose(bad)
		if got != "" {
			t.Errorf("ParseDeepLinkPurpose(%q) = %q along with the error", bad, got)
		}
		wantValidationError(t, err, "purpose")
	}
}

func TestNewDeepLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		code       string
		purpose    models.DeepLinkPurpose
		payload    map[string]string
		entryPoint string
		ttl        time.Duration
		maxUses    int
		wantEntry  string
		wantLoad   map[string]string
	}{
		{"plan", telegramCode, models.DeepLinkPurposePlan, map[string]string{"run_id": "r-1"}, "interactive_result", time.Hour, 1, "interactive_result", map[string]string{"run_id": "r-1"}},
		{"shortest code, no payload", strings.Repeat("a", 16), models.DeepLinkPurposeSubscribe, nil, "", time.Minute, 3, "", map[string]string{}},
		{"longest code", strings.Repeat("Z", 64), models.DeepLinkPurposeBooking, map[string]string{"appointment_id": "a"}, "  booking_page ", 24 * time.Hour, 1, "booking_page", map[string]string{"appointment_id": "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := models.NewDeepLink(tt.code, tt.purpose, tt.payload, tt.entryPoint, tt.ttl, tt.maxUses, t0.In(time.FixedZone("MSK", 3*3600)))
			if err != nil {
				t.Fatalf("NewDeepLink: %v", err)
			}
			if l.ID.Version() != 7 || l.Code != tt.code || l.Purpose != tt.purpose || l.EntryPoint != tt.wantEntry || l.MaxUses != tt.maxUses {
				t.Errorf("link = %+v", l)
			}
			if !reflect.DeepEqual(l.Payload, tt.wantLoad) {
				t.Errorf("Payload = %#v, want %#v", l.Payload, tt.wantLoad)
			}
			if l.Uses != 0 || l.UsedAt != nil || l.LeadID != nil || l.UserID != nil || len(l.Events()) != 0 {
				t.Errorf("unexpected fields: %+v", l)
			}
			if !l.CreatedAt.Equal(t0) || l.CreatedAt.Location() != time.UTC || !l.ExpiresAt.Equal(t0.Add(tt.ttl)) {
				t.Errorf("CreatedAt %v, ExpiresAt %v", l.CreatedAt, l.ExpiresAt)
			}
			// The link keeps its own copy of the payload.
			if tt.payload != nil {
				tt.payload["injected"] = "x"
				if _, ok := l.Payload["injected"]; ok {
					t.Error("the payload shares memory with the caller's map")
				}
			}
		})
	}
}

func TestNewDeepLinkRejects(t *testing.T) {
	t.Parallel()
	many := map[string]string{}
	for i := range 17 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	tests := []struct {
		name       string
		code       string
		purpose    models.DeepLinkPurpose
		payload    map[string]string
		entryPoint string
		ttl        time.Duration
		maxUses    int
		field      string
	}{
		{"code too short", strings.Repeat("a", 15), models.DeepLinkPurposePlan, nil, "", time.Hour, 1, "code"},
		{"code too long", strings.Repeat("a", 65), models.DeepLinkPurposePlan, nil, "", time.Hour, 1, "code"},
		{"code with '='", strings.Repeat("a", 20) + "=", models.DeepLinkPurposePlan, nil, "", time.Hour, 1, "code"},
		{"code with '+'", strings.Repeat("a", 20) + "+", models.DeepLinkPurposePlan, nil, "", time.Hour, 1, "code"},
		{"code with a space", strings.Repeat("a", 20) + " ", models.DeepLinkPurposePlan, nil, "", time.Hour, 1, "code"},
		{"unknown purpose", telegramCode, "pay", nil, "", time.Hour, 1, "purpose"},
		{"too many payload keys", telegramCode, models.DeepLinkPurposePlan, many, "", time.Hour, 1, "payload"},
		{"empty payload key", telegramCode, models.DeepLinkPurposePlan, map[string]string{"": "v"}, "", time.Hour, 1, "payload"},
		{"long payload key", telegramCode, models.DeepLinkPurposePlan, map[string]string{strings.Repeat("k", 65): "v"}, "", time.Hour, 1, "payload"},
		{"long payload value", telegramCode, models.DeepLinkPurposePlan, map[string]string{"run_id": strings.Repeat("v", 513)}, "", time.Hour, 1, "payload.run_id"},
		{"long entry point", telegramCode, models.DeepLinkPurposePlan, nil, strings.Repeat("e", 129), time.Hour, 1, "entry_point"},
		{"zero ttl", telegramCode, models.DeepLinkPurposePlan, nil, "", 0, 1, "ttl"},
		{"negative ttl", telegramCode, models.DeepLinkPurposePlan, nil, "", -time.Hour, 1, "ttl"},
		{"zero max uses", telegramCode, models.DeepLinkPurposePlan, nil, "", time.Hour, 0, "max_uses"},
		{"negative max uses", telegramCode, models.DeepLinkPurposePlan, nil, "", time.Hour, -1, "max_uses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := models.NewDeepLink(tt.code, tt.purpose, tt.payload, tt.entryPoint, tt.ttl, tt.maxUses, t0)
			if l != nil {
				t.Error("returned a link along with the error")
			}
			ve := wantValidationError(t, err, tt.field)
			if tt.field == "code" && strings.Contains(ve.Error(), tt.code) {
				t.Error("the error quotes the code")
			}
		})
	}
}

func TestDeepLinkUse(t *testing.T) {
	t.Parallel()
	lead, user := models.NewID(), models.NewID()
	tests := []struct {
		name    string
		maxUses int
		uses    int // uses spent before
		at      time.Time
		wantErr error
	}{
		{"first use", 1, 0, t0.Add(time.Minute), nil},
		{"last moment", 1, 0, t0.Add(time.Hour - time.Nanosecond), nil},
		{"second of three", 3, 1, t0.Add(time.Minute), nil},
		{"last of three", 3, 2, t0.Add(time.Minute), nil},
		{"used up", 1, 1, t0.Add(time.Minute), models.ErrDeepLinkUsedUp},
		{"three of three used", 3, 3, t0.Add(time.Minute), models.ErrDeepLinkUsedUp},
		{"at expiry", 1, 0, t0.Add(time.Hour), models.ErrDeepLinkExpired},
		{"after expiry", 3, 1, t0.Add(2 * time.Hour), models.ErrDeepLinkExpired},
		{"used up and expired", 1, 1, t0.Add(2 * time.Hour), models.ErrDeepLinkExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := telegramNewLink(t, tt.maxUses)
			if err := l.AttachLead(lead); err != nil {
				t.Fatal(err)
			}
			if err := l.AttachUser(user); err != nil {
				t.Fatal(err)
			}
			firstUse := t0.Add(time.Second)
			for range tt.uses {
				if err := l.Use(firstUse); err != nil {
					t.Fatalf("earlier use: %v", err)
				}
			}
			l.ClearEvents()
			before := telegramCloneLink(l)
			err := l.Use(tt.at)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !reflect.DeepEqual(*l, before) {
					t.Errorf("link changed on error:\n got %+v\nwant %+v", *l, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("Use: %v", err)
			}
			wantUsedAt := firstUse
			if tt.uses == 0 {
				wantUsedAt = tt.at
			}
			if l.Uses != tt.uses+1 || l.UsedAt == nil || !l.UsedAt.Equal(wantUsedAt) {
				t.Errorf("uses %d, used at %v; want %d, %v", l.Uses, l.UsedAt, tt.uses+1, wantUsedAt)
			}
			if len(l.Events()) != 1 {
				t.Fatalf("events = %+v", l.Events())
			}
			e, ok := l.Events()[0].(models.DeepLinkUsed)
			if !ok || e.EventName() != "deep_link.used" || e.AggregateID() != l.ID || !e.OccurredAt().Equal(tt.at) ||
				e.Purpose != models.DeepLinkPurposePlan || e.Uses != tt.uses+1 || e.LeadID == nil || *e.LeadID != lead || e.UserID == nil || *e.UserID != user {
				t.Errorf("event = %+v", l.Events()[0])
			}
			if e.LeadID == l.LeadID || e.UserID == l.UserID {
				t.Error("the event shares memory with the link")
			}
			if got := l.UsedUp(); got != (tt.uses+1 >= tt.maxUses) {
				t.Errorf("UsedUp = %v", got)
			}
		})
	}
}

func TestDeepLinkAttach(t *testing.T) {
	t.Parallel()
	first, second := models.NewID(), models.NewID()
	attach := map[string]func(*models.DeepLink, uuid.UUID) error{
		"lead": (*models.DeepLink).AttachLead,
		"user": (*models.DeepLink).AttachUser,
	}
	ref := map[string]func(*models.DeepLink) *uuid.UUID{
		"lead": func(l *models.DeepLink) *uuid.UUID { return l.LeadID },
		"user": func(l *models.DeepLink) *uuid.UUID { return l.UserID },
	}
	for name, fn := range attach {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := telegramNewLink(t, 1)
			before := telegramCloneLink(l)
			wantValidationError(t, fn(l, uuid.Nil), name+"_id")
			if !reflect.DeepEqual(*l, before) {
				t.Error("link changed by a nil id")
			}
			if err := fn(l, first); err != nil {
				t.Fatal(err)
			}
			if got := ref[name](l); got == nil || *got != first {
				t.Fatalf("%s = %v, want %s", name, got, first)
			}
			if err := fn(l, first); err != nil {
				t.Errorf("the same %s again: %v", name, err)
			}
			before = telegramCloneLink(l)
			if err := fn(l, second); !errors.Is(err, models.ErrInvalidTransition) {
				t.Errorf("another %s: err = %v, want ErrInvalidTransition", name, err)
			}
			if !reflect.DeepEqual(*l, before) {
				t.Errorf("link changed by a refused %s", name)
			}
		})
	}
}

func TestNewTelegramAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tgUserID int64
		username string
		chatID   int64
		wantName *string
		field    string
	}{
		{"with username", 42, "anna_t", 42, telegramPtr("anna_t"), ""},
		{"with @", 42, " @Anna_T ", 42, telegramPtr("Anna_T"), ""},
		{"without username", 42, "", 42, nil, ""},
		{"group chat", 42, "", -1001234567890, nil, ""},
		{"zero user", 0, "", 42, nil, "telegram_user_id"},
		{"negative user", -5, "", 42, nil, "telegram_user_id"},
		{"no chat", 42, "", 0, nil, "chat_id"},
		{"bad username", 42, "anna t", 42, nil, "username"},
		{"long username", 42, strings.Repeat("a", 33), 42, nil, "username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := models.NewTelegramAccount(tt.tgUserID, tt.username, tt.chatID, t0)
			if tt.field != "" {
				if a != nil {
					t.Error("returned an account along with the error")
				}
				wantValidationError(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.ID.Version() != 7 || a.TelegramUserID != tt.tgUserID || a.ChatID != tt.chatID || !reflect.DeepEqual(a.Username, tt.wantName) {
				t.Errorf("account = %+v", a)
			}
			if a.UserID != nil || a.LeadID != nil || a.Blocked || a.BlockedAt != nil || a.LinkedAt != nil || len(a.Events()) != 0 {
				t.Errorf("unexpected fields: %+v", a)
			}
			if !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(t0) {
				t.Errorf("CreatedAt %v, UpdatedAt %v", a.CreatedAt, a.UpdatedAt)
			}
		})
	}
}

func telegramPtr[T any](v T) *T { return &v }

func TestTelegramAccountLink(t *testing.T) {
	t.Parallel()
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	first, second := models.NewID(), models.NewID()
	tests := []struct {
		name     string
		link     func(*models.TelegramAccount, uuid.UUID, time.Time) error
		field    string
		ref      func(*models.TelegramAccount) *uuid.UUID
		linkedAt bool // whether LinkedAt is stamped
	}{
		{"user", (*models.TelegramAccount).LinkUser, "user_id", func(a *models.TelegramAccount) *uuid.UUID { return a.UserID }, true},
		{"lead", (*models.TelegramAccount).LinkLead, "lead_id", func(a *models.TelegramAccount) *uuid.UUID { return a.LeadID }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := telegramNewAccount(t)
			before := telegramCloneAccount(a)
			wantValidationError(t, tt.link(a, uuid.Nil, t1), tt.field)
			if !reflect.DeepEqual(*a, before) {
				t.Error("account changed by a nil id")
			}

			if err := tt.link(a, first, t1); err != nil {
				t.Fatal(err)
			}
			if got := tt.ref(a); got == nil || *got != first {
				t.Errorf("linked id = %v, want %s", got, first)
			}
			if !a.UpdatedAt.Equal(t1) {
				t.Errorf("UpdatedAt = %v", a.UpdatedAt)
			}
			if tt.linkedAt != (a.LinkedAt != nil && a.LinkedAt.Equal(t1)) {
				t.Errorf("LinkedAt = %v", a.LinkedAt)
			}
			if len(a.Events()) != 1 {
				t.Fatalf("events = %+v", a.Events())
			}
			e, ok := a.Events()[0].(models.TelegramAccountLinked)
			if !ok || e.EventName() != "telegram_account.linked" || e.AggregateID() != a.ID || e.TelegramUserID != a.TelegramUserID ||
				!reflect.DeepEqual(e.UserID, a.UserID) || !reflect.DeepEqual(e.LeadID, a.LeadID) || !e.OccurredAt().Equal(t1) {
				t.Errorf("event = %+v", a.Events()[0])
			}

			for _, again := range []struct {
				id      uuid.UUID
				wantErr error
			}{{first, nil}, {second, models.ErrInvalidTransition}} {
				before := telegramCloneAccount(a)
				err := tt.link(a, again.id, t2)
				if (again.wantErr == nil && err != nil) || !errors.Is(err, again.wantErr) {
					t.Errorf("link %s: err = %v, want %v", again.id, err, again.wantErr)
				}
				if !reflect.DeepEqual(*a, before) || len(a.Events()) != 1 {
					t.Errorf("link %s changed the account", again.id)
				}
			}
		})
	}
}

func TestTelegramAccountBlocking(t *testing.T) {
	t.Parallel()
	t1, t2, t3 := t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	a := telegramNewAccount(t)

	before := telegramCloneAccount(a)
	if err := a.Unblock(t1); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("unblock an account that is not blocked: err = %v", err)
	}
	if !reflect.DeepEqual(*a, before) {
		t.Error("refused Unblock changed the account")
	}

	a.MarkBlocked(t1)
	if !a.Blocked || a.BlockedAt == nil || !a.BlockedAt.Equal(t1) || !a.UpdatedAt.Equal(t1) {
		t.Errorf("blocked %v at %v, updated %v", a.Blocked, a.BlockedAt, a.UpdatedAt)
	}
	if e, ok := a.Events()[0].(models.TelegramAccountBlocked); !ok || e.EventName() != "telegram_account.blocked" || e.TelegramUserID != a.TelegramUserID || !e.OccurredAt().Equal(t1) {
		t.Errorf("event = %+v", a.Events())
	}

	before = telegramCloneAccount(a)
	a.MarkBlocked(t2) // idempotent
	if !reflect.DeepEqual(*a, before) || len(a.Events()) != 1 {
		t.Errorf("second MarkBlocked changed the account: %+v", a)
	}

	if err := a.Unblock(t3); err != nil {
		t.Fatal(err)
	}
	if a.Blocked || a.BlockedAt != nil || !a.UpdatedAt.Equal(t3) {
		t.Errorf("blocked %v at %v, updated %v", a.Blocked, a.BlockedAt, a.UpdatedAt)
	}
	if len(a.Events()) != 2 {
		t.Fatalf("events = %+v", a.Events())
	}
	if e, ok := a.Events()[1].(models.TelegramAccountUnblocked); !ok || e.EventName() != "telegram_account.unblocked" || e.TelegramUserID != a.TelegramUserID || !e.OccurredAt().Equal(t3) {
		t.Errorf("event = %+v", a.Events()[1])
	}
}

func TestTelegramAccountUpdateProfile(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	tests := []struct {
		name        string
		username    string
		chatID      int64
		field       string
		wantName    *string
		wantChat    int64
		wantUpdated time.Time
	}{
		{"renamed", "@anna_new", 123456789, "", telegramPtr("anna_new"), 123456789, t1},
		{"username dropped", "", 123456789, "", nil, 123456789, t1},
		{"new chat", "anna_t", 555, "", telegramPtr("anna_t"), 555, t1},
		{"nothing new", "anna_t", 123456789, "", telegramPtr("anna_t"), 123456789, t0},
		{"bad username", "anna-t", 123456789, "username", telegramPtr("anna_t"), 123456789, t0},
		{"no chat", "anna_t", 0, "chat_id", telegramPtr("anna_t"), 123456789, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := telegramNewAccount(t)
			err := a.UpdateProfile(tt.username, tt.chatID, t1)
			if tt.field != "" {
				wantValidationError(t, err, tt.field)
			} else if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Username, tt.wantName) || a.ChatID != tt.wantChat || !a.UpdatedAt.Equal(tt.wantUpdated) {
				t.Errorf("username %v, chat %d, updated %v; want %v, %d, %v", a.Username, a.ChatID, a.UpdatedAt, tt.wantName, tt.wantChat, tt.wantUpdated)
			}
		})
	}
}
