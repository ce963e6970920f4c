package repository

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/models"
)

// notificationModels are the persisted models of the notifications context.
var notificationModels = []any{&models.NotificationDelivery{}}

// Deliveries stores the notification delivery log.
type Deliveries struct{ db *DB }

// NewDeliveries returns the delivery log store.
func NewDeliveries(db *DB) *Deliveries { return &Deliveries{db: db} }

// Claim returns the delivery of d.DedupKey, inserting d when there is none yet, with its row
// locked (PostgreSQL) until the transaction of ctx ends: two jobs for one message cannot both
// send it. Call it inside InTx.
func (r *Deliveries) Claim(ctx context.Context, d *models.NotificationDelivery) (*models.NotificationDelivery, error) {
	tx := r.db.conn(ctx)
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedup_key"}}, DoNothing: true}).Create(d).Error
	if err != nil {
		return nil, fmt.Errorf("claim delivery %s: %w", d.DedupKey, translate(err))
	}
	var got models.NotificationDelivery
	if err := forUpdate(r.db, tx, "notification_deliveries").First(&got, "dedup_key = ?", d.DedupKey).Error; err != nil {
		return nil, fmt.Errorf("claim delivery %s: %w", d.DedupKey, translate(err))
	}
	return &got, nil
}

// Save writes a delivery claimed earlier.
func (r *Deliveries) Save(ctx context.Context, d *models.NotificationDelivery) error {
	// SkipHooks: GORM would stamp updated_at with the wall clock instead of the injected clock's.
	if err := r.db.conn(ctx).Session(&gorm.Session{SkipHooks: true}).Save(d).Error; err != nil {
		return fmt.Errorf("save delivery %s: %w", d.ID, translate(err))
	}
	return nil
}

// ByDedupKey loads the delivery of a message.
func (r *Deliveries) ByDedupKey(ctx context.Context, key string) (*models.NotificationDelivery, error) {
	var d models.NotificationDelivery
	if err := r.db.conn(ctx).First(&d, "dedup_key = ?", key).Error; err != nil {
		return nil, fmt.Errorf("delivery %s: %w", key, translate(err))
	}
	return &d, nil
}

// BySubject lists the deliveries about one subject (an appointment), oldest first.
func (r *Deliveries) BySubject(ctx context.Context, subjectID uuid.UUID) ([]models.NotificationDelivery, error) {
	var out []models.NotificationDelivery
	if err := r.db.conn(ctx).Where("subject_id = ?", subjectID).Order("created_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", subjectID, translate(err))
	}
	return out, nil
}
