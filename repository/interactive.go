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

// interactiveModels are the persisted models of the interactive context.
var interactiveModels = []any{&models.InteractiveDefinition{}, &models.InteractiveRun{}}

// InteractiveDefinitions stores self-help tool definitions.
type InteractiveDefinitions struct{ db *DB }

// NewInteractiveDefinitions returns the definition store.
func NewInteractiveDefinitions(db *DB) *InteractiveDefinitions {
	return &InteractiveDefinitions{db: db}
}

// Create inserts a definition.
func (r *InteractiveDefinitions) Create(ctx context.Context, d *models.InteractiveDefinition) error {
	if err := r.db.conn(ctx).Create(d).Error; err != nil {
		return fmt.Errorf("create interactive definition: %w", translate(err))
	}
	return nil
}

// ByID loads a definition in any status.
func (r *InteractiveDefinitions) ByID(ctx context.Context, id uuid.UUID) (*models.InteractiveDefinition, error) {
	var d models.InteractiveDefinition
	if err := r.db.conn(ctx).First(&d, "id = ?", id).Error; err != nil {
		return nil, notFound("interactive definition", id, err)
	}
	return &d, nil
}

// BySlug loads the definition with this slug in any status.
func (r *InteractiveDefinitions) BySlug(ctx context.Context, slug string) (*models.InteractiveDefinition, error) {
	var d models.InteractiveDefinition
	if err := r.db.conn(ctx).First(&d, "slug = ?", slug).Error; err != nil {
		return nil, notFound("interactive definition", slug, err)
	}
	return &d, nil
}

// PublishedBySlug loads the definition with this slug only if it is published.
func (r *InteractiveDefinitions) PublishedBySlug(ctx context.Context, slug string) (*models.InteractiveDefinition, error) {
	var d models.InteractiveDefinition
	err := r.db.conn(ctx).First(&d, "slug = ? AND status = ?", slug, models.PublicationPublished).Error
	if err != nil {
		return nil, notFound("published interactive definition", slug, err)
	}
	return &d, nil
}

// ListPublished returns a page of published definitions of type typ ("" for every type), newest
// publication first.
func (r *InteractiveDefinitions) ListPublished(ctx context.Context, typ models.InteractiveType, page Page) ([]models.InteractiveDefinition, error) {
	q := r.db.conn(ctx).Where("status = ?", models.PublicationPublished)
	if typ != "" {
		q = q.Where("type = ?", typ)
	}
	var out []models.InteractiveDefinition
	if err := page.apply(q.Order("published_at DESC, id DESC")).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list published interactive definitions: %w", translate(err))
	}
	return out, nil
}

// List returns a page of definitions in status ("" for every status), for editors, most recently
// changed first.
func (r *InteractiveDefinitions) List(ctx context.Context, status models.PublicationStatus, page Page) ([]models.InteractiveDefinition, error) {
	q := r.db.conn(ctx)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var out []models.InteractiveDefinition
	if err := page.apply(q.Order("updated_at DESC, id DESC")).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list interactive definitions: %w", translate(err))
	}
	return out, nil
}

// Update loads the definition inside a transaction (locking its row on PostgreSQL), lets fn change
// it through its methods, and saves it.
func (r *InteractiveDefinitions) Update(ctx context.Context, id uuid.UUID, fn func(*models.InteractiveDefinition) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.db.conn(ctx), "interactive_definitions")
		var d models.InteractiveDefinition
		if err := q.First(&d, "id = ?", id).Error; err != nil {
			return notFound("interactive definition", id, err)
		}
		if err := fn(&d); err != nil {
			return err
		}
		return r.Save(ctx, &d)
	})
}

// Save stores a definition loaded earlier (e.g. shown to an editor) unless someone saved it since:
// then it returns ErrConflict and the stored definition is unchanged.
func (r *InteractiveDefinitions) Save(ctx context.Context, d *models.InteractiveDefinition) error {
	if err := saveVersioned(r.db.conn(ctx), d, &d.Version); err != nil {
		return fmt.Errorf("save interactive definition %s: %w", d.ID, err)
	}
	return nil
}

// CountByTopicCode counts the definitions (in any status) that refer to a topic by its code.
func (r *InteractiveDefinitions) CountByTopicCode(ctx context.Context, code string) (int64, error) {
	var n int64
	if err := r.db.conn(ctx).Model(&models.InteractiveDefinition{}).Where("topic_code = ?", code).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count interactive definitions of topic %s: %w", code, translate(err))
	}
	return n, nil
}

// Delete removes a definition that was never run. One with runs is kept for them (ErrInvalidReference):
// archive it instead.
func (r *InteractiveDefinitions) Delete(ctx context.Context, id uuid.UUID) error {
	res := r.db.conn(ctx).Delete(&models.InteractiveDefinition{}, "id = ?", id)
	if res.Error != nil {
		return fmt.Errorf("delete interactive definition %s: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return notFound("interactive definition", id, gorm.ErrRecordNotFound)
	}
	return nil
}

// InteractiveRuns stores the runs of clients through self-help tools.
type InteractiveRuns struct{ db *DB }

// NewInteractiveRuns returns the run store.
func NewInteractiveRuns(db *DB) *InteractiveRuns { return &InteractiveRuns{db: db} }

// Create inserts a run (never its definition, which must exist).
func (r *InteractiveRuns) Create(ctx context.Context, run *models.InteractiveRun) error {
	if err := r.db.conn(ctx).Omit(clause.Associations).Create(run).Error; err != nil {
		return fmt.Errorf("create interactive run: %w", translate(err))
	}
	return nil
}

func (r *InteractiveRuns) withDefinition(ctx context.Context) *gorm.DB {
	return r.db.conn(ctx).Preload("Definition")
}

// ByID loads a run with its definition.
func (r *InteractiveRuns) ByID(ctx context.Context, id uuid.UUID) (*models.InteractiveRun, error) {
	var run models.InteractiveRun
	if err := r.withDefinition(ctx).First(&run, "id = ?", id).Error; err != nil {
		return nil, notFound("interactive run", id, err)
	}
	return &run, nil
}

// ListByUser returns a page of the user's runs, newest first, each with its definition (a
// constant number of queries).
func (r *InteractiveRuns) ListByUser(ctx context.Context, userID uuid.UUID, page Page) ([]models.InteractiveRun, error) {
	var out []models.InteractiveRun
	q := r.withDefinition(ctx).Where("user_id = ?", userID).Order("started_at DESC, id DESC")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list interactive runs of user %s: %w", userID, translate(err))
	}
	return out, nil
}

// ListByAnonymousID returns a page of the runs of an anonymous visitor, newest first, each with its
// definition (e.g. to show them, or to attach them to the account the visitor signs up with).
func (r *InteractiveRuns) ListByAnonymousID(ctx context.Context, anonymousID string, page Page) ([]models.InteractiveRun, error) {
	var out []models.InteractiveRun
	q := r.withDefinition(ctx).Where("anonymous_id = ?", anonymousID).Order("started_at DESC, id DESC")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list interactive runs of an anonymous visitor: %w", translate(err))
	}
	return out, nil
}

// Update loads the run with its definition inside a transaction (locking the run's row on
// PostgreSQL), lets fn change it through its methods (e.g. run.Complete(run.Definition, ...)), and
// saves the run; the definition is never written.
func (r *InteractiveRuns) Update(ctx context.Context, id uuid.UUID, fn func(*models.InteractiveRun) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.withDefinition(ctx), "interactive_runs")
		var run models.InteractiveRun
		if err := q.First(&run, "id = ?", id).Error; err != nil {
			return notFound("interactive run", id, err)
		}
		if err := fn(&run); err != nil {
			return err
		}
		err := r.db.conn(ctx).Session(&gorm.Session{SkipHooks: true}).Omit(clause.Associations).Save(&run).Error
		if err != nil {
			return fmt.Errorf("save interactive run %s: %w", id, translate(err))
		}
		return nil
	})
}

// StaleInProgress returns the ids of at most limit runs still in progress that started before
// before, oldest first (the status index serves it).
func (r *InteractiveRuns) StaleInProgress(ctx context.Context, before time.Time, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.db.conn(ctx).Model(&models.InteractiveRun{}).
		Where("status = ? AND started_at < ?", models.InteractiveRunStatusInProgress, before.UTC()).
		Order("started_at, id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list stale interactive runs: %w", translate(err))
	}
	return ids, nil
}
