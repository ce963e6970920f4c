package interactive

// This file lists a signed-in client's runs for their cabinet: the results only, never answers
// (which are not stored anyway).

import (
	"context"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// UserRuns lists a user's runs, newest first, with their definitions; *repository.InteractiveRuns
// is one.
type UserRuns interface {
	ListByUser(ctx context.Context, userID uuid.UUID, page repository.Page) ([]models.InteractiveRun, error)
}

// History is a client's self-help runs as their cabinet shows them.
type History struct{ runs UserRuns }

// NewHistory returns the cabinet's view of the runs in runs.
func NewHistory(runs UserRuns) *History { return &History{runs: runs} }

// Of returns a page of the user's runs, newest first, each with what its result recommends.
func (h *History) Of(ctx context.Context, userID uuid.UUID, limit, offset int) ([]View, error) {
	runs, err := h.runs.ListByUser(ctx, userID, repository.Page{Limit: limit, Offset: offset})
	if err != nil {
		return nil, err
	}
	out := make([]View, len(runs))
	for i := range runs {
		out[i].Run = &runs[i]
		out[i].Recommendations, out[i].Crisis = advice(&runs[i])
	}
	return out, nil
}
