package yookassa

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultAPIURL     = "https://api.yookassa.ru/v3"
	DefaultMaxRetries = 3
	DefaultRetryWait  = 500 * time.Millisecond
	defaultTimeout    = 30 * time.Second
)

// Config configures a Client. SecretKey is a secret: String, GoString and LogValue mask it.
type Config struct {
	ShopID    string
	SecretKey string
	// APIURL is the API root, DefaultAPIURL when empty; tests point it at a fake.
	APIURL string
	// ReturnURL is where YooKassa sends the client back after the payment page.
	ReturnURL string
	// Receipts adds a 54-FZ receipt to every created payment.
	Receipts   bool
	HTTPClient *http.Client
	// MaxRetries bounds the retries after the first attempt: 0 means DefaultMaxRetries, a negative
	// value disables retries.
	MaxRetries int
	// RetryWait is the first wait between attempts (doubling after each); 0 means DefaultRetryWait.
	RetryWait time.Duration
}

const masked = "[REDACTED]"

func (c Config) secretMark() string {
	if c.SecretKey == "" {
		return ""
	}
	return masked
}

// String renders the configuration with the secret key masked.
func (c Config) String() string {
	return fmt.Sprintf("yookassa.Config{ShopID:%q SecretKey:%q APIURL:%q ReturnURL:%q Receipts:%t MaxRetries:%d RetryWait:%s}",
		c.ShopID, c.secretMark(), c.APIURL, c.ReturnURL, c.Receipts, c.MaxRetries, c.RetryWait)
}

// GoString keeps %#v from printing the secret key.
func (c Config) GoString() string { return c.String() }

// LogValue lets slog log the configuration without the secret key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("shop_id", c.ShopID),
		slog.String("secret_key", c.secretMark()),
		slog.String("api_url", c.APIURL),
		slog.String("return_url", c.ReturnURL),
		slog.Bool("receipts", c.Receipts),
		slog.Int("max_retries", c.MaxRetries),
		slog.Duration("retry_wait", c.RetryWait),
	)
}

// withDefaults fills zero fields and validates the result. Errors never quote the secret key.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if strings.TrimSpace(c.ShopID) == "" {
		errs = append(errs, errors.New("shop id is required"))
	}
	if c.SecretKey == "" {
		errs = append(errs, errors.New("secret key is required"))
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("api url must be an absolute http(s) URL"))
	} else if u.User != nil {
		errs = append(errs, errors.New("api url must not carry credentials"))
	}
	if u, err := url.Parse(c.ReturnURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("return url must be an absolute http(s) URL"))
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultTimeout, Transport: keepAliveTransport()}
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.RetryWait < 0 {
		errs = append(errs, errors.New("retry wait must not be negative"))
	}
	if c.RetryWait == 0 {
		c.RetryWait = DefaultRetryWait
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("yookassa config: %w", err)
	}
	return c, nil
}

// idleConnsPerHost is how many connections to the API are kept open between calls: as many as the
// bookings that may create their payments at once. Go's default keeps two, so every further
// concurrent call would open a new connection, and over HTTPS pay for a new handshake.
const idleConnsPerHost = 32

func keepAliveTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = idleConnsPerHost
	return t
}
