package email

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"
)

// TLS modes of Config.TLS.
const (
	// TLSMandatory requires STARTTLS with a verified certificate before anything is sent.
	TLSMandatory = "mandatory"
	// TLSOpportunistic uses STARTTLS when the server offers it and sends in the clear otherwise.
	TLSOpportunistic = "opportunistic"
	// TLSNone never starts TLS: only for a local relay.
	TLSNone = "none"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultPort     = 587
	DefaultFromName = "Эмоциональный баланс"
	DefaultTimeout  = 30 * time.Second
)

// Config configures a Client. Password is a secret: String, GoString and LogValue mask it.
type Config struct {
	Host string
	// Port is DefaultPort (submission) when zero.
	Port     int
	Username string
	Password string
	// From is the bare sender address; FromName its display name (DefaultFromName when empty).
	From     string
	FromName string
	// TLS is TLSMandatory (the default), TLSOpportunistic or TLSNone.
	TLS string
	// Timeout bounds dialling and the SMTP conversation; DefaultTimeout when zero.
	Timeout time.Duration
	// TLSConfig verifies the server; nil means the system roots. Its ServerName defaults to Host.
	// Tests pass one that trusts their own CA.
	TLSConfig *tls.Config
}

const masked = "[REDACTED]"

func (c Config) passwordMark() string {
	if c.Password == "" {
		return ""
	}
	return masked
}

func (c Config) tlsConfigMark() string {
	if c.TLSConfig == nil {
		return "system"
	}
	return "custom"
}

// String renders the configuration with the password masked.
func (c Config) String() string {
	return fmt.Sprintf("email.Config{Host:%q Port:%d Username:%q Password:%q From:%q FromName:%q TLS:%q Timeout:%s TLSConfig:%s}",
		c.Host, c.Port, c.Username, c.passwordMark(), c.From, c.FromName, c.TLS, c.Timeout, c.tlsConfigMark())
}

// GoString keeps %#v from printing the password.
func (c Config) GoString() string { return c.String() }

// LogValue lets slog log the configuration without the password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.Port),
		slog.String("username", c.Username),
		slog.String("password", c.passwordMark()),
		slog.String("from", c.From),
		slog.String("from_name", c.FromName),
		slog.String("tls", c.TLS),
		slog.Duration("timeout", c.Timeout),
		slog.String("tls_config", c.tlsConfigMark()),
	)
}

// withDefaults fills zero fields and validates the result. Errors never quote the password.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	c.Host = strings.TrimSpace(c.Host)
	if c.Host == "" {
		errs = append(errs, errors.New("host is required"))
	} else if _, _, err := net.SplitHostPort(c.Host); err == nil {
		errs = append(errs, errors.New("host must not carry a port: set Port"))
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, errors.New("port must be between 1 and 65535"))
	}
	c.From = strings.TrimSpace(c.From)
	if c.From == "" {
		errs = append(errs, errors.New("from address is required"))
	} else if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" || a.Address != c.From {
		errs = append(errs, errors.New("from must be a bare email address (the display name goes in FromName)"))
	}
	c.FromName = strings.TrimSpace(c.FromName)
	if c.FromName == "" {
		c.FromName = DefaultFromName
	}
	c.TLS = strings.ToLower(strings.TrimSpace(c.TLS))
	switch c.TLS {
	case "":
		c.TLS = TLSMandatory
	case TLSMandatory, TLSOpportunistic, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("tls must be %q, %q or %q", TLSMandatory, TLSOpportunistic, TLSNone))
	}
	switch {
	case c.Username == "" && c.Password != "":
		errs = append(errs, errors.New("password is set without a username"))
	case c.Username != "" && c.Password == "":
		errs = append(errs, errors.New("username is set without a password"))
	case c.Username != "" && c.TLS == TLSNone:
		// Credentials only ever travel over TLS; with "none" every send would fail at AUTH.
		errs = append(errs, errors.New(`username and password need TLS: use tls "mandatory" (or "opportunistic")`))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout must not be negative"))
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.TLSConfig == nil {
		c.TLSConfig = &tls.Config{}
	} else {
		c.TLSConfig = c.TLSConfig.Clone()
	}
	if c.TLSConfig.ServerName == "" {
		c.TLSConfig.ServerName = c.Host
	}
	if c.TLSConfig.MinVersion == 0 {
		c.TLSConfig.MinVersion = tls.VersionTLS12
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("email config: %w", err)
	}
	return c, nil
}
