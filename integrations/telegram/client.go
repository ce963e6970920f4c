package telegram

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// maxResponseBytes bounds what is read of an answer; ours are a message or a user, a few KiB.
const maxResponseBytes = 1 << 20

// Client calls the Telegram Bot API. It is safe for concurrent use.
type Client struct {
	bot    *bot.Bot
	token  string
	secret string

	mu       sync.Mutex
	username string
}

// New validates cfg and returns a client. It makes no network call.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b, err := bot.New(cfg.Token,
		bot.WithServerURL(cfg.APIURL),
		bot.WithSkipGetMe(),
		// The poll timeout is for getUpdates, which a webhook bot never calls.
		bot.WithHTTPClient(0, answerRecorder{cfg.HTTPClient}),
		bot.WithWebhookSecretToken(cfg.WebhookSecret),
		// The library reports pipe and body-close failures here; the call's own error says enough,
		// and the default handler would print to the standard logger.
		bot.WithErrorsHandler(func(error) {}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", redact(err, cfg.Token))
	}
	return &Client{bot: b, token: cfg.Token, secret: cfg.WebhookSecret}, nil
}

// SendHTML sends text with the HTML parse mode, split by SplitHTML into as many messages as it
// needs, in order, and returns their message ids. On an error it returns the ids of the parts
// already delivered with it: sending again repeats them. Every user-supplied piece of text must have
// gone through EscapeHTML.
func (c *Client) SendHTML(ctx context.Context, chatID int64, text string) (messageIDs []int, err error) {
	if chatID == 0 {
		return nil, fmt.Errorf("telegram sendMessage: %w: no chat id", ErrInvalidInput)
	}
	parts := SplitHTML(text)
	if len(parts) == 0 {
		return nil, fmt.Errorf("telegram sendMessage: %w: empty text", ErrInvalidInput)
	}
	for i, part := range parts {
		var msg *models.Message
		err := c.call(ctx, "sendMessage", func(ctx context.Context) (err error) {
			msg, err = c.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: chatID, Text: part, ParseMode: models.ParseModeHTML})
			return err
		})
		if err != nil {
			if len(parts) > 1 {
				err = fmt.Errorf("part %d of %d: %w", i+1, len(parts), err)
			}
			return messageIDs, err
		}
		messageIDs = append(messageIDs, msg.ID)
	}
	return messageIDs, nil
}

// SetWebhook asks Telegram to deliver message updates to webhookURL (https), with the configured
// secret in the X-Telegram-Bot-Api-Secret-Token header. It refuses to run without a secret: the
// webhook would turn every update away.
func (c *Client) SetWebhook(ctx context.Context, webhookURL string) error {
	if c.secret == "" {
		return fmt.Errorf("telegram setWebhook: %w: no webhook secret is configured", ErrInvalidInput)
	}
	if u, err := url.Parse(webhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("telegram setWebhook: %w: the webhook URL must be an absolute https URL", ErrInvalidInput)
	}
	var done bool
	err := c.call(ctx, "setWebhook", func(ctx context.Context) (err error) {
		done, err = c.bot.SetWebhook(ctx, &bot.SetWebhookParams{
			URL:            webhookURL,
			SecretToken:    c.secret,
			AllowedUpdates: []string{models.AllowedUpdateMessage},
		})
		return err
	})
	if err == nil && !done {
		err = errors.New("telegram setWebhook: Telegram did not confirm the webhook")
	}
	return err
}

// Username is the bot's @username (without the @), asked of Telegram once and then remembered.
func (c *Client) Username(ctx context.Context) (string, error) {
	c.mu.Lock()
	name := c.username
	c.mu.Unlock()
	if name != "" {
		return name, nil
	}
	var me *models.User
	if err := c.call(ctx, "getMe", func(ctx context.Context) (err error) {
		me, err = c.bot.GetMe(ctx)
		return err
	}); err != nil {
		return "", err
	}
	if me.Username == "" {
		return "", errors.New("telegram getMe: the bot has no username")
	}
	c.mu.Lock()
	c.username = me.Username
	c.mu.Unlock()
	return me.Username, nil
}

// CheckSecret reports whether header, the X-Telegram-Bot-Api-Secret-Token of a webhook request,
// is the configured secret. The comparison takes the same time wherever the strings differ (and
// whatever their lengths); with no secret configured every header is wrong.
func (c *Client) CheckSecret(header string) bool {
	if c.secret == "" {
		return false
	}
	got, want := sha256.Sum256([]byte(header)), sha256.Sum256([]byte(c.secret))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// call runs one library call and turns its failure into our errors, from the answer the
// answerRecorder kept: the library keeps the code of 403, 429 and a few others, but reduces any
// other answer (a 5xx) to text, and our callers must tell a 5xx from a 400.
func (c *Client) call(ctx context.Context, method string, fn func(context.Context) error) error {
	a := &answer{}
	err := fn(context.WithValue(ctx, answerKey{}, a))
	if err == nil {
		return nil
	}
	switch {
	case a.status == 0: // no answer: network error, timeout, cancellation
		return fmt.Errorf("telegram %s: %w", method, redact(err, c.token))
	case a.code == http.StatusTooManyRequests:
		// Telegram always names the wait; a second is the least one may wait.
		return &RetryAfterError{Method: method, After: max(time.Duration(a.retryAfter)*time.Second, time.Second)}
	case a.code != 0:
		return &APIError{Method: method, Code: a.code, Description: a.description}
	default: // a successful status whose body the library could not read
		return fmt.Errorf("telegram %s: unreadable answer (HTTP %d): %w", method, a.status, redact(err, c.token))
	}
}

type answerKey struct{}

// answer is what the server said to one call.
type answer struct {
	status      int
	code        int // error_code, or the HTTP status of an error answer that is not JSON
	description string
	retryAfter  int
}

// answerRecorder is the library's HTTP client: it passes each request on and notes the answer's
// status and, for an error, Telegram's error object, in the answer the call put in the context.
type answerRecorder struct{ client *http.Client }

func (r answerRecorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.client.Do(req)
	if err != nil {
		// go-telegram/bot v1.19.0 passes this error to the goroutine that writes the request body
		// (pipe CloseWithError) and then edits it to mask the token: a data race. Closed first, the
		// pipe keeps its own error and that goroutine never sees this one.
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	body := io.LimitReader(resp.Body, maxResponseBytes)
	a, _ := req.Context().Value(answerKey{}).(*answer)
	if a == nil {
		resp.Body = readCloser{body, resp.Body}
		return resp, nil
	}
	a.status = resp.StatusCode
	if resp.StatusCode < http.StatusMultipleChoices {
		resp.Body = readCloser{body, resp.Body}
		return resp, nil
	}
	raw, err := io.ReadAll(body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	var w struct {
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(raw, &w) != nil || w.ErrorCode == 0 {
		// Not Telegram's JSON (a proxy's error page, say): the HTTP status is all there is.
		w.ErrorCode, w.Description = resp.StatusCode, ""
	}
	if w.Description == "" {
		w.Description = http.StatusText(w.ErrorCode)
	}
	a.code, a.description, a.retryAfter = w.ErrorCode, w.Description, w.Parameters.RetryAfter
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
