package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// cmdHealthcheck asks the server this configuration describes whether it is up: GET /healthz on
// http.addr (a wildcard host is asked on loopback). It exits 0 on 200 and 1 otherwise, so a
// container image with no shell or curl can use it as its HEALTHCHECK.
func cmdHealthcheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs, cfgFile := newFlags("healthcheck")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer (a `DURATION` such as 3s)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q: %w", rest[0], errUsage)
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	url := "http://" + loopbackFor(cfg.HTTP.Addr) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	fmt.Fprintln(stdout, "healthy:", url)
	return nil
}

// loopbackFor turns a listen address into one to dial: an empty or wildcard host becomes loopback.
func loopbackFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
