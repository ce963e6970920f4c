package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/content"
)

// nopPublisher drops events; an EventCounter wrapped around it counts them.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, *repository.Tx, []models.Event) error { return nil }

// contentCall is one request of a content scenario and what must come back.
type contentCall struct {
	name         string
	role         string // owner, assistant, editor
	method, path string
	body         any
	noCSRF       bool
	status       int
	// fields: the 422's errors must name these fields (with this message, when not empty).
	fields map[string]string
	// has: the body must contain each of these; hasNot: none of these.
	has, hasNot []string
	// then checks the decoded body.
	then func(t *testing.T, rec map[string]any)
}

// run sends the calls in order, each as its role with that role's CSRF token.
func runContentCalls(t *testing.T, e *adminEnv, calls []contentCall) {
	t.Helper()
	for _, c := range calls {
		var hdr []http.Header
		if !c.noCSRF {
			hdr = append(hdr, jobsCSRF(e.csrf[c.role]))
		}
		r := e.clients[c.role].Do(c.method, c.path, c.body, hdr...)
		if r.Status != c.status {
			t.Errorf("%s: %s %s as %s = %d, want %d: %s", c.name, c.method, c.path, c.role, r.Status, c.status, r.Body)
			continue
		}
		if len(c.fields) > 0 {
			var p struct {
				Errors map[string]string `json:"errors"`
			}
			r.JSON(t, &p)
			for f, msg := range c.fields {
				if got, ok := p.Errors[f]; !ok || (msg != "" && got != msg) {
					t.Errorf("%s: errors %v, want %s: %q", c.name, p.Errors, f, msg)
				}
			}
		}
		for _, s := range c.has {
			if !strings.Contains(string(r.Body), s) {
				t.Errorf("%s: body %s lacks %q", c.name, r.Body, s)
			}
		}
		for _, s := range c.hasNot {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("%s: body %s holds %q", c.name, r.Body, s)
			}
		}
		if c.then != nil {
			var rec map[string]any
			r.JSON(t, &rec)
			c.then(t, rec)
		}
	}
}

// auditActions lists the audit rows of one record, oldest first, as "role action fields…",
// and fails when a row carries values.
func auditActions(t *testing.T, db *repository.DB, resource, id string) []string {
	t.Helper()
	rows, err := repository.NewAuditLogs(db).List(context.Background(), repository.AuditLogFilter{Resource: resource, ResourceID: id}, repository.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range slices.Backward(rows) {
		var names []string
		for k, v := range row.Changes {
			if v.From != nil || v.To != nil {
				t.Errorf("audit of %s %s carries values: %s=%+v", resource, id, k, v)
			}
			names = append(names, k)
		}
		slices.Sort(names)
		out = append(out, row.ActorRole+" "+string(row.Action)+" "+strings.Join(names, ","))
	}
	return out
}

// TestAdminEditsAndPublishesContent: the editor writes an article through the admin API — a
// draft with tags, edited (reading time following the body, a stale version refused), published,
// refused deletion once published; topics and tags are deleted only when nothing refers to them;
// the assistant only reads. Every write is audited by field name.
func TestAdminEditsAndPublishesContent(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		events := testkit.CountEvents(nopPublisher{})
		db.SetPublisher(events)
		topic, tag := e.ids["topics"], e.ids["tags"]
		body := strings.Repeat("Слово за словом. ", 100) // 300 words: 2 minutes
		article := map[string]any{
			"type": "article", "slug": "evening-anxiety", "title": "Тревога по вечерам", "topic_id": topic,
			"tag_ids": []string{tag, tag}, "summary": "Коротко", "body_markdown": "# Вечер\n\n" + body,
		}
		var id string
		var version float64
		runContentCalls(t, e, []contentCall{
			{name: "the assistant reads only", role: "assistant", method: "POST", path: "/admin/api/content_items", body: article, status: 403},
			{name: "without the CSRF token", role: "editor", method: "POST", path: "/admin/api/content_items", body: article, noCSRF: true, status: 403},
			{name: "bad fields in Russian", role: "editor", method: "POST", path: "/admin/api/content_items", status: 422,
				body:   map[string]any{"type": "article", "slug": "Not A Slug"},
				fields: map[string]string{"slug": "только латинские буквы a–z, цифры и одиночные дефисы между ними"}},
			{name: "required fields", role: "editor", method: "POST", path: "/admin/api/content_items", status: 422,
				body: map[string]any{"title": "x"}, fields: map[string]string{"type": "обязательное поле", "slug": "обязательное поле"}},
			{name: "an unknown tag", role: "editor", method: "POST", path: "/admin/api/content_items", status: 422,
				body: map[string]any{"type": "article", "slug": "x", "tag_ids": []string{uuid.NewString()}}, fields: map[string]string{"tag_ids": ""}},
			{name: "create a draft", role: "editor", method: "POST", path: "/admin/api/content_items", body: article, status: 201,
				then: func(t *testing.T, rec map[string]any) {
					id, version = rec["id"].(string), rec["version"].(float64)
					if rec["status"] != "draft" || rec["reading_minutes"] != float64(2) || rec["published_at"] != nil ||
						!slices.Equal(toStrings(rec["tag_ids"]), []string{tag}) || rec["topic_id"] != topic {
						t.Errorf("created %v", rec)
					}
				}},
		})
		if id == "" {
			t.Fatal("no content item created")
		}
		item := "/admin/api/content_items/" + id
		runContentCalls(t, e, []contentCall{
			{name: "edit: a shorter body, no tags", role: "editor", method: "PUT", path: item, status: 200,
				body: map[string]any{"id": id, "version": version, "body_markdown": "Коротко.", "tag_ids": []string{}, "status": "published"},
				then: func(t *testing.T, rec map[string]any) {
					if rec["reading_minutes"] != float64(1) || rec["version"] != version+1 || len(toStrings(rec["tag_ids"])) != 0 ||
						rec["status"] != "draft" || rec["title"] != "Тревога по вечерам" {
						t.Errorf("edited %v", rec)
					}
				}},
			{name: "a stale version", role: "owner", method: "PUT", path: item, status: 409,
				body: map[string]any{"version": version, "title": "Другое"}, has: []string{`"current_version":2`, "version-conflict"}},
			{name: "the assistant may not publish", role: "assistant", method: "POST", path: item + "/actions/publish", status: 403},
			{name: "publish", role: "editor", method: "POST", path: item + "/actions/publish", status: 200,
				then: func(t *testing.T, rec map[string]any) {
					if rec["status"] != "published" || rec["published_at"] != t0.Format(time.RFC3339) {
						t.Errorf("published %v", rec)
					}
				}},
			{name: "publish twice", role: "editor", method: "POST", path: item + "/actions/publish", status: 409},
			{name: "a published item stays complete", role: "editor", method: "PUT", path: item, status: 422,
				body: map[string]any{"body_markdown": ""}, fields: map[string]string{"body_markdown": "нужно заполнить перед публикацией"}},
			{name: "a published item is not deleted", role: "owner", method: "DELETE", path: item, status: 409, has: []string{"отправьте его в архив"}},
			{name: "the topic is in use", role: "editor", method: "DELETE", path: "/admin/api/topics/" + topic, status: 409, has: []string{"Тему нельзя удалить", "материалы (2)"}},
			{name: "a topic's code stays", role: "editor", method: "PUT", path: "/admin/api/topics/" + topic, status: 422,
				body: map[string]any{"code": "other", "title": "Тревога"}, fields: map[string]string{"code": ""}},
			{name: "rename a topic", role: "editor", method: "PUT", path: "/admin/api/topics/" + topic, status: 200,
				body: map[string]any{"code": "anxiety", "title": "Тревожность", "sort_order": 3}, has: []string{`"title":"Тревожность"`, `"sort_order":3`}},
			{name: "the assistant may not add a tag", role: "assistant", method: "POST", path: "/admin/api/tags", body: map[string]any{"slug": "sleep", "title": "Сон"}, status: 403},
			{name: "add a tag", role: "owner", method: "POST", path: "/admin/api/tags", body: map[string]any{"slug": "sleep", "title": "Сон"}, status: 201},
			{name: "tag the article", role: "editor", method: "PUT", path: item, body: map[string]any{"tag_ids": []string{tag}}, status: 200, has: []string{tag}},
			{name: "the tag is in use", role: "editor", method: "DELETE", path: "/admin/api/tags/" + tag, status: 409, has: []string{"Тег нельзя удалить"}},
			{name: "untag it (null: no tags)", role: "editor", method: "PUT", path: item, body: map[string]any{"tag_ids": nil}, status: 200, has: []string{`"tag_ids":[]`}},
			{name: "delete the unused tag", role: "editor", method: "DELETE", path: "/admin/api/tags/" + tag, status: 200, has: []string{`"slug":"breathing"`}},
			{name: "archive", role: "editor", method: "POST", path: item + "/actions/archive", status: 200, has: []string{`"status":"archived"`}},
			{name: "a draft is deleted", role: "editor", method: "DELETE", path: "/admin/api/content_items/" + e.ids["content_items"], status: 200},
		})
		if n := events.Count("content.published"); n != 1 {
			t.Errorf("%d content.published events, want 1", n)
		}
		if n := events.Count("content.archived"); n != 1 {
			t.Errorf("%d content.archived events, want 1", n)
		}
		got := auditActions(t, db, "content_items", id)
		want := []string{
			"editor create body_markdown,slug,summary,tag_ids,title,topic_id,type",
			"editor update body_markdown,tag_ids",
			"editor update action:publish",
			"editor update tag_ids", "editor update tag_ids",
			"editor update action:archive",
		}
		if !slices.Equal(got, want) {
			t.Errorf("audit\n got %q\nwant %q", got, want)
		}
		if got := auditActions(t, db, "tags", tag); !slices.Equal(got, []string{"editor delete "}) {
			t.Errorf("tag audit %q", got)
		}
	})
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestAdminSchedulesAPublication: a draft given a future publish_at is published by the periodic
// job once the clock passes it, once, with its event; a time in the past is refused.
func TestAdminSchedulesAPublication(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		events := testkit.CountEvents(nopPublisher{})
		db.SetPublisher(events)
		jobs := content.NewScheduler(db, e.s.clock, testkit.Logger(t))
		ctx := context.Background()
		at := t0.Add(30 * time.Minute) // within the sessions' idle timeout
		draft := map[string]any{"type": "exercise", "slug": "breathe", "title": "Дыхание 4-7-8", "body_markdown": "Вдох на четыре счёта."}
		var id string
		runContentCalls(t, e, []contentCall{
			{name: "a time in the past", role: "editor", method: "POST", path: "/admin/api/content_items", status: 422,
				body:   map[string]any{"type": "exercise", "slug": "breathe", "title": "Дыхание", "body_markdown": "Вдох.", "publish_at": t0.Add(-time.Minute).Format(time.RFC3339)},
				fields: map[string]string{"publish_at": "должно быть в будущем"}},
			{name: "an incomplete draft is not scheduled", role: "editor", method: "POST", path: "/admin/api/content_items", status: 422,
				body:   map[string]any{"type": "exercise", "slug": "breathe", "publish_at": at.Format(time.RFC3339)},
				fields: map[string]string{"title": "нужно заполнить перед публикацией"}},
			{name: "not a time", role: "editor", method: "POST", path: "/admin/api/content_items", status: 422,
				body: map[string]any{"type": "exercise", "slug": "breathe", "publish_at": "tomorrow"}, fields: map[string]string{"publish_at": ""}},
			{name: "create", role: "editor", method: "POST", path: "/admin/api/content_items", body: draft, status: 201,
				then: func(t *testing.T, rec map[string]any) { id = rec["id"].(string) }},
		})
		runContentCalls(t, e, []contentCall{
			{name: "schedule it (Moscow time)", role: "editor", method: "PUT", path: "/admin/api/content_items/" + id, status: 200,
				body: map[string]any{"publish_at": at.In(time.FixedZone("MSK", 3*3600)).Format(time.RFC3339)},
				has:  []string{`"publish_at":"` + at.Format(time.RFC3339) + `"`, `"status":"draft"`}},
			{name: "a scheduled draft stays complete", role: "editor", method: "PUT", path: "/admin/api/content_items/" + id, status: 422,
				body: map[string]any{"title": ""}, fields: map[string]string{"title": ""}},
		})
		for _, step := range []struct {
			advance time.Duration
			want    int
		}{{20 * time.Minute, 0}, {10 * time.Minute, 1}, {time.Minute, 0}} {
			e.s.clock.Advance(step.advance)
			n, err := jobs.PublishDue(ctx)
			if err != nil || n != step.want {
				t.Fatalf("at %s: published %d (%v), want %d", e.s.clock.Now(), n, err, step.want)
			}
		}
		runContentCalls(t, e, []contentCall{
			{name: "published by the job", role: "assistant", method: "GET", path: "/admin/api/content_items/" + id, status: 200,
				has: []string{`"status":"published"`, `"publish_at":null`, `"published_at":"` + at.Format(time.RFC3339) + `"`}},
			{name: "a published item is not scheduled", role: "editor", method: "PUT", path: "/admin/api/content_items/" + id, status: 422,
				body:   map[string]any{"publish_at": e.s.clock.Now().Add(time.Hour).Format(time.RFC3339)},
				fields: map[string]string{"publish_at": "запланировать публикацию можно только для черновика"}},
		})
		if n := events.Count("content.published"); n != 1 {
			t.Errorf("%d content.published events, want 1", n)
		}
	})
}

// TestAdminMarkdownPreview: any staff role renders Markdown as the site will show it — sanitised,
// headings with anchors, a reading time — and an overlong text is a 422, never a 500.
func TestAdminMarkdownPreview(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		md := "# Как уснуть\n\n<script>alert(1)</script>\n\n[ссылка](javascript:alert(2)) и **жирный**"
		runContentCalls(t, e, []contentCall{
			{name: "the editor", role: "editor", method: "POST", path: "/admin/api/preview/markdown", body: map[string]any{"markdown": md}, status: 200,
				then: func(t *testing.T, rec map[string]any) {
					html, _ := rec["html"].(string)
					if !strings.Contains(html, `<h1 id="kak-usnut">Как уснуть</h1>`) || !strings.Contains(html, "<strong>жирный</strong>") ||
						strings.Contains(html, "<script") || strings.Contains(html, "javascript:") || rec["reading_minutes"] != float64(1) {
						t.Errorf("preview %v", rec)
					}
				}},
			{name: "the assistant", role: "assistant", method: "POST", path: "/admin/api/preview/markdown", body: map[string]any{"markdown": ""}, status: 200,
				has: []string{`"reading_minutes":0`}},
			{name: "without the CSRF token", role: "owner", method: "POST", path: "/admin/api/preview/markdown", body: map[string]any{"markdown": "x"}, noCSRF: true, status: 403},
			{name: "no markdown", role: "owner", method: "POST", path: "/admin/api/preview/markdown", body: map[string]any{}, status: 422, fields: map[string]string{"markdown": "обязательное поле"}},
			{name: "not a string", role: "owner", method: "POST", path: "/admin/api/preview/markdown", body: map[string]any{"markdown": 5}, status: 422},
			{name: "too long", role: "owner", method: "POST", path: "/admin/api/preview/markdown",
				body: map[string]any{"markdown": strings.Repeat("а", content.MaxMarkdownBytes)}, status: 422, fields: map[string]string{"markdown": ""}},
		})
		if r := e.clients["anonymous"].Do("POST", "/admin/api/preview/markdown", map[string]any{"markdown": "x"}); r.Status != http.StatusUnauthorized {
			t.Errorf("anonymous preview: %d", r.Status)
		}
	})
}

// TestAdminInteractiveDefinitions: a config that cannot be run is refused beside the mistake, in
// Russian; a valid one is saved and published; the assistant only reads; runs show results only.
func TestAdminInteractiveDefinitions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		options := []map[string]any{{"id": "a", "text": "Редко", "score": 0}, {"id": "b", "text": "Часто", "score": 2}}
		good := map[string]any{
			"questions":    []any{map[string]any{"id": "q1", "text": "Как часто тревожно?", "options": options}},
			"bands":        []any{map[string]any{"level": "low", "min_score": 0, "max_score": 1}, map[string]any{"level": "high", "min_score": 2, "max_score": 2}},
			"crisis_rules": []any{},
		}
		oneOption := map[string]any{"questions": []any{map[string]any{"id": "q1", "text": "?", "options": options[:1]}}}
		gap := map[string]any{"questions": good["questions"], "bands": []any{map[string]any{"level": "low", "min_score": 0, "max_score": 0}, map[string]any{"level": "high", "min_score": 2, "max_score": 2}}}
		tool := func(cfg any) map[string]any {
			return map[string]any{"type": "thermometer", "slug": "anxiety-check", "title": "Термометр тревоги", "topic_code": "anxiety", "config": cfg}
		}
		var id string
		var version float64
		runContentCalls(t, e, []contentCall{
			{name: "the assistant reads only", role: "assistant", method: "POST", path: "/admin/api/interactive_definitions", body: tool(good), status: 403},
			{name: "one option", role: "editor", method: "POST", path: "/admin/api/interactive_definitions", body: tool(oneOption), status: 422,
				fields: map[string]string{"config.questions[0].options": "нужно хотя бы два варианта ответа"}},
			{name: "a score in no band", role: "editor", method: "POST", path: "/admin/api/interactive_definitions", body: tool(gap), status: 422,
				fields: map[string]string{"config.bands": "баллы от 1 до 1 не попадают ни в один диапазон"}},
			{name: "an unknown key", role: "editor", method: "POST", path: "/admin/api/interactive_definitions", body: tool(map[string]any{"question": []any{}}), status: 422,
				fields: map[string]string{"config": ""}},
			{name: "not an object", role: "editor", method: "POST", path: "/admin/api/interactive_definitions", body: tool("[]"), status: 422, fields: map[string]string{"config": ""}},
			{name: "advice for a level no band yields", role: "editor", method: "POST", path: "/admin/api/interactive_definitions",
				body: tool(map[string]any{"questions": good["questions"], "bands": good["bands"], "recommendations": map[string]any{"levels": map[string]any{"moderate": "Текст"}}}), status: 422,
				fields: map[string]string{"config.recommendations.levels.moderate": `рекомендация для уровня "moderate", которого нет ни в одном диапазоне`}},
			{name: "advice for an unknown profile", role: "editor", method: "POST", path: "/admin/api/interactive_definitions",
				body: tool(map[string]any{"questions": good["questions"], "bands": good["bands"], "recommendations": map[string]any{"profiles": map[string]any{"calm": "Текст"}}}), status: 422,
				fields: map[string]string{"config.recommendations.profiles.calm": `рекомендация для профиля "calm", которого нет ни у одного варианта`}},
			{name: "create", role: "editor", method: "POST", path: "/admin/api/interactive_definitions", body: tool(good), status: 201,
				then: func(t *testing.T, rec map[string]any) {
					id, version = rec["id"].(string), rec["version"].(float64)
					if rec["status"] != "draft" || rec["topic_code"] != "anxiety" {
						t.Errorf("created %v", rec)
					}
				}},
		})
		if id == "" {
			t.Fatal("no definition created")
		}
		def := "/admin/api/interactive_definitions/" + id
		runContentCalls(t, e, []contentCall{
			{name: "a bad edit is not saved", role: "owner", method: "PUT", path: def, body: map[string]any{"version": version, "config": oneOption}, status: 422},
			{name: "edit", role: "owner", method: "PUT", path: def, body: map[string]any{"version": version, "title": "Термометр"}, status: 200, has: []string{`"version":2`}},
			{name: "a stale version", role: "editor", method: "PUT", path: def, body: map[string]any{"version": version, "title": "X"}, status: 409, has: []string{`"current_version":2`}},
			{name: "publish", role: "editor", method: "POST", path: def + "/actions/publish", status: 200, has: []string{`"status":"published"`}},
			{name: "never deleted", role: "owner", method: "DELETE", path: def, status: 405},
			{name: "runs are read-only", role: "owner", method: "PUT", path: "/admin/api/interactive_runs/" + e.ids["interactive_runs"], body: map[string]any{}, status: 405},
			{name: "a run shows its result", role: "assistant", method: "GET", path: "/admin/api/interactive_runs/" + e.ids["interactive_runs"], status: 200,
				has: []string{`"result_profile":"sleep"`}, hasNot: []string{"answers", "anonymous_id", "metadata"}},
		})
		if got := auditActions(t, db, "interactive_definitions", id); len(got) != 3 || got[0] != "editor create config,slug,title,topic_code,type" {
			t.Errorf("audit %q", got)
		}
	})
}

// TestAdminMessageTemplates: the editor edits a template; one that does not render with the sample
// data of its key is refused beside the failing part and not saved; a preview shows the sample
// data, with or without unsaved changes; the assistant previews but does not edit.
func TestAdminMessageTemplates(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		ctx := context.Background()
		tpl, err := repository.NewMessageTemplates(db).ByKey(ctx, "booking_confirmed", models.TemplateChannelEmail, "ru")
		if err != nil {
			t.Fatal(err)
		}
		path := "/admin/api/message_templates/" + tpl.ID.String()
		runContentCalls(t, e, []contentCall{
			{name: "the assistant reads only", role: "assistant", method: "PUT", path: path, body: map[string]any{"subject": "x"}, status: 403},
			{name: "the assistant previews", role: "assistant", method: "POST", path: path + "/preview", status: 200,
				then: func(t *testing.T, rec map[string]any) {
					subject, _ := rec["subject"].(string)
					text, _ := rec["text"].(string)
					html, _ := rec["html"].(string)
					if !strings.HasPrefix(subject, "Запись подтверждена — четверг, 3 декабря 2026, 10:00 (Europe/Moscow)") ||
						!strings.Contains(text, "Здравствуйте, Анна!") || !strings.Contains(html, "<li>Услуга: Индивидуальная консультация</li>") {
						t.Errorf("preview %v", rec)
					}
				}},
			{name: "a preview of unsaved text", role: "editor", method: "POST", path: path + "/preview", status: 200,
				body: map[string]any{"body_text": "Код {{.Code}} для {{.ClientName}}", "body_html": nil},
				has:  []string{`"text":"Код  для Анна"`, `"html":null`}},
			{name: "a preview that does not render", role: "editor", method: "POST", path: path + "/preview", status: 422,
				body: map[string]any{"body_html": "<p>{{.Nope}}</p>"}, fields: map[string]string{"body_html": ""}},
			{name: "a preview that does not parse", role: "editor", method: "POST", path: path + "/preview", status: 422,
				body: map[string]any{"subject": "{{if}}"}, fields: map[string]string{"subject": ""}},
			{name: "an unknown template", role: "editor", method: "POST", path: "/admin/api/message_templates/" + uuid.NewString() + "/preview", status: 404},
			{name: "an edit that does not render", role: "editor", method: "PUT", path: path, status: 422,
				body: map[string]any{"version": 1, "body_text": "Здравствуйте, {{.Nope}}!"}, fields: map[string]string{"body_text": ""}},
			{name: "it was not saved", role: "editor", method: "GET", path: path, status: 200, has: []string{`"version":1`}, hasNot: []string{"Nope"}},
			{name: "a telegram part on an email", role: "editor", method: "PUT", path: path, status: 422,
				body: map[string]any{"subject": ""}, fields: map[string]string{"subject": "у письма должна быть тема"}},
			{name: "edit", role: "editor", method: "PUT", path: path, status: 200,
				body: map[string]any{"version": 1, "subject": "Ждём вас {{.When}}", "key": "changed", "channel": "telegram"},
				has:  []string{`"version":2`, `"key":"booking_confirmed"`, `"channel":"email"`, `"subject":"Ждём вас {{.When}}"`}},
			{name: "a stale version", role: "owner", method: "PUT", path: path, status: 409, body: map[string]any{"version": 1, "subject": "x"}, has: []string{`"current_version":2`}},
			{name: "no create", role: "owner", method: "POST", path: "/admin/api/message_templates", body: map[string]any{}, status: 405},
		})
		saved, err := repository.NewMessageTemplates(db).ByID(ctx, tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if saved.UpdatedBy == nil || *saved.Subject != "Ждём вас {{.When}}" || saved.BodyText != tpl.BodyText {
			t.Errorf("saved %+v", saved)
		}
		if got := auditActions(t, db, "message_templates", tpl.ID.String()); !slices.Equal(got, []string{"editor update subject"}) {
			t.Errorf("audit %q: one row for the saved edit, none for refusals and previews", got)
		}
		// A Telegram template previews as Telegram's HTML, with no subject.
		r := e.clients["editor"].Do("POST", "/admin/api/message_templates/"+e.ids["message_templates"]+"/preview",
			map[string]any{"body_text": "<b>{{.ClientName}}</b> & {{.Link}}"}, jobsCSRF(e.csrf["editor"]))
		var p map[string]any
		r.JSON(t, &p)
		if r.Status != http.StatusOK || p["subject"] != nil || p["text"] != "<b>Анна</b> & https://balance.example" {
			b, _ := json.Marshal(p)
			t.Errorf("telegram preview %d %s", r.Status, b)
		}
	})
}
