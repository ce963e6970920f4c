package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/models"
)

// What the public site reads of a question: never its text (P2), which stays encrypted and is
// not even selected, nor who asked.
var questionPublicColumns = []string{"id", "public_text", "topic_code", "submitted_at"}

// publishedAnswers preloads the answers that are public, oldest publication first.
func publishedAnswers(db *gorm.DB) *gorm.DB {
	return db.Where("published_at IS NOT NULL").Order("published_at, id")
}

// ByStatusTokenHash loads the question whose asker holds the status token of this hash, with its
// published answers only and without its text; an unknown hash is ErrNotFound.
func (r *Questions) ByStatusTokenHash(ctx context.Context, hash string) (*models.Question, error) {
	var q models.Question
	err := r.db.conn(ctx).Select(questionPublicColumns).Preload("Answers", publishedAnswers).
		Where("status_token_hash = ?", hash).First(&q).Error
	if err != nil {
		return nil, notFound("question with status token", "(hash)", err)
	}
	return &q, nil
}

// PublicQuestionFilter selects a page of the published questions.
type PublicQuestionFilter struct {
	// TopicCode keeps the questions of this topic only (all when empty).
	TopicCode string
	// After continues the list after this position (from the start when nil).
	After *PublicQuestionPosition
	// Limit is the page size (at most maxPageSize).
	Limit int
}

// PublicQuestionPosition is where a question stands in the public list: its publication time and
// id (ties broken by id, newest first).
type PublicQuestionPosition struct {
	PublishedAt time.Time
	ID          uuid.UUID
}

// PublishedQuestion is a question the public may read: its public text and published answers,
// and when it was published.
type PublishedQuestion struct {
	Question    models.Question
	PublishedAt time.Time
}

// ListPublic lists the published questions that have a public text, newest publication first,
// each with its published answers only; the question's own text is never read.
func (r *Questions) ListPublic(ctx context.Context, f PublicQuestionFilter) ([]PublishedQuestion, error) {
	limit := f.Limit
	if limit <= 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	var rows []struct {
		SubjectID uuid.UUID
		DecidedAt time.Time
	}
	q := r.db.conn(ctx).Table("moderation_items AS m").
		Select("m.subject_id, m.decided_at").
		Joins("JOIN questions AS q ON q.id = m.subject_id").
		Where("m.kind = ? AND m.status = ? AND q.public_text IS NOT NULL", models.ModerationKindQuestion, models.ModerationStatusPublished)
	if f.TopicCode != "" {
		q = q.Where("q.topic_code = ?", f.TopicCode)
	}
	if a := f.After; a != nil {
		at := a.PublishedAt.UTC()
		q = q.Where("m.decided_at < ? OR (m.decided_at = ? AND m.subject_id < ?)", at, at, a.ID)
	}
	if err := q.Order("m.decided_at DESC, m.subject_id DESC").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list public questions: %w", translate(err))
	}
	out := make([]PublishedQuestion, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, row := range rows {
		ids[i] = row.SubjectID
	}
	var questions []models.Question
	err := r.db.conn(ctx).Select(questionPublicColumns).Preload("Answers", publishedAnswers).
		Where("id IN ?", ids).Find(&questions).Error
	if err != nil {
		return nil, fmt.Errorf("list public questions: %w", translate(err))
	}
	byID := make(map[uuid.UUID]models.Question, len(questions))
	for _, qu := range questions {
		byID[qu.ID] = qu
	}
	for _, row := range rows {
		if qu, ok := byID[row.SubjectID]; ok {
			out = append(out, PublishedQuestion{Question: qu, PublishedAt: row.DecidedAt.UTC()})
		}
	}
	return out, nil
}
