package repository

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/migrations"
	"balance/models"
)

// Throttle counts attempts against keys (sign-ins per address, per account, ...) so that at most a
// rule's limit of them go ahead per window, however many arrive at once and on however many
// instances. The sign-in and one-time code throttles go through it; the rate limits of public
// POSTs count in windows (RateLimits).
type Throttle struct{ db *DB }

// NewThrottle returns the throttle store.
func NewThrottle(db *DB) *Throttle { return &Throttle{db: db} }

// Take counts one hit at now against every key, in one step: when each key holds fewer than
// rule.Limit hits in the window, it records one hit per key and returns them; otherwise it records
// none and returns how long until every full key admits one more. Takes on a common key are
// serialized by the database (an advisory lock per key on PostgreSQL, the write lock that
// immediate transactions take on SQLite), so two of them never both see the last free slot.
func (r *Throttle) Take(ctx context.Context, rule models.ThrottleRule, now time.Time, keys ...models.ThrottleKey) ([]models.ThrottleHit, time.Duration, error) {
	var (
		taken []models.ThrottleHit
		wait  time.Duration
	)
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		if err := lockThrottleKeys(r.db, tx, keys); err != nil {
			return err
		}
		since := rule.Since(now)
		for _, k := range keys {
			// Hits that left the window go first; what remains is the window's.
			if err := tx.Where("scope = ? AND key = ? AND hit_at <= ?", k.Scope, k.Key, since).
				Delete(&models.ThrottleHit{}).Error; err != nil {
				return fmt.Errorf("prune throttle hits: %w", translate(err))
			}
			var hits []models.ThrottleHit
			if err := tx.Select("hit_at").Where("scope = ? AND key = ?", k.Scope, k.Key).
				Order("hit_at").Find(&hits).Error; err != nil {
				return fmt.Errorf("count throttle hits: %w", translate(err))
			}
			var oldest time.Time
			if len(hits) > 0 {
				oldest = hits[0].HitAt
			}
			if ok, w := rule.Admit(len(hits), oldest, now); !ok {
				wait = max(wait, w)
			}
		}
		if wait > 0 {
			return nil
		}
		taken = make([]models.ThrottleHit, 0, len(keys))
		for _, k := range keys {
			taken = append(taken, models.ThrottleHit{ID: models.NewID(), Scope: k.Scope, Key: k.Key, HitAt: now})
		}
		if len(taken) > 0 {
			if err := tx.Create(&taken).Error; err != nil {
				return fmt.Errorf("record throttle hits: %w", translate(err))
			}
		}
		return nil
	})
	if err != nil || wait > 0 {
		return nil, wait, err
	}
	return taken, 0, nil
}

// throttleLockClass is the first half of the two-part advisory lock keys of throttle keys, so they
// cannot meet the single-number locks other code takes.
const throttleLockClass int32 = 0x7468 // "th"

// lockThrottleKeys holds, on PostgreSQL, a transaction-scoped advisory lock per key until the
// transaction ends, taken in one order so that two Takes never wait for each other in a cycle. (A
// hash collision only serializes two unrelated keys.) SQLite needs none: InTx's immediate
// transaction already holds the database's write lock.
func lockThrottleKeys(db *DB, tx *gorm.DB, keys []models.ThrottleKey) error {
	if db.Dialect != migrations.Postgres {
		return nil
	}
	ids := make([]int32, 0, len(keys))
	for _, k := range keys {
		h := fnv.New32a()
		h.Write([]byte(k.Scope))
		h.Write([]byte{0})
		h.Write([]byte(k.Key))
		ids = append(ids, int32(h.Sum32()))
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", throttleLockClass, id).Error; err != nil {
			return fmt.Errorf("lock throttle key: %w", translate(err))
		}
	}
	return nil
}

// Release gives hits back, e.g. those of an attempt that succeeded or never did the guarded work.
func (r *Throttle) Release(ctx context.Context, hits ...models.ThrottleHit) error {
	if len(hits) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(hits))
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	if err := r.db.conn(ctx).Where("id IN ?", ids).Delete(&models.ThrottleHit{}).Error; err != nil {
		return fmt.Errorf("release throttle hits: %w", translate(err))
	}
	return nil
}

// Clear forgets every hit of key, e.g. an account's failures after a successful sign-in.
func (r *Throttle) Clear(ctx context.Context, key models.ThrottleKey) error {
	err := r.db.conn(ctx).Where("scope = ? AND key = ?", key.Scope, key.Key).Delete(&models.ThrottleHit{}).Error
	if err != nil {
		return fmt.Errorf("clear throttle hits: %w", translate(err))
	}
	return nil
}

// Prune deletes the hits of scopes at or before t (they have left the window) and returns how many.
func (r *Throttle) Prune(ctx context.Context, t time.Time, scopes ...models.ThrottleScope) (int64, error) {
	if len(scopes) == 0 {
		return 0, nil
	}
	res := r.db.conn(ctx).Where("scope IN ? AND hit_at <= ?", scopes, t).Delete(&models.ThrottleHit{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune throttle hits: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
