package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"balance/integrations/telegram"
	"balance/integrations/telegram/telegramtest"
)

const (
	token  = "123456789:AAF-test_TokenXXXXXXXXXXXXXXXXXXXXXXXXX"
	secret = "webhook-Secret_0123456789"
	chatID = int64(5550001)
)

func newPair(t *testing.T, mutate func(*telegram.Config)) (*telegram.Client, *telegramtest.Server) {
	t.Helper()
	fake := telegramtest.New(t, token)
	cfg := telegram.Config{Token: token, APIURL: fake.URL(), HTTPClient: fake.Client(), WebhookSecret: secret}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := telegram.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

// clientFor points a client at an ad-hoc server that answers every call with handler.
func clientFor(t *testing.T, handler http.HandlerFunc) *telegram.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c, err := telegram.New(telegram.Config{Token: token, APIURL: srv.URL, WebhookSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

func texts(sent []telegramtest.SentMessage) []string {
	var out []string
	for _, m := range sent {
		out = append(out, m.Text)
	}
	return out
}

func ids(sent []telegramtest.SentMessage) []int {
	var out []int
	for _, m := range sent {
		out = append(out, m.MessageID)
	}
	return out
}

// noSecrets fails the test if err's text quotes the token or the secret part of it.
func noSecrets(t *testing.T, err error, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if err != nil && (strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), strings.Split(tok, ":")[1])) {
			t.Errorf("the error quotes a token: %v", err)
		}
	}
}

func TestNewMakesNoCall(t *testing.T) {
	t.Parallel()
	_, fake := newPair(t, nil)
	if n := fake.Calls("getMe"); n != 0 {
		t.Errorf("New called getMe %d times", n)
	}
}

func TestSendHTMLEscapesUserText(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	name := "<script>alert(1)</script> & co"
	got, err := c.SendHTML(context.Background(), chatID, "<b>Здравствуйте, "+telegram.EscapeHTML(name)+"!</b>")
	if err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent()
	want := "<b>Здравствуйте, &lt;script&gt;alert(1)&lt;/script&gt; &amp; co!</b>"
	if len(sent) != 1 || sent[0].Text != want || sent[0].ParseMode != "HTML" || sent[0].ChatID != chatID {
		t.Fatalf("sent %+v", sent)
	}
	if !slices.Equal(got, ids(sent)) {
		t.Errorf("ids %v, fake says %v", got, ids(sent))
	}
}

func TestSendHTMLSplitsAtLineBreaks(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	var lines []string
	for i := range 100 { // 100 lines of 100 characters with their line breaks: 10,000
		lines = append(lines, fmt.Sprintf("%03d ", i)+strings.Repeat("ж", 95))
	}
	text := strings.Join(lines, "\n") + "\n"
	if n := units(text); n != 10_000 {
		t.Fatalf("the text has %d characters", n)
	}
	got, err := c.SendHTML(context.Background(), chatID, text)
	if err != nil {
		t.Fatal(err)
	}
	sent := texts(fake.Sent())
	if len(sent) != 3 || len(got) != 3 || !slices.Equal(got, ids(fake.Sent())) {
		t.Fatalf("%d messages, ids %v", len(sent), got)
	}
	for i, s := range sent {
		if units(s) > telegram.MaxMessageLength {
			t.Errorf("part %d has %d characters", i, units(s))
		}
	}
	// The parts are whole lines: joined with the dropped line breaks they are the text again.
	if strings.Join(sent, "\n") != text {
		t.Error("the parts joined by line breaks differ from the text")
	}
}

func TestSendHTMLSplitsALongLine(t *testing.T) {
	t.Parallel()
	word := []rune("психотерапия")
	long := make([]rune, 9000)
	for i := range long {
		long[i] = word[i%len(word)]
	}
	tests := []struct {
		name, text string
		parts      int
		cutAfter   string // each part but the last ends with it
	}{
		{"no spaces", string(long), 3, ""},
		{"words", strings.TrimSpace(strings.Repeat("эмоциональный баланс ", 450)), 3, " "},
		{"emoji count twice", strings.Repeat("😀", 3000), 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fake := newPair(t, nil)
			if _, err := c.SendHTML(context.Background(), chatID, tt.text); err != nil {
				t.Fatal(err)
			}
			sent := texts(fake.Sent())
			if len(sent) != tt.parts || strings.Join(sent, "") != tt.text {
				t.Fatalf("%d parts; joined equal: %t", len(sent), strings.Join(sent, "") == tt.text)
			}
			for i, s := range sent {
				if units(s) > telegram.MaxMessageLength || (i < len(sent)-1 && !strings.HasSuffix(s, tt.cutAfter)) {
					t.Errorf("part %d: %d characters, ends %q", i, units(s), s[len(s)-4:])
				}
			}
		})
	}
}

var tagRE = regexp.MustCompile(`<[^<>]*>`)

func TestSendHTMLNeverCutsMarkup(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	// One long line: short tags and entities everywhere, then a bold stretch longer than a message.
	text := strings.Repeat(`<b>жирный</b> <i>курсив &amp; &lt;код&gt;</i> <a href="https://balance.example/x">ссылка</a> `, 60) +
		"<b>" + strings.Repeat("очень важно ", 500) + "</b>"
	if _, err := c.SendHTML(context.Background(), chatID, text); err != nil {
		t.Fatal(err) // the fake parses every part and refuses a cut tag or entity
	}
	sent := texts(fake.Sent())
	if len(sent) < 3 {
		t.Fatalf("%d parts", len(sent))
	}
	visible := func(s string) string { return tagRE.ReplaceAllString(s, "") }
	if got := visible(strings.Join(sent, "")); got != visible(text) {
		t.Error("the parts' visible text differs from the text's")
	}
	last := sent[len(sent)-1]
	if !strings.HasPrefix(last, "<b>") || !strings.HasSuffix(sent[len(sent)-2], "</b>") {
		t.Errorf("the bold stretch is not closed and reopened at the cut: %q ... %q", sent[len(sent)-2][:20], last[:20])
	}
	for i, s := range sent {
		if units(s) > telegram.MaxMessageLength {
			t.Errorf("part %d has %d characters", i, units(s))
		}
	}
}

func TestSendHTMLRefusesBadInput(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	for _, tc := range []struct {
		chat int64
		text string
	}{{0, "hello"}, {chatID, ""}, {chatID, " \n\t "}, {chatID, "<b> </b>"}} {
		if _, err := c.SendHTML(context.Background(), tc.chat, tc.text); !errors.Is(err, telegram.ErrInvalidInput) || telegram.Temporary(err) {
			t.Errorf("chat %d, text %q: err = %v", tc.chat, tc.text, err)
		}
	}
	if n := fake.Calls("sendMessage"); n != 0 {
		t.Errorf("%d calls went out", n)
	}
}

func TestSendHTMLRateLimited(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.RateLimitNext(1, 7)
	got, err := c.SendHTML(context.Background(), chatID, "Напоминание")
	var retry *telegram.RetryAfterError
	if !errors.As(err, &retry) || retry.After != 7*time.Second || retry.Method != "sendMessage" || !telegram.Temporary(err) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "7s") || len(got) != 0 || len(fake.Sent()) != 0 {
		t.Errorf("err %q, ids %v, sent %d", err, got, len(fake.Sent()))
	}
	if _, err := c.SendHTML(context.Background(), chatID, "Напоминание"); err != nil || len(fake.Sent()) != 1 {
		t.Errorf("after the wait: %v", err)
	}
}

func TestSendHTMLReportsDeliveredParts(t *testing.T) {
	t.Parallel()
	fake := telegramtest.New(t, token)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/sendMessage") && calls.Add(1) == 2 {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := telegram.New(telegram.Config{Token: token, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.SendHTML(context.Background(), chatID, strings.Repeat("строка\n", 1500))
	var retry *telegram.RetryAfterError
	if !errors.As(err, &retry) || retry.After != 3*time.Second || !strings.Contains(err.Error(), "part 2 of 3") {
		t.Fatalf("err = %v", err)
	}
	if len(got) != 1 || !slices.Equal(got, ids(fake.Sent())) {
		t.Errorf("ids %v, delivered %v", got, ids(fake.Sent()))
	}
}

func TestSendHTMLBlocked(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.BlockChat(chatID)
	_, err := c.SendHTML(context.Background(), chatID, "Привет")
	var apiErr *telegram.APIError
	if !errors.Is(err, telegram.ErrBlocked) || telegram.Temporary(err) || !errors.As(err, &apiErr) ||
		apiErr.Code != 403 || !strings.Contains(err.Error(), "bot was blocked by the user") {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, telegram.ErrUnauthorized) {
		t.Error("403 matches ErrUnauthorized")
	}
	if _, err := c.SendHTML(context.Background(), chatID+1, "Привет"); err != nil {
		t.Errorf("another chat: %v", err)
	}
}

func TestWrongToken(t *testing.T) {
	t.Parallel()
	other := "987654321:BBG-other_TokenYYYYYYYYYYYYYYYYYYYYYYYY"
	c, fake := newPair(t, func(c *telegram.Config) { c.Token = other })
	_, sendErr := c.SendHTML(context.Background(), chatID, "Привет")
	_, meErr := c.Username(context.Background())
	webhookErr := c.SetWebhook(context.Background(), "https://balance.example/webhooks/telegram")
	for _, err := range []error{sendErr, meErr, webhookErr} {
		var retry *telegram.RetryAfterError
		if !errors.Is(err, telegram.ErrUnauthorized) || telegram.Temporary(err) || errors.As(err, &retry) || errors.Is(err, telegram.ErrBlocked) {
			t.Errorf("err = %v", err)
		}
		noSecrets(t, err, token, other)
	}
	if len(fake.Sent()) != 0 {
		t.Error("a message went out")
	}
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		body      string
		code      int // the APIError's code; 0 for none
		temporary bool
		want      string
		is        error // a sentinel the error matches
	}{
		{"server error", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, 500, true, "HTTP 500: Internal Server Error", nil},
		{"proxy page", 502, `<html>Bad Gateway</html>`, 502, true, "HTTP 502: Bad Gateway", nil},
		{"code without description", 400, `{"ok":false,"error_code":400}`, 400, false, "HTTP 400: Bad Request", nil},
		{"chat not found", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, 400, false, "chat not found", nil},
		{"token does not route", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`, 404, false, "Not Found", telegram.ErrUnauthorized},
		{"unauthorized", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, 401, false, "Unauthorized", telegram.ErrUnauthorized},
		{"forbidden", 403, `{"ok":false,"error_code":403,"description":"Forbidden: user is deactivated"}`, 403, false, "user is deactivated", telegram.ErrBlocked},
		{"success that is not JSON", 200, `<html>`, 0, true, "unreadable answer (HTTP 200)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := clientFor(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := c.SendHTML(context.Background(), chatID, "Привет")
			var apiErr *telegram.APIError
			if err == nil || telegram.Temporary(err) != tt.temporary || errors.As(err, &apiErr) != (tt.code != 0) ||
				!strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want it to match %v", err, tt.is)
			}
			if apiErr != nil && (apiErr.Code != tt.code || apiErr.Method != "sendMessage") {
				t.Errorf("APIError %+v", apiErr)
			}
			noSecrets(t, err, token)
		})
	}
}

func TestRateLimitWithoutRetryAfterWaitsASecond(t *testing.T) {
	t.Parallel()
	c := clientFor(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"ok":false,"error_code":429,"description":"Too Many Requests"}`)
	})
	err := c.SetWebhook(context.Background(), "https://balance.example/hook")
	var retry *telegram.RetryAfterError
	if !errors.As(err, &retry) || retry.After != time.Second || retry.Method != "setWebhook" {
		t.Errorf("err = %v", err)
	}
}

// leakyTransport fails like an HTTP client whose error quotes the request URL, token and all.
type leakyTransport struct{ cause error }

func (l leakyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("proxy refused %s: %w", req.URL.Path, l.cause)
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	stalled := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-stalled }))
	t.Cleanup(func() { close(stalled); slow.Close() })

	tests := []struct {
		name   string
		cfg    telegram.Config
		ctx    func() (context.Context, context.CancelFunc)
		wantIs error
	}{
		{"server down", telegram.Config{APIURL: closed.URL}, nil, nil},
		{"canceled", telegram.Config{APIURL: slow.URL}, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"client quotes the url", telegram.Config{HTTPClient: &http.Client{Transport: leakyTransport{errors.New("no route")}}}, nil, nil},
		{"client quotes the url, deadline", telegram.Config{HTTPClient: &http.Client{Transport: leakyTransport{context.DeadlineExceeded}}}, nil, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.Token, tt.cfg.WebhookSecret = token, secret
			c, err := telegram.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, err = c.SendHTML(ctx, chatID, "Привет")
			var apiErr *telegram.APIError
			if err == nil || !telegram.Temporary(err) || errors.As(err, &apiErr) || !strings.HasPrefix(err.Error(), "telegram sendMessage: ") {
				t.Fatalf("err = %v", err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
			noSecrets(t, err, token)
			for e := err; e != nil; e = errors.Unwrap(e) {
				noSecrets(t, e, token)
			}
		})
	}
}

func TestSetWebhook(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	const hook = "https://balance.example/webhooks/telegram"
	if err := c.SetWebhook(context.Background(), hook); err != nil {
		t.Fatal(err)
	}
	if url, sec := fake.Webhook(); url != hook || sec != secret {
		t.Errorf("webhook %q with secret %q", url, sec)
	}
	if got := fake.AllowedUpdates(); !slices.Equal(got, []string{"message"}) {
		t.Errorf("allowed updates %v", got)
	}
	for _, bad := range []string{"http://balance.example/hook", "/webhooks/telegram", "https://", "::"} {
		if err := c.SetWebhook(context.Background(), bad); !errors.Is(err, telegram.ErrInvalidInput) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	if n := fake.Calls("setWebhook"); n != 1 {
		t.Errorf("%d setWebhook calls", n)
	}
}

func TestSetWebhookNeedsASecret(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, func(c *telegram.Config) { c.WebhookSecret = "" })
	err := c.SetWebhook(context.Background(), "https://balance.example/hook")
	if !errors.Is(err, telegram.ErrInvalidInput) || fake.Calls("setWebhook") != 0 {
		t.Errorf("err = %v, %d calls", err, fake.Calls("setWebhook"))
	}
}

func TestSetWebhookNotConfirmed(t *testing.T) {
	t.Parallel()
	c := clientFor(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"ok":true,"result":false}`) })
	if err := c.SetWebhook(context.Background(), "https://balance.example/hook"); err == nil || !strings.Contains(err.Error(), "did not confirm") {
		t.Errorf("err = %v", err)
	}
}

func TestUsernameIsCached(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.RateLimitNext(1, 1)
	if _, err := c.Username(context.Background()); err == nil {
		t.Fatal("no error while rate limited")
	}
	for range 3 {
		name, err := c.Username(context.Background())
		if err != nil || name != telegramtest.DefaultUsername {
			t.Fatalf("Username = %q, %v", name, err)
		}
		fake.SetUsername("renamed_bot")
	}
	if n := fake.Calls("getMe"); n != 2 {
		t.Errorf("getMe called %d times, want the failed call and one more", n)
	}
}

func TestUsernameMissing(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.SetUsername("")
	if _, err := c.Username(context.Background()); err == nil || !strings.Contains(err.Error(), "no username") {
		t.Errorf("err = %v", err)
	}
}

func TestCheckSecret(t *testing.T) {
	t.Parallel()
	c, _ := newPair(t, nil)
	tests := []struct {
		header string
		want   bool
	}{
		{secret, true},
		{"", false},
		{secret + "x", false},
		{secret[:len(secret)-1], false},
		{strings.ToUpper(secret), false},
		{" " + secret, false},
	}
	for _, tt := range tests {
		if got := c.CheckSecret(tt.header); got != tt.want {
			t.Errorf("CheckSecret(%q) = %t", tt.header, got)
		}
	}
	none, _ := newPair(t, func(c *telegram.Config) { c.WebhookSecret = "" })
	for _, h := range []string{"", secret, "anything"} {
		if none.CheckSecret(h) {
			t.Errorf("with no secret configured, %q passes", h)
		}
	}
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.BlockChat(13)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.SendHTML(context.Background(), int64(10+i%5), fmt.Sprintf("сообщение %d", i))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if blocked := 10+i%5 == 13; errors.Is(err, telegram.ErrBlocked) != blocked || (!blocked && err != nil) {
			t.Errorf("send %d: %v", i, err)
		}
	}
	if n := len(fake.Sent()); n != 16 {
		t.Errorf("%d messages sent, want 16", n)
	}
}

func TestTemporary(t *testing.T) {
	t.Parallel()
	if telegram.Temporary(nil) {
		t.Error("nil is temporary")
	}
	apiErr := &telegram.APIError{Method: "getMe", Code: 403, Description: "Forbidden"}
	if errors.Is(apiErr, telegram.ErrInvalidInput) || errors.Is(apiErr, context.Canceled) {
		t.Error("an APIError matches an unrelated sentinel")
	}
	if !telegram.Temporary(fmt.Errorf("wrapped: %w", &telegram.APIError{Code: 503})) || telegram.Temporary(fmt.Errorf("wrapped: %w", apiErr)) {
		t.Error("Temporary does not look through wrapping")
	}
}
