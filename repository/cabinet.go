package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/models"
)

// cabinetModels are the persisted models of the cabinet context.
var cabinetModels = []any{&models.DiaryEntry{}, &models.DataExportRequest{}}

// DiaryEntries stores clients' private diaries. Every method is scoped to the entry's owner: another
// user's entry does not exist for the caller.
type DiaryEntries struct{ db *DB }

// NewDiaryEntries returns the diary store.
func NewDiaryEntries(db *DB) *DiaryEntries { return &DiaryEntries{db: db} }

// Create inserts a new diary entry.
func (r *DiaryEntries) Create(ctx context.Context, e *models.DiaryEntry) error {
	if err := r.db.conn(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("create diary entry: %w", translate(err))
	}
	return nil
}

// ByID loads userID's entry id; an entry of another user is ErrNotFound.
func (r *DiaryEntries) ByID(ctx context.Context, userID, id uuid.UUID) (*models.DiaryEntry, error) {
	var e models.DiaryEntry
	if err := r.db.conn(ctx).First(&e, "id = ? AND user_id = ?", id, userID).Error; err != nil {
		return nil, notFound("diary entry", id, err)
	}
	return &e, nil
}

// ListByUser lists userID's entries, the latest day first (entries of one day newest first).
func (r *DiaryEntries) ListByUser(ctx context.Context, userID uuid.UUID, p Page) ([]models.DiaryEntry, error) {
	var out []models.DiaryEntry
	q := r.db.conn(ctx).Where("user_id = ?", userID).Order("entry_date DESC, created_at DESC, id DESC")
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list diary entries: %w", translate(err))
	}
	return out, nil
}

// Update loads userID's entry id inside a transaction (locking its row on PostgreSQL), lets fn
// change it through its methods, and saves it.
func (r *DiaryEntries) Update(ctx context.Context, userID, id uuid.UUID, fn func(*models.DiaryEntry) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		q := forUpdate(r.db, tx, "diary_entries")
		var e models.DiaryEntry
		if err := q.First(&e, "id = ? AND user_id = ?", id, userID).Error; err != nil {
			return notFound("diary entry", id, err)
		}
		if err := fn(&e); err != nil {
			return err
		}
		// SkipHooks: the entry's clock, not GORM's, stamps updated_at.
		if err := tx.Session(&gorm.Session{SkipHooks: true}).Save(&e).Error; err != nil {
			return fmt.Errorf("save diary entry %s: %w", id, translate(err))
		}
		return nil
	})
}

// Delete removes userID's entry id; an entry of another user is ErrNotFound.
func (r *DiaryEntries) Delete(ctx context.Context, userID, id uuid.UUID) error {
	res := r.db.conn(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&models.DiaryEntry{})
	if res.Error != nil {
		return fmt.Errorf("delete diary entry %s: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete diary entry %s: %w", id, models.ErrNotFound)
	}
	return nil
}

// DeleteAllForUser removes the whole diary of userID (account deletion) and returns how many
// entries it held.
func (r *DiaryEntries) DeleteAllForUser(ctx context.Context, userID uuid.UUID) (int64, error) {
	res := r.db.conn(ctx).Where("user_id = ?", userID).Delete(&models.DiaryEntry{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete diary of user %s: %w", userID, translate(res.Error))
	}
	return res.RowsAffected, nil
}

// DataExportRequests stores clients' requests for a copy of their data.
type DataExportRequests struct{ db *DB }

// NewDataExportRequests returns the data export request store.
func NewDataExportRequests(db *DB) *DataExportRequests { return &DataExportRequests{db: db} }

// Create inserts a new request. A second open request of the same user is ErrConflict.
func (r *DataExportRequests) Create(ctx context.Context, x *models.DataExportRequest) error {
	if err := r.db.conn(ctx).Create(x).Error; err != nil {
		return fmt.Errorf("create data export request: %w", translate(err))
	}
	return nil
}

// ByID loads a request.
func (r *DataExportRequests) ByID(ctx context.Context, id uuid.UUID) (*models.DataExportRequest, error) {
	var x models.DataExportRequest
	if err := r.db.conn(ctx).First(&x, "id = ?", id).Error; err != nil {
		return nil, notFound("data export request", id, err)
	}
	return &x, nil
}

// OpenByUser loads userID's open (requested or processing) request, or ErrNotFound.
func (r *DataExportRequests) OpenByUser(ctx context.Context, userID uuid.UUID) (*models.DataExportRequest, error) {
	var x models.DataExportRequest
	err := r.db.conn(ctx).
		Where("user_id = ? AND status IN ?", userID, []models.DataExportStatus{models.DataExportStatusRequested, models.DataExportStatusProcessing}).
		First(&x).Error
	if err != nil {
		return nil, notFound("open data export request of user", userID, err)
	}
	return &x, nil
}

// ListByUser lists userID's requests, newest first.
func (r *DataExportRequests) ListByUser(ctx context.Context, userID uuid.UUID, p Page) ([]models.DataExportRequest, error) {
	var out []models.DataExportRequest
	q := r.db.conn(ctx).Where("user_id = ?", userID).Order("requested_at DESC, id DESC")
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list data export requests: %w", translate(err))
	}
	return out, nil
}

// ListByStatus lists the requests in status, oldest first (the order a worker serves them in).
func (r *DataExportRequests) ListByStatus(ctx context.Context, status models.DataExportStatus, p Page) ([]models.DataExportRequest, error) {
	var out []models.DataExportRequest
	q := r.db.conn(ctx).Where("status = ?", status).Order("requested_at, id")
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list %s data export requests: %w", status, translate(err))
	}
	return out, nil
}

// Update loads the request inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods and saves it if its version is unchanged.
func (r *DataExportRequests) Update(ctx context.Context, id uuid.UUID, fn func(*models.DataExportRequest) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.db.conn(ctx), "data_export_requests")
		var x models.DataExportRequest
		if err := q.First(&x, "id = ?", id).Error; err != nil {
			return notFound("data export request", id, err)
		}
		if err := fn(&x); err != nil {
			return err
		}
		return r.Save(ctx, &x)
	})
}

// Save stores a request loaded earlier; if it changed since (its version moved on), nothing is
// written and the error is ErrConflict.
func (r *DataExportRequests) Save(ctx context.Context, x *models.DataExportRequest) error {
	if err := saveVersioned(r.db.conn(ctx), x, &x.Version); err != nil {
		return fmt.Errorf("save data export request %s: %w", x.ID, err)
	}
	return nil
}

// ExpireReady marks every ready archive whose expiry is at or before before as expired, bumping
// each row's version (so a concurrent edit of it conflicts), and returns how many it expired.
// It is the set-based form of DataExportRequest.Expire for the cleanup job.
func (r *DataExportRequests) ExpireReady(ctx context.Context, before time.Time) (int64, error) {
	res := r.db.conn(ctx).Model(&models.DataExportRequest{}).
		Where("status = ? AND expires_at <= ?", models.DataExportStatusReady, before.UTC()).
		Updates(map[string]any{"status": models.DataExportStatusExpired, "version": gorm.Expr("version + 1")})
	if res.Error != nil {
		return 0, fmt.Errorf("expire data exports: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
