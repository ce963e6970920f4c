// Package config loads Balance's configuration: built-in defaults, then an optional balance.yaml,
// then BALANCE_* environment variables, into one Config struct that Validate checks before use.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"

	"balance/crypto"
)

// EnvPrefix prefixes every environment variable: http.addr is read from BALANCE_HTTP_ADDR.
const EnvPrefix = "BALANCE"

// Config is the whole configuration of a Balance process.
type Config struct {
	HTTP       HTTP       `mapstructure:"http"`
	Metrics    Metrics    `mapstructure:"metrics"`
	Database   Database   `mapstructure:"database"`
	Log        Log        `mapstructure:"log"`
	Encryption Encryption `mapstructure:"encryption"`
	Auth       Auth       `mapstructure:"auth"`
	Jobs       Jobs       `mapstructure:"jobs"`
	YooKassa   YooKassa   `mapstructure:"yookassa"`
	Booking    Booking    `mapstructure:"booking"`
	Notify     Notify     `mapstructure:"notify"`
	SMTP       SMTP       `mapstructure:"smtp"`
	Telegram   Telegram   `mapstructure:"telegram"`
	GCal       GCal       `mapstructure:"gcal"`
	Questions  Questions  `mapstructure:"questions"`
	// RateLimit caps public POSTs per client address (cross-origin requests and rate limits).
	RateLimit RateLimits `mapstructure:"ratelimit"`
	Tools     Tools      `mapstructure:"tools"`
	Consents  Consents   `mapstructure:"consents"`
	Cabinet   Cabinet    `mapstructure:"cabinet"`
}

// Questions tunes the anonymous questions asked on the public site.
type Questions struct {
	// CrisisPhrases are the Russian words and phrases that make a question a crisis: a priority
	// for moderation and an alert to the psychologist (matched by stem, see service/questions/crisis).
	CrisisPhrases []string `mapstructure:"crisis_phrases"`
}

// Phrases is CrisisPhrases trimmed, without empty items ("a, b," from an env var is [a b]).
func (q Questions) Phrases() []string { return compact(q.CrisisPhrases) }

// DefaultCrisisPhrases is the default of questions.crisis_phrases: how people write in Russian of
// suicide and self-harm. Each phrase matches its inflected forms (the words are compared by
// stem), so a verb is listed again only where its forms change the stem (порезать / порежу).
var DefaultCrisisPhrases = []string{
	"суицид", "самоубийство", "самоубийца", "покончить с собой", "убить себя", "лишить себя жизни",
	"свести счёты с жизнью", "счёты с жизнью", "не хочу жить", "не хочется жить", "жить не хочу",
	"жить не хочется", "нет смысла жить", "хочу умереть", "хочется умереть", "лучше умереть",
	"причинить себе вред", "навредить себе", "наврежу себе", "порезать себя", "порежу себя",
	"резать себя", "режу себя", "селфхарм", "вскрыть вены", "наглотаться таблеток",
}

// Tools tunes the self-help tools of the public site.
type Tools struct {
	// AbandonAfter is how long a run may stay unfinished before it is marked abandoned.
	AbandonAfter time.Duration `mapstructure:"abandon_after"`
}

// Consents names the current versions of the documents the site asks visitors to agree to, and
// where the site shows them (GET /api/v1/consents/current).
type Consents struct {
	PersonalDataVersion   string `mapstructure:"personal_data_version"`
	PersonalDataURL       string `mapstructure:"personal_data_url"`
	CommunicationsVersion string `mapstructure:"communications_version"`
	CommunicationsURL     string `mapstructure:"communications_url"`
}

// Cabinet configures client accounts: sign-in by emailed code and client sessions.
type Cabinet struct {
	SessionTTL         time.Duration `mapstructure:"session_ttl"`
	SessionIdleTimeout time.Duration `mapstructure:"session_idle_timeout"`
	CodeTTL            time.Duration `mapstructure:"code_ttl"`
	CodesPerEmail      int           `mapstructure:"codes_per_email"`
	CodesPerAddress    int           `mapstructure:"codes_per_address"`
	CodeWindow         time.Duration `mapstructure:"code_window"`
}

// Notify tunes client notifications.
type Notify struct {
	// SiteURL is the public site, for links in messages.
	SiteURL string `mapstructure:"site_url"`
	// Reminders are durations before an appointment ("24h", "2h").
	Reminders []string `mapstructure:"reminders"`
}

// ReminderOffsets parses Reminders (Validate has checked them).
func (n Notify) ReminderOffsets() []time.Duration {
	out := make([]time.Duration, 0, len(n.Reminders))
	for _, r := range n.Reminders {
		if d, err := time.ParseDuration(r); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// SMTP configures outgoing email. An empty Host disables email.
type SMTP struct {
	Host     string `mapstructure:"host"`
	Port     int    `mapstructure:"port"`
	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	From     string `mapstructure:"from"`
	FromName string `mapstructure:"from_name"`
	TLS      string `mapstructure:"tls"`
}

// Telegram configures the bot. An empty BotToken disables it.
type Telegram struct {
	BotToken      string `mapstructure:"bot_token"`
	APIURL        string `mapstructure:"api_url"`
	WebhookSecret string `mapstructure:"webhook_secret"`
}

// GCal configures the practitioner's Google Calendar. An empty CredentialsFile disables it.
type GCal struct {
	CredentialsFile string `mapstructure:"credentials_file"`
	CalendarID      string `mapstructure:"calendar_id"`
	APIURL          string `mapstructure:"api_url"`
}

// YooKassa configures payments. An empty ShopID disables them: paid services cannot be booked.
type YooKassa struct {
	ShopID    string `mapstructure:"shop_id"`
	SecretKey string `mapstructure:"secret_key"`
	APIURL    string `mapstructure:"api_url"`
	ReturnURL string `mapstructure:"return_url"`
	Receipts  bool   `mapstructure:"receipts"`
	// WebhookCIDRs are the source addresses (IPs or CIDRs) notifications are accepted from.
	WebhookCIDRs []string `mapstructure:"webhook_cidrs"`
}

// Enabled reports whether payments are configured.
func (y YooKassa) Enabled() bool { return y.ShopID != "" }

// Booking tunes the booking rules that are not per service.
type Booking struct {
	HoldTTL              time.Duration `mapstructure:"hold_ttl"`
	PartialRefundPercent int           `mapstructure:"partial_refund_percent"`
	ReconcileAfter       time.Duration `mapstructure:"reconcile_after"`
	ReconcileEvery       time.Duration `mapstructure:"reconcile_every"`
	IdempotencyTTL       time.Duration `mapstructure:"idempotency_ttl"`
}

// DefaultYooKassaWebhookCIDRs are the addresses YooKassa sends notifications from, as it publishes them.
var DefaultYooKassaWebhookCIDRs = []string{
	"185.71.76.0/27", "185.71.77.0/27", "77.75.153.0/25", "77.75.156.11", "77.75.156.35",
	"77.75.154.128/25", "2a02:5180::/32",
}

// Jobs tunes the durable job queue that delivers domain events and runs scheduled work.
type Jobs struct {
	Workers      int           `mapstructure:"workers"`
	MaxAttempts  int           `mapstructure:"max_attempts"`
	RetryBase    time.Duration `mapstructure:"retry_base"`
	RetryMax     time.Duration `mapstructure:"retry_max"`
	JobTimeout   time.Duration `mapstructure:"job_timeout"`
	RescueAfter  time.Duration `mapstructure:"rescue_after"`
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

// HTTP configures the HTTP server.
type HTTP struct {
	Addr              string        `mapstructure:"addr"`
	ReadHeaderTimeout time.Duration `mapstructure:"read_header_timeout"`
	ReadTimeout       time.Duration `mapstructure:"read_timeout"`
	WriteTimeout      time.Duration `mapstructure:"write_timeout"`
	IdleTimeout       time.Duration `mapstructure:"idle_timeout"`
	ShutdownTimeout   time.Duration `mapstructure:"shutdown_timeout"`
	MaxBodyBytes      int64         `mapstructure:"max_body_bytes"`
	// TrustedProxies lists the addresses (IPs or CIDRs) whose X-Forwarded-For is believed.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// CORSOrigins are the origins of front ends that may call /api/v1 from a browser.
	CORSOrigins []string `mapstructure:"cors_origins"`
}

// Metrics configures the Prometheus endpoint, served apart from the public API.
type Metrics struct {
	// Addr is where GET /metrics listens; empty serves no metrics.
	Addr string `mapstructure:"addr"`
}

// Database selects and tunes the database.
type Database struct {
	// URL is "sqlite:<path>" for the embedded database or "postgres://..." for PostgreSQL.
	URL          string `mapstructure:"url"`
	MaxOpenConns int    `mapstructure:"max_open_conns"`
}

// Log configures structured logging.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// Encryption holds the Fernet keys that protect P2 data: the first encrypts, all decrypt.
type Encryption struct {
	Keys []string `mapstructure:"keys"`
}

// Auth configures staff sign-in and sessions.
type Auth struct {
	CookieSecure       bool          `mapstructure:"cookie_secure"`
	SessionTTL         time.Duration `mapstructure:"session_ttl"`
	SessionIdleTimeout time.Duration `mapstructure:"session_idle_timeout"`
	LoginMaxFailures   int           `mapstructure:"login_max_failures"`
	LoginFailureWindow time.Duration `mapstructure:"login_failure_window"`
	// RequireTOTP lists the staff roles that must sign in with an authenticator code, or is
	// ["none"].
	RequireTOTP []string `mapstructure:"require_totp"`
}

// TOTPRoles is the list of roles that must sign in with an authenticator code; empty for "none".
func (a Auth) TOTPRoles() []string {
	if len(a.RequireTOTP) == 1 && a.RequireTOTP[0] == "none" {
		return []string{}
	}
	return a.RequireTOTP
}

// validateTOTPRoles accepts staff roles, each once, or "none" alone.
func validateTOTPRoles(roles []string) error {
	if len(roles) == 0 {
		return errors.New("list roles (owner, assistant, editor) or say none")
	}
	if len(roles) == 1 && roles[0] == "none" {
		return nil
	}
	seen := map[string]bool{}
	for _, r := range roles {
		if err := oneOf(r, "owner", "assistant", "editor"); err != nil {
			return fmt.Errorf("%w (or none alone)", err)
		}
		if seen[r] {
			return fmt.Errorf("%q is listed twice", r)
		}
		seen[r] = true
	}
	return nil
}

// Key describes one configuration key for documentation and defaults.
type Key struct {
	Name    string
	Default any
	Secret  bool
	Help    string
}

// Keys lists every configuration key with its default. It is the single source of defaults: every
// key must have one so that viper sees its environment variable when unmarshalling.
var Keys = []Key{
	{"http.addr", "127.0.0.1:8080", false, "listen address, host:port"},
	{"http.read_header_timeout", 10 * time.Second, false, "time allowed to read request headers"},
	{"http.read_timeout", 30 * time.Second, false, "time allowed to read a whole request"},
	{"http.write_timeout", 60 * time.Second, false, "time allowed to write a response"},
	{"http.idle_timeout", 120 * time.Second, false, "keep-alive idle timeout"},
	{"http.shutdown_timeout", 30 * time.Second, false, "how long in-flight requests may run after SIGTERM"},
	{"http.max_body_bytes", int64(1 << 20), false, "largest accepted request body, bytes"},
	{"http.trusted_proxies", []string{}, false, "comma-separated IPs/CIDRs whose X-Forwarded-For is trusted"},
	{"metrics.addr", "127.0.0.1:9090", false, "listen address of GET /metrics (Prometheus), host:port, apart from the public API; empty serves no metrics"},
	{"database.url", "sqlite:./data/balance.db", false, "sqlite:<path> or postgres://user:pass@host:port/db"},
	{"database.max_open_conns", 10, false, "connection pool size"},
	{"log.level", "info", false, "debug, info, warn or error"},
	{"log.format", "json", false, "json or text"},
	{"encryption.keys", []string{}, true, "comma-separated Fernet keys for P2 data; the first encrypts, all decrypt"},
	{"auth.cookie_secure", true, false, "mark the session cookie Secure (set false only for plain-http development)"},
	{"auth.session_ttl", 12 * time.Hour, false, "absolute lifetime of a staff session"},
	{"auth.session_idle_timeout", 2 * time.Hour, false, "a session unused this long expires"},
	{"auth.login_max_failures", 5, false, "failed sign-ins per IP and per account before 429; an attempt counts from before its password is checked (a success gives it back)"},
	{"auth.login_failure_window", 15 * time.Minute, false, "window in which failed sign-ins are counted"},
	{"auth.require_totp", []string{"owner"}, false, "comma-separated staff roles that must sign in with an authenticator code (TOTP) and enrol one at their next sign-in; none turns it off"},
	{"jobs.workers", 4, false, "jobs this process runs at once (serve and worker)"},
	{"jobs.max_attempts", 10, false, "runs of a failing job before it is discarded and listed for the admin"},
	{"jobs.retry_base", time.Second, false, "first retry delay; each further retry doubles it"},
	{"jobs.retry_max", time.Hour, false, "longest retry delay"},
	{"jobs.job_timeout", 2*time.Minute + 30*time.Second, false, "longest one run of a job may take; it is then cancelled and retried"},
	{"jobs.rescue_after", 3*time.Minute + 30*time.Second, false, "a job still running this long (its worker died) is run again; must exceed jobs.job_timeout"},
	{"jobs.poll_interval", time.Second, false, "how often idle workers look for due jobs"},
	{"yookassa.shop_id", "", false, "YooKassa shop id; empty disables payments (paid services cannot be booked)"},
	{"yookassa.secret_key", "", true, "YooKassa secret key; required with shop_id"},
	{"yookassa.api_url", "https://api.yookassa.ru/v3", false, "YooKassa API root"},
	{"yookassa.return_url", "", false, "where the payment page sends the client back; required with shop_id"},
	{"yookassa.receipts", false, false, "attach a 54-FZ receipt (customer email/phone, one service item) to every payment"},
	{"yookassa.webhook_cidrs", DefaultYooKassaWebhookCIDRs, false, "comma-separated IPs/CIDRs /webhooks/yookassa accepts notifications from"},
	{"booking.hold_ttl", 15 * time.Minute, false, "how long an unpaid booking holds its time"},
	{"booking.partial_refund_percent", 50, false, "share of the payment refunded when a client cancels inside the partial window, 0-100"},
	{"booking.reconcile_after", 10 * time.Minute, false, "a payment still pending this long is re-read from YooKassa"},
	{"booking.reconcile_every", 5 * time.Minute, false, "how often pending payments are reconciled"},
	{"booking.idempotency_ttl", 24 * time.Hour, false, "how long a booking's Idempotency-Key is remembered"},
	{"notify.site_url", "http://127.0.0.1:8080", false, "the public site, for links in messages"},
	{"notify.reminders", []string{"24h", "2h"}, false, "comma-separated durations before an appointment when reminders go out"},
	{"smtp.host", "", false, "SMTP server; empty disables email (deliveries are logged as skipped)"},
	{"smtp.port", 587, false, "SMTP port"},
	{"smtp.username", "", false, "SMTP user; empty sends without authentication"},
	{"smtp.password", "", true, "SMTP password"},
	{"smtp.from", "", false, "sender address; required with smtp.host"},
	{"smtp.from_name", "Эмоциональный баланс", false, "sender display name"},
	{"smtp.tls", "mandatory", false, "mandatory (STARTTLS required), opportunistic, or none (local relays only)"},
	{"telegram.bot_token", "", true, "Telegram bot token; empty disables the bot"},
	{"telegram.api_url", "https://api.telegram.org", false, "Bot API root"},
	{"telegram.webhook_secret", "", true, "secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; required with bot_token"},
	{"gcal.credentials_file", "", false, "Google service-account JSON; empty disables calendar sync and free/busy"},
	{"gcal.calendar_id", "", false, "the practitioner's calendar id; required with credentials_file"},
	{"gcal.api_url", "", false, "Calendar API root; empty means Google's"},
	// The public site's contexts.
	// Self-help tools.
	{"tools.abandon_after", 24 * time.Hour, false, "a self-help tool run still unfinished this long after it started is marked abandoned"},
	// Questions and answers.
	{"questions.crisis_phrases", DefaultCrisisPhrases, false, "comma-separated Russian words and phrases that make a question a crisis (a priority item, the owner alerted); matched by stem, in order, up to 2 words apart"},
	// Leads and consents.
	{"consents.personal_data_version", "2026-01", false, "current version of the personal-data processing consent the site's forms show"},
	{"consents.personal_data_url", "/documents/personal-data", false, "where the site shows the personal-data consent (a path of the site or a URL)"},
	{"consents.communications_version", "2026-01", false, "current version of the consent to receive news and messages"},
	{"consents.communications_url", "/documents/communications", false, "where the site shows the communications consent (a path of the site or a URL)"},
	// Cross-origin requests and rate limits.
	// Client accounts and the cabinet.
	{"http.cors_origins", []string{}, false, "comma-separated origins (scheme://host[:port]) of front ends allowed to call /api/v1 from a browser, with credentials; empty allows none"},
	{"ratelimit.bookings", "10/1h", false, "POSTs per client address to /api/v1/bookings, /waitlist, a booking's cancel and reschedule and PUT of its intake form, as limit/window"},
	{"ratelimit.questions", "5/1h", false, "questions per client address (POST /api/v1/questions), as limit/window"},
	{"ratelimit.leads", "5/1h", false, "contact and subscription forms per client address (POST /api/v1/leads), as limit/window"},
	{"ratelimit.tool_runs", "30/1h", false, "self-help tool runs and their answers per client address, as limit/window"},
	{"ratelimit.deep_links", "20/1h", false, "Telegram deep links per client address (POST /api/v1/telegram/deep-links), as limit/window"},
	{"cabinet.session_ttl", 30 * 24 * time.Hour, false, "absolute lifetime of a client session (cookie or bearer token)"},
	{"cabinet.session_idle_timeout", 7 * 24 * time.Hour, false, "a client session unused this long expires"},
	{"cabinet.code_ttl", 10 * time.Minute, false, "how long an emailed sign-in (or email-change) code is valid; 5 wrong tries kill it sooner"},
	{"cabinet.codes_per_email", 5, false, "codes one email address may be sent per cabinet.code_window; more answer 429"},
	{"cabinet.codes_per_address", 20, false, "codes one client IP may ask for per cabinet.code_window; more answer 429"},
	{"cabinet.code_window", time.Hour, false, "window in which code requests are counted"},
	// Cabinet: My appointments, self-help results and consents.
	// Cabinet: The diary.
	// Cabinet: Data export.
	// Cabinet: Account deletion.
	// end of the public site's contexts.
}

// EnvName returns the environment variable that sets key, e.g. BALANCE_HTTP_ADDR for http.addr.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Load reads the configuration. file is an explicit config file path; when empty, ./balance.yaml
// is read if it exists. Environment variables override the file, which overrides defaults.
func Load(file string) (Config, error) {
	v := viper.New()
	for _, k := range Keys {
		v.SetDefault(k.Name, k.Default)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()

	if file == "" {
		if _, err := os.Stat("balance.yaml"); err == nil {
			file = "balance.yaml"
		}
	}
	if file != "" {
		if _, err := os.Stat(file); err != nil {
			return Config{}, fmt.Errorf("config: file %s: %w", file, errors.Unwrap(err))
		}
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config: file %s: %s", file, strings.Join(strings.Fields(err.Error()), " "))
		}
	}

	var c Config
	// Exact: a misspelt key in balance.yaml is an error, not a silently ignored setting.
	if err := v.UnmarshalExact(&c); err != nil {
		return Config{}, fmt.Errorf("config: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	c.HTTP.TrustedProxies = compact(c.HTTP.TrustedProxies)
	c.HTTP.CORSOrigins = compact(c.HTTP.CORSOrigins)
	c.Encryption.Keys = compact(c.Encryption.Keys)
	c.YooKassa.WebhookCIDRs = compact(c.YooKassa.WebhookCIDRs)
	c.Notify.Reminders = compact(c.Notify.Reminders)
	c.Auth.RequireTOTP = compact(c.Auth.RequireTOTP)
	return c, nil
}

// compact trims items and drops empty ones, so "a, b," from an env var means [a b].
func compact(items []string) []string {
	out := make([]string, 0, len(items))
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// FieldError is a validation failure of one key.
type FieldError struct {
	Key    string
	Reason string
}

func (e *FieldError) Error() string { return "config: " + e.Key + ": " + e.Reason }

// Validate reports the first invalid key as a one-line error naming the key and the reason.
func (c Config) Validate() error {
	checks := []struct {
		key string
		err error
	}{
		{"http.addr", validateAddr(c.HTTP.Addr)},
		{"http.read_header_timeout", positive(c.HTTP.ReadHeaderTimeout)},
		{"http.read_timeout", positive(c.HTTP.ReadTimeout)},
		{"http.write_timeout", positive(c.HTTP.WriteTimeout)},
		{"http.idle_timeout", positive(c.HTTP.IdleTimeout)},
		{"http.shutdown_timeout", positive(c.HTTP.ShutdownTimeout)},
		{"http.max_body_bytes", positiveInt(c.HTTP.MaxBodyBytes)},
		{"http.trusted_proxies", validateProxies(c.HTTP.TrustedProxies)},
		{"metrics.addr", validateMetricsAddr(c.Metrics.Addr, c.HTTP.Addr)},
		{"database.url", validateDatabaseURL(c.Database.URL)},
		{"database.max_open_conns", positiveInt(int64(c.Database.MaxOpenConns))},
		{"log.level", oneOf(c.Log.Level, "debug", "info", "warn", "error")},
		{"log.format", oneOf(c.Log.Format, "json", "text")},
		{"encryption.keys", validateKeys(c.Encryption.Keys)},
		{"auth.session_ttl", positive(c.Auth.SessionTTL)},
		{"auth.session_idle_timeout", positive(c.Auth.SessionIdleTimeout)},
		{"auth.login_max_failures", positiveInt(int64(c.Auth.LoginMaxFailures))},
		{"auth.login_failure_window", positive(c.Auth.LoginFailureWindow)},
		{"auth.require_totp", validateTOTPRoles(c.Auth.RequireTOTP)},
		{"jobs.workers", positiveInt(int64(c.Jobs.Workers))},
		{"jobs.max_attempts", positiveInt(int64(c.Jobs.MaxAttempts))},
		{"jobs.retry_base", positive(c.Jobs.RetryBase)},
		{"jobs.retry_max", positive(c.Jobs.RetryMax)},
		{"jobs.job_timeout", positive(c.Jobs.JobTimeout)},
		{"jobs.rescue_after", longerThan(c.Jobs.RescueAfter, c.Jobs.JobTimeout, "jobs.job_timeout")},
		{"jobs.poll_interval", positive(c.Jobs.PollInterval)},
		{"yookassa.secret_key", requiredWith(c.YooKassa.Enabled(), c.YooKassa.SecretKey, "yookassa.shop_id")},
		{"yookassa.api_url", absoluteURL(c.YooKassa.APIURL, !c.YooKassa.Enabled())},
		{"yookassa.return_url", absoluteURL(c.YooKassa.ReturnURL, !c.YooKassa.Enabled())},
		{"yookassa.webhook_cidrs", validateProxies(c.YooKassa.WebhookCIDRs)},
		{"booking.hold_ttl", positive(c.Booking.HoldTTL)},
		{"booking.partial_refund_percent", percent(c.Booking.PartialRefundPercent)},
		{"booking.reconcile_after", positive(c.Booking.ReconcileAfter)},
		{"booking.reconcile_every", positive(c.Booking.ReconcileEvery)},
		{"booking.idempotency_ttl", positive(c.Booking.IdempotencyTTL)},
		{"notify.site_url", absoluteURL(c.Notify.SiteURL, false)},
		{"notify.reminders", validateReminders(c.Notify.Reminders)},
		{"smtp.from", requiredWith(c.SMTP.Host != "", c.SMTP.From, "smtp.host")},
		{"smtp.port", validatePort(c.SMTP.Port)},
		{"smtp.tls", oneOf(c.SMTP.TLS, "mandatory", "opportunistic", "none")},
		{"telegram.webhook_secret", requiredWith(c.Telegram.BotToken != "", c.Telegram.WebhookSecret, "telegram.bot_token")},
		{"telegram.api_url", absoluteURL(c.Telegram.APIURL, c.Telegram.BotToken == "")},
		{"gcal.calendar_id", requiredWith(c.GCal.CredentialsFile != "", c.GCal.CalendarID, "gcal.credentials_file")},
		{"gcal.api_url", absoluteURL(c.GCal.APIURL, true)},
		// Cross-origin requests and rate limits.
		{"http.cors_origins", validateOrigins(c.HTTP.CORSOrigins)},
		{"ratelimit.bookings", validateRate(c.RateLimit.Bookings)},
		{"ratelimit.questions", validateRate(c.RateLimit.Questions)},
		{"ratelimit.leads", validateRate(c.RateLimit.Leads)},
		{"ratelimit.tool_runs", validateRate(c.RateLimit.ToolRuns)},
		{"ratelimit.deep_links", validateRate(c.RateLimit.DeepLinks)},
		// end of the public site's contexts.
		{"tools.abandon_after", positive(c.Tools.AbandonAfter)},
		// Client accounts and the cabinet.
		{"cabinet.session_ttl", positive(c.Cabinet.SessionTTL)},
		{"cabinet.session_idle_timeout", positive(c.Cabinet.SessionIdleTimeout)},
		{"cabinet.code_ttl", positive(c.Cabinet.CodeTTL)},
		{"cabinet.codes_per_email", positiveInt(int64(c.Cabinet.CodesPerEmail))},
		{"cabinet.codes_per_address", positiveInt(int64(c.Cabinet.CodesPerAddress))},
		{"cabinet.code_window", positive(c.Cabinet.CodeWindow)},
	}
	for _, ch := range checks {
		if ch.err != nil {
			return &FieldError{Key: ch.key, Reason: ch.err.Error()}
		}
	}
	return nil
}

func validateAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port", addr)
	}
	return nil
}

// validateMetricsAddr accepts host:port other than the public listener's, or "" (no metrics).
func validateMetricsAddr(addr, public string) error {
	if addr == "" {
		return nil
	}
	if err := validateAddr(addr); err != nil {
		return err
	}
	if addr == public && !strings.HasSuffix(addr, ":0") {
		return errors.New("must differ from http.addr: metrics are not served on the public listener")
	}
	return nil
}

// positive accepts durations of at least a millisecond: anything shorter is a bare number in
// balance.yaml read as nanoseconds ("30" instead of "30s").
func positive(d time.Duration) error {
	if d < time.Millisecond {
		return fmt.Errorf("must be a duration of at least 1ms with a unit such as 30s, got %s", d)
	}
	return nil
}

// longerThan accepts a positive d longer than other (the value of the key otherKey).
func longerThan(d, other time.Duration, otherKey string) error {
	if err := positive(d); err != nil {
		return err
	}
	if d <= other {
		return fmt.Errorf("must be longer than %s (%s), got %s", otherKey, other, d)
	}
	return nil
}

func positiveInt(n int64) error {
	if n <= 0 {
		return fmt.Errorf("must be positive, got %d", n)
	}
	return nil
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
}

func requiredWith(enabled bool, v, other string) error {
	if enabled && v == "" {
		return fmt.Errorf("is required when %s is set", other)
	}
	return nil
}

// absoluteURL accepts an absolute http(s) URL, or "" when optional.
func absoluteURL(raw string, optional bool) error {
	if raw == "" && optional {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.User != nil {
		return errors.New("must not carry credentials")
	}
	return nil
}

func validatePort(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("must be a port between 1 and 65535, got %d", p)
	}
	return nil
}

func validateReminders(items []string) error {
	for _, r := range items {
		d, err := time.ParseDuration(r)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration such as 24h", r)
		}
	}
	return nil
}

func percent(n int) error {
	if n < 0 || n > 100 {
		return fmt.Errorf("must be between 0 and 100, got %d", n)
	}
	return nil
}

func validateProxies(proxies []string) error {
	for _, p := range proxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			return fmt.Errorf("%q is neither an IP address nor a CIDR", p)
		}
	}
	return nil
}

func validateDatabaseURL(raw string) error {
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		if strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//") == "" {
			return errors.New("sqlite URL has no file path")
		}
		return nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return errors.New("malformed postgres URL")
		}
		if u.Host == "" {
			return errors.New("postgres URL has no host")
		}
		return nil
	default:
		return errors.New("must start with sqlite: or postgres://")
	}
}

func validateKeys(keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := crypto.NewKeyRing(keys...)
	return err
}

// LogValue renders the effective configuration for the start-up log with secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Group("http",
			"addr", c.HTTP.Addr,
			"read_header_timeout", c.HTTP.ReadHeaderTimeout.String(),
			"read_timeout", c.HTTP.ReadTimeout.String(),
			"write_timeout", c.HTTP.WriteTimeout.String(),
			"idle_timeout", c.HTTP.IdleTimeout.String(),
			"shutdown_timeout", c.HTTP.ShutdownTimeout.String(),
			"max_body_bytes", c.HTTP.MaxBodyBytes,
			"trusted_proxies", c.HTTP.TrustedProxies,
			"cors_origins", c.HTTP.CORSOrigins),
		slog.Group("metrics", "addr", c.Metrics.Addr),
		slog.Group("database",
			"url", RedactURL(c.Database.URL),
			"max_open_conns", c.Database.MaxOpenConns),
		slog.Group("log", "level", c.Log.Level, "format", c.Log.Format),
		slog.Group("encryption", "keys", fmt.Sprintf("[%d redacted]", len(c.Encryption.Keys))),
		slog.Group("auth",
			"cookie_secure", c.Auth.CookieSecure,
			"session_ttl", c.Auth.SessionTTL.String(),
			"session_idle_timeout", c.Auth.SessionIdleTimeout.String(),
			"login_max_failures", c.Auth.LoginMaxFailures,
			"login_failure_window", c.Auth.LoginFailureWindow.String(),
			"require_totp", c.Auth.RequireTOTP),
		slog.Group("jobs",
			"workers", c.Jobs.Workers,
			"max_attempts", c.Jobs.MaxAttempts,
			"retry_base", c.Jobs.RetryBase.String(),
			"retry_max", c.Jobs.RetryMax.String(),
			"job_timeout", c.Jobs.JobTimeout.String(),
			"rescue_after", c.Jobs.RescueAfter.String(),
			"poll_interval", c.Jobs.PollInterval.String()),
		slog.Group("yookassa",
			"shop_id", c.YooKassa.ShopID,
			"secret_key", mask(c.YooKassa.SecretKey),
			"api_url", c.YooKassa.APIURL,
			"return_url", c.YooKassa.ReturnURL,
			"receipts", c.YooKassa.Receipts,
			"webhook_cidrs", c.YooKassa.WebhookCIDRs),
		slog.Group("booking",
			"hold_ttl", c.Booking.HoldTTL.String(),
			"partial_refund_percent", c.Booking.PartialRefundPercent,
			"reconcile_after", c.Booking.ReconcileAfter.String(),
			"reconcile_every", c.Booking.ReconcileEvery.String(),
			"idempotency_ttl", c.Booking.IdempotencyTTL.String()),
		slog.Group("notify", "site_url", c.Notify.SiteURL, "reminders", c.Notify.Reminders),
		slog.Group("smtp",
			"host", c.SMTP.Host, "port", c.SMTP.Port, "username", c.SMTP.Username,
			"password", mask(c.SMTP.Password), "from", c.SMTP.From, "from_name", c.SMTP.FromName, "tls", c.SMTP.TLS),
		slog.Group("telegram",
			"bot_token", mask(c.Telegram.BotToken), "api_url", c.Telegram.APIURL,
			"webhook_secret", mask(c.Telegram.WebhookSecret)),
		slog.Group("gcal",
			"credentials_file", c.GCal.CredentialsFile, "calendar_id", c.GCal.CalendarID, "api_url", c.GCal.APIURL),
		slog.Group("questions", "crisis_phrases", c.Questions.Phrases()),
		slog.Group("ratelimit",
			"bookings", c.RateLimit.Bookings, "questions", c.RateLimit.Questions, "leads", c.RateLimit.Leads,
			"tool_runs", c.RateLimit.ToolRuns, "deep_links", c.RateLimit.DeepLinks),
		slog.Group("tools", "abandon_after", c.Tools.AbandonAfter),
		// Leads and consents.
		slog.Group("consents",
			"personal_data_version", c.Consents.PersonalDataVersion, "personal_data_url", c.Consents.PersonalDataURL,
			"communications_version", c.Consents.CommunicationsVersion, "communications_url", c.Consents.CommunicationsURL),
		slog.Group("cabinet",
			"session_ttl", c.Cabinet.SessionTTL.String(), "session_idle_timeout", c.Cabinet.SessionIdleTimeout.String(),
			"code_ttl", c.Cabinet.CodeTTL.String(), "codes_per_email", c.Cabinet.CodesPerEmail,
			"codes_per_address", c.Cabinet.CodesPerAddress, "code_window", c.Cabinet.CodeWindow.String()),
	)
}

// mask shows whether a secret is set, never the secret.
func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// RedactURL hides the password of a database URL.
func RedactURL(raw string) string {
	if !strings.Contains(raw, "://") || strings.HasPrefix(raw, "sqlite:") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable url redacted]"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// SlogLevel maps the validated log.level to a slog.Level.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
