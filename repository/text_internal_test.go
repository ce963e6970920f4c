package repository

import (
	"context"
	"errors"
	"os"
	"testing"

	"balance/models"
)

// TestTranslateInvalidText: PostgreSQL's refusal of a NUL byte or of bytes that are not UTF-8 is
// ErrInvalidText (answered 422), not an unknown error (500). The edge refuses such text first;
// this is the backstop for any path that skips it.
func TestTranslateInvalidText(t *testing.T) {
	url := os.Getenv("BALANCE_TEST_POSTGRES_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	defer db.Close()
	for name, text := range map[string]string{"NUL": "a\x00b", "not UTF-8": "a\xffb"} {
		var out string
		err := db.Gorm.Raw("SELECT ?::text", text).Scan(&out).Error
		if err == nil {
			t.Fatalf("%s: PostgreSQL accepted %q", name, text)
		}
		if got := translate(err); !errors.Is(got, models.ErrInvalidText) {
			t.Errorf("%s: translate(%v) = %v, want ErrInvalidText", name, err, got)
		}
	}
}
