package email_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"balance/integrations/email"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := email.Config{Host: "smtp.example.com", From: fromAddr, Username: smtpUser, Password: smtpPassword}
	tests := []struct {
		name   string
		mutate func(*email.Config)
		want   string
	}{
		{"valid", func(*email.Config) {}, ""},
		{"valid without auth", func(c *email.Config) { c.Username, c.Password = "", "" }, ""},
		{"valid relay without TLS", func(c *email.Config) { c.Username, c.Password, c.TLS = "", "", "none" }, ""},
		{"tls in capitals", func(c *email.Config) { c.TLS = " Opportunistic " }, ""},
		{"no host", func(c *email.Config) { c.Host = " " }, "host is required"},
		{"host with port", func(c *email.Config) { c.Host = "smtp.example.com:587" }, "host must not carry a port"},
		{"port too big", func(c *email.Config) { c.Port = 70000 }, "port"},
		{"negative port", func(c *email.Config) { c.Port = -1 }, "port"},
		{"no from", func(c *email.Config) { c.From = "" }, "from address is required"},
		{"from with a name", func(c *email.Config) { c.From = "Баланс <" + fromAddr + ">" }, "bare email address"},
		{"from not an address", func(c *email.Config) { c.From = "noreply" }, "bare email address"},
		{"unknown tls", func(c *email.Config) { c.TLS = "starttls" }, "tls must be"},
		{"password without username", func(c *email.Config) { c.Username = "" }, "without a username"},
		{"username without password", func(c *email.Config) { c.Password = "" }, "without a password"},
		{"credentials without TLS", func(c *email.Config) { c.TLS = email.TLSNone }, "need TLS"},
		{"negative timeout", func(c *email.Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		cfg := ok
		tt.mutate(&cfg)
		_, err := email.New(cfg)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
		checkSecretFree(t, err)
	}
}

func TestConfigMasksPassword(t *testing.T) {
	t.Parallel()
	cfg := email.Config{
		Host: "smtp.example.com", Port: 465, Username: smtpUser, Password: smtpPassword, From: fromAddr,
		TLS: email.TLSMandatory, TLSConfig: &tls.Config{},
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, cfg)
		if strings.Contains(out, smtpPassword) || !strings.Contains(out, "[REDACTED]") || !strings.Contains(out, smtpUser) {
			t.Errorf("%s = %s, want the password masked and the username shown", format, out)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("start", "smtp", cfg)
	out := buf.String()
	if strings.Contains(out, smtpPassword) || !strings.Contains(out, `"password":"[REDACTED]"`) ||
		!strings.Contains(out, `"host":"smtp.example.com"`) || !strings.Contains(out, `"tls_config":"custom"`) {
		t.Errorf("slog = %s, want the password masked", out)
	}

	// An empty password shows as empty, not as masked, so a missing secret is visible in the log.
	cfg.Password, cfg.TLSConfig = "", nil
	if out := cfg.String(); !strings.Contains(out, `Password:""`) || !strings.Contains(out, "TLSConfig:system") {
		t.Errorf("String = %s", out)
	}
}
