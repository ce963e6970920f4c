package email_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"balance/integrations/email"
)

func TestLogSenderLogsInsteadOfSending(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := email.LogSender{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	m := confirmation()
	id, err := s.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@demo.invalid>") || id == id2 {
		t.Errorf("ids = %q, %q; want two different <...@demo.invalid>", id, id2)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want one per email: %s", len(lines), buf.String())
	}
	var rec struct {
		Level, Msg, To, Subject, Text string
		MessageID                     string `json:"message_id"`
		HasHTML                       bool   `json:"has_html"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Level != "INFO" || rec.Msg != "email (not sent: demo)" || rec.To != clientAddr || rec.Subject != subjectRU ||
		rec.Text != m.Text || rec.MessageID != id || !rec.HasHTML {
		t.Errorf("log record = %+v", rec)
	}

	buf.Reset()
	m.To = "not an address"
	if _, err := s.Send(t.Context(), m); !errors.Is(err, email.ErrInvalidMessage) {
		t.Errorf("invalid message: err = %v, want ErrInvalidMessage", err)
	}
	if buf.Len() != 0 {
		t.Errorf("an invalid message was logged: %s", buf.String())
	}
}

// Not parallel: it swaps the default logger.
func TestLogSenderWithoutLoggerUsesDefault(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	if _, err := (email.LogSender{}).Send(t.Context(), confirmation()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "email (not sent: demo)") {
		t.Errorf("default logger got %q", buf.String())
	}
}
