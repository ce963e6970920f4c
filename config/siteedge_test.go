package config_test

import (
	"errors"
	"testing"
	"time"

	"balance/config"
)

// Cross-origin requests and rate limits.

func TestValidateCORSOriginsAndRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		key    string // "" when valid
		modify func(*config.Config)
	}{
		{"no origins", "", func(c *config.Config) { c.HTTP.CORSOrigins = nil }},
		{"origins", "", func(c *config.Config) {
			c.HTTP.CORSOrigins = []string{"https://site.example", "http://localhost:5173", "https://[::1]:8443"}
		}},
		{"origin with a path", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://site.example/"} }},
		{"origin with a query", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://site.example?a=1"} }},
		{"wildcard", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"*"} }},
		{"wildcard subdomain", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://*.site.example"} }},
		{"no scheme", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"site.example"} }},
		{"other scheme", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"ftp://site.example"} }},
		{"credentials", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://u:p@site.example"} }},
		{"bad port", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://site.example:99999"} }},
		{"default port", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://site.example:443"} }},
		{"upper case", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://Site.example"} }},
		{"twice", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"https://a.example", "https://a.example"} }},
		{"null origin", "http.cors_origins", func(c *config.Config) { c.HTTP.CORSOrigins = []string{"null"} }},
		{"rate in minutes", "", func(c *config.Config) { c.RateLimit.Questions = "3/30m" }},
		{"rate without window", "ratelimit.bookings", func(c *config.Config) { c.RateLimit.Bookings = "10" }},
		{"rate zero", "ratelimit.questions", func(c *config.Config) { c.RateLimit.Questions = "0/1h" }},
		{"rate negative", "ratelimit.leads", func(c *config.Config) { c.RateLimit.Leads = "-1/1h" }},
		{"rate window without unit", "ratelimit.tool_runs", func(c *config.Config) { c.RateLimit.ToolRuns = "5/60" }},
		{"rate window under a second", "ratelimit.deep_links", func(c *config.Config) { c.RateLimit.DeepLinks = "5/10ms" }},
		{"rate empty", "ratelimit.bookings", func(c *config.Config) { c.RateLimit.Bookings = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			tt.modify(&c)
			err := c.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) || fe.Key != tt.key {
				t.Fatalf("Validate() = %v, want an error for %s", err, tt.key)
			}
		})
	}
}

func TestRates(t *testing.T) {
	t.Parallel()
	r := config.RateLimits{Bookings: "10/1h", Questions: "5/30m", Leads: "1/1s", ToolRuns: "30/1h", DeepLinks: "20/24h"}
	got := r.Rates()
	want := map[string]config.Rate{
		"bookings": {10, time.Hour}, "questions": {5, 30 * time.Minute}, "leads": {1, time.Second},
		"tool_runs": {30, time.Hour}, "deep_links": {20, 24 * time.Hour},
	}
	if len(got) != len(want) {
		t.Fatalf("Rates() = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("Rates()[%s] = %v, want %v", k, got[k], w)
		}
	}
}
