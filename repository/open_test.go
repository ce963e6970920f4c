package repository_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

func TestOpenRejectsURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, wantErr string
	}{
		{"empty", "", "unsupported URL scheme"},
		{"mysql", "mysql://root@localhost/balance", "unsupported URL scheme"},
		{"bare path", "/var/lib/balance.db", "unsupported URL scheme"},
		{"file URL", "file:/tmp/balance.db", "unsupported URL scheme"},
		{"postgres look-alike", "postgresx://localhost/balance", "unsupported URL scheme"},
		{"unparseable postgres URL", "postgres://postgres@127.0.0.1:notaport/balance", "open postgres"},
		{"unreachable postgres", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", "127.0.0.1:1"},
		{"sqlite folder under a file", "sqlite:" + filepath.Join(regularFile(t), "sub", "balance.db"), "open sqlite"},
		{"sqlite path is a folder", "sqlite:" + t.TempDir(), "open sqlite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := repository.Open(context.Background(), tt.url, repository.Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// Open pings with the caller's context: a caller that gave up gets an error and no pool.
func TestOpenCanceledContext(t *testing.T) {
	t.Parallel()
	urls := map[string]string{
		"postgres": testkit.NewPostgresURL(t),
		"sqlite":   "sqlite:" + filepath.Join(t.TempDir(), "balance.db"),
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			db, err := repository.Open(ctx, url, repository.Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded with a canceled context")
			}
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "ping "+name) {
				t.Errorf("err = %v, want a canceled ping of %s", err, name)
			}
		})
	}
}

func regularFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenPostgresMissingDatabase(t *testing.T) {
	t.Parallel()
	url := strings.Replace(testkit.NewPostgresURL(t), "/balance_test_", "/balance_missing_", 1)
	db, err := repository.Open(context.Background(), url, repository.Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open of a database that does not exist succeeded")
	}
}

func TestSQLitePath(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, want string }{
		{"sqlite:balance.db", "balance.db"},
		{"sqlite:data/balance.db", "data/balance.db"},
		{"sqlite:/var/lib/balance/balance.db", "/var/lib/balance/balance.db"},
		{"sqlite://data/balance.db", "data/balance.db"},
		{"sqlite:///var/lib/balance.db", "/var/lib/balance.db"},
	}
	for _, tt := range tests {
		if got := repository.SQLitePath(tt.url); got != tt.want {
			t.Errorf("SQLitePath(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestOpenSQLiteCreatesFolders(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a", "b", "c", "balance.db")
	db, err := repository.Open(context.Background(), "sqlite:"+path, repository.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if db.Dialect != migrations.SQLite || db.Path != path {
		t.Errorf("dialect %q path %q, want sqlite %q", db.Dialect, db.Path, path)
	}
	// A write makes SQLite create the file.
	if err := db.Gorm.Exec("CREATE TABLE t (n integer)").Error; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

// Every pooled connection must carry the pragmas, not just the first one.
func TestOpenSQLitePragmasOnEveryConnection(t *testing.T) {
	t.Parallel()
	db, err := repository.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "balance.db"), repository.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	pragmas := []struct{ name, want string }{
		{"foreign_keys", "1"},
		{"journal_mode", "wal"},
		{"busy_timeout", "10000"},
	}
	const conns = 4 // held at once, so they are distinct connections
	for i := range conns {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, p := range pragmas {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
				t.Fatalf("conn %d: PRAGMA %s: %v", i, p.name, err)
			}
			if got != p.want {
				t.Errorf("conn %d: PRAGMA %s = %q, want %q", i, p.name, got, p.want)
			}
		}
	}
}

func TestOpenPostgresURLForms(t *testing.T) {
	t.Parallel()
	url := testkit.NewPostgresURL(t)
	for _, u := range []string{url, strings.Replace(url, "postgres://", "postgresql://", 1)} {
		db, err := repository.Open(context.Background(), u, repository.Options{})
		if err != nil {
			t.Fatalf("Open(%s): %v", u, err)
		}
		if db.Dialect != migrations.Postgres || db.Path != "" {
			t.Errorf("dialect %q path %q, want postgres and no path", db.Dialect, db.Path)
		}
		db.Close()
	}
}

func TestPingAndClose(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		if err := db.Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		err := db.Ping(context.Background())
		if err == nil || !strings.Contains(err.Error(), string(db.Dialect)) {
			t.Errorf("Ping after Close: err = %v, want an error naming %s", err, db.Dialect)
		}
	})
}

func TestDBMigratorIsUpToDate(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		m, err := db.Migrator(slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		pending, err := m.Pending(context.Background())
		if err != nil || pending {
			t.Errorf("Pending = %v, %v; want false on a migrated database", pending, err)
		}
	})
}

func TestSlowQueryLog(t *testing.T) {
	t.Parallel()
	urls := map[migrations.Dialect]func(testing.TB) string{
		migrations.Postgres: testkit.NewPostgresURL,
		migrations.SQLite:   testkit.NewSQLiteURL,
	}
	tests := []struct {
		name      string
		threshold time.Duration
		wantLogs  bool
	}{
		{"disabled", 0, false},
		{"nothing is that slow", time.Hour, false},
		{"everything is slow", time.Nanosecond, true},
	}
	for dialect, newURL := range urls {
		for _, tt := range tests {
			t.Run(string(dialect)+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var buf testkit.Buffer
				db, err := repository.Open(context.Background(), newURL(t), repository.Options{
					Logger:    slog.New(slog.NewJSONHandler(&buf, nil)),
					SlowQuery: tt.threshold,
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				ctx := context.Background()
				users := repository.NewUsers(db)
				u := newStaff(t, t0)
				secret := "+79995550123"
				u.Phone = ptr(models.Phone(secret))
				if err := users.Create(ctx, u); err != nil {
					t.Fatal(err)
				}
				afterCreate := len(buf.JSONLines(t))
				if _, err := users.ByEmail(ctx, "ghost@example.org"); err == nil {
					t.Fatal("found a ghost")
				}
				afterMiss := len(buf.JSONLines(t))
				if _, err := users.ByEmail(ctx, *u.Email); err != nil {
					t.Fatal(err)
				}
				records := buf.JSONLines(t)

				if !tt.wantLogs {
					if len(records) != 0 {
						t.Fatalf("logged %d records, want none: %v", len(records), records)
					}
					return
				}
				if afterCreate == 0 || len(records) <= afterMiss {
					t.Errorf("records: %d after create, %d after the miss, %d at the end; want growth on create and find", afterCreate, afterMiss, len(records))
				}
				if afterMiss != afterCreate {
					t.Errorf("a not-found lookup logged %d records, want none", afterMiss-afterCreate)
				}
				sawInsert := false
				for _, r := range records {
					sql, _ := r["sql"].(string)
					if r["msg"] != "slow query" || r["level"] != "WARN" || sql == "" {
						t.Errorf("record %v, want a WARN slow query with its sql", r)
					}
					if strings.Contains(sql, secret) || strings.Contains(sql, string(*u.Email)) {
						t.Errorf("slow-query log leaks a parameter: %s", sql)
					}
					sawInsert = sawInsert || strings.Contains(sql, "INSERT INTO")
				}
				if !sawInsert {
					t.Error("no INSERT among the logged statements")
				}
			})
		}
	}
}
