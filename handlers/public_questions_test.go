package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/config"
	"balance/events"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/questions"
	"balance/service/questions/crisis"
)

type questionsEnv struct {
	s     *server
	db    *repository.DB
	clock *testkit.Clock
	pub   *testkit.EventCounter
	// moderator is the staff member who moderates and answers.
	moderator uuid.UUID
}

// questionsSetup serves the questions API (the default crisis phrases) over db, with the topic
// "anxiety" and an owner to moderate.
func questionsSetup(t *testing.T, db *repository.DB) *questionsEnv {
	t.Helper()
	ctx := context.Background()
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.Init(); err != nil {
		t.Fatal(err)
	}
	pub := testkit.CountEvents(outbox)
	db.SetPublisher(pub)
	clock := testkit.NewClock(t0)
	topic, err := models.NewTopic("anxiety", "Тревога", "", 1, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := repository.NewTopics(db).Create(ctx, topic); err != nil {
		t.Fatal(err)
	}
	detector, err := crisis.New(config.DefaultCrisisPhrases)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newServer(t, db, options{questions: questions.New(questions.NewStores(db), detector, clock)})
	s.staff(t, "owner@example.org", models.RoleOwner)
	owner, err := s.users.ByEmail(ctx, "owner@example.org")
	if err != nil {
		t.Fatal(err)
	}
	return &questionsEnv{s: s, db: db, clock: clock, pub: pub, moderator: owner.ID}
}

const questionText = "Как перестать тревожиться перед каждым разговором с начальником?"

func personalData() []map[string]string {
	return []map[string]string{{"type": "personal_data", "version": "2026-01"}}
}

type askedBody struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	StatusToken string  `json:"status_token"`
	Topic       *string `json:"topic"`
	CrisisHelp  *struct {
		Message   string `json:"message"`
		Helplines []struct {
			Phone string `json:"phone"`
		} `json:"helplines"`
	} `json:"crisis_help"`
}

func (e *questionsEnv) ask(t *testing.T, body map[string]any) askedBody {
	t.Helper()
	r := e.s.api.Do("POST", "/api/v1/questions", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("ask = %d %s", r.Status, r.Body)
	}
	var out askedBody
	r.JSON(t, &out)
	return out
}

// publish moderates question id as the admin panel does: an anonymised text, approve, publish,
// and a published answer.
func (e *questionsEnv) publish(t *testing.T, id, publicText, answer string) {
	t.Helper()
	ctx := context.Background()
	qid := uuid.MustParse(id)
	now := e.clock.Now()
	if err := repository.NewQuestions(e.db).Update(ctx, qid, func(q *models.Question) error {
		return q.SetPublicText(publicText, now)
	}); err != nil {
		t.Fatal(err)
	}
	items := repository.NewModerationItems(e.db)
	item, err := items.BySubject(ctx, models.ModerationKindQuestion, qid)
	if err != nil {
		t.Fatal(err)
	}
	if err := items.Update(ctx, item.ID, func(m *models.ModerationItem) error {
		if err := m.Approve(e.moderator, now); err != nil {
			return err
		}
		return m.Publish(e.moderator, now)
	}); err != nil {
		t.Fatal(err)
	}
	if answer == "" {
		return
	}
	answers := repository.NewAnswers(e.db)
	a, err := models.NewAnswer(qid, e.moderator, answer, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := answers.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := answers.Update(ctx, a.ID, func(a *models.Answer) error { return a.Publish(now) }); err != nil {
		t.Fatal(err)
	}
}

func (e *questionsEnv) reject(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	items := repository.NewModerationItems(e.db)
	item, err := items.BySubject(ctx, models.ModerationKindQuestion, uuid.MustParse(id))
	if err != nil {
		t.Fatal(err)
	}
	if err := items.Update(ctx, item.ID, func(m *models.ModerationItem) error {
		return m.Reject(e.moderator, "пишет о коллеге по имени, публиковать нельзя", e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
}

type publishedBody struct {
	Items []struct {
		ID          string  `json:"id"`
		Topic       *string `json:"topic"`
		Question    string  `json:"question"`
		PublishedAt string  `json:"published_at"`
		Answers     []struct {
			BodyMarkdown string `json:"body_markdown"`
		} `json:"answers"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (e *questionsEnv) answers(t *testing.T, query string) publishedBody {
	t.Helper()
	r := e.s.api.Do("GET", "/api/v1/answers"+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("answers%s = %d %s", query, r.Status, r.Body)
	}
	var out publishedBody
	r.JSON(t, &out)
	return out
}

func TestAskQuestion(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := questionsSetup(t, db)
		ctx := context.Background()
		for _, tt := range []struct {
			name   string
			body   map[string]any
			crisis bool
		}{
			{"plain", map[string]any{"text": questionText, "topic": "anxiety", "consents": personalData()}, false},
			{"crisis, with an email", map[string]any{
				"text": "Мне кажется, я больше не хочу жить. Что делать?", "contact_email": "asker@example.org",
				"consents": []map[string]string{{"type": "personal_data", "version": "2026-01"}, {"type": "communications", "version": "2026-02"}},
			}, true},
			{"crisis, inflected", map[string]any{"text": "У меня бывают суицидальные мысли по ночам", "consents": personalData()}, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := e.pub.Count("question.submitted")
				r := e.s.api.Do("POST", "/api/v1/questions", tt.body)
				if r.Status != http.StatusCreated {
					t.Fatalf("ask = %d %s", r.Status, r.Body)
				}
				var got askedBody
				r.JSON(t, &got)
				if (got.CrisisHelp != nil) != tt.crisis || (tt.crisis && (!strings.Contains(got.CrisisHelp.Message, "112") || len(got.CrisisHelp.Helplines) == 0)) {
					t.Errorf("crisis help %+v for a crisis %v question", got.CrisisHelp, tt.crisis)
				}
				if got.Status != "pending" || len(got.StatusToken) != 43 || r.Header.Get("Location") != "/api/v1/questions/"+got.ID {
					t.Errorf("answer %s, Location %q", r.Body, r.Header.Get("Location"))
				}
				id := uuid.MustParse(got.ID)

				// The text is stored only as a Fernet token; the token only as its hash.
				var raw, hash string
				if err := db.Gorm.Raw("SELECT text, status_token_hash FROM questions WHERE id = ?", id).Row().Scan(&raw, &hash); err != nil {
					t.Fatal(err)
				}
				text := tt.body["text"].(string)
				if !strings.HasPrefix(raw, "gAAAAA") || strings.Contains(raw, text[:20]) {
					t.Errorf("text stored as %q, want a Fernet token", raw)
				}
				if hash == "" || hash == got.StatusToken || strings.Contains(string(r.Body), hash) {
					t.Errorf("status token hash %q", hash)
				}
				q, err := repository.NewQuestions(db).ByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if q.Text != text || q.CrisisFlag != tt.crisis || q.PersonalDataConsentVersion == nil || *q.PersonalDataConsentVersion != "2026-01" {
					t.Errorf("question = crisis %v, consent %v", q.CrisisFlag, q.PersonalDataConsentVersion)
				}
				if _, ok := tt.body["contact_email"]; ok && (q.ContactEmail == nil || q.CommunicationsConsentVersion == nil || *q.CommunicationsConsentVersion != "2026-02") {
					t.Errorf("contact %v, communications consent %v", q.ContactEmail, q.CommunicationsConsentVersion)
				}

				// Queued for moderation in the same transaction: crisis first.
				item, err := repository.NewModerationItems(db).BySubject(ctx, models.ModerationKindQuestion, id)
				if err != nil {
					t.Fatal(err)
				}
				if item.Status != models.ModerationStatusPending || item.Crisis != tt.crisis {
					t.Errorf("moderation item %s, crisis %v; want pending, %v", item.Status, item.Crisis, tt.crisis)
				}
				if n := e.pub.Count("question.submitted") - before; n != 1 {
					t.Errorf("%d question.submitted events, want 1", n)
				}
			})
		}
	})
}

func TestAskQuestionRefusals(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := questionsSetup(t, db)
		comms := []map[string]string{{"type": "personal_data", "version": "1"}, {"type": "communications", "version": "1"}}
		for _, tt := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"no consents", map[string]any{"text": questionText}, 422, "consents"},
			{"without personal_data", map[string]any{"text": questionText, "consents": []map[string]string{{"type": "communications", "version": "1"}}}, 422, "consents"},
			{"email without communications", map[string]any{"text": questionText, "contact_email": "a@example.org", "consents": personalData()}, 422, "contact_email"},
			{"bad email", map[string]any{"text": questionText, "contact_email": "not an email", "consents": comms}, 422, "contact_email"},
			{"unknown topic", map[string]any{"text": questionText, "topic": "astrology", "consents": personalData()}, 422, "topic"},
			{"malformed topic", map[string]any{"text": questionText, "topic": "Тревога!", "consents": personalData()}, 422, "topic"},
			{"short text", map[string]any{"text": "Помогите", "consents": personalData()}, 422, "text"},
			{"long text", map[string]any{"text": strings.Repeat("а", models.QuestionTextMaxChars+1), "consents": personalData()}, 422, "text"},
			{"blank text", map[string]any{"text": "   ", "consents": personalData()}, 422, "text"},
			{"unknown consent", map[string]any{"text": questionText, "consents": []map[string]string{{"type": "telegram", "version": "1"}}}, 422, "consents[0].type"},
			{"consent without version", map[string]any{"text": questionText, "consents": []map[string]string{{"type": "personal_data", "version": ""}}}, 422, "consents[0].version"},
			{"unknown field", map[string]any{"text": questionText, "consents": personalData(), "user_id": uuid.New()}, 422, "user_id"},
			{"text not a string", map[string]any{"text": 42, "consents": personalData()}, 422, "text"},
			{"NUL in text", map[string]any{"text": questionText + "\x00", "consents": personalData()}, 422, "text"},
			{"not JSON", "{text:", 400, ""},
			{"array", "[]", 422, ""},
			{"empty", "", 400, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := e.s.api.Do("POST", "/api/v1/questions", tt.body)
				p := r.Problem(t)
				if r.Status != tt.status {
					t.Fatalf("= %d %s, want %d", r.Status, r.Body, tt.status)
				}
				if tt.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field) {
					t.Errorf("errors %+v, want one naming %s", p.Errors, tt.field)
				}
			})
		}
		var n int64
		if err := db.Gorm.Model(&models.Question{}).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("%d questions stored by refused requests (%v)", n, err)
		}
		if r := e.s.api.Do("POST", "/api/v1/questions", "text=x", http.Header{"Content-Type": {"text/plain"}}); r.Status != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain = %d", r.Status)
		}
	})
}

type statusBody struct {
	ID         string  `json:"id"`
	Status     string  `json:"status"`
	PublicText *string `json:"public_text"`
	Answers    []struct {
		BodyMarkdown string `json:"body_markdown"`
	} `json:"answers"`
}

func TestFollowQuestion(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := questionsSetup(t, db)
		asked := e.ask(t, map[string]any{"text": questionText, "topic": "anxiety", "consents": personalData()})
		other := e.ask(t, map[string]any{"text": "Как пережить расставание и не закрыться от людей?", "consents": personalData()})
		follow := func(id, token string) (*testkit.Response, statusBody) {
			t.Helper()
			h := http.Header{}
			if token != "" {
				h.Set("X-Question-Token", token)
			}
			r := e.s.api.Do("GET", "/api/v1/questions/"+id, nil, h)
			var body statusBody
			if r.Status == http.StatusOK {
				r.JSON(t, &body)
			}
			return r, body
		}

		// Anything but the right token for the right id is 404, alike.
		for name, req := range map[string][2]string{
			"no token":        {asked.ID, ""},
			"wrong token":     {asked.ID, strings.Repeat("A", 43)},
			"another's token": {asked.ID, other.StatusToken},
			"unknown id":      {uuid.NewString(), asked.StatusToken},
			"malformed id":    {"not-a-uuid", asked.StatusToken},
			"hostile id":      {"..%2F..%2Fetc", asked.StatusToken},
		} {
			if r, _ := follow(req[0], req[1]); r.Status != http.StatusNotFound || r.Problem(t).Status != 404 {
				t.Errorf("%s = %d %s", name, r.Status, r.Body)
			}
		}

		r, got := follow(asked.ID, asked.StatusToken)
		if r.Status != http.StatusOK || got.Status != "pending" || got.PublicText != nil || len(got.Answers) != 0 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("pending = %d %s", r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), "начальник") {
			t.Errorf("the asker's own text is shown: %s", r.Body)
		}

		e.publish(t, asked.ID, "Как справиться с тревогой перед разговором с руководителем?", "Попробуйте **подготовиться** заранее.")
		if _, got = follow(asked.ID, asked.StatusToken); got.Status != "published" || got.PublicText == nil ||
			len(got.Answers) != 1 || got.Answers[0].BodyMarkdown != "Попробуйте **подготовиться** заранее." {
			t.Errorf("published = %+v", got)
		}

		e.reject(t, other.ID)
		r, got = follow(other.ID, other.StatusToken)
		if got.Status != "rejected" || strings.Contains(string(r.Body), "коллеге") {
			t.Errorf("rejected = %s", r.Body)
		}
	})
}

func TestPublishedAnswers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := questionsSetup(t, db)
		first := e.ask(t, map[string]any{"text": questionText, "topic": "anxiety", "consents": personalData()})
		second := e.ask(t, map[string]any{"text": "Ребёнок боится темноты, как помочь ему уснуть?", "consents": personalData()})
		third := e.ask(t, map[string]any{"text": "Тревога по утрам мешает собраться на работу, что делать?", "topic": "anxiety", "consents": personalData()})
		pending := e.ask(t, map[string]any{"text": "Этот вопрос ещё ждёт модерации и не должен быть виден", "consents": personalData()})

		// Nothing is public before moderation.
		if got := e.answers(t, ""); len(got.Items) != 0 || got.NextCursor != nil {
			t.Fatalf("before moderation: %+v", got)
		}

		// The first two are published at the same moment: the id breaks the tie, across pages too.
		e.publish(t, first.ID, "Как не тревожиться перед разговором с руководителем?", "Ответ на первый вопрос.")
		e.publish(t, second.ID, "Как помочь ребёнку, который боится темноты?", "")
		e.clock.Advance(time.Hour)
		e.publish(t, third.ID, "Как справиться с утренней тревогой?", "Ответ на третий вопрос.")

		got := e.answers(t, "")
		ids := []string{}
		for _, it := range got.Items {
			ids = append(ids, it.ID)
			if strings.Contains(it.Question, "начальник") || strings.Contains(it.Question, "Ребёнок боится") {
				t.Errorf("the asker's own text is listed: %q", it.Question)
			}
		}
		want := []string{third.ID, second.ID, first.ID}
		if first.ID > second.ID {
			want = []string{third.ID, first.ID, second.ID}
		}
		if strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Errorf("listed %v, want newest publication first %v", ids, want)
		}
		for _, id := range ids {
			if id == pending.ID {
				t.Error("a pending question is listed")
			}
		}
		if len(got.Items) == 3 && (got.Items[0].Question != "Как справиться с утренней тревогой?" || len(got.Items[0].Answers) != 1) {
			t.Errorf("items = %+v", got.Items)
		}

		// Pages follow the cursor to the end.
		var paged []string
		query := "?limit=1"
		for range 5 {
			page := e.answers(t, query)
			for _, it := range page.Items {
				paged = append(paged, it.ID)
			}
			if page.NextCursor == nil {
				break
			}
			query = "?limit=1&cursor=" + url.QueryEscape(*page.NextCursor)
		}
		if strings.Join(paged, ",") != strings.Join(ids, ",") {
			t.Errorf("paged %v, want %v", paged, ids)
		}

		// The topic filter.
		byTopic := e.answers(t, "?topic=anxiety")
		if len(byTopic.Items) != 2 || byTopic.Items[0].ID != third.ID || byTopic.Items[1].ID != first.ID {
			t.Errorf("topic anxiety = %+v", byTopic.Items)
		}
		if none := e.answers(t, "?topic=depression"); len(none.Items) != 0 {
			t.Errorf("unknown topic = %+v", none.Items)
		}

		// A question taken down leaves the list.
		e.reject(t, third.ID)
		if after := e.answers(t, ""); len(after.Items) != 2 || after.Items[0].ID != want[1] {
			t.Errorf("after take-down = %+v", after.Items)
		}

		// Bad queries are the client's to fix.
		for _, q := range []string{
			"?cursor=garbage", "?cursor=" + url.QueryEscape("eyJwIjoxfQ"), "?cursor=%FF", "?limit=0", "?limit=51",
			"?limit=-1", "?limit=x", "?topic=" + url.QueryEscape("Тревога"), "?topic=" + strings.Repeat("a", 65),
		} {
			r := e.s.api.Do("GET", "/api/v1/answers"+q, nil)
			if r.Status != http.StatusUnprocessableEntity || r.Problem(t).Status != 422 {
				t.Errorf("answers%s = %d %s", q, r.Status, r.Body)
			}
		}
	})
}
