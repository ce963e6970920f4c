package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/models"
)

// telegramModels are the persisted models of the telegram context.
var telegramModels = []any{&models.DeepLink{}, &models.TelegramAccount{}}

// DeepLinks stores the deep links that carry site visitors into the bot.
type DeepLinks struct{ db *DB }

// NewDeepLinks returns the deep-link store.
func NewDeepLinks(db *DB) *DeepLinks { return &DeepLinks{db: db} }

// Create inserts a deep link; a code already taken is ErrConflict.
func (r *DeepLinks) Create(ctx context.Context, l *models.DeepLink) error {
	if err := r.db.conn(ctx).Create(l).Error; err != nil {
		return fmt.Errorf("create deep link: %w", translate(err))
	}
	return nil
}

// ByCode loads a deep link by its code. Errors never quote the code: it is a bearer secret.
func (r *DeepLinks) ByCode(ctx context.Context, code string) (*models.DeepLink, error) {
	var l models.DeepLink
	if err := r.db.conn(ctx).First(&l, "code = ?", code).Error; err != nil {
		return nil, fmt.Errorf("deep link by code: %w", translate(err))
	}
	return &l, nil
}

// Use spends one use of the link with this code, in one transaction with its row locked, so that
// of two /start with a single-use code exactly one succeeds. It returns the used link, or
// ErrNotFound, models.ErrDeepLinkExpired or models.ErrDeepLinkUsedUp.
func (r *DeepLinks) Use(ctx context.Context, code string, now time.Time) (*models.DeepLink, error) {
	var l models.DeepLink
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		q := forUpdate(r.db, tx, "deep_links")
		if err := q.First(&l, "code = ?", code).Error; err != nil {
			return fmt.Errorf("deep link by code: %w", translate(err))
		}
		uses := l.Uses
		if err := l.Use(now); err != nil {
			return err
		}
		// The row is locked; the guard on uses makes a lost update impossible even without it.
		// Through &l, so that the deep_link.used event it recorded is published with the change.
		res := tx.Model(&l).Where("uses = ?", uses).
			Updates(map[string]any{"uses": l.Uses, "used_at": l.UsedAt})
		if res.Error != nil {
			return fmt.Errorf("use deep link %s: %w", l.ID, translate(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("use deep link %s: %w", l.ID, &models.ConstraintError{Kind: models.ErrConflict, Constraint: "uses"})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// DeleteExpired removes the links that expired before t and returns how many.
func (r *DeepLinks) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res := r.db.conn(ctx).Where("expires_at < ?", t).Delete(&models.DeepLink{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired deep links: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}

// TelegramAccounts stores the Telegram users who talk to the bot.
type TelegramAccounts struct{ db *DB }

// NewTelegramAccounts returns the Telegram account store.
func NewTelegramAccounts(db *DB) *TelegramAccounts { return &TelegramAccounts{db: db} }

// Create inserts an account; a Telegram user or site user already registered is ErrConflict.
func (r *TelegramAccounts) Create(ctx context.Context, a *models.TelegramAccount) error {
	if err := r.db.conn(ctx).Create(a).Error; err != nil {
		return fmt.Errorf("create telegram account: %w", translate(err))
	}
	return nil
}

// ByID loads an account.
func (r *TelegramAccounts) ByID(ctx context.Context, id uuid.UUID) (*models.TelegramAccount, error) {
	var a models.TelegramAccount
	if err := r.db.conn(ctx).First(&a, "id = ?", id).Error; err != nil {
		return nil, notFound("telegram account", id, err)
	}
	return &a, nil
}

// ByTelegramUserID loads the account of a Telegram user.
func (r *TelegramAccounts) ByTelegramUserID(ctx context.Context, tgUserID int64) (*models.TelegramAccount, error) {
	var a models.TelegramAccount
	if err := r.db.conn(ctx).First(&a, "telegram_user_id = ?", tgUserID).Error; err != nil {
		return nil, notFound("telegram account of telegram user", tgUserID, err)
	}
	return &a, nil
}

// ByUserID loads the account linked to a site user.
func (r *TelegramAccounts) ByUserID(ctx context.Context, userID uuid.UUID) (*models.TelegramAccount, error) {
	var a models.TelegramAccount
	if err := r.db.conn(ctx).First(&a, "user_id = ?", userID).Error; err != nil {
		return nil, notFound("telegram account of user", userID, err)
	}
	return &a, nil
}

// Update loads the account inside a transaction (locking its row on PostgreSQL), lets fn change
// it through its methods, and saves it.
func (r *TelegramAccounts) Update(ctx context.Context, id uuid.UUID, fn func(*models.TelegramAccount) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		q := forUpdate(r.db, tx, "telegram_accounts")
		var a models.TelegramAccount
		if err := q.First(&a, "id = ?", id).Error; err != nil {
			return notFound("telegram account", id, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		// SkipHooks: the domain's clock, not GORM's, stamps updated_at.
		if err := tx.Session(&gorm.Session{SkipHooks: true}).Select("*").Updates(&a).Error; err != nil {
			return fmt.Errorf("save telegram account %s: %w", id, translate(err))
		}
		return nil
	})
}
