package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/migrations"
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

// ActiveOwners lists the active owners. On PostgreSQL it locks their user and role rows until the
// transaction ends, so that two owners demoting or disabling each other at once cannot leave the
// practice without one (SQLite serializes writing transactions anyway).
func (r *Users) ActiveOwners(ctx context.Context) ([]uuid.UUID, error) {
	q := r.db.conn(ctx).Table("user_roles").Select("user_roles.user_id").
		Joins("JOIN users ON users.id = user_roles.user_id").
		Where("user_roles.role = ? AND users.status = ? AND users.deleted_at IS NULL", models.RoleOwner, models.UserActive).
		Order("user_roles.user_id")
	if r.db.Dialect == migrations.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var ids []uuid.UUID
	if err := q.Pluck("user_roles.user_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("active owners: %w", translate(err))
	}
	return ids, nil
}

// StaffMember is a row of the staff view: a user holding a staff role, with the highest
// one, and whether they have set a password (an invited member has not yet). It is the staff
// list of the admin panel; changes go through Users.
type StaffMember struct {
	ID          uuid.UUID `gorm:"primaryKey"`
	Email       *models.Email
	DisplayName string
	Status      models.UserStatus
	Role        models.Role
	PasswordSet bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableName maps StaffMember to its view.
func (StaffMember) TableName() string { return "staff" }

// ByID loads a session.
func (r *Sessions) ByID(ctx context.Context, id uuid.UUID) (*models.Session, error) {
	var s models.Session
	if err := r.db.conn(ctx).First(&s, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("session %s: %w", id, translate(err))
	}
	return &s, nil
}

// RevokeAll ends every session of the user that is not already ended and returns how many.
func (r *Sessions) RevokeAll(ctx context.Context, userID uuid.UUID, now time.Time) (int64, error) {
	res := r.db.conn(ctx).Model(&models.Session{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now)
	if res.Error != nil {
		return 0, fmt.Errorf("revoke sessions of %s: %w", userID, translate(res.Error))
	}
	return res.RowsAffected, nil
}

// StaffInvites stores invitations of staff members to set their password.
type StaffInvites struct{ db *DB }

// NewStaffInvites returns the invitation store.
func NewStaffInvites(db *DB) *StaffInvites { return &StaffInvites{db: db} }

// Create inserts an invitation.
func (r *StaffInvites) Create(ctx context.Context, i *models.StaffInvite) error {
	if err := r.db.conn(ctx).Create(i).Error; err != nil {
		return fmt.Errorf("create staff invite: %w", translate(err))
	}
	return nil
}

// ByID loads an invitation.
func (r *StaffInvites) ByID(ctx context.Context, id uuid.UUID) (*models.StaffInvite, error) {
	var i models.StaffInvite
	if err := r.db.conn(ctx).First(&i, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("staff invite %s: %w", id, translate(err))
	}
	return &i, nil
}

// ByTokenHash loads the invitation whose token has this hash.
func (r *StaffInvites) ByTokenHash(ctx context.Context, hash string) (*models.StaffInvite, error) {
	var i models.StaffInvite
	if err := r.db.conn(ctx).First(&i, "token_hash = ?", hash).Error; err != nil {
		return nil, fmt.Errorf("staff invite by token: %w", translate(err))
	}
	return &i, nil
}

// ByUser lists the user's invitations, newest first.
func (r *StaffInvites) ByUser(ctx context.Context, userID uuid.UUID) ([]models.StaffInvite, error) {
	var out []models.StaffInvite
	if err := r.db.conn(ctx).Where("user_id = ?", userID).Order("created_at DESC, id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("staff invites of %s: %w", userID, translate(err))
	}
	return out, nil
}

// Update loads the invitation (locking its row on PostgreSQL) — by id, or by the hash of its
// token when id is uuid.Nil — lets fn change it and saves it.
func (r *StaffInvites) Update(ctx context.Context, id uuid.UUID, tokenHash string, fn func(*models.StaffInvite) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.db.conn(ctx), "staff_invites")
		var i models.StaffInvite
		var err error
		if id != uuid.Nil {
			err = q.First(&i, "id = ?", id).Error
		} else {
			err = q.First(&i, "token_hash = ?", tokenHash).Error
		}
		if err != nil {
			return fmt.Errorf("staff invite: %w", translate(err))
		}
		if err := fn(&i); err != nil {
			return err
		}
		if err := r.db.conn(ctx).Save(&i).Error; err != nil {
			return fmt.Errorf("save staff invite %s: %w", i.ID, translate(err))
		}
		return nil
	})
}

// RevokeOpen revokes the user's unused invitations (a new one replaces them).
func (r *StaffInvites) RevokeOpen(ctx context.Context, userID uuid.UUID, now time.Time) error {
	err := r.db.conn(ctx).Model(&models.StaffInvite{}).
		Where("user_id = ? AND used_at IS NULL AND revoked_at IS NULL", userID).Update("revoked_at", now).Error
	if err != nil {
		return fmt.Errorf("revoke invites of %s: %w", userID, translate(err))
	}
	return nil
}
