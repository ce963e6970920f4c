package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"balance/config"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/interactive"
	"balance/service/questions"
	"balance/service/questions/crisis"
)

// TestCrisisReachesTheOwnerThroughTheJobQueue follows both crisis paths from the site to the
// owner's mailbox: a self-help run whose answers fire a crisis rule, and a question whose text
// speaks of suicide. Each answer carries helplines at once; then the job queue's workers run the
// real notifier, which emails the owner a "Кризисный сигнал" naming the kind and linking the
// record, never what the client wrote or chose.
func TestCrisisReachesTheOwnerThroughTheJobQueue(t *testing.T) {
	const questionText = "Последнее время думаю о суициде, не вижу выхода"
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		clock := testkit.NewClock(toolsNow)
		_, smtp := notifyingOutbox(t, db, 2, clock)

		tools := &toolsEnv{db: db, clock: clock, defs: repository.NewInteractiveDefinitions(db)}
		tools.define(t, "anxiety-check", models.InteractiveTypeQuiz, "publish")
		detector, err := crisis.New(config.DefaultCrisisPhrases)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := newServer(t, db, options{
			tools:     interactive.NewFromDB(db, clock, interactive.Config{AbandonAfter: 24 * time.Hour}, testkit.Logger(t)),
			questions: questions.New(questions.NewStores(db), detector, clock),
		})
		s.staff(t, "owner@example.org", models.RoleOwner)
		tools.s = s

		run := tools.start(t, map[string]any{})
		var result struct {
			Result struct {
				Crisis *struct {
					Helplines []map[string]any `json:"helplines"`
				} `json:"crisis"`
			} `json:"result"`
		}
		r := s.api.Do("POST", "/api/v1/tools/runs/"+run.RunID+"/answers", answers(optSome, optSome, optCrisis), runToken(run.RunToken))
		r.JSON(t, &result)
		if r.Status != http.StatusOK || result.Result.Crisis == nil || len(result.Result.Crisis.Helplines) == 0 {
			t.Fatalf("crisis answers = %d %s", r.Status, r.Body)
		}

		var asked struct {
			ID         string `json:"id"`
			CrisisHelp *struct {
				Helplines []map[string]any `json:"helplines"`
			} `json:"crisis_help"`
		}
		r = s.api.Do("POST", "/api/v1/questions", map[string]any{
			"text": questionText, "consents": []map[string]string{{"type": "personal_data", "version": "2026-01"}},
		})
		r.JSON(t, &asked)
		if r.Status != http.StatusCreated || asked.CrisisHelp == nil || len(asked.CrisisHelp.Helplines) == 0 {
			t.Fatalf("crisis question = %d %s", r.Status, r.Body)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		msgs, err := smtp.Wait(ctx, 2)
		if err != nil {
			t.Fatalf("the owner's alerts never arrived: %v (got %d)", err, len(smtp.Messages()))
		}
		links := map[string]string{
			"Кризисный сигнал: тест":   "/admin/interactive_runs/" + run.RunID + "/show",
			"Кризисный сигнал: вопрос": "/admin/questions/" + asked.ID + "/show",
		}
		for _, m := range msgs {
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			link, ok := links[p.Subject]
			if !ok || m.To[0] != "owner@example.org" || !strings.Contains(p.Text, link) {
				t.Errorf("alert to %v: subject %q, text %q", m.To, p.Subject, p.Text)
			}
			delete(links, p.Subject)
			for _, secret := range []string{"суицид", "выхода", optCrisis, "причинить себе вред"} {
				if strings.Contains(string(m.Raw), secret) {
					t.Errorf("the alert %q carries what the client wrote or chose (%q)", p.Subject, secret)
				}
			}
		}
		if len(links) != 0 {
			t.Errorf("no alert for %v", links)
		}
	})
}
