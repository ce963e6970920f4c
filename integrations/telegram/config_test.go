package telegram_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"balance/integrations/telegram"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := telegram.Config{Token: token, WebhookSecret: secret}
	tests := []struct {
		name   string
		mutate func(*telegram.Config)
		want   string // in the error; empty for a valid config
	}{
		{"valid", func(*telegram.Config) {}, ""},
		{"no secret is valid", func(c *telegram.Config) { c.WebhookSecret = "" }, ""},
		{"longest secret", func(c *telegram.Config) { c.WebhookSecret = strings.Repeat("a", 256) }, ""},
		{"api url with a path", func(c *telegram.Config) { c.APIURL = "http://127.0.0.1:8081/proxy/" }, ""},
		{"no token", func(c *telegram.Config) { c.Token = "" }, "bot token is required"},
		{"token without a colon", func(c *telegram.Config) { c.Token = strings.ReplaceAll(token, ":", "") }, "bot token must look like"},
		{"token with a short secret", func(c *telegram.Config) { c.Token = "123456:AAAAshort" }, "bot token must look like"},
		{"token with letters in the id", func(c *telegram.Config) { c.Token = "12a456:" + strings.Repeat("A", 35) }, "bot token must look like"},
		{"token with a space", func(c *telegram.Config) { c.Token = token + " " }, "bot token must look like"},
		{"secret too long", func(c *telegram.Config) { c.WebhookSecret = strings.Repeat("a", 257) }, "webhook secret"},
		{"secret with a space", func(c *telegram.Config) { c.WebhookSecret = "not allowed" }, "webhook secret"},
		{"secret with unicode", func(c *telegram.Config) { c.WebhookSecret = "секрет" }, "webhook secret"},
		{"relative api url", func(c *telegram.Config) { c.APIURL = "api.telegram.org" }, "api url"},
		{"ftp api url", func(c *telegram.Config) { c.APIURL = "ftp://api.telegram.org" }, "api url"},
		{"api url with credentials", func(c *telegram.Config) { c.APIURL = "https://u:" + token + "@x.example" }, "credentials"},
		{"api url with a query", func(c *telegram.Config) { c.APIURL = "https://x.example/?t=" + token }, "query"},
	}
	for _, tt := range tests {
		cfg := ok
		tt.mutate(&cfg)
		c, err := telegram.New(cfg)
		if tt.want == "" {
			if err != nil || c == nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			continue
		}
		for _, s := range []string{cfg.Token, cfg.WebhookSecret, strings.Split(cfg.Token, ":")[len(strings.Split(cfg.Token, ":"))-1]} {
			if s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error quotes a secret: %v", tt.name, err)
			}
		}
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	t.Parallel()
	cfg := telegram.Config{Token: token, WebhookSecret: secret, APIURL: "https://tg.example"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "telegram", cfg)
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%s": fmt.Sprintf("%s", cfg), "slog": logged.String(),
	}
	for format, out := range outputs {
		if strings.Contains(out, token) || strings.Contains(out, secret) || strings.Contains(out, strings.Split(token, ":")[1]) {
			t.Errorf("%s shows a secret: %s", format, out)
		}
		if !strings.Contains(out, "[REDACTED]") || !strings.Contains(out, "https://tg.example") {
			t.Errorf("%s hides too much: %s", format, out)
		}
	}
	if out := fmt.Sprint(telegram.Config{}); strings.Contains(out, "REDACTED") {
		t.Errorf("an empty secret shows as set: %s", out)
	}
}
