package interactive_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/interactive"
)

var now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// fakeDefinitions holds one published tool.
type fakeDefinitions struct{ def *models.InteractiveDefinition }

func (f *fakeDefinitions) ListPublished(context.Context, models.InteractiveType, repository.Page) ([]models.InteractiveDefinition, error) {
	return []models.InteractiveDefinition{*f.def}, nil
}

func (f *fakeDefinitions) PublishedBySlug(_ context.Context, slug string) (*models.InteractiveDefinition, error) {
	if slug != f.def.Slug {
		return nil, fmt.Errorf("tool %s: %w", slug, models.ErrNotFound)
	}
	return f.def, nil
}

// fakeRuns keeps runs in memory; completeBeforeUpdate completes a run between the abandon job's
// listing and its update, as a visitor may.
type fakeRuns struct {
	runs                 map[uuid.UUID]*models.InteractiveRun
	completeBeforeUpdate uuid.UUID
}

func (f *fakeRuns) Create(_ context.Context, r *models.InteractiveRun) error {
	f.runs[r.ID] = r
	return nil
}

func (f *fakeRuns) ByID(_ context.Context, id uuid.UUID) (*models.InteractiveRun, error) {
	if r, ok := f.runs[id]; ok {
		return r, nil
	}
	return nil, models.ErrNotFound
}

func (f *fakeRuns) Update(ctx context.Context, id uuid.UUID, fn func(*models.InteractiveRun) error) error {
	r, err := f.ByID(ctx, id)
	if err != nil {
		return err
	}
	if id == f.completeBeforeUpdate {
		r.Status = models.InteractiveRunStatusCompleted
	}
	return fn(r)
}

func (f *fakeRuns) StaleInProgress(_ context.Context, before time.Time, limit int) ([]uuid.UUID, error) {
	var out []uuid.UUID
	for id, r := range f.runs {
		if r.Status == models.InteractiveRunStatusInProgress && r.StartedAt.Before(before) && len(out) < limit {
			out = append(out, id)
		}
	}
	return out, nil
}

func newTools(t *testing.T) (*interactive.Tools, *fakeRuns, *testkit.Clock) {
	t.Helper()
	def, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
		Type: models.InteractiveTypeQuiz, Slug: "sleep", Title: "Сон",
		Config: models.InteractiveConfig{
			Questions: []models.InteractiveQuestion{{ID: "q1", Text: "Как вы спите?", Options: []models.InteractiveOption{
				{ID: "good", Text: "Хорошо"}, {ID: "bad", Text: "Плохо", Score: 1},
			}}},
			Bands: []models.InteractiveBand{{Level: "low", MinScore: 0, MaxScore: 0}, {Level: "high", MinScore: 1, MaxScore: 1}},
		},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := def.Publish(now); err != nil {
		t.Fatal(err)
	}
	runs := &fakeRuns{runs: map[uuid.UUID]*models.InteractiveRun{}}
	clock := testkit.NewClock(now)
	return interactive.New(&fakeDefinitions{def: def}, runs, clock, interactive.Config{AbandonAfter: time.Hour, AbandonBatch: 1}, testkit.Logger(t)), runs, clock
}

func TestStartForAVisitorOrAClient(t *testing.T) {
	t.Parallel()
	tools, _, _ := newTools(t)
	ctx := context.Background()
	anon, err := tools.Start(ctx, interactive.StartInput{Slug: "sleep"})
	if err != nil || anon.AnonymousID == "" || anon.Run.AnonymousID == nil || *anon.Run.AnonymousID != anon.AnonymousID || anon.Run.UserID != nil {
		t.Fatalf("anonymous start %+v (%v)", anon, err)
	}
	user := models.NewID()
	client, err := tools.Start(ctx, interactive.StartInput{Slug: "sleep", UserID: &user})
	if err != nil || client.AnonymousID != "" || client.Run.AnonymousID != nil || client.Run.UserID == nil || *client.Run.UserID != user {
		t.Fatalf("signed-in start %+v (%v)", client, err)
	}
	if client.Token == anon.Token || len(client.Token) != 43 {
		t.Errorf("tokens %q and %q", anon.Token, client.Token)
	}
	if _, err := tools.Start(ctx, interactive.StartInput{Slug: "nope"}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("unknown tool: %v", err)
	}
	if err := tools.Open(ctx, client.Run.ID, anon.Token); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another run's token: %v", err)
	}
	if err := tools.Open(ctx, client.Run.ID, client.Token); err != nil {
		t.Errorf("the run's token: %v", err)
	}
}

func TestAbandonStaleLeavesARunCompletedMeanwhile(t *testing.T) {
	t.Parallel()
	tools, runs, clock := newTools(t)
	ctx := context.Background()
	a, err := tools.Start(ctx, interactive.StartInput{Slug: "sleep"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tools.Start(ctx, interactive.StartInput{Slug: "sleep"})
	if err != nil {
		t.Fatal(err)
	}
	runs.completeBeforeUpdate = b.Run.ID
	clock.Advance(2 * time.Hour)
	n, err := tools.AbandonStale(ctx)
	if err != nil || n != 1 {
		t.Fatalf("abandoned %d (%v), want 1", n, err)
	}
	if a.Run.Status != models.InteractiveRunStatusAbandoned || b.Run.Status != models.InteractiveRunStatusCompleted {
		t.Errorf("runs %s and %s", a.Run.Status, b.Run.Status)
	}
}
