package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/events"
	"balance/handlers"
	"balance/integrations/email"
	"balance/integrations/email/emailtest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/identity"
	"balance/service/notify"
)

// cabinetEnv is a server with client sign-in whose codes are emailed through the real path: the
// job queue (insert only: the test runs the jobs), the template, the delivery log and SMTP. Every
// log line of the router and the mailer is captured.
type cabinetEnv struct {
	s      *server
	r      *gin.Engine
	db     *repository.DB
	outbox *events.Outbox
	smtp   *emailtest.Server
	mailer *notify.CodeMailer
	logs   *testkit.Buffer
}

// newCabinetEnv serves client sign-in over db; extra adjusts the server's options (other parts of
// the public API, CORS).
func newCabinetEnv(t *testing.T, db *repository.DB, extra ...func(*options)) *cabinetEnv {
	t.Helper()
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, log)
	if err != nil {
		t.Fatal(err)
	}
	e := &cabinetEnv{db: db, outbox: outbox, logs: logs, smtp: emailtest.New(t, emailtest.Options{Username: "mailer", Password: "smtp-secret"})}
	opt := options{codeJobs: outbox, log: log}
	for _, f := range extra {
		f(&opt)
	}
	e.s, e.r = newServer(t, db, opt)
	mail, err := email.New(email.Config{
		Host: e.smtp.Host(), Port: e.smtp.Port(), Username: "mailer", Password: "smtp-secret",
		From: "hello@balance.example", TLSConfig: e.smtp.ClientTLSConfig(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(notify.NewStores(db), mail, nil, outbox, e.s.clock, notify.Config{SiteURL: "https://balance.example"}, log)
	e.mailer = notify.NewCodeMailer(n, e.s.clients)
	outbox.Handle(identity.TaskCodeEmail, e.mailer.Send)
	if err := outbox.Init(); err != nil {
		t.Fatal(err)
	}
	return e
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// sentCode is one code email as the client reads it.
type sentCode struct {
	to, subject, code string
}

// runCodeJobs runs the queued code emails as a worker would (each twice: a retried job must send
// nothing more) and returns the emails that went out.
func (e *cabinetEnv) runCodeJobs(t *testing.T) []sentCode {
	t.Helper()
	ctx := context.Background()
	var pending []models.OneTimeCode
	if err := e.db.Gorm.WithContext(ctx).Select("id").Where("code_hash IS NULL").Find(&pending).Error; err != nil {
		t.Fatal(err)
	}
	before := len(e.smtp.Messages())
	for _, c := range pending {
		raw, _ := json.Marshal(identity.CodeEmailTask{CodeID: c.ID})
		for range 2 {
			if err := e.mailer.Send(ctx, raw); err != nil {
				t.Fatalf("code job: %v", err)
			}
		}
	}
	var out []sentCode
	for _, m := range e.smtp.Messages()[before:] {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		code := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(p.Text)
		if code == nil || !strings.Contains(p.Subject, code[1]) {
			t.Fatalf("code email %q has no code:\n%s", p.Subject, p.Text)
		}
		out = append(out, sentCode{to: p.To[0].Address, subject: p.Subject, code: code[1]})
	}
	return out
}

// codeFor asks for a sign-in code for addr and returns the one emailed.
func (e *cabinetEnv) codeFor(t *testing.T, addr string) string {
	t.Helper()
	if r := e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": addr}); r.Status != http.StatusAccepted {
		t.Fatalf("code for %s = %d %s", addr, r.Status, r.Body)
	}
	sent := e.runCodeJobs(t)
	if len(sent) != 1 || sent[0].to != addr {
		t.Fatalf("emails sent: %+v, want one to %s", sent, addr)
	}
	return sent[0].code
}

type cabinetSession struct {
	Session   string `json:"session"`
	Token     string `json:"token"`
	CSRFToken string `json:"csrf_token"`
	Me        struct {
		ID        string  `json:"id"`
		Email     string  `json:"email"`
		Name      string  `json:"name"`
		Phone     *string `json:"phone"`
		TimeZone  *string `json:"time_zone"`
		CSRFToken string  `json:"csrf_token"`
	} `json:"me"`
}

// signIn signs addr in with a new code, as a cookie ("cookie") or bearer ("token") session.
func (e *cabinetEnv) signIn(t *testing.T, api *testkit.API, addr, kind string) cabinetSession {
	t.Helper()
	code := e.codeFor(t, addr)
	r := api.Do("POST", "/api/v1/auth/verify", map[string]string{"email": addr, "code": code, "session": kind})
	if r.Status != http.StatusOK {
		t.Fatalf("verify %s = %d %s", addr, r.Status, r.Body)
	}
	var s cabinetSession
	r.JSON(t, &s)
	return s
}

func clientCookie(api *testkit.API) *http.Cookie {
	u, _ := url.Parse(api.Server.URL + "/api/v1/me")
	for _, c := range api.Client.Jar.Cookies(u) {
		if c.Name == handlers.ClientSessionCookie {
			return c
		}
	}
	return nil
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// TestCabinetSignInByCode: a code emailed through SMTP signs a client in with a cookie; the
// cabinet answers with the profile and its CSRF token, refuses unsafe requests without it, and
// logout ends the session. Neither the codes table nor any log line holds a code.
func TestCabinetSignInByCode(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newCabinetEnv(t, db)
		api := e.s.api

		if r := api.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized || r.Problem(t).Type != "https://balance.example/problems/unauthenticated" {
			t.Fatalf("me before sign-in = %d %s", r.Status, r.Body)
		}
		r := api.Do("POST", "/api/v1/auth/code", map[string]string{"email": " Anna@Example.org "})
		var sent struct {
			ExpiresIn int `json:"expires_in"`
		}
		r.JSON(t, &sent)
		if r.Status != http.StatusAccepted || sent.ExpiresIn != 600 {
			t.Fatalf("code = %d %s", r.Status, r.Body)
		}
		jobs, err := e.outbox.Jobs(context.Background(), "available", 10)
		if err != nil || len(jobs) != 1 || jobs[0].Task != identity.TaskCodeEmail {
			t.Fatalf("queued jobs %+v (%v), want one %s", jobs, err, identity.TaskCodeEmail)
		}
		emails := e.runCodeJobs(t)
		if len(emails) != 1 || emails[0].to != "anna@example.org" || !strings.Contains(emails[0].subject, "Код для входа") {
			t.Fatalf("emails %+v", emails)
		}
		code := emails[0].code

		// The stored row holds neither the code nor the address in clear.
		var raw []map[string]any
		if err := db.Gorm.Table("one_time_codes").Find(&raw).Error; err != nil || len(raw) != 1 {
			t.Fatalf("codes table: %v %v", raw, err)
		}
		for col, v := range raw[0] {
			if s := strings.ToLower(toString(v)); strings.Contains(s, code) || strings.Contains(s, "anna@example.org") {
				t.Errorf("one_time_codes.%s holds the code or the address in clear: %q", col, s)
			}
		}

		r = api.Do("POST", "/api/v1/auth/verify", map[string]string{"email": "anna@example.org", "code": code[:3] + " " + code[3:]})
		if r.Status != http.StatusOK {
			t.Fatalf("verify = %d %s", r.Status, r.Body)
		}
		var s cabinetSession
		r.JSON(t, &s)
		if s.Session != "cookie" || s.Token != "" || s.CSRFToken == "" || s.Me.Email != "anna@example.org" || s.Me.CSRFToken != s.CSRFToken {
			t.Errorf("verify body %s", r.Body)
		}
		setCookie := r.Header.Get("Set-Cookie")
		for _, attr := range []string{handlers.ClientSessionCookie + "=", "Path=/api/v1", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=2592000"} {
			if !strings.Contains(setCookie, attr) {
				t.Errorf("Set-Cookie %q lacks %s", setCookie, attr)
			}
		}
		// A code works once.
		if r := api.Do("POST", "/api/v1/auth/verify", map[string]string{"email": "anna@example.org", "code": code}); r.Status != 422 || r.Problem(t).Type != "https://balance.example/problems/code-expired" {
			t.Errorf("second use of the code = %d %s", r.Status, r.Body)
		}

		r = api.Do("GET", "/api/v1/me", nil)
		var me cabinetSession
		r.JSON(t, &me.Me)
		if r.Status != http.StatusOK || me.Me.ID != s.Me.ID || me.Me.CSRFToken != s.CSRFToken || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("me = %d %s", r.Status, r.Body)
		}

		// Unsafe cabinet requests with a cookie need the CSRF token.
		patch := map[string]string{"name": "Анна", "phone": "8 999 123-45-67", "time_zone": "Europe/Moscow"}
		for _, h := range []http.Header{nil, {"X-Csrf-Token": {"forged"}}} {
			if r := api.Do("PATCH", "/api/v1/me", patch, h); r.Status != http.StatusForbidden || r.Problem(t).Type != "https://balance.example/problems/csrf" {
				t.Errorf("PATCH with %v = %d %s", h, r.Status, r.Body)
			}
		}
		csrf := http.Header{"X-Csrf-Token": {s.CSRFToken}}
		r = api.Do("PATCH", "/api/v1/me", patch, csrf)
		r.JSON(t, &me.Me)
		if r.Status != http.StatusOK || me.Me.Name != "Анна" || me.Me.Phone == nil || *me.Me.Phone != "+79991234567" || me.Me.TimeZone == nil || *me.Me.TimeZone != "Europe/Moscow" {
			t.Errorf("PATCH = %d %s", r.Status, r.Body)
		}
		for _, tc := range []struct {
			body  map[string]string
			field string
		}{
			{map[string]string{"time_zone": "Mars/Olympus"}, "time_zone"},
			{map[string]string{"time_zone": "Local"}, "time_zone"},
			{map[string]string{"phone": "call me"}, "phone"},
		} {
			r := api.Do("PATCH", "/api/v1/me", tc.body, csrf)
			if p := r.Problem(t); r.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Errorf("PATCH %v = %d %s", tc.body, r.Status, r.Body)
			}
		}
		r = api.Do("PATCH", "/api/v1/me", map[string]string{"phone": "", "time_zone": ""}, csrf)
		r.JSON(t, &me.Me)
		if r.Status != http.StatusOK || me.Me.Phone != nil || me.Me.TimeZone != nil || me.Me.Name != "Анна" {
			t.Errorf("clearing PATCH = %d %s", r.Status, r.Body)
		}

		r = api.Do("POST", "/api/v1/auth/logout", nil)
		if r.Status != http.StatusNoContent || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
			t.Fatalf("logout = %d, Set-Cookie %q", r.Status, r.Header.Get("Set-Cookie"))
		}
		if r := api.Do("GET", "/api/v1/me", nil, http.Header{"Cookie": {handlers.ClientSessionCookie + "=" + clientCookieValue(setCookie)}}); r.Status != http.StatusUnauthorized {
			t.Errorf("me with the ended session = %d", r.Status)
		}

		// No log line holds the code.
		if strings.Contains(e.logs.String(), code) {
			t.Errorf("the logs hold the code %s", code)
		}
	})
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func clientCookieValue(setCookie string) string {
	v, _, _ := strings.Cut(strings.TrimPrefix(setCookie, handlers.ClientSessionCookie+"="), ";")
	return v
}

// TestCabinetWrongCodes: a wrong code counts a try; the fifth kills the code, right or not; a new
// code works; a code past its 10 minutes is expired; a staff address is refused like a wrong code.
func TestCabinetWrongCodes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newCabinetEnv(t, db)
		api := e.s.api
		const addr = "boris@example.org"
		code := e.codeFor(t, addr)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		verify := func(c string) *testkit.Response {
			return api.Do("POST", "/api/v1/auth/verify", map[string]string{"email": addr, "code": c})
		}
		for i := 1; i <= 6; i++ {
			c, want := wrong, "code-invalid"
			switch {
			case i == 5:
				want = "code-exhausted"
			case i == 6:
				c, want = code, "code-exhausted" // the right code no longer helps
			}
			r := verify(c)
			if p := r.Problem(t); r.Status != 422 || p.Type != "https://balance.example/problems/"+want || len(p.Errors) != 1 || p.Errors[0].Field != "code" {
				t.Fatalf("try %d = %d %s, want 422 %s", i, r.Status, r.Body, want)
			}
		}
		var attempts int
		if err := db.Gorm.Table("one_time_codes").Select("attempts").Scan(&attempts).Error; err != nil || attempts != models.CodeMaxAttempts {
			t.Errorf("attempts in the database = %d (%v)", attempts, err)
		}

		code = e.codeFor(t, addr) // a new code replaces the dead one
		e.s.clock.Advance(10*time.Minute + time.Second)
		if r := verify(code); r.Status != 422 || r.Problem(t).Type != "https://balance.example/problems/code-expired" {
			t.Errorf("expired code = %d %s", r.Status, r.Body)
		}
		if r := verify(e.codeFor(t, addr)); r.Status != http.StatusOK {
			t.Errorf("fresh code = %d %s", r.Status, r.Body)
		}
		for _, tc := range []struct{ name, code string }{{"letters", "abcdef"}, {"short", "12345"}, {"empty", ""}} {
			if r := verify(tc.code); r.Status != 422 || r.Problem(t).Errors[0].Field != "code" {
				t.Errorf("%s code = %d %s", tc.name, r.Status, r.Body)
			}
		}

		// A staff address gets no email, and even a right code answers as a wrong one.
		e.s.staff(t, "owner@example.org", models.RoleOwner)
		if r := api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "owner@example.org"}); r.Status != http.StatusAccepted {
			t.Fatalf("staff code = %d", r.Status)
		}
		if sent := e.runCodeJobs(t); len(sent) != 0 {
			t.Errorf("a staff member was sent a sign-in code: %+v", sent)
		}
		var row models.OneTimeCode
		if err := db.Gorm.Select("id").Where("purpose = ? AND code_hash IS NULL", models.CodeSignIn).First(&row).Error; err != nil {
			t.Fatal(err)
		}
		staffCode, err := e.s.clients.IssueCode(context.Background(), row.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := api.Do("POST", "/api/v1/auth/verify", map[string]string{"email": "owner@example.org", "code": staffCode})
		if r.Status != 422 || r.Problem(t).Type != "https://balance.example/problems/code-invalid" || r.Header.Get("Set-Cookie") != "" {
			t.Errorf("staff sign-in as a client = %d %s", r.Status, r.Body)
		}
	})
}

// TestCabinetCodeLimits: codes per email address and per client address answer 429 with
// Retry-After once their limit is reached in the window.
func TestCabinetCodeLimits(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		t.Run("per email", func(t *testing.T) {
			e := newCabinetEnv(t, db)
			for i := range 5 {
				if r := e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "vera@example.org"}); r.Status != http.StatusAccepted {
					t.Fatalf("request %d = %d", i+1, r.Status)
				}
				e.s.clock.Advance(time.Minute)
			}
			r := e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "vera@example.org"})
			if r.Status != http.StatusTooManyRequests || r.Problem(t).Type != "https://balance.example/problems/too-many-codes" {
				t.Fatalf("6th request = %d %s", r.Status, r.Body)
			}
			if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs != 55*60 {
				t.Errorf("Retry-After = %q, want %d", r.Header.Get("Retry-After"), 55*60)
			}
			// Another address from the same client is still served: the refused request took no
			// hit of the client's address.
			if r := e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "other@example.org"}); r.Status != http.StatusAccepted {
				t.Errorf("another address = %d", r.Status)
			}
			e.s.clock.Advance(55 * time.Minute)
			if r := e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "vera@example.org"}); r.Status != http.StatusAccepted {
				t.Errorf("after the window = %d %s", r.Status, r.Body)
			}
		})
		t.Run("per client address", func(t *testing.T) {
			e := newCabinetEnv(t, testkit.NewDB(t, db.Dialect))
			for i := range 20 {
				if r := e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "client" + strconv.Itoa(i) + "@example.org"}); r.Status != http.StatusAccepted {
					t.Fatalf("request %d = %d", i+1, r.Status)
				}
			}
			r := e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "client20@example.org"})
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "3600" {
				t.Fatalf("21st request = %d %s, Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
			}
		})
	})
}

// tableCounts counts the rows of the tables a code request may write.
func tableCounts(t *testing.T, db *repository.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"users", "one_time_codes", "throttle_hits", "sessions", "notification_deliveries", "audit_logs", "river_job"} {
		var n int64
		if err := db.Gorm.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func diffCounts(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// TestCabinetSameAnswerForUnknownEmail: a known and an unknown address get the same answer and
// write the same kinds and numbers of rows; both get a code, and the unknown one's first sign-in
// creates a client account, while an address a booking made an account for signs in to that one.
func TestCabinetSameAnswerForUnknownEmail(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newCabinetEnv(t, db)
		ctx := context.Background()
		// A booking made a client account for this address (booking.Bookings does it so).
		booked := models.NewClientUser("galina@example.org", "Галина", e.s.clock.Now())
		if err := e.s.users.Create(ctx, booked); err != nil {
			t.Fatal(err)
		}

		var answers []*testkit.Response
		var writes []map[string]int64
		for _, addr := range []string{"galina@example.org", "nobody@example.org"} {
			before := tableCounts(t, db)
			answers = append(answers, e.s.api.Do("POST", "/api/v1/auth/code", map[string]string{"email": addr}))
			writes = append(writes, diffCounts(before, tableCounts(t, db)))
		}
		if answers[0].Status != http.StatusAccepted || answers[1].Status != answers[0].Status || string(answers[0].Body) != string(answers[1].Body) {
			t.Errorf("known %d %s vs unknown %d %s", answers[0].Status, answers[0].Body, answers[1].Status, answers[1].Body)
		}
		want := map[string]int64{"one_time_codes": 1, "throttle_hits": 2, "river_job": 1}
		for i, w := range writes {
			if len(w) != len(want) || w["one_time_codes"] != 1 || w["throttle_hits"] != 2 || w["river_job"] != 1 {
				t.Errorf("request %d wrote %v, want %v", i, w, want)
			}
		}
		sent := e.runCodeJobs(t)
		if len(sent) != 2 {
			t.Fatalf("emails %+v, want one per address", sent)
		}
		codes := map[string]string{}
		for _, s := range sent {
			codes[s.to] = s.code
		}

		other := testkit.NewAPI(t, e.r)
		for _, tc := range []struct {
			addr   string
			wantID string
		}{{"galina@example.org", booked.ID.String()}, {"nobody@example.org", ""}} {
			api := e.s.api
			if tc.wantID == "" {
				api = other
			}
			r := api.Do("POST", "/api/v1/auth/verify", map[string]string{"email": tc.addr, "code": codes[tc.addr]})
			var s cabinetSession
			r.JSON(t, &s)
			if r.Status != http.StatusOK || s.Me.Email != tc.addr || (tc.wantID != "" && s.Me.ID != tc.wantID) {
				t.Errorf("verify %s = %d %s", tc.addr, r.Status, r.Body)
			}
			u, err := e.s.users.ByEmail(ctx, models.Email(tc.addr))
			if err != nil || u.ID.String() != s.Me.ID || !u.HasRole(models.RoleClient) || u.StaffRole() != "" {
				t.Errorf("account of %s: %+v (%v)", tc.addr, u, err)
			}
		}
		var n int64
		if err := db.Gorm.Table("users").Where("email = ?", "galina@example.org").Count(&n).Error; err != nil || n != 1 {
			t.Errorf("accounts of the booked address = %d (%v), want the one the booking made", n, err)
		}
	})
}

// TestCabinetSessions: a bearer token works without CSRF; a session planted before sign-in is
// neither the new session nor alive after it; staff and client sessions are each refused by the
// other side.
func TestCabinetSessions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newCabinetEnv(t, db)

		// A bearer session for a mobile client: the token is in the body, no cookie is set.
		attacker := testkit.NewAPI(t, e.r)
		tok := e.signIn(t, attacker, "mallory@example.org", "token")
		if tok.Session != "token" || tok.Token == "" || tok.CSRFToken != "" || tok.Me.CSRFToken != "" || clientCookie(attacker) != nil {
			t.Fatalf("token session %+v, cookie %v", tok, clientCookie(attacker))
		}
		r := attacker.Do("GET", "/api/v1/me", nil, bearer(tok.Token))
		var me cabinetSession
		r.JSON(t, &me.Me)
		if r.Status != http.StatusOK || me.Me.Email != "mallory@example.org" || me.Me.CSRFToken != "" {
			t.Fatalf("bearer me = %d %s", r.Status, r.Body)
		}
		if r := attacker.Do("PATCH", "/api/v1/me", map[string]string{"name": "M"}, bearer(tok.Token)); r.Status != http.StatusOK {
			t.Errorf("bearer PATCH without CSRF = %d %s", r.Status, r.Body)
		}
		for _, h := range []http.Header{bearer("not-a-session"), {"Authorization": {"Basic bWU6cHc="}}} {
			if r := attacker.Do("GET", "/api/v1/me", nil, h); r.Status != http.StatusUnauthorized {
				t.Errorf("me with %v = %d", h, r.Status)
			}
		}

		// Session fixation: the attacker plants their own session cookie in the victim's browser;
		// signing in gives the victim a new session and ends the planted one.
		victim := e.s.api
		u, _ := url.Parse(victim.Server.URL + "/api/v1/")
		victim.Client.Jar.SetCookies(u, []*http.Cookie{{Name: handlers.ClientSessionCookie, Value: tok.Token, Path: "/api/v1"}})
		s := e.signIn(t, victim, "victim@example.org", "cookie")
		c := clientCookie(victim)
		if c == nil || c.Value == tok.Token || s.Me.Email != "victim@example.org" {
			t.Fatalf("after sign-in the cookie is %v, the session %+v", c, s)
		}
		if r := attacker.Do("GET", "/api/v1/me", nil, bearer(tok.Token)); r.Status != http.StatusUnauthorized {
			t.Errorf("the planted session after the victim's sign-in = %d %s", r.Status, r.Body)
		}
		if r := victim.Do("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
			t.Errorf("victim me = %d", r.Status)
		}

		// The staff cookie (and token) opens no cabinet; the client's opens no admin API.
		e.s.staff(t, "owner@example.org", models.RoleOwner)
		staff := testkit.NewAPI(t, e.r)
		if r := staff.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": password}); r.Status != http.StatusOK {
			t.Fatalf("staff login = %d %s", r.Status, r.Body)
		}
		staffToken := staff.Cookie(handlers.SessionCookie).Value
		for _, h := range []http.Header{
			{"Cookie": {handlers.ClientSessionCookie + "=" + staffToken}},
			bearer(staffToken),
			{"Cookie": {handlers.SessionCookie + "=" + staffToken}},
		} {
			if r := staff.Do("GET", "/api/v1/me", nil, h); r.Status != http.StatusUnauthorized {
				t.Errorf("cabinet with the staff session (%v) = %d %s", h, r.Status, r.Body)
			}
		}
		clientAPI := testkit.NewAPI(t, e.r)
		if r := clientAPI.Do("GET", "/admin/api/auth/me", nil, http.Header{"Cookie": {handlers.SessionCookie + "=" + c.Value}}); r.Status != http.StatusUnauthorized {
			t.Errorf("admin API with the client session = %d %s", r.Status, r.Body)
		}

		// Logout of a bearer session.
		mobile := e.signIn(t, attacker, "mallory@example.org", "token")
		if r := attacker.Do("POST", "/api/v1/auth/logout", nil, bearer(mobile.Token)); r.Status != http.StatusNoContent {
			t.Errorf("bearer logout = %d", r.Status)
		}
		if r := attacker.Do("GET", "/api/v1/me", nil, bearer(mobile.Token)); r.Status != http.StatusUnauthorized {
			t.Errorf("me after bearer logout = %d", r.Status)
		}
		if r := attacker.Do("POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
			t.Errorf("logout without a session = %d", r.Status)
		}
		if r := attacker.Do("POST", "/api/v1/auth/code", map[string]string{"email": "x@example.org"}, http.Header{"Sec-Fetch-Site": {"cross-site"}}); r.Status != http.StatusForbidden {
			t.Errorf("cross-site code request = %d", r.Status)
		}
	})
}

// TestCabinetEmailChange: a code sent to the new address switches the email; an address of
// another account is refused with a generic 409 once its code proves the mailbox.
func TestCabinetEmailChange(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newCabinetEnv(t, db)
		api := e.s.api
		s := e.signIn(t, api, "dina@example.org", "token")
		auth := bearer(s.Token)

		if r := api.Do("POST", "/api/v1/me/email", map[string]string{"email": "dina@example.org"}, auth); r.Status != 422 {
			t.Errorf("own address = %d %s", r.Status, r.Body)
		}
		if r := api.Do("POST", "/api/v1/me/email", map[string]string{"email": "dina.new@example.org"}, auth); r.Status != http.StatusAccepted {
			t.Fatalf("email change = %d %s", r.Status, r.Body)
		}
		sent := e.runCodeJobs(t)
		if len(sent) != 1 || sent[0].to != "dina.new@example.org" || !strings.Contains(sent[0].subject, "смены адреса") {
			t.Fatalf("emails %+v", sent)
		}
		if r := api.Do("POST", "/api/v1/me/email/confirm", map[string]string{"code": "999999"}, auth); r.Status != 422 && sent[0].code != "999999" {
			t.Errorf("wrong code = %d", r.Status)
		}
		r := api.Do("POST", "/api/v1/me/email/confirm", map[string]string{"code": sent[0].code}, auth)
		var me cabinetSession
		r.JSON(t, &me.Me)
		if r.Status != http.StatusOK || me.Me.Email != "dina.new@example.org" {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}

		// Another account's address.
		e.signIn(t, testkit.NewAPI(t, e.r), "taken@example.org", "token")
		if r := api.Do("POST", "/api/v1/me/email", map[string]string{"email": "taken@example.org"}, auth); r.Status != http.StatusAccepted {
			t.Fatalf("email change = %d %s", r.Status, r.Body)
		}
		sent = e.runCodeJobs(t)
		r = api.Do("POST", "/api/v1/me/email/confirm", map[string]string{"code": sent[0].code}, auth)
		if r.Status != http.StatusConflict || r.Problem(t).Type != "https://balance.example/problems/email-unavailable" {
			t.Errorf("confirm taken address = %d %s", r.Status, r.Body)
		}
		if r := api.Do("GET", "/api/v1/me", nil, auth); !strings.Contains(string(r.Body), "dina.new@example.org") {
			t.Errorf("me after the refused change: %s", r.Body)
		}
	})
}

// TestBookingEmailsCarryTheManageLink: the emails of a booking (awaiting payment, confirmed) carry
// the manage link, and its token opens the booking through the API as the one shown at booking.
func TestBookingEmailsCarryTheManageLink(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		ctx := context.Background()
		smtp := emailtest.New(t, emailtest.Options{Username: "mailer", Password: "smtp-secret"})
		mail, err := email.New(email.Config{
			Host: smtp.Host(), Port: smtp.Port(), Username: "mailer", Password: "smtp-secret",
			From: "hello@balance.example", TLSConfig: smtp.ClientTLSConfig(), Timeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		subs := events.NewSubscriptions()
		n := notify.New(notify.NewStores(db), mail, nil, nil, e.clock, notify.Config{SiteURL: "https://balance.example/"}, testkit.Logger(t))
		if err := n.Register(subs); err != nil {
			t.Fatal(err)
		}
		deliver := func(ev models.Event) {
			t.Helper()
			for _, s := range subs.For(ev.EventName()) {
				if s.Name == notify.MessagesSubscriber {
					if err := s.Handle(ctx, ev); err != nil {
						t.Fatal(err)
					}
				}
			}
		}

		b := e.book(t, bookingSlot(2), "zoya@example.org")
		id, err := uuid.Parse(b.ID)
		if err != nil {
			t.Fatal(err)
		}
		deliver(models.AppointmentBooked{EventMeta: models.NewEventMeta(id, e.clock.Now()), Status: models.AppointmentStatusPendingPayment})
		deliver(models.AppointmentConfirmed{EventMeta: models.NewEventMeta(id, e.clock.Now())})
		msgs := smtp.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d emails, want the awaiting-payment and the confirmation ones", len(msgs))
		}
		link := regexp.MustCompile(`https://balance\.example/booking/([0-9a-f-]{36})\?token=(\S+)`)
		for _, m := range msgs {
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			got := link.FindStringSubmatch(p.Text)
			if got == nil || !strings.Contains(p.HTML, `href="https://balance.example/booking/`+b.ID+`?token=`) {
				t.Fatalf("email %q has no manage link:\n%s\n%s", p.Subject, p.Text, p.HTML)
			}
			token, err := url.QueryUnescape(got[2])
			if err != nil || got[1] != b.ID || token != b.ManageToken {
				t.Errorf("link of %q: id %s token %q, want %s %q", p.Subject, got[1], token, b.ID, b.ManageToken)
			}
			r := e.s.api.Do("GET", "/api/v1/bookings/"+got[1], nil, manage(token))
			if r.Status != http.StatusOK {
				t.Errorf("the link's token opens the booking: %d %s", r.Status, r.Body)
			}
		}
	})
}
