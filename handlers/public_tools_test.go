package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/events"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/interactive"
)

// toolsNow is when the tools' tests stand.
var toolsNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// The option ids of the anxiety check are distinctive, so that a search of the whole database
// for the chosen ones finds nothing but the definition itself.
const (
	optCalm     = "ans-violet-kettle"
	optSome     = "ans-amber-lantern"
	optOften    = "ans-crimson-harbour"
	optSafe     = "ans-quiet-meadow"
	optCrisis   = "ans-stormy-lighthouse"
	recLow      = "Вы справляетесь: продолжайте заботиться о себе."
	recModerate = "Попробуйте дыхательные упражнения и обсудите это с близкими."
	recHigh     = "Тревога заметно мешает вам — стоит обратиться к психологу."
	recBody     = "Ваша тревога живёт в теле: помогут телесные практики."
)

// anxietyConfig: q1 and q2 score 0, 1 or 2 with profiles "body" and "mind"; q3 is the crisis
// question (its crisis option scores 2). Levels: low 0–2, moderate 3–4, high 5–6.
func anxietyConfig() models.InteractiveConfig {
	return models.InteractiveConfig{
		Description: "Короткая самопроверка тревожности из трёх вопросов.",
		Questions: []models.InteractiveQuestion{
			{ID: "q1", Text: "Как часто вы чувствуете напряжение в теле?", Options: []models.InteractiveOption{
				{ID: optCalm, Text: "Почти никогда", Score: 0},
				{ID: optSome, Text: "Иногда", Score: 1, Profile: "body"},
				{ID: optOften, Text: "Часто", Score: 2, Profile: "body"},
			}},
			{ID: "q2", Text: "Как часто тревожные мысли мешают вам уснуть?", Options: []models.InteractiveOption{
				{ID: optCalm, Text: "Почти никогда", Score: 0},
				{ID: optSome, Text: "Иногда", Score: 1, Profile: "mind"},
				{ID: optOften, Text: "Часто", Score: 2, Profile: "body"},
			}},
			{ID: "q3", Text: "Бывают ли у вас мысли причинить себе вред?", Options: []models.InteractiveOption{
				{ID: optSafe, Text: "Нет", Score: 0},
				{ID: optCrisis, Text: "Да", Score: 2},
			}},
		},
		Bands: []models.InteractiveBand{
			{Level: models.InteractiveLevelLow, MinScore: 0, MaxScore: 2},
			{Level: models.InteractiveLevelModerate, MinScore: 3, MaxScore: 4},
			{Level: models.InteractiveLevelHigh, MinScore: 5, MaxScore: 6},
		},
		CrisisRules: []models.InteractiveCrisisRule{{QuestionID: "q3", OptionIDs: []string{optCrisis}}},
		Recommendations: models.InteractiveRecommendations{
			Levels: map[models.InteractiveLevel]string{
				models.InteractiveLevelLow: recLow, models.InteractiveLevelModerate: recModerate, models.InteractiveLevelHigh: recHigh,
			},
			Profiles: map[string]string{"body": recBody},
		},
	}
}

type toolsEnv struct {
	s     *server
	db    *repository.DB
	tools *interactive.Tools
	clock *testkit.Clock
	defs  *repository.InteractiveDefinitions
	runs  *repository.InteractiveRuns
	logs  *testkit.Buffer
}

// toolsSetup serves the tools over db with the durable outbox as the publisher (so that events
// become job rows), an anxiety check published, a draft and an archived tool.
func toolsSetup(t *testing.T, db *repository.DB) *toolsEnv {
	t.Helper()
	e := &toolsEnv{
		db: db, clock: testkit.NewClock(toolsNow), defs: repository.NewInteractiveDefinitions(db),
		runs: repository.NewInteractiveRuns(db), logs: &testkit.Buffer{},
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// A subscriber to the completion, as the owner's alert is: the event becomes a job row, which
	// the search for answers then reads too.
	subs := events.NewSubscriptions()
	if err := subs.Subscribe(models.InteractiveRunCompleted{}.EventName(), "test", func(context.Context, models.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), subs, events.OutboxConfig{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.Init(); err != nil {
		t.Fatal(err)
	}
	db.SetPublisher(outbox)
	e.tools = interactive.NewFromDB(db, e.clock, interactive.Config{AbandonAfter: 24 * time.Hour}, log)
	e.define(t, "anxiety-check", models.InteractiveTypeQuiz, "publish")
	e.define(t, "stress-draft", models.InteractiveTypeQuiz, "")
	e.define(t, "old-thermometer", models.InteractiveTypeThermometer, "archive")
	e.s, _ = newServer(t, db, options{tools: e.tools, log: log})
	return e
}

func (e *toolsEnv) define(t *testing.T, slug string, typ models.InteractiveType, state string) *models.InteractiveDefinition {
	t.Helper()
	topic := "anxiety"
	d, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
		Type: typ, Slug: slug, Title: "Тест " + slug, TopicCode: &topic, Config: anxietyConfig(),
	}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if state != "" {
		if err := d.Publish(e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if state == "archive" {
		if err := d.Archive(e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.defs.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

type startedRun struct {
	RunID       string  `json:"run_id"`
	RunToken    string  `json:"run_token"`
	AnonymousID *string `json:"anonymous_id"`
	Status      string  `json:"status"`
}

type toolRunBody struct {
	RunID       string     `json:"run_id"`
	Status      string     `json:"status"`
	CompletedAt *time.Time `json:"completed_at"`
	Tool        struct {
		Slug, Title string
	} `json:"tool"`
	Result *struct {
		Score           *int     `json:"score"`
		Level           *string  `json:"level"`
		Profile         *string  `json:"profile"`
		Recommendations []string `json:"recommendations"`
		Crisis          *struct {
			Message   string `json:"message"`
			Helplines []struct {
				Name, Phone, Hours, Description string
			} `json:"helplines"`
		} `json:"crisis"`
	} `json:"result"`
}

func (e *toolsEnv) start(t *testing.T, body any) startedRun {
	t.Helper()
	r := e.s.api.Do("POST", "/api/v1/tools/anxiety-check/runs", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("start = %d %s", r.Status, r.Body)
	}
	var out startedRun
	r.JSON(t, &out)
	return out
}

func runToken(token string) http.Header { return http.Header{"X-Run-Token": {token}} }

func answers(q1, q2, q3 string) map[string]any {
	return map[string]any{"answers": map[string]string{"q1": q1, "q2": q2, "q3": q3}}
}

func TestToolsCatalogue(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := toolsSetup(t, db)
		var list struct {
			Items []struct {
				Slug, Type, Title, Description string
				TopicCode                      *string `json:"topic_code"`
				QuestionCount                  int     `json:"question_count"`
			} `json:"items"`
		}
		r := e.s.api.Do("GET", "/api/v1/tools", nil)
		r.JSON(t, &list)
		if r.Status != http.StatusOK || len(list.Items) != 1 || list.Items[0].Slug != "anxiety-check" ||
			list.Items[0].QuestionCount != 3 || list.Items[0].TopicCode == nil || *list.Items[0].TopicCode != "anxiety" ||
			list.Items[0].Description == "" || list.Items[0].Type != "quiz" {
			t.Errorf("list = %d %s", r.Status, r.Body)
		}
		for _, tc := range []struct {
			query string
			n     int
		}{{"?type=quiz", 1}, {"?type=thermometer", 0}, {"?limit=1&offset=1", 0}} {
			r := e.s.api.Do("GET", "/api/v1/tools"+tc.query, nil)
			r.JSON(t, &list)
			if r.Status != http.StatusOK || len(list.Items) != tc.n {
				t.Errorf("list%s = %d %s, want %d items", tc.query, r.Status, r.Body, tc.n)
			}
		}

		r = e.s.api.Do("GET", "/api/v1/tools/anxiety-check", nil)
		var tool struct {
			Questions []struct {
				ID      string `json:"id"`
				Options []struct{ ID, Text string }
			} `json:"questions"`
			Levels []string `json:"levels"`
		}
		r.JSON(t, &tool)
		if r.Status != http.StatusOK || len(tool.Questions) != 3 || len(tool.Questions[0].Options) != 3 ||
			tool.Questions[0].Options[2].ID != optOften || strings.Join(tool.Levels, ",") != "low,moderate,high" {
			t.Errorf("tool = %d %s", r.Status, r.Body)
		}
		// The scoring rules stay on the server.
		for _, secret := range []string{"score", "profile", "body", "mind", "crisis", "min_score", "max_score", "band", recHigh} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the tool shows %q: %s", secret, r.Body)
			}
		}
		for _, slug := range []string{"stress-draft", "old-thermometer", "no-such-tool", "runs", "%00", strings.Repeat("x", 300)} {
			for _, path := range []string{"/api/v1/tools/" + slug} {
				if r := e.s.api.Do("GET", path, nil); r.Status != http.StatusNotFound {
					t.Errorf("GET %s = %d %s", path, r.Status, r.Body)
				}
			}
			if slug == "runs" {
				continue // POST /api/v1/tools/runs/runs is a run's address: 405 (no tool may be named runs)
			}
			if r := e.s.api.Do("POST", "/api/v1/tools/"+slug+"/runs", nil); r.Status != http.StatusNotFound {
				t.Errorf("start %s = %d %s", slug, r.Status, r.Body)
			}
		}
	})
}

func TestToolRunScored(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := toolsSetup(t, db)
		ctx := context.Background()
		for _, tc := range []struct {
			name             string
			q1, q2           string
			score            int
			level, profile   string
			recommendations  []string
			wantProfileIsNil bool
		}{
			{"low, no profile", optCalm, optCalm, 0, "low", "", []string{recLow}, true},
			{"moderate, body", optOften, optSome, 3, "moderate", "body", []string{recModerate, recBody}, false},
			{"moderate, both body", optOften, optOften, 4, "moderate", "body", []string{recModerate, recBody}, false},
			// A tie of profiles goes to the one first in the config; "mind" has no recommendation.
			{"tie", optCalm, optSome, 1, "low", "mind", []string{recLow}, false},
		} {
			started := e.start(t, map[string]any{"metadata": map[string]any{"entry_point": "article-footer"}})
			if started.AnonymousID == nil || len(*started.AnonymousID) != 43 || len(started.RunToken) != 43 || started.Status != "in_progress" {
				t.Fatalf("%s: started %+v", tc.name, started)
			}
			e.clock.Advance(time.Minute)
			r := e.s.api.Do("POST", "/api/v1/tools/runs/"+started.RunID+"/answers", answers(tc.q1, tc.q2, optSafe), runToken(started.RunToken))
			var done toolRunBody
			r.JSON(t, &done)
			res := done.Result
			if r.Status != http.StatusOK || done.Status != "completed" || res == nil || res.Score == nil || *res.Score != tc.score ||
				res.Level == nil || *res.Level != tc.level || res.Crisis != nil ||
				strings.Join(res.Recommendations, "|") != strings.Join(tc.recommendations, "|") {
				t.Errorf("%s: answers = %d %s", tc.name, r.Status, r.Body)
				continue
			}
			if tc.wantProfileIsNil != (res.Profile == nil) || (res.Profile != nil && *res.Profile != tc.profile) {
				t.Errorf("%s: profile %v, want %q", tc.name, res.Profile, tc.profile)
			}
			// The result page reads the same result, without the score (not stored).
			r = e.s.api.Do("GET", "/api/v1/tools/runs/"+started.RunID, nil, runToken(started.RunToken))
			var page toolRunBody
			r.JSON(t, &page)
			if r.Status != http.StatusOK || page.Status != "completed" || page.Result == nil || page.Result.Score != nil ||
				*page.Result.Level != tc.level || page.Tool.Slug != "anxiety-check" || page.CompletedAt == nil ||
				strings.Join(page.Result.Recommendations, "|") != strings.Join(tc.recommendations, "|") {
				t.Errorf("%s: run page = %d %s", tc.name, r.Status, r.Body)
			}
			id := uuid.MustParse(started.RunID)
			run, err := e.runs.ByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if run.TokenHash == nil || *run.TokenHash != crypto.HashToken(started.RunToken) || run.CrisisTriggered ||
				run.DurationMs == nil || *run.DurationMs != time.Minute.Milliseconds() || run.Metadata.EntryPoint != "article-footer" {
				t.Errorf("%s: stored run %+v", tc.name, run)
			}
			// Completing twice: 409, and the result stays.
			r = e.s.api.Do("POST", "/api/v1/tools/runs/"+started.RunID+"/answers", answers(optOften, optOften, optCrisis), runToken(started.RunToken))
			if p := r.Problem(t); r.Status != http.StatusConflict || p.Type != "https://balance.example/problems/invalid-transition" {
				t.Errorf("%s: second answers = %d %s", tc.name, r.Status, r.Body)
			}
			if again, _ := e.runs.ByID(ctx, id); again.CrisisTriggered || string(*again.ResultLevel) != tc.level {
				t.Errorf("%s: the second answers changed the run %+v", tc.name, again)
			}
		}

		// An anonymous id the site keeps ties runs together; an in-progress run has no result yet.
		anon := "visitor-cookie-0123456789"
		started := e.start(t, map[string]any{"anonymous_id": anon})
		if started.AnonymousID == nil || *started.AnonymousID != anon {
			t.Errorf("started %+v", started)
		}
		r := e.s.api.Do("GET", "/api/v1/tools/runs/"+started.RunID, nil, runToken(started.RunToken))
		var page toolRunBody
		r.JSON(t, &page)
		if r.Status != http.StatusOK || page.Status != "in_progress" || page.Result != nil || page.CompletedAt != nil {
			t.Errorf("in-progress run = %d %s", r.Status, r.Body)
		}
		if runs, err := e.runs.ListByAnonymousID(ctx, anon, repository.Page{}); err != nil || len(runs) != 1 {
			t.Errorf("runs of %s: %d (%v)", anon, len(runs), err)
		}
	})
}

func TestToolRunCrisis(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := toolsSetup(t, db)
		started := e.start(t, nil)
		r := e.s.api.Do("POST", "/api/v1/tools/runs/"+started.RunID+"/answers", answers(optCalm, optCalm, optCrisis), runToken(started.RunToken))
		var done toolRunBody
		r.JSON(t, &done)
		check := func(what string, b toolRunBody) {
			t.Helper()
			c := b.Result.Crisis
			if c == nil || !strings.Contains(c.Message, "обратитесь за помощью немедленно") || len(c.Helplines) < 3 {
				t.Fatalf("%s: crisis %+v", what, c)
			}
			phones := map[string]bool{}
			for _, res := range c.Helplines {
				phones[res.Phone] = true
				if res.Name == "" || res.Hours == "" {
					t.Errorf("%s: resource %+v", what, res)
				}
			}
			for _, p := range []string{"112", "8-800-2000-122", "+7 (495) 989-50-50"} {
				if !phones[p] {
					t.Errorf("%s: no helpline %s in %+v", what, p, c.Helplines)
				}
			}
		}
		if r.Status != http.StatusOK || done.Result == nil || *done.Result.Score != 2 || *done.Result.Level != "low" {
			t.Fatalf("answers = %d %s", r.Status, r.Body)
		}
		check("answers", done)
		r = e.s.api.Do("GET", "/api/v1/tools/runs/"+started.RunID, nil, runToken(started.RunToken))
		var page toolRunBody
		r.JSON(t, &page)
		if r.Status != http.StatusOK || page.Result == nil {
			t.Fatalf("run page = %d %s", r.Status, r.Body)
		}
		check("run page", page)
		run, err := e.runs.ByID(context.Background(), uuid.MustParse(started.RunID))
		if err != nil || !run.CrisisTriggered {
			t.Errorf("run not flagged: %+v (%v)", run, err)
		}
	})
}

// dumpDatabase returns every row of every table of db as text, by table.
func dumpDatabase(t *testing.T, db *repository.DB) map[string]string {
	t.Helper()
	var tablesQuery string
	if db.Dialect == migrations.SQLite {
		tablesQuery = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	} else {
		tablesQuery = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.SQL.Query(tablesQuery)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 20 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	out := map[string]string{}
	for _, table := range tables {
		var b strings.Builder
		if db.Dialect == migrations.SQLite {
			rows, err := db.SQL.Query(`SELECT * FROM "` + table + `"`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					if bs, ok := v.([]byte); ok {
						v = string(bs) // text, and SQLite's JSONB keeps strings as they are
					}
					fmt.Fprintf(&b, "%v\t", v)
				}
				b.WriteByte('\n')
			}
			rows.Close()
		} else {
			rows, err := db.SQL.Query(`SELECT CAST(t AS text) FROM "` + table + `" t`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var row string
				if err := rows.Scan(&row); err != nil {
					t.Fatal(err)
				}
				b.WriteString(row + "\n")
			}
			rows.Close()
		}
		out[table] = b.String()
	}
	return out
}

func TestToolRunAnswersStoredNowhere(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := toolsSetup(t, db)
		chosen := []string{optOften, optSome, optCrisis}
		started := e.start(t, nil)
		r := e.s.api.Do("POST", "/api/v1/tools/runs/"+started.RunID+"/answers", answers(chosen[0], chosen[1], chosen[2]), runToken(started.RunToken))
		if r.Status != http.StatusOK {
			t.Fatalf("answers = %d %s", r.Status, r.Body)
		}
		// A refused completion (one unknown option) leaves no trace either.
		other := e.start(t, nil)
		r = e.s.api.Do("POST", "/api/v1/tools/runs/"+other.RunID+"/answers", answers(chosen[0], "ans-secret-unknown", optSafe), runToken(other.RunToken))
		if p := r.Problem(t); r.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "answers.q2" {
			t.Errorf("unknown option = %d %s", r.Status, r.Body)
		}
		dump := dumpDatabase(t, db)
		for _, opt := range chosen {
			if !strings.Contains(dump["interactive_definitions"], opt) {
				t.Fatalf("the dump does not find %q in the definition's config: it could not find it elsewhere", opt)
			}
		}
		if !strings.Contains(dump["interactive_runs"], started.RunID) || !strings.Contains(dump["interactive_runs"], "completed") {
			t.Fatal("the dump does not hold the completed run")
		}
		if !strings.Contains(dump["river_job"], started.RunID) {
			t.Fatal("the dump does not hold the completion's job")
		}
		for table, rows := range dump {
			if table == "interactive_definitions" {
				continue
			}
			for _, opt := range append(chosen, "ans-secret-unknown") {
				if strings.Contains(rows, opt) {
					t.Errorf("table %s holds the answer %q", table, opt)
				}
			}
		}
		for _, opt := range append(chosen, "ans-secret-unknown") {
			if strings.Contains(e.logs.String(), opt) {
				t.Errorf("the logs hold the answer %q", opt)
			}
		}
	})
}

func TestToolRunTokens(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := toolsSetup(t, db)
		run, other := e.start(t, nil), e.start(t, nil)
		for _, tc := range []struct {
			name, id string
			header   http.Header
		}{
			{"no token", run.RunID, nil},
			{"empty token", run.RunID, runToken("")},
			{"wrong token", run.RunID, runToken(strings.Repeat("A", 43))},
			{"another run's token", run.RunID, runToken(other.RunToken)},
			{"unknown run", uuid.NewString(), runToken(run.RunToken)},
			{"malformed id", "not-a-uuid", runToken(run.RunToken)},
			{"hostile id", url.PathEscape("' OR 1=1 --"), runToken(run.RunToken)},
		} {
			if r := e.s.api.Do("GET", "/api/v1/tools/runs/"+tc.id, nil, tc.header); r.Status != http.StatusNotFound {
				t.Errorf("%s: GET = %d %s", tc.name, r.Status, r.Body)
			}
			r := e.s.api.Do("POST", "/api/v1/tools/runs/"+tc.id+"/answers", answers(optCalm, optCalm, optSafe), tc.header)
			if r.Status != http.StatusNotFound {
				t.Errorf("%s: answers = %d %s", tc.name, r.Status, r.Body)
			}
		}
		// Nothing was completed by the refused calls.
		if got, _ := e.runs.ByID(context.Background(), uuid.MustParse(run.RunID)); got.Status != models.InteractiveRunStatusInProgress {
			t.Errorf("run %s after refused answers", got.Status)
		}
	})
}

func TestToolRunHostileInput(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := toolsSetup(t, db)
		run := e.start(t, nil)
		tok := runToken(run.RunToken)
		many := map[string]string{}
		for i := range 201 {
			many[fmt.Sprintf("q%d", i)] = optCalm
		}
		for _, tc := range []struct {
			name, method, path string
			body               any
			header             http.Header
			status             int
			field              string
		}{
			{"list: bad type", "GET", "/api/v1/tools?type=poll", nil, nil, 422, "type"},
			{"list: limit not a number", "GET", "/api/v1/tools?limit=abc", nil, nil, 422, "limit"},
			{"list: limit 0", "GET", "/api/v1/tools?limit=0", nil, nil, 422, "limit"},
			{"list: limit 101", "GET", "/api/v1/tools?limit=101", nil, nil, 422, "limit"},
			{"list: negative offset", "GET", "/api/v1/tools?offset=-1", nil, nil, 422, "offset"},
			{"start: not JSON", "POST", "/api/v1/tools/anxiety-check/runs", "{", nil, 400, ""},
			{"start: array", "POST", "/api/v1/tools/anxiety-check/runs", "[]", nil, 422, ""},
			{"start: unknown field", "POST", "/api/v1/tools/anxiety-check/runs", map[string]any{"user_id": uuid.NewString()}, nil, 422, "user_id"},
			{"start: short anonymous id", "POST", "/api/v1/tools/anxiety-check/runs", map[string]any{"anonymous_id": "abc"}, nil, 422, "anonymous_id"},
			{"start: anonymous id with spaces", "POST", "/api/v1/tools/anxiety-check/runs", map[string]any{"anonymous_id": "visitor cookie 0123456789"}, nil, 422, "anonymous_id"},
			{"start: long anonymous id", "POST", "/api/v1/tools/anxiety-check/runs", map[string]any{"anonymous_id": strings.Repeat("a", 129)}, nil, 422, "anonymous_id"},
			{"start: anonymous id a number", "POST", "/api/v1/tools/anxiety-check/runs", map[string]any{"anonymous_id": 42}, nil, 422, "anonymous_id"},
			{"start: bad deep link id", "POST", "/api/v1/tools/anxiety-check/runs", map[string]any{"metadata": map[string]any{"deep_link_id": "x"}}, nil, 422, "metadata.deep_link_id"},
			{"start: long entry point", "POST", "/api/v1/tools/anxiety-check/runs", map[string]any{"metadata": map[string]any{"entry_point": strings.Repeat("x", 101)}}, nil, 422, "metadata.entry_point"},
			{"answers: no body", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", nil, tok, 415, ""},
			{"answers: empty object", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{}, tok, 422, "answers"},
			{"answers: null", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{"answers": nil}, tok, 422, "answers"},
			{"answers: a list", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{"answers": []string{optCalm}}, tok, 422, "answers"},
			{"answers: a number", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{"answers": map[string]any{"q1": 1}}, tok, 422, ""},
			{"answers: one missing", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{"answers": map[string]string{"q1": optCalm, "q2": optCalm}}, tok, 422, "answers.q3"},
			{"answers: unknown option", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", answers(optCalm, optSafe, optSafe), tok, 422, "answers.q2"},
			{"answers: unknown question", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{"answers": map[string]string{"q1": optCalm, "q2": optCalm, "q3": optSafe, "q9": optCalm}}, tok, 422, "answers.q9"},
			{"answers: too many", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{"answers": many}, tok, 422, "answers"},
			{"answers: long option", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", answers(strings.Repeat("x", 101), optCalm, optSafe), tok, 422, ""},
			{"answers: NUL", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", answers("a\u0000b", optCalm, optSafe), tok, 422, ""},
			{"answers: extra field", "POST", "/api/v1/tools/runs/" + run.RunID + "/answers", map[string]any{"answers": map[string]string{}, "score": 0}, tok, 422, "score"},
		} {
			r := e.s.api.Do(tc.method, tc.path, tc.body, tc.header)
			p := r.Problem(t)
			if r.Status != tc.status {
				t.Errorf("%s = %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
				continue
			}
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
				t.Errorf("%s: errors %+v, want one on %s", tc.name, p.Errors, tc.field)
			}
		}
		// After all that the run can still be completed.
		r := e.s.api.Do("POST", "/api/v1/tools/runs/"+run.RunID+"/answers", answers(optCalm, optCalm, optSafe), tok)
		if r.Status != http.StatusOK {
			t.Errorf("answers = %d %s", r.Status, r.Body)
		}
	})
}

func TestToolRunsAbandoned(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := toolsSetup(t, db)
		ctx := context.Background()
		// Five runs a day old, one completed, one fresh.
		var stale []startedRun
		for range 5 {
			stale = append(stale, e.start(t, nil))
		}
		done := e.start(t, nil)
		if r := e.s.api.Do("POST", "/api/v1/tools/runs/"+done.RunID+"/answers", answers(optCalm, optCalm, optSafe), runToken(done.RunToken)); r.Status != http.StatusOK {
			t.Fatalf("answers = %d %s", r.Status, r.Body)
		}
		e.clock.Advance(2 * time.Hour)
		fresh := e.start(t, nil)
		e.clock.Advance(22*time.Hour + time.Minute)

		// Batches of two: five stale runs take three batches.
		tools := interactive.NewFromDB(db, e.clock, interactive.Config{AbandonAfter: 24 * time.Hour, AbandonBatch: 2}, testkit.Logger(t))
		n, err := tools.AbandonStale(ctx)
		if err != nil || n != 5 {
			t.Fatalf("abandoned %d (%v), want 5", n, err)
		}
		for _, s := range stale {
			run, err := e.runs.ByID(ctx, uuid.MustParse(s.RunID))
			if err != nil || run.Status != models.InteractiveRunStatusAbandoned || run.DurationMs == nil || *run.DurationMs != (24*time.Hour+time.Minute).Milliseconds() {
				t.Errorf("stale run %+v (%v)", run, err)
			}
		}
		for id, want := range map[string]models.InteractiveRunStatus{done.RunID: models.InteractiveRunStatusCompleted, fresh.RunID: models.InteractiveRunStatusInProgress} {
			if run, err := e.runs.ByID(ctx, uuid.MustParse(id)); err != nil || run.Status != want {
				t.Errorf("run %s is %s (%v), want %s", id, run.Status, err, want)
			}
		}
		if n, err := tools.AbandonStale(ctx); err != nil || n != 0 {
			t.Errorf("second pass abandoned %d (%v)", n, err)
		}
		// An abandoned run can no longer be completed, and says so.
		r := e.s.api.Do("POST", "/api/v1/tools/runs/"+stale[0].RunID+"/answers", answers(optCalm, optCalm, optSafe), runToken(stale[0].RunToken))
		if r.Status != http.StatusConflict {
			t.Errorf("answers to an abandoned run = %d %s", r.Status, r.Body)
		}
		r = e.s.api.Do("GET", "/api/v1/tools/runs/"+stale[0].RunID, nil, runToken(stale[0].RunToken))
		var page toolRunBody
		r.JSON(t, &page)
		if r.Status != http.StatusOK || page.Status != "abandoned" || page.Result != nil {
			t.Errorf("abandoned run = %d %s", r.Status, r.Body)
		}
	})
}

// A plan deep link naming a run takes the run's token in X-Run-Token.
func TestToolRunPlanDeepLink(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := telegramSetup(t, db)
		clock := testkit.NewClock(toolsNow)
		tools := interactive.NewFromDB(db, clock, interactive.Config{AbandonAfter: 24 * time.Hour}, testkit.Logger(t))
		e.bot.UseRuns(tools)
		d, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
			Type: models.InteractiveTypeQuiz, Slug: "anxiety-check", Title: "Тревога", Config: anxietyConfig(),
		}, toolsNow)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Publish(toolsNow); err != nil {
			t.Fatal(err)
		}
		if err := repository.NewInteractiveDefinitions(db).Create(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		run, err := tools.Start(context.Background(), interactive.StartInput{Slug: "anxiety-check"})
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"purpose": "plan", "payload": map[string]string{"run_id": run.Run.ID.String()}}
		for _, tc := range []struct {
			name   string
			header http.Header
			status int
		}{
			{"no token", nil, http.StatusNotFound},
			{"wrong token", runToken(strings.Repeat("A", 43)), http.StatusNotFound},
			{"the run's token", runToken(run.Token), http.StatusCreated},
		} {
			if r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", body, tc.header); r.Status != tc.status {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
			}
		}
		other := map[string]any{"purpose": "plan", "payload": map[string]string{"run_id": "run-42"}}
		if r := e.s.api.Do("POST", "/api/v1/telegram/deep-links", other, runToken(run.Token)); r.Status != http.StatusNotFound {
			t.Errorf("a malformed run id: %d %s", r.Status, r.Body)
		}
	})
}
