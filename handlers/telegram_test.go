package handlers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/events"
	"balance/integrations/telegram"
	"balance/integrations/telegram/telegramtest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
	"balance/service/bot"
	"balance/service/notify"
)

const (
	tgToken  = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
	tgSecret = "webhook-s3cret_0123456789"
)

type telegramEnv struct {
	db       *repository.DB
	s        *server
	tg       *telegramtest.Server
	outbox   *events.Outbox
	accounts *repository.TelegramAccounts
	links    *repository.DeepLinks
	st       booking.Stores
	bot      *bot.Bot
	// logs holds what the server logged (JSON lines).
	logs *testkit.Buffer
}

// telegramSetup serves the bot's endpoints: the real bot over db, the real Telegram client against
// the fake Bot API (with the webhook registered, so the fake builds Telegram's requests), and the
// real booking service for manage tokens.
func telegramSetup(t *testing.T, db *repository.DB) *telegramEnv {
	t.Helper()
	log := testkit.Logger(t)
	clock := testkit.NewClock(bookingNow)
	e := &telegramEnv{db: db, accounts: repository.NewTelegramAccounts(db), links: repository.NewDeepLinks(db), st: booking.NewStores(db), logs: &testkit.Buffer{}}
	var err error
	if e.outbox, err = events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, log); err != nil {
		t.Fatal(err)
	}
	e.tg = telegramtest.New(t, tgToken)
	client, err := telegram.New(telegram.Config{Token: tgToken, APIURL: e.tg.URL(), HTTPClient: e.tg.Client(), WebhookSecret: tgSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.SetWebhook(context.Background(), "https://balance.example/webhooks/telegram"); err != nil {
		t.Fatal(err)
	}
	n := notify.New(notify.NewStores(db), nil, client, e.outbox, clock, notify.Config{SiteURL: "https://balance.example"}, log)
	e.outbox.Handle(notify.TaskReply, n.Reply)
	if err := e.outbox.Init(); err != nil {
		t.Fatal(err)
	}
	slots := booking.NewSlots(repository.NewAvailability(db), e.st.Appointments, nil, clock)
	bookings := booking.NewBookings(db, e.st, slots, nil, e.outbox, clock, booking.Config{HoldTTL: 15 * time.Minute, IdempotencyTTL: 24 * time.Hour}, log)
	b := bot.New(db, bookings, client, e.outbox, clock, bot.Config{LinkTTL: 24 * time.Hour, SiteURL: "https://balance.example"}, log)
	e.bot = b
	e.s, _ = newServer(t, db, options{bot: b, botSecret: client,
		log: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	return e
}

// webhook posts body to /webhooks/telegram with the headers Telegram would send, adjusted by edit.
func (e *telegramEnv) webhook(t *testing.T, body []byte, edit func(http.Header)) *testkit.Response {
	t.Helper()
	req, err := e.tg.WebhookRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req.Header)
	}
	return e.s.api.Do("POST", "/webhooks/telegram", body, req.Header)
}

// queued counts the jobs waiting to run (the outbox is not started).
func (e *telegramEnv) queued(t *testing.T) int {
	t.Helper()
	jobs, err := e.outbox.Jobs(context.Background(), "available", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Task != notify.TaskReply {
			t.Errorf("unexpected job %+v", j)
		}
	}
	return len(jobs)
}

func (e *telegramEnv) hasAccount(t *testing.T, tgUserID int64) bool {
	t.Helper()
	_, err := e.accounts.ByTelegramUserID(context.Background(), tgUserID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// appointment stores a confirmed booking of a free service for a new client and returns its id
// and manage token.
func (e *telegramEnv) appointment(t *testing.T) (uuid.UUID, string) {
	t.Helper()
	ctx := context.Background()
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
		DurationMinutes: 50, Price: models.Money{Minor: 0, Currency: models.CurrencyRUB}, Timezone: "Europe/Moscow",
	}, bookingNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish(bookingNow); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Services.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	u := models.NewClientUser("anna@example.com", "Анна", bookingNow)
	if err := e.st.Users.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	a, err := models.NewAppointment(svc, bookingSlot(0), models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, &u.ID, nil, models.AppointmentMetadata{}, 0, bookingNow)
	if err != nil {
		t.Fatal(err)
	}
	token, err := crypto.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetManageTokenHash(crypto.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Appointments.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a.ID, token
}

type deepLinkBody struct {
	Code      string `json:"code"`
	URL       string `json:"url"`
	ExpiresAt string `json:"expires_at"`
}

func TestTelegramWebhookRefusesWrongSecret(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		start := telegramtest.UpdateJSON(1, 777, 777, "anna", "/start")
		for _, tc := range []struct {
			name string
			edit func(http.Header)
		}{
			{"missing", func(h http.Header) { h.Del("X-Telegram-Bot-Api-Secret-Token") }},
			{"empty", func(h http.Header) { h.Set("X-Telegram-Bot-Api-Secret-Token", "") }},
			{"wrong", func(h http.Header) { h.Set("X-Telegram-Bot-Api-Secret-Token", "webhook-s3cret_0123456788") }},
			{"prefix", func(h http.Header) { h.Set("X-Telegram-Bot-Api-Secret-Token", tgSecret[:len(tgSecret)-1]) }},
			{"longer", func(h http.Header) { h.Set("X-Telegram-Bot-Api-Secret-Token", tgSecret+"0") }},
			{"other case", func(h http.Header) { h.Set("X-Telegram-Bot-Api-Secret-Token", strings.ToUpper(tgSecret)) }},
		} {
			r := e.webhook(t, start, tc.edit)
			if p := r.Problem(t); r.Status != http.StatusUnauthorized || p.Type != "https://balance.example/problems/unauthenticated" {
				t.Errorf("%s secret: %d %s", tc.name, r.Status, r.Body)
			}
		}
		if e.hasAccount(t, 777) || e.queued(t) != 0 {
			t.Fatal("a request with a wrong secret was acted on")
		}

		r := e.webhook(t, start, nil)
		if r.Status != http.StatusOK || string(r.Body) != `{"ok":true}` {
			t.Fatalf("right secret: %d %s", r.Status, r.Body)
		}
		if !e.hasAccount(t, 777) || e.queued(t) != 1 {
			t.Errorf("after /start: account %v, %d jobs", e.hasAccount(t, 777), e.queued(t))
		}
		// Telegram delivers it again: acknowledged, the account is not duplicated.
		if r := e.webhook(t, start, nil); r.Status != http.StatusOK {
			t.Errorf("again: %d %s", r.Status, r.Body)
		}
	})
}

// refusals are the server's log lines that acknowledge an update it will never accept.
func (e *telegramEnv) refusals(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range e.logs.JSONLines(t) {
		if l["msg"] == "telegram update refused for good; acknowledged so that Telegram does not send it again" {
			out = append(out, l)
		}
	}
	return out
}

// TestTelegramWebhookAcknowledgesUnacceptableUpdates: an update that can never be accepted answers
// 200 (any other status makes Telegram send it again, forever), stores nothing, and is logged at
// WARN with its update_id and the reason — never with what the person wrote.
func TestTelegramWebhookAcknowledgesUnacceptableUpdates(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		// A private /start from 777, as Telegram sends it, with its strings as given (raw, so that
		// invalid UTF-8 reaches the server as sent).
		raw := func(id int64, username, firstName, text string) string {
			return `{"update_id":` + strconv.FormatInt(id, 10) + `,"message":{"message_id":1,"date":1700000000,` +
				`"from":{"id":777,"is_bot":false,"first_name":"` + firstName + `","username":"` + username + `"},` +
				`"chat":{"id":777,"type":"private"},"text":"` + text + `"}}`
		}
		huge := `{"update_id":9,"message":{"chat":{"id":777},"text":"` + strings.Repeat("a", 300<<10) + `"}}`
		for _, tc := range []struct {
			name     string
			body     string
			updateID float64 // 0: not known
			secret   string  // a word of the body that must not be logged
		}{
			{"not JSON", `{"update_id":`, 0, ""},
			{"not an object", `[1]`, 0, ""},
			{"no update_id", `{"message":{"chat":{"id":777},"text":"/start"}}`, 0, ""},
			{"message without a chat", `{"update_id":3,"message":{"text":"/start"}}`, 3, ""},
			{"a field of the wrong type", `{"update_id":4,"message":{"chat":{"id":777},"text":"/start","from":{"id":"confidential"}}}`, 4, "confidential"},
			{"too large", huge, 0, ""},
			{"username with NUL", string(telegramtest.UpdateJSON(10, 777, 777, "anna\x00", "/start")), 10, ""},
			{"username over 32 characters", string(telegramtest.UpdateJSON(11, 777, 777, strings.Repeat("a", 33), "/start")), 11, ""},
			{"username with spaces", string(telegramtest.UpdateJSON(12, 777, 777, "no spaces allowed", "/start")), 12, "allowed"},
			{"first name with NUL", raw(13, "anna", `Confidential\u0000Anna`, "/start"), 13, "Confidential"},
			{"/start payload with NUL", string(telegramtest.UpdateJSON(14, 777, 777, "anna", "/start Confidential\x00abcdefghijklmnopqr")), 14, "Confidential"},
			{"invalid UTF-8 in the text", raw(15, "anna", "Anna", "/start Confidential\xff\xfe"), 15, "Confidential"},
			{"invalid UTF-8 in the username", raw(16, "ann\xc3", "Anna", "/start"), 16, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := len(e.refusals(t))
				// Telegram sends it again only on a non-2xx answer: twice here proves it stays 200.
				for range 2 {
					r := e.webhook(t, []byte(tc.body), nil)
					if r.Status != http.StatusOK || string(r.Body) != `{"ok":true}` {
						t.Fatalf("%d %s; want 200, so that Telegram does not send it again", r.Status, r.Body)
					}
				}
				if e.hasAccount(t, 777) || e.queued(t) != 0 {
					t.Errorf("something was stored: account %v, %d jobs", e.hasAccount(t, 777), e.queued(t))
				}
				lines := e.refusals(t)
				if len(lines) != before+2 {
					t.Fatalf("%d refusals logged, want 2", len(lines)-before)
				}
				l := lines[len(lines)-1]
				if l["level"] != "WARN" || l["reason"] == nil || l["reason"] == "" {
					t.Errorf("log line %v: want WARN with a reason", l)
				}
				if id, known := l["update_id"]; (tc.updateID != 0 && id != tc.updateID) || (tc.updateID == 0 && known) {
					t.Errorf("update_id %v, want %v", id, tc.updateID)
				}
			})
			if tc.secret != "" && strings.Contains(e.logs.String(), tc.secret) {
				t.Errorf("%s: the log holds the person's text %q", tc.name, tc.secret)
			}
		}
		// Updates the bot does not act on are acknowledged, and nothing is logged as refused.
		before := len(e.refusals(t))
		for _, body := range []string{
			`{"update_id":5}`,
			`{"update_id":6,"my_chat_member":{"chat":{"id":777,"type":"private"}}}`,
			string(telegramtest.UpdateJSON(7, 777, 777, "anna", "hello")),
			string(telegramtest.UpdateJSON(8, -100777, 777, "anna", "/start")),
		} {
			if r := e.webhook(t, []byte(body), nil); r.Status != http.StatusOK {
				t.Errorf("%s: %d %s", body, r.Status, r.Body)
			}
		}
		if e.hasAccount(t, 777) || e.queued(t) != 0 || len(e.refusals(t)) != before {
			t.Error("an ignored update was acted on or logged as refused")
		}
	})
}

// TestTelegramWebhookRetriesTransientFailures: when the update cannot be handled now (the database
// is gone), the answer is 503 so that Telegram sends it again.
func TestTelegramWebhookRetriesTransientFailures(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		if err := db.SQL.Close(); err != nil {
			t.Fatal(err)
		}
		r := e.webhook(t, telegramtest.UpdateJSON(1, 777, 777, "anna", "/start"), nil)
		if p := r.Problem(t); r.Status != http.StatusServiceUnavailable || p.Type != "https://balance.example/problems/retry-later" {
			t.Errorf("database down: %d %s", r.Status, r.Body)
		}
		if len(e.refusals(t)) != 0 {
			t.Error("a transient failure was logged as a refusal for good")
		}
	})
}

func TestTelegramDeepLinks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		ctx := context.Background()
		r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", map[string]any{
			"purpose": "plan", "entry_point": "quiz-result", "payload": map[string]string{"run_id": "run-42"},
		})
		if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d %v %s", r.Status, r.Header, r.Body)
		}
		var link deepLinkBody
		r.JSON(t, &link)
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`).MatchString(link.Code) ||
			link.URL != "https://t.me/"+telegramtest.DefaultUsername+"?start="+link.Code ||
			link.ExpiresAt != bookingNow.Add(24*time.Hour).Format(time.RFC3339) {
			t.Fatalf("link %+v", link)
		}
		if l, err := e.links.ByCode(ctx, link.Code); err != nil || l.Purpose != models.DeepLinkPurposePlan || l.Payload["run_id"] != "run-42" {
			t.Fatalf("stored %+v (%v)", l, err)
		}

		// The visitor opens it: Telegram posts /start <code>.
		if r := e.webhook(t, telegramtest.UpdateJSON(1, 777, 777, "anna", "/start "+link.Code), nil); r.Status != http.StatusOK {
			t.Fatalf("webhook: %d %s", r.Status, r.Body)
		}
		if !e.hasAccount(t, 777) || e.queued(t) != 2 {
			t.Errorf("after /start <code>: account %v, %d jobs (want welcome and plan)", e.hasAccount(t, 777), e.queued(t))
		}
		if l, _ := e.links.ByCode(ctx, link.Code); l == nil || l.Uses != 1 {
			t.Errorf("the link was not used: %+v", l)
		}
	})
}

func TestTelegramBookingDeepLink(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		id, token := e.appointment(t)
		body := map[string]any{"purpose": "booking", "booking_id": id}
		for _, tc := range []struct {
			name   string
			header http.Header
		}{
			{"no token", nil},
			{"wrong token", manage("not-the-token")},
		} {
			r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", body, tc.header)
			if p := r.Problem(t); r.Status != http.StatusNotFound || p.Type != "https://balance.example/problems/not-found" {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
			}
		}
		other := map[string]any{"purpose": "booking", "booking_id": uuid.New()}
		if r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", other, manage(token)); r.Status != http.StatusNotFound {
			t.Errorf("another booking with this token: %d %s", r.Status, r.Body)
		}
		r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", body, manage(token))
		if r.Status != http.StatusCreated {
			t.Fatalf("with the token: %d %s", r.Status, r.Body)
		}
		var link deepLinkBody
		r.JSON(t, &link)
		l, err := e.links.ByCode(context.Background(), link.Code)
		if err != nil || l.Purpose != models.DeepLinkPurposeBooking || l.UserID == nil {
			t.Errorf("stored %+v (%v)", l, err)
		}
	})
}

func TestTelegramDeepLinkBadInput(t *testing.T) {
	t.Parallel()
	e := telegramSetup(t, testkit.NewDB(t, "sqlite"))
	many := map[string]string{}
	for i := range 17 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	for _, tc := range []struct {
		name   string
		body   any
		header http.Header
		status int
		field  string
	}{
		{"booking without booking_id", map[string]any{"purpose": "booking"}, manage("some-token"), 422, "booking_id"},
		{"unknown purpose", map[string]any{"purpose": "newsletter"}, nil, 422, "purpose"},
		{"no purpose", map[string]any{"entry_point": "x"}, nil, 422, "purpose"},
		{"long entry point", map[string]any{"purpose": "plan", "entry_point": strings.Repeat("x", 129)}, nil, 422, "entry_point"},
		{"too many payload keys", map[string]any{"purpose": "plan", "payload": many}, nil, 422, "payload"},
		{"long payload value", map[string]any{"purpose": "plan", "payload": map[string]string{"run_id": strings.Repeat("x", 513)}}, nil, 422, "payload.run_id"},
		{"payload not of strings", map[string]any{"purpose": "plan", "payload": map[string]any{"run_id": 5}}, nil, 422, "payload"},
		{"unknown field", map[string]any{"purpose": "plan", "user_id": "x"}, nil, 422, "user_id"},
		{"malformed", `{"purpose":`, nil, 400, ""},
		{"not JSON", "purpose=plan", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", tc.body, tc.header)
			p := r.Problem(t)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Message == "") {
				t.Errorf("errors %+v, want one on %s", p.Errors, tc.field)
			}
		})
	}
	var n int
	if err := e.db.SQL.QueryRow(`SELECT count(*) FROM deep_links`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d links stored (%v)", n, err)
	}
}

func TestTelegramDeepLinkWhileTelegramIsDown(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		e.tg.RateLimitNext(1, 5) // getMe cannot answer: the link's URL needs the bot's name
		body := map[string]any{"purpose": "subscribe"}
		r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", body)
		if p := r.Problem(t); r.Status != http.StatusServiceUnavailable || !strings.HasSuffix(p.Type, "/telegram-unavailable") {
			t.Fatalf("Telegram down: %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", body); r.Status != http.StatusCreated {
			t.Errorf("Telegram back: %d %s", r.Status, r.Body)
		}
	})
}
