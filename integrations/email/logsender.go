package email

import (
	"context"
	"log/slog"
)

// LogSender stands in for SMTP in the demo: Send writes the email to the log instead of sending it.
// It validates the message as Client does, so a message the demo accepts would also be sent.
type LogSender struct {
	// Log receives one info line per email; slog.Default() when nil.
	Log *slog.Logger
}

// Send logs m's recipient, subject and text body and returns a generated Message-ID.
func (s LogSender) Send(ctx context.Context, m Message) (string, error) {
	v, err := m.validate()
	if err != nil {
		return "", err
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	id := "<" + newMessageID("demo.invalid") + ">"
	log.InfoContext(ctx, "email (not sent: demo)",
		slog.String("to", v.to.Address),
		slog.String("subject", v.subject),
		slog.String("text", v.text),
		slog.Bool("has_html", v.html != ""),
		slog.String("message_id", id),
	)
	return id, nil
}
