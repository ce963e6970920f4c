// Package testkit gives tests real databases (a fresh migrated PostgreSQL database cloned from a
// template, or a temporary SQLite file), a fake clock and an HTTP API client that validates every
// response against api/openapi.yaml.
package testkit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"balance/events"
	"balance/migrations"
	"balance/repository"
)

// DefaultPostgresURL is the server used when BALANCE_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresURL is the administrative URL of the test PostgreSQL server.
func PostgresURL() string {
	if u := os.Getenv("BALANCE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Dialects lists the databases every repository test runs against.
var Dialects = []migrations.Dialect{migrations.Postgres, migrations.SQLite}

// ForEachDB runs body once per dialect, each in its own parallel subtest with a fresh database.
func ForEachDB(t *testing.T, body func(t *testing.T, db *repository.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			body(t, NewDB(t, d))
		})
	}
}

// NewDB returns a fresh, migrated database of dialect d, removed when the test ends. Its P2
// fields are encrypted with Key.
func NewDB(t testing.TB, d migrations.Dialect) *repository.DB {
	t.Helper()
	var url string
	switch d {
	case migrations.Postgres:
		url = NewPostgresURL(t)
	case migrations.SQLite:
		url = NewSQLiteURL(t)
	default:
		t.Fatalf("unknown dialect %q", d)
	}
	db, err := repository.Open(context.Background(), url, repository.Options{MaxOpenConns: 4, Keys: KeyRing(t, Key(t))})
	if err != nil {
		t.Fatalf("open %s test database: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewSQLiteURL returns the URL of a migrated SQLite file in the test's temp dir: a copy of a
// template migrated once per schema version (migrating afresh for every test costs seconds).
func NewSQLiteURL(t testing.TB) string {
	t.Helper()
	tmpl, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("sqlite template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "balance.db")
	if err := copyFile(tmpl, path); err != nil {
		t.Fatalf("copy sqlite template: %v", err)
	}
	return "sqlite:" + path
}

var (
	sqliteOnce sync.Once
	sqlitePath string
	sqliteErr  error
)

// sqliteTemplate returns a migrated SQLite file shared by the test processes of one schema
// version: built under a temporary name, then renamed into place, so readers never see half of it.
func sqliteTemplate() (string, error) {
	sqliteOnce.Do(func() {
		sum, err := migrationsHash(migrations.SQLite)
		if err != nil {
			sqliteErr = err
			return
		}
		sqlitePath = filepath.Join(os.TempDir(), "balance_tmpl_"+sum+".db")
		defer func() {
			if sqliteErr == nil {
				sweepSQLite(sqlitePath)
			}
		}()
		if _, err := os.Stat(sqlitePath); err == nil {
			return
		}
		dir, err := os.MkdirTemp("", "balance_tmpl_build_*")
		if err != nil {
			sqliteErr = err
			return
		}
		defer os.RemoveAll(dir)
		build := filepath.Join(dir, "template.db")
		db, err := repository.Open(context.Background(), "sqlite:"+build, repository.Options{MaxOpenConns: 1})
		if err != nil {
			sqliteErr = err
			return
		}
		err = migrateAll(context.Background(), db)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			sqliteErr = fmt.Errorf("migrate: %w", err)
			return
		}
		sqliteErr = os.Rename(build, sqlitePath)
	})
	return sqlitePath, sqliteErr
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// NewPostgresURL creates a database cloned from the migrated template and drops it after the test.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	tmpl, err := template()
	if err != nil {
		t.Fatalf("postgres test template (is PostgreSQL running at %s? set BALANCE_TEST_POSTGRES_URL): %v",
			redact(PostgresURL()), err)
	}
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer admin.Close()
	name := "balance_test_" + strings.ReplaceAll(randomHex(8), "-", "")
	// Two clones of one template at the same instant can collide on the template's lock; retry.
	for attempt := 0; ; attempt++ {
		_, err = admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
		if err == nil || attempt == 20 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("clone template: %v", err)
	}
	if err := stampDatabase(ctx, admin, name); err != nil {
		t.Fatalf("stamp test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", PostgresURL())
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(PostgresURL(), name)
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// template returns the name of a database migrated to the current schema, creating it once per
// schema version. A PostgreSQL advisory lock keeps parallel test processes from building it twice.
func template() (string, error) {
	templateOnce.Do(func() { templateName, templateErr = buildTemplate() })
	return templateName, templateErr
}

func buildTemplate() (string, error) {
	ctx := context.Background()
	sum, err := migrationsHash(migrations.Postgres)
	if err != nil {
		return "", err
	}
	name := "balance_tmpl_" + sum
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7262001)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(7262001)") //nolint:errcheck // released with the connection anyway

	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	defer sweepPostgres(ctx, conn, name)
	if exists {
		return name, stampDatabase(ctx, conn, name)
	}
	build := name + "_build"
	// Builds run only under the lock this process holds: a build database left by a run killed
	// while building is no one's, and would make CREATE fail for good.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s", build)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s", build)); err != nil {
		return "", err
	}
	db, err := repository.Open(ctx, withDatabase(PostgresURL(), build), repository.Options{MaxOpenConns: 2})
	if err != nil {
		return "", err
	}
	err = migrateAll(ctx, db)
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", build, name)); err != nil {
		return "", err
	}
	return name, stampDatabase(ctx, conn, name)
}

// templateSalt is part of the template's fingerprint (2: River's schema joined the template).
const templateSalt = 2

// migrateAll applies Balance's migrations and River's job-queue schema, as `balance migrate up` does.
func migrateAll(ctx context.Context, db *repository.DB) error {
	m, err := db.Migrator(nil)
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	_, err = events.Migrate(ctx, db)
	return err
}

// migrationsHash fingerprints the migrations of dialect d and the River version, so a schema
// change builds a new template.
func migrationsHash(d migrations.Dialect) (string, error) {
	fsys, err := migrations.FS(d)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	// Bump templateSalt when the template's make-up changes in a way the files above do not show.
	fmt.Fprintf(h, "salt %d\n", templateSalt)
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/riverqueue/river" {
				fmt.Fprintf(h, "river %s", dep.Version)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// staleAfter is how long a test database or template may go unused before a test process that
// needs a template sweeps it away: a run killed before its cleanup leaves its databases behind,
// and every schema change leaves a template.
const staleAfter = 24 * time.Hour

// stampPrefix marks the comment that records when a test database was last taken into use.
const stampPrefix = "balance test database, used "

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// stampDatabase records that name is in use now.
func stampDatabase(ctx context.Context, db execer, name string) error {
	_, err := db.ExecContext(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS '%s%s'", name, stampPrefix, time.Now().UTC().Format(time.RFC3339)))
	return err
}

// sweepPostgres drops the test databases and templates (other than keep) that nobody has taken
// into use for staleAfter and that nobody is connected to, and stamps the unstamped ones as seen
// now. Failures are ignored: a database in use cannot be dropped, and that is the point.
func sweepPostgres(ctx context.Context, conn *sql.Conn, keep string) {
	rows, err := conn.QueryContext(ctx, `
		SELECT d.datname, COALESCE(shobj_description(d.oid, 'pg_database'), '')
		FROM pg_database d
		WHERE (d.datname LIKE 'balance\_tmpl\_%' OR d.datname LIKE 'balance\_test\_%') AND d.datname <> $1
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`, keep)
	if err != nil {
		return
	}
	var stale, unstamped []string
	for rows.Next() {
		var name, comment string
		if rows.Scan(&name, &comment) != nil {
			continue
		}
		if !strings.HasPrefix(comment, stampPrefix) {
			// Unstamped: a test database a moment old (stamped just after it is created), or one
			// made by a checkout whose code stamps nothing and that may be testing with it right
			// now. Nothing tells its age, so it counts as seen now and goes once it has been left
			// alone for staleAfter.
			unstamped = append(unstamped, name)
			continue
		}
		if used, err := time.Parse(time.RFC3339, strings.TrimPrefix(comment, stampPrefix)); err != nil || time.Since(used) > staleAfter {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		_, _ = conn.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s", name))
	}
	for _, name := range unstamped {
		_ = stampDatabase(ctx, conn, name)
	}
}

// sweepSQLite removes SQLite templates of other schema versions unused for staleAfter, and marks
// keep as used now.
func sweepSQLite(keep string) {
	now := time.Now()
	_ = os.Chtimes(keep, now, now)
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "balance_tmpl_*.db"))
	for _, f := range old {
		if info, err := os.Stat(f); err == nil && f != keep && now.Sub(info.ModTime()) > staleAfter {
			_ = os.Remove(f)
		}
	}
}
