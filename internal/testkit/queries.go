package testkit

import (
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// Queries counts the SQL statements a *gorm.DB runs, to prove lists load in a constant number of
// queries (no N+1).
type Queries struct{ n atomic.Int64 }

// CountQueries starts counting every statement db runs from now on.
func CountQueries(t testing.TB, db *gorm.DB) *Queries {
	t.Helper()
	q := &Queries{}
	count := func(*gorm.DB) { q.n.Add(1) }
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("testkit:count_query", count),
		cb.Row().After("gorm:row").Register("testkit:count_row", count),
		cb.Raw().After("gorm:raw").Register("testkit:count_raw", count),
		cb.Create().After("gorm:create").Register("testkit:count_create", count),
		cb.Update().After("gorm:update").Register("testkit:count_update", count),
		cb.Delete().After("gorm:delete").Register("testkit:count_delete", count),
	} {
		if err != nil {
			t.Fatalf("register query counter: %v", err)
		}
	}
	return q
}

// N returns the statements counted since the last Reset.
func (q *Queries) N() int { return int(q.n.Load()) }

// Reset starts the count again from zero.
func (q *Queries) Reset() { q.n.Store(0) }
