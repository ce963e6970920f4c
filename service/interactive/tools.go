// Package interactive holds the use cases of the self-help tools on the public site: the catalogue
// of published tools, starting a run, completing it (scored on the server, keeping only the result,
// never the answers), reading a run with its token, and marking runs left unfinished as abandoned.
package interactive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/repository"
	"balance/service"
)

// TaskAbandonStale is the periodic job that marks runs left unfinished as abandoned.
const TaskAbandonStale = "interactive.abandon_stale"

// defaultAbandonBatch is how many stale runs the abandon job lists at a time.
const defaultAbandonBatch = 200

// Definitions reads published tools; *repository.InteractiveDefinitions is one.
type Definitions interface {
	ListPublished(ctx context.Context, typ models.InteractiveType, page repository.Page) ([]models.InteractiveDefinition, error)
	PublishedBySlug(ctx context.Context, slug string) (*models.InteractiveDefinition, error)
}

// Runs stores runs; *repository.InteractiveRuns is one.
type Runs interface {
	Create(ctx context.Context, run *models.InteractiveRun) error
	ByID(ctx context.Context, id uuid.UUID) (*models.InteractiveRun, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*models.InteractiveRun) error) error
	StaleInProgress(ctx context.Context, before time.Time, limit int) ([]uuid.UUID, error)
}

// Config tunes the tools.
type Config struct {
	// AbandonAfter is how long a run may stay in progress before it is marked abandoned.
	AbandonAfter time.Duration
	// AbandonBatch is how many stale runs the abandon job lists at a time (200 when zero).
	AbandonBatch int
}

// Tools is the self-help tools' use cases.
type Tools struct {
	defs  Definitions
	runs  Runs
	clock service.Clock
	cfg   Config
	log   *slog.Logger
}

// New wires the tools over their stores.
func New(defs Definitions, runs Runs, clock service.Clock, cfg Config, log *slog.Logger) *Tools {
	if cfg.AbandonBatch <= 0 {
		cfg.AbandonBatch = defaultAbandonBatch
	}
	return &Tools{defs: defs, runs: runs, clock: clock, cfg: cfg, log: log}
}

// NewFromDB wires the tools over the database's stores.
func NewFromDB(db *repository.DB, clock service.Clock, cfg Config, log *slog.Logger) *Tools {
	return New(repository.NewInteractiveDefinitions(db), repository.NewInteractiveRuns(db), clock, cfg, log)
}

// List returns a page of published tools of type typ ("" for every type).
func (t *Tools) List(ctx context.Context, typ models.InteractiveType, limit, offset int) ([]models.InteractiveDefinition, error) {
	return t.defs.ListPublished(ctx, typ, repository.Page{Limit: limit, Offset: offset})
}

// Tool returns the published tool with this slug; a draft, archived or unknown one is
// models.ErrNotFound.
func (t *Tools) Tool(ctx context.Context, slug string) (*models.InteractiveDefinition, error) {
	return t.defs.PublishedBySlug(ctx, slug)
}

// anonymousIDRe is what an anonymous id looks like: a cookie-safe identifier, such as one we issue
// (base64url) or a UUID the site made.
var anonymousIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// StartInput asks for a run of a published tool.
type StartInput struct {
	Slug string
	// UserID is the signed-in client (nil for an anonymous visitor).
	UserID *uuid.UUID
	// AnonymousID identifies an anonymous visitor across runs (e.g. a cookie); when a run has
	// neither a user nor an anonymous id, one is issued.
	AnonymousID string
	Metadata    models.InteractiveRunMetadata
}

// Started is a new run with the secrets its visitor needs.
type Started struct {
	Run *models.InteractiveRun
	// Token completes and reads the run; it is shown only here (the run keeps its hash).
	Token string
	// AnonymousID is the visitor's anonymous id, given or issued ("" for a signed-in client
	// who gave none).
	AnonymousID string
}

// Start begins a run of the published tool with this slug.
func (t *Tools) Start(ctx context.Context, in StartInput) (*Started, error) {
	if in.AnonymousID != "" && !anonymousIDRe.MatchString(in.AnonymousID) {
		return nil, &models.ValidationError{Field: "anonymous_id", Message: "must be 16 to 128 characters of A-Z, a-z, 0-9, '_' and '-'"}
	}
	def, err := t.defs.PublishedBySlug(ctx, in.Slug)
	if err != nil {
		return nil, err
	}
	anonymousID := in.AnonymousID
	if in.UserID == nil && anonymousID == "" {
		if anonymousID, err = crypto.NewToken(); err != nil {
			return nil, err
		}
	}
	var anon *string
	if anonymousID != "" {
		anon = &anonymousID
	}
	run, err := models.NewInteractiveRun(def, in.UserID, anon, in.Metadata, t.clock.Now().UTC())
	if err != nil {
		return nil, err
	}
	token, err := crypto.NewToken()
	if err != nil {
		return nil, err
	}
	if err := run.SetTokenHash(crypto.HashToken(token)); err != nil {
		return nil, err
	}
	if err := t.runs.Create(ctx, run); err != nil {
		return nil, err
	}
	return &Started{Run: run, Token: token, AnonymousID: anonymousID}, nil
}

// Outcome is a completed run with what the client is told.
type Outcome struct {
	Run *models.InteractiveRun
	// Result holds the score, shown once, never stored.
	Result models.InteractiveResult
	// Recommendations are the tool's texts for the level and the profile.
	Recommendations []string
	// Crisis is set when a crisis rule fired.
	Crisis *models.CrisisHelp
}

// Complete scores the answers (question id → option id) of the run this token opens, keeps only
// the result, and returns it. The answers are not stored, logged or put into any event: they
// live in this call only. A run that is not in progress is models.ErrInvalidTransition; a missing
// or wrong token is models.ErrNotFound, like an unknown run.
func (t *Tools) Complete(ctx context.Context, id uuid.UUID, token string, answers map[string]string) (*Outcome, error) {
	var out Outcome
	err := t.runs.Update(ctx, id, func(run *models.InteractiveRun) error {
		if !tokenOpens(run, token) {
			return fmt.Errorf("interactive run %s: %w", id, models.ErrNotFound)
		}
		res, err := run.Complete(run.Definition, answers, t.clock.Now().UTC())
		if err != nil {
			return err
		}
		out.Run, out.Result = run, res
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Recommendations, out.Crisis = advice(out.Run)
	return &out, nil
}

// View is a run as its visitor sees it.
type View struct {
	Run             *models.InteractiveRun
	Recommendations []string
	Crisis          *models.CrisisHelp
}

// Run returns the run this token opens, with its definition and, when completed, what its result
// recommends. A missing or wrong token is models.ErrNotFound, like an unknown run.
func (t *Tools) Run(ctx context.Context, id uuid.UUID, token string) (*View, error) {
	if err := t.Open(ctx, id, token); err != nil {
		return nil, err
	}
	run, err := t.runs.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &View{Run: run}
	v.Recommendations, v.Crisis = advice(run)
	return v, nil
}

// Open checks that token opens the run id (models.ErrNotFound otherwise); the Telegram bot asks it
// before it links to the run's plan.
func (t *Tools) Open(ctx context.Context, id uuid.UUID, token string) error {
	if token == "" {
		return fmt.Errorf("interactive run %s: no token: %w", id, models.ErrNotFound)
	}
	run, err := t.runs.ByID(ctx, id)
	if err != nil {
		return err
	}
	if !tokenOpens(run, token) {
		return fmt.Errorf("interactive run %s: %w", id, models.ErrNotFound)
	}
	return nil
}

// tokenOpens compares the token's hash with the run's in constant time.
func tokenOpens(run *models.InteractiveRun, token string) bool {
	return token != "" && run.TokenHash != nil && crypto.EqualTokens(*run.TokenHash, crypto.HashToken(token))
}

// advice is what a completed run's result recommends, and the crisis resources when it was flagged.
func advice(run *models.InteractiveRun) ([]string, *models.CrisisHelp) {
	if run.Status != models.InteractiveRunStatusCompleted {
		return nil, nil
	}
	var level models.InteractiveLevel
	var profile string
	if run.ResultLevel != nil {
		level = *run.ResultLevel
	}
	if run.ResultProfile != nil {
		profile = *run.ResultProfile
	}
	var recs []string
	if run.Definition != nil {
		recs = run.Definition.Config.Recommend(level, profile)
	}
	if run.CrisisTriggered {
		c := CrisisHelp()
		return recs, &c
	}
	return recs, nil
}

// AbandonStale marks the runs still in progress after AbandonAfter as abandoned, a batch at a
// time, each run in its own transaction; it returns how many it marked. A run completed meanwhile
// is left as it is.
func (t *Tools) AbandonStale(ctx context.Context) (int, error) {
	now := t.clock.Now().UTC()
	before := now.Add(-t.cfg.AbandonAfter)
	n := 0
	for {
		ids, err := t.runs.StaleInProgress(ctx, before, t.cfg.AbandonBatch)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			err := t.runs.Update(ctx, id, func(run *models.InteractiveRun) error { return run.Abandon(now) })
			switch {
			case errors.Is(err, models.ErrInvalidTransition), errors.Is(err, models.ErrNotFound):
				continue // completed (or gone) since it was listed
			case err != nil:
				return n, err
			}
			n++
		}
		if len(ids) < t.cfg.AbandonBatch {
			return n, nil
		}
	}
}
