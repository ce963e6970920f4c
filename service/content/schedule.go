package content

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service"
)

// TaskPublishScheduled is the periodic task that publishes the drafts whose scheduled time has
// come; keep the name stable, queued jobs carry it.
const TaskPublishScheduled = "content.publish_scheduled"

// publishBatch bounds one run; the next run takes the rest.
const publishBatch = 100

// Scheduler publishes scheduled drafts.
type Scheduler struct {
	items *repository.ContentItems
	clock service.Clock
	log   *slog.Logger
}

// NewScheduler publishes the scheduled drafts of db at clock's time.
func NewScheduler(db *repository.DB, clock service.Clock, log *slog.Logger) *Scheduler {
	return &Scheduler{items: repository.NewContentItems(db), clock: clock, log: log}
}

// errNotDue ends an update that finds the item no longer waiting (published by hand, unscheduled,
// or by another run): nothing is saved.
var errNotDue = errors.New("not due")

// PublishDue publishes every draft whose publish_at is at or before now, each in its own
// transaction through the model's Publish (which records content.published and clears
// publish_at). It is idempotent: a second run, or two instances at once, publish nothing twice.
// An item that cannot be published (it became incomplete) is logged and left for the editor;
// it returns how many it published.
func (s *Scheduler) PublishDue(ctx context.Context) (int, error) {
	now := s.clock.Now().UTC()
	ids, err := s.items.DueForPublication(ctx, now, publishBatch)
	if err != nil {
		return 0, err
	}
	published := 0
	var failed []uuid.UUID
	for _, id := range ids {
		err := s.items.Update(ctx, id, func(c *models.ContentItem) error {
			if !c.PublicationDue(now) {
				return errNotDue
			}
			return c.Publish(now)
		})
		var ve *models.ValidationError
		switch {
		case err == nil:
			published++
		case errors.Is(err, errNotDue), errors.Is(err, models.ErrNotFound):
		case errors.As(err, &ve):
			s.log.WarnContext(ctx, "scheduled content cannot be published", "content_item_id", id, "field", ve.Field)
			failed = append(failed, id)
		default:
			return published, fmt.Errorf("publish scheduled content %s: %w", id, err)
		}
	}
	if published > 0 || len(failed) > 0 {
		s.log.InfoContext(ctx, "scheduled content published", "published", published, "unpublishable", len(failed))
	}
	return published, nil
}
