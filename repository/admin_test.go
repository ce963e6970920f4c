package repository_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

func adminNewLog(t *testing.T, actorID *uuid.UUID, resource, resourceID string, at time.Time) *models.AuditLog {
	t.Helper()
	l, err := models.NewAuditLog(
		models.AuditActor{UserID: actorID, Role: "assistant", IP: "203.0.113.7", UserAgent: "Mozilla/5.0"},
		models.AuditActionUpdate, resource, resourceID,
		map[string]models.AuditChange{"status": {From: "pending", To: "confirmed"}}, at)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func adminAppend(t *testing.T, db *repository.DB, actorID *uuid.UUID, resource, resourceID string, at time.Time) *models.AuditLog {
	t.Helper()
	l := adminNewLog(t, actorID, resource, resourceID, at)
	if err := repository.NewAuditLogs(db).Append(context.Background(), l); err != nil {
		t.Fatalf("append audit log: %v", err)
	}
	return l
}

func adminAssertLog(t *testing.T, got, want *models.AuditLog) {
	t.Helper()
	if got.ID != want.ID || got.ActorRole != want.ActorRole || got.Action != want.Action || got.Resource != want.Resource ||
		got.ResourceID != want.ResourceID || got.IP != want.IP || got.UserAgent != want.UserAgent {
		t.Errorf("log = %+v, want %+v", got, want)
	}
	eqPtr(t, "ActorUserID", got.ActorUserID, want.ActorUserID)
	if !reflect.DeepEqual(got.Changes, want.Changes) {
		t.Errorf("Changes = %#v, want %#v", got.Changes, want.Changes)
	}
	assertUTC(t, "At", got.At, want.At)
}

func TestAuditLogsRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		logs := repository.NewAuditLogs(db)
		actor := createStaff(t, db, t0)
		tests := []struct {
			name string
			log  func() *models.AuditLog
		}{
			{"every field, nested values", func() *models.AuditLog {
				l, err := models.NewAuditLog(
					models.AuditActor{UserID: &actor.ID, Role: "owner", IP: "2001:db8::1", UserAgent: "Firefox/140"},
					models.AuditActionUpdate, "service", "0193a1b2",
					map[string]models.AuditChange{
						"price_minor": {From: float64(150000), To: float64(180000)},
						"title":       {From: "Консультация", To: "Консультация 60 минут"},
						"active":      {From: true, To: false},
						"slots":       {From: nil, To: []any{"10:00", "11:00"}},
						"meta":        {From: map[string]any{"a": "b"}, To: nil},
					}, at)
				if err != nil {
					t.Fatal(err)
				}
				l.At = at // not UTC on purpose
				return l
			}},
			{"system, no diff", func() *models.AuditLog {
				l, err := models.NewAuditLog(models.AuditActor{Role: "system"}, models.AuditActionDelete, "session", "", nil, at)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := tt.log()
				if err := logs.Append(ctx, l); err != nil {
					t.Fatalf("Append: %v", err)
				}
				got, err := logs.List(ctx, repository.AuditLogFilter{Resource: l.Resource, ResourceID: l.ResourceID}, repository.Page{})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 {
					t.Fatalf("List = %d rows, want 1", len(got))
				}
				adminAssertLog(t, &got[0], l)
			})
		}
	})
}

func TestAuditLogsList(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		logs := repository.NewAuditLogs(db)
		alice, bob := createStaff(t, db, t0), createStaff(t, db, t0)
		l1 := adminAppend(t, db, &alice.ID, "appointment", "a1", t0)
		l2 := adminAppend(t, db, &bob.ID, "appointment", "a1", t0.Add(time.Minute))
		l3 := adminAppend(t, db, &alice.ID, "appointment", "a2", t0.Add(2*time.Minute))
		l4 := adminAppend(t, db, &alice.ID, "lead", "a1", t0.Add(3*time.Minute))
		l5 := adminAppend(t, db, nil, "session", "", t0.Add(4*time.Minute))

		tests := []struct {
			name   string
			filter repository.AuditLogFilter
			page   repository.Page
			want   []uuid.UUID
		}{
			{"everything, newest first", repository.AuditLogFilter{}, repository.Page{}, []uuid.UUID{l5.ID, l4.ID, l3.ID, l2.ID, l1.ID}},
			{"second page", repository.AuditLogFilter{}, repository.Page{Limit: 2, Offset: 2}, []uuid.UUID{l3.ID, l2.ID}},
			{"by actor", repository.AuditLogFilter{ActorID: &alice.ID}, repository.Page{}, []uuid.UUID{l4.ID, l3.ID, l1.ID}},
			{"by resource", repository.AuditLogFilter{Resource: "appointment"}, repository.Page{}, []uuid.UUID{l3.ID, l2.ID, l1.ID}},
			{"by resource and id", repository.AuditLogFilter{Resource: "appointment", ResourceID: "a1"}, repository.Page{}, []uuid.UUID{l2.ID, l1.ID}},
			{"by resource id alone", repository.AuditLogFilter{ResourceID: "a1"}, repository.Page{}, []uuid.UUID{l4.ID, l2.ID, l1.ID}},
			{"all three", repository.AuditLogFilter{ActorID: &alice.ID, Resource: "appointment", ResourceID: "a1"}, repository.Page{}, []uuid.UUID{l1.ID}},
			{"no match", repository.AuditLogFilter{ActorID: &bob.ID, Resource: "lead"}, repository.Page{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := logs.List(ctx, tt.filter, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				var ids []uuid.UUID
				for _, l := range got {
					ids = append(ids, l.ID)
				}
				if !slices.Equal(ids, tt.want) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
			})
		}
	})
}

// The audit log is append-only on both databases, whoever issues the UPDATE; only the foreign key
// may clear the actor when the user row goes.
func TestAuditLogsAppendOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  string
		args []any
	}{
		{"action", "action = ?", []any{"delete"}},
		{"resource", "resource = ?", []any{"lead"}},
		{"resource id", "resource_id = ?", []any{"other"}},
		{"changes", "changes = ?", []any{"{}"}},
		{"actor role", "actor_role = ?", []any{"owner"}},
		{"ip", "ip = ?", []any{"198.51.100.1"}},
		{"user agent", "user_agent = ?", []any{"curl"}},
		{"time", "at = ?", []any{t0.Add(time.Hour)}},
		{"event id", "event_id = ?", []any{models.NewID()}},
		{"clear the actor and more", "actor_user_id = NULL, action = ?", []any{"delete"}},
		{"same values", "ip = ip", nil},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		logs := repository.NewAuditLogs(db)
		actor := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := adminAppend(t, db, &actor.ID, "appointment", models.NewID().String(), t0)
				err := db.Gorm.Exec("UPDATE audit_logs SET "+tt.set+" WHERE id = ?", append(tt.args, l.ID)...).Error
				if err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Fatalf("err = %v, want the append-only trigger's error", err)
				}
				got, err := logs.List(context.Background(), repository.AuditLogFilter{ResourceID: l.ResourceID}, repository.Page{})
				if err != nil || len(got) != 1 {
					t.Fatalf("List = %v, %v", got, err)
				}
				adminAssertLog(t, &got[0], l)
			})
		}
		t.Run("actor deleted", func(t *testing.T) {
			gone := createStaff(t, db, t0)
			l := adminAppend(t, db, &gone.ID, "appointment", models.NewID().String(), t0)
			if err := cabinetDeleteUser(t, db, gone.ID); err != nil {
				t.Fatalf("delete the actor: %v", err)
			}
			got, err := logs.List(context.Background(), repository.AuditLogFilter{ResourceID: l.ResourceID}, repository.Page{})
			if err != nil || len(got) != 1 {
				t.Fatalf("List = %v, %v", got, err)
			}
			want := *l
			want.ActorUserID = nil
			adminAssertLog(t, &got[0], &want)
		})
	})
}

func TestAuditLogsAppendRejects(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		logs := repository.NewAuditLogs(db)
		assertConstraint(t, logs.Append(ctx, adminNewLog(t, ptr(models.NewID()), "lead", "1", t0)), models.ErrInvalidReference, "")
		l := adminAppend(t, db, nil, "lead", "1", t0)
		dup := adminNewLog(t, nil, "lead", "2", t0)
		dup.ID = l.ID
		assertConstraint(t, logs.Append(ctx, dup), models.ErrConflict, "")
		bad := adminNewLog(t, nil, "lead", "3", t0)
		bad.Action = "purge"
		if err := logs.Append(ctx, bad); err == nil {
			t.Error("Append accepted an unknown action")
		}
	})
}

func TestAuditLogsAppendForEvent(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		logs := repository.NewAuditLogs(db)
		forEvent := func(eventID uuid.UUID, resourceID string) *models.AuditLog {
			l, err := models.NewAuditLog(models.AuditActor{Role: "system"}, models.AuditActionEvent, "appointment", resourceID,
				map[string]models.AuditChange{"event": {To: "appointment.confirmed"}}, t0)
			if err != nil {
				t.Fatal(err)
			}
			l.EventID = &eventID
			return l
		}

		event := models.NewID()
		first := forEvent(event, "a1")
		if ok, err := logs.AppendForEvent(ctx, first); err != nil || !ok {
			t.Fatalf("first AppendForEvent = %v, %v", ok, err)
		}
		if ok, err := logs.AppendForEvent(ctx, forEvent(event, "a1")); err != nil || ok {
			t.Fatalf("second AppendForEvent for the same event = %v, %v; want false, nil", ok, err)
		}
		got, err := logs.List(ctx, repository.AuditLogFilter{ResourceID: "a1"}, repository.Page{})
		if err != nil || len(got) != 1 {
			t.Fatalf("List = %v, %v; want one row", got, err)
		}
		adminAssertLog(t, &got[0], first)
		eqPtr(t, "EventID", got[0].EventID, &event)

		// Concurrent runs for one event: one row, whoever wins.
		event = models.NewID()
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			inserted int
		)
		for range 8 {
			wg.Go(func() {
				ok, err := logs.AppendForEvent(ctx, forEvent(event, "a2"))
				if err != nil {
					t.Errorf("concurrent AppendForEvent: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					inserted++
				}
			})
		}
		wg.Wait()
		if n := count(t, db, "audit_logs", "resource_id = ?", "a2"); inserted != 1 || n != 1 {
			t.Errorf("concurrent runs: %d reported inserted, %d rows; want 1 and 1", inserted, n)
		}

		// Rows without an event never collide; a row for an event needs one.
		adminAppend(t, db, nil, "lead", "a3", t0)
		adminAppend(t, db, nil, "lead", "a3", t0)
		if ok, err := logs.AppendForEvent(ctx, adminNewLog(t, nil, "lead", "a4", t0)); ok || err == nil {
			t.Errorf("AppendForEvent without an event id = %v, %v", ok, err)
		}
	})
}

func adminNewTemplate(t *testing.T, key string, channel models.TemplateChannel, locale string, by *uuid.UUID, now time.Time) *models.MessageTemplate {
	t.Helper()
	subject, html := "Запись подтверждена", ptr("<p>Здравствуйте, {{.Name}}!</p>")
	if channel == models.TemplateChannelTelegram {
		subject, html = "", nil
	}
	m, err := models.NewMessageTemplate(key, channel, locale, subject, "Здравствуйте, {{.Name}}!", html, by, now)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func adminCreateTemplate(t *testing.T, db *repository.DB, key string, channel models.TemplateChannel, locale string, now time.Time) *models.MessageTemplate {
	t.Helper()
	m := adminNewTemplate(t, key, channel, locale, nil, now)
	if err := repository.NewMessageTemplates(db).Create(context.Background(), m); err != nil {
		t.Fatalf("create template: %v", err)
	}
	return m
}

func adminAssertTemplate(t *testing.T, got, want *models.MessageTemplate) {
	t.Helper()
	if got.ID != want.ID || got.Key != want.Key || got.Channel != want.Channel || got.Locale != want.Locale ||
		got.BodyText != want.BodyText || got.Version != want.Version {
		t.Errorf("template = %+v, want %+v", got, want)
	}
	eqPtr(t, "Subject", got.Subject, want.Subject)
	eqPtr(t, "BodyHTML", got.BodyHTML, want.BodyHTML)
	eqPtr(t, "UpdatedBy", got.UpdatedBy, want.UpdatedBy)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func TestMessageTemplatesRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		templates := repository.NewMessageTemplates(db)
		editor := createStaff(t, db, t0)
		for _, channel := range []models.TemplateChannel{models.TemplateChannelEmail, models.TemplateChannelTelegram} {
			t.Run(string(channel), func(t *testing.T) {
				m := adminNewTemplate(t, "appt_confirmed", channel, "ru", &editor.ID, at)
				m.CreatedAt, m.UpdatedAt, m.Version = at, at.Add(time.Hour), 4
				if err := templates.Create(ctx, m); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := templates.ByID(ctx, m.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				adminAssertTemplate(t, got, m)
				got, err = templates.ByKey(ctx, "appt_confirmed", channel, "ru")
				if err != nil {
					t.Fatalf("ByKey: %v", err)
				}
				adminAssertTemplate(t, got, m)
			})
		}
		for name, call := range map[string]func() error{
			"ByID": func() error { _, err := templates.ByID(ctx, models.NewID()); return err },
			"ByKey locale": func() error {
				_, err := templates.ByKey(ctx, "appt_confirmed", models.TemplateChannelEmail, "en")
				return err
			},
			"ByKey key": func() error { _, err := templates.ByKey(ctx, "other", models.TemplateChannelEmail, "ru"); return err },
			"Update unknown": func() error {
				return templates.Update(ctx, models.NewID(), func(*models.MessageTemplate) error { return nil })
			},
		} {
			if err := call(); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestMessageTemplatesConstraints(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		templates := repository.NewMessageTemplates(db)
		adminCreateTemplate(t, db, "appt_confirmed", models.TemplateChannelEmail, "ru", t0)
		assertConstraint(t, templates.Create(ctx, adminNewTemplate(t, "appt_confirmed", models.TemplateChannelEmail, "ru", nil, t0)),
			models.ErrConflict, byDialect(db, "message_templates_key_channel_locale_key", "message_templates.key, message_templates.channel, message_templates.locale"))
		// Another channel or locale is another template.
		adminCreateTemplate(t, db, "appt_confirmed", models.TemplateChannelTelegram, "ru", t0)
		adminCreateTemplate(t, db, "appt_confirmed", models.TemplateChannelEmail, "en", t0)
		assertConstraint(t, templates.Create(ctx, adminNewTemplate(t, "k", models.TemplateChannelEmail, "ru", ptr(models.NewID()), t0)), models.ErrInvalidReference, "")

		// The CHECK constraints refuse what the model never produces.
		for name, corrupt := range map[string]func(m *models.MessageTemplate){
			"email without subject": func(m *models.MessageTemplate) { m.Subject = nil },
			"telegram with html":    func(m *models.MessageTemplate) { m.Channel = models.TemplateChannelTelegram; m.Subject = nil },
			"unknown channel":       func(m *models.MessageTemplate) { m.Channel = "sms" },
			"empty body":            func(m *models.MessageTemplate) { m.BodyText = "" },
		} {
			m := adminNewTemplate(t, "check_"+strings.ReplaceAll(name, " ", "_"), models.TemplateChannelEmail, "ru", nil, t0)
			corrupt(m)
			if err := templates.Create(ctx, m); err == nil {
				t.Errorf("%s: Create accepted it", name)
			}
		}

		// The editor leaves: the template stays, without its last editor.
		editor := createStaff(t, db, t0)
		m := adminNewTemplate(t, "reminder_24h", models.TemplateChannelTelegram, "ru", &editor.ID, t0)
		if err := templates.Create(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := cabinetDeleteUser(t, db, editor.ID); err != nil {
			t.Fatal(err)
		}
		got, err := templates.ByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UpdatedBy != nil {
			t.Errorf("UpdatedBy = %v after the editor was deleted, want nil", got.UpdatedBy)
		}
	})
}

func TestMessageTemplatesUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		templates := repository.NewMessageTemplates(db)
		editor := createStaff(t, db, t0)
		tests := []struct {
			name    string
			change  func(m *models.MessageTemplate) error
			wantErr bool
		}{
			{name: "edit", change: func(m *models.MessageTemplate) error {
				return m.Edit("Ждём вас {{.Date}}", "До встречи, {{.Name}}", nil, editor.ID, t1)
			}},
			{name: "broken template", wantErr: true, change: func(m *models.MessageTemplate) error {
				return m.Edit("s", "{{if}}", nil, editor.ID, t1)
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m := adminCreateTemplate(t, db, "k_"+strings.ReplaceAll(tt.name, " ", "_"), models.TemplateChannelEmail, "ru", t0)
				var changed models.MessageTemplate
				err := templates.Update(ctx, m.ID, func(m *models.MessageTemplate) error {
					err := tt.change(m)
					changed = *m
					return err
				})
				got, gerr := templates.ByID(ctx, m.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if tt.wantErr {
					var ve *models.ValidationError
					if !errors.As(err, &ve) || ve.Field != "body_text" {
						t.Fatalf("err = %v, want a body_text validation error", err)
					}
					adminAssertTemplate(t, got, m)
					return
				}
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				changed.Version = 2 // the content version editors see
				adminAssertTemplate(t, got, &changed)
				if got.BodyHTML != nil || *got.Subject != "Ждём вас {{.Date}}" {
					t.Errorf("saved template = %+v", got)
				}
			})
		}
	})
}

// Two editors open version 1; the second to save gets ErrConflict and must reload.
func TestMessageTemplatesOptimisticLocking(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		templates := repository.NewMessageTemplates(db)
		alice, bob := createStaff(t, db, t0), createStaff(t, db, t0)
		m := adminCreateTemplate(t, db, "appt_confirmed", models.TemplateChannelTelegram, "ru", t0)
		a, err := templates.ByKey(ctx, m.Key, m.Channel, m.Locale)
		if err != nil {
			t.Fatal(err)
		}
		b, err := templates.ByKey(ctx, m.Key, m.Channel, m.Locale)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Edit("", "Alice's text", nil, alice.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := templates.Save(ctx, a); err != nil {
			t.Fatalf("first save: %v", err)
		}
		if a.Version != 2 {
			t.Errorf("version after save = %d, want 2", a.Version)
		}
		if err := b.Edit("", "Bob's text", nil, bob.ID, t0); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, templates.Save(ctx, b), models.ErrConflict, "version")
		if b.Version != 1 {
			t.Errorf("stale version after the conflict = %d, want 1", b.Version)
		}
		got, err := templates.ByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		adminAssertTemplate(t, got, a)
	})
}

func TestMessageTemplatesList(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		templates := repository.NewMessageTemplates(db)
		// The migration's seeded templates would interleave: this test orders its own.
		if err := db.Gorm.Exec("DELETE FROM message_templates").Error; err != nil {
			t.Fatal(err)
		}
		// Created out of order.
		c := adminCreateTemplate(t, db, "reminder_24h", models.TemplateChannelEmail, "ru", t0)
		a := adminCreateTemplate(t, db, "appt_confirmed", models.TemplateChannelEmail, "ru", t0)
		d := adminCreateTemplate(t, db, "reminder_24h", models.TemplateChannelTelegram, "ru", t0)
		b := adminCreateTemplate(t, db, "appt_confirmed", models.TemplateChannelTelegram, "en", t0)
		b2 := adminCreateTemplate(t, db, "appt_confirmed", models.TemplateChannelTelegram, "ru", t0)
		want := []uuid.UUID{a.ID, b.ID, b2.ID, c.ID, d.ID}
		tests := []struct {
			name string
			page repository.Page
			want []uuid.UUID
		}{
			{"all", repository.Page{}, want},
			{"first page", repository.Page{Limit: 2}, want[:2]},
			{"last page", repository.Page{Limit: 2, Offset: 4}, want[4:]},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := templates.List(ctx, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				var ids []uuid.UUID
				for _, m := range got {
					ids = append(ids, m.ID)
				}
				if !slices.Equal(ids, tt.want) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
			})
		}
	})
}

// Every admin store method reports a failing database as an error with context.
func TestAdminStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		logs, templates := repository.NewAuditLogs(db), repository.NewMessageTemplates(db)
		m := adminCreateTemplate(t, db, "k", models.TemplateChannelTelegram, "ru", t0)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			call    func() error
			context string
		}{
			{"AuditLogs.Append", func() error { return logs.Append(ctx, adminNewLog(t, nil, "lead", "1", t0)) }, "append audit log"},
			{"AuditLogs.List", func() error { _, err := logs.List(ctx, repository.AuditLogFilter{}, repository.Page{}); return err }, "list audit logs"},
			{"MessageTemplates.Create", func() error {
				return templates.Create(ctx, adminNewTemplate(t, "x", models.TemplateChannelTelegram, "ru", nil, t0))
			}, "create message template"},
			{"MessageTemplates.ByID", func() error { _, err := templates.ByID(ctx, m.ID); return err }, "message template"},
			{"MessageTemplates.ByKey", func() error { _, err := templates.ByKey(ctx, "k", m.Channel, "ru"); return err }, "message template k/telegram/ru"},
			{"MessageTemplates.List", func() error { _, err := templates.List(ctx, repository.Page{}); return err }, "list message templates"},
			{"MessageTemplates.Update", func() error { return templates.Update(ctx, m.ID, func(*models.MessageTemplate) error { return nil }) }, ""},
			{"MessageTemplates.Save", func() error { return templates.Save(ctx, m) }, "save message template"},
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
	})
}
