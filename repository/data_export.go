package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// This file: client cabinet — data export: the archives of export requests, and the reads that
// gather everything held about one client for the archive.

func init() { cabinetModels = append(cabinetModels, &models.DataExportArchive{}) }

// DataExportArchives stores built export archives (Fernet-encrypted) until their first download
// or expiry.
type DataExportArchives struct{ db *DB }

// NewDataExportArchives returns the archive store.
func NewDataExportArchives(db *DB) *DataExportArchives { return &DataExportArchives{db: db} }

// Create inserts an archive; a second archive of the same request is ErrConflict.
func (r *DataExportArchives) Create(ctx context.Context, a *models.DataExportArchive) error {
	if err := r.db.conn(ctx).Create(a).Error; err != nil {
		return fmt.Errorf("create data export archive: %w", translate(err))
	}
	return nil
}

// SetTokenHash replaces the download token's hash of requestID's archive (a new link makes the
// previous one useless). A missing archive is ErrNotFound.
func (r *DataExportArchives) SetTokenHash(ctx context.Context, requestID uuid.UUID, hash string) error {
	res := r.db.conn(ctx).Model(&models.DataExportArchive{}).Where("request_id = ?", requestID).Update("token_hash", hash)
	if res.Error != nil {
		return fmt.Errorf("set data export token %s: %w", requestID, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set data export token %s: %w", requestID, models.ErrNotFound)
	}
	return nil
}

// TakeByToken loads and deletes userID's archive whose token hashes to hash and that has not
// expired at now, in one transaction: a token works once. Anything else is ErrNotFound.
func (r *DataExportArchives) TakeByToken(ctx context.Context, userID uuid.UUID, hash string, now time.Time) (*models.DataExportArchive, error) {
	var a models.DataExportArchive
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		if err := forUpdate(r.db, tx, "data_export_archives").
			First(&a, "token_hash = ? AND user_id = ? AND expires_at > ?", hash, userID, now.UTC()).Error; err != nil {
			return notFound("data export archive", "token", err)
		}
		res := tx.Where("request_id = ?", a.RequestID).Delete(&models.DataExportArchive{})
		if res.Error != nil {
			return fmt.Errorf("delete data export archive %s: %w", a.RequestID, translate(res.Error))
		}
		if res.RowsAffected == 0 { // taken by a concurrent download
			return fmt.Errorf("take data export archive: %w", models.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteExpired deletes every archive whose expiry is at or before now and returns how many.
func (r *DataExportArchives) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res := r.db.conn(ctx).Where("expires_at <= ?", now.UTC()).Delete(&models.DataExportArchive{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired data export archives: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}

// ClientData is everything held about one client, as the data export gathers it.
type ClientData struct {
	User         *models.User
	Consents     []models.Consent
	Appointments []models.Appointment
	Payments     []models.Payment
	Refunds      []models.Refund
	IntakeForms  []models.IntakeForm
	Diary        []models.DiaryEntry
	ToolRuns     []models.InteractiveRun
	Questions    []models.Question
	Telegram     []models.TelegramAccount
	Leads        []models.Lead
}

// ClientDataReader reads everything held about a client, for the data export only: it decrypts
// P2 on purpose.
type ClientDataReader struct{ db *DB }

// NewClientDataReader returns the export's reader.
func NewClientDataReader(db *DB) *ClientDataReader { return &ClientDataReader{db: db} }

// Gather loads userID's data, one query per kind (no per-row queries). A missing user is
// ErrNotFound.
func (r *ClientDataReader) Gather(ctx context.Context, userID uuid.UUID) (*ClientData, error) {
	q := r.db.conn(ctx)
	var d ClientData
	var u models.User
	if err := q.First(&u, "id = ?", userID).Error; err != nil {
		return nil, notFound("user", userID, err)
	}
	d.User = &u
	type step struct {
		what string
		run  func() error
	}
	appointmentIDs := func() []uuid.UUID {
		ids := make([]uuid.UUID, len(d.Appointments))
		for i, a := range d.Appointments {
			ids[i] = a.ID
		}
		return ids
	}
	steps := []step{
		{"consents", func() error {
			return q.Where("user_id = ?", userID).Order("granted_at, id").Find(&d.Consents).Error
		}},
		{"appointments", func() error {
			return q.Preload("Service").Where("client_user_id = ?", userID).Order("start_at, id").Find(&d.Appointments).Error
		}},
		{"payments", func() error {
			return q.Where("appointment_id IN ?", appointmentIDs()).Order("created_at, id").Find(&d.Payments).Error
		}},
		{"refunds", func() error {
			ids := make([]uuid.UUID, len(d.Payments))
			for i, p := range d.Payments {
				ids[i] = p.ID
			}
			return q.Where("payment_id IN ?", ids).Order("created_at, id").Find(&d.Refunds).Error
		}},
		{"intake forms", func() error {
			return q.Where("appointment_id IN ?", appointmentIDs()).Order("created_at, id").Find(&d.IntakeForms).Error
		}},
		{"diary", func() error {
			return q.Where("user_id = ?", userID).Order("entry_date, created_at, id").Find(&d.Diary).Error
		}},
		{"tool runs", func() error {
			return q.Preload("Definition").Where("user_id = ?", userID).Order("started_at, id").Find(&d.ToolRuns).Error
		}},
		{"questions", func() error {
			return q.Preload("Answers", "published_at IS NOT NULL").Where("user_id = ?", userID).
				Order("submitted_at, id").Find(&d.Questions).Error
		}},
		{"telegram", func() error {
			return q.Where("user_id = ?", userID).Find(&d.Telegram).Error
		}},
		{"leads", func() error {
			return q.Preload("Identities").Where("user_id = ?", userID).Order("created_at, id").Find(&d.Leads).Error
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return nil, fmt.Errorf("gather %s of user %s: %w", s.what, userID, translate(err))
		}
	}
	return &d, nil
}
