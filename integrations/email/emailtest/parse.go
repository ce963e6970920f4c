package emailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parsed is a received message decoded for assertions.
type Parsed struct {
	Header mail.Header
	// Subject is the Subject header with RFC 2047 encoded words decoded.
	Subject string
	From    *mail.Address
	To      []*mail.Address
	// MediaType is the top-level media type, e.g. "multipart/alternative" or "text/plain".
	MediaType string
	// Text and HTML are the decoded text/plain and text/html bodies ("" when absent), with CRLF
	// line ends turned into LF.
	Text, HTML string
}

// Parse decodes the message: headers, a single text part or a multipart of text parts, each in the
// charset UTF-8 (or US-ASCII) and the transfer encoding it declares.
func (m Message) Parse() (Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Parsed{}, fmt.Errorf("subject: %w", err)
	}
	if p.From, err = mail.ParseAddress(msg.Header.Get("From")); err != nil {
		return Parsed{}, fmt.Errorf("from: %w", err)
	}
	if p.To, err = msg.Header.AddressList("To"); err != nil {
		return Parsed{}, fmt.Errorf("to: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return Parsed{}, fmt.Errorf("content type: %w", err)
	}
	p.MediaType = mediaType
	if !strings.HasPrefix(mediaType, "multipart/") {
		err = p.addPart(mediaType, params, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return p, err
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		if err != nil {
			return Parsed{}, err
		}
		partType, partParams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			return Parsed{}, fmt.Errorf("part content type: %w", err)
		}
		if err := p.addPart(partType, partParams, part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
			return Parsed{}, err
		}
	}
}

func (p *Parsed) addPart(mediaType string, params map[string]string, encoding string, body io.Reader) error {
	if cs := strings.ToLower(params["charset"]); cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("%s part: charset %q, want UTF-8", mediaType, params["charset"])
	}
	text, err := decodeBody(encoding, body)
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	switch mediaType {
	case "text/plain":
		p.Text = text
	case "text/html":
		p.HTML = text
	default:
		return fmt.Errorf("unexpected part %s", mediaType)
	}
	return nil
}

func decodeBody(encoding string, body io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // it skips line breaks
	case "", "7bit", "8bit":
	default:
		return "", fmt.Errorf("unexpected transfer encoding %q", encoding)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}
