package repository

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	gormlogger "gorm.io/gorm/logger"
)

// GORM's own messages (which can quote row data) are dropped; only slow statements are logged.
func TestSlowLoggerDropsGORMMessages(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := &slowLogger{log: slog.New(slog.NewTextHandler(&buf, nil)), threshold: 1}
	if got := l.LogMode(gormlogger.Info); got != l {
		t.Errorf("LogMode returned %v, want the same logger", got)
	}
	ctx := context.Background()
	l.Info(ctx, "record %v", "anna@example.org")
	l.Warn(ctx, "record %v", "anna@example.org")
	l.Error(ctx, "record %v", "anna@example.org")
	if buf.Len() != 0 {
		t.Errorf("logged %q, want nothing", buf.String())
	}
	sql, params := l.ParamsFilter(ctx, "SELECT * FROM users WHERE email = ?", "anna@example.org")
	if sql != "SELECT * FROM users WHERE email = ?" || params != nil {
		t.Errorf("ParamsFilter = %q, %v; want the SQL and no parameters", sql, params)
	}
}
