package email

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"sort"
	"strings"
	"unicode/utf8"
)

// Message is one email to one recipient.
type Message struct {
	// To is the recipient's address.
	To string
	// ToName is the recipient's display name; optional.
	ToName  string
	Subject string
	// Text is the plain-text part every message has.
	Text string
	// HTML, when set, is sent as the text/html alternative of Text.
	HTML string
	// Headers are extra header fields, e.g. List-Unsubscribe; optional. They cannot replace the
	// fields Send writes itself (From, To, Subject, Message-ID, Date, MIME and content fields).
	Headers map[string]string
}

// reservedHeaders are written by Send; a Message cannot set them through Headers.
var reservedHeaders = map[string]bool{
	"From": true, "Sender": true, "To": true, "Cc": true, "Bcc": true, "Subject": true,
	"Message-Id": true, "Date": true, "Return-Path": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Disposition": true,
}

// header is one extra header field.
type header struct{ name, value string }

// validMessage is a Message that passed validate, normalised.
type validMessage struct {
	to      mail.Address
	subject string
	text    string
	html    string
	headers []header
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// validate checks m and normalises it. Its errors wrap ErrInvalidMessage and never quote the
// recipient's address or the text.
func (m Message) validate() (validMessage, error) {
	var v validMessage
	to, err := mail.ParseAddress(strings.TrimSpace(m.To))
	if err != nil {
		return v, invalid("the recipient address is invalid")
	}
	v.to = *to
	if name := strings.TrimSpace(m.ToName); name != "" {
		v.to.Name = name
	}
	var errs []error
	v.subject = strings.TrimSpace(m.Subject)
	switch {
	case v.subject == "":
		errs = append(errs, invalid("the subject is empty"))
	case strings.ContainsAny(v.subject, "\r\n"):
		errs = append(errs, invalid("the subject has a line break"))
	}
	if strings.TrimSpace(m.Text) == "" {
		errs = append(errs, invalid("the text part is empty"))
	}
	for _, s := range []string{m.ToName, v.subject, m.Text, m.HTML} {
		if !utf8.ValidString(s) {
			errs = append(errs, invalid("the message is not valid UTF-8"))
			break
		}
	}
	v.text, v.html = m.Text, m.HTML
	seen := make(map[string]bool, len(m.Headers))
	for name, value := range m.Headers {
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !validHeaderName(name):
			errs = append(errs, invalid("header name %q is invalid", name))
		case reservedHeaders[canonical]:
			errs = append(errs, invalid("header %s is written by Send", canonical))
		case seen[canonical]:
			errs = append(errs, invalid("header %s is given twice", canonical))
		case strings.ContainsAny(value, "\r\n") || !utf8.ValidString(value):
			errs = append(errs, invalid("header %s has a line break or is not UTF-8", canonical))
		default:
			seen[canonical] = true
			v.headers = append(v.headers, header{name: name, value: value})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return validMessage{}, err
	}
	// Map order is random; a stable order makes messages reproducible.
	sort.Slice(v.headers, func(i, j int) bool { return v.headers[i].name < v.headers[j].name })
	return v, nil
}

// validHeaderName reports whether name is an RFC 5322 field name: printable ASCII without a colon.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < '!' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// newMessageID returns a fresh Message-ID without its angle brackets: random@domain, where random
// is 26 base32 characters (130 bits) from crypto/rand.
func newMessageID(domain string) string {
	return rand.Text() + "@" + domain
}

// messageIDDomain is the right-hand side of the Message-IDs for mail from the address from: its
// domain when that is plain ASCII, else "localhost".
func messageIDDomain(from string) string {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "localhost"
		}
	}
	if domain == "" {
		return "localhost"
	}
	return domain
}
