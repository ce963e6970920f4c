package telegramtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"balance/integrations/telegram/telegramtest"
)

const token = "42:test-token_0123456789abcdefghijklmnopq"

type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// call sends a request and decodes Telegram's envelope, checking that the status and error_code agree.
func call(t *testing.T, s *telegramtest.Server, method, path, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%s: body %q: %v", path, raw, err)
	}
	if resp.Header.Get("Content-Type") != "application/json" || (a.OK != (resp.StatusCode == 200)) || (!a.OK && a.ErrorCode != resp.StatusCode) {
		t.Errorf("%s: HTTP %d, %s", path, resp.StatusCode, raw)
	}
	return a
}

func postJSON(t *testing.T, s *telegramtest.Server, method string, params any) answer {
	t.Helper()
	body, _ := json.Marshal(params)
	return call(t, s, http.MethodPost, "/bot"+token+"/"+method, "application/json", string(body))
}

func multipartBody(fields map[string]string) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	_ = w.Close()
	return w.FormDataContentType(), b.String()
}

func TestRouting(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	tests := []struct {
		path string
		code int
		desc string
	}{
		{"/", 404, "Not Found"},
		{"/bot" + token, 404, "Not Found"},
		{"/bot" + token + "/", 404, "Not Found"},
		{"/bot" + token + "/getMe/extra", 404, "Not Found"},
		{"/file/bot" + token + "/x", 404, "Not Found"},
		{"/bot" + token + "/noSuchMethod", 404, "Not Found"},
		{"/bot42:wrong-token_0123456789abcdefghijklmnopq/getMe", 401, "Unauthorized"},
		{"/bot/getMe", 401, "Unauthorized"},
	}
	for _, tt := range tests {
		a := call(t, s, http.MethodPost, tt.path, "", "")
		if a.OK || a.ErrorCode != tt.code || a.Description != tt.desc {
			t.Errorf("%s: %+v", tt.path, a)
		}
	}
	if s.Calls("getMe") != 0 || s.Calls("noSuchMethod") != 1 {
		t.Errorf("calls: getMe %d, noSuchMethod %d", s.Calls("getMe"), s.Calls("noSuchMethod"))
	}
}

func TestGetMe(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	var me struct {
		ID       int64  `json:"id"`
		IsBot    bool   `json:"is_bot"`
		Username string `json:"username"`
	}
	a := call(t, s, http.MethodGet, "/bot"+token+"/GETME", "", "")
	if err := json.Unmarshal(a.Result, &me); err != nil || me.ID != 42 || !me.IsBot || me.Username != telegramtest.DefaultUsername {
		t.Errorf("getMe: %s, %v", a.Result, err)
	}
	s.SetUsername("other_bot")
	a = call(t, s, http.MethodPost, "/bot"+token+"/getMe", "", "")
	if !strings.Contains(string(a.Result), `"username":"other_bot"`) || s.Calls("getme") != 2 {
		t.Errorf("after SetUsername: %s; %d calls", a.Result, s.Calls("getMe"))
	}
}

func TestSendMessageBodies(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	ct, mp := multipartBody(map[string]string{"chat_id": "11", "text": "<b>multipart</b>", "parse_mode": "HTML"})
	answers := []answer{
		postJSON(t, s, "sendMessage", map[string]any{"chat_id": 10, "text": "json"}),
		call(t, s, http.MethodPost, "/bot"+token+"/sendMessage", ct, mp),
		call(t, s, http.MethodPost, "/bot"+token+"/sendMessage", "application/x-www-form-urlencoded", url.Values{"chat_id": {"12"}, "text": {"form &amp; co"}, "parse_mode": {"html"}}.Encode()),
		call(t, s, http.MethodGet, "/bot"+token+"/sendMessage?chat_id=-1001&text=query", "", ""),
	}
	var gotIDs []int
	for i, a := range answers {
		var m struct {
			MessageID int    `json:"message_id"`
			Text      string `json:"text"`
			Chat      struct{ ID int64 }
		}
		if err := json.Unmarshal(a.Result, &m); !a.OK || err != nil {
			t.Fatalf("answer %d: %+v", i, a)
		}
		gotIDs = append(gotIDs, m.MessageID)
		if i == 2 && m.Text != "form & co" {
			t.Errorf("the answer's text is not the parsed text: %q", m.Text)
		}
	}
	want := []telegramtest.SentMessage{
		{MessageID: 1, ChatID: 10, Text: "json"},
		{MessageID: 2, ChatID: 11, Text: "<b>multipart</b>", ParseMode: "HTML"},
		{MessageID: 3, ChatID: 12, Text: "form &amp; co", ParseMode: "html"},
		{MessageID: 4, ChatID: -1001, Text: "query"},
	}
	sent := s.Sent()
	if !slices.Equal(sent, want) || !slices.Equal(gotIDs, []int{1, 2, 3, 4}) {
		t.Errorf("sent %+v, ids %v", sent, gotIDs)
	}
	sent[0].Text = "changed"
	if s.Sent()[0].Text != "json" {
		t.Error("Sent shares its slice")
	}
}

func TestSendMessageRefusals(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	s.BlockChat(99)
	tests := []struct {
		name   string
		params map[string]any
		code   int
		desc   string
	}{
		{"no chat", map[string]any{"text": "x"}, 400, "Bad Request: chat_id is empty"},
		{"chat by name", map[string]any{"chat_id": "@channel", "text": "x"}, 400, "Bad Request: chat not found"},
		{"blocked", map[string]any{"chat_id": 99, "text": "x"}, 403, "Forbidden: bot was blocked by the user"},
		{"no text", map[string]any{"chat_id": 1}, 400, "Bad Request: message text is empty"},
		{"blank text", map[string]any{"chat_id": 1, "text": " \n "}, 400, "Bad Request: message text is empty"},
		{"blank markup", map[string]any{"chat_id": 1, "text": "<b> </b>", "parse_mode": "HTML"}, 400, "Bad Request: message text is empty"},
		{"unknown parse mode", map[string]any{"chat_id": 1, "text": "x", "parse_mode": "BBCode"}, 400, "Bad Request: unsupported parse_mode"},
		{"too long", map[string]any{"chat_id": 1, "text": strings.Repeat("a", 4097)}, 400, "Bad Request: message is too long"},
		{"too long in UTF-16", map[string]any{"chat_id": 1, "text": strings.Repeat("😀", 2049)}, 400, "Bad Request: message is too long"},
		{"unclosed tag", map[string]any{"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"}, 400, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"crossed tags", map[string]any{"chat_id": 1, "text": "<b><i>x</b></i>", "parse_mode": "HTML"}, 400, `Bad Request: can't parse entities: Unmatched end tag at byte offset 7, found "</b>"`},
		{"end tag first", map[string]any{"chat_id": 1, "text": "x</b>", "parse_mode": "HTML"}, 400, `Bad Request: can't parse entities: Unmatched end tag at byte offset 1, found "</b>"`},
		{"unsupported tag", map[string]any{"chat_id": 1, "text": "<script>x</script>", "parse_mode": "HTML"}, 400, `Bad Request: can't parse entities: Unsupported start tag "script" at byte offset 0`},
		{"empty tag", map[string]any{"chat_id": 1, "text": "a <> b", "parse_mode": "HTML"}, 400, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`},
		{"stray <", map[string]any{"chat_id": 1, "text": "1 < 2", "parse_mode": "HTML"}, 400, "Bad Request: can't parse entities: Unclosed start tag at byte offset 2"},
		{"< inside a tag", map[string]any{"chat_id": 1, "text": "<b <i>x", "parse_mode": "HTML"}, 400, "Bad Request: can't parse entities: Unclosed start tag at byte offset 0"},
		{"stray &", map[string]any{"chat_id": 1, "text": "a & b", "parse_mode": "HTML"}, 400, "Bad Request: can't parse entities: Character '&' at byte offset 2 must be escaped"},
		{"unknown entity", map[string]any{"chat_id": 1, "text": "a &nbsp; b", "parse_mode": "HTML"}, 400, "Bad Request: can't parse entities: Character '&' at byte offset 2 must be escaped"},
		{"bad number", map[string]any{"chat_id": 1, "text": "&#xZZ;", "parse_mode": "HTML"}, 400, "Bad Request: can't parse entities: Character '&' at byte offset 0 must be escaped"},
		{"zero", map[string]any{"chat_id": 1, "text": "&#0;", "parse_mode": "HTML"}, 400, "Bad Request: can't parse entities: Character '&' at byte offset 0 must be escaped"},
	}
	for _, tt := range tests {
		if a := postJSON(t, s, "sendMessage", tt.params); a.OK || a.ErrorCode != tt.code || a.Description != tt.desc {
			t.Errorf("%s: %+v", tt.name, a)
		}
	}
	if len(s.Sent()) != 0 {
		t.Errorf("refused messages were recorded: %+v", s.Sent())
	}
}

func TestSendMessageAccepts(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	tests := []struct{ text, mode, visible string }{
		{strings.Repeat("я", 4096), "", strings.Repeat("я", 4096)},
		{"<b>" + strings.Repeat("a", 4096) + "</b>", "HTML", strings.Repeat("a", 4096)},
		{`<A HREF="https://x.example">link</A> &lt;&gt;&amp;&quot; &#65;&#x42;&#X43;`, "HTML", `link <>&" ABC`},
		{"<b><i>x</i></b><code>y</code><pre>z</pre><blockquote expandable>q</blockquote>", "HTML", "xyzq"},
		{"*bold* & <raw>", "MarkdownV2", "*bold* & <raw>"},
	}
	for _, tt := range tests {
		a := postJSON(t, s, "sendMessage", map[string]any{"chat_id": 1, "text": tt.text, "parse_mode": tt.mode})
		var m struct{ Text string }
		if err := json.Unmarshal(a.Result, &m); !a.OK || err != nil || m.Text != tt.visible {
			t.Errorf("%.40q: %+v, %q", tt.text, a, m.Text)
		}
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	if _, err := s.WebhookRequest([]byte("{}")); err == nil {
		t.Error("a webhook request without a webhook")
	}
	for _, tt := range []struct {
		params map[string]any
		desc   string
	}{
		{map[string]any{"url": "http://balance.example/hook"}, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"},
		{map[string]any{"url": "https://balance.example/hook", "secret_token": "not allowed!"}, "Bad Request: secret token contains unallowed characters"},
		{map[string]any{"url": "https://balance.example/hook", "secret_token": ""}, "Bad Request: secret token contains unallowed characters"},
		{map[string]any{"url": "https://balance.example/hook", "allowed_updates": "message"}, "Bad Request: can't parse allowed_updates JSON array"},
	} {
		if a := postJSON(t, s, "setWebhook", tt.params); a.OK || a.Description != tt.desc {
			t.Errorf("%v: %+v", tt.params, a)
		}
	}
	a := postJSON(t, s, "setWebhook", map[string]any{"url": "https://balance.example/hook", "secret_token": "s3cret_-", "allowed_updates": []string{"message"}})
	if !a.OK || string(a.Result) != "true" {
		t.Fatalf("setWebhook: %+v", a)
	}
	if u, sec := s.Webhook(); u != "https://balance.example/hook" || sec != "s3cret_-" || !slices.Equal(s.AllowedUpdates(), []string{"message"}) {
		t.Errorf("webhook %q %q %v", u, sec, s.AllowedUpdates())
	}
	info := postJSON(t, s, "getWebhookInfo", nil)
	if !strings.Contains(string(info.Result), `"url":"https://balance.example/hook"`) || !strings.Contains(string(info.Result), `"allowed_updates":["message"]`) {
		t.Errorf("getWebhookInfo: %s", info.Result)
	}

	body := telegramtest.UpdateJSON(1, 2, 2, "", "/start x")
	req, err := s.WebhookRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || req.URL.String() != "https://balance.example/hook" || !bytes.Equal(got, body) ||
		req.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret_-" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("webhook request %s %s %v", req.Method, req.URL, req.Header)
	}

	if a := postJSON(t, s, "deleteWebhook", nil); !a.OK {
		t.Errorf("deleteWebhook: %+v", a)
	}
	if u, sec := s.Webhook(); u != "" || sec != "" || s.AllowedUpdates() != nil {
		t.Errorf("after deleteWebhook: %q %q", u, sec)
	}
	postJSON(t, s, "setWebhook", map[string]any{"url": "https://balance.example/open"})
	if req, err := s.WebhookRequest(body); err != nil || req.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "" {
		t.Errorf("a webhook without a secret: %v", err)
	}
	postJSON(t, s, "setWebhook", map[string]any{"url": ""})
	if u, _ := s.Webhook(); u != "" {
		t.Errorf("an empty url left %q", u)
	}
}

func TestRateLimitNext(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	s.RateLimitNext(2, 5)
	for i := range 2 {
		a := postJSON(t, s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"})
		if a.OK || a.ErrorCode != 429 || a.Parameters.RetryAfter != 5 || a.Description != "Too Many Requests: retry after 5" {
			t.Errorf("call %d: %+v", i, a)
		}
	}
	if a := postJSON(t, s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"}); !a.OK {
		t.Errorf("third call: %+v", a)
	}
	if len(s.Sent()) != 1 || s.Calls("sendMessage") != 3 {
		t.Errorf("%d sent, %d calls", len(s.Sent()), s.Calls("sendMessage"))
	}
}

func TestBadBodies(t *testing.T) {
	t.Parallel()
	s := telegramtest.New(t, token)
	path := "/bot" + token + "/sendMessage"
	for _, tt := range []struct{ contentType, body, desc string }{
		{"application/json", `{"chat_id":`, "Bad Request: can't parse JSON object"},
		{"multipart/form-data; boundary=xyz", "--xyz\r\nbroken", "Bad Request: can't parse multipart form"},
		{"application/x-www-form-urlencoded", "chat_id=%zz", "Bad Request: can't parse form"},
		{"text/plain", "chat_id=1", `Bad Request: unsupported content type "text/plain"`},
	} {
		if a := call(t, s, http.MethodPost, path, tt.contentType, tt.body); a.OK || a.Description != tt.desc {
			t.Errorf("%s: %+v", tt.contentType, a)
		}
	}
}

func TestUpdateJSON(t *testing.T) {
	t.Parallel()
	type user struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
		Username  string `json:"username"`
	}
	var u struct {
		UpdateID int64 `json:"update_id"`
		Message  struct {
			MessageID int64 `json:"message_id"`
			From      user  `json:"from"`
			Chat      struct {
				ID   int64  `json:"id"`
				Type string `json:"type"`
			} `json:"chat"`
			Text     string `json:"text"`
			Entities []struct {
				Offset, Length int
				Type           string
			} `json:"entities"`
		} `json:"message"`
	}
	if err := json.Unmarshal(telegramtest.UpdateJSON(7, 100, 100, "anna", "/start@bot 😀x"), &u); err != nil {
		t.Fatal(err)
	}
	m := u.Message
	if u.UpdateID != 7 || m.Chat.ID != 100 || m.Chat.Type != "private" || m.From != (user{100, telegramtest.UpdateFirstName, "anna"}) ||
		m.Text != "/start@bot 😀x" || len(m.Entities) != 1 || m.Entities[0].Length != 10 || m.Entities[0].Type != "bot_command" {
		t.Errorf("update %+v", u)
	}
	body := string(telegramtest.UpdateJSON(8, -100500, 100, "", "hello"))
	if strings.Contains(body, "username") || strings.Contains(body, "entities") || !strings.Contains(body, `"type":"supergroup"`) {
		t.Errorf("group update %s", body)
	}
}
