package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"balance/config"
	"balance/crypto"
)

// fields maps every leaf of c to its dotted mapstructure key ("http.addr"), the same names
// config.Keys uses, so tests can compare the two without going through viper.
func fields(c *config.Config) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name := f.Tag.Get("mapstructure")
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if prefix != "" {
				name = prefix + "." + name
			}
			if f.Type.Kind() == reflect.Struct {
				walk(name, v.Field(i))
				continue
			}
			out[name] = v.Field(i)
		}
	}
	walk("", reflect.ValueOf(c).Elem())
	return out
}

// isolate makes Load see only what the test sets: no BALANCE_* variables from the
// environment running the tests and no balance.yaml in the working directory.
// Tests that call it cannot be parallel.
func isolate(t *testing.T) {
	t.Helper()
	for _, k := range config.Keys {
		// viper ignores empty variables, so "" means unset.
		t.Setenv(config.EnvName(k.Name), "")
	}
	t.Chdir(t.TempDir())
}

func newKey(t *testing.T) string {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return k
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t *testing.T, file string) config.Config {
	t.Helper()
	c, err := config.Load(file)
	if err != nil {
		t.Fatalf("Load(%q): %v", file, err)
	}
	return c
}

func TestKeysMatchConfigStruct(t *testing.T) {
	t.Parallel()
	var c config.Config
	leaves := fields(&c)

	seen := map[string]bool{}
	for _, k := range config.Keys {
		if seen[k.Name] {
			t.Errorf("key %s is listed twice in Keys", k.Name)
		}
		seen[k.Name] = true
		if k.Help == "" {
			t.Errorf("key %s has no help text", k.Name)
		}
		f, ok := leaves[k.Name]
		if !ok {
			t.Errorf("key %s has no field in Config", k.Name)
			continue
		}
		// A default of another type (int for an int64, string for a duration) would still
		// decode, but it hides mistakes such as a duration written as a bare number.
		if got, want := reflect.TypeOf(k.Default), f.Type(); got != want {
			t.Errorf("key %s: default is a %v, field is a %v", k.Name, got, want)
		}
	}
	for name := range leaves {
		if !seen[name] {
			t.Errorf("Config field %s is missing from Keys (it would have no default and no env var)", name)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	isolate(t)
	c := load(t, "")

	got := fields(&c)
	for _, k := range config.Keys {
		if !reflect.DeepEqual(got[k.Name].Interface(), k.Default) {
			t.Errorf("%s = %#v, want default %#v", k.Name, got[k.Name].Interface(), k.Default)
		}
	}

	// A few spelled out, so a wrong entry in Keys does not pass by agreeing with itself.
	if c.HTTP.Addr != "127.0.0.1:8080" {
		t.Errorf("HTTP.Addr = %q", c.HTTP.Addr)
	}
	if c.Database.URL != "sqlite:./data/balance.db" {
		t.Errorf("Database.URL = %q", c.Database.URL)
	}
	if c.Auth.LoginMaxFailures != 5 {
		t.Errorf("Auth.LoginMaxFailures = %d", c.Auth.LoginMaxFailures)
	}
	if c.Auth.LoginFailureWindow != 15*time.Minute {
		t.Errorf("Auth.LoginFailureWindow = %s", c.Auth.LoginFailureWindow)
	}
	if !c.Auth.CookieSecure {
		t.Error("Auth.CookieSecure = false, want true by default")
	}
	if c.HTTP.TrustedProxies == nil || len(c.HTTP.TrustedProxies) != 0 {
		t.Errorf("HTTP.TrustedProxies = %#v, want empty", c.HTTP.TrustedProxies)
	}
	// A job is bounded by jobs.job_timeout; a job still running within it must never be rescued.
	if c.Jobs.JobTimeout != 2*time.Minute+30*time.Second || c.Jobs.RescueAfter <= c.Jobs.JobTimeout {
		t.Errorf("Jobs.JobTimeout = %s, Jobs.RescueAfter = %s; want 2m30s and a rescue after it", c.Jobs.JobTimeout, c.Jobs.RescueAfter)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestLoadEnvOverrides(t *testing.T) {
	isolate(t)
	key1, key2 := newKey(t), newKey(t)
	t.Setenv("BALANCE_HTTP_ADDR", "0.0.0.0:9000")
	t.Setenv("BALANCE_DATABASE_URL", "postgres://balance@db.example.org:5432/balance")
	t.Setenv("BALANCE_LOG_LEVEL", "debug")
	t.Setenv("BALANCE_AUTH_COOKIE_SECURE", "false")
	t.Setenv("BALANCE_HTTP_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
	t.Setenv("BALANCE_ENCRYPTION_KEYS", key1+", "+key2+",")
	t.Setenv("BALANCE_AUTH_SESSION_TTL", "90m")

	c := load(t, "")

	if c.HTTP.Addr != "0.0.0.0:9000" {
		t.Errorf("HTTP.Addr = %q", c.HTTP.Addr)
	}
	if c.Database.URL != "postgres://balance@db.example.org:5432/balance" {
		t.Errorf("Database.URL = %q", c.Database.URL)
	}
	if c.Log.Level != "debug" {
		t.Errorf("Log.Level = %q", c.Log.Level)
	}
	if c.Auth.CookieSecure {
		t.Error("Auth.CookieSecure = true, want false from env")
	}
	if want := []string{"10.0.0.1", "192.168.0.0/16"}; !slices.Equal(c.HTTP.TrustedProxies, want) {
		t.Errorf("HTTP.TrustedProxies = %q, want %q", c.HTTP.TrustedProxies, want)
	}
	if want := []string{key1, key2}; !slices.Equal(c.Encryption.Keys, want) {
		t.Errorf("Encryption.Keys = %d items, want the two generated keys in order", len(c.Encryption.Keys))
	}
	if c.Auth.SessionTTL != 90*time.Minute {
		t.Errorf("Auth.SessionTTL = %s", c.Auth.SessionTTL)
	}
	// Untouched keys keep their defaults.
	if c.Log.Format != "json" || c.Auth.LoginMaxFailures != 5 {
		t.Errorf("untouched keys changed: log.format %q, auth.login_max_failures %d", c.Log.Format, c.Auth.LoginMaxFailures)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestEveryKeyHasAnEnvVar sets each key's variable alone and checks that exactly that field moved.
func TestEveryKeyHasAnEnvVar(t *testing.T) {
	encKey := newKey(t)
	for _, k := range config.Keys {
		t.Run(k.Name, func(t *testing.T) {
			isolate(t)
			var (
				env  string
				want any
			)
			switch d := k.Default.(type) {
			case time.Duration:
				env, want = "7s", 7*time.Second
				if k.Name == "jobs.rescue_after" { // must stay longer than jobs.job_timeout
					env, want = "1h", time.Hour
				}
			case int:
				env, want = "3", 3
			case int64:
				env, want = "3", int64(3)
			case bool:
				if d {
					env, want = "false", false
				} else {
					env, want = "true", true
				}
			case string:
				switch k.Name {
				case "http.addr":
					env, want = "0.0.0.0:9090", "0.0.0.0:9090"
				case "metrics.addr":
					env, want = "0.0.0.0:9100", "0.0.0.0:9100"
				case "database.url":
					env, want = "postgres://balance@db.example.org/balance", "postgres://balance@db.example.org/balance"
				case "log.level":
					env, want = "warn", "warn"
				case "log.format":
					env, want = "text", "text"
				case "notify.site_url":
					env, want = "https://balance.example", "https://balance.example"
				case "smtp.host":
					env, want = "smtp.example.org", "smtp.example.org"
				case "smtp.username":
					env, want = "mailer", "mailer"
				case "smtp.password":
					env, want = "smtp-secret", "smtp-secret"
				case "smtp.from":
					env, want = "hello@balance.example", "hello@balance.example"
				case "smtp.from_name":
					env, want = "Balance", "Balance"
				case "smtp.tls":
					env, want = "none", "none"
				case "telegram.bot_token":
					env, want = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789", "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
				case "telegram.api_url":
					env, want = "http://127.0.0.1:9999", "http://127.0.0.1:9999"
				case "telegram.webhook_secret":
					env, want = "s3cret_token", "s3cret_token"
				case "gcal.credentials_file":
					env, want = "/etc/balance/gcal.json", "/etc/balance/gcal.json"
				case "gcal.calendar_id":
					env, want = "practice@example.org", "practice@example.org"
				case "gcal.api_url":
					env, want = "http://127.0.0.1:9998/", "http://127.0.0.1:9998/"
				case "yookassa.shop_id":
					env, want = "123456", "123456"
				case "yookassa.secret_key":
					env, want = "test_secret", "test_secret"
				case "yookassa.api_url":
					env, want = "https://yookassa.example/v3", "https://yookassa.example/v3"
				case "yookassa.return_url":
					env, want = "https://balance.example/paid", "https://balance.example/paid"
				case "ratelimit.bookings", "ratelimit.questions", "ratelimit.leads", "ratelimit.tool_runs", "ratelimit.deep_links":
					env, want = "7/15m", "7/15m"
				// Leads and consents.
				case "consents.personal_data_version", "consents.communications_version":
					env, want = "2027-02", "2027-02"
				case "consents.personal_data_url", "consents.communications_url":
					env, want = "https://balance.example/docs/consent", "https://balance.example/docs/consent"
				default:
					t.Fatalf("no test value for string key %s: add one here", k.Name)
				}
			case []string:
				switch k.Name {
				case "http.trusted_proxies":
					env, want = "10.0.0.1", []string{"10.0.0.1"}
				case "encryption.keys":
					env, want = encKey, []string{encKey}
				case "notify.reminders":
					env, want = "48h, 1h", []string{"48h", "1h"}
				case "auth.require_totp":
					env, want = "owner, editor", []string{"owner", "editor"}
				case "yookassa.webhook_cidrs":
					env, want = "10.0.0.0/8, 192.0.2.1", []string{"10.0.0.0/8", "192.0.2.1"}
				case "questions.crisis_phrases":
					env, want = "суицид,покончить с собой", []string{"суицид", "покончить с собой"}
				case "http.cors_origins":
					env, want = "https://site.example, http://localhost:5173", []string{"https://site.example", "http://localhost:5173"}
				default:
					t.Fatalf("no test value for list key %s: add one here", k.Name)
				}
			default:
				t.Fatalf("no test value for %T key %s: add one here", k.Default, k.Name)
			}
			if reflect.DeepEqual(want, k.Default) {
				t.Fatalf("test value for %s equals its default; the test would prove nothing", k.Name)
			}

			t.Setenv(config.EnvName(k.Name), env)
			c := load(t, "")

			for name, f := range fields(&c) {
				wantField := any(nil)
				if name == k.Name {
					wantField = want
				} else {
					for _, other := range config.Keys {
						if other.Name == name {
							wantField = other.Default
						}
					}
				}
				if !reflect.DeepEqual(f.Interface(), wantField) {
					t.Errorf("with %s=%s: %s = %#v, want %#v", config.EnvName(k.Name), env, name, f.Interface(), wantField)
				}
			}
			// A shop id alone is incomplete by design (secret and return URL go with it; see
			// TestValidateRejects); every other key is valid on its own.
			if err := c.Validate(); err != nil && !companionRequired[k.Name] {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// companionRequired are keys that are valid only together with another (tested in TestValidateRejects).
var companionRequired = map[string]bool{
	"yookassa.shop_id": true, "smtp.host": true, "telegram.bot_token": true, "gcal.credentials_file": true,
}

const yamlConfig = `
http:
  addr: "127.0.0.1:7000"
  read_timeout: 45s
  trusted_proxies: ["10.1.0.0/16", " 10.2.0.1 ", ""]
database:
  url: "postgres://file@db.example.org/balance"
  max_open_conns: 4
log:
  level: warn
  format: text
auth:
  login_max_failures: 9
`

func TestLoadFile(t *testing.T) {
	isolate(t)
	path := writeFile(t, t.TempDir(), "custom.yaml", yamlConfig)
	t.Setenv("BALANCE_LOG_LEVEL", "error")
	t.Setenv("BALANCE_DATABASE_MAX_OPEN_CONNS", "20")

	c := load(t, path)

	tests := []struct {
		name      string
		got, want any
	}{
		{"http.addr from file", c.HTTP.Addr, "127.0.0.1:7000"},
		{"http.read_timeout from file", c.HTTP.ReadTimeout, 45 * time.Second},
		{"http.trusted_proxies from file, trimmed and compacted", c.HTTP.TrustedProxies, []string{"10.1.0.0/16", "10.2.0.1"}},
		{"database.url from file", c.Database.URL, "postgres://file@db.example.org/balance"},
		{"log.format from file", c.Log.Format, "text"},
		{"auth.login_max_failures from file", c.Auth.LoginMaxFailures, 9},
		{"log.level: env beats file", c.Log.Level, "error"},
		{"database.max_open_conns: env beats file", c.Database.MaxOpenConns, 20},
		{"http.write_timeout: default when in neither", c.HTTP.WriteTimeout, 60 * time.Second},
		{"auth.cookie_secure: default when in neither", c.Auth.CookieSecure, true},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadFindsBalanceYAMLInWorkingDir(t *testing.T) {
	isolate(t) // also moves into an empty temporary directory
	writeFile(t, ".", "balance.yaml", "http:\n  addr: \"127.0.0.1:7001\"\n")

	c := load(t, "")

	if c.HTTP.Addr != "127.0.0.1:7001" {
		t.Errorf("HTTP.Addr = %q, want the value from ./balance.yaml", c.HTTP.Addr)
	}
}

func TestLoadErrors(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		file string
	}{
		{"missing file", filepath.Join(dir, "absent.yaml")},
		{"malformed yaml", writeFile(t, dir, "bad.yaml", "http:\n  addr: [unclosed\n")},
		{"unsupported extension", writeFile(t, dir, "balance.conf", "http.addr=x\n")},
		{"value of the wrong shape", writeFile(t, dir, "shape.yaml", "http:\n  read_timeout: [1, 2]\n")},
		{"unparseable duration", writeFile(t, dir, "dur.yaml", "auth:\n  session_ttl: soon\n")},
		{"misspelt key", writeFile(t, dir, "typo.yaml", "http:\n  adr: \"127.0.0.1:1\"\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(tt.file)
			if err == nil {
				t.Fatalf("Load(%s) succeeded: %+v", tt.file, c)
			}
			if !strings.HasPrefix(err.Error(), "config: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q does not start with \"config: \"", err)
			}
			if !reflect.DeepEqual(c, config.Config{}) {
				t.Errorf("Load returned a partial config on error: %+v", c)
			}
		})
	}
}

func TestBareNumberDurationIsRejected(t *testing.T) {
	isolate(t)
	// YAML "30" decodes to 30ns; Validate must catch it rather than time out every request.
	c, err := config.Load(writeFile(t, t.TempDir(), "bare.yaml", "http:\n  read_timeout: 30\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "config: http.read_timeout: ") || !strings.Contains(err.Error(), "30s") {
		t.Errorf("Validate() = %v, want an error naming http.read_timeout and suggesting a unit", err)
	}
}

func TestLoadBadEnvValue(t *testing.T) {
	isolate(t)
	t.Setenv("BALANCE_HTTP_MAX_BODY_BYTES", "lots")
	if _, err := config.Load(""); err == nil {
		t.Fatal("Load succeeded with BALANCE_HTTP_MAX_BODY_BYTES=lots")
	}
}

// validConfig is a complete valid configuration built without Load, so Validate tests can run
// in parallel and do not depend on the environment.
func validConfig() config.Config {
	return config.Config{
		HTTP: config.HTTP{
			Addr:              "127.0.0.1:8080",
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ShutdownTimeout:   30 * time.Second,
			MaxBodyBytes:      1 << 20,
			TrustedProxies:    []string{},
			CORSOrigins:       []string{},
		},
		Metrics:    config.Metrics{Addr: "127.0.0.1:9090"},
		Database:   config.Database{URL: "sqlite:./data/balance.db", MaxOpenConns: 10},
		Log:        config.Log{Level: "info", Format: "json"},
		Encryption: config.Encryption{Keys: []string{}},
		Auth: config.Auth{
			CookieSecure:       true,
			SessionTTL:         12 * time.Hour,
			SessionIdleTimeout: 2 * time.Hour,
			LoginMaxFailures:   5,
			LoginFailureWindow: 15 * time.Minute,
			RequireTOTP:        []string{"owner"},
		},
		Jobs: config.Jobs{
			Workers: 4, MaxAttempts: 10, RetryBase: time.Second, RetryMax: time.Hour,
			JobTimeout: 2*time.Minute + 30*time.Second, RescueAfter: 3*time.Minute + 30*time.Second, PollInterval: time.Second,
		},
		YooKassa: config.YooKassa{APIURL: "https://api.yookassa.ru/v3", WebhookCIDRs: config.DefaultYooKassaWebhookCIDRs},
		Notify:   config.Notify{SiteURL: "http://127.0.0.1:8080", Reminders: []string{"24h", "2h"}},
		SMTP:     config.SMTP{Port: 587, FromName: "Эмоциональный баланс", TLS: "mandatory"},
		Telegram: config.Telegram{APIURL: "https://api.telegram.org"},
		Booking: config.Booking{
			HoldTTL: 15 * time.Minute, PartialRefundPercent: 50, ReconcileAfter: 10 * time.Minute,
			ReconcileEvery: 5 * time.Minute, IdempotencyTTL: 24 * time.Hour,
		},
		RateLimit: config.RateLimits{Bookings: "10/1h", Questions: "5/1h", Leads: "5/1h", ToolRuns: "30/1h", DeepLinks: "20/1h"},
		Tools:     config.Tools{AbandonAfter: 24 * time.Hour},
		// Client accounts and the cabinet.
		Cabinet: config.Cabinet{
			SessionTTL: 30 * 24 * time.Hour, SessionIdleTimeout: 7 * 24 * time.Hour, CodeTTL: 10 * time.Minute,
			CodesPerEmail: 5, CodesPerAddress: 20, CodeWindow: time.Hour,
		},
	}
}

// withYooKassa is a valid configuration with payments enabled.
func withYooKassa(c *config.Config) {
	c.YooKassa.ShopID, c.YooKassa.SecretKey, c.YooKassa.ReturnURL = "123456", "test_secret", "https://balance.example/paid"
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	key1, key2 := newKey(t), newKey(t)
	tests := []struct {
		name   string
		modify func(*config.Config)
	}{
		{"defaults", func(*config.Config) {}},
		{"payments enabled", withYooKassa},
		{"no refund inside the partial window", func(c *config.Config) { c.Booking.PartialRefundPercent = 0 }},
		{"any interface", func(c *config.Config) { c.HTTP.Addr = ":8080" }},
		{"ipv6 address", func(c *config.Config) { c.HTTP.Addr = "[::1]:8080" }},
		{"port 0", func(c *config.Config) { c.HTTP.Addr = "localhost:0" }},
		{"port 65535", func(c *config.Config) { c.HTTP.Addr = "localhost:65535" }},
		{"no metrics", func(c *config.Config) { c.Metrics.Addr = "" }},
		{"metrics on all interfaces", func(c *config.Config) { c.Metrics.Addr = ":9090" }},
		{"both on free ports", func(c *config.Config) { c.HTTP.Addr, c.Metrics.Addr = "127.0.0.1:0", "127.0.0.1:0" }},
		{"proxies: IPs and CIDRs, v4 and v6", func(c *config.Config) {
			c.HTTP.TrustedProxies = []string{"10.0.0.1", "192.168.0.0/16", "::1", "fd00::/8"}
		}},
		{"sqlite absolute path", func(c *config.Config) { c.Database.URL = "sqlite:///var/lib/balance.db" }},
		{"sqlite in-memory", func(c *config.Config) { c.Database.URL = "sqlite::memory:" }},
		{"postgres", func(c *config.Config) { c.Database.URL = "postgres://u:p@db.example.org:5432/balance?sslmode=require" }},
		{"postgresql scheme", func(c *config.Config) { c.Database.URL = "postgresql://db.example.org/balance" }},
		{"log debug text", func(c *config.Config) { c.Log = config.Log{Level: "debug", Format: "text"} }},
		{"log warn", func(c *config.Config) { c.Log.Level = "warn" }},
		{"log error", func(c *config.Config) { c.Log.Level = "error" }},
		{"one key", func(c *config.Config) { c.Encryption.Keys = []string{key1} }},
		{"two keys", func(c *config.Config) { c.Encryption.Keys = []string{key1, key2} }},
		{"cookie not secure", func(c *config.Config) { c.Auth.CookieSecure = false }},
		{"smallest positive values", func(c *config.Config) {
			c.HTTP.ReadHeaderTimeout = time.Millisecond
			c.HTTP.MaxBodyBytes = 1
			c.Database.MaxOpenConns = 1
			c.Auth.LoginMaxFailures = 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			tt.modify(&c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	goodKey := newKey(t)
	// Decodes to 31 bytes: looks like key material, must never be echoed.
	const almostKey = "c2VjcmV0LWtleS1tYXRlcmlhbC1zaG91bGQtbm90LQ=="
	tests := []struct {
		name    string
		key     string
		modify  func(*config.Config)
		secrets []string // must not appear in the error
	}{
		{"addr without port", "http.addr", func(c *config.Config) { c.HTTP.Addr = "abc" }, nil},
		{"smtp without sender", "smtp.from", func(c *config.Config) { c.SMTP.Host = "smtp.example.org" }, nil},
		{"tool runs never abandoned", "tools.abandon_after", func(c *config.Config) { c.Tools.AbandonAfter = 0 }, nil},
		{"smtp port", "smtp.port", func(c *config.Config) { c.SMTP.Port = 0 }, nil},
		{"smtp tls", "smtp.tls", func(c *config.Config) { c.SMTP.TLS = "always" }, nil},
		{"bot without secret", "telegram.webhook_secret", func(c *config.Config) { c.Telegram.BotToken = "1:x" }, []string{"1:x"}},
		{"calendar without id", "gcal.calendar_id", func(c *config.Config) { c.GCal.CredentialsFile = "/x.json" }, nil},
		{"reminder nonsense", "notify.reminders", func(c *config.Config) { c.Notify.Reminders = []string{"24h", "tomorrow"} }, nil},
		{"reminder negative", "notify.reminders", func(c *config.Config) { c.Notify.Reminders = []string{"-2h"} }, nil},
		{"site url relative", "notify.site_url", func(c *config.Config) { c.Notify.SiteURL = "/" }, nil},
		{"shop without secret", "yookassa.secret_key", func(c *config.Config) { withYooKassa(c); c.YooKassa.SecretKey = "" }, nil},
		{"shop without return url", "yookassa.return_url", func(c *config.Config) { withYooKassa(c); c.YooKassa.ReturnURL = "" }, nil},
		{"relative return url", "yookassa.return_url", func(c *config.Config) { withYooKassa(c); c.YooKassa.ReturnURL = "/paid" }, nil},
		{"api url with credentials", "yookassa.api_url", func(c *config.Config) {
			withYooKassa(c)
			c.YooKassa.APIURL = "https://shop:test_secret@api.example/v3"
		}, []string{"test_secret"}},
		{"webhook cidr nonsense", "yookassa.webhook_cidrs", func(c *config.Config) { c.YooKassa.WebhookCIDRs = []string{"yookassa.ru"} }, nil},
		{"hold zero", "booking.hold_ttl", func(c *config.Config) { c.Booking.HoldTTL = 0 }, nil},
		{"refund share over 100", "booking.partial_refund_percent", func(c *config.Config) { c.Booking.PartialRefundPercent = 101 }, nil},
		{"refund share negative", "booking.partial_refund_percent", func(c *config.Config) { c.Booking.PartialRefundPercent = -1 }, nil},
		{"reconcile after zero", "booking.reconcile_after", func(c *config.Config) { c.Booking.ReconcileAfter = 0 }, nil},
		{"reconcile every zero", "booking.reconcile_every", func(c *config.Config) { c.Booking.ReconcileEvery = 0 }, nil},
		{"idempotency ttl zero", "booking.idempotency_ttl", func(c *config.Config) { c.Booking.IdempotencyTTL = 0 }, nil},
		{"addr empty", "http.addr", func(c *config.Config) { c.HTTP.Addr = "" }, nil},
		{"port too large", "http.addr", func(c *config.Config) { c.HTTP.Addr = "host:99999" }, nil},
		{"port negative", "http.addr", func(c *config.Config) { c.HTTP.Addr = "host:-1" }, nil},
		{"port empty", "http.addr", func(c *config.Config) { c.HTTP.Addr = "host:" }, nil},
		{"port by name", "http.addr", func(c *config.Config) { c.HTTP.Addr = "host:http" }, nil},
		{"metrics not host:port", "metrics.addr", func(c *config.Config) { c.Metrics.Addr = "9090" }, nil},
		{"metrics on the public listener", "metrics.addr", func(c *config.Config) { c.Metrics.Addr = c.HTTP.Addr }, nil},
		{"read header timeout zero", "http.read_header_timeout", func(c *config.Config) { c.HTTP.ReadHeaderTimeout = 0 }, nil},
		{"read timeout negative", "http.read_timeout", func(c *config.Config) { c.HTTP.ReadTimeout = -time.Second }, nil},
		{"write timeout zero", "http.write_timeout", func(c *config.Config) { c.HTTP.WriteTimeout = 0 }, nil},
		{"idle timeout negative", "http.idle_timeout", func(c *config.Config) { c.HTTP.IdleTimeout = -1 }, nil},
		{"shutdown timeout zero", "http.shutdown_timeout", func(c *config.Config) { c.HTTP.ShutdownTimeout = 0 }, nil},
		{"max body zero", "http.max_body_bytes", func(c *config.Config) { c.HTTP.MaxBodyBytes = 0 }, nil},
		{"max body negative", "http.max_body_bytes", func(c *config.Config) { c.HTTP.MaxBodyBytes = -5 }, nil},
		{"proxy nonsense", "http.trusted_proxies", func(c *config.Config) { c.HTTP.TrustedProxies = []string{"10.0.0.1", "nonsense"} }, nil},
		{"proxy bad prefix length", "http.trusted_proxies", func(c *config.Config) { c.HTTP.TrustedProxies = []string{"10.0.0.0/33"} }, nil},
		{"proxy hostname", "http.trusted_proxies", func(c *config.Config) { c.HTTP.TrustedProxies = []string{"proxy.example.org"} }, nil},
		{"database mysql", "database.url", func(c *config.Config) { c.Database.URL = "mysql://x" }, nil},
		{"database empty", "database.url", func(c *config.Config) { c.Database.URL = "" }, nil},
		{"sqlite without path", "database.url", func(c *config.Config) { c.Database.URL = "sqlite:" }, nil},
		{"sqlite slashes without path", "database.url", func(c *config.Config) { c.Database.URL = "sqlite://" }, nil},
		{"postgres without host", "database.url", func(c *config.Config) { c.Database.URL = "postgres://" }, nil},
		{"postgres path only", "database.url", func(c *config.Config) { c.Database.URL = "postgresql:///balance" }, nil},
		{"postgres malformed", "database.url", func(c *config.Config) { c.Database.URL = "postgres://u:pw9876@h:port/db" }, []string{"pw9876"}},
		{"pool zero", "database.max_open_conns", func(c *config.Config) { c.Database.MaxOpenConns = 0 }, nil},
		{"log level loud", "log.level", func(c *config.Config) { c.Log.Level = "loud" }, nil},
		{"log level upper case", "log.level", func(c *config.Config) { c.Log.Level = "INFO" }, nil},
		{"log format xml", "log.format", func(c *config.Config) { c.Log.Format = "xml" }, nil},
		{"key too short", "encryption.keys", func(c *config.Config) { c.Encryption.Keys = []string{"short"} }, []string{"short"}},
		{"key of wrong length", "encryption.keys", func(c *config.Config) { c.Encryption.Keys = []string{almostKey} }, []string{almostKey, "c2VjcmV0"}},
		{"second key bad", "encryption.keys", func(c *config.Config) { c.Encryption.Keys = []string{goodKey, almostKey} },
			[]string{goodKey, almostKey, goodKey[:8], "c2VjcmV0"}},
		{"job timeout zero", "jobs.job_timeout", func(c *config.Config) { c.Jobs.JobTimeout = 0 }, nil},
		{"rescue zero", "jobs.rescue_after", func(c *config.Config) { c.Jobs.RescueAfter = 0 }, nil},
		{"rescue as long as a job may run", "jobs.rescue_after", func(c *config.Config) { c.Jobs.RescueAfter = c.Jobs.JobTimeout }, nil},
		{"rescue before a job may end", "jobs.rescue_after", func(c *config.Config) {
			c.Jobs.JobTimeout, c.Jobs.RescueAfter = 10*time.Minute, 5*time.Minute
		}, nil},
		{"session ttl zero", "auth.session_ttl", func(c *config.Config) { c.Auth.SessionTTL = 0 }, nil},
		{"session idle negative", "auth.session_idle_timeout", func(c *config.Config) { c.Auth.SessionIdleTimeout = -time.Minute }, nil},
		{"login failures zero", "auth.login_max_failures", func(c *config.Config) { c.Auth.LoginMaxFailures = 0 }, nil},
		{"login window zero", "auth.login_failure_window", func(c *config.Config) { c.Auth.LoginFailureWindow = 0 }, nil},
		{"totp for an unknown role", "auth.require_totp", func(c *config.Config) { c.Auth.RequireTOTP = []string{"owner", "admin"} }, nil},
		{"totp for clients", "auth.require_totp", func(c *config.Config) { c.Auth.RequireTOTP = []string{"client"} }, nil},
		{"totp none with a role", "auth.require_totp", func(c *config.Config) { c.Auth.RequireTOTP = []string{"none", "owner"} }, nil},
		{"totp for nobody unsaid", "auth.require_totp", func(c *config.Config) { c.Auth.RequireTOTP = []string{} }, nil},
		{"first bad key is reported", "http.addr", func(c *config.Config) {
			c.Log.Level = "loud"
			c.HTTP.Addr = "abc"
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			tt.modify(&c)
			err := c.Validate()
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v (%T), want *config.FieldError", err, err)
			}
			if fe.Key != tt.key {
				t.Errorf("FieldError.Key = %q, want %q", fe.Key, tt.key)
			}
			if fe.Reason == "" {
				t.Error("FieldError.Reason is empty")
			}
			msg := err.Error()
			if prefix := "config: " + tt.key + ": "; !strings.HasPrefix(msg, prefix) {
				t.Errorf("Error() = %q, want prefix %q", msg, prefix)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("Error() = %q spans several lines", msg)
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("Error() = %q reveals %q", msg, s)
				}
			}
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	t.Parallel()
	err := &config.FieldError{Key: "log.level", Reason: `"loud" is not one of debug, info, warn, error`}
	if got, want := err.Error(), `config: log.level: "loud" is not one of debug, info, warn, error`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	c := validConfig()
	c.Database.URL = "postgres://u:s3cret@db.example.org/db?password=s3cret2"
	c.Encryption.Keys = []string{key, newKey(t)}
	c.HTTP.TrustedProxies = []string{"10.0.0.1"}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	out := buf.String()

	for _, secret := range []string{"s3cret", "s3cret2", key, c.Encryption.Keys[1]} {
		if strings.Contains(out, secret) {
			t.Errorf("log output reveals %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "db.example.org") {
		t.Errorf("log output lost the database host:\n%s", out)
	}

	var record struct {
		Config map[string]map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &record); err != nil {
		t.Fatalf("log output is not JSON: %v\n%s", err, out)
	}
	checks := []struct {
		group, field string
		want         any
	}{
		{"database", "url", "postgres://u:xxxxx@db.example.org/db?password=xxxxx"},
		{"encryption", "keys", "[2 redacted]"},
		{"http", "addr", "127.0.0.1:8080"},
		{"http", "max_body_bytes", float64(1 << 20)},
		{"http", "trusted_proxies", []any{"10.0.0.1"}},
		{"auth", "session_ttl", "12h0m0s"},
		{"auth", "cookie_secure", true},
		{"log", "level", "info"},
	}
	for _, ch := range checks {
		if got := record.Config[ch.group][ch.field]; !reflect.DeepEqual(got, ch.want) {
			t.Errorf("config.%s.%s = %#v, want %#v", ch.group, ch.field, got, ch.want)
		}
	}
	// The start-up log is where an operator checks the effective configuration: it must show
	// every key.
	for _, k := range config.Keys {
		group, field, _ := strings.Cut(k.Name, ".")
		if _, ok := record.Config[group][field]; !ok {
			t.Errorf("key %s is missing from LogValue", k.Name)
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"sqlite:./data/balance.db", "sqlite:./data/balance.db"},
		{"sqlite:///var/lib/balance.db", "sqlite:///var/lib/balance.db"},
		{"", ""},
		{"postgres://u:p@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h:5432/db", "postgres://u@h:5432/db"},
		{"postgres://h/db", "postgres://h/db"},
		{"postgres://h/db?password=p&sslmode=disable", "postgres://h/db?password=xxxxx&sslmode=disable"},
		{"postgres://u:s3cret@h/db?password=s3cret2", "postgres://u:xxxxx@h/db?password=xxxxx"},
		{"postgres://u:p@h/db?sslmode=require", "postgres://u:xxxxx@h/db?sslmode=require"},
		{"postgres://u:p@h:port/db", "[unparseable url redacted]"},
	}
	for _, tt := range tests {
		if got := config.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"http.addr", "BALANCE_HTTP_ADDR"},
		{"http.trusted_proxies", "BALANCE_HTTP_TRUSTED_PROXIES"},
		{"auth.login_failure_window", "BALANCE_AUTH_LOGIN_FAILURE_WINDOW"},
	}
	for _, tt := range tests {
		if got := config.EnvName(tt.key); got != tt.want {
			t.Errorf("EnvName(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level string
		want  slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"error", slog.LevelError},
		// Validate rejects anything else; the fallback must still not go quiet or verbose.
		{"", slog.LevelInfo},
	}
	for _, tt := range tests {
		if got := (config.Log{Level: tt.level}).SlogLevel(); got != tt.want {
			t.Errorf("Log{Level: %q}.SlogLevel() = %v, want %v", tt.level, got, tt.want)
		}
	}
}

func TestRequireTOTP(t *testing.T) {
	tests := []struct {
		env  string
		want []string
	}{
		{"", []string{"owner"}},
		{"owner,assistant", []string{"owner", "assistant"}},
		{" editor , ", []string{"editor"}},
		{"none", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tt.env != "" {
				t.Setenv("BALANCE_AUTH_REQUIRE_TOTP", tt.env)
			}
			c, err := config.Load("")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := c.Auth.TOTPRoles(); !slices.Equal(got, tt.want) {
				t.Errorf("TOTPRoles() = %q, want %q", got, tt.want)
			}
		})
	}
}
