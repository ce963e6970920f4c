package migrations_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/repository" // also registers the "pgx" and "sqlite" database/sql drivers
)

var dialects = []migrations.Dialect{migrations.Postgres, migrations.SQLite}

// appTables are the tables of every registered model: the migrations must create exactly these
// (plus goose's bookkeeping), and rolling everything back must leave none of them.
func appTables(t *testing.T, db *repository.DB) []string {
	t.Helper()
	var out []string
	for _, m := range repository.Models() {
		stmt := &gorm.Statement{DB: db.Gorm}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(out, stmt.Schema.Table) {
			out = append(out, stmt.Schema.Table)
		}
	}
	slices.Sort(out)
	return out
}

// sqlFiles lists the migration files of d, in version order.
func sqlFiles(t *testing.T, d migrations.Dialect) []string {
	t.Helper()
	fsys, err := migrations.FS(d)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no %s migrations", d)
	}
	slices.Sort(names)
	return names
}

// emptyDatabase returns the URL of a new database without any schema, dropped after the test.
func emptyDatabase(t *testing.T, d migrations.Dialect) string {
	t.Helper()
	if d == migrations.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "balance.db")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "balance_migrations_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database (is PostgreSQL running?): %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", testkit.PostgresURL())
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// open connects to url with its own pool, closed after the test.
func open(t *testing.T, url string) *repository.DB {
	t.Helper()
	db, err := repository.Open(context.Background(), url, repository.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tables lists the tables that exist, except goose's version table and SQLite's own.
func tables(t *testing.T, db *repository.DB) []string {
	t.Helper()
	return relations(t, db, "BASE TABLE", "table")
}

// views lists the views of the database (staff, over users and their roles).
func views(t *testing.T, db *repository.DB) []string {
	t.Helper()
	return relations(t, db, "VIEW", "view")
}

func relations(t *testing.T, db *repository.DB, pgType, sqliteType string) []string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = '` + pgType + `'`
	if db.Dialect == migrations.SQLite {
		// pragma_table_list tells a full-text search (virtual) table and its shadow tables from
		// plain tables: they belong to the migrations, not to a model.
		q = `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = '` + sqliteType + `'`
	}
	rows, err := db.SQL.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != "goose_db_version" && !strings.HasPrefix(n, "sqlite_") {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestFS(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fsys, err := migrations.FS(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range sqlFiles(t, d) {
				b, err := fs.ReadFile(fsys, name)
				if err != nil {
					t.Fatal(err)
				}
				for _, marker := range []string{"-- +goose Up", "-- +goose Down"} {
					if !bytes.Contains(b, []byte(marker)) {
						t.Errorf("%s/%s lacks %q", d, name, marker)
					}
				}
			}
		})
	}
	t.Run("invalid folder name", func(t *testing.T) {
		t.Parallel()
		if _, err := migrations.FS("../postgres"); err == nil {
			t.Error("FS accepted a path outside the embedded tree")
		}
	})
	t.Run("unknown dialect has no files", func(t *testing.T) {
		t.Parallel()
		fsys, err := migrations.FS("mysql")
		if err != nil {
			return
		}
		if names, _ := fs.Glob(fsys, "*.sql"); len(names) != 0 {
			t.Errorf("mysql migrations: %v", names)
		}
	})
}

// Every schema version exists for both dialects, so a deployment can switch databases.
func TestDialectFoldersHaveTheSameVersions(t *testing.T) {
	t.Parallel()
	pg, lite := sqlFiles(t, migrations.Postgres), sqlFiles(t, migrations.SQLite)
	if !slices.Equal(pg, lite) {
		t.Errorf("postgres %v, sqlite %v: want the same files", pg, lite)
	}
	for _, name := range pg {
		if _, err := goose.NumericComponent(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tests := []struct {
		name    string
		db      *sql.DB
		dialect migrations.Dialect
		wantErr string
	}{
		{"unknown dialect", db, "mysql", `unknown dialect "mysql"`},
		{"empty dialect", db, "", "invalid argument"},
		{"path as dialect", db, "../sqlite", "invalid argument"},
		{"no database", nil, migrations.SQLite, "migrations:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := migrations.New(tt.db, tt.dialect)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New = %v, %v; want an error mentioning %q", m, err, tt.wantErr)
			}
		})
	}
}

func TestUpDownStatus(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			files := sqlFiles(t, d)
			db := open(t, emptyDatabase(t, d))
			var logs bytes.Buffer
			opts := []migrations.Option{migrations.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
			if d == migrations.SQLite {
				opts = append(opts, migrations.WithLockFile(db.Path+".lock"))
			}
			m, err := migrations.New(db.SQL, d, opts...)
			if err != nil {
				t.Fatal(err)
			}

			assertPending(t, m, true)
			assertStatus(t, m, files, len(files)) // all pending
			if got := tables(t, db); len(got) != 0 {
				t.Fatalf("empty database has %v", got)
			}

			// Up applies every file, in order.
			res, err := m.Up(ctx)
			if err != nil {
				t.Fatalf("Up: %v", err)
			}
			assertResults(t, res, files, "up")
			assertPending(t, m, false)
			assertStatus(t, m, files, 0)
			if got, want := tables(t, db), appTables(t, db); !slices.Equal(got, want) {
				t.Errorf("tables after Up = %v, want %v", got, want)
			}
			if got := views(t, db); !slices.Equal(got, []string{"staff"}) {
				t.Errorf("views after Up = %v, want [staff]", got)
			}
			for _, f := range files {
				if !strings.Contains(logs.String(), f) {
					t.Errorf("log does not mention %s:\n%s", f, logs.String())
				}
			}

			// Up again has nothing to do.
			if res, err := m.Up(ctx); err != nil || len(res) != 0 {
				t.Errorf("second Up = %v, %v; want nothing applied", res, err)
			}

			// Down rolls back the newest only.
			down, err := m.Down(ctx)
			if err != nil {
				t.Fatalf("Down: %v", err)
			}
			assertResults(t, []*goose.MigrationResult{down}, files[len(files)-1:], "down")
			assertPending(t, m, true)
			assertStatus(t, m, files, 1)

			// ... and then the rest; the Down sections leave no table behind.
			for i := len(files) - 2; i >= 0; i-- {
				down, err := m.Down(ctx)
				if err != nil {
					t.Fatalf("Down to before %s: %v", files[i], err)
				}
				assertResults(t, []*goose.MigrationResult{down}, files[i:i+1], "down")
			}
			assertStatus(t, m, files, len(files))
			if got := slices.Concat(tables(t, db), views(t, db)); len(got) != 0 {
				t.Errorf("tables and views after rolling everything back: %v", got)
			}
			if _, err := m.Down(ctx); err == nil {
				t.Error("Down with nothing applied succeeded")
			}

			// Up again works.
			res, err = m.Up(ctx)
			if err != nil {
				t.Fatalf("Up after Down: %v", err)
			}
			assertResults(t, res, files, "up")
			assertPending(t, m, false)
		})
	}
}

func assertPending(t *testing.T, m *migrations.Migrator, want bool) {
	t.Helper()
	got, err := m.Pending(context.Background())
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	if got != want {
		t.Errorf("Pending = %v, want %v", got, want)
	}
}

// assertStatus checks Status lists every file, the last pending of them not applied.
func assertStatus(t *testing.T, m *migrations.Migrator, files []string, pending int) {
	t.Helper()
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if len(st) != len(files) {
		t.Fatalf("Status lists %d migrations, want %d", len(st), len(files))
	}
	for i, s := range st {
		if base := filepath.Base(s.Source.Path); base != files[i] {
			t.Errorf("status[%d] = %s, want %s", i, base, files[i])
		}
		want := goose.StateApplied
		if i >= len(files)-pending {
			want = goose.StatePending
		}
		if s.State != want {
			t.Errorf("%s: state %s, want %s", files[i], s.State, want)
		}
		if (s.State == goose.StateApplied) == s.AppliedAt.IsZero() {
			t.Errorf("%s: state %s, applied at %v", files[i], s.State, s.AppliedAt)
		}
	}
}

func assertResults(t *testing.T, res []*goose.MigrationResult, files []string, direction string) {
	t.Helper()
	if len(res) != len(files) {
		t.Fatalf("%d results, want %d (%v)", len(res), len(files), files)
	}
	for i, r := range res {
		if r.Error != nil || r.Direction != direction || filepath.Base(r.Source.Path) != files[i] {
			t.Errorf("result[%d] = %s %s err %v, want %s %s", i, r.Direction, r.Source.Path, r.Error, direction, files[i])
		}
	}
}

// appliedVersions reads goose's version table: each version must be recorded once.
func appliedVersions(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query(`SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Instances that start together must not apply a migration twice: SQLite serializes them with a
// lock file, PostgreSQL with an advisory lock.
func TestConcurrentUp(t *testing.T) {
	t.Parallel()
	const instances = 3
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			files := sqlFiles(t, d)
			url := emptyDatabase(t, d)
			var ms []*migrations.Migrator
			var first *repository.DB
			for range instances {
				db := open(t, url) // a pool of its own, as another process would have
				if first == nil {
					first = db
				}
				m, err := db.Migrator(nil)
				if err != nil {
					t.Fatal(err)
				}
				ms = append(ms, m)
			}

			start := make(chan struct{})
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				applied int
				errs    []error
			)
			for _, m := range ms {
				wg.Go(func() {
					<-start
					res, err := m.Up(context.Background())
					mu.Lock()
					defer mu.Unlock()
					applied += len(res)
					if err != nil {
						errs = append(errs, err)
					}
				})
			}
			close(start)
			wg.Wait()

			if len(errs) > 0 {
				t.Fatalf("concurrent Up: %v", errors.Join(errs...))
			}
			if applied != len(files) {
				t.Errorf("%d migrations applied in all, want %d (each once)", applied, len(files))
			}
			versions := appliedVersions(t, first.SQL)
			if len(versions) != len(files) || len(slices.Compact(slices.Clone(versions))) != len(versions) {
				t.Errorf("recorded versions %v, want each of %d once", versions, len(files))
			}
			assertPending(t, ms[0], false)
		})
	}
}

// The lock file really excludes: while another process holds it, Up waits (here until its
// context ends) and applies nothing.
func TestSQLiteLockFileBlocksUp(t *testing.T) {
	t.Parallel()
	db := open(t, emptyDatabase(t, migrations.SQLite))
	lockPath := db.Path + ".migrate.lock"
	m, err := db.Migrator(nil)
	if err != nil {
		t.Fatal(err)
	}

	holder, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := m.Up(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Up while locked = %v, %v; want it to wait until the context ends", res, err)
	}
	if !strings.Contains(err.Error(), "wait for migration lock") {
		t.Errorf("err = %v, want it to say it waited for the lock", err)
	}
	assertPending(t, m, true)
	if got := tables(t, db); len(got) != 0 {
		t.Errorf("tables created while locked: %v", got)
	}

	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatalf("Up after the lock was released: %v", err)
	}
	assertPending(t, m, false)
	// Up released the lock: another holder can take it at once.
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Errorf("lock still held after Up: %v", err)
	}
}

func TestMigratorErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("lock file cannot be created", func(t *testing.T) {
		t.Parallel()
		db := open(t, emptyDatabase(t, migrations.SQLite))
		m, err := migrations.New(db.SQL, migrations.SQLite, migrations.WithLockFile(filepath.Join(t.TempDir(), "missing", "x.lock")))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(ctx); err == nil || !strings.Contains(err.Error(), "open migration lock") {
			t.Errorf("Up = %v, want the lock file error", err)
		}
		if got := tables(t, db); len(got) != 0 {
			t.Errorf("tables created without the lock: %v", got)
		}
	})

	for _, d := range dialects {
		t.Run("closed "+string(d)+" database", func(t *testing.T) {
			t.Parallel()
			db := open(t, emptyDatabase(t, d))
			m, err := db.Migrator(nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			calls := map[string]func() error{
				"Up":      func() error { _, err := m.Up(ctx); return err },
				"Down":    func() error { _, err := m.Down(ctx); return err },
				"Status":  func() error { _, err := m.Status(ctx); return err },
				"Pending": func() error { _, err := m.Pending(ctx); return err },
			}
			for name, call := range calls {
				if err := call(); err == nil {
					t.Errorf("%s on a closed database succeeded", name)
				} else if name != "Pending" && !strings.Contains(err.Error(), "migrate "+strings.ToLower(name)) {
					t.Errorf("%s: err = %v, want it to say %q", name, err, fmt.Sprintf("migrate %s", strings.ToLower(name)))
				}
			}
		})
	}
}
