package bot_test

import (
	"context"
	"encoding/json"
	"errors"
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
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
	"balance/service/bot"
	"balance/service/notify"
)

// now is Tuesday 2026-12-01 12:00 Moscow.
var now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const (
	botToken = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
	siteURL  = "https://balance.example"
	linkTTL  = 24 * time.Hour
	// anna is the Telegram user (and, in a private chat, the chat) who writes to the bot.
	anna = int64(777)
)

var codeShape = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

type env struct {
	db       *repository.DB
	clock    *testkit.Clock
	tg       *telegramtest.Server
	outbox   *events.Outbox
	events   *testkit.EventCounter
	n        *notify.Notifier
	bot      *bot.Bot
	links    *repository.DeepLinks
	accounts *repository.TelegramAccounts
	users    *repository.Users
	st       booking.Stores
}

// newEnv wires the real bot over db: the real Telegram client against the fake Bot API, the real
// booking service for manage tokens, and the outbox (not started: tests run the queued replies
// through the notifier themselves).
func newEnv(t *testing.T, db *repository.DB) *env {
	t.Helper()
	log := testkit.Logger(t)
	e := &env{
		db: db, clock: testkit.NewClock(now), links: repository.NewDeepLinks(db),
		accounts: repository.NewTelegramAccounts(db), users: repository.NewUsers(db), st: booking.NewStores(db),
	}
	var err error
	if e.outbox, err = events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, log); err != nil {
		t.Fatal(err)
	}
	e.events = testkit.CountEvents(e.outbox)
	db.SetPublisher(e.events)
	e.tg = telegramtest.New(t, botToken)
	client, err := telegram.New(telegram.Config{Token: botToken, APIURL: e.tg.URL(), HTTPClient: e.tg.Client(), WebhookSecret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	e.n = notify.New(notify.NewStores(db), nil, client, e.outbox, e.clock, notify.Config{SiteURL: siteURL}, log)
	e.outbox.Handle(notify.TaskReply, e.n.Reply)
	if err := e.outbox.Init(); err != nil {
		t.Fatal(err)
	}
	slots := booking.NewSlots(repository.NewAvailability(db), e.st.Appointments, nil, e.clock)
	bookings := booking.NewBookings(db, e.st, slots, nil, e.outbox, e.clock, booking.Config{HoldTTL: 15 * time.Minute, IdempotencyTTL: 24 * time.Hour}, log)
	e.bot = bot.New(db, bookings, client, e.outbox, e.clock, bot.Config{LinkTTL: linkTTL, SiteURL: siteURL}, log)
	return e
}

// update is the /start (or other) message Telegram delivers from user `from` in their private chat,
// read by the real parser.
func update(t *testing.T, id, from int64, text string) *telegram.Update {
	t.Helper()
	u, err := telegram.ParseUpdate(telegramtest.UpdateJSON(id, from, from, "anna_tg", text))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) handle(t *testing.T, u *telegram.Update) {
	t.Helper()
	if err := e.bot.HandleUpdate(context.Background(), u); err != nil {
		t.Fatalf("update %d %q: %v", u.UpdateID, u.Text, err)
	}
}

// reply is a queued notify.reply job: its payload as queued and decoded.
type reply struct {
	raw json.RawMessage
	notify.ReplyTask
}

func (r reply) String() string { return string(r.raw) }

// replies lists the queued replies in the order they were queued, read from the job table (the
// outbox does not expose payloads).
func (e *env) replies(t *testing.T) []reply {
	t.Helper()
	args := "args"
	if e.db.Dialect == migrations.SQLite {
		args = "json(args)" // River keeps SQLite's args as JSONB
	}
	rows, err := e.db.SQL.Query(`SELECT ` + args + ` FROM river_job WHERE kind = 'task' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []reply
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var args struct {
			Task    string          `json:"task"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(raw, &args); err != nil {
			t.Fatalf("job args %s: %v", raw, err)
		}
		if args.Task != notify.TaskReply {
			continue
		}
		r := reply{raw: args.Payload}
		if err := json.Unmarshal(args.Payload, &r.ReplyTask); err != nil {
			t.Fatalf("reply payload %s: %v", args.Payload, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// keys lists the template keys of the replies queued for update id.
func (e *env) keys(t *testing.T, updateID int64) []string {
	t.Helper()
	var out []string
	for _, r := range e.replies(t) {
		if strings.HasPrefix(r.Dedup, "bot:"+strconv.FormatInt(updateID, 10)+":") {
			out = append(out, r.Key)
		}
	}
	return out
}

// runReplies runs every queued reply as the job queue would (each one again, if run before).
func (e *env) runReplies(t *testing.T) {
	t.Helper()
	for _, r := range e.replies(t) {
		if err := e.n.Reply(context.Background(), r.raw); err != nil {
			t.Fatalf("reply %s: %v", r.raw, err)
		}
	}
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db.SQL.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) planLink(t *testing.T) *bot.DeepLink {
	t.Helper()
	l, err := e.bot.CreateDeepLink(context.Background(), bot.DeepLinkRequest{
		Purpose: models.DeepLinkPurposePlan, EntryPoint: "quiz-result", Payload: map[string]string{"run_id": "run-42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// storeLink stores a link issued to a known user and/or lead, as the site does for a signed-in
// visitor or a lead it knows.
func (e *env) storeLink(t *testing.T, purpose models.DeepLinkPurpose, userID, leadID *uuid.UUID) string {
	t.Helper()
	code, err := crypto.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	l, err := models.NewDeepLink(code, purpose, map[string]string{"run_id": "run-7"}, "article", linkTTL, 1, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if userID != nil {
		if err := l.AttachUser(*userID); err != nil {
			t.Fatal(err)
		}
	}
	if leadID != nil {
		if err := l.AttachLead(*leadID); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.links.Create(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	return code
}

func (e *env) user(t *testing.T, email string) *models.User {
	t.Helper()
	u := models.NewClientUser(models.Email(email), "Анна", now)
	if err := e.users.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) lead(t *testing.T) *models.Lead {
	t.Helper()
	l, err := models.NewLead("site", models.UTM{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Leads.Create(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	return l
}

// appointment books a free service for the user and/or lead and returns it with its manage token.
func (e *env) appointment(t *testing.T, userID, leadID *uuid.UUID, at time.Time) (*models.Appointment, string) {
	t.Helper()
	ctx := context.Background()
	svc, err := e.st.Services.BySlug(ctx, "individual-session")
	if errors.Is(err, models.ErrNotFound) {
		svc, err = models.NewService(models.ServiceDetails{
			Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
			DurationMinutes: 50, Price: models.Money{Minor: 0, Currency: models.CurrencyRUB}, Timezone: "Europe/Moscow",
		}, now)
		if err == nil {
			err = svc.Publish(now)
		}
		if err == nil {
			err = e.st.Services.Create(ctx, svc)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	a, err := models.NewAppointment(svc, at, models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, userID, leadID, models.AppointmentMetadata{}, 0, now)
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
	return a, token
}

func TestCreatePlanLink(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		link := e.planLink(t)
		if !codeShape.MatchString(link.Code) {
			t.Errorf("code %q is not 16-64 characters of base64url", link.Code)
		}
		if want := "https://t.me/" + telegramtest.DefaultUsername + "?start=" + link.Code; link.URL != want {
			t.Errorf("url %q, want %q", link.URL, want)
		}
		if !link.ExpiresAt.Equal(now.Add(linkTTL)) {
			t.Errorf("expires at %s, want %s", link.ExpiresAt, now.Add(linkTTL))
		}
		stored, err := e.links.ByCode(ctx, link.Code)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Purpose != models.DeepLinkPurposePlan || stored.Payload["run_id"] != "run-42" || stored.EntryPoint != "quiz-result" ||
			stored.MaxUses != 1 || stored.Uses != 0 || stored.UserID != nil || stored.LeadID != nil || !stored.ExpiresAt.Equal(link.ExpiresAt) {
			t.Errorf("stored link %+v", stored)
		}
		other := e.planLink(t)
		if other.Code == link.Code {
			t.Error("two links share a code")
		}
		// The bot's username is asked of Telegram once.
		if n := e.tg.Calls("getMe"); n != 1 {
			t.Errorf("getMe called %d times", n)
		}
	})
}

func TestCreateLinkRefused(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		many := map[string]string{}
		for i := range 17 {
			many["k"+strconv.Itoa(i)] = "v"
		}
		for _, tc := range []struct {
			name  string
			req   bot.DeepLinkRequest
			field string
		}{
			{"unknown purpose", bot.DeepLinkRequest{Purpose: "newsletter"}, "purpose"},
			{"too many payload keys", bot.DeepLinkRequest{Purpose: models.DeepLinkPurposePlan, Payload: many}, "payload"},
			{"long payload value", bot.DeepLinkRequest{Purpose: models.DeepLinkPurposePlan, Payload: map[string]string{"run_id": strings.Repeat("x", 513)}}, "payload.run_id"},
			{"long entry point", bot.DeepLinkRequest{Purpose: models.DeepLinkPurposeSubscribe, EntryPoint: strings.Repeat("x", 129)}, "entry_point"},
		} {
			_, err := e.bot.CreateDeepLink(ctx, tc.req)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("%s: %v, want a validation error on %s", tc.name, err, tc.field)
			}
		}
		// Telegram cannot tell the bot's username: no link.
		e.tg.RateLimitNext(1, 3)
		_, err := e.bot.CreateDeepLink(ctx, bot.DeepLinkRequest{Purpose: models.DeepLinkPurposeSubscribe})
		var wait *telegram.RetryAfterError
		if !errors.As(err, &wait) {
			t.Errorf("getMe answered 429: %v", err)
		}
		if n := e.count(t, "deep_links"); n != 0 {
			t.Errorf("%d links stored", n)
		}
	})
}

func TestBookingLink(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u, lead := e.user(t, "anna@example.com"), e.lead(t)
		a, token := e.appointment(t, &u.ID, &lead.ID, time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))
		_, otherToken := e.appointment(t, &u.ID, nil, time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC))

		for _, tc := range []struct {
			name  string
			id    uuid.UUID
			token string
		}{
			{"no token", a.ID, ""},
			{"wrong token", a.ID, "not-the-manage-token"},
			{"another booking's token", a.ID, otherToken},
			{"no booking", uuid.Nil, token},
		} {
			_, err := e.bot.CreateDeepLink(ctx, bot.DeepLinkRequest{Purpose: models.DeepLinkPurposeBooking, BookingID: tc.id, ManageToken: tc.token})
			if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", tc.name, err)
			}
		}
		if n := e.count(t, "deep_links"); n != 0 {
			t.Fatalf("refused requests stored %d links", n)
		}

		link, err := e.bot.CreateDeepLink(ctx, bot.DeepLinkRequest{Purpose: models.DeepLinkPurposeBooking, EntryPoint: "booking-page", BookingID: a.ID, ManageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := e.links.ByCode(ctx, link.Code)
		if err != nil {
			t.Fatal(err)
		}
		if stored.UserID == nil || *stored.UserID != u.ID || stored.LeadID == nil || *stored.LeadID != lead.ID {
			t.Fatalf("the link is not the booking client's: %+v", stored)
		}

		e.handle(t, update(t, 1, anna, "/start "+link.Code))
		acc, err := e.accounts.ByTelegramUserID(ctx, anna)
		if err != nil {
			t.Fatal(err)
		}
		if acc.UserID == nil || *acc.UserID != u.ID || acc.LeadID == nil || *acc.LeadID != lead.ID || acc.LinkedAt == nil || !acc.LinkedAt.Equal(now) {
			t.Errorf("account %+v", acc)
		}
		got, err := e.users.ByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := got.ActiveConsent(models.ConsentTelegram); c == nil || c.Version != bot.ConsentVersion || c.Source != "telegram_start" {
			t.Errorf("telegram consent %+v", c)
		}
		// A booking link answers with the welcome only.
		if keys := e.keys(t, 1); len(keys) != 1 || keys[0] != "telegram_welcome" {
			t.Errorf("replies %v", keys)
		}
		// Linked to the user, then to the lead: one event each.
		for name, want := range map[string]int{"telegram_account.linked": 2, "consent.changed": 1, "deep_link.used": 1} {
			if n := e.events.Count(name); n != want {
				t.Errorf("%s fired %d times, want %d", name, n, want)
			}
		}
	})
}

func TestPlainStart(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.handle(t, update(t, 1, anna, "/start"))
		e.handle(t, update(t, 2, 888, "/start@"+telegramtest.DefaultUsername))

		acc, err := e.accounts.ByTelegramUserID(ctx, anna)
		if err != nil {
			t.Fatal(err)
		}
		if acc.ChatID != anna || acc.Username == nil || *acc.Username != "anna_tg" || acc.UserID != nil || acc.LeadID != nil || acc.Blocked {
			t.Errorf("account %+v", acc)
		}
		rs := e.replies(t)
		if len(rs) != 2 {
			t.Fatalf("replies %+v", rs)
		}
		if want := (notify.ReplyTask{Dedup: "bot:1:1", Key: "telegram_welcome", ChatID: anna, Name: telegramtest.UpdateFirstName}); rs[0].ReplyTask != want {
			t.Errorf("reply %+v, want %+v", rs[0].ReplyTask, want)
		}
		if rs[1].ChatID != 888 || rs[1].Key != "telegram_welcome" {
			t.Errorf("reply to /start@bot %+v", rs[1].ReplyTask)
		}
		e.runReplies(t)
		sent := e.tg.Sent()
		if len(sent) != 2 || sent[0].ChatID != anna || sent[0].ParseMode != "HTML" || !strings.HasPrefix(sent[0].Text, "Здравствуйте, Test! Это бот практики") {
			t.Errorf("sent %+v", sent)
		}
		if n := e.events.Count("telegram_account.linked") + e.events.Count("consent.changed"); n != 0 {
			t.Errorf("a plain /start linked or consented: %d events", n)
		}
	})
}

func TestStartWithPlanLink(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u, lead := e.user(t, "anna@example.com"), e.lead(t)
		code := e.storeLink(t, models.DeepLinkPurposePlan, &u.ID, &lead.ID)

		e.handle(t, update(t, 10, anna, "/start "+code))
		acc, err := e.accounts.ByTelegramUserID(ctx, anna)
		if err != nil {
			t.Fatal(err)
		}
		if acc.UserID == nil || *acc.UserID != u.ID || acc.LeadID == nil || *acc.LeadID != lead.ID || acc.ChatID != anna {
			t.Errorf("account %+v", acc)
		}
		got, err := e.users.ByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := got.ActiveConsent(models.ConsentTelegram); c == nil || c.Version != bot.ConsentVersion || !c.GrantedAt.Equal(now) {
			t.Errorf("telegram consent %+v", c)
		}
		l, err := e.links.ByCode(ctx, code)
		if err != nil || l.Uses != 1 || l.UsedAt == nil || !l.UsedAt.Equal(now) {
			t.Errorf("link after use %+v (%v)", l, err)
		}
		rs := e.replies(t)
		if len(rs) != 2 || rs[0].Key != "telegram_welcome" || rs[1].Key != "telegram_plan" || rs[1].Link != siteURL+"/plan/run-7" || rs[1].Dedup != "bot:10:2" {
			t.Fatalf("replies %+v", rs)
		}
		e.runReplies(t)
		sent := e.tg.Sent()
		if len(sent) != 2 || !strings.HasPrefix(sent[0].Text, "Здравствуйте") || sent[1].Text != "<b>Ваш план</b>\n"+siteURL+"/plan/run-7" {
			t.Errorf("sent %+v", sent)
		}
	})
}

func TestStartWithAnonymousPlanLink(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		link := e.planLink(t)
		e.handle(t, update(t, 1, anna, "/start "+link.Code))
		acc, err := e.accounts.ByTelegramUserID(context.Background(), anna)
		if err != nil || acc.UserID != nil || acc.LeadID != nil {
			t.Errorf("account %+v (%v)", acc, err)
		}
		// A plan link without a run shows the site.
		bare, err := e.bot.CreateDeepLink(context.Background(), bot.DeepLinkRequest{Purpose: models.DeepLinkPurposePlan})
		if err != nil {
			t.Fatal(err)
		}
		e.handle(t, update(t, 2, 888, "/start "+bare.Code))
		e.runReplies(t)
		sent := e.tg.Sent()
		if len(sent) != 4 || sent[1].Text != "<b>Ваш план</b>\n"+siteURL+"/plan/run-42" || sent[3].Text != "<b>Ваш план</b>\n"+siteURL {
			t.Errorf("sent %+v", sent)
		}
	})
}

func TestSameUpdateTwiceAnswersOnce(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		u := e.user(t, "anna@example.com")
		code := e.storeLink(t, models.DeepLinkPurposePlan, &u.ID, nil)
		up := update(t, 5, anna, "/start "+code)
		e.handle(t, up)
		e.handle(t, up) // Telegram delivers the update again (our 200 was lost)
		e.runReplies(t)
		e.runReplies(t) // and the job queue runs every job again
		sent := e.tg.Sent()
		if len(sent) != 2 || !strings.HasPrefix(sent[0].Text, "Здравствуйте") || !strings.HasPrefix(sent[1].Text, "<b>Ваш план</b>") {
			t.Fatalf("sent %d messages: %+v", len(sent), sent)
		}
		got, err := e.users.ByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Consents); n != 1 {
			t.Errorf("%d consent records", n)
		}
		if n := e.count(t, "telegram_accounts"); n != 1 {
			t.Errorf("%d accounts", n)
		}
	})
}

func TestUnusableCodes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		expired, justInTime, used := e.planLink(t), e.planLink(t), e.planLink(t)
		e.handle(t, update(t, 1, 101, "/start "+used.Code))

		e.clock.Set(now.Add(linkTTL - time.Second))
		e.handle(t, update(t, 2, 102, "/start "+justInTime.Code))
		e.clock.Set(now.Add(linkTTL))
		e.handle(t, update(t, 3, 103, "/start "+expired.Code))
		e.handle(t, update(t, 4, 104, "/start "+used.Code))
		e.handle(t, update(t, 5, 105, "/start not-one-of-our-codes_0123456789"))
		e.handle(t, update(t, 6, 106, "/start"+" "+strings.Repeat("x", 300)))

		for id, want := range map[int64]string{
			1: "telegram_welcome telegram_plan", 2: "telegram_welcome telegram_plan",
			3: "telegram_unknown_code", 4: "telegram_unknown_code", 5: "telegram_unknown_code", 6: "telegram_unknown_code",
		} {
			if got := strings.Join(e.keys(t, id), " "); got != want {
				t.Errorf("update %d: replies %q, want %q", id, got, want)
			}
		}
		if l, err := e.links.ByCode(ctx, expired.Code); err != nil || l.Uses != 0 {
			t.Errorf("expired link %+v (%v)", l, err)
		}
		// Whoever wrote is registered, but linked to nothing.
		if n := e.count(t, "telegram_accounts"); n != 6 {
			t.Errorf("%d accounts", n)
		}
		before := len(e.tg.Sent())
		e.runReplies(t)
		sent := e.tg.Sent()[before:]
		var polite int
		for _, m := range sent {
			if strings.HasPrefix(m.Text, "Ссылка устарела или уже использована.") && strings.Contains(m.Text, siteURL) {
				polite++
			}
		}
		if len(sent) != 8 || polite != 4 {
			t.Errorf("sent %d messages, %d polite refusals: %+v", len(sent), polite, sent)
		}
	})
}

func TestIgnoredUpdates(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		link := e.planLink(t)
		for _, body := range []string{
			string(telegramtest.UpdateJSON(1, anna, anna, "anna_tg", "hello")),
			string(telegramtest.UpdateJSON(2, anna, anna, "anna_tg", "/help")),
			string(telegramtest.UpdateJSON(3, anna, anna, "anna_tg", "/started "+link.Code)),
			string(telegramtest.UpdateJSON(4, anna, anna, "anna_tg", "")),
			// A /start in a group: the group is not the person's chat.
			string(telegramtest.UpdateJSON(5, -100123, anna, "anna_tg", "/start "+link.Code)),
			`{"update_id":6}`,
			`{"update_id":7,"edited_message":{"message_id":1,"chat":{"id":777,"type":"private"},"text":"/start"}}`,
			// A message without a sender (a channel post forwarded as a message).
			`{"update_id":8,"message":{"message_id":1,"chat":{"id":-1001,"type":"channel"},"date":1700000000,"text":"/start"}}`,
		} {
			u, err := telegram.ParseUpdate([]byte(body))
			if err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			e.handle(t, u)
		}
		if rs := e.replies(t); len(rs) != 0 {
			t.Errorf("replies %+v", rs)
		}
		if n := e.count(t, "telegram_accounts"); n != 0 {
			t.Errorf("%d accounts", n)
		}
		if l, err := e.links.ByCode(ctx, link.Code); err != nil || l.Uses != 0 {
			t.Errorf("link %+v (%v)", l, err)
		}
	})
}

func TestReturningBlockedUserIsUnblocked(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		acc, err := models.NewTelegramAccount(anna, "old_name", anna, now.Add(-48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.accounts.Create(ctx, acc); err != nil {
			t.Fatal(err)
		}
		if err := e.accounts.Update(ctx, acc.ID, func(a *models.TelegramAccount) error {
			a.MarkBlocked(now.Add(-time.Hour))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		e.handle(t, update(t, 1, anna, "/start"))
		got, err := e.accounts.ByTelegramUserID(ctx, anna)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != acc.ID || got.Blocked || got.BlockedAt != nil || got.Username == nil || *got.Username != "anna_tg" || !got.UpdatedAt.Equal(now) {
			t.Errorf("account %+v", got)
		}
		if n := e.events.Count("telegram_account.unblocked"); n != 1 {
			t.Errorf("unblocked fired %d times", n)
		}
		// Starting again changes nothing more.
		e.handle(t, update(t, 2, anna, "/start"))
		if n := e.events.Count("telegram_account.unblocked"); n != 1 {
			t.Errorf("unblocked fired %d times", n)
		}
		e.runReplies(t)
		if n := len(e.tg.Sent()); n != 2 {
			t.Errorf("sent %d", n)
		}
	})
}

func TestLinking(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		anne, lead := e.user(t, "anna@example.com"), e.lead(t)

		// A lead only: the account joins the lead; there is no user to record a consent for.
		e.handle(t, update(t, 1, anna, "/start "+e.storeLink(t, models.DeepLinkPurposeSubscribe, nil, &lead.ID)))
		acc, err := e.accounts.ByTelegramUserID(ctx, anna)
		if err != nil || acc.LeadID == nil || *acc.LeadID != lead.ID || acc.UserID != nil || acc.LinkedAt != nil {
			t.Fatalf("account %+v (%v)", acc, err)
		}
		if n := e.events.Count("consent.changed"); n != 0 {
			t.Errorf("consent recorded without a user")
		}
		// Later the same person's booking link: the user joins too; the lead stays.
		e.handle(t, update(t, 2, anna, "/start "+e.storeLink(t, models.DeepLinkPurposeBooking, &anne.ID, &lead.ID)))
		// And once more with a link of the same user: nothing changes, no error.
		e.handle(t, update(t, 3, anna, "/start "+e.storeLink(t, models.DeepLinkPurposeBooking, &anne.ID, nil)))
		acc, err = e.accounts.ByTelegramUserID(ctx, anna)
		if err != nil || acc.UserID == nil || *acc.UserID != anne.ID || acc.LeadID == nil || *acc.LeadID != lead.ID {
			t.Fatalf("account %+v (%v)", acc, err)
		}
		if n := e.events.Count("telegram_account.linked"); n != 2 {
			t.Errorf("linked fired %d times, want 2 (lead, then user)", n)
		}
		if keys := strings.Join(e.keys(t, 3), " "); keys != "telegram_welcome" {
			t.Errorf("replies to update 3: %q", keys)
		}
		// Another user's link does not take the account from its user.
		boris := e.user(t, "boris@example.com")
		e.handle(t, update(t, 4, anna, "/start "+e.storeLink(t, models.DeepLinkPurposeBooking, &boris.ID, nil)))
		acc, err = e.accounts.ByTelegramUserID(ctx, anna)
		if err != nil || acc.UserID == nil || *acc.UserID != anne.ID {
			t.Errorf("account %+v (%v)", acc, err)
		}
		if b, _ := e.users.ByID(ctx, boris.ID); b.ActiveConsent(models.ConsentTelegram) != nil {
			t.Error("the telegram consent was recorded for a user the account was not linked to")
		}
		// Anne starts the bot from a second Telegram account: the first stays hers, no error.
		const second = int64(888)
		e.handle(t, update(t, 5, second, "/start "+e.storeLink(t, models.DeepLinkPurposeBooking, &anne.ID, nil)))
		other, err := e.accounts.ByTelegramUserID(ctx, second)
		if err != nil || other.UserID != nil {
			t.Errorf("second account %+v (%v)", other, err)
		}
		if keys := strings.Join(e.keys(t, 5), " "); keys != "telegram_welcome" {
			t.Errorf("replies to update 5: %q", keys)
		}
	})
}

func TestWelcomeEscapesTheName(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		up := update(t, 1, anna, "/start")
		up.FirstName = "<script>alert(1)</script> & co"
		e.handle(t, up)
		rs := e.replies(t)
		if len(rs) != 1 || rs[0].Name != up.FirstName {
			t.Fatalf("replies %+v (the name is queued as written, escaped when rendered)", rs)
		}
		e.runReplies(t)
		sent := e.tg.Sent()
		if len(sent) != 1 || sent[0].ParseMode != "HTML" || strings.Contains(sent[0].Text, "<script>") ||
			!strings.HasPrefix(sent[0].Text, "Здравствуйте, &lt;script&gt;alert(1)&lt;/script&gt; &amp; co!") {
			t.Errorf("sent %+v", sent)
		}
	})
}

func TestReplyRateLimitedThenSent(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.handle(t, update(t, 1, anna, "/start"))
		rs := e.replies(t)
		if len(rs) != 1 {
			t.Fatalf("replies %+v", rs)
		}
		e.tg.RateLimitNext(1, 7)
		err := e.n.Reply(ctx, rs[0].raw)
		var snooze *events.SnoozeError
		if !errors.As(err, &snooze) || snooze.After != 7*time.Second {
			t.Fatalf("429: %v, want a snooze of retry_after (7s)", err)
		}
		if len(e.tg.Sent()) != 0 {
			t.Fatal("sent despite the 429")
		}
		d, err := notify.NewStores(db).Deliveries.ByDedupKey(ctx, "bot:1:1")
		if err != nil || d.Status != models.DeliveryPending || d.Attempts != 1 || d.LastError == nil {
			t.Fatalf("delivery after 429 %+v (%v)", d, err)
		}
		if err := e.n.Reply(ctx, rs[0].raw); err != nil {
			t.Fatal(err)
		}
		if err := e.n.Reply(ctx, rs[0].raw); err != nil {
			t.Fatal(err)
		}
		if sent := e.tg.Sent(); len(sent) != 1 || sent[0].ChatID != anna {
			t.Errorf("sent %+v", sent)
		}
	})
}

func TestReplyToBlockedChat(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		e.handle(t, update(t, 1, anna, "/start"))
		e.tg.BlockChat(anna)
		e.runReplies(t) // a 403 is not retried
		d, err := notify.NewStores(db).Deliveries.ByDedupKey(context.Background(), "bot:1:1")
		if err != nil || d.Status != models.DeliverySkipped || len(e.tg.Sent()) != 0 {
			t.Errorf("delivery %+v (%v), %d sent", d, err, len(e.tg.Sent()))
		}
	})
}

func TestUpdateThatCannotBeStoredQueuesNothing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		link := e.planLink(t)
		u, err := telegram.ParseUpdate(telegramtest.UpdateJSON(1, anna, anna, "no spaces allowed", "/start "+link.Code))
		if err != nil {
			t.Fatal(err)
		}
		// Sending it again can never succeed: the error says so, for the webhook to acknowledge it.
		if err := e.bot.HandleUpdate(context.Background(), u); !errors.Is(err, bot.ErrUnacceptableUpdate) {
			t.Fatalf("an invalid username: %v; want ErrUnacceptableUpdate", err)
		}
		if rs := e.replies(t); len(rs) != 0 {
			t.Errorf("replies %+v", rs)
		}
		if l, err := e.links.ByCode(context.Background(), link.Code); err != nil || l.Uses != 0 {
			t.Errorf("link %+v (%v)", l, err)
		}
	})
}
