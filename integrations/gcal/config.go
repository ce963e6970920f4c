package gcal

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
	DefaultAPIURL   = "https://www.googleapis.com/calendar/v3/"
	DefaultCacheTTL = time.Minute
	defaultTimeout  = 30 * time.Second
)

// Config configures a Client. It holds no secret itself: the private key stays in the
// credentials file, which only the auth library reads.
type Config struct {
	// CredentialsFile is the path of the service account's JSON key.
	CredentialsFile string
	// CalendarID is the practitioner's calendar, shared with the service account.
	CalendarID string
	// APIURL is the API root, DefaultAPIURL when empty; tests point it at a fake.
	APIURL string
	// HTTPClient carries both the token requests and the API calls (its Transport and Timeout);
	// a client with a 30 s timeout when nil.
	HTTPClient *http.Client
	// CacheTTL is how long a free/busy answer is reused; DefaultCacheTTL when zero.
	CacheTTL time.Duration
}

// LogValue lets slog log the configuration.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("credentials_file", c.CredentialsFile),
		slog.String("calendar_id", c.CalendarID),
		slog.String("api_url", c.APIURL),
		slog.Duration("cache_ttl", c.CacheTTL),
	)
}

// withDefaults fills zero fields and validates the result.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if strings.TrimSpace(c.CredentialsFile) == "" {
		errs = append(errs, errors.New("credentials file is required"))
	}
	c.CalendarID = strings.TrimSpace(c.CalendarID)
	if c.CalendarID == "" {
		errs = append(errs, errors.New("calendar id is required"))
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	// The generated client resolves "freeBusy" and "calendars/..." against the root, so the
	// root must end in a slash or its last segment would be replaced.
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("api url must be an absolute http(s) URL"))
	} else if u.User != nil {
		errs = append(errs, errors.New("api url must not carry credentials"))
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	if c.CacheTTL < 0 {
		errs = append(errs, errors.New("cache ttl must not be negative"))
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("gcal config: %w", err)
	}
	return c, nil
}
