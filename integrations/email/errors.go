package email

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// ErrInvalidMessage reports a message Send refuses to send (an invalid recipient address, an empty
// text part, a header that would break the message, ...). Sending it again cannot succeed.
var ErrInvalidMessage = errors.New("email: invalid message")

// ErrSTARTTLSRequired reports a server that offers no STARTTLS while the TLS mode is "mandatory":
// a configuration problem (a wrong host or port, or a relay that needs TLS "none"), not the message's.
var ErrSTARTTLSRequired = errors.New(`email: STARTTLS is required (tls "mandatory") but the server does not offer it`)

// ErrInsecureAuth reports that the client would have had to send the credentials without TLS, and
// did not.
var ErrInsecureAuth = errors.New("email: refusing to authenticate without TLS")

// Error is a failed Send: the server it went to, the SMTP reply code that refused the message (0 when
// the failure was not an SMTP answer: a refused connection, a timeout, a TLS failure) and the cause.
// Its text names the server but never the password or the recipient.
type Error struct {
	// Addr is the server's host:port.
	Addr string
	// Code is the SMTP reply code, e.g. 550 or 451; 0 when there was none.
	Code int
	// Err is the cause.
	Err error

	text string
}

func (e *Error) Error() string {
	text := e.text
	if text == "" && e.Err != nil {
		text = e.Err.Error()
	}
	return fmt.Sprintf("email: smtp %s: %s", e.Addr, text)
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether sending the same message again cannot help: the server answered 5xx
// about the message (mailbox unavailable, address rejected, ...) or the message itself is invalid.
// Everything else — a refused connection, a timeout, a TLS failure, a 4xx answer, a missing
// STARTTLS, and a refused login (530, 535: our configuration, which an operator fixes, after which
// the retried jobs go through) — is worth retrying later.
func IsPermanent(err error) bool {
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.Code >= 500 && e.Code < 600 && e.Code != 530 && e.Code != 535
}

// sendError turns what go-mail returned into an *Error.
func sendError(addr string, err error) *Error {
	e := &Error{Addr: addr, Err: err}
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		e.Code = se.ErrorCode()
		if se.Reason == gomail.ErrSMTPRcptTo {
			// go-mail's text lists the recipient addresses, and servers usually quote them in
			// their answer: keep the code only, so the text can go to the delivery log.
			e.text = strings.TrimSpace(fmt.Sprintf("%s: %d %s", se.Reason, e.Code, se.EnhancedStatusCode()))
		}
	case errors.As(err, &te):
		e.Code = te.Code
	case isMissingSTARTTLS(err):
		e.Err = fmt.Errorf("%w: %w", ErrSTARTTLSRequired, err)
		e.text = `STARTTLS is required (tls "mandatory") but the server does not offer it; ` +
			`check the host and port, or use tls "none" only for a trusted local relay`
	}
	return e
}

// isMissingSTARTTLS recognises go-mail's error for a mandatory STARTTLS the server does not offer,
// which it does not export as a value.
func isMissingSTARTTLS(err error) bool {
	return strings.Contains(err.Error(), "does not support STARTTLS")
}
