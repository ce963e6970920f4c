package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// moderationEnv is a queue of three questions — one of them a crisis — and an owner, an assistant
// and an editor signed in.
type moderationEnv struct {
	db      *repository.DB
	clients map[string]*testkit.API
	csrf    map[string]string
	staff   map[string]uuid.UUID
	// questions and items: [0] asked at t0, [1] a crisis asked an hour earlier, [2] two hours earlier.
	questions []*models.Question
	items     []*models.ModerationItem
}

const moderationText0 = "Мне тяжело засыпать, и я боюсь, что это не пройдёт."

func moderationSetup(t *testing.T, db *repository.DB) *moderationEnv {
	t.Helper()
	ctx := context.Background()
	s, r := newServer(t, db, options{adminResources: true})
	e := &moderationEnv{db: db, clients: map[string]*testkit.API{"anonymous": testkit.NewAPI(t, r)}, csrf: map[string]string{}, staff: map[string]uuid.UUID{}}
	for _, role := range []models.Role{models.RoleOwner, models.RoleAssistant, models.RoleEditor} {
		e.clients[string(role)], e.csrf[string(role)] = jobsSignIn(t, s, r, role)
		email, err := models.ParseEmail(string(role) + "@example.org")
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.users.ByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		e.staff[string(role)] = u.ID
	}
	email, err := models.ParseEmail("asker@example.com")
	if err != nil {
		t.Fatal(err)
	}
	client := models.NewClientUser(email, "Мария", t0)
	if err := repository.NewUsers(db).Create(ctx, client); err != nil {
		t.Fatal(err)
	}
	texts := []string{moderationText0, "Мне кажется, что всё бессмысленно, я не справляюсь.", "Как говорить с подростком о тревоге?"}
	e.questions, e.items = make([]*models.Question, 3), make([]*models.ModerationItem, 3)
	// Oldest first, so that the ids' order (UUID v7) is not the newest-first order the queue wants.
	for i := 2; i >= 0; i-- {
		text, at := texts[i], t0.Add(-time.Duration(i)*time.Hour)
		q, err := models.NewQuestion(&client.ID, text, "asker@example.com", "anxiety", i == 1, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewQuestions(db).Create(ctx, q); err != nil {
			t.Fatal(err)
		}
		item, err := models.NewQuestionModerationItem(q, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewModerationItems(db).Create(ctx, item); err != nil {
			t.Fatal(err)
		}
		e.questions[i], e.items[i] = q, item
	}
	return e
}

// do sends a write as role with its CSRF token.
func (e *moderationEnv) do(role, method, path string, body any) *testkit.Response {
	return e.clients[role].Do(method, path, body, jobsCSRF(e.csrf[role]))
}

// audits lists the audit rows of one record, oldest first.
func (e *moderationEnv) audits(t *testing.T, resource string, id uuid.UUID) []models.AuditLog {
	t.Helper()
	rows, err := repository.NewAuditLogs(e.db).List(context.Background(),
		repository.AuditLogFilter{Resource: resource, ResourceID: id.String()}, repository.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(rows)
	return rows
}

func recordIDs(recs []map[string]any) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, fmt.Sprint(r["id"]))
	}
	return out
}

// TestAdminModerationQueue: crisis items (and questions) come first by default, then the newest.
func TestAdminModerationQueue(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := moderationSetup(t, db)
		items := []string{e.items[1].ID.String(), e.items[0].ID.String(), e.items[2].ID.String()}
		questions := []string{e.questions[1].ID.String(), e.questions[0].ID.String(), e.questions[2].ID.String()}
		for _, tc := range []struct {
			name, resource, query string
			want                  []string
		}{
			{"queue by default", "moderation_items", "", items},
			{"queue sorted by crisis", "moderation_items", adminQuery("sort", `["crisis","DESC"]`), items},
			{"crisis filter", "moderation_items", adminQuery("filter", `{"crisis":true}`), items[:1]},
			{"queue by time only", "moderation_items", adminQuery("sort", `["created_at","DESC"]`),
				[]string{e.items[0].ID.String(), e.items[1].ID.String(), e.items[2].ID.String()}},
			{"questions by default", "questions", "", questions},
		} {
			recs, _ := adminList(t, e.clients["editor"], tc.resource, tc.query)
			if got := recordIDs(recs); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
			if tc.resource == "moderation_items" && slices.Equal(tc.want, items) && recs[0]["crisis"] != true {
				t.Errorf("%s: the first item is not marked crisis: %v", tc.name, recs[0])
			}
		}
	})
}

// TestAdminModerationFlow: approve → set the public text → publish; reject needs a reason (422 in
// Russian without one) and shows it; the editor moderates like the others; every decision is the
// model's transition (409 from the wrong state, or on a stale version) and is audited.
func TestAdminModerationFlow(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := moderationSetup(t, db)
		item := func(i int) string { return "/admin/api/moderation_items/" + e.items[i].ID.String() }
		question := func(i int) string { return "/admin/api/questions/" + e.questions[i].ID.String() }
		type check func(t *testing.T, rec map[string]any, errs map[string]string)
		status := func(s string) check {
			return func(t *testing.T, rec map[string]any, _ map[string]string) {
				if rec["status"] != s {
					t.Errorf("status %v, want %s", rec["status"], s)
				}
			}
		}
		fieldError := func(field, msg string) check {
			return func(t *testing.T, _ map[string]any, errs map[string]string) {
				if got, ok := errs[field]; !ok || (msg != "" && got != msg) {
					t.Errorf("errors %v, want %s: %q", errs, field, msg)
				}
			}
		}
		for _, step := range []struct {
			name, role, path string
			body             any
			status           int
			check            check
		}{
			{"the editor approves", "editor", item(0) + "/actions/approve", map[string]any{"version": 1}, 200, status("approved")},
			{"approving twice is no transition", "editor", item(0) + "/actions/approve", nil, 409, nil},
			{"no publishing without a public text", "editor", item(0) + "/actions/publish", nil, 422,
				fieldError("public_text", "сначала задайте вопросу текст для публикации")},
			{"a public text is required", "editor", question(0) + "/actions/set_public_text", map[string]any{"public_text": "  "}, 422,
				fieldError("public_text", "обязательное поле")},
			{"the editor anonymises the question", "editor", question(0) + "/actions/set_public_text",
				map[string]any{"public_text": "Как справиться с бессонницей?"}, 200,
				func(t *testing.T, rec map[string]any, _ map[string]string) {
					if rec["public_text"] != "Как справиться с бессонницей?" {
						t.Errorf("question after set_public_text: %v", rec)
					}
				}},
			{"the editor publishes", "editor", item(0) + "/actions/publish", nil, 200, status("published")},
			{"no rejection without a reason", "assistant", item(2) + "/actions/reject", nil, 422, fieldError("reason", "обязательное поле")},
			{"a blank reason is none", "assistant", item(2) + "/actions/reject", map[string]any{"reason": "   "}, 422, fieldError("reason", "обязательное поле")},
			{"a reason too long", "assistant", item(2) + "/actions/reject", map[string]any{"reason": strings.Repeat("я", 1001)}, 422,
				fieldError("reason", "не длиннее 1000 символов")},
			{"the assistant rejects", "assistant", item(2) + "/actions/reject", map[string]any{"reason": "Содержит личные данные"}, 200,
				func(t *testing.T, rec map[string]any, _ map[string]string) {
					if rec["status"] != "rejected" || rec["reason"] != "Содержит личные данные" {
						t.Errorf("rejected item: %v", rec)
					}
				}},
			{"a rejected item is final", "owner", item(2) + "/actions/approve", nil, 409, nil},
			{"a stale version", "owner", item(1) + "/actions/approve", map[string]any{"version": 7}, 409, nil},
			{"the owner takes a published item down", "owner", item(0) + "/actions/reject", map[string]any{"reason": "Устарело"}, 200, status("rejected")},
			{"an unknown action", "owner", item(1) + "/actions/archive", nil, 404, nil},
			{"an unknown item", "owner", "/admin/api/moderation_items/" + uuid.NewString() + "/actions/approve", nil, 404, nil},
			{"strangers may not moderate", "anonymous", item(1) + "/actions/approve", nil, 401, nil},
		} {
			r := e.do(step.role, "POST", step.path, step.body)
			if r.Status != step.status {
				t.Errorf("%s: %d %s, want %d", step.name, r.Status, r.Body, step.status)
				continue
			}
			var rec map[string]any
			var p struct {
				Errors map[string]string `json:"errors"`
			}
			switch r.Status {
			case 200:
				r.JSON(t, &rec)
			case 422:
				r.JSON(t, &p)
			case 409: // why, in Russian, for the person
				var refusal struct {
					Message string `json:"message"`
				}
				if r.JSON(t, &refusal); refusal.Message == "" {
					t.Errorf("%s: a 409 without a message: %s", step.name, r.Body)
				}
			}
			if step.check != nil {
				t.Run(step.name, func(t *testing.T) { step.check(t, rec, p.Errors) })
			}
		}

		// The item shows who decided and why; the decisions are the models' (moderator, time).
		r := e.clients["editor"].Do("GET", item(2), nil)
		var shown map[string]any
		r.JSON(t, &shown)
		if shown["reason"] != "Содержит личные данные" || shown["moderator_id"] != e.staff["assistant"].String() || shown["decided_at"] == nil {
			t.Errorf("rejected item as shown: %v", shown)
		}

		// Each decision is one audit row naming the action and its fields, never their values.
		for _, tc := range []struct {
			resource string
			id       uuid.UUID
			want     [][]string // per row: the change keys, sorted
			roles    []string
		}{
			{"moderation_items", e.items[0].ID, [][]string{{"action:approve"}, {"action:publish"}, {"action:reject", "reason"}},
				[]string{"editor", "editor", "owner"}},
			{"moderation_items", e.items[2].ID, [][]string{{"action:reject", "reason"}}, []string{"assistant"}},
			{"questions", e.questions[0].ID, [][]string{{"action:set_public_text", "public_text"}}, []string{"editor"}},
			{"moderation_items", e.items[1].ID, nil, nil},
		} {
			rows := e.audits(t, tc.resource, tc.id)
			var got [][]string
			var roles []string
			for _, row := range rows {
				var keys []string
				for k, v := range row.Changes {
					keys = append(keys, k)
					if v.From != nil || v.To != nil {
						t.Errorf("%s %s: an audit row carries values: %+v", tc.resource, tc.id, row.Changes)
					}
				}
				slices.Sort(keys)
				got, roles = append(got, keys), append(roles, row.ActorRole)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || !slices.Equal(roles, tc.roles) {
				t.Errorf("%s %s audit rows: %v by %v, want %v by %v", tc.resource, tc.id, got, roles, tc.want, tc.roles)
			}
		}
	})
}

// TestAdminQuestionTextIsTheOwners: the client's own words reach the owner only, one question at
// a time, each read audited; the assistant and the editor get no text field (nor in their schema),
// and the editor no contact either.
func TestAdminQuestionTextIsTheOwners(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := moderationSetup(t, db)
		q := e.questions[0]
		path := "/admin/api/questions/" + q.ID.String()
		reads := func() int {
			n := 0
			for _, row := range e.audits(t, "questions", q.ID) {
				if row.Action == models.AuditActionRead {
					n++
					if row.ActorRole != "owner" || len(row.Changes) != 0 {
						t.Errorf("read audit row %+v", row)
					}
				}
			}
			return n
		}
		for _, tc := range []struct {
			role          string
			text, contact bool
		}{
			{"assistant", false, true},
			{"editor", false, false},
			{"owner", true, true},
		} {
			r := e.clients[tc.role].Do("GET", path, nil)
			var rec map[string]any
			r.JSON(t, &rec)
			if r.Status != http.StatusOK {
				t.Fatalf("%s show: %d %s", tc.role, r.Status, r.Body)
			}
			_, hasText := rec["text"]
			_, hasContact := rec["contact_email"]
			_, hasUser := rec["user_id"]
			if hasText != tc.text || (tc.text && rec["text"] != moderationText0) || hasContact != tc.contact || hasUser != tc.contact {
				t.Errorf("%s sees %v", tc.role, rec)
			}
			if hasContact && rec["contact_email"] != "asker@example.com" {
				t.Errorf("%s: contact %v", tc.role, rec["contact_email"])
			}
			if !tc.text && strings.Contains(string(r.Body), "засыпать") {
				t.Errorf("%s got the text: %s", tc.role, r.Body)
			}
			want := 0
			if tc.text {
				want = 1
			}
			if n := reads(); n != want {
				t.Errorf("after the %s's read: %d read audit rows, want %d", tc.role, n, want)
			}

			// The schema says the same.
			sr := e.clients[tc.role].Do("GET", "/admin/api/schema", nil)
			var schema struct {
				Resources []struct {
					Name   string `json:"name"`
					Fields []struct {
						Name string `json:"name"`
						P2   bool   `json:"p2"`
					} `json:"fields"`
				} `json:"resources"`
			}
			sr.JSON(t, &schema)
			for _, res := range schema.Resources {
				if res.Name != "questions" {
					continue
				}
				var names []string
				for _, f := range res.Fields {
					names = append(names, f.Name)
				}
				if slices.Contains(names, "text") != tc.text || slices.Contains(names, "contact_email") != tc.contact {
					t.Errorf("%s's schema of questions: %v", tc.role, names)
				}
			}
		}

		// Lists never carry the text and are no P2 read; the editor may not filter by who asked.
		recs, _ := adminList(t, e.clients["owner"], "questions", "")
		for _, rec := range recs {
			if _, ok := rec["text"]; ok {
				t.Errorf("a list carries the text: %v", rec)
			}
		}
		if n := reads(); n != 1 {
			t.Errorf("a list was audited as a read: %d rows", n)
		}
		recs, _ = adminList(t, e.clients["assistant"], "questions", adminQuery("filter", fmt.Sprintf(`{"user_id":%q}`, *q.UserID)))
		if len(recs) != 3 {
			t.Errorf("the assistant's filter by who asked: %d questions", len(recs))
		}
		r := e.clients["editor"].Do("GET", "/admin/api/questions"+adminQuery("filter", fmt.Sprintf(`{"user_id":%q}`, *q.UserID)), nil)
		catalogueProblemField(t, r, http.StatusUnprocessableEntity, "filter.user_id")
		if r := e.clients["editor"].Do("GET", "/admin/api/questions"+adminQuery("filter", `{"q":"засыпать"}`), nil); !strings.Contains(r.Header.Get("Content-Range"), "*/0") {
			t.Errorf("a search matched the client's text: %s %s", r.Header.Get("Content-Range"), r.Body)
		}
	})
}

// TestAdminAnswers: answering a question creates an unpublished answer authored by whoever
// answered; it is edited, published and unpublished through the model's rules, each step audited.
func TestAdminAnswers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := moderationSetup(t, db)
		q := e.questions[2]
		answerPath := "/admin/api/questions/" + q.ID.String() + "/actions/answer"

		r := e.do("editor", "POST", answerPath, map[string]any{})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"body_markdown":"обязательное поле"`) {
			t.Errorf("answer without a body: %s", r.Body)
		}
		if r := e.do("editor", "POST", "/admin/api/questions/"+uuid.NewString()+"/actions/answer", map[string]any{"body_markdown": "Ответ"}); r.Status != http.StatusNotFound {
			t.Errorf("an answer to no question: %d %s", r.Status, r.Body)
		}
		if r := e.do("editor", "POST", answerPath, map[string]any{"body_markdown": "**Говорите** спокойно и честно."}); r.Status != http.StatusOK {
			t.Fatalf("answer: %d %s", r.Status, r.Body)
		}
		recs, _ := adminList(t, e.clients["editor"], "answers", adminQuery("filter", fmt.Sprintf(`{"question_id":%q}`, q.ID)))
		if len(recs) != 1 {
			t.Fatalf("answers of the question: %v", recs)
		}
		id := recs[0]["id"].(string)
		path := "/admin/api/answers/" + id
		var answer map[string]any
		e.clients["editor"].Do("GET", path, nil).JSON(t, &answer)
		if answer["author_user_id"] != e.staff["editor"].String() || answer["body_markdown"] != "**Говорите** спокойно и честно." || answer["published_at"] != nil {
			t.Errorf("the answer: %v", answer)
		}

		for _, step := range []struct {
			name, role, method, path string
			body                     any
			status                   int
			published                *bool
		}{
			{"an empty text", "assistant", "PUT", path, map[string]any{"body_markdown": ""}, 422, nil},
			{"the assistant edits", "assistant", "PUT", path, map[string]any{"body_markdown": "Говорите спокойно.", "id": id}, 200, new(false)},
			{"the editor publishes", "editor", "POST", path + "/actions/publish", nil, 200, new(true)},
			{"publishing twice", "editor", "POST", path + "/actions/publish", nil, 409, nil},
			{"the owner unpublishes", "owner", "POST", path + "/actions/unpublish", nil, 200, new(false)},
			{"unpublishing twice", "owner", "POST", path + "/actions/unpublish", nil, 409, nil},
			{"answers are not created directly", "owner", "POST", "/admin/api/answers", map[string]any{"body_markdown": "x"}, 405, nil},
		} {
			r := e.do(step.role, step.method, step.path, step.body)
			if r.Status != step.status {
				t.Errorf("%s: %d %s, want %d", step.name, r.Status, r.Body, step.status)
				continue
			}
			if step.published != nil {
				var rec map[string]any
				r.JSON(t, &rec)
				if (rec["published_at"] != nil) != *step.published {
					t.Errorf("%s: published_at %v", step.name, rec["published_at"])
				}
			}
		}
		var edited map[string]any
		e.clients["owner"].Do("GET", path, nil).JSON(t, &edited)
		if edited["body_markdown"] != "Говорите спокойно." || edited["author_user_id"] != e.staff["editor"].String() {
			t.Errorf("after the edits: %v", edited)
		}

		var actions []string
		for _, row := range e.audits(t, "answers", uuid.MustParse(id)) {
			for k := range row.Changes {
				actions = append(actions, row.ActorRole+" "+k)
			}
		}
		if want := []string{"assistant body_markdown", "editor action:publish", "owner action:unpublish"}; !slices.Equal(actions, want) {
			t.Errorf("answer audit rows %v, want %v", actions, want)
		}
		rows := e.audits(t, "questions", q.ID)
		if len(rows) != 1 || rows[0].ActorRole != "editor" || len(rows[0].Changes) != 2 {
			t.Errorf("the answer action's audit rows: %+v", rows)
		}
	})
}
