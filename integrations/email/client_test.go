package email_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"balance/integrations/email"
	"balance/integrations/email/emailtest"
)

const (
	smtpUser     = "balance@mail.example"
	smtpPassword = "smtp-S3cret-pa55word"
	fromAddr     = "noreply@balance.example"
	clientAddr   = "anna@example.com"
	subjectRU    = "Запись подтверждена — 3 декабря"
)

var messageIDPattern = regexp.MustCompile(`^<[A-Z2-7]{26}@balance\.example>$`)

// newClient is a client of srv that trusts its CA; mutate adjusts the configuration.
func newClient(t *testing.T, srv *emailtest.Server, mutate func(*email.Config)) *email.Client {
	t.Helper()
	cfg := email.Config{Host: srv.Host(), Port: srv.Port(), From: fromAddr, TLSConfig: srv.ClientTLSConfig()}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := email.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func withAuth(cfg *email.Config) { cfg.Username, cfg.Password = smtpUser, smtpPassword }

func confirmation() email.Message {
	return email.Message{
		To:      clientAddr,
		ToName:  "Анна Петрова",
		Subject: subjectRU,
		Text:    "Здравствуйте, Анна!\nВаша запись подтверждена: 3 декабря, 10:00 (МСК).\n",
		HTML:    "<p>Здравствуйте, Анна!</p>\n<p>Ваша запись подтверждена: <b>3 декабря, 10:00</b> (МСК).</p>\n",
		Headers: map[string]string{"List-Unsubscribe": "<https://balance.example/u/abc>"},
	}
}

// checkSecretFree fails when err's text shows the password.
func checkSecretFree(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), smtpPassword) {
		t.Errorf("error text shows the password: %v", err)
	}
}

// decodePart reads a MIME part's body in the transfer encoding its header declares.
func decodePart(t *testing.T, cte string, body io.Reader) string {
	t.Helper()
	switch strings.ToLower(cte) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func checkTextType(t *testing.T, contentType, want string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", contentType, err)
	}
	if mt != want || !strings.EqualFold(params["charset"], "UTF-8") {
		t.Errorf("Content-Type = %q, want %s; charset=UTF-8", contentType, want)
	}
}

func TestSendWithHTMLIsMultipartAlternative(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{Username: smtpUser, Password: smtpPassword})
	c := newClient(t, srv, withAuth)
	m := confirmation()

	id, err := c.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if !messageIDPattern.MatchString(id) {
		t.Errorf("message id = %q, want <26 base32 characters@balance.example>", id)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != fromAddr || len(got.To) != 1 || got.To[0] != clientAddr {
		t.Errorf("envelope = %s -> %v, want %s -> [%s]", got.From, got.To, fromAddr, clientAddr)
	}
	for i, b := range got.Raw {
		if b >= 0x80 {
			t.Fatalf("raw message has a non-ASCII byte at %d: headers and bodies must be encoded", i)
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(got.Raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	rawSubject := h.Get("Subject")
	if !strings.Contains(strings.ToUpper(rawSubject), "=?UTF-8?") {
		t.Errorf("Subject %q is not RFC 2047 encoded as UTF-8", rawSubject)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(rawSubject); err != nil || subject != subjectRU {
		t.Errorf("decoded Subject = %q, %v; want %q", subject, err, subjectRU)
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil || from.Name != email.DefaultFromName || from.Address != fromAddr {
		t.Errorf("From = %+v, %v; want %q <%s>", from, err, email.DefaultFromName, fromAddr)
	}
	to, err := mail.ParseAddress(h.Get("To"))
	if err != nil || to.Name != m.ToName || to.Address != clientAddr {
		t.Errorf("To = %+v, %v; want %q <%s>", to, err, m.ToName, clientAddr)
	}
	if got := h.Get("Message-Id"); got != id {
		t.Errorf("Message-ID header = %q, Send returned %q", got, id)
	}
	if got := h.Get("List-Unsubscribe"); got != m.Headers["List-Unsubscribe"] {
		t.Errorf("List-Unsubscribe = %q", got)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if got := h.Get("Mime-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q", got)
	}

	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative with a boundary", h.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var parts []*multipart.Part
	var bodies []string
	for {
		part, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part)
		bodies = append(bodies, decodePart(t, part.Header.Get("Content-Transfer-Encoding"), part))
	}
	if len(parts) != 2 {
		t.Fatalf("%d parts, want text/plain then text/html", len(parts))
	}
	checkTextType(t, parts[0].Header.Get("Content-Type"), "text/plain")
	checkTextType(t, parts[1].Header.Get("Content-Type"), "text/html")
	if bodies[0] != m.Text {
		t.Errorf("text part = %q, want %q", bodies[0], m.Text)
	}
	if bodies[1] != m.HTML {
		t.Errorf("html part = %q, want %q", bodies[1], m.HTML)
	}

	// The fake's parser, which other packages' tests use, reads the same message.
	p, err := got.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.MediaType != "multipart/alternative" || p.Subject != subjectRU || p.Text != m.Text || p.HTML != m.HTML ||
		p.From.Name != email.DefaultFromName || len(p.To) != 1 || p.To[0].Address != clientAddr {
		t.Errorf("emailtest Parse = %+v", p)
	}
}

func TestSendWithoutHTMLIsOneTextPart(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{})
	c := newClient(t, srv, func(cfg *email.Config) { cfg.FromName = "Ольга (психолог)" })
	m := email.Message{To: clientAddr, Subject: "Код входа: 123456", Text: "Ваш код: 123456.\nОн действует 10 минут.\n"}
	id, err := c.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(msgs[0].Raw))
	if err != nil {
		t.Fatal(err)
	}
	checkTextType(t, msg.Header.Get("Content-Type"), "text/plain")
	if body := decodePart(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body); body != m.Text {
		t.Errorf("body = %q, want %q", body, m.Text)
	}
	if from, err := mail.ParseAddress(msg.Header.Get("From")); err != nil || from.Name != "Ольга (психолог)" {
		t.Errorf("From = %+v, %v", from, err)
	}
	if to := msg.Header.Get("To"); to != "<"+clientAddr+">" {
		t.Errorf("To = %q, want the bare address", to)
	}
	if msg.Header.Get("Message-Id") != id {
		t.Errorf("Message-ID = %q, Send returned %q", msg.Header.Get("Message-Id"), id)
	}
	p, err := msgs[0].Parse()
	if err != nil || p.MediaType != "text/plain" || p.Text != m.Text || p.HTML != "" {
		t.Errorf("emailtest Parse = %+v, %v", p, err)
	}
}

func TestSTARTTLSComesBeforeAuth(t *testing.T) {
	t.Parallel()
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			srv := emailtest.New(t, emailtest.Options{Username: smtpUser, Password: smtpPassword, AuthMechanisms: []string{mech}})
			c := newClient(t, srv, withAuth)
			if _, err := c.Send(t.Context(), confirmation()); err != nil {
				t.Fatal(err)
			}
			auths := srv.AuthAttempts()
			if len(auths) != 1 {
				t.Fatalf("auth attempts = %+v, want one", auths)
			}
			if a := auths[0]; a.Mechanism != mech || a.Username != smtpUser || !a.TLS || !a.OK {
				t.Errorf("auth = %+v, want a successful %s for %s over TLS", a, mech, smtpUser)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || !msgs[0].TLS || msgs[0].AuthUser != smtpUser {
				t.Errorf("messages = %+v, want one that came over TLS as %s", msgs, smtpUser)
			}
		})
	}
}

func TestNoAuthWithoutTLS(t *testing.T) {
	t.Parallel()
	// A careless server offers AUTH PLAIN on a plain connection: the client must not send the password.
	srv := emailtest.New(t, emailtest.Options{
		NoSTARTTLS: true, AllowInsecureAuth: true, Username: smtpUser, Password: smtpPassword,
	})
	c := newClient(t, srv, func(cfg *email.Config) { withAuth(cfg); cfg.TLS = email.TLSOpportunistic })
	_, err := c.Send(t.Context(), confirmation())
	if !errors.Is(err, email.ErrInsecureAuth) {
		t.Fatalf("err = %v, want ErrInsecureAuth", err)
	}
	checkSecretFree(t, err)
	if email.IsPermanent(err) {
		t.Error("a missing TLS is a configuration problem worth retrying, not a permanent failure")
	}
	if a := srv.AuthAttempts(); len(a) != 0 {
		t.Errorf("server saw credentials: %+v", a)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

func TestAuthNeedsPlainOrLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts emailtest.Options
	}{
		{"server without AUTH", emailtest.Options{}},
		{"only other mechanisms", emailtest.Options{Username: smtpUser, Password: smtpPassword, AuthMechanisms: []string{"CRAM-MD5"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := emailtest.New(t, tt.opts)
			_, err := newClient(t, srv, withAuth).Send(t.Context(), confirmation())
			if err == nil || !strings.Contains(err.Error(), "neither AUTH PLAIN nor LOGIN") {
				t.Fatalf("err = %v, want one saying the server offers neither PLAIN nor LOGIN", err)
			}
			checkSecretFree(t, err)
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server got %d messages", n)
			}
		})
	}
}

func TestWrongPasswordIsRetriedAndNotShown(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{Username: smtpUser, Password: "the-right-one"})
	c := newClient(t, srv, withAuth)
	_, err := c.Send(t.Context(), confirmation())
	var e *email.Error
	if !errors.As(err, &e) || e.Code != 535 || e.Addr != srv.Addr() {
		t.Fatalf("err = %#v, want *email.Error with code 535 from %s", err, srv.Addr())
	}
	if email.IsPermanent(err) {
		t.Error("a refused login is our configuration: the message must be retried once it is fixed")
	}
	checkSecretFree(t, err)
	if a := srv.AuthAttempts(); len(a) != 1 || a[0].OK || !a[0].TLS {
		t.Errorf("auth attempts = %+v, want one failed over TLS", a)
	}
}

func TestMandatoryTLSRefusesPlainServer(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{NoSTARTTLS: true})
	c := newClient(t, srv, nil) // TLS mandatory by default
	_, err := c.Send(t.Context(), confirmation())
	if !errors.Is(err, email.ErrSTARTTLSRequired) {
		t.Fatalf("err = %v, want ErrSTARTTLSRequired", err)
	}
	if !strings.Contains(err.Error(), "STARTTLS is required") || !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("err = %q, want it to say STARTTLS is required and name %s", err, srv.Addr())
	}
	if email.IsPermanent(err) {
		t.Error("a missing STARTTLS is a configuration problem, not a permanent failure of the message")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages in the clear", n)
	}
}

func TestTLSModesAgainstPlainAndSTARTTLSServers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode       string
		noSTARTTLS bool
		wantTLS    bool
	}{
		{email.TLSNone, true, false},
		{email.TLSNone, false, false}, // a local relay that happens to offer STARTTLS: "none" means none
		{email.TLSOpportunistic, true, false},
		{email.TLSOpportunistic, false, true},
		{email.TLSMandatory, false, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/starttls=%t", tt.mode, !tt.noSTARTTLS), func(t *testing.T) {
			t.Parallel()
			srv := emailtest.New(t, emailtest.Options{NoSTARTTLS: tt.noSTARTTLS})
			c := newClient(t, srv, func(cfg *email.Config) { cfg.TLS = tt.mode })
			if _, err := c.Send(t.Context(), confirmation()); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || msgs[0].TLS != tt.wantTLS {
				t.Fatalf("messages = %d, TLS = %v; want one with TLS %t", len(msgs), msgs, tt.wantTLS)
			}
		})
	}
}

func TestUntrustedCertificateIsTransient(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{})
	// System roots do not know the fake's CA: the handshake fails.
	c := newClient(t, srv, func(cfg *email.Config) { cfg.TLSConfig = nil })
	_, err := c.Send(t.Context(), confirmation())
	var e *email.Error
	if !errors.As(err, &e) || e.Code != 0 {
		t.Fatalf("err = %v, want *email.Error without an SMTP code", err)
	}
	if email.IsPermanent(err) {
		t.Errorf("a TLS handshake failure should be transient: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

func TestServerDownThenBack(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{Username: smtpUser, Password: smtpPassword})
	c := newClient(t, srv, withAuth)
	addr := srv.Addr()
	srv.Stop()

	_, err := c.Send(t.Context(), confirmation())
	var e *email.Error
	if !errors.As(err, &e) || e.Addr != addr || e.Code != 0 {
		t.Fatalf("err = %#v, want *email.Error for %s without a code", err, addr)
	}
	if email.IsPermanent(err) {
		t.Errorf("a server that is down is transient: %v", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("err = %q, want it to name %s", err, addr)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("err = %v, want the dial error inside", err)
	}
	checkSecretFree(t, err)

	srv.Start()
	if srv.Addr() != addr {
		t.Fatalf("server came back on %s, want %s", srv.Addr(), addr)
	}
	id, err := c.Send(t.Context(), confirmation())
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.Wait(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Raw), "Message-ID: "+id) {
		t.Errorf("after the restart the server has %d messages, want the retried one %s", len(msgs), id)
	}
}

func TestRejectedRecipient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      int
		permanent bool
	}{
		{550, true},
		{553, true},
		{451, false},
		{452, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			t.Parallel()
			srv := emailtest.New(t, emailtest.Options{})
			c := newClient(t, srv, nil)
			srv.RejectRcpt(tt.code)
			_, err := c.Send(t.Context(), confirmation())
			var e *email.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("err = %v, want *email.Error with code %d", err, tt.code)
			}
			if got := email.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %t, want %t (%v)", got, tt.permanent, err)
			}
			if text := err.Error(); !strings.Contains(text, fmt.Sprint(tt.code)) || strings.Contains(text, clientAddr) {
				t.Errorf("err = %q, want the code and not the recipient's address", text)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server got %d messages", n)
			}

			srv.RejectRcpt(0)
			if _, err := c.Send(t.Context(), confirmation()); err != nil {
				t.Fatalf("send after the server accepts again: %v", err)
			}
		})
	}
}

func TestInvalidMessagesArePermanent(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{})
	c := newClient(t, srv, nil)
	tests := []struct {
		name   string
		mutate func(*email.Message)
	}{
		{"recipient not an address", func(m *email.Message) { m.To = "anna at example.com" }},
		{"no recipient", func(m *email.Message) { m.To = "" }},
		{"no subject", func(m *email.Message) { m.Subject = "  " }},
		{"subject with a line break", func(m *email.Message) { m.Subject = "Тема\r\nBcc: victim@example.com" }},
		{"no text", func(m *email.Message) { m.Text = "\n" }},
		{"text not UTF-8", func(m *email.Message) { m.Text = "\xff\xfe" }},
		{"reserved header", func(m *email.Message) { m.Headers = map[string]string{"bcc": "x@example.com"} }},
		{"header name with a colon", func(m *email.Message) { m.Headers = map[string]string{"X-A:B": "1"} }},
		{"header name with a space", func(m *email.Message) { m.Headers = map[string]string{"X A": "1"} }},
		{"empty header name", func(m *email.Message) { m.Headers = map[string]string{"": "1"} }},
		{"header value with a line break", func(m *email.Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: x@example.com"} }},
		{"header twice", func(m *email.Message) { m.Headers = map[string]string{"X-Tag": "1", "x-tag": "2"} }},
	}
	for _, tt := range tests {
		m := confirmation()
		tt.mutate(&m)
		id, err := c.Send(t.Context(), m)
		if !errors.Is(err, email.ErrInvalidMessage) || !email.IsPermanent(err) || id != "" {
			t.Errorf("%s: id %q, err = %v; want a permanent ErrInvalidMessage", tt.name, id, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d invalid messages", n)
	}

	// A display name in To is taken when ToName is empty.
	m := confirmation()
	m.To, m.ToName = `"Анна" <`+clientAddr+`>`, ""
	if _, err := c.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if p, err := srv.Messages()[0].Parse(); err != nil || p.To[0].Name != "Анна" || p.To[0].Address != clientAddr {
		t.Errorf("To = %+v, %v", p.To, err)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	t.Run("before sending", func(t *testing.T) {
		t.Parallel()
		srv := emailtest.New(t, emailtest.Options{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := newClient(t, srv, nil).Send(ctx, confirmation())
		if !errors.Is(err, context.Canceled) || email.IsPermanent(err) {
			t.Fatalf("err = %v, want a transient context.Canceled", err)
		}
	})
	t.Run("server stalls", func(t *testing.T) {
		t.Parallel()
		// A server that greets, reads EHLO and never answers: only the cancellation can end the
		// Send, since the client's timeout is an hour. Cancelling after EHLO arrived makes sure the
		// client is past dialling, where the context alone would do.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, "220 stall.example ESMTP\r\n"); err != nil {
				return
			}
			r := bufio.NewReader(conn)
			if _, err := r.ReadString('\n'); err != nil { // EHLO
				return
			}
			cancel()
			_, _ = io.Copy(io.Discard, r) // until the client hangs up
		})
		host, port, _ := net.SplitHostPort(l.Addr().String())
		c, err := email.New(email.Config{Host: host, Port: atoi(t, port), From: fromAddr, TLS: email.TLSNone, Timeout: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Send(ctx, confirmation())
		if !errors.Is(err, context.Canceled) || email.IsPermanent(err) {
			t.Fatalf("err = %v, want a transient context.Canceled", err)
		}
		wg.Wait()
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, emailtest.Options{Username: smtpUser, Password: smtpPassword})
	c := newClient(t, srv, withAuth)
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := confirmation()
			m.Text = fmt.Sprintf("Письмо %d\n", i)
			ids[i], errs[i] = c.Send(t.Context(), m)
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("send %d: %v", i, errs[i])
		}
		if seen[ids[i]] {
			t.Errorf("message id %s returned twice", ids[i])
		}
		seen[ids[i]] = true
	}
	msgs, err := srv.Wait(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]bool{}
	for _, m := range msgs {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		texts[p.Text] = true
	}
	if len(msgs) != n || len(texts) != n {
		t.Errorf("server got %d messages with %d distinct texts, want %d", len(msgs), len(texts), n)
	}
}

// A server that accepts the message and then drops the connection (before RSET and QUIT): the
// message went out, so Send must report success, or a retry would send it twice.
func TestAcceptedMessageCountsAsSentWhenTheConnectionDropsAfterwards(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	received := make(chan string, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		reply := func(s string) { _, _ = io.WriteString(conn, s+"\r\n") }
		reply("220 flaky.example ESMTP")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				reply("250-flaky.example")
				reply("250 8BITMIME")
			case cmd == "DATA":
				reply("354 go ahead")
				var body strings.Builder
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					body.WriteString(l)
				}
				reply("250 2.0.0 queued")
				received <- body.String()
				return // drop the connection: RSET and QUIT fail
			default:
				reply("250 ok")
			}
		}
	}()
	host, port, _ := net.SplitHostPort(l.Addr().String())
	c, err := email.New(email.Config{Host: host, Port: atoi(t, port), From: fromAddr, TLS: email.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Send(t.Context(), confirmation())
	if err != nil {
		t.Fatalf("Send = %v, want success: the server had accepted the message", err)
	}
	if body := <-received; !strings.Contains(body, "Message-ID: "+id) {
		t.Errorf("the server got no message with id %s", id)
	}
}
