// Package telegramtest is an in-process fake of the Telegram Bot API for tests. It answers
// /bot<token>/<method> with Telegram's JSON envelope, reads parameters the way Telegram does (JSON,
// multipart and urlencoded bodies, the query string), implements getMe, setWebhook, deleteWebhook,
// getWebhookInfo and sendMessage — checking the HTML parse mode and the length limit as Telegram
// does — records what was sent, and can answer 429 or 403 on demand. It also builds update bodies and
// the webhook requests Telegram would send with them.
package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// DefaultUsername is the fake bot's username until SetUsername.
const DefaultUsername = "balance_test_bot"

// UpdateFirstName is the sender's first name in bodies built by UpdateJSON.
const UpdateFirstName = "Test"

// maxMessageLength is Telegram's limit, in UTF-16 code units of the text after parsing the markup.
const maxMessageLength = 4096

var secretShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// SentMessage is a message the fake accepted.
type SentMessage struct {
	MessageID int
	ChatID    int64
	// Text is the text as sent, markup included.
	Text      string
	ParseMode string
}

// Server is a fake Bot API server for one bot token. Its methods are safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	token string
	botID int64

	mu             sync.Mutex
	username       string
	webhookURL     string
	webhookSecret  string
	allowedUpdates []string
	sent           []SentMessage
	lastMessageID  int
	blocked        map[int64]bool
	limitNext      int
	retryAfter     int
	calls          map[string]int
}

// New starts a fake that accepts token and closes it when the test ends.
func New(tb testing.TB, token string) *Server {
	tb.Helper()
	id, _ := strconv.ParseInt(strings.SplitN(token, ":", 2)[0], 10, 64)
	s := &Server{token: token, botID: id, username: DefaultUsername, blocked: map[int64]bool{}, calls: map[string]int{}}
	s.srv = httptest.NewServer(s)
	tb.Cleanup(s.srv.Close)
	return s
}

// URL is the server root to configure a client with; methods live at URL()/bot<token>/<method>.
func (s *Server) URL() string { return s.srv.URL }

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetUsername changes the username getMe reports.
func (s *Server) SetUsername(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.username = name
}

// RateLimitNext makes the next n calls (any method, with the right token) answer 429 with
// parameters.retry_after = retryAfter seconds; they do nothing.
func (s *Server) RateLimitNext(n, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitNext, s.retryAfter = n, retryAfter
}

// BlockChat makes sendMessage to chatID answer 403 "Forbidden: bot was blocked by the user".
func (s *Server) BlockChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// Sent lists the accepted messages in the order they arrived.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// Webhook is the registered webhook: its URL and secret token, empty when none is set.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.webhookSecret
}

// AllowedUpdates is the allowed_updates list of the registered webhook.
func (s *Server) AllowedUpdates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.allowedUpdates...)
}

// Calls counts the calls of a method with the right token, whatever their outcome. Method names
// are case-insensitive, as in the Bot API.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(method)]
}

// WebhookRequest builds the request Telegram would send to the registered webhook with body: a
// JSON POST carrying the secret token in X-Telegram-Bot-Api-Secret-Token. Serve it with a handler
// directly or send it with a client. It fails when no webhook is set.
func (s *Server) WebhookRequest(body []byte) (*http.Request, error) {
	target, secret := s.Webhook()
	if target == "" {
		return nil, errors.New("telegramtest: no webhook is set")
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("telegramtest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	return req, nil
}

// UpdateJSON builds the body of a "message" update as Telegram sends it to a webhook: text from
// the user fromID (first name UpdateFirstName, username if not empty) in chat chatID (a private chat,
// or a group when negative). A command at the start gets its bot_command entity.
func UpdateJSON(updateID int64, chatID, fromID int64, username, text string) []byte {
	from := map[string]any{"id": fromID, "is_bot": false, "first_name": UpdateFirstName, "language_code": "ru"}
	chat := map[string]any{"id": chatID, "type": "private", "first_name": UpdateFirstName}
	if username != "" {
		from["username"], chat["username"] = username, username
	}
	if chatID < 0 {
		chat = map[string]any{"id": chatID, "type": "supergroup", "title": "Test group"}
	}
	message := map[string]any{"message_id": updateID, "from": from, "chat": chat, "date": 1_700_000_000, "text": text}
	if strings.HasPrefix(text, "/") {
		command, _, _ := strings.Cut(text, " ")
		message["entities"] = []map[string]any{{"offset": 0, "length": len(utf16.Encode([]rune(command))), "type": "bot_command"}}
	}
	body, _ := json.Marshal(map[string]any{"update_id": updateID, "message": message})
	return body
}

// apiError is an error answer: its HTTP status and error_code are the same, as in the Bot API.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func badRequest(description string) *apiError {
	return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + description}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	switch {
	case !strings.HasPrefix(r.URL.Path, "/bot") || !ok || method == "" || strings.Contains(method, "/"):
		reply(w, nil, &apiError{code: http.StatusNotFound, description: "Not Found"})
		return
	case token != s.token:
		reply(w, nil, &apiError{code: http.StatusUnauthorized, description: "Unauthorized"})
		return
	}
	params, err := readParams(r)
	if err != nil {
		reply(w, nil, badRequest(err.Error()))
		return
	}
	result, apiErr := s.serve(strings.ToLower(method), params)
	reply(w, result, apiErr)
}

func (s *Server) serve(method string, params map[string]string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	if s.limitNext > 0 {
		s.limitNext--
		return nil, &apiError{code: http.StatusTooManyRequests, description: fmt.Sprintf("Too Many Requests: retry after %d", s.retryAfter), retryAfter: s.retryAfter}
	}
	switch method {
	case "getme":
		return s.botUser(), nil
	case "setwebhook":
		return s.setWebhook(params)
	case "deletewebhook":
		s.webhookURL, s.webhookSecret, s.allowedUpdates = "", "", nil
		return true, nil
	case "getwebhookinfo":
		return map[string]any{"url": s.webhookURL, "has_custom_certificate": false, "pending_update_count": 0, "allowed_updates": s.allowedUpdates}, nil
	case "sendmessage":
		return s.sendMessage(params)
	}
	return nil, &apiError{code: http.StatusNotFound, description: "Not Found"}
}

func (s *Server) botUser() map[string]any {
	return map[string]any{"id": s.botID, "is_bot": true, "first_name": "Balance Test", "username": s.username,
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
}

func (s *Server) setWebhook(params map[string]string) (any, *apiError) {
	target := params["url"]
	if target == "" { // an empty URL removes the webhook
		s.webhookURL, s.webhookSecret, s.allowedUpdates = "", "", nil
		return true, nil
	}
	if u, err := url.Parse(target); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret, hasSecret := params["secret_token"]
	if hasSecret && !secretShape.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	var allowed []string
	if raw := params["allowed_updates"]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &allowed); err != nil {
			return nil, badRequest("can't parse allowed_updates JSON array")
		}
	}
	s.webhookURL, s.webhookSecret, s.allowedUpdates = target, secret, allowed
	return true, nil
}

func (s *Server) sendMessage(params map[string]string) (any, *apiError) {
	if params["chat_id"] == "" {
		return nil, badRequest("chat_id is empty")
	}
	chatID, err := strconv.ParseInt(params["chat_id"], 10, 64)
	if err != nil || chatID == 0 {
		return nil, badRequest("chat not found")
	}
	if s.blocked[chatID] {
		return nil, &apiError{code: http.StatusForbidden, description: "Forbidden: bot was blocked by the user"}
	}
	text, mode := params["text"], params["parse_mode"]
	visible := text
	switch strings.ToLower(mode) {
	case "html":
		if visible, err = parseHTML(text); err != nil {
			return nil, badRequest("can't parse entities: " + err.Error())
		}
	case "", "markdown", "markdownv2":
	default:
		return nil, badRequest("unsupported parse_mode")
	}
	if strings.TrimSpace(visible) == "" {
		return nil, badRequest("message text is empty")
	}
	if len(utf16.Encode([]rune(visible))) > maxMessageLength {
		return nil, badRequest("message is too long")
	}
	s.lastMessageID++
	s.sent = append(s.sent, SentMessage{MessageID: s.lastMessageID, ChatID: chatID, Text: text, ParseMode: mode})
	return map[string]any{"message_id": s.lastMessageID, "date": time.Now().Unix(), "from": s.botUser(),
		"chat": map[string]any{"id": chatID, "type": "private"}, "text": visible}, nil
}

func reply(w http.ResponseWriter, result any, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	body := map[string]any{"ok": true, "result": result}
	if e != nil {
		body = map[string]any{"ok": false, "error_code": e.code, "description": e.description}
		if e.retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": e.retryAfter}
		}
		w.WriteHeader(e.code)
	}
	_ = json.NewEncoder(w).Encode(body)
}

// readParams reads a method's parameters from the query string and the body, as the Bot API
// accepts them: JSON, multipart/form-data (what github.com/go-telegram/bot sends) or urlencoded.
// Values that are not strings in JSON keep their JSON text ("123", `["message"]`), as in a form.
func readParams(r *http.Request) (map[string]string, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 50<<20))
	if err != nil || len(body) == 0 {
		return params, err
	}
	mediaType, mediaParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return nil, errors.New("can't parse JSON object")
		}
		for k, raw := range fields {
			var str string
			if json.Unmarshal(raw, &str) != nil {
				str = string(raw)
			}
			params[k] = str
		}
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), mediaParams["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, errors.New("can't parse multipart form")
			}
			value, err := io.ReadAll(part)
			if err != nil {
				return nil, errors.New("can't parse multipart form")
			}
			params[part.FormName()] = string(value)
		}
	case "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("can't parse form")
		}
		for k, v := range values {
			params[k] = v[0]
		}
	default:
		return nil, fmt.Errorf("unsupported content type %q", mediaType)
	}
	return params, nil
}
