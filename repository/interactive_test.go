package repository_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// interactiveSecretOption is an answer id that must never reach the database.
const interactiveSecretOption = "opt-secret-answer-42"

// interactiveConfig: scores 0..3 in two bands; the secret option of q2 starts the crisis flow.
func interactiveConfig() models.InteractiveConfig {
	return models.InteractiveConfig{
		Questions: []models.InteractiveQuestion{
			{ID: "q1", Text: "Сон", Options: []models.InteractiveOption{
				{ID: "good", Text: "Хорошо", Score: 0, Profile: "calm"}, {ID: "bad", Text: "Плохо", Score: 1, Profile: "tense"},
			}},
			{ID: "q2", Text: "Мысли", Options: []models.InteractiveOption{
				{ID: "none", Text: "Нет", Score: 0}, {ID: interactiveSecretOption, Text: "Да", Score: 2, Profile: "tense"},
			}},
		},
		Bands: []models.InteractiveBand{
			{Level: models.InteractiveLevelLow, MinScore: 0, MaxScore: 1},
			{Level: models.InteractiveLevelHigh, MinScore: 2, MaxScore: 3},
		},
		CrisisRules: []models.InteractiveCrisisRule{{QuestionID: "q2", OptionIDs: []string{interactiveSecretOption}}},
	}
}

func interactiveNewDefinition(t *testing.T, slug string, typ models.InteractiveType) *models.InteractiveDefinition {
	t.Helper()
	d, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
		Type: typ, Slug: slug, Title: "Инструмент " + slug, TopicCode: ptr("sleep"), Config: interactiveConfig(),
	}, contentCreated)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// interactiveCreateDefinition saves a definition, published at publishedAt unless it is nil.
func interactiveCreateDefinition(t *testing.T, db *repository.DB, slug string, typ models.InteractiveType, publishedAt *time.Time) *models.InteractiveDefinition {
	t.Helper()
	d := interactiveNewDefinition(t, slug, typ)
	if publishedAt != nil {
		contentMust(t, d.Publish(*publishedAt))
	}
	if err := repository.NewInteractiveDefinitions(db).Create(context.Background(), d); err != nil {
		t.Fatalf("create definition %s: %v", slug, err)
	}
	return d
}

func interactiveCreateRun(t *testing.T, db *repository.DB, def *models.InteractiveDefinition, userID *uuid.UUID, anonymousID *string, startedAt time.Time) *models.InteractiveRun {
	t.Helper()
	r, err := models.NewInteractiveRun(def, userID, anonymousID, models.InteractiveRunMetadata{EntryPoint: "home"}, startedAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := repository.NewInteractiveRuns(db).Create(context.Background(), r); err != nil {
		t.Fatalf("create run: %v", err)
	}
	return r
}

func interactiveAssertDefinition(t *testing.T, got, want *models.InteractiveDefinition) {
	t.Helper()
	if got.ID != want.ID || got.Slug != want.Slug || got.Type != want.Type || got.Title != want.Title ||
		got.Status != want.Status || got.Version != want.Version {
		t.Errorf("definition = %+v\nwant %+v", got, want)
	}
	eqPtr(t, "TopicCode", got.TopicCode, want.TopicCode)
	assertUTCPtr(t, "PublishedAt", got.PublishedAt, want.PublishedAt)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if !reflect.DeepEqual(got.Config, want.Config) {
		t.Errorf("config = %+v\nwant %+v", got.Config, want.Config)
	}
}

func interactiveAssertRun(t *testing.T, got, want *models.InteractiveRun) {
	t.Helper()
	if got.ID != want.ID || got.DefinitionID != want.DefinitionID || got.Status != want.Status ||
		got.CrisisTriggered != want.CrisisTriggered || got.Metadata != want.Metadata {
		t.Errorf("run = %+v\nwant %+v", got, want)
	}
	eqPtr(t, "UserID", got.UserID, want.UserID)
	eqPtr(t, "AnonymousID", got.AnonymousID, want.AnonymousID)
	eqPtr(t, "ResultLevel", got.ResultLevel, want.ResultLevel)
	eqPtr(t, "ResultProfile", got.ResultProfile, want.ResultProfile)
	eqPtr(t, "DurationMs", got.DurationMs, want.DurationMs)
	assertUTC(t, "StartedAt", got.StartedAt, want.StartedAt)
	assertUTCPtr(t, "CompletedAt", got.CompletedAt, want.CompletedAt)
	if got.Definition == nil || got.Definition.ID != want.DefinitionID {
		t.Errorf("Definition = %+v, want %s preloaded", got.Definition, want.DefinitionID)
	}
}

func interactiveSlugs(ds []models.InteractiveDefinition) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Slug)
	}
	return out
}

func TestInteractiveIndexesExist(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		contentAssertIndexes(t, db, &models.InteractiveDefinition{}, &models.InteractiveRun{})
	})
}

func TestInteractiveDefinitionsRoundTrip(t *testing.T) {
	t.Parallel()
	published := contentCreated.Add(time.Hour)
	tests := []struct {
		name string
		def  func(t *testing.T) *models.InteractiveDefinition
	}{
		{"published quiz", func(t *testing.T) *models.InteractiveDefinition {
			d := interactiveNewDefinition(t, "sleep-check", models.InteractiveTypeQuiz)
			contentMust(t, d.Publish(published))
			return d
		}},
		{"draft without topic or config", func(t *testing.T) *models.InteractiveDefinition {
			d, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
				Type: models.InteractiveTypeRitual, Slug: "evening-ritual", Title: "Ритуал",
			}, contentCreated)
			contentMust(t, err)
			return d
		}},
		{"archived navigator", func(t *testing.T) *models.InteractiveDefinition {
			d := interactiveNewDefinition(t, "attachment", models.InteractiveTypeNavigator)
			contentMust(t, d.Publish(published))
			contentMust(t, d.Archive(published.Add(time.Hour)))
			return d
		}},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		defs := repository.NewInteractiveDefinitions(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := tt.def(t)
				if err := defs.Create(ctx, want); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := defs.ByID(ctx, want.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				interactiveAssertDefinition(t, got, want)
				got, err = defs.BySlug(ctx, want.Slug)
				if err != nil {
					t.Fatalf("BySlug: %v", err)
				}
				interactiveAssertDefinition(t, got, want)
				got, err = defs.PublishedBySlug(ctx, want.Slug)
				if want.IsPublished() {
					if err != nil {
						t.Fatalf("PublishedBySlug: %v", err)
					}
					interactiveAssertDefinition(t, got, want)
				} else if !errors.Is(err, models.ErrNotFound) {
					t.Errorf("PublishedBySlug of a %s definition: err = %v, want ErrNotFound", want.Status, err)
				}
			})
		}
	})
}

func TestInteractiveDefinitionsErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		defs := repository.NewInteractiveDefinitions(db)
		existing := interactiveCreateDefinition(t, db, "taken", models.InteractiveTypeQuiz, nil)
		assertConstraint(t, defs.Create(ctx, interactiveNewDefinition(t, "taken", models.InteractiveTypePrep)), models.ErrConflict,
			byDialect(db, "interactive_definitions_slug_key", "interactive_definitions.slug"))

		called := false
		tests := []struct {
			name string
			call func() error
			want error
		}{
			{"ByID", func() error { _, err := defs.ByID(ctx, models.NewID()); return err }, models.ErrNotFound},
			{"BySlug", func() error { _, err := defs.BySlug(ctx, "nope"); return err }, models.ErrNotFound},
			{"PublishedBySlug", func() error { _, err := defs.PublishedBySlug(ctx, "nope"); return err }, models.ErrNotFound},
			{"Update", func() error {
				return defs.Update(ctx, models.NewID(), func(*models.InteractiveDefinition) error { called = true; return nil })
			}, models.ErrNotFound},
			{"Delete", func() error { return defs.Delete(ctx, models.NewID()) }, models.ErrNotFound},
			{"Save of a definition never created", func() error { return defs.Save(ctx, interactiveNewDefinition(t, "ghost", models.InteractiveTypeQuiz)) }, models.ErrConflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, tt.want) {
					t.Errorf("err = %v, want %v", err, tt.want)
				}
			})
		}
		if called {
			t.Error("Update called back for a definition that does not exist")
		}
		got, err := defs.ByID(ctx, existing.ID)
		contentMust(t, err)
		interactiveAssertDefinition(t, got, existing)
	})
}

func TestInteractiveDefinitionsLists(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		defs := repository.NewInteractiveDefinitions(db)
		at := func(h int) *time.Time { return ptr(contentCreated.Add(time.Duration(h) * time.Hour)) }
		interactiveCreateDefinition(t, db, "quiz-1", models.InteractiveTypeQuiz, at(1))
		interactiveCreateDefinition(t, db, "nav-1", models.InteractiveTypeNavigator, at(2))
		interactiveCreateDefinition(t, db, "quiz-2", models.InteractiveTypeQuiz, at(3))
		interactiveCreateDefinition(t, db, "quiz-draft", models.InteractiveTypeQuiz, nil)
		archived := interactiveNewDefinition(t, "quiz-archived", models.InteractiveTypeQuiz)
		contentMust(t, archived.Publish(*at(4)))
		contentMust(t, archived.Archive(*at(5)))
		contentMust(t, defs.Create(ctx, archived))

		published := []struct {
			name string
			typ  models.InteractiveType
			page repository.Page
			want []string
		}{
			{"all", "", repository.Page{}, []string{"quiz-2", "nav-1", "quiz-1"}},
			{"quizzes", models.InteractiveTypeQuiz, repository.Page{}, []string{"quiz-2", "quiz-1"}},
			{"navigators", models.InteractiveTypeNavigator, repository.Page{}, []string{"nav-1"}},
			{"none of a type", models.InteractiveTypeRitual, repository.Page{}, nil},
			{"first page", "", repository.Page{Limit: 2}, []string{"quiz-2", "nav-1"}},
			{"second page", "", repository.Page{Limit: 2, Offset: 2}, []string{"quiz-1"}},
		}
		for _, tt := range published {
			t.Run("ListPublished "+tt.name, func(t *testing.T) {
				got, err := defs.ListPublished(ctx, tt.typ, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if slugs := interactiveSlugs(got); !slices.Equal(slugs, tt.want) {
					t.Errorf("ListPublished = %v, want %v", slugs, tt.want)
				}
			})
		}
		all := []struct {
			status models.PublicationStatus
			want   []string
		}{
			// Most recently changed first: publishing and archiving count as changes.
			{"", []string{"quiz-archived", "quiz-2", "nav-1", "quiz-1", "quiz-draft"}},
			{models.PublicationDraft, []string{"quiz-draft"}},
			{models.PublicationArchived, []string{"quiz-archived"}},
		}
		for _, tt := range all {
			t.Run("List "+string(tt.status), func(t *testing.T) {
				got, err := defs.List(ctx, tt.status, repository.Page{})
				if err != nil {
					t.Fatal(err)
				}
				if slugs := interactiveSlugs(got); !slices.Equal(slugs, tt.want) {
					t.Errorf("List = %v, want %v", slugs, tt.want)
				}
			})
		}
	})
}

func TestInteractiveDefinitionsUpdate(t *testing.T) {
	t.Parallel()
	t1 := contentCreated.Add(time.Hour)
	errBoom := errors.New("boom")
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		defs := repository.NewInteractiveDefinitions(db)
		d := interactiveCreateDefinition(t, db, "sleep-check", models.InteractiveTypeQuiz, nil)
		interactiveCreateDefinition(t, db, "other", models.InteractiveTypeQuiz, nil)

		// Failures leave the stored definition as it was.
		failures := []struct {
			name   string
			change func(*models.InteractiveDefinition) error
			check  func(t *testing.T, err error)
		}{
			{"callback error", func(d *models.InteractiveDefinition) error {
				_ = d.Publish(t1)
				return errBoom
			}, func(t *testing.T, err error) {
				if !errors.Is(err, errBoom) {
					t.Errorf("err = %v, want the callback's", err)
				}
			}},
			{"slug taken", func(d *models.InteractiveDefinition) error {
				return d.Edit(models.InteractiveDefinitionFields{Type: d.Type, Slug: "other", Title: d.Title, Config: d.Config}, t1)
			}, func(t *testing.T, err error) { assertConstraint(t, err, models.ErrConflict, "") }},
			{"invalid transition", func(d *models.InteractiveDefinition) error { return d.Unpublish(t1) }, func(t *testing.T, err error) {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Errorf("err = %v, want ErrInvalidTransition", err)
				}
			}},
		}
		for _, tt := range failures {
			t.Run(tt.name, func(t *testing.T) {
				tt.check(t, defs.Update(ctx, d.ID, tt.change))
				got, err := defs.ByID(ctx, d.ID)
				contentMust(t, err)
				interactiveAssertDefinition(t, got, d)
			})
		}

		nav := interactiveConfig()
		nav.Bands = nil
		err := defs.Update(ctx, d.ID, func(d *models.InteractiveDefinition) error {
			if err := d.Edit(models.InteractiveDefinitionFields{
				Type: models.InteractiveTypeNavigator, Slug: "renamed", Title: "Навигатор", Config: nav,
			}, t1); err != nil {
				return err
			}
			return d.Publish(t1)
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		want := *d
		want.Type, want.Slug, want.Title, want.TopicCode, want.Config = models.InteractiveTypeNavigator, "renamed", "Навигатор", nil, nav
		want.Status, want.PublishedAt, want.UpdatedAt, want.Version = models.PublicationPublished, &t1, t1, 2
		got, err := defs.ByID(ctx, d.ID)
		contentMust(t, err)
		interactiveAssertDefinition(t, got, &want)
	})
}

func TestInteractiveDefinitionsOptimisticLocking(t *testing.T) {
	t.Parallel()
	t1 := contentCreated.Add(time.Hour)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		defs := repository.NewInteractiveDefinitions(db)
		d := interactiveCreateDefinition(t, db, "shared", models.InteractiveTypeQuiz, nil)
		first, err := defs.ByID(ctx, d.ID)
		contentMust(t, err)
		second, err := defs.ByID(ctx, d.ID)
		contentMust(t, err)

		contentMust(t, first.Publish(t1))
		contentMust(t, defs.Save(ctx, first))
		contentMust(t, second.Archive(t1))
		assertConstraint(t, defs.Save(ctx, second), models.ErrConflict, "version")
		if first.Version != 2 || second.Version != 1 {
			t.Errorf("versions %d and %d, want 2 and 1", first.Version, second.Version)
		}
		got, err := defs.ByID(ctx, d.ID)
		contentMust(t, err)
		interactiveAssertDefinition(t, got, first)
	})
}

func TestInteractiveDefinitionsDelete(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		defs := repository.NewInteractiveDefinitions(db)
		unused := interactiveCreateDefinition(t, db, "unused", models.InteractiveTypeQuiz, nil)
		used := interactiveCreateDefinition(t, db, "used", models.InteractiveTypeQuiz, &contentCreated)
		interactiveCreateRun(t, db, used, nil, ptr("anon"), contentCreated)

		contentMust(t, defs.Delete(ctx, unused.ID))
		if _, err := defs.ByID(ctx, unused.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted definition: err = %v", err)
		}
		// A definition with runs stays for them.
		assertConstraint(t, defs.Delete(ctx, used.ID), models.ErrInvalidReference, "")
		if _, err := defs.ByID(ctx, used.ID); err != nil {
			t.Errorf("definition with runs: %v", err)
		}
	})
}

func TestInteractiveRunsRoundTrip(t *testing.T) {
	t.Parallel()
	started := contentCreated.Add(time.Hour)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		runs := repository.NewInteractiveRuns(db)
		def := interactiveCreateDefinition(t, db, "sleep-check", models.InteractiveTypeQuiz, &contentCreated)
		user := createStaff(t, db, contentCreated)

		tests := []struct {
			name string
			run  func(t *testing.T) *models.InteractiveRun
		}{
			{"anonymous in progress with metadata", func(t *testing.T) *models.InteractiveRun {
				r, err := models.NewInteractiveRun(def, nil, ptr("cookie-1"),
					models.InteractiveRunMetadata{EntryPoint: "article", TopicCode: "sleep", DeepLinkID: "dl-7"}, started)
				contentMust(t, err)
				return r
			}},
			{"user's completed run with every result column", func(t *testing.T) *models.InteractiveRun {
				r, err := models.NewInteractiveRun(def, &user.ID, ptr("cookie-2"), models.InteractiveRunMetadata{}, started)
				contentMust(t, err)
				_, err = r.Complete(def, map[string]string{"q1": "bad", "q2": interactiveSecretOption}, started.Add(1500*time.Millisecond))
				contentMust(t, err)
				return r
			}},
			{"abandoned", func(t *testing.T) *models.InteractiveRun {
				r, err := models.NewInteractiveRun(def, &user.ID, nil, models.InteractiveRunMetadata{EntryPoint: "bot"}, started)
				contentMust(t, err)
				contentMust(t, r.Abandon(started.Add(time.Minute)))
				return r
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := tt.run(t)
				if err := runs.Create(ctx, want); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := runs.ByID(ctx, want.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				interactiveAssertRun(t, got, want)
				interactiveAssertDefinition(t, got.Definition, def)
			})
		}
	})
}

func TestInteractiveRunsCreateErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		runs := repository.NewInteractiveRuns(db)
		def := interactiveCreateDefinition(t, db, "sleep-check", models.InteractiveTypeQuiz, &contentCreated)
		existing := interactiveCreateRun(t, db, def, nil, ptr("anon"), contentCreated)

		tests := []struct {
			name       string
			spoil      func(r *models.InteractiveRun)
			kind       error
			constraint string
		}{
			{"unknown definition", func(r *models.InteractiveRun) { r.DefinitionID = models.NewID() }, models.ErrInvalidReference,
				byDialect(db, "interactive_runs_definition_id_fkey", "")},
			{"unknown user", func(r *models.InteractiveRun) { r.UserID = ptr(models.NewID()) }, models.ErrInvalidReference,
				byDialect(db, "interactive_runs_user_id_fkey", "")},
			{"duplicate id", func(r *models.InteractiveRun) { r.ID = existing.ID }, models.ErrConflict,
				byDialect(db, "interactive_runs_pkey", "interactive_runs.id")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, err := models.NewInteractiveRun(def, nil, ptr("anon-2"), models.InteractiveRunMetadata{}, contentCreated)
				contentMust(t, err)
				tt.spoil(r)
				assertConstraint(t, runs.Create(ctx, r), tt.kind, tt.constraint)
			})
		}
		if n := count(t, db, "interactive_runs", ""); n != 1 {
			t.Errorf("%d runs, want only the existing one", n)
		}
		// Creating a run never writes its definition.
		if n := count(t, db, "interactive_definitions", ""); n != 1 {
			t.Errorf("%d definitions, want 1", n)
		}
	})
}

func TestInteractiveRunsUpdate(t *testing.T) {
	t.Parallel()
	started := contentCreated.Add(time.Hour)
	completed := started.Add(42*time.Second + 7*time.Millisecond)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		runs := repository.NewInteractiveRuns(db)
		defs := repository.NewInteractiveDefinitions(db)
		def := interactiveCreateDefinition(t, db, "sleep-check", models.InteractiveTypeQuiz, &contentCreated)
		user := createStaff(t, db, contentCreated)
		run := interactiveCreateRun(t, db, def, &user.ID, nil, started)

		// The definition is unpublished meanwhile: a started run can still complete.
		contentMust(t, defs.Update(ctx, def.ID, func(d *models.InteractiveDefinition) error { return d.Unpublish(started) }))

		// Answers that do not fit leave the run in progress.
		err := runs.Update(ctx, run.ID, func(r *models.InteractiveRun) error {
			_, err := r.Complete(r.Definition, map[string]string{"q1": "bad"}, completed)
			return err
		})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != "answers.q2" {
			t.Fatalf("err = %v, want a validation error of answers.q2", err)
		}
		got, err := runs.ByID(ctx, run.ID)
		contentMust(t, err)
		interactiveAssertRun(t, got, run)

		var events []models.Event
		err = runs.Update(ctx, run.ID, func(r *models.InteractiveRun) error {
			_, err := r.Complete(r.Definition, map[string]string{"q1": "bad", "q2": interactiveSecretOption}, completed)
			events = r.Events()
			return err
		})
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		want := *run
		want.Status, want.CompletedAt, want.DurationMs = models.InteractiveRunStatusCompleted, &completed, ptr(int64(42007))
		want.ResultLevel, want.ResultProfile, want.CrisisTriggered = ptr(models.InteractiveLevelHigh), ptr("tense"), true
		got, err = runs.ByID(ctx, run.ID)
		contentMust(t, err)
		interactiveAssertRun(t, got, &want)
		if len(events) != 1 || events[0].EventName() != "interactive_run.completed" {
			t.Errorf("events = %v, want interactive_run.completed", events)
		}

		// The answers are nowhere in the row.
		var row map[string]any
		contentMust(t, db.Gorm.Table("interactive_runs").Where("id = ?", run.ID).Take(&row).Error)
		if s := fmt.Sprint(row); strings.Contains(s, interactiveSecretOption) {
			t.Errorf("stored run holds an answer: %s", s)
		}
		if len(row) != 13 { // 13th: token_hash, the SHA-256 of the run token
			t.Errorf("interactive_runs has %d columns: new ones must not hold answers; review this test", len(row))
		}

		// Completed is final.
		for name, change := range map[string]func(r *models.InteractiveRun) error{
			"complete again": func(r *models.InteractiveRun) error {
				_, err := r.Complete(r.Definition, map[string]string{"q1": "good", "q2": "none"}, completed.Add(time.Hour))
				return err
			},
			"abandon": func(r *models.InteractiveRun) error { return r.Abandon(completed.Add(time.Hour)) },
		} {
			t.Run(name, func(t *testing.T) {
				if err := runs.Update(ctx, run.ID, change); !errors.Is(err, models.ErrInvalidTransition) {
					t.Errorf("err = %v, want ErrInvalidTransition", err)
				}
				got, err := runs.ByID(ctx, run.ID)
				contentMust(t, err)
				interactiveAssertRun(t, got, &want)
			})
		}

		// Update of a run that does not exist.
		called := false
		err = runs.Update(ctx, models.NewID(), func(*models.InteractiveRun) error { called = true; return nil })
		if !errors.Is(err, models.ErrNotFound) || called {
			t.Errorf("Update of an unknown run: err = %v, called %v", err, called)
		}
		if _, err := runs.ByID(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ByID of an unknown run: err = %v", err)
		}
	})
}

func TestInteractiveRunsAbandon(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		runs := repository.NewInteractiveRuns(db)
		def := interactiveCreateDefinition(t, db, "sleep-check", models.InteractiveTypeQuiz, &contentCreated)
		run := interactiveCreateRun(t, db, def, nil, ptr("anon"), contentCreated)
		contentMust(t, runs.Update(ctx, run.ID, func(r *models.InteractiveRun) error { return r.Abandon(contentCreated.Add(time.Minute)) }))
		want := *run
		want.Status, want.DurationMs = models.InteractiveRunStatusAbandoned, ptr(int64(60000))
		got, err := runs.ByID(ctx, run.ID)
		contentMust(t, err)
		interactiveAssertRun(t, got, &want)
	})
}

func TestInteractiveRunsListByUser(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		runs := repository.NewInteractiveRuns(db)
		quiz := interactiveCreateDefinition(t, db, "quiz", models.InteractiveTypeQuiz, &contentCreated)
		nav := interactiveCreateDefinition(t, db, "nav", models.InteractiveTypeNavigator, &contentCreated)
		user, other := createStaff(t, db, contentCreated), createStaff(t, db, contentCreated)
		at := func(m int) time.Time { return contentCreated.Add(time.Duration(m) * time.Minute) }
		r1 := interactiveCreateRun(t, db, quiz, &user.ID, nil, at(1))
		r2 := interactiveCreateRun(t, db, nav, &user.ID, ptr("anon"), at(2))
		r3 := interactiveCreateRun(t, db, quiz, &user.ID, nil, at(2)) // ties r2: the later id first
		interactiveCreateRun(t, db, quiz, &other.ID, nil, at(3))
		interactiveCreateRun(t, db, quiz, nil, ptr("anon"), at(4))

		tests := []struct {
			name string
			user uuid.UUID
			page repository.Page
			want []*models.InteractiveRun
		}{
			{"all", user.ID, repository.Page{}, []*models.InteractiveRun{r3, r2, r1}},
			{"first page", user.ID, repository.Page{Limit: 2}, []*models.InteractiveRun{r3, r2}},
			{"second page", user.ID, repository.Page{Limit: 2, Offset: 2}, []*models.InteractiveRun{r1}},
			{"nobody's", models.NewID(), repository.Page{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := runs.ListByUser(ctx, tt.user, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("%d runs, want %d", len(got), len(tt.want))
				}
				for i, w := range tt.want {
					interactiveAssertRun(t, &got[i], w)
				}
			})
		}

		anon, err := runs.ListByAnonymousID(ctx, "anon", repository.Page{})
		contentMust(t, err)
		if len(anon) != 2 || anon[0].AnonymousID == nil || anon[1].ID != r2.ID || anon[0].Definition == nil {
			t.Errorf("ListByAnonymousID = %+v, want the anonymous run, then r2", anon)
		}
		if anon, err := runs.ListByAnonymousID(ctx, "anon", repository.Page{Limit: 1, Offset: 1}); err != nil || len(anon) != 1 || anon[0].ID != r2.ID {
			t.Errorf("second page of ListByAnonymousID = %+v, %v; want r2", anon, err)
		}
		if anon, err := runs.ListByAnonymousID(ctx, "nobody", repository.Page{}); err != nil || len(anon) != 0 {
			t.Errorf("ListByAnonymousID(nobody) = %+v, %v", anon, err)
		}
	})
}

// Two requests completing the same run at once: exactly one wins, the rest see a completed run.
func TestInteractiveRunsConcurrentComplete(t *testing.T) {
	t.Parallel()
	const requests = 4
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		runs := repository.NewInteractiveRuns(db)
		def := interactiveCreateDefinition(t, db, "quiz", models.InteractiveTypeQuiz, &contentCreated)
		run := interactiveCreateRun(t, db, def, nil, ptr("anon"), contentCreated)

		errs := make(chan error, requests)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range requests {
			wg.Go(func() {
				<-start
				errs <- runs.Update(ctx, run.ID, func(r *models.InteractiveRun) error {
					_, err := r.Complete(r.Definition, map[string]string{"q1": "good", "q2": "none"}, contentCreated.Add(time.Duration(i+1)*time.Second))
					return err
				})
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, models.ErrInvalidTransition):
				t.Errorf("err = %v, want nil or ErrInvalidTransition", err)
			}
		}
		if won != 1 {
			t.Errorf("%d requests completed the run, want 1", won)
		}
	})
}

func TestInteractiveRunsListQueryCount(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		runs := repository.NewInteractiveRuns(db)
		user := createStaff(t, db, contentCreated)
		var defs []*models.InteractiveDefinition
		for i := range 3 {
			defs = append(defs, interactiveCreateDefinition(t, db, fmt.Sprintf("def-%d", i), models.InteractiveTypeQuiz, &contentCreated))
		}
		for i := range 20 {
			interactiveCreateRun(t, db, defs[i%3], &user.ID, ptr("anon"), contentCreated.Add(time.Duration(i)*time.Minute))
		}
		lists := map[string]func(repository.Page) ([]models.InteractiveRun, error){
			"ListByUser": func(p repository.Page) ([]models.InteractiveRun, error) { return runs.ListByUser(ctx, user.ID, p) },
			"ListByAnonymousID": func(p repository.Page) ([]models.InteractiveRun, error) {
				return runs.ListByAnonymousID(ctx, "anon", p)
			},
		}
		q := testkit.CountQueries(t, db.Gorm)
		for name, list := range lists {
			counts := map[int]int{}
			for _, n := range []int{1, 20} {
				q.Reset()
				got, err := list(repository.Page{Limit: n})
				if err != nil {
					t.Fatal(err)
				}
				counts[n] = q.N()
				if len(got) != n {
					t.Fatalf("%s: %d runs, want %d", name, len(got), n)
				}
				for _, r := range got {
					if r.Definition == nil || r.Definition.ID != r.DefinitionID {
						t.Fatalf("%s: run %s loaded without its definition", name, r.ID)
					}
				}
			}
			if counts[1] != counts[20] || counts[1] == 0 {
				t.Errorf("%s: %d queries for 1 run, %d for 20; want the same", name, counts[1], counts[20])
			}
		}
	})
}

// Erasing a user keeps their runs as anonymous statistics.
func TestInteractiveRunsOutliveTheirUser(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		def := interactiveCreateDefinition(t, db, "quiz", models.InteractiveTypeQuiz, &contentCreated)
		user := createStaff(t, db, contentCreated)
		run := interactiveCreateRun(t, db, def, &user.ID, nil, contentCreated)
		contentMust(t, db.Gorm.Exec("DELETE FROM users WHERE id = ?", user.ID).Error)
		got, err := repository.NewInteractiveRuns(db).ByID(ctx, run.ID)
		if err != nil {
			t.Fatalf("run of an erased user: %v", err)
		}
		if got.UserID != nil {
			t.Errorf("UserID = %s, want NULL", got.UserID)
		}
	})
}

// The schema refuses runs whose state and result disagree.
func TestInteractiveSchemaChecks(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		def := interactiveCreateDefinition(t, db, "quiz", models.InteractiveTypeQuiz, &contentCreated)
		now := contentCreated
		insert := func(status string, completedAt *time.Time, level, profile *string, crisis bool, duration *int64) error {
			return db.Gorm.Exec(`INSERT INTO interactive_runs (id, definition_id, anonymous_id, status, started_at, completed_at,
				result_level, result_profile, crisis_triggered, duration_ms, metadata) VALUES (?, ?, 'a', ?, ?, ?, ?, ?, ?, ?, '{}')`,
				models.NewID(), def.ID, status, now, completedAt, level, profile, crisis, duration).Error
		}
		tests := []struct {
			name string
			run  func() error
			ok   bool
		}{
			{"completed with result", func() error { return insert("completed", &now, ptr("high"), ptr("p"), true, ptr(int64(5))) }, true},
			{"in progress", func() error { return insert("in_progress", nil, nil, nil, false, nil) }, true},
			{"completed without completion time", func() error { return insert("completed", nil, ptr("low"), nil, false, nil) }, false},
			{"in progress with completion time", func() error { return insert("in_progress", &now, nil, nil, false, nil) }, false},
			{"abandoned with a level", func() error { return insert("abandoned", nil, ptr("low"), nil, false, nil) }, false},
			{"in progress with a profile", func() error { return insert("in_progress", nil, nil, ptr("p"), false, nil) }, false},
			{"in progress with crisis", func() error { return insert("in_progress", nil, nil, nil, true, nil) }, false},
			{"unknown level", func() error { return insert("completed", &now, ptr("severe"), nil, false, nil) }, false},
			{"unknown status", func() error { return insert("paused", nil, nil, nil, false, nil) }, false},
			{"negative duration", func() error { return insert("abandoned", nil, nil, nil, false, ptr(int64(-1))) }, false},
			{"definition of unknown type", func() error {
				return db.Gorm.Exec(`INSERT INTO interactive_definitions (id, slug, type, title, status, config, created_at, updated_at)
					VALUES (?, 'x', 'survey', 'T', 'draft', '{}', ?, ?)`, models.NewID(), now, now).Error
			}, false},
			{"published definition without date", func() error {
				return db.Gorm.Exec(`INSERT INTO interactive_definitions (id, slug, type, title, status, config, created_at, updated_at)
					VALUES (?, 'y', 'quiz', 'T', 'published', '{}', ?, ?)`, models.NewID(), now, now).Error
			}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.run(); (err == nil) != tt.ok {
					t.Errorf("err = %v, want ok=%v", err, tt.ok)
				}
			})
		}
	})
}

// Every interactive store method reports a failing database as an error with context.
func TestInteractiveStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		defs, runs := repository.NewInteractiveDefinitions(db), repository.NewInteractiveRuns(db)
		def := interactiveCreateDefinition(t, db, "quiz", models.InteractiveTypeQuiz, &contentCreated)
		run := interactiveCreateRun(t, db, def, nil, ptr("anon"), contentCreated)
		contentMust(t, db.Close())

		tests := []struct {
			name    string
			call    func() error
			context string // expected in the message; "" when the failure is at BEGIN
		}{
			{"InteractiveDefinitions.Create", func() error {
				return defs.Create(ctx, interactiveNewDefinition(t, "new", models.InteractiveTypeQuiz))
			}, "create interactive definition"},
			{"InteractiveDefinitions.ByID", func() error { _, err := defs.ByID(ctx, def.ID); return err }, "interactive definition " + def.ID.String()},
			{"InteractiveDefinitions.BySlug", func() error { _, err := defs.BySlug(ctx, "quiz"); return err }, "interactive definition quiz"},
			{"InteractiveDefinitions.PublishedBySlug", func() error { _, err := defs.PublishedBySlug(ctx, "quiz"); return err }, "published interactive definition quiz"},
			{"InteractiveDefinitions.ListPublished", func() error { _, err := defs.ListPublished(ctx, "", repository.Page{}); return err }, "list published interactive definitions"},
			{"InteractiveDefinitions.List", func() error { _, err := defs.List(ctx, "", repository.Page{}); return err }, "list interactive definitions"},
			{"InteractiveDefinitions.Update", func() error {
				return defs.Update(ctx, def.ID, func(*models.InteractiveDefinition) error { return nil })
			}, ""},
			{"InteractiveDefinitions.Save", func() error { return defs.Save(ctx, def) }, "save interactive definition"},
			{"InteractiveDefinitions.Delete", func() error { return defs.Delete(ctx, def.ID) }, "delete interactive definition"},
			{"InteractiveRuns.Create", func() error {
				r, _ := models.NewInteractiveRun(def, nil, ptr("x"), models.InteractiveRunMetadata{}, contentCreated)
				return runs.Create(ctx, r)
			}, "create interactive run"},
			{"InteractiveRuns.ByID", func() error { _, err := runs.ByID(ctx, run.ID); return err }, "interactive run " + run.ID.String()},
			{"InteractiveRuns.ListByUser", func() error { _, err := runs.ListByUser(ctx, run.ID, repository.Page{}); return err }, "list interactive runs of user"},
			{"InteractiveRuns.ListByAnonymousID", func() error { _, err := runs.ListByAnonymousID(ctx, "anon", repository.Page{}); return err }, "list interactive runs of an anonymous"},
			{"InteractiveRuns.Update", func() error { return runs.Update(ctx, run.ID, func(*models.InteractiveRun) error { return nil }) }, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if err == nil || errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want a database error", err)
				}
				if !strings.Contains(err.Error(), tt.context) {
					t.Errorf("err = %v, want it to mention %q", err, tt.context)
				}
			})
		}
	})
}
