package repository_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

var (
	ipA      = models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: "a"}
	ipB      = models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: "b"}
	accountA = models.ThrottleKey{Scope: models.ThrottleLoginAccount, Key: "a"} // same key, other scope
	rule     = models.ThrottleRule{Limit: 3, Window: 10 * time.Minute}
)

// A sliding window: a full key admits the next hit when its oldest leaves the window, and says
// how long that takes. Keys and scopes count apart.
func TestThrottleTake(t *testing.T) {
	t.Parallel()
	steps := []struct {
		name     string
		at       time.Time
		keys     []models.ThrottleKey
		wantWait time.Duration // 0: admitted
	}{
		{"first", t0, []models.ThrottleKey{ipA}, 0},
		{"second", t0.Add(time.Minute), []models.ThrottleKey{ipA}, 0},
		{"third fills the key", t0.Add(2 * time.Minute), []models.ThrottleKey{ipA}, 0},
		{"fourth waits for the first to leave", t0.Add(4 * time.Minute), []models.ThrottleKey{ipA}, 6 * time.Minute},
		{"a refused hit is not counted", t0.Add(5 * time.Minute), []models.ThrottleKey{ipA}, 5 * time.Minute},
		{"other key", t0.Add(5 * time.Minute), []models.ThrottleKey{ipB}, 0},
		{"same key in another scope", t0.Add(5 * time.Minute), []models.ThrottleKey{accountA}, 0},
		{"time in another zone", t0.Add(9 * time.Minute).In(msk), []models.ThrottleKey{ipA}, time.Minute},
		{"just before the first leaves", t0.Add(10*time.Minute - time.Millisecond), []models.ThrottleKey{ipA}, time.Millisecond},
		{"the first left the window", t0.Add(10 * time.Minute), []models.ThrottleKey{ipA}, 0},
		{"full again until the second leaves", t0.Add(10 * time.Minute), []models.ThrottleKey{ipA}, time.Minute},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		store := repository.NewThrottle(db)
		for _, st := range steps {
			hits, wait, err := store.Take(context.Background(), rule, st.at, st.keys...)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if wait != st.wantWait {
				t.Errorf("%s: wait = %v, want %v", st.name, wait, st.wantWait)
			}
			if admitted := st.wantWait == 0; admitted != (len(hits) == len(st.keys)) || !admitted && hits != nil {
				t.Errorf("%s: hits = %v, want admitted = %v", st.name, hits, admitted)
			}
			for _, h := range hits {
				assertUTC(t, st.name+": hit_at", h.HitAt, st.at)
			}
		}
		// Taking pruned ip/a's hits that left the window; the rest stay.
		for _, tt := range []struct {
			key  models.ThrottleKey
			want int64
		}{{ipA, 3}, {ipB, 1}, {accountA, 1}} {
			if n := count(t, db, "throttle_hits", "scope = ? AND key = ?", tt.key.Scope, tt.key.Key); n != tt.want {
				t.Errorf("%v: %d rows, want %d", tt.key, n, tt.want)
			}
		}
	})
}

// Keys taken together are all counted or none: a full key refuses the others too, and the wait is
// that of the key that frees up last.
func TestThrottleTakeAllOrNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		store := repository.NewThrottle(db)
		for i := range 3 {
			if _, _, err := store.Take(ctx, rule, t0.Add(time.Duration(i)*time.Minute), ipA); err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.Take(ctx, rule, t0.Add(time.Duration(i+2)*time.Minute), ipB); err != nil {
				t.Fatal(err)
			}
		}
		hits, wait, err := store.Take(ctx, rule, t0.Add(5*time.Minute), accountA, ipA, ipB)
		if err != nil || hits != nil || wait != 7*time.Minute {
			t.Fatalf("Take over two full keys = %v, %v, %v; want no hits, wait 7m (ip/b's oldest)", hits, wait, err)
		}
		if n := count(t, db, "throttle_hits", "scope = ?", models.ThrottleLoginAccount); n != 0 {
			t.Errorf("refused Take recorded %d hits on the free key", n)
		}
		hits, wait, err = store.Take(ctx, rule, t0.Add(5*time.Minute), accountA, models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: "c"})
		if err != nil || len(hits) != 2 || wait != 0 {
			t.Fatalf("Take over free keys = %v, %v, %v", hits, wait, err)
		}
	})
}

// Take is one step in the database: when recording fails, the prune of old hits is undone too.
func TestThrottleTakeIsAtomic(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		store := repository.NewThrottle(db)
		if _, _, err := store.Take(ctx, rule, t0.Add(-time.Hour), ipA); err != nil {
			t.Fatal(err)
		}
		invalid := models.ThrottleKey{Scope: "", Key: "x"} // the table refuses an empty scope
		_, _, err := store.Take(ctx, rule, t0, ipA, invalid)
		if err == nil || !strings.Contains(err.Error(), "record throttle hits") {
			t.Fatalf("err = %v, want it to mention recording", err)
		}
		if n := count(t, db, "throttle_hits", ""); n != 1 {
			t.Errorf("%d hits, want the old one only (its prune rolled back)", n)
		}
	})
}

// Concurrent Takes on a key, from one pool or from two (two instances), never admit more than the
// limit, and Takes over overlapping key sets in any order do not deadlock.
func TestThrottleTakeUnderConcurrency(t *testing.T) {
	for _, d := range testkit.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			url := testkit.NewSQLiteURL
			if d == migrations.Postgres {
				url = testkit.NewPostgresURL
			}
			u := url(t)
			var stores []*repository.Throttle
			for range 2 {
				db, err := repository.Open(context.Background(), u, repository.Options{MaxOpenConns: 4})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				stores = append(stores, repository.NewThrottle(db))
			}
			const n = 40
			limit := models.ThrottleRule{Limit: 5, Window: time.Hour}
			var admitted atomic.Int64
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					// The shared account with a key of its own, taken in either order.
					own := models.ThrottleKey{Scope: models.ThrottleLoginIP, Key: fmt.Sprint(i)}
					keys := []models.ThrottleKey{own, accountA}
					if i%2 == 1 {
						keys = []models.ThrottleKey{accountA, own}
					}
					hits, _, err := stores[i%2].Take(context.Background(), limit, t0, keys...)
					if err != nil {
						t.Errorf("Take %d: %v", i, err)
					}
					if hits != nil {
						admitted.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			if got := admitted.Load(); got != 5 {
				t.Errorf("%d of %d concurrent Takes admitted, want the limit, 5", got, n)
			}
		})
	}
}

func TestThrottleReleaseClearPrune(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		store := repository.NewThrottle(db)
		take := func(at time.Time, keys ...models.ThrottleKey) []models.ThrottleHit {
			t.Helper()
			hits, _, err := store.Take(ctx, rule, at, keys...)
			if err != nil || hits == nil {
				t.Fatalf("Take %v: %v, %v", keys, hits, err)
			}
			return hits
		}
		other := models.ThrottleKey{Scope: "other", Key: "a"}
		take(t0, ipA, accountA, other)
		take(t0.Add(time.Minute), ipA, accountA)
		given := take(t0.Add(2*time.Minute), ipA, ipB, accountA)

		if err := store.Release(ctx, given[:2]...); err != nil {
			t.Fatal(err)
		}
		if err := store.Release(ctx); err != nil {
			t.Fatalf("Release of nothing: %v", err)
		}
		if err := store.Clear(ctx, accountA); err != nil {
			t.Fatal(err)
		}
		// Left: ip/a at t0 and t0+1m, other/a at t0.
		pruned, err := store.Prune(ctx, t0, models.ThrottleLoginIP, models.ThrottleLoginAccount)
		if err != nil || pruned != 1 {
			t.Errorf("Prune = %d, %v; want 1 (ip/a at t0; not other/a, not ip/a at t0+1m)", pruned, err)
		}
		if n, err := store.Prune(ctx, t0.Add(time.Hour)); err != nil || n != 0 {
			t.Errorf("Prune of no scope = %d, %v; want 0", n, err)
		}
		for _, tt := range []struct {
			key  models.ThrottleKey
			want int64
		}{{ipA, 1}, {ipB, 0}, {accountA, 0}, {other, 1}} {
			if n := count(t, db, "throttle_hits", "scope = ? AND key = ?", tt.key.Scope, tt.key.Key); n != tt.want {
				t.Errorf("%v: %d hits, want %d", tt.key, n, tt.want)
			}
		}
	})
}
