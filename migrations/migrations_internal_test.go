package migrations

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestStatementsAtDebug(t *testing.T) {
	t.Parallel()
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf bytes.Buffer
		log := slog.New(statementsAtDebug{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})}).With("logger", "goose")
		log.InfoContext(context.Background(), "executing statement", "statement", "CREATE TABLE x")
		log.InfoContext(context.Background(), "migration completed", "source", "00001_identity.sql")
		out := buf.String()
		if !strings.Contains(out, "migration completed") {
			t.Errorf("level %v: the per-migration line is gone: %s", level, out)
		}
		if got := strings.Contains(out, "CREATE TABLE x"); got != (level == slog.LevelDebug) {
			t.Errorf("level %v: statement logged = %v\\n%s", level, got, out)
		}
		if level == slog.LevelDebug && !strings.Contains(out, "level=DEBUG") {
			t.Errorf("statement not demoted to debug: %s", out)
		}
	}
}
