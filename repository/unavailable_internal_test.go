package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"balance/models"
)

// TestTranslateUnavailable: an unreachable, starting or stopping database is ErrUnavailable (a
// passing condition, answered 503), whichever driver says it; a canceled request is not.
func TestTranslateUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// Real errors from the real drivers.
	_, refused := Open(ctx, "postgres://postgres@127.0.0.1:1/balance?sslmode=disable&connect_timeout=5", Options{})
	if refused == nil {
		t.Fatal("a database on a closed port opened")
	}
	busy := sqliteBusy(t)

	tests := []struct {
		name        string
		in          error
		unavailable bool
	}{
		{"postgres refused", refused, true},
		{"sqlite busy", busy, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"connection does not exist", fmt.Errorf("query: %w", &pgconn.PgError{Code: "08003"}), true},
		{"network", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"bad connection", driver.ErrBadConn, true},
		{"closed connection", fmt.Errorf("rollback: %w", pgconn.ErrConnClosed), true},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), false},
		{"an HTTP call in a transaction", fmt.Errorf("create payment: %w", &url.Error{Op: "Post", URL: "https://api.example/v3",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}), false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"unique", &pgconn.PgError{Code: "23505"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"unknown", errors.New("unknown"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := translate(tt.in)
			if errors.Is(got, models.ErrUnavailable) != tt.unavailable {
				t.Fatalf("translate(%v) = %v, unavailable %v", tt.in, got, !tt.unavailable)
			}
			if tt.unavailable && !errors.Is(got, tt.in) {
				t.Errorf("translate(%v) = %v lost its cause", tt.in, got)
			}
		})
	}
}

// sqliteBusy returns the error SQLite gives a writer that finds the database locked by another
// one, without waiting (busy_timeout 0).
func sqliteBusy(t *testing.T) error {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := openSQLite(path, Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.SQL.BeginTx(ctx, nil) // immediate: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // only the lock matters
	impatient, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	_, err = impatient.BeginTx(ctx, nil)
	if err == nil {
		t.Fatal("a second writer got the lock")
	}
	return err
}
