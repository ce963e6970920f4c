package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/models"
)

// This file: the diary's reads for the cabinet — a keyset page of a client's entries, the same page
// with the tags only (a tag filter decrypts no body), and the moods of a period (a mood trend
// decrypts neither bodies nor tags).

// DiaryPosition is where an entry stands in a diary: its day, creation time and id, newest first.
type DiaryPosition struct {
	EntryDate time.Time
	CreatedAt time.Time
	ID        uuid.UUID
}

// DiaryFilter asks for a page of one client's diary, the latest day first.
type DiaryFilter struct {
	UserID uuid.UUID
	// From and To keep the entries of these days (midnight UTC, inclusive; no bound when zero).
	From, To time.Time
	// After continues the list after this position (from the start when nil).
	After *DiaryPosition
	// Limit is the page size (at most maxPageSize).
	Limit int
}

// diaryTagColumns are what a tag filter reads: the position and the tags, never the body or mood.
const diaryTagColumns = "id, user_id, entry_date, tags, created_at"

// Page lists f.UserID's entries in f's period after f.After, the latest day first (entries of one
// day newest first).
func (r *DiaryEntries) Page(ctx context.Context, f DiaryFilter) ([]models.DiaryEntry, error) {
	var out []models.DiaryEntry
	if err := r.pageQuery(ctx, f).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list diary entries: %w", translate(err))
	}
	return out, nil
}

// PageTags is Page reading only each entry's position and tags: Body and Mood stay empty.
func (r *DiaryEntries) PageTags(ctx context.Context, f DiaryFilter) ([]models.DiaryEntry, error) {
	var out []models.DiaryEntry
	if err := r.pageQuery(ctx, f).Select(diaryTagColumns).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list diary tags: %w", translate(err))
	}
	return out, nil
}

// ByIDs loads userID's entries of ids, in Page's order; ids of another user are left out.
func (r *DiaryEntries) ByIDs(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) ([]models.DiaryEntry, error) {
	out := []models.DiaryEntry{}
	if len(ids) == 0 {
		return out, nil
	}
	err := r.db.conn(ctx).Where("user_id = ? AND id IN ?", userID, ids).
		Order("entry_date DESC, created_at DESC, id DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load diary entries: %w", translate(err))
	}
	return out, nil
}

// DiaryMood is the mood of one entry on its day.
type DiaryMood struct {
	EntryDate time.Time
	Mood      int
}

// Moods returns the moods userID gave in the days from..to (inclusive), reading only the day and
// mood columns; entries without a mood are left out.
func (r *DiaryEntries) Moods(ctx context.Context, userID uuid.UUID, from, to time.Time) ([]DiaryMood, error) {
	var rows []models.DiaryEntry
	err := r.db.conn(ctx).Select("id, entry_date, mood").
		Where("user_id = ? AND entry_date >= ? AND entry_date <= ? AND mood IS NOT NULL", userID, bookingDay(from), bookingDay(to)).
		Order("entry_date, created_at, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("diary moods: %w", translate(err))
	}
	out := make([]DiaryMood, 0, len(rows))
	for _, e := range rows {
		if e.Mood != nil {
			out = append(out, DiaryMood{EntryDate: bookingDay(e.EntryDate.UTC()), Mood: *e.Mood})
		}
	}
	return out, nil
}

func (r *DiaryEntries) pageQuery(ctx context.Context, f DiaryFilter) *gorm.DB {
	limit := f.Limit
	if limit <= 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	q := r.db.conn(ctx).Model(&models.DiaryEntry{}).Where("user_id = ?", f.UserID)
	if !f.From.IsZero() {
		q = q.Where("entry_date >= ?", bookingDay(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("entry_date <= ?", bookingDay(f.To))
	}
	if a := f.After; a != nil {
		day, at := bookingDay(a.EntryDate), a.CreatedAt.UTC()
		q = q.Where("entry_date < ? OR (entry_date = ? AND (created_at < ? OR (created_at = ? AND id < ?)))",
			day, day, at, at, a.ID)
	}
	return q.Order("entry_date DESC, created_at DESC, id DESC").Limit(limit)
}
