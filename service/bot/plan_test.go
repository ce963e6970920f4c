package bot_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/bot"
	"balance/service/interactive"
)

// startRun publishes a two-question tool and starts an anonymous run of it.
func (e *env) startRun(t *testing.T, tools *interactive.Tools) *interactive.Started {
	t.Helper()
	ctx := context.Background()
	d, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
		Type: models.InteractiveTypeQuiz, Slug: "mood-check", Title: "Настроение",
		Config: models.InteractiveConfig{
			Questions: []models.InteractiveQuestion{
				{ID: "q1", Text: "Как вы спите?", Options: []models.InteractiveOption{{ID: "good", Text: "Хорошо"}, {ID: "bad", Text: "Плохо", Score: 1}}},
			},
			Bands: []models.InteractiveBand{{Level: models.InteractiveLevelLow, MinScore: 0, MaxScore: 0}, {Level: models.InteractiveLevelHigh, MinScore: 1, MaxScore: 1}},
		},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(now); err != nil {
		t.Fatal(err)
	}
	if err := repository.NewInteractiveDefinitions(e.db).Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	s, err := tools.Start(ctx, interactive.StartInput{Slug: "mood-check"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A plan link naming a run needs the run's token; it keeps the token encrypted, and the bot's
// answer links to the plan page with it, where the page reads the run.
func TestPlanLinkOfARun(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tools := interactive.NewFromDB(db, e.clock, interactive.Config{AbandonAfter: 24 * time.Hour}, testkit.Logger(t))
		e.bot.UseRuns(tools)
		run := e.startRun(t, tools)
		id := run.Run.ID.String()

		for _, tc := range []struct {
			name, runID, token string
		}{
			{"no token", id, ""},
			{"wrong token", id, strings.Repeat("A", 43)},
			{"unknown run", uuid.NewString(), run.Token},
			{"malformed run id", "run-42", run.Token},
		} {
			_, err := e.bot.CreateDeepLink(ctx, bot.DeepLinkRequest{
				Purpose: models.DeepLinkPurposePlan, Payload: map[string]string{"run_id": tc.runID}, RunToken: tc.token,
			})
			if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", tc.name, err)
			}
		}
		if n := e.count(t, "deep_links"); n != 0 {
			t.Fatalf("%d links stored by refused requests", n)
		}

		link, err := e.bot.CreateDeepLink(ctx, bot.DeepLinkRequest{
			Purpose: models.DeepLinkPurposePlan, EntryPoint: "quiz-result", Payload: map[string]string{"run_id": id}, RunToken: run.Token,
		})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := e.links.ByCode(ctx, link.Code)
		if err != nil || stored.RunToken == nil || *stored.RunToken != run.Token {
			t.Fatalf("stored %+v (%v)", stored, err)
		}
		// Never in plain text: the column holds a Fernet token.
		var raw string
		if err := db.SQL.QueryRow(`SELECT run_token FROM deep_links`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, run.Token) || !strings.HasPrefix(raw, "gAAAAA") {
			t.Errorf("run_token column %q", raw)
		}

		e.handle(t, update(t, 1, anna, "/start "+link.Code))
		rs := e.replies(t)
		want := siteURL + "/plan/" + id + "#token=" + run.Token
		if len(rs) != 2 || rs[1].Key != "telegram_plan" || rs[1].Link != want {
			t.Fatalf("replies %+v, want the plan at %s", rs, want)
		}
		// The page reads the run with what the link gives it.
		u, err := url.Parse(rs[1].Link)
		if err != nil {
			t.Fatal(err)
		}
		frag, err := url.ParseQuery(u.Fragment)
		if err != nil {
			t.Fatal(err)
		}
		v, err := tools.Run(ctx, uuid.MustParse(strings.TrimPrefix(u.Path, "/plan/")), frag.Get("token"))
		if err != nil || v.Run.ID != run.Run.ID {
			t.Errorf("the plan page cannot read the run: %v", err)
		}
	})
}
