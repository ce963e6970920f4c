package repository_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// Throwaway tables that violate each kind of constraint on demand; the overlap guard is an
// exclusion constraint on PostgreSQL and an aborting trigger on SQLite, as for appointments.
var constraintFixtures = map[migrations.Dialect][]string{
	migrations.Postgres: {
		`CREATE TABLE t_uniq (k text UNIQUE)`,
		`CREATE TABLE t_parent (id integer PRIMARY KEY)`,
		`CREATE TABLE t_child (parent_id integer REFERENCES t_parent (id))`,
		`CREATE TABLE t_check (n integer CHECK (n > 0))`,
		`CREATE TABLE t_restrict_parent (id integer PRIMARY KEY)`,
		`CREATE TABLE t_restrict_child (parent_id integer REFERENCES t_restrict_parent (id) ON DELETE RESTRICT)`,
		`INSERT INTO t_restrict_parent (id) VALUES (7)`,
		`INSERT INTO t_restrict_child (parent_id) VALUES (7)`,
		`CREATE TABLE t_excl (r tstzrange, EXCLUDE USING gist (r WITH &&))`,
		`CREATE TABLE t_other_trigger (n integer)`,
		`CREATE FUNCTION t_other_trigger_abort() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN RAISE EXCEPTION 'something else'; END $$`,
		`CREATE TRIGGER t_other_trigger_abort BEFORE INSERT ON t_other_trigger
		 FOR EACH ROW EXECUTE FUNCTION t_other_trigger_abort()`,
	},
	migrations.SQLite: {
		`CREATE TABLE t_uniq (k text UNIQUE)`,
		`CREATE TABLE t_parent (id integer PRIMARY KEY)`,
		`CREATE TABLE t_child (parent_id integer REFERENCES t_parent (id))`,
		`CREATE TABLE t_check (n integer CHECK (n > 0))`,
		`CREATE TABLE t_restrict_parent (id integer PRIMARY KEY)`,
		`CREATE TABLE t_restrict_child (parent_id integer REFERENCES t_restrict_parent (id) ON DELETE RESTRICT)`,
		`INSERT INTO t_restrict_parent (id) VALUES (7)`,
		`INSERT INTO t_restrict_child (parent_id) VALUES (7)`,
		`CREATE TABLE t_excl (start_at text, end_at text)`,
		`CREATE TRIGGER t_excl_no_overlap BEFORE INSERT ON t_excl
		 WHEN EXISTS (SELECT 1 FROM t_excl WHERE start_at < NEW.end_at AND NEW.start_at < end_at)
		 BEGIN SELECT RAISE(ABORT, 'slot taken'); END`,
		`CREATE TABLE t_other_trigger (n integer)`,
		`CREATE TRIGGER t_other_trigger_abort BEFORE INSERT ON t_other_trigger
		 BEGIN SELECT RAISE(ABORT, 'something else'); END`,
	},
}

func TestTranslateDatabaseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup runs first and must succeed; violate must fail.
		setup   map[migrations.Dialect]string
		violate map[migrations.Dialect]string
		// kind is the domain error; nil means the driver error passes through untranslated.
		kind             error
		postgres, sqlite string // the constraint reported
	}{
		{
			name:     "unique",
			setup:    both(`INSERT INTO t_uniq (k) VALUES ('a')`),
			violate:  both(`INSERT INTO t_uniq (k) VALUES ('a')`),
			kind:     models.ErrConflict,
			postgres: "t_uniq_k_key", sqlite: "t_uniq.k",
		},
		{
			name:     "primary key",
			setup:    both(`INSERT INTO t_parent (id) VALUES (1)`),
			violate:  both(`INSERT INTO t_parent (id) VALUES (1)`),
			kind:     models.ErrConflict,
			postgres: "t_parent_pkey", sqlite: "t_parent.id",
		},
		{
			name:     "foreign key",
			violate:  both(`INSERT INTO t_child (parent_id) VALUES (42)`),
			kind:     models.ErrInvalidReference,
			postgres: "t_child_parent_id_fkey",
		},
		{
			name:     "delete restricted by a reference",
			violate:  both(`DELETE FROM t_restrict_parent WHERE id = 7`),
			kind:     models.ErrInvalidReference,
			postgres: "t_restrict_child_parent_id_fkey",
		},
		{
			name: "overlap",
			setup: map[migrations.Dialect]string{
				migrations.Postgres: `INSERT INTO t_excl (r) VALUES (tstzrange('2026-03-29 10:00Z', '2026-03-29 11:00Z'))`,
				migrations.SQLite:   `INSERT INTO t_excl VALUES ('2026-03-29 10:00', '2026-03-29 11:00')`,
			},
			violate: map[migrations.Dialect]string{
				migrations.Postgres: `INSERT INTO t_excl (r) VALUES (tstzrange('2026-03-29 10:30Z', '2026-03-29 11:30Z'))`,
				migrations.SQLite:   `INSERT INTO t_excl VALUES ('2026-03-29 10:30', '2026-03-29 11:30')`,
			},
			kind:     models.ErrSlotTaken,
			postgres: "t_excl_r_excl",
		},
		{
			name:    "check constraint passes through",
			violate: both(`INSERT INTO t_check (n) VALUES (0)`),
		},
		{
			name:    "other trigger abort passes through",
			violate: both(`INSERT INTO t_other_trigger (n) VALUES (1)`),
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		for _, stmt := range constraintFixtures[db.Dialect] {
			if err := db.Gorm.Exec(stmt).Error; err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if stmt := tt.setup[db.Dialect]; stmt != "" {
					if err := db.Gorm.Exec(stmt).Error; err != nil {
						t.Fatalf("setup: %v", err)
					}
				}
				raw := db.Gorm.Exec(tt.violate[db.Dialect]).Error
				if raw == nil {
					t.Fatal("the violating statement succeeded")
				}
				var ce *models.ConstraintError
				if errors.As(raw, &ce) {
					t.Fatalf("raw error %v is already translated", raw)
				}

				// InTx translates what its function returns (wrapped or not).
				for _, returned := range []error{raw, fmt.Errorf("context: %w", raw)} {
					err := db.InTx(ctx, func(context.Context) error { return returned })
					if tt.kind == nil {
						if err != returned {
							t.Errorf("err = %v (%T), want the original error unchanged", err, err)
						}
						continue
					}
					assertConstraint(t, err, tt.kind, byDialect(db, tt.postgres, tt.sqlite))
				}
			})
		}
	})
}

func both(stmt string) map[migrations.Dialect]string {
	return map[migrations.Dialect]string{migrations.Postgres: stmt, migrations.SQLite: stmt}
}

func TestInTxTranslatesOtherErrors(t *testing.T) {
	t.Parallel()
	unknown := errors.New("disk on fire")
	tests := []struct {
		name     string
		returned error
		check    func(t *testing.T, err error)
	}{
		{"nil", nil, func(t *testing.T, err error) {
			if err != nil {
				t.Errorf("err = %v, want nil", err)
			}
		}},
		{"record not found", gorm.ErrRecordNotFound, func(t *testing.T, err error) {
			if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		}},
		{"wrapped record not found", fmt.Errorf("load: %w", gorm.ErrRecordNotFound), func(t *testing.T, err error) {
			if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		}},
		{"unknown error", unknown, func(t *testing.T, err error) {
			if err != unknown {
				t.Errorf("err = %v, want the same error value", err)
			}
		}},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, func(t *testing.T, err error) {
			assertConstraint(t, err, models.ErrConflict, "40001")
		}},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, func(t *testing.T, err error) {
			assertConstraint(t, err, models.ErrConflict, "40P01")
		}},
		{"domain error from fn", models.ErrInvalidTransition, func(t *testing.T, err error) {
			if err != models.ErrInvalidTransition {
				t.Errorf("err = %v, want ErrInvalidTransition unchanged", err)
			}
		}},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.check(t, db.InTx(context.Background(), func(context.Context) error { return tt.returned }))
			})
		}
	})
}
