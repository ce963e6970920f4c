package repository

import (
	"context"
	"fmt"
	"strings"
	"time"

	"balance/migrations"
	"balance/models"
)

// RateLimits counts the requests of rate-limited keys in fixed windows, one counter row per key and
// window (rate_limit_counters), so that every instance on the database shares the counts.
type RateLimits struct{ db *DB }

// NewRateLimits returns the rate limit counters.
func NewRateLimits(db *DB) *RateLimits { return &RateLimits{db: db} }

// The admission test below is models.RateWindow.Admits, written in SQL: the counter's row lock
// makes counting and deciding one atomic step, however many requests of a key arrive at once on
// however many instances. A refused request changes nothing.

// rateWindow binds a take's numbers once, typed, and reads the previous window's count. (GORM's
// named parameters end at a space, a comma or a parenthesis, hence CAST rather than ::.)
const rateWindow = `
WITH w AS (
	SELECT CAST(@overlap AS bigint) AS overlap, CAST(@span AS bigint) AS span, CAST(@limit AS bigint) AS lim,
		COALESCE((SELECT hits FROM rate_limit_counters WHERE key = @key AND window_start = @previous), 0) AS previous
)`

// countRequest counts the request when w admits it: a new counter, or one more on the window's
// counter, whose row lock orders concurrent takes; a refused request writes nothing. START is the
// window's start, typed for PostgreSQL (an INSERT's SELECT does not infer it).
const countRequest = `
INSERT INTO rate_limit_counters AS c (key, window_start, hits)
SELECT CAST(@key AS text), START, 1 FROM w
WHERE w.previous * w.overlap + w.span <= w.lim * w.span
ON CONFLICT (key, window_start) DO UPDATE SET hits = c.hits + 1
WHERE (SELECT w.previous * w.overlap + (c.hits + 1) * w.span <= w.lim * w.span FROM w)
RETURNING hits`

// takePostgres is one statement (one implicit transaction); its outer SELECT reads the counts as
// they were before it (the statement's snapshot), which a refused request needs for its wait.
var takePostgres = rateWindow + `, taken AS (` + strings.Replace(countRequest, "START", "CAST(@start AS timestamptz)", 1) + `
)
SELECT EXISTS (SELECT 1 FROM taken) AS taken, (SELECT previous FROM w) AS previous,
	COALESCE((SELECT hits FROM rate_limit_counters WHERE key = @key AND window_start = @start), 0) AS current`

// takeSQLite counts an admitted request in one statement (SQLite runs no INSERT inside a WITH, so
// it is the statement itself); a refused one returns no row and its counts are read after it.
var takeSQLite = rateWindow + strings.Replace(countRequest, "START", "@start", 1)

const readCountsSQLite = `
SELECT COALESCE((SELECT hits FROM rate_limit_counters WHERE key = @key AND window_start = @previous), 0) AS previous,
	COALESCE((SELECT hits FROM rate_limit_counters WHERE key = @key AND window_start = @start), 0) AS current`

// Take counts one request of key in window w when w admits it; otherwise it counts nothing and
// returns the counts of the previous and the current window that refused it (for the wait).
func (r *RateLimits) Take(ctx context.Context, key string, w models.RateWindow) (models.RateCount, error) {
	args := map[string]any{
		"key": key, "start": w.Start.UTC(), "previous": w.Previous.UTC(),
		"overlap": w.Overlap, "span": w.Span, "limit": w.Limit,
	}
	// A counter lost in a crash lets a few more requests through, nothing worse: its commit does
	// not wait for the disk.
	conn := r.db.relaxedConn(ctx)
	var c models.RateCount
	if r.db.Dialect == migrations.Postgres {
		if err := conn.Raw(takePostgres, args).Row().Scan(&c.Taken, &c.Previous, &c.Current); err != nil {
			return models.RateCount{}, fmt.Errorf("take rate limit: %w", translate(err))
		}
		return c, nil
	}
	var hits []int
	if err := conn.Raw(takeSQLite, args).Scan(&hits).Error; err != nil {
		return models.RateCount{}, fmt.Errorf("take rate limit: %w", translate(err))
	}
	if len(hits) == 1 {
		return models.RateCount{Taken: true, Current: hits[0] - 1}, nil
	}
	if err := conn.Raw(readCountsSQLite, args).Row().Scan(&c.Previous, &c.Current); err != nil {
		return models.RateCount{}, fmt.Errorf("read rate limit: %w", translate(err))
	}
	return c, nil
}

// Prune deletes the counters of windows that began at or before t and returns how many.
func (r *RateLimits) Prune(ctx context.Context, t time.Time) (int64, error) {
	res := r.db.conn(ctx).Where("window_start <= ?", t.UTC()).Delete(&models.RateLimitCounter{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune rate limit counters: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
