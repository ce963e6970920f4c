package testkit

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// SQLTrace is a pgx query tracer (repository.Options.Tracer) that records the statements sent to
// PostgreSQL on behalf of contexts marked with Track, and how many transactions they made: each
// BEGIN is one, and so is each statement sent outside a transaction (the server runs it in a
// transaction of its own). Statements of other contexts (background workers) are not counted.
type SQLTrace struct {
	mu    sync.Mutex
	inTx  map[*pgx.Conn]bool
	stmts []TracedStatement
	txs   int
}

// TracedStatement is one statement sent for a tracked context.
type TracedStatement struct {
	SQL string
	// InTx is set for a statement sent inside a BEGIN ... COMMIT.
	InTx bool
}

type trackKey struct{}

// NewSQLTrace returns an empty trace.
func NewSQLTrace() *SQLTrace { return &SQLTrace{inTx: map[*pgx.Conn]bool{}} }

// Track marks ctx: the statements sent with it (or a context derived from it) are recorded.
func (s *SQLTrace) Track(ctx context.Context) context.Context {
	return context.WithValue(ctx, trackKey{}, s)
}

// TraceQueryStart implements pgx.QueryTracer.
func (s *SQLTrace) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	sql := strings.TrimSpace(data.SQL)
	word := strings.ToLower(strings.Fields(sql + " ")[0])
	tracked := ctx.Value(trackKey{}) == s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch word {
	case "begin", "start":
		s.inTx[conn] = true
		if tracked {
			s.txs++
		}
	case "commit", "rollback", "end":
		delete(s.inTx, conn)
	default:
		if !tracked {
			break
		}
		in := s.inTx[conn]
		if !in {
			s.txs++
		}
		s.stmts = append(s.stmts, TracedStatement{SQL: sql, InTx: in})
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (s *SQLTrace) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Reset forgets what was recorded.
func (s *SQLTrace) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stmts, s.txs = nil, 0
}

// Counts returns the statements (BEGIN and COMMIT not counted) and transactions recorded.
func (s *SQLTrace) Counts() (statements, transactions int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stmts), s.txs
}

// String lists the recorded statements, one per line, for a failure message.
func (s *SQLTrace) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for i, st := range s.stmts {
		tx := "  "
		if st.InTx {
			tx = "tx"
		}
		one := strings.Join(strings.Fields(st.SQL), " ")
		if len(one) > 240 {
			one = one[:240] + "…"
		}
		fmt.Fprintf(&b, "%2d %s %s\n", i+1, tx, one)
	}
	return b.String()
}
