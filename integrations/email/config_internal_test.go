package email

import (
	"crypto/tls"
	"testing"
)

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Config{Host: " smtp.example.com ", From: "noreply@balance.example"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "smtp.example.com" || cfg.Port != DefaultPort || cfg.FromName != DefaultFromName ||
		cfg.TLS != TLSMandatory || cfg.Timeout != DefaultTimeout {
		t.Errorf("defaults = %v", cfg)
	}
	if cfg.TLSConfig == nil || cfg.TLSConfig.ServerName != "smtp.example.com" || cfg.TLSConfig.RootCAs != nil ||
		cfg.TLSConfig.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLS config = %+v, want system roots, ServerName = Host, TLS 1.2 at least", cfg.TLSConfig)
	}

	// A caller's TLS config is copied, never changed, and keeps its own ServerName.
	mine := &tls.Config{ServerName: "mail.example.net", MinVersion: tls.VersionTLS13}
	cfg, err = Config{Host: "10.0.0.5", From: "a@b.example", TLSConfig: mine}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == mine || cfg.TLSConfig.ServerName != "mail.example.net" || cfg.TLSConfig.MinVersion != tls.VersionTLS13 {
		t.Errorf("TLS config = %+v", cfg.TLSConfig)
	}
	mine = &tls.Config{}
	if cfg, _ = (Config{Host: "10.0.0.5", From: "a@b.example", TLSConfig: mine}).withDefaults(); cfg.TLSConfig.ServerName != "10.0.0.5" || mine.ServerName != "" {
		t.Errorf("ServerName = %q, caller's = %q", cfg.TLSConfig.ServerName, mine.ServerName)
	}
}

func TestMessageIDDomain(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"noreply@balance.example": "balance.example",
		"a@Mail-1.Example.COM":    "Mail-1.Example.COM",
		"почта@баланс.рф":         "localhost",
		"a@":                      "localhost",
	}
	for from, want := range tests {
		if got := messageIDDomain(from); got != want {
			t.Errorf("messageIDDomain(%q) = %q, want %q", from, got, want)
		}
	}
}
