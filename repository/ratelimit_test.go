package repository_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// hour is t0's hour: the fixed windows of rate below begin on the hour.
var hour = t0.Truncate(time.Hour)

var rate = models.RateRule{Limit: 3, Window: time.Hour}

// Take counts in fixed windows with the previous window weighted; a refused take counts nothing
// and returns the counts that refused it; keys count apart.
func TestRateLimitsTake(t *testing.T) {
	t.Parallel()
	steps := []struct {
		name  string
		key   string
		at    time.Time
		taken bool
		want  models.RateCount // the counts a refused take returns
	}{
		{"first", "a", hour.Add(10 * time.Minute), true, models.RateCount{}},
		{"second", "a", hour.Add(20 * time.Minute), true, models.RateCount{}},
		{"third fills the window", "a", hour.Add(30 * time.Minute), true, models.RateCount{}},
		{"fourth is refused", "a", hour.Add(40 * time.Minute), false, models.RateCount{Current: 3}},
		{"and not counted", "a", hour.Add(59 * time.Minute), false, models.RateCount{Current: 3}},
		{"another key", "b", hour.Add(59 * time.Minute), true, models.RateCount{}},
		{"a time in another zone", "a", hour.Add(50 * time.Minute).In(msk), false, models.RateCount{Current: 3}},
		// Next window: 3 × (60−m)/60 + 0 + 1 ≤ 3 from m = 20.
		{"next window, the previous one weighs 3", "a", hour.Add(time.Hour), false, models.RateCount{Previous: 3}},
		{"a millisecond too early", "a", hour.Add(80*time.Minute - time.Millisecond), false, models.RateCount{Previous: 3}},
		{"a third of the way in", "a", hour.Add(80 * time.Minute), true, models.RateCount{}},
		{"then 3 × 2/3 + 1 + 1 > 3", "a", hour.Add(80 * time.Minute), false, models.RateCount{Previous: 3, Current: 1}},
		{"two thirds of the way in", "a", hour.Add(100 * time.Minute), true, models.RateCount{}},
		// The window after: the previous one holds 2; 2 × (60−m)/60 + 1 ≤ 3 from m = 0.
		{"after a quiet window", "a", hour.Add(2 * time.Hour), true, models.RateCount{}},
		{"an address never seen", "c", hour.Add(2 * time.Hour), true, models.RateCount{}},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		store := repository.NewRateLimits(db)
		for _, st := range steps {
			w := rate.At(st.at)
			c, err := store.Take(context.Background(), st.key, w)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if c.Taken != st.taken || !st.taken && c != st.want {
				t.Errorf("%s: %+v, want taken %v (refused by %+v)", st.name, c, st.taken, st.want)
			}
			// The database and models.RateWindow.Admits agree.
			if !c.Taken && w.Admits(c.Previous, c.Current) {
				t.Errorf("%s: refused with counts %+v that Admits lets through", st.name, c)
			}
		}
		for _, tt := range []struct {
			key   string
			start time.Time
			want  int64
		}{{"a", hour, 3}, {"a", hour.Add(time.Hour), 2}, {"a", hour.Add(2 * time.Hour), 1}, {"b", hour, 1}, {"c", hour.Add(2 * time.Hour), 1}} {
			if n := count(t, db, "rate_limit_counters", "key = ? AND window_start = ? AND hits = ?", tt.key, tt.start, tt.want); n != 1 {
				t.Errorf("counter %s at %v: no row with %d hits", tt.key, tt.start, tt.want)
			}
		}
	})
}

// One Take is one statement on PostgreSQL, admitted or refused, sent through the pool whose
// commits do not wait for the disk; on SQLite a refused one reads its counts in a second.
func TestRateLimitsTakeStatements(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		store := repository.NewRateLimits(db)
		handle := db.Gorm
		if db.Dialect == migrations.Postgres {
			handle = db.Relaxed()
			var relaxed, main string
			if err := handle.Raw("SHOW synchronous_commit").Row().Scan(&relaxed); err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm.Raw("SHOW synchronous_commit").Row().Scan(&main); err != nil {
				t.Fatal(err)
			}
			if relaxed != "off" || main != "on" {
				t.Fatalf("synchronous_commit: %s for rate limits, %s for the rest; want off, on", relaxed, main)
			}
		}
		q := testkit.CountQueries(t, handle)
		one := models.RateRule{Limit: 1, Window: time.Hour}.At(t0)
		for i, taken := range []bool{true, false} {
			q.Reset()
			c, err := store.Take(context.Background(), "a", one)
			if err != nil || c.Taken != taken {
				t.Fatalf("Take %d = %+v, %v; want taken %v", i, c, err, taken)
			}
			want := 1
			if !taken && db.Dialect == migrations.SQLite {
				want = 2
			}
			if q.N() != want {
				t.Errorf("Take %d (taken %v): %d statements, want %d", i, taken, q.N(), want)
			}
		}
	})
}

// Concurrent Takes on one key, from two pools (two instances) on one database, admit exactly the
// limit.
func TestRateLimitsTakeUnderConcurrency(t *testing.T) {
	for _, d := range testkit.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			url := testkit.NewSQLiteURL
			if d == migrations.Postgres {
				url = testkit.NewPostgresURL
			}
			u := url(t)
			var (
				stores []*repository.RateLimits
				dbs    []*repository.DB
			)
			for range 2 {
				db, err := repository.Open(context.Background(), u, repository.Options{MaxOpenConns: 4})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				stores, dbs = append(stores, repository.NewRateLimits(db)), append(dbs, db)
			}
			const n = 40
			w := models.RateRule{Limit: 7, Window: time.Hour}.At(t0)
			var admitted atomic.Int64
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					c, err := stores[i%2].Take(context.Background(), "bookings 203.0.113.1", w)
					if err != nil {
						t.Errorf("Take %d: %v", i, err)
					}
					if c.Taken {
						admitted.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			if got := admitted.Load(); got != 7 {
				t.Errorf("%d of %d concurrent Takes admitted, want the limit, 7", got, n)
			}
			if got := count(t, dbs[0], "rate_limit_counters", "hits = 7"); got != 1 {
				t.Errorf("%d counters hold 7 hits, want 1", got)
			}
		})
	}
}

// Prune deletes the counters of windows that began at or before a moment, whatever their key.
func TestRateLimitsPrune(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		store := repository.NewRateLimits(db)
		for i := range 3 {
			for _, key := range []string{"a", "b"} {
				if c, err := store.Take(ctx, key, rate.At(hour.Add(time.Duration(i)*time.Hour))); err != nil || !c.Taken {
					t.Fatalf("Take %s %d = %+v, %v", key, i, c, err)
				}
			}
		}
		if n, err := store.Prune(ctx, hour.Add(-time.Second)); err != nil || n != 0 {
			t.Errorf("Prune before every window = %d, %v; want 0", n, err)
		}
		if n, err := store.Prune(ctx, hour.Add(time.Hour).In(msk)); err != nil || n != 4 {
			t.Errorf("Prune of the first two windows = %d, %v; want 4", n, err)
		}
		if n := count(t, db, "rate_limit_counters", ""); n != 2 {
			t.Errorf("%d counters left, want 2", n)
		}
		if n := count(t, db, "rate_limit_counters", "window_start = ?", hour.Add(2*time.Hour)); n != 2 {
			t.Errorf("%d counters of the last window left, want 2", n)
		}
	})
}
