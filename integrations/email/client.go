package email

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// Client sends email through one SMTP server. It is safe for concurrent use.
type Client struct {
	cfg    Config
	addr   string
	policy gomail.TLSPolicy
	// idDomain is the right-hand side of generated Message-IDs: the From address's domain.
	idDomain string
}

// New validates cfg, fills its defaults and returns a client. It does not connect.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	policy := gomail.TLSMandatory
	switch cfg.TLS {
	case TLSOpportunistic:
		policy = gomail.TLSOpportunistic
	case TLSNone:
		policy = gomail.NoTLS
	}
	return &Client{
		cfg:      cfg,
		addr:     net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		policy:   policy,
		idDomain: messageIDDomain(cfg.From),
	}, nil
}

// Send delivers m over a new connection and returns its Message-ID as written in the header,
// angle brackets included. Errors are *Error values (or wrap ErrInvalidMessage); see IsPermanent.
// Once the server has accepted the message, Send reports success even if closing the connection
// fails, so a retry does not send it twice. Cancelling ctx aborts the conversation.
func (c *Client) Send(ctx context.Context, m Message) (string, error) {
	v, err := m.validate()
	if err != nil {
		return "", err
	}
	msg := c.compose(v)
	if err := ctx.Err(); err != nil {
		return "", &Error{Addr: c.addr, Err: err}
	}

	// go-mail bounds the conversation by the timeout but only watches ctx while dialling: close the
	// connection when ctx ends so a cancelled job does not wait for a stalled server.
	var stop func() bool
	dial := func(dialCtx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(dialCtx, network, address)
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(c.cfg.Port),
		gomail.WithTimeout(c.cfg.Timeout),
		gomail.WithTLSPolicy(c.policy),
		gomail.WithTLSConfig(c.cfg.TLSConfig),
		gomail.WithDialContextFunc(dial),
	}
	if c.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuthCustom(&tlsOnlyAuth{
			username: c.cfg.Username, password: c.cfg.Password, host: c.cfg.Host,
		}))
	}
	mc, err := gomail.NewClient(c.cfg.Host, opts...)
	if err != nil {
		return "", &Error{Addr: c.addr, Err: err}
	}
	err = mc.DialAndSendWithContext(ctx, msg)
	if stop != nil {
		stop()
	}
	if err == nil || msg.IsDelivered() {
		return msg.GetMessageID(), nil
	}
	e := sendError(c.addr, err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		e.Err = fmt.Errorf("%w: %w", ctxErr, e.Err)
		if e.text != "" {
			e.text = ctxErr.Error() + ": " + e.text
		}
	}
	return "", e
}

// compose builds the MIME message: a quoted-printable UTF-8 text/plain part and, when there is
// HTML, a text/html alternative after it (multipart/alternative).
func (c *Client) compose(v validMessage) *gomail.Msg {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&mail.Address{Name: c.cfg.FromName, Address: c.cfg.From})
	msg.ToMailAddress(&v.to)
	msg.Subject(v.subject)
	msg.SetMessageIDWithValue(newMessageID(c.idDomain))
	msg.SetDate()
	for _, h := range v.headers {
		msg.SetGenHeader(gomail.Header(h.name), h.value)
	}
	msg.SetBodyString(gomail.TypeTextPlain, v.text)
	if v.html != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, v.html)
	}
	return msg
}

// tlsOnlyAuth authenticates with PLAIN, or with LOGIN when the server offers only that, and never
// on a connection without TLS: go-mail's own PLAIN and LOGIN would send the password in the clear
// to a server named localhost, and the TLS "opportunistic" mode may leave the connection plain.
type tlsOnlyAuth struct {
	username, password, host string
	mech                     gosmtp.Auth
}

func (a *tlsOnlyAuth) Start(server *gosmtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, ErrInsecureAuth
	}
	switch {
	case offers(server.Auth, "PLAIN"):
		a.mech = gosmtp.PlainAuth("", a.username, a.password, a.host, false)
	case offers(server.Auth, "LOGIN"):
		a.mech = gosmtp.LoginAuth(a.username, a.password, a.host, false)
	default:
		return "", nil, fmt.Errorf("the server offers neither AUTH PLAIN nor LOGIN (it offers %q)",
			strings.Join(server.Auth, " "))
	}
	return a.mech.Start(server)
}

func (a *tlsOnlyAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.mech.Next(fromServer, more)
}

func offers(mechanisms []string, name string) bool {
	for _, m := range mechanisms {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}
