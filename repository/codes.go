package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// This file: client accounts and the cabinet — the one-time codes clients sign in with.

// OneTimeCodes stores the one-time codes of client sign-in and email changes.
type OneTimeCodes struct{ db *DB }

// NewOneTimeCodes returns the code store.
func NewOneTimeCodes(db *DB) *OneTimeCodes { return &OneTimeCodes{db: db} }

// Replace stores c in place of any earlier code of its purpose and key, in one transaction: a new
// code replaces the previous one.
func (r *OneTimeCodes) Replace(ctx context.Context, c *models.OneTimeCode) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		if err := tx.Where("purpose = ? AND key = ?", c.Purpose, c.Key).Delete(&models.OneTimeCode{}).Error; err != nil {
			return fmt.Errorf("replace one-time code: %w", translate(err))
		}
		if err := tx.Create(c).Error; err != nil {
			return fmt.Errorf("create one-time code: %w", translate(err))
		}
		return nil
	})
}

// ByID loads a code.
func (r *OneTimeCodes) ByID(ctx context.Context, id uuid.UUID) (*models.OneTimeCode, error) {
	var c models.OneTimeCode
	if err := r.db.conn(ctx).First(&c, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("one-time code %s: %w", id, translate(err))
	}
	return &c, nil
}

// Update loads the code — by id, or by purpose and key when id is uuid.Nil — locking its row on
// PostgreSQL (SQLite's immediate transaction holds the write lock), lets fn change it and saves
// it, so concurrent attempts are counted one after another.
func (r *OneTimeCodes) Update(ctx context.Context, id uuid.UUID, purpose models.CodePurpose, key string, fn func(*models.OneTimeCode) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.db.conn(ctx), "one_time_codes")
		var c models.OneTimeCode
		var err error
		if id != uuid.Nil {
			err = q.First(&c, "id = ?", id).Error
		} else {
			err = q.First(&c, "purpose = ? AND key = ?", purpose, key).Error
		}
		if err != nil {
			return fmt.Errorf("one-time code: %w", translate(err))
		}
		if err := fn(&c); err != nil {
			return err
		}
		if err := r.db.conn(ctx).Save(&c).Error; err != nil {
			return fmt.Errorf("save one-time code %s: %w", c.ID, translate(err))
		}
		return nil
	})
}

// DeleteExpired removes codes that expired before t and returns how many.
func (r *OneTimeCodes) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res := r.db.conn(ctx).Where("expires_at < ?", t).Delete(&models.OneTimeCode{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired one-time codes: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
