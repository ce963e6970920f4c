package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSweepDropsStaleTestDatabases: test databases and templates unused for staleAfter are
// dropped; fresh ones, connected ones and the template in use are kept, and so are unstamped ones
// (made by a checkout whose code stamps nothing, which may be testing with them right now): they
// are stamped, so that they go once they have been left alone for staleAfter.
func TestSweepDropsStaleTestDatabases(t *testing.T) {
	if staleAfter < 24*time.Hour {
		t.Errorf("staleAfter = %s: a template of another checkout must be left alone for a day", staleAfter)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() }) // after the databases are dropped: cleanups run last-in first-out
	suffix := randomHex(6)
	names := map[string]string{
		"stale":     "balance_test_sweep_stale_" + suffix,
		"unstamped": "balance_tmpl_sweep_unstamped_" + suffix,
		"fresh":     "balance_test_sweep_fresh_" + suffix,
		"kept":      "balance_tmpl_sweep_kept_" + suffix,
		"busy":      "balance_test_sweep_busy_" + suffix,
		"new":       "balance_test_sweep_new_" + suffix,
	}
	// Registered before the drops, so it runs after them: the test leaves no database behind.
	t.Cleanup(func() {
		for _, n := range names {
			var exists bool
			if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", n).Scan(&exists); err != nil || exists {
				t.Errorf("database %s left behind (%v)", n, err)
			}
		}
	})
	for _, n := range names {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+n); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)") }) //nolint:errcheck
	}
	old := time.Now().Add(-staleAfter - time.Hour).UTC().Format(time.RFC3339)
	for _, k := range []string{"stale", "kept", "busy"} {
		if _, err := admin.ExecContext(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS '%s%s'", names[k], stampPrefix, old)); err != nil {
			t.Fatal(err)
		}
	}
	if err := stampDatabase(ctx, admin, names["fresh"]); err != nil {
		t.Fatal(err)
	}
	busy, err := sql.Open("pgx", withDatabase(PostgresURL(), names["busy"]))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if err := busy.PingContext(ctx); err != nil {
		t.Fatal(err)
	}

	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sweepPostgres(ctx, conn, names["kept"])
	conn.Close()

	for k, want := range map[string]bool{"stale": false, "unstamped": true, "fresh": true, "kept": true, "busy": true, "new": true} {
		var exists bool
		if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", names[k]).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != want {
			t.Errorf("%s database exists = %v, want %v", k, exists, want)
		}
	}
	for _, k := range []string{"unstamped", "new"} {
		var comment string
		if err := admin.QueryRowContext(ctx, "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1", names[k]).Scan(&comment); err != nil {
			t.Fatal(err)
		}
		used, err := time.Parse(time.RFC3339, strings.TrimPrefix(comment, stampPrefix))
		if !strings.HasPrefix(comment, stampPrefix) || err != nil || time.Since(used) > time.Minute {
			t.Errorf("%s database: comment %q; want it stamped as seen now", k, comment)
		}
	}
}

func TestSweepSQLiteTemplates(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	old := time.Now().Add(-staleAfter - time.Hour)
	files := map[string]string{}
	for _, k := range []string{"stale", "fresh", "kept"} {
		files[k] = filepath.Join(dir, "balance_tmpl_"+k+".db")
		if err := os.WriteFile(files[k], nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"stale", "kept"} {
		if err := os.Chtimes(files[k], old, old); err != nil {
			t.Fatal(err)
		}
	}
	sweepSQLite(files["kept"])
	for k, want := range map[string]bool{"stale": false, "fresh": true, "kept": true} {
		_, err := os.Stat(files[k])
		if (err == nil) != want {
			t.Errorf("%s template exists = %v, want %v", k, err == nil, want)
		}
	}
	if info, err := os.Stat(files["kept"]); err != nil || time.Since(info.ModTime()) > time.Minute {
		t.Errorf("the template in use was not marked used: %v", err)
	}
}
