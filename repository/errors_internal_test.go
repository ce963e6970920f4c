package repository

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"balance/models"
)

func TestSQLiteConstraint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg, want string
	}{
		{"constraint failed: UNIQUE constraint failed: users.email (2067)", "users.email"},
		{"constraint failed: UNIQUE constraint failed: user_roles.user_id, user_roles.role (1555)", "user_roles.user_id, user_roles.role"},
		{"UNIQUE constraint failed: users.email", "users.email"},
		{"constraint failed: FOREIGN KEY constraint failed (787)", "FOREIGN KEY constraint failed"},
		{"database is locked (5)", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := sqliteConstraint(tt.msg); got != tt.want {
			t.Errorf("sqliteConstraint(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	unknown := errors.New("unknown")
	otherPG := &pgconn.PgError{Code: "23514", ConstraintName: "t_check"}
	tests := []struct {
		name           string
		in             error
		want           error // compared with ==, unless kind is set
		kind           error
		wantConstraint string
	}{
		{name: "nil", in: nil, want: nil},
		{name: "record not found", in: gorm.ErrRecordNotFound, want: models.ErrNotFound},
		{name: "unknown", in: unknown, want: unknown},
		{name: "unknown postgres code", in: otherPG, want: otherPG},
		{name: "unique", in: &pgconn.PgError{Code: "23505", ConstraintName: "users_email_key"}, kind: models.ErrConflict, wantConstraint: "users_email_key"},
		{name: "foreign key", in: &pgconn.PgError{Code: "23503", ConstraintName: "sessions_user_id_fkey"}, kind: models.ErrInvalidReference, wantConstraint: "sessions_user_id_fkey"},
		{name: "exclusion", in: &pgconn.PgError{Code: "23P01", ConstraintName: "appointments_no_overlap"}, kind: models.ErrSlotTaken, wantConstraint: "appointments_no_overlap"},
		{name: "serialization failure", in: &pgconn.PgError{Code: "40001"}, kind: models.ErrConflict, wantConstraint: "40001"},
		{name: "deadlock", in: &pgconn.PgError{Code: "40P01"}, kind: models.ErrConflict, wantConstraint: "40P01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := translate(tt.in)
			if tt.kind == nil {
				if got != tt.want {
					t.Errorf("translate(%v) = %v, want %v", tt.in, got, tt.want)
				}
				return
			}
			var ce *models.ConstraintError
			if !errors.As(got, &ce) || !errors.Is(got, tt.kind) || ce.Constraint != tt.wantConstraint {
				t.Errorf("translate(%v) = %#v, want kind %v constraint %q", tt.in, got, tt.kind, tt.wantConstraint)
			}
		})
	}
}

// TestTranslateSQLiteDriverErrors feeds translate real modernc errors from a bare SQLite file.
func TestTranslateSQLiteDriverErrors(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	for _, stmt := range []string{
		`CREATE TABLE p (id integer PRIMARY KEY, k text UNIQUE)`,
		`CREATE TABLE c (p_id integer REFERENCES p (id))`,
		`CREATE TABLE slots (n integer)`,
		`CREATE TRIGGER slots_guard BEFORE INSERT ON slots WHEN NEW.n = 1 BEGIN SELECT RAISE(ABORT, 'slot taken'); END`,
		`CREATE TRIGGER slots_other BEFORE INSERT ON slots WHEN NEW.n = 2 BEGIN SELECT RAISE(ABORT, 'nope'); END`,
		`INSERT INTO p VALUES (1, 'a')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	tests := []struct {
		stmt           string
		kind           error // nil: passes through
		wantConstraint string
	}{
		{`INSERT INTO p VALUES (2, 'a')`, models.ErrConflict, "p.k"},
		{`INSERT INTO p VALUES (1, 'b')`, models.ErrConflict, "p.id"},
		{`INSERT INTO c VALUES (9)`, models.ErrInvalidReference, ""},
		{`INSERT INTO slots VALUES (1)`, models.ErrSlotTaken, ""},
		{`INSERT INTO slots VALUES (2)`, nil, ""},
		{`INSERT INTO nowhere VALUES (1)`, nil, ""},
	}
	for _, tt := range tests {
		_, raw := db.Exec(tt.stmt)
		if raw == nil {
			t.Fatalf("%s succeeded", tt.stmt)
		}
		got := translate(raw)
		if tt.kind == nil {
			if got != raw {
				t.Errorf("%s: translate = %v, want the driver error unchanged", tt.stmt, got)
			}
			continue
		}
		var ce *models.ConstraintError
		if !errors.As(got, &ce) || !errors.Is(got, tt.kind) || ce.Constraint != tt.wantConstraint {
			t.Errorf("%s: translate(%v) = %#v, want kind %v constraint %q", tt.stmt, raw, got, tt.kind, tt.wantConstraint)
		}
	}
}
