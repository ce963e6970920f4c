package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// TOTP stores staff authenticators and recovery codes. Every code is consumed by one conditional
// UPDATE, so a code cannot be accepted twice, whatever the concurrency and the number of instances.
type TOTP struct{ db *DB }

// NewTOTP returns the authenticator store.
func NewTOTP(db *DB) *TOTP { return &TOTP{db: db} }

// Factor loads the user's authenticator, confirmed or not.
func (r *TOTP) Factor(ctx context.Context, userID uuid.UUID) (*models.TOTPFactor, error) {
	var f models.TOTPFactor
	if err := r.db.conn(ctx).First(&f, "user_id = ?", userID).Error; err != nil {
		return nil, fmt.Errorf("totp factor of %s: %w", userID, translate(err))
	}
	return &f, nil
}

// PutPending stores f, replacing an unconfirmed factor of the same user; when a confirmed one
// exists it answers models.ErrConflict and changes nothing.
func (r *TOTP) PutPending(ctx context.Context, f *models.TOTPFactor) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		if err := tx.Where("user_id = ? AND confirmed_at IS NULL", f.UserID).Delete(&models.TOTPFactor{}).Error; err != nil {
			return fmt.Errorf("drop pending totp factor: %w", translate(err))
		}
		if err := tx.Create(f).Error; err != nil {
			return fmt.Errorf("create totp factor: %w", translate(err))
		}
		return nil
	})
}

// UseStep accepts a code of time step for the user's confirmed factor: it reports false when the
// factor is absent or unconfirmed, or a code of this step or a later one was already accepted.
func (r *TOTP) UseStep(ctx context.Context, userID uuid.UUID, step int64, now time.Time) (bool, error) {
	res := r.db.conn(ctx).Model(&models.TOTPFactor{}).
		Where("user_id = ? AND confirmed_at IS NOT NULL AND last_used_step < ?", userID, step).
		Updates(map[string]any{"last_used_step": step, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("use totp step: %w", translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// Confirm activates the user's unconfirmed factor with a code of time step and replaces the
// user's recovery codes with codes, in one transaction; it reports false (and changes nothing)
// when there is no unconfirmed factor.
func (r *TOTP) Confirm(ctx context.Context, userID uuid.UUID, step int64, now time.Time, codes []models.RecoveryCode) (bool, error) {
	ok := false
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		res := tx.Model(&models.TOTPFactor{}).
			Where("user_id = ? AND confirmed_at IS NULL", userID).
			Updates(map[string]any{"confirmed_at": now, "last_used_step": step, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("confirm totp factor: %w", translate(res.Error))
		}
		if res.RowsAffected != 1 {
			return nil
		}
		if err := tx.Where("user_id = ?", userID).Delete(&models.RecoveryCode{}).Error; err != nil {
			return fmt.Errorf("drop recovery codes: %w", translate(err))
		}
		if len(codes) > 0 {
			if err := tx.Create(&codes).Error; err != nil {
				return fmt.Errorf("create recovery codes: %w", translate(err))
			}
		}
		ok = true
		return nil
	})
	return ok, err
}

// UseRecoveryCode consumes the user's unused recovery code with hash; it reports false when there
// is none.
func (r *TOTP) UseRecoveryCode(ctx context.Context, userID uuid.UUID, hash string, now time.Time) (bool, error) {
	res := r.db.conn(ctx).Model(&models.RecoveryCode{}).
		Where("user_id = ? AND code_hash = ? AND used_at IS NULL", userID, hash).
		Update("used_at", now)
	if res.Error != nil {
		return false, fmt.Errorf("use recovery code: %w", translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// Reset removes the user's authenticator and recovery codes, so that the next sign-in sets up a
// new one (an operator's remedy for a lost device), and revokes the user's sessions (the lost
// device may hold one); it reports whether there was a factor.
func (r *TOTP) Reset(ctx context.Context, userID uuid.UUID, now time.Time) (bool, error) {
	var removed int64
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		res := tx.Where("user_id = ?", userID).Delete(&models.TOTPFactor{})
		if res.Error != nil {
			return fmt.Errorf("remove totp factor: %w", translate(res.Error))
		}
		removed = res.RowsAffected
		if err := tx.Where("user_id = ?", userID).Delete(&models.RecoveryCode{}).Error; err != nil {
			return fmt.Errorf("remove recovery codes: %w", translate(err))
		}
		if err := tx.Model(&models.Session{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now).Error; err != nil {
			return fmt.Errorf("revoke sessions: %w", translate(err))
		}
		return nil
	})
	return removed > 0, err
}
