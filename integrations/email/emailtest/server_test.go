package emailtest_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"balance/integrations/email/emailtest"
)

// The fake is driven here by go-smtp's client, a different implementation from the one the email
// package uses.

const (
	user     = "sender@mail.example"
	password = "fake-pa55"
)

const plainMessage = "From: <a@example.com>\r\nTo: <b@example.com>\r\nSubject: hi\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"

func dialTLS(t *testing.T, srv *emailtest.Server) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestSendsOverSTARTTLSWithAuth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mech   string
		client sasl.Client
	}{
		{"PLAIN", sasl.NewPlainClient("", user, password)},
		{"LOGIN", sasl.NewLoginClient(user, password)},
	} {
		t.Run(tt.mech, func(t *testing.T) {
			t.Parallel()
			srv := emailtest.New(t, emailtest.Options{Username: user, Password: password})
			c := dialTLS(t, srv)
			if ok, mechs := c.Extension("AUTH"); !ok || mechs != "PLAIN LOGIN" {
				t.Errorf("AUTH extension = %t %q, want PLAIN LOGIN after STARTTLS", ok, mechs)
			}
			if err := c.Auth(tt.client); err != nil {
				t.Fatal(err)
			}
			if err := c.SendMail("a@example.com", []string{"b@example.com", "c@example.com"}, strings.NewReader(plainMessage)); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != "a@example.com" || strings.Join(m.To, ",") != "b@example.com,c@example.com" || !m.TLS || m.AuthUser != user {
				t.Errorf("message = %+v", m)
			}
			if string(m.Raw) != plainMessage {
				t.Errorf("raw = %q, want %q", m.Raw, plainMessage)
			}
			if a := srv.AuthAttempts(); len(a) != 1 || a[0] != (emailtest.AuthAttempt{Mechanism: tt.mech, Username: user, TLS: true, OK: true}) {
				t.Errorf("auth attempts = %+v", a)
			}
		})
	}
}

func TestAuthRules(t *testing.T) {
	t.Parallel()
	t.Run("not offered before STARTTLS", func(t *testing.T) {
		t.Parallel()
		srv := emailtest.New(t, emailtest.Options{Username: user, Password: password})
		c, err := smtp.Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("test"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Error("STARTTLS not offered")
		}
		if ok, _ := c.Extension("AUTH"); ok {
			t.Error("AUTH offered on a plain connection")
		}
		if err := c.Auth(sasl.NewPlainClient("", user, password)); err == nil {
			t.Error("AUTH accepted on a plain connection")
		}
		if a := srv.AuthAttempts(); len(a) != 0 {
			t.Errorf("auth attempts = %+v, want none", a)
		}
	})
	t.Run("insecure auth when allowed", func(t *testing.T) {
		t.Parallel()
		srv := emailtest.New(t, emailtest.Options{NoSTARTTLS: true, AllowInsecureAuth: true, Username: user, Password: password})
		c, err := smtp.Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("test"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Extension("STARTTLS"); ok {
			t.Error("a NoSTARTTLS server offers STARTTLS")
		}
		if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
			t.Fatal(err)
		}
		if a := srv.AuthAttempts(); len(a) != 1 || a[0].TLS || !a[0].OK {
			t.Errorf("auth attempts = %+v, want one accepted without TLS", a)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		srv := emailtest.New(t, emailtest.Options{Username: user, Password: password})
		c := dialTLS(t, srv)
		if err := c.Auth(sasl.NewPlainClient("", user, "wrong")); smtpCode(err) != 535 {
			t.Errorf("err = %v, want 535", err)
		}
		if a := srv.AuthAttempts(); len(a) != 1 || a[0].OK {
			t.Errorf("auth attempts = %+v, want one refused", a)
		}
	})
	t.Run("mechanism not offered", func(t *testing.T) {
		t.Parallel()
		srv := emailtest.New(t, emailtest.Options{Username: user, Password: password, AuthMechanisms: []string{"LOGIN"}})
		c := dialTLS(t, srv)
		if err := c.Auth(sasl.NewPlainClient("", user, password)); smtpCode(err) != 504 {
			t.Errorf("err = %v, want 504", err)
		}
	})
	t.Run("mail before auth", func(t *testing.T) {
		t.Parallel()
		srv := emailtest.New(t, emailtest.Options{Username: user, Password: password})
		c := dialTLS(t, srv)
		if err := c.Mail("a@example.com", nil); smtpCode(err) != 502 {
			t.Errorf("err = %v, want 502 authentication required", err)
		}
	})
	t.Run("no auth configured", func(t *testing.T) {
		t.Parallel()
		srv := emailtest.New(t, emailtest.Options{})
		c := dialTLS(t, srv)
		if ok, _ := c.Extension("AUTH"); ok {
			t.Error("AUTH offered without credentials configured")
		}
		if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(plainMessage)); err != nil {
			t.Fatal(err)
		}
		if m := srv.Messages(); len(m) != 1 || m[0].AuthUser != "" || !m[0].TLS {
			t.Errorf("messages = %+v", m)
		}
	})
}

func TestRejectRcpt(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{})
	c := dialTLS(t, srv)
	for _, tt := range []struct {
		code     int
		enhanced smtp.EnhancedCode
	}{
		{550, smtp.EnhancedCode{5, 1, 1}},
		{553, smtp.EnhancedCode{5, 1, 3}},
		{554, smtp.EnhancedCode{5, 0, 0}},
		{451, smtp.EnhancedCode{4, 3, 0}},
	} {
		srv.RejectRcpt(tt.code)
		if err := c.Mail("a@example.com", nil); err != nil {
			t.Fatal(err)
		}
		err := c.Rcpt("b@example.com", nil)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != tt.code || se.EnhancedCode != tt.enhanced {
			t.Errorf("RejectRcpt(%d): err = %v, want %d %v", tt.code, err, tt.code, tt.enhanced)
		}
		if err := c.Reset(); err != nil {
			t.Fatal(err)
		}
	}
	srv.RejectRcpt(0)
	if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(plainMessage)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages, want only the accepted one", n)
	}
}

func TestStopAndStartOnTheSameAddress(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{})
	addr, port := srv.Addr(), srv.Port()
	if srv.Host() != "127.0.0.1" || port == 0 || addr != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Fatalf("Host %q Port %d Addr %q", srv.Host(), port, addr)
	}
	c := dialTLS(t, srv) // an open session is cut by Stop
	srv.Stop()
	srv.Stop() // twice is harmless
	if err := c.Noop(); err == nil {
		t.Error("a session survived Stop")
	}
	if c, err := smtp.Dial(addr); err == nil {
		_ = c.Close()
		t.Fatal("dial succeeded while the server is stopped")
	}
	srv.Start()
	srv.Start() // while running: nothing happens
	if srv.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", srv.Addr(), addr)
	}
	c = dialTLS(t, srv)
	if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(plainMessage)); err != nil {
		t.Fatal(err)
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := srv.Wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a canceled context = %v", err)
	}
	if msgs, err := srv.Wait(ctx, 0); err != nil || len(msgs) != 0 {
		t.Errorf("Wait(0) = %v, %v", msgs, err)
	}

	done := make(chan error, 1)
	go func() {
		c, err := smtp.DialStartTLS(srv.Addr(), srv.ClientTLSConfig())
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		for range 2 {
			if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(plainMessage)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	msgs, err := srv.Wait(t.Context(), 2)
	if err != nil || len(msgs) < 2 {
		t.Fatalf("Wait(2) = %d messages, %v", len(msgs), err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCertificate(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{})
	c := dialTLS(t, srv)
	if err := c.Noop(); err != nil { // the handshake happens with the first command
		t.Fatal(err)
	}
	state, ok := c.TLSConnectionState()
	if !ok || len(state.PeerCertificates) == 0 {
		t.Fatal("no TLS state")
	}
	leaf := state.PeerCertificates[0]
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if _, err := leaf.Verify(x509VerifyOptions(srv)); err != nil {
		t.Errorf("the leaf does not chain to CertPool: %v", err)
	}
	// Without the CA the handshake fails.
	if c, err := smtp.DialStartTLS(srv.Addr(), nil); err == nil {
		if err = c.Noop(); err == nil {
			t.Error("a client without the CA trusted the server")
		}
		_ = c.Close()
	}
}

func x509VerifyOptions(srv *emailtest.Server) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: srv.CertPool()}
}
