package repository

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/models"
)

// moderationModels are the persisted models of the moderation context.
var moderationModels = []any{&models.Question{}, &models.Answer{}, &models.ModerationItem{}}

// Questions stores clients' questions; loading one loads its answers.
type Questions struct{ db *DB }

// NewQuestions returns the question store.
func NewQuestions(db *DB) *Questions { return &Questions{db: db} }

// Create inserts a new question (its answers are created through Answers).
func (r *Questions) Create(ctx context.Context, q *models.Question) error {
	if err := r.db.conn(ctx).Omit(clause.Associations).Create(q).Error; err != nil {
		return fmt.Errorf("create question: %w", translate(err))
	}
	return nil
}

// withAnswers preloads every answer, oldest first.
func (r *Questions) withAnswers(ctx context.Context) *gorm.DB {
	return r.db.conn(ctx).Preload("Answers", func(db *gorm.DB) *gorm.DB { return db.Order("created_at, id") })
}

// ByID loads a question with all its answers, published or not.
func (r *Questions) ByID(ctx context.Context, id uuid.UUID) (*models.Question, error) {
	var q models.Question
	if err := r.withAnswers(ctx).First(&q, "id = ?", id).Error; err != nil {
		return nil, notFound("question", id, err)
	}
	return &q, nil
}

// ByIDs loads the questions with these ids (those that exist) with their answers, oldest first:
// the moderation queue lists items and then shows their questions in two queries, not one per item.
func (r *Questions) ByIDs(ctx context.Context, ids []uuid.UUID) ([]models.Question, error) {
	out := []models.Question{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := r.withAnswers(ctx).Where("id IN ?", ids).Order("submitted_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("questions by id: %w", translate(err))
	}
	return out, nil
}

// ListByUser lists the questions userID asked, newest first, with their answers.
func (r *Questions) ListByUser(ctx context.Context, userID uuid.UUID, p Page) ([]models.Question, error) {
	var out []models.Question
	q := r.withAnswers(ctx).Where("user_id = ?", userID).Order("submitted_at DESC, id DESC")
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list questions of user: %w", translate(err))
	}
	return out, nil
}

// ListPublished lists the questions whose moderation item is published, newest first, each with its
// published answers only: what the public site shows.
func (r *Questions) ListPublished(ctx context.Context, p Page) ([]models.Question, error) {
	var out []models.Question
	published := r.db.conn(ctx).Model(&models.ModerationItem{}).Select("subject_id").
		Where("kind = ? AND status = ?", models.ModerationKindQuestion, models.ModerationStatusPublished)
	q := r.db.conn(ctx).
		Preload("Answers", func(db *gorm.DB) *gorm.DB {
			return db.Where("published_at IS NOT NULL").Order("published_at, id")
		}).
		Where("id IN (?)", published).
		Order("submitted_at DESC, id DESC")
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list published questions: %w", translate(err))
	}
	return out, nil
}

// Update loads the question inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods and saves the question itself; answers are saved through Answers.
func (r *Questions) Update(ctx context.Context, id uuid.UUID, fn func(*models.Question) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		q := forUpdate(r.db, r.withAnswers(ctx), "questions")
		var question models.Question
		if err := q.First(&question, "id = ?", id).Error; err != nil {
			return notFound("question", id, err)
		}
		if err := fn(&question); err != nil {
			return err
		}
		// SkipHooks: the question's clock, not GORM's, stamps updated_at.
		if err := tx.Omit(clause.Associations).Session(&gorm.Session{SkipHooks: true}).Save(&question).Error; err != nil {
			return fmt.Errorf("save question %s: %w", id, translate(err))
		}
		return nil
	})
}

// Answers stores answers to questions.
type Answers struct{ db *DB }

// NewAnswers returns the answer store.
func NewAnswers(db *DB) *Answers { return &Answers{db: db} }

// Create inserts a new answer; an unknown question or author is ErrInvalidReference.
func (r *Answers) Create(ctx context.Context, a *models.Answer) error {
	if err := r.db.conn(ctx).Create(a).Error; err != nil {
		return fmt.Errorf("create answer: %w", translate(err))
	}
	return nil
}

// ByID loads an answer.
func (r *Answers) ByID(ctx context.Context, id uuid.UUID) (*models.Answer, error) {
	var a models.Answer
	if err := r.db.conn(ctx).First(&a, "id = ?", id).Error; err != nil {
		return nil, notFound("answer", id, err)
	}
	return &a, nil
}

// Update loads the answer inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods and saves it.
func (r *Answers) Update(ctx context.Context, id uuid.UUID, fn func(*models.Answer) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		q := forUpdate(r.db, tx, "answers")
		var a models.Answer
		if err := q.First(&a, "id = ?", id).Error; err != nil {
			return notFound("answer", id, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
		if err := tx.Session(&gorm.Session{SkipHooks: true}).Save(&a).Error; err != nil {
			return fmt.Errorf("save answer %s: %w", id, translate(err))
		}
		return nil
	})
}

// ModerationItems stores the moderation queue.
type ModerationItems struct{ db *DB }

// NewModerationItems returns the moderation queue store.
func NewModerationItems(db *DB) *ModerationItems { return &ModerationItems{db: db} }

// Create queues an item; a second item for the same subject is ErrConflict.
func (r *ModerationItems) Create(ctx context.Context, m *models.ModerationItem) error {
	if err := r.db.conn(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("create moderation item: %w", translate(err))
	}
	return nil
}

// ByID loads an item.
func (r *ModerationItems) ByID(ctx context.Context, id uuid.UUID) (*models.ModerationItem, error) {
	var m models.ModerationItem
	if err := r.db.conn(ctx).First(&m, "id = ?", id).Error; err != nil {
		return nil, notFound("moderation item", id, err)
	}
	return &m, nil
}

// BySubject loads the item about subjectID of kind.
func (r *ModerationItems) BySubject(ctx context.Context, kind models.ModerationKind, subjectID uuid.UUID) (*models.ModerationItem, error) {
	var m models.ModerationItem
	if err := r.db.conn(ctx).First(&m, "kind = ? AND subject_id = ?", kind, subjectID).Error; err != nil {
		return nil, notFound("moderation item of "+string(kind), subjectID, err)
	}
	return &m, nil
}

// ListByStatus lists the items in status, oldest first (the queue's order).
func (r *ModerationItems) ListByStatus(ctx context.Context, status models.ModerationStatus, p Page) ([]models.ModerationItem, error) {
	var out []models.ModerationItem
	q := r.db.conn(ctx).Where("status = ?", status).Order("created_at, id")
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list %s moderation items: %w", status, translate(err))
	}
	return out, nil
}

// Update loads the item inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods and saves it if its version is unchanged.
func (r *ModerationItems) Update(ctx context.Context, id uuid.UUID, fn func(*models.ModerationItem) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.db.conn(ctx), "moderation_items")
		var m models.ModerationItem
		if err := q.First(&m, "id = ?", id).Error; err != nil {
			return notFound("moderation item", id, err)
		}
		if err := fn(&m); err != nil {
			return err
		}
		return r.Save(ctx, &m)
	})
}

// Save stores an item loaded earlier (e.g. shown to a moderator); if another decision was saved
// since, nothing is written and the error is ErrConflict.
func (r *ModerationItems) Save(ctx context.Context, m *models.ModerationItem) error {
	if err := saveVersioned(r.db.conn(ctx), m, &m.Version); err != nil {
		return fmt.Errorf("save moderation item %s: %w", m.ID, err)
	}
	return nil
}
