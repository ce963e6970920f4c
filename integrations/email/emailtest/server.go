// Package emailtest runs an in-process SMTP server (github.com/emersion/go-smtp) for tests: it offers
// STARTTLS with a certificate from its own throwaway CA, can require AUTH (PLAIN or LOGIN, accepted
// only after TLS unless told otherwise), records every message with its raw bytes and how it
// arrived, can be told to reject RCPT with a reply code, and can be stopped and started again on the
// same address to play a mail server that is down and comes back.
package emailtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape a Server. The zero value is a server with STARTTLS and without AUTH.
type Options struct {
	// NoSTARTTLS makes a plain server, like a local relay: STARTTLS is not offered.
	NoSTARTTLS bool
	// Username and Password, when set, make the server offer AUTH and require it before MAIL.
	Username, Password string
	// AuthMechanisms are the SASL mechanisms offered: "PLAIN" and/or "LOGIN"; both by default.
	AuthMechanisms []string
	// AllowInsecureAuth offers and accepts AUTH on a connection without TLS, as a careless server
	// would; by default AUTH is offered only after STARTTLS.
	AllowInsecureAuth bool
}

// Message is one message the server accepted.
type Message struct {
	// From is the envelope sender (MAIL FROM), To the envelope recipients (RCPT TO).
	From string
	To   []string
	// Raw is the message as it came after DATA: headers and body, CRLF line ends.
	Raw []byte
	// TLS reports whether the session had done STARTTLS.
	TLS bool
	// AuthUser is the user the session authenticated as; empty without AUTH.
	AuthUser string
}

// AuthAttempt is one AUTH exchange the server saw.
type AuthAttempt struct {
	Mechanism string
	Username  string
	// TLS reports whether the connection was encrypted when the credentials arrived.
	TLS bool
	// OK reports whether the credentials were accepted.
	OK bool
}

// Server is a fake SMTP server. Its methods are safe for concurrent use.
type Server struct {
	tb        testing.TB
	opts      Options
	serverTLS *tls.Config
	pool      *x509.CertPool

	mu       sync.Mutex
	addr     string
	srv      *smtp.Server
	listener net.Listener
	served   chan struct{} // closed when the running server's Serve returns
	messages []Message
	auths    []AuthAttempt
	rcptCode int
	changed  chan struct{} // closed and replaced whenever a message arrives
}

// New starts a server on 127.0.0.1 and stops it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if len(opts.AuthMechanisms) == 0 {
		opts.AuthMechanisms = []string{sasl.Plain, sasl.Login}
	}
	serverTLS, pool := newCertificates(tb)
	s := &Server{
		tb: tb, opts: opts, serverTLS: serverTLS, pool: pool,
		addr: "127.0.0.1:0", changed: make(chan struct{}),
	}
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Host is the server's IP address, "127.0.0.1", which its certificate names.
func (s *Server) Host() string {
	host, _, _ := net.SplitHostPort(s.Addr())
	return host
}

// Port is the server's port; it stays the same across Stop and Start.
func (s *Server) Port() int {
	_, port, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(port)
	return n
}

// CertPool holds the CA that signed the server's certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// ClientTLSConfig is a client configuration that trusts the server's CA (and only that).
func (s *Server) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
}

// Start serves again on the same address after Stop; it does nothing while the server runs.
func (s *Server) Start() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.tb.Fatalf("emailtest: listen on %s: %v", s.addr, err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "emailtest.local"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = s.opts.AllowInsecureAuth
	if !s.opts.NoSTARTTLS {
		srv.TLSConfig = s.serverTLS
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	s.srv, s.listener, s.served = srv, l, served
}

// Stop closes the listener and every open connection: clients get "connection refused" until Start.
// What the server recorded stays.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, l, served := s.srv, s.listener, s.served
	s.srv, s.listener = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	// Serve may not have registered the listener with srv yet, so Close alone could miss it.
	_ = l.Close()
	<-served
}

// RejectRcpt makes the server answer every RCPT TO with code (e.g. 550, 553, 451) until it is
// called with 0.
func (s *Server) RejectRcpt(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptCode = code
}

// Messages are the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Wait returns the messages once at least n have arrived, or ctx's error.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			msgs := slices.Clone(s.messages)
			s.mu.Unlock()
			return msgs, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

// AuthAttempts are the AUTH exchanges seen so far, oldest first.
func (s *Server) AuthAttempts() []AuthAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.auths)
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) recordAuth(a AuthAttempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auths = append(s.auths, a)
}

func (s *Server) rcptRejection() error {
	s.mu.Lock()
	code := s.rcptCode
	s.mu.Unlock()
	if code == 0 {
		return nil
	}
	class := code / 100
	enhanced := smtp.EnhancedCode{class, 0, 0}
	text := "Recipient rejected"
	switch {
	case code == 550:
		enhanced, text = smtp.EnhancedCode{5, 1, 1}, "Mailbox unavailable"
	case code == 553:
		enhanced, text = smtp.EnhancedCode{5, 1, 3}, "Mailbox name not allowed"
	case class == 4:
		enhanced, text = smtp.EnhancedCode{4, 3, 0}, "Try again later"
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: text}
}

// session is one client's SMTP session; go-smtp starts a new one after STARTTLS.
type session struct {
	s        *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) isTLS() bool {
	_, ok := ss.conn.TLSConnectionState()
	return ok
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return ss.s.opts.AuthMechanisms
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	mech = strings.ToUpper(mech)
	if !slices.Contains(ss.AuthMechanisms(), mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(username, password string) error {
		ok := username == ss.s.opts.Username &&
			subtle.ConstantTimeCompare([]byte(password), []byte(ss.s.opts.Password)) == 1
		ss.s.recordAuth(AuthAttempt{Mechanism: mech, Username: username, TLS: ss.isTLS(), OK: ok})
		if !ok {
			return smtp.ErrAuthFailed
		}
		ss.authUser = username
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, username, password string) error { return check(username, password) }), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.rcptRejection(); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.record(Message{From: ss.from, To: slices.Clone(ss.to), Raw: raw, TLS: ss.isTLS(), AuthUser: ss.authUser})
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

// loginServer is the server side of the LOGIN mechanism, which go-sasl provides only as a client.
type loginServer struct {
	check    func(username, password string) error
	step     int
	username string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if response == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough // the client sent the user name as an initial response
	case 1:
		l.step = 2
		l.username = string(response)
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.username, string(response))
	}
	return nil, false, errors.New("emailtest: unexpected LOGIN response")
}

// newCertificates makes a throwaway ECDSA CA and a server certificate it signs for 127.0.0.1, ::1
// and localhost.
func newCertificates(tb testing.TB) (*tls.Config, *x509.CertPool) {
	tb.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "emailtest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	serverTLS := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}
	return serverTLS, pool
}
