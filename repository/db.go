// Package repository holds thin stores over *gorm.DB, one per aggregate: GORM calls, transactions
// and the translation of database errors to domain errors. Business rules live in models.
package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	gormlogger "gorm.io/gorm/logger"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver

	"balance/crypto"
	"balance/migrations"
)

// DB is an open database: the GORM handle the stores use, the *sql.DB beneath it (shared with
// migrations and, later, the job queue) and the dialect.
type DB struct {
	Gorm    *gorm.DB
	SQL     *sql.DB
	Dialect migrations.Dialect
	// Path is the SQLite file (empty for PostgreSQL).
	Path string
	// keys encrypt and decrypt P2 fields (nil: P2 fields cannot be read or written).
	keys *crypto.KeyRing
	// publisher receives the events of saved aggregates (nil: events stay on the aggregates).
	publisher Publisher
	// relaxed is a small second pool on PostgreSQL whose commits do not wait for the disk
	// (synchronous_commit off), for writes a crash may lose without harm: the rate limits'
	// counters. Nil on SQLite.
	relaxed    *gorm.DB
	relaxedSQL *sql.DB
}

// Options tunes Open.
type Options struct {
	MaxOpenConns int
	Logger       *slog.Logger
	// SlowQuery is the duration above which a statement is logged at warn level (SQL only, never
	// its parameters). Zero disables it.
	SlowQuery time.Duration
	// Keys encrypt P2 fields; without them, reading or writing a P2 field fails.
	Keys *crypto.KeyRing
	// Tracer, when set, sees every statement sent to PostgreSQL (BEGIN and COMMIT included), from
	// the stores and the job queue alike; tests count a request's statements with it.
	Tracer pgx.QueryTracer
}

// Open connects to url: "sqlite:<path>" (the file and its folder are created) or "postgres://...".
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxOpenConns <= 0 {
		opt.MaxOpenConns = 10
	}
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		db, err = openSQLite(SQLitePath(url), opt)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(url, opt)
	default:
		return nil, fmt.Errorf("open database: unsupported URL scheme (want sqlite: or postgres://)")
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.keys = opt.Keys
	return db, nil
}

// SQLitePath extracts the file path of a "sqlite:<path>" or "sqlite://<path>" URL.
func SQLitePath(url string) string {
	return strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
}

func openSQLite(path string, opt Options) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: create %s: %w", dir, err)
		}
	}
	// busy_timeout comes first so that the following pragmas already wait for locks; immediate
	// transactions take the write lock at BEGIN, so two writers queue instead of deadlocking.
	dsn := "file:" + path +
		"?_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate" +
		"&_time_format=sqlite" +
		"&_timezone=UTC"
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// SQLite has one writer at a time; a small pool keeps readers concurrent under WAL.
	sqlDB.SetMaxOpenConns(min(opt.MaxOpenConns, 4))
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	g, err := gorm.Open(sqlite.Dialector{DriverName: "sqlite", Conn: sqlDB}, gormConfig(opt))
	if err == nil {
		err = registerPublishCallbacks(g)
	}
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return &DB{Gorm: g, SQL: sqlDB, Dialect: migrations.SQLite, Path: path}, nil
}

func openPostgres(url string, opt Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	cfg.Tracer = opt.Tracer
	sqlDB := openPostgresPool(cfg, opt.MaxOpenConns)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), gormConfig(opt))
	if err == nil {
		err = registerPublishCallbacks(g)
	}
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// A crash may lose the last rate-limit hits, never a booking: their pool does not wait for
	// the disk at commit (one fsync less on every limited request).
	relaxedCfg := cfg.Copy()
	relaxedCfg.RuntimeParams["synchronous_commit"] = "off"
	relaxedSQL := openPostgresPool(relaxedCfg, RelaxedConns(opt.MaxOpenConns))
	relaxed, err := gorm.Open(postgres.New(postgres.Config{Conn: relaxedSQL}), gormConfig(opt))
	if err != nil {
		relaxedSQL.Close()
		sqlDB.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &DB{Gorm: g, SQL: sqlDB, Dialect: migrations.Postgres, relaxed: relaxed, relaxedSQL: relaxedSQL}, nil
}

// RelaxedConns is how many connections the pool of writes that need not wait for the disk keeps
// beside the main pool of maxOpen.
func RelaxedConns(maxOpen int) int { return max(2, maxOpen/4) }

func openPostgresPool(cfg *pgx.ConnConfig, maxOpen int) *sql.DB {
	// Times come back in UTC whatever the process's local zone is.
	pool := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		arraysAsText(conn.TypeMap())
		return nil
	}))
	pool.SetMaxOpenConns(maxOpen)
	pool.SetMaxIdleConns(maxOpen)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return pool
}

// textArrayOIDs are the array types the job queue's statements pass (ids, job arguments and
// metadata, times, kinds and queues, priorities, unique keys and states).
var textArrayOIDs = []uint32{
	pgtype.Int8ArrayOID, pgtype.Int2ArrayOID, pgtype.Int4ArrayOID, pgtype.BoolArrayOID,
	pgtype.TextArrayOID, pgtype.VarcharArrayOID, pgtype.JSONBArrayOID, pgtype.JSONArrayOID,
	pgtype.TimestamptzArrayOID, pgtype.ByteaArrayOID,
}

// arraysAsText makes m exchange the arrays of textArrayOIDs in PostgreSQL's text form. The job
// queue's database/sql driver hands every array over as a lib/pq text literal and reads arrays back
// through lib/pq too; in the binary form pgx would parse each literal into values only to encode
// them again, and turn binary results back into literals — for the jobs of one booking, a fifth of
// the request's CPU. In text form the literal goes to the server as it is. Go slices are encoded
// and decoded in text form just as well.
func arraysAsText(m *pgtype.Map) {
	for _, oid := range textArrayOIDs {
		if t, ok := m.TypeForOID(oid); ok {
			m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: textPreferred{t.Codec}})
		}
	}
}

// textPreferred is a codec that prefers the text format; it keeps the binary one for what asks
// for it.
type textPreferred struct{ pgtype.Codec }

func (textPreferred) PreferredFormat() int16 { return pgtype.TextFormatCode }

func gormConfig(opt Options) *gorm.Config {
	return &gorm.Config{
		NowFunc:                func() time.Time { return time.Now().UTC() },
		Logger:                 &slowLogger{log: opt.Logger, threshold: opt.SlowQuery},
		SkipDefaultTransaction: false,
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.Dialect, err)
	}
	return nil
}

// Close closes the connection pool.
func (db *DB) Close() error {
	if db.relaxedSQL != nil {
		db.relaxedSQL.Close()
	}
	return db.SQL.Close()
}

// Migrator returns the schema migrator of this database.
func (db *DB) Migrator(log *slog.Logger) (*migrations.Migrator, error) {
	opts := []migrations.Option{migrations.WithLogger(log)}
	if db.Dialect == migrations.SQLite {
		opts = append(opts, migrations.WithLockFile(db.Path+".migrate.lock"))
	}
	return migrations.New(db.SQL, db.Dialect, opts...)
}

type txKey struct{}

// InTx runs fn in one transaction; stores called with the context fn receives join it. A nested
// call joins the outer transaction (no savepoint), so an inner error must be returned, not
// swallowed. fn's error (or a panic) rolls everything back.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	state := newTxState()
	state.inTx = true
	err := db.Gorm.WithContext(db.context(context.WithValue(ctx, txStateKey{}, state))).Transaction(func(tx *gorm.DB) error {
		ctx := context.WithValue(context.WithValue(ctx, txKey{}, tx), txStateKey{}, state)
		if err := fn(ctx); err != nil {
			return err
		}
		// The publisher gets the context of the transaction's statements, not fn's: a handler it
		// runs must not write through this transaction, which is about to end.
		return state.commit(tx.Statement.Context, db.publisher, tx)
	})
	if err != nil {
		return translate(err)
	}
	state.runAfterCommit()
	return nil
}

// context adds what GORM callbacks and serializers need: the key ring and the publisher.
func (db *DB) context(ctx context.Context) context.Context {
	ctx = withKeyRing(ctx, db.keys)
	if db.publisher != nil {
		ctx = context.WithValue(ctx, publisherKey{}, db.publisher)
	}
	return ctx
}

// Relaxed is the pool whose commits do not wait for the disk, for writes a crash may lose without
// harm (nil on SQLite).
func (db *DB) Relaxed() *gorm.DB { return db.relaxed }

// relaxedConn returns the transaction carried by ctx, or the pool whose commits do not wait for the
// disk (the main pool on SQLite).
func (db *DB) relaxedConn(ctx context.Context) *gorm.DB {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok || db.relaxed == nil {
		return db.conn(ctx)
	}
	return db.relaxed.WithContext(db.context(ctx))
}

// conn returns the transaction carried by ctx, or the pool.
func (db *DB) conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return db.Gorm.WithContext(db.context(ctx))
}

// HasKeys reports whether the DB can read and write P2 fields.
func (db *DB) HasKeys() bool { return db.keys != nil }

// slowLogger is a GORM logger that reports slow statements without their parameters (which may
// hold personal data) and nothing else: errors are returned to callers, who log them once.
type slowLogger struct {
	log       *slog.Logger
	threshold time.Duration
}

func (l *slowLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }
func (l *slowLogger) Info(context.Context, string, ...any)             {}
func (l *slowLogger) Warn(context.Context, string, ...any)             {}
func (l *slowLogger) Error(context.Context, string, ...any)            {}

func (l *slowLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if l.threshold <= 0 {
		return
	}
	if elapsed := time.Since(begin); elapsed > l.threshold && !errors.Is(err, gorm.ErrRecordNotFound) {
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "duration_ms", elapsed.Milliseconds(), "rows", rows, "sql", sql)
	}
}

// ParamsFilter drops parameters so that the SQL in slow-query logs never carries data.
func (l *slowLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// forUpdate makes q lock the rows it loads from table until the transaction ends, on PostgreSQL
// (SELECT ... FOR UPDATE OF table). SQLite needs no row lock: its transactions take the database's
// write lock at BEGIN.
func forUpdate(db *DB, q *gorm.DB, table string) *gorm.DB {
	if db.Dialect == migrations.Postgres {
		return q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: table}})
	}
	return q
}
