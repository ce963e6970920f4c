package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Cross-origin requests and rate limits.

// RateLimits caps the public POSTs each client address may send, per group of routes, as
// "limit/window" ("10/1h": ten an hour, counted in fixed windows with the previous window weighted;
// models.RateRule). The counters live in the database, so every instance shares them.
type RateLimits struct {
	// Bookings: POST /bookings, /waitlist, a booking's cancel and reschedule, PUT of its intake form.
	Bookings  string `mapstructure:"bookings"`
	Questions string `mapstructure:"questions"`
	Leads     string `mapstructure:"leads"`
	ToolRuns  string `mapstructure:"tool_runs"`
	DeepLinks string `mapstructure:"deep_links"`
}

// Rate is a parsed rate limit: at most Limit requests per Window.
type Rate struct {
	Limit  int
	Window time.Duration
}

// Rates returns the limits by group name (the key's last part: "bookings", "tool_runs", ...);
// Validate has checked them.
func (r RateLimits) Rates() map[string]Rate {
	out := map[string]Rate{}
	for group, raw := range r.byGroup() {
		if rate, err := ParseRate(raw); err == nil {
			out[group] = rate
		}
	}
	return out
}

func (r RateLimits) byGroup() map[string]string {
	return map[string]string{
		"bookings": r.Bookings, "questions": r.Questions, "leads": r.Leads,
		"tool_runs": r.ToolRuns, "deep_links": r.DeepLinks,
	}
}

// ParseRate reads "limit/window", e.g. "10/1h" or "5/30m": a positive count and a window of at
// least a second.
func ParseRate(raw string) (Rate, error) {
	n, w, ok := strings.Cut(strings.TrimSpace(raw), "/")
	limit, err := strconv.Atoi(n)
	if !ok || err != nil || limit <= 0 {
		return Rate{}, fmt.Errorf("%q is not limit/window such as 10/1h", raw)
	}
	window, err := time.ParseDuration(w)
	if err != nil || window < time.Second {
		return Rate{}, fmt.Errorf("%q is not limit/window such as 10/1h (a window of at least 1s)", raw)
	}
	return Rate{Limit: limit, Window: window}, nil
}

func validateRate(raw string) error {
	_, err := ParseRate(raw)
	return err
}

// validateOrigins accepts exact origins, scheme://host[:port] (http or https), each once: no
// path, query, credentials or wildcard, because a browser compares the Origin header byte for
// byte and credentials are allowed for every listed origin.
func validateOrigins(origins []string) error {
	seen := map[string]bool{}
	for _, o := range origins {
		if strings.Contains(o, "*") {
			return fmt.Errorf("%q: wildcards are not allowed; list each origin", o)
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
			return fmt.Errorf("%q is not an origin such as https://site.example", o)
		}
		if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") {
			return fmt.Errorf("%q is not an origin: scheme://host[:port] only, no path, query or credentials", o)
		}
		if port := u.Port(); port != "" {
			if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
				return fmt.Errorf("%q has no valid port", o)
			}
		}
		if strings.HasSuffix(u.Host, ":") {
			return fmt.Errorf("%q has an empty port", o)
		}
		if u.Scheme == "https" && u.Port() == "443" || u.Scheme == "http" && u.Port() == "80" {
			return fmt.Errorf("%q: leave out the default port, as browsers do", o)
		}
		if o != strings.ToLower(o) {
			return fmt.Errorf("%q: write the origin in lower case, as browsers send it", o)
		}
		if seen[o] {
			return fmt.Errorf("%q is listed twice", o)
		}
		seen[o] = true
	}
	return nil
}
