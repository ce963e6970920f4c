package repository

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"balance/models"
)

// slotTakenMessage is raised by the SQLite trigger that guards appointments against overlap,
// the counterpart of PostgreSQL's exclusion constraint.
const slotTakenMessage = "slot taken"

// translate maps driver and GORM errors of both dialects to domain errors. The driver's message is
// dropped on purpose: it can quote the offending value (an email, a phone). A database that cannot
// be reached becomes models.ErrUnavailable, wrapping the cause. Errors it does not know pass
// through unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.ErrNotFound
	}
	if unavailable(err) {
		// The cause stays in the chain for the log: it names the server, never a value.
		return fmt.Errorf("%w: %w", models.ErrUnavailable, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return &models.ConstraintError{Kind: models.ErrConflict, Constraint: pgErr.ConstraintName}
		case "23503": // foreign_key_violation
			return &models.ConstraintError{Kind: models.ErrInvalidReference, Constraint: pgErr.ConstraintName}
		case "23P01": // exclusion_violation
			return &models.ConstraintError{Kind: models.ErrSlotTaken, Constraint: pgErr.ConstraintName}
		case "40001", "40P01": // serialization_failure, deadlock_detected: a concurrent writer won
			return &models.ConstraintError{Kind: models.ErrConflict, Constraint: pgErr.Code}
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
			return models.ErrInvalidText
		}
		return err
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &models.ConstraintError{Kind: models.ErrConflict, Constraint: sqliteConstraint(liteErr.Error())}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &models.ConstraintError{Kind: models.ErrInvalidReference}
		case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
			switch msg := liteErr.Error(); {
			case strings.Contains(msg, slotTakenMessage):
				return &models.ConstraintError{Kind: models.ErrSlotTaken}
			case strings.Contains(msg, "FOREIGN KEY constraint failed"):
				// ON DELETE RESTRICT reports through SQLite's trigger machinery.
				return &models.ConstraintError{Kind: models.ErrInvalidReference}
			}
		}
	}
	return err
}

// unavailable reports whether err says the database cannot be reached, or is starting up or
// shutting down: a condition that passes by itself (a restart, a failover, a full connection
// limit). A request canceled by its caller is not one.
func unavailable(err error) bool {
	var httpErr *url.Error
	if errors.Is(err, context.Canceled) || errors.As(err, &httpErr) {
		// An integration's HTTP call failing inside a transaction is not the database.
		return false
	}
	var (
		connectErr *pgconn.ConnectError
		pgErr      *pgconn.PgError
		netErr     net.Error
		liteErr    *sqlite.Error
	)
	switch {
	case errors.As(err, &connectErr):
		return true
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "57P01", // admin_shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now: starting up or shutting down
			"53300": // too_many_connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection_exception
	case errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF):
		return true // the connection broke mid-statement
	case errors.Is(err, pgconn.ErrConnClosed):
		// A transaction whose connection broke (e.g. its BEGIN failed) ends on a closed connection.
		return true
	case errors.As(err, &liteErr):
		// Another writer held the lock past busy_timeout.
		return liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}

// sqliteConstraint extracts "users.email" from "constraint failed: UNIQUE constraint failed: users.email (2067)".
func sqliteConstraint(msg string) string {
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return ""
	}
	s := msg[i+len(marker):]
	if j := strings.Index(s, " ("); j >= 0 {
		s = s[:j]
	}
	return s
}
