package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/models"
)

// Users stores the identity aggregate: users with their roles and consent history.
type Users struct{ db *DB }

// NewUsers returns the user store.
func NewUsers(db *DB) *Users { return &Users{db: db} }

// Create inserts a new user with its roles and consents.
func (r *Users) Create(ctx context.Context, u *models.User) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		if err := tx.Omit(clause.Associations).Create(u).Error; err != nil {
			return fmt.Errorf("create user: %w", translate(err))
		}
		if len(u.Roles) > 0 {
			if err := tx.Create(&u.Roles).Error; err != nil {
				return fmt.Errorf("create user roles: %w", translate(err))
			}
		}
		if len(u.Consents) > 0 {
			if err := tx.Create(&u.Consents).Error; err != nil {
				return fmt.Errorf("create consents: %w", translate(err))
			}
		}
		return nil
	})
}

func (r *Users) withAssociations(ctx context.Context) *gorm.DB {
	return r.db.conn(ctx).
		Preload("Roles", func(db *gorm.DB) *gorm.DB { return db.Order("role") }).
		Preload("Consents", func(db *gorm.DB) *gorm.DB { return db.Order("granted_at, id") })
}

// ByID loads a user (not soft-deleted) with roles and consents.
func (r *Users) ByID(ctx context.Context, id uuid.UUID) (*models.User, error) {
	var u models.User
	if err := r.withAssociations(ctx).First(&u, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("user %s: %w", id, translate(err))
	}
	return &u, nil
}

// ByEmail loads the live user with this email.
func (r *Users) ByEmail(ctx context.Context, email models.Email) (*models.User, error) {
	var u models.User
	if err := r.withAssociations(ctx).First(&u, "email = ?", email).Error; err != nil {
		return nil, fmt.Errorf("user by email: %w", translate(err))
	}
	return &u, nil
}

// Update loads the user inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods, and saves the user, its role set and its consent history.
func (r *Users) Update(ctx context.Context, id uuid.UUID, fn func(*models.User) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		var u models.User
		q := forUpdate(r.db, r.withAssociations(ctx), "users")
		if err := q.Unscoped().First(&u, "id = ?", id).Error; err != nil {
			return fmt.Errorf("user %s: %w", id, translate(err))
		}
		before := snapshot(&u)
		if err := fn(&u); err != nil {
			return err
		}
		// SkipHooks: GORM would otherwise stamp updated_at with the wall clock, overriding the
		// UpdatedAt that fn set from the injected clock.
		if err := tx.Unscoped().Omit(clause.Associations).Session(&gorm.Session{SkipHooks: true}).Save(&u).Error; err != nil {
			return fmt.Errorf("save user %s: %w", id, translate(err))
		}
		return saveUserChildren(tx, &u, before)
	})
}

type userSnapshot struct {
	roles    map[models.Role]bool
	consents map[uuid.UUID]*time.Time
}

func snapshot(u *models.User) userSnapshot {
	s := userSnapshot{roles: map[models.Role]bool{}, consents: map[uuid.UUID]*time.Time{}}
	for _, r := range u.Roles {
		s.roles[r.Role] = true
	}
	for _, c := range u.Consents {
		s.consents[c.ID] = c.RevokedAt
	}
	return s
}

func saveUserChildren(tx *gorm.DB, u *models.User, before userSnapshot) error {
	kept := map[models.Role]bool{}
	for _, role := range u.Roles {
		kept[role.Role] = true
		if !before.roles[role.Role] {
			if err := tx.Create(&role).Error; err != nil {
				return fmt.Errorf("grant role %s: %w", role.Role, translate(err))
			}
		}
	}
	for role := range before.roles {
		if !kept[role] {
			if err := tx.Where("user_id = ? AND role = ?", u.ID, role).Delete(&models.UserRole{}).Error; err != nil {
				return fmt.Errorf("revoke role %s: %w", role, translate(err))
			}
		}
	}
	// Revocations first: a new grant of the same type may only exist once the old one is revoked.
	for _, c := range u.Consents {
		if revoked, known := before.consents[c.ID]; known && revoked == nil && c.RevokedAt != nil {
			if err := tx.Model(&models.Consent{}).Where("id = ?", c.ID).Update("revoked_at", c.RevokedAt).Error; err != nil {
				return fmt.Errorf("revoke consent: %w", translate(err))
			}
		}
	}
	for _, c := range u.Consents {
		if _, known := before.consents[c.ID]; !known {
			if err := tx.Create(&c).Error; err != nil {
				return fmt.Errorf("record consent: %w", translate(err))
			}
		}
	}
	return nil
}

// Sessions stores staff sessions.
type Sessions struct{ db *DB }

// NewSessions returns the session store.
func NewSessions(db *DB) *Sessions { return &Sessions{db: db} }

// Create inserts a session.
func (r *Sessions) Create(ctx context.Context, s *models.Session) error {
	if err := r.db.conn(ctx).Create(s).Error; err != nil {
		return fmt.Errorf("create session: %w", translate(err))
	}
	return nil
}

// ByTokenHash finds a session by the hash of its token.
func (r *Sessions) ByTokenHash(ctx context.Context, hash string) (*models.Session, error) {
	var s models.Session
	if err := r.db.conn(ctx).First(&s, "token_hash = ?", hash).Error; err != nil {
		return nil, fmt.Errorf("session: %w", translate(err))
	}
	return &s, nil
}

// Touch stores the session's last activity.
func (r *Sessions) Touch(ctx context.Context, s *models.Session) error {
	err := r.db.conn(ctx).Model(s).Update("last_seen_at", s.LastSeenAt).Error
	if err != nil {
		return fmt.Errorf("touch session: %w", translate(err))
	}
	return nil
}

// Revoke stores the session's revocation.
func (r *Sessions) Revoke(ctx context.Context, s *models.Session) error {
	err := r.db.conn(ctx).Model(s).Update("revoked_at", s.RevokedAt).Error
	if err != nil {
		return fmt.Errorf("revoke session: %w", translate(err))
	}
	return nil
}

// DeleteExpired removes sessions that expired before t and returns how many.
func (r *Sessions) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res := r.db.conn(ctx).Where("expires_at < ?", t).Delete(&models.Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
