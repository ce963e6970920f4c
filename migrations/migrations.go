// Package migrations holds Balance's versioned SQL schema, one folder per dialect, embedded in the
// binary and applied by goose under a lock so that instances starting together do not race.
//
// Versions only grow and are never renumbered once released: a database in the field records the
// versions it has applied. Version 00007 does not exist and never did: numbers were handed out to
// the bounded contexts before their schemas were written, and 00007 was never used. Goose applies
// versions in order and allows gaps, so the gap stays; closing it would renumber applied versions.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect names a folder of migrations.
type Dialect string

// Supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// FS returns the migration files of one dialect.
func FS(d Dialect) (fs.FS, error) {
	return fs.Sub(files, string(d))
}

// Migrator applies and reports the schema migrations of one database.
type Migrator struct {
	provider *goose.Provider
}

// Option configures a Migrator.
type Option func(*options)

type options struct {
	lockFile string
	logger   *slog.Logger
}

// WithLockFile serializes SQLite migrations across processes with an advisory lock on path.
// (PostgreSQL uses an advisory lock in the database instead.)
func WithLockFile(path string) Option { return func(o *options) { o.lockFile = path } }

// WithLogger reports each applied migration.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New prepares a Migrator for db.
func New(db *sql.DB, d Dialect, opts ...Option) (*Migrator, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	fsys, err := FS(d)
	if err != nil {
		return nil, err
	}
	var gooseOpts []goose.ProviderOption
	if o.logger != nil {
		// goose logs nothing unless verbose, whatever logger it is given.
		quiet := slog.New(statementsAtDebug{o.logger.Handler()})
		gooseOpts = append(gooseOpts, goose.WithSlog(quiet), goose.WithVerbose(true))
	}
	var dialect goose.Dialect
	switch d {
	case Postgres:
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migrations: postgres locker: %w", err)
		}
		gooseOpts = append(gooseOpts, goose.WithSessionLocker(locker))
	case SQLite:
		dialect = goose.DialectSQLite3
		if o.lockFile != "" {
			gooseOpts = append(gooseOpts, goose.WithSessionLocker(&fileLocker{path: o.lockFile}))
		}
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", d)
	}
	p, err := goose.NewProvider(dialect, db, fsys, gooseOpts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{provider: p}, nil
}

// Up applies every pending migration and returns the applied ones.
func (m *Migrator) Up(ctx context.Context) ([]*goose.MigrationResult, error) {
	res, err := m.provider.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate up: %w", err)
	}
	return res, nil
}

// Down rolls back the most recent migration.
func (m *Migrator) Down(ctx context.Context) (*goose.MigrationResult, error) {
	res, err := m.provider.Down(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate down: %w", err)
	}
	return res, nil
}

// Status lists every known migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]*goose.MigrationStatus, error) {
	st, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate status: %w", err)
	}
	return st, nil
}

// Pending reports whether some migration is not applied yet. It takes no lock.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	return m.provider.HasPending(ctx)
}

// fileLocker is a goose SessionLocker backed by flock(2) on a file beside the SQLite database:
// only processes on the same host can open that database, so a host-local lock is enough.
type fileLocker struct {
	path string
	f    *os.File
}

func (l *fileLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open migration lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			l.f = f
			return nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return fmt.Errorf("take migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return fmt.Errorf("wait for migration lock: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *fileLocker) SessionUnlock(context.Context, *sql.Conn) error {
	if l.f == nil {
		return nil
	}
	defer func() { l.f = nil }()
	if err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN); err != nil {
		l.f.Close()
		return fmt.Errorf("release migration lock: %w", err)
	}
	return l.f.Close()
}

// statementsAtDebug passes goose's log records on, demoting the one it writes per SQL statement
// to debug: an operator wants one line per migration, not the whole schema.
type statementsAtDebug struct{ slog.Handler }

func (h statementsAtDebug) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "executing statement" && r.Level > slog.LevelDebug {
		r.Level = slog.LevelDebug
		if !h.Handler.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h statementsAtDebug) WithAttrs(attrs []slog.Attr) slog.Handler {
	return statementsAtDebug{h.Handler.WithAttrs(attrs)}
}

func (h statementsAtDebug) WithGroup(name string) slog.Handler {
	return statementsAtDebug{h.Handler.WithGroup(name)}
}
