package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"balance/events"
	"balance/integrations/telegram"
	"balance/integrations/telegram/telegramtest"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/bot"
	"balance/service/notify"
)

// tgSignInEnv is the cabinet with the real bot beside it: /login goes through the bot, its reply
// through the notifier to the fake Bot API, and the link's token back to /api/v1/auth/telegram.
type tgSignInEnv struct {
	*cabinetEnv
	tg  *telegramtest.Server
	n   *notify.Notifier
	bot *bot.Bot
}

func newTgSignInEnv(t *testing.T, db *repository.DB) *tgSignInEnv {
	t.Helper()
	e := &tgSignInEnv{}
	e.cabinetEnv = newCabinetEnv(t, db, func(o *options) {
		// The reply task is handled before the outbox starts (newCabinetEnv's Init).
		o.codeJobs.(*events.Outbox).Handle(notify.TaskReply, func(ctx context.Context, raw json.RawMessage) error {
			return e.n.Reply(ctx, raw)
		})
	})
	e.tg = telegramtest.New(t, tgToken)
	client, err := telegram.New(telegram.Config{Token: tgToken, APIURL: e.tg.URL(), HTTPClient: e.tg.Client(), WebhookSecret: tgSecret})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.n = notify.New(notify.NewStores(db), nil, client, e.outbox, e.s.clock, notify.Config{SiteURL: "https://balance.example"}, log)
	e.n.UseTelegramSignIn(e.s.clients)
	e.bot = bot.New(db, nil, client, e.outbox, e.s.clock, bot.Config{LinkTTL: time.Hour, SiteURL: "https://balance.example"}, log)
	return e
}

// account links Telegram user tgID to user (nil: not linked).
func (e *tgSignInEnv) account(t *testing.T, tgID int64, user *models.User) {
	t.Helper()
	now := e.s.clock.Now()
	a, err := models.NewTelegramAccount(tgID, "tg_user", tgID, now)
	if err != nil {
		t.Fatal(err)
	}
	if user != nil {
		if err := a.LinkUser(user.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := repository.NewTelegramAccounts(e.db).Create(context.Background(), a); err != nil {
		t.Fatal(err)
	}
}

var signInLink = regexp.MustCompile(`https://balance\.example/signin/telegram#token=([A-Za-z0-9_-]{43})`)

// login sends /login from tgID (update id) and runs the queued replies; it returns the text sent.
func (e *tgSignInEnv) login(t *testing.T, id, tgID int64) string {
	t.Helper()
	u, err := telegram.ParseUpdate(telegramtest.UpdateJSON(id, tgID, tgID, "tg_user", "/login"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.bot.HandleUpdate(context.Background(), u); err != nil {
		t.Fatalf("/login: %v", err)
	}
	before := len(e.tg.Sent())
	for _, raw := range e.replyJobs(t) {
		for range 2 { // as a redelivered job would: answered once
			if err := e.n.Reply(context.Background(), raw); err != nil {
				t.Fatalf("reply %s: %v", raw, err)
			}
		}
	}
	sent := e.tg.Sent()[before:]
	if len(sent) != 1 || sent[0].ChatID != tgID {
		t.Fatalf("sent %+v, want one message to %d", sent, tgID)
	}
	return sent[0].Text
}

// replyJobs are the payloads of the queued reply jobs not yet run.
func (e *tgSignInEnv) replyJobs(t *testing.T) []json.RawMessage {
	t.Helper()
	args := "args"
	if e.db.Dialect == migrations.SQLite {
		args = "json(args)"
	}
	rows, err := e.db.SQL.Query(`SELECT ` + args + ` FROM river_job WHERE kind = 'task' AND state = 'available' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []json.RawMessage
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var a struct {
			Task    string          `json:"task"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		if a.Task == notify.TaskReply {
			out = append(out, a.Payload)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SQL.Exec(`UPDATE river_job SET state = 'completed', finalized_at = created_at WHERE kind = 'task' AND state = 'available'`); err != nil {
		t.Fatal(err)
	}
	return out
}

// holds reports whether any row of the tables that sign-in touches holds s.
func (e *tgSignInEnv) holds(t *testing.T, s string) bool {
	t.Helper()
	for _, table := range []string{"one_time_codes", "river_job", "notification_deliveries", "audit_logs", "sessions", "telegram_accounts"} {
		var rows []map[string]any
		if err := e.db.Gorm.Table(table).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			for _, v := range r {
				text := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					text = string(b)
				}
				if strings.Contains(text, s) {
					return true
				}
			}
		}
	}
	return false
}

func (e *tgSignInEnv) signInRows(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := e.db.Gorm.Model(&models.OneTimeCode{}).Where("purpose = ?", models.CodeTelegramSignIn).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTelegramSignIn(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newTgSignInEnv(t, db)
		anna := e.signIn(t, e.s.api, "anna@example.org", "token")
		user, err := repository.NewUsers(db).ByEmail(context.Background(), "anna@example.org")
		if err != nil {
			t.Fatal(err)
		}
		e.account(t, 501, user)

		text := e.login(t, 1, 501)
		m := signInLink.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("reply %q has no sign-in link", text)
		}
		token := m[1]
		if e.holds(t, token) || strings.Contains(e.logs.String(), token) {
			t.Error("the token is stored or logged in clear")
		}

		// The link signs in once, as a cookie session with a CSRF token.
		api := testkit.NewAPI(t, e.r)
		r := api.Do("POST", "/api/v1/auth/telegram", map[string]string{"token": token})
		if r.Status != http.StatusOK {
			t.Fatalf("sign in = %d %s", r.Status, r.Body)
		}
		var s cabinetSession
		r.JSON(t, &s)
		if s.Session != "cookie" || s.CSRFToken == "" || s.Me.ID != anna.Me.ID || clientCookie(api) == nil {
			t.Errorf("session %+v", s)
		}
		if r := api.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
			t.Errorf("me with the new cookie = %d %s", r.Status, r.Body)
		}
		r = e.s.api.Do("POST", "/api/v1/auth/telegram", map[string]string{"token": token, "session": "token"})
		wantLinkExpired(t, r)
		if strings.Contains(e.logs.String(), token) {
			t.Error("the token is logged in clear")
		}

		// A new link, as a bearer session; then an expired one.
		token = signInLink.FindStringSubmatch(e.login(t, 2, 501))[1]
		r = e.s.api.Do("POST", "/api/v1/auth/telegram", map[string]string{"token": token, "session": "token"})
		if r.Status != http.StatusOK {
			t.Fatalf("bearer sign in = %d %s", r.Status, r.Body)
		}
		r.JSON(t, &s)
		if s.Session != "token" || s.Token == "" || s.Me.ID != anna.Me.ID {
			t.Errorf("bearer session %+v", s)
		}
		token = signInLink.FindStringSubmatch(e.login(t, 3, 501))[1]
		e.s.clock.Advance(models.TelegramSignInTTL)
		r = e.s.api.Do("POST", "/api/v1/auth/telegram", map[string]string{"token": token})
		wantLinkExpired(t, r)

		// Wrong and malformed tokens.
		r = e.s.api.Do("POST", "/api/v1/auth/telegram", map[string]string{"token": strings.Repeat("A", 43)})
		wantLinkExpired(t, r)
		for _, body := range []any{map[string]string{"token": "short"}, map[string]string{}, map[string]any{"token": 5}, "[", map[string]string{"token": token, "session": "jwt"}} {
			if r := e.s.api.Do("POST", "/api/v1/auth/telegram", body); r.Status < 400 || r.Status >= 500 {
				t.Errorf("%v = %d %s", body, r.Status, r.Body)
			}
		}
		r = e.s.api.Do("POST", "/api/v1/auth/telegram", map[string]string{"token": token}, http.Header{"Sec-Fetch-Site": {"cross-site"}})
		if r.Status != http.StatusForbidden {
			t.Errorf("cross-site = %d", r.Status)
		}
	})
}

func TestTelegramSignInRefusesOthers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newTgSignInEnv(t, db)
		staff, err := models.NewStaffUser("owner@example.org", "Owner", models.RoleOwner, "hash", e.s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewUsers(db).Create(context.Background(), staff); err != nil {
			t.Fatal(err)
		}
		e.account(t, 601, nil)
		e.account(t, 602, staff)
		for i, tgID := range []int64{601, 602, 603} { // 603 never wrote before
			text := e.login(t, int64(10+i), tgID)
			if !strings.Contains(text, "не связан") || strings.Contains(text, "signin") {
				t.Errorf("%d got %q", tgID, text)
			}
		}
		if n := e.signInRows(t); n != 0 {
			t.Errorf("%d sign-in rows made for accounts without a client", n)
		}
	})
}

func wantLinkExpired(t *testing.T, r *testkit.Response) {
	t.Helper()
	if r.Status != http.StatusUnprocessableEntity || r.Problem(t).Type != "https://balance.example/problems/sign-in-link-expired" {
		t.Errorf("got %d %s, want 422 sign-in-link-expired", r.Status, r.Body)
	}
}
