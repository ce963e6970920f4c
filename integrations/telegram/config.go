package telegram

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultAPIURL is the Bot API server New uses when Config.APIURL is empty.
const DefaultAPIURL = "https://api.telegram.org"

const (
	defaultTimeout = 30 * time.Second
	masked         = "[REDACTED]"
)

var (
	// A bot token is the bot's numeric id, a colon and a secret of at least 35 characters.
	tokenShape = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{35,}$`)
	// Telegram's rule for setWebhook's secret_token.
	secretShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Config configures a Client. Token and WebhookSecret are secrets: String, GoString and LogValue
// mask them, and validation errors never quote them.
type Config struct {
	// Token is the bot token from @BotFather.
	Token string
	// APIURL is the Bot API server, DefaultAPIURL when empty; tests point it at a fake.
	APIURL     string
	HTTPClient *http.Client
	// WebhookSecret is sent to Telegram by SetWebhook and expected back in every webhook request's
	// X-Telegram-Bot-Api-Secret-Token header. Empty means no webhook: CheckSecret rejects everything.
	WebhookSecret string
}

func mark(secret string) string {
	if secret == "" {
		return ""
	}
	return masked
}

// String renders the configuration with the token and the secret masked.
func (c Config) String() string {
	return fmt.Sprintf("telegram.Config{Token:%q APIURL:%q WebhookSecret:%q}", mark(c.Token), c.APIURL, mark(c.WebhookSecret))
}

// GoString keeps %#v from printing the token and the secret.
func (c Config) GoString() string { return c.String() }

// LogValue lets slog log the configuration without the token and the secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("token", mark(c.Token)),
		slog.String("api_url", c.APIURL),
		slog.String("webhook_secret", mark(c.WebhookSecret)),
	)
}

// withDefaults fills zero fields and validates the result.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	switch {
	case c.Token == "":
		errs = append(errs, errors.New("bot token is required"))
	case !tokenShape.MatchString(c.Token):
		errs = append(errs, errors.New("bot token must look like <digits>:<35 or more of A-Z a-z 0-9 _ ->"))
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	// The library appends /bot<token>/<method> to the URL, so it must be a bare root or path.
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("api url must be an absolute http(s) URL"))
	} else if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, errors.New("api url must not carry credentials, a query or a fragment"))
	}
	if c.WebhookSecret != "" && !secretShape.MatchString(c.WebhookSecret) {
		errs = append(errs, errors.New("webhook secret must be 1-256 characters of A-Z a-z 0-9 _ -"))
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("telegram config: %w", err)
	}
	return c, nil
}
