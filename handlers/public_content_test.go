package handlers_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/content"
)

// libraryItem is a content item the library tests store: published at published (nil: a draft),
// then archived when archived is set.
type libraryItem struct {
	fields    models.ContentFields
	tags      []string
	topic     string
	published *time.Time
	archived  bool
	publishAt *time.Time
}

// library stores the topics, tags and items of a library test.
type library struct {
	topics map[string]*models.Topic
	tags   map[string]models.Tag
	items  *repository.ContentItems
}

func newLibrary(t *testing.T, db *repository.DB) *library {
	t.Helper()
	ctx := context.Background()
	l := &library{topics: map[string]*models.Topic{}, tags: map[string]models.Tag{}, items: repository.NewContentItems(db)}
	for i, code := range []string{"anxiety", "sleep"} {
		tp, err := models.NewTopic(code, "Тема "+code, "О теме "+code, i, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewTopics(db).Create(ctx, tp); err != nil {
			t.Fatal(err)
		}
		l.topics[code] = tp
	}
	for _, slug := range []string{"breathing", "cbt"} {
		tg, err := models.NewTag(slug, "Метка "+slug, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewTags(db).Create(ctx, tg); err != nil {
			t.Fatal(err)
		}
		l.tags[slug] = *tg
	}
	return l
}

func (l *library) add(t *testing.T, it libraryItem) *models.ContentItem {
	t.Helper()
	f := it.fields
	if f.Type == "" {
		f.Type = models.ContentTypeArticle
	}
	if f.Title == "" {
		f.Title = "Статья " + f.Slug
	}
	if f.BodyMarkdown == "" {
		f.BodyMarkdown = "Текст статьи."
	}
	if it.topic != "" {
		f.TopicID = &l.topics[it.topic].ID
	}
	c, err := models.NewContentItem(f, t0.Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var tags []models.Tag
	for _, s := range it.tags {
		tags = append(tags, l.tags[s])
	}
	if err := c.SetTags(tags, t0.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if it.published != nil {
		if err := c.Publish(*it.published); err != nil {
			t.Fatal(err)
		}
	}
	if it.archived {
		if err := c.Archive(t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if it.publishAt != nil {
		if err := c.SchedulePublication(it.publishAt, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.items.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func publishedAgo(d time.Duration) *time.Time { at := t0.Add(-d); return &at }

// libraryList is the answer of GET /api/v1/articles.
type libraryList struct {
	Items []struct {
		Slug           string                  `json:"slug"`
		Type           string                  `json:"type"`
		Summary        string                  `json:"summary"`
		Body           *string                 `json:"body_markdown"`
		HTML           *string                 `json:"html"`
		ReadingMinutes int                     `json:"reading_minutes"`
		PublishedAt    string                  `json:"published_at"`
		Topic          *struct{ Code string }  `json:"topic"`
		Tags           []struct{ Slug string } `json:"tags"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (l libraryList) slugs() []string {
	out := []string{}
	for _, it := range l.Items {
		out = append(out, it.Slug)
	}
	return out
}

func articlesPath(params map[string]string) string {
	v := url.Values{}
	for k, x := range params {
		v.Set(k, x)
	}
	if len(v) == 0 {
		return "/api/v1/articles"
	}
	return "/api/v1/articles?" + v.Encode()
}

// seedLibrary stores the library most tests read: four published items (the newest first: "pauza"
// without a topic, the video "son", the exercise "dykhanie", the article "trevozhnost"), a
// draft and an archived item that mention the same words.
func seedLibrary(t *testing.T, db *repository.DB) *library {
	t.Helper()
	l := newLibrary(t, db)
	l.add(t, libraryItem{topic: "anxiety", tags: []string{"breathing"}, published: publishedAgo(5 * time.Hour), fields: models.ContentFields{
		Slug: "trevozhnost", Title: "Когда всё время тревожно", Summary: "Что такое тревожность и что с ней делать.",
		BodyMarkdown: "## Тревожность\n\nПовышенная тревожность знакома многим."}})
	l.add(t, libraryItem{topic: "anxiety", tags: []string{"breathing", "cbt"}, published: publishedAgo(4 * time.Hour), fields: models.ContentFields{
		Type: models.ContentTypeExercise, Slug: "dykhanie", Title: "Дыхание 4-7-8", Summary: "Упражнение на пять минут.",
		BodyMarkdown: "# Дыхание & покой\n\n<script>alert(1)</script>\n\n<p onclick=\"steal()\">Нажми</p>\n\n" +
			"<a href=\"#\" onclick=\"steal()\">ссылка</a> и [ещё](javascript:alert(2)) **вдох** на четыре счёта."}})
	l.add(t, libraryItem{topic: "sleep", published: publishedAgo(3 * time.Hour), fields: models.ContentFields{
		Type: models.ContentTypeVideo, Slug: "son", Title: "Как уснуть", Summary: "Видео о сне.",
		VideoURL: libraryPtr("https://video.example/son"), CoverURL: libraryPtr("https://img.example/son.jpg"),
		SEOTitle: "Бессонница: как уснуть", SEODescription: "Пять привычек для сна.", ReadingMinutes: libraryPtr(7)}})
	l.add(t, libraryItem{published: publishedAgo(2 * time.Hour), fields: models.ContentFields{
		Slug: "pauza", Title: "Пауза", BodyMarkdown: "Остановитесь. " + strings.Repeat("Слово за словом. ", 150)}})
	l.add(t, libraryItem{topic: "anxiety", tags: []string{"breathing"}, fields: models.ContentFields{
		Slug: "chernovik", Title: "Черновик о тревожности", BodyMarkdown: "Тревожность."}})
	l.add(t, libraryItem{topic: "anxiety", tags: []string{"breathing"}, published: publishedAgo(time.Hour), archived: true, fields: models.ContentFields{
		Slug: "arkhiv", Title: "Архив о тревожности", BodyMarkdown: "Тревожность."}})
	return l
}

func libraryPtr[T any](v T) *T { return &v }

// TestPublicLibraryLists: the topics, the tags, and the published items by every filter, newest
// first, without bodies; drafts and archived items never appear, not even in a search.
func TestPublicLibraryLists(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		seedLibrary(t, db)
		s, _ := newServer(t, db, options{library: true})

		r := s.api.Do("GET", "/api/v1/topics", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `{"code":"anxiety","title":"Тема anxiety","description":"О теме anxiety"}`) {
			t.Errorf("topics = %d %s", r.Status, r.Body)
		}
		r = s.api.Do("GET", "/api/v1/tags", nil)
		if r.Status != http.StatusOK || string(r.Body) != `{"items":[{"slug":"breathing","title":"Метка breathing"},{"slug":"cbt","title":"Метка cbt"}]}` {
			t.Errorf("tags = %d %s", r.Status, r.Body)
		}

		// The Russian search stems on PostgreSQL; SQLite matches each word as a prefix.
		stem := "тревога"
		if db.Dialect == migrations.SQLite {
			stem = "тревож"
		}
		for _, tc := range []struct {
			name   string
			params map[string]string
			want   []string
		}{
			{"everything published, newest first", nil, []string{"pauza", "son", "dykhanie", "trevozhnost"}},
			{"a topic", map[string]string{"topic": "anxiety"}, []string{"dykhanie", "trevozhnost"}},
			{"a tag", map[string]string{"tag": "cbt"}, []string{"dykhanie"}},
			{"a type", map[string]string{"type": "video"}, []string{"son"}},
			{"all filters", map[string]string{"topic": "anxiety", "tag": "breathing", "type": "exercise"}, []string{"dykhanie"}},
			{"an unknown topic", map[string]string{"topic": "nope"}, []string{}},
			{"an unknown tag", map[string]string{"tag": "nope"}, []string{}},
			{"a search in Russian", map[string]string{"q": stem}, []string{"trevozhnost"}},
			{"a search in capitals", map[string]string{"q": "ТРЕВОЖНОСТЬ"}, []string{"trevozhnost"}},
			{"a search in the title and a filter", map[string]string{"q": "дыхание", "topic": "anxiety"}, []string{"dykhanie"}},
			{"a search within another topic", map[string]string{"q": stem, "topic": "sleep"}, []string{}},
			{"every word must match", map[string]string{"q": "дыхание тревожность"}, []string{}},
			{"a search in the summary", map[string]string{"q": "видео"}, []string{"son"}},
			{"a search of nothing", map[string]string{"q": "\"*()"}, []string{}},
			{"the limit", map[string]string{"limit": "2"}, []string{"pauza", "son"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.api.Do("GET", articlesPath(tc.params), nil)
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				var list libraryList
				r.JSON(t, &list)
				if got := list.slugs(); !slices.Equal(got, tc.want) {
					t.Errorf("slugs %v, want %v", got, tc.want)
				}
				for _, it := range list.Items {
					if it.Body != nil || it.HTML != nil {
						t.Errorf("%s: a list item carries its body", it.Slug)
					}
				}
			})
		}

		var list libraryList
		s.api.Do("GET", "/api/v1/articles", nil).JSON(t, &list)
		byslug := map[string]int{}
		for i, it := range list.Items {
			byslug[it.Slug] = i
		}
		son, pauza, dykhanie := list.Items[byslug["son"]], list.Items[byslug["pauza"]], list.Items[byslug["dykhanie"]]
		if son.ReadingMinutes != 7 || son.Topic == nil || son.Topic.Code != "sleep" || son.PublishedAt != publishedAgo(3*time.Hour).Format(time.RFC3339) {
			t.Errorf("son: %+v", son)
		}
		if pauza.ReadingMinutes != 3 || pauza.Topic != nil || len(pauza.Tags) != 0 {
			t.Errorf("pauza (451 words, no topic): %+v", pauza)
		}
		if len(dykhanie.Tags) != 2 || dykhanie.Tags[0].Slug != "breathing" || dykhanie.Summary != "Упражнение на пять минут." {
			t.Errorf("dykhanie: %+v", dykhanie)
		}
		if list.NextCursor != nil {
			t.Errorf("one page has a next cursor %q", *list.NextCursor)
		}
	})
}

// TestPublicLibraryStemming: on PostgreSQL "тревога" finds a text holding only "тревожность",
// and "страх" one holding only "страшно".
func TestPublicLibraryStemming(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "postgres")
	l := newLibrary(t, db)
	l.add(t, libraryItem{published: publishedAgo(time.Hour), fields: models.ContentFields{Slug: "a", BodyMarkdown: "Повышенная тревожность."}})
	l.add(t, libraryItem{published: publishedAgo(2 * time.Hour), fields: models.ContentFields{Slug: "b", BodyMarkdown: "Бывает страшно."}})
	l.add(t, libraryItem{published: publishedAgo(3 * time.Hour), fields: models.ContentFields{Slug: "c", BodyMarkdown: "Про сон."}})
	s, _ := newServer(t, db, options{library: true})
	for q, want := range map[string][]string{
		"тревога": {"a"}, "Тревоги": {"a"}, "страх": {"b"}, "тревога страх": {}, "сны": {}, "сон": {"c"}, "и": {},
	} {
		var list libraryList
		s.api.Do("GET", articlesPath(map[string]string{"q": q}), nil).JSON(t, &list)
		if got := list.slugs(); !slices.Equal(got, want) {
			t.Errorf("q=%s: %v, want %v", q, got, want)
		}
	}
}

// TestPublicLibraryArticle: one published item rendered and sanitised, with its SEO fields and
// related items; drafts, archived and unknown items are 404 alike.
func TestPublicLibraryArticle(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		seedLibrary(t, db)
		s, _ := newServer(t, db, options{library: true})
		type article struct {
			Slug, HTML, SEOTitle, SEODescription string
			ReadingMinutes                       int                     `json:"reading_minutes"`
			CoverURL                             *string                 `json:"cover_url"`
			VideoURL                             *string                 `json:"video_url"`
			Related                              []struct{ Slug string } `json:"related"`
		}
		get := func(t *testing.T, slug string) article {
			t.Helper()
			r := s.api.Do("GET", "/api/v1/articles/"+slug, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s = %d %s", slug, r.Status, r.Body)
			}
			var a article
			r.JSON(t, &a)
			var seo struct {
				SEOTitle       string `json:"seo_title"`
				SEODescription string `json:"seo_description"`
			}
			r.JSON(t, &seo)
			a.SEOTitle, a.SEODescription = seo.SEOTitle, seo.SEODescription
			return a
		}

		a := get(t, "dykhanie")
		for _, bad := range []string{"<script", "alert(1)", "onclick", "steal", "javascript:"} {
			if strings.Contains(a.HTML, bad) {
				t.Errorf("html holds %q: %s", bad, a.HTML)
			}
		}
		for _, good := range []string{`<h1 id="dykhanie-pokoi">Дыхание &amp; покой</h1>`, "<strong>вдох</strong>"} {
			if !strings.Contains(a.HTML, good) {
				t.Errorf("html lacks %q: %s", good, a.HTML)
			}
		}
		if a.SEOTitle != "Дыхание 4-7-8" || a.SEODescription != "Упражнение на пять минут." || a.ReadingMinutes != 1 {
			t.Errorf("dykhanie's SEO fall back to the title and the summary: %+v", a)
		}
		if len(a.Related) != 1 || a.Related[0].Slug != "trevozhnost" {
			t.Errorf("related of dykhanie: %+v, want the other published item of its topic", a.Related)
		}

		a = get(t, "son")
		if a.SEOTitle != "Бессонница: как уснуть" || a.SEODescription != "Пять привычек для сна." || a.ReadingMinutes != 7 ||
			a.VideoURL == nil || *a.VideoURL != "https://video.example/son" || a.CoverURL == nil || len(a.Related) != 0 {
			t.Errorf("son: %+v", a)
		}
		a = get(t, "pauza")
		if !strings.HasPrefix(a.SEODescription, "Остановитесь. Слово за словом.") || !strings.HasSuffix(a.SEODescription, "…") ||
			len([]rune(a.SEODescription)) > 160 || a.ReadingMinutes != 3 || len(a.Related) != 0 {
			t.Errorf("pauza (no summary, no topic): %q, %d minutes, related %v", a.SEODescription, a.ReadingMinutes, a.Related)
		}

		for _, path := range []string{"/api/v1/topics?x=%00", "/api/v1/tags?x=%ff", "/api/v1/articles/son?x=%00"} {
			if r := s.api.Do("GET", path, nil); r.Status != http.StatusUnprocessableEntity || r.Problem(t).Status != 422 {
				t.Errorf("%s = %d %s", path, r.Status, r.Body)
			}
		}
		for _, slug := range []string{"chernovik", "arkhiv", "nope", "%27%20OR%201=1", strings.Repeat("a", 1000), "%00", "%ff"} {
			if r := s.api.Do("GET", "/api/v1/articles/"+slug, nil); r.Status != http.StatusNotFound || r.Problem(t).Status != 404 {
				t.Errorf("%.20s = %d %s", slug, r.Status, r.Body)
			}
		}
	})
}

// TestPublicLibraryPages: cursor pages cover the library without duplicates or gaps, items
// published at the same moment included, with and without a search.
func TestPublicLibraryPages(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		l := newLibrary(t, db)
		var want []string
		for i := range 11 {
			at := publishedAgo(time.Duration(i/2) * time.Hour) // pairs published at the same moment
			body := "Бессонница бывает у всех."
			if i%3 == 0 {
				body = "Про другое."
			}
			l.add(t, libraryItem{published: at, fields: models.ContentFields{Slug: fmt.Sprintf("item-%02d", i), BodyMarkdown: body}})
		}
		s, _ := newServer(t, db, options{library: true})
		var all libraryList
		s.api.Do("GET", articlesPath(map[string]string{"limit": "50"}), nil).JSON(t, &all)
		want = all.slugs()
		if len(want) != 11 {
			t.Fatalf("all items: %v", want)
		}
		for _, q := range []string{"", "бессонница"} {
			t.Run("q="+q, func(t *testing.T) {
				var expect []string
				for _, slug := range want {
					var n int
					fmt.Sscanf(slug, "item-%d", &n)
					if q == "" || n%3 != 0 {
						expect = append(expect, slug)
					}
				}
				var got []string
				params := map[string]string{"limit": "3", "q": q}
				for pages := 0; ; pages++ {
					if pages > 5 {
						t.Fatalf("more pages than items: %v", got)
					}
					var page libraryList
					r := s.api.Do("GET", articlesPath(params), nil)
					if r.Status != http.StatusOK {
						t.Fatalf("%d %s", r.Status, r.Body)
					}
					r.JSON(t, &page)
					got = append(got, page.slugs()...)
					if page.NextCursor == nil {
						break
					}
					if len(page.Items) != 3 {
						t.Errorf("a page before the last holds %d items", len(page.Items))
					}
					params["cursor"] = *page.NextCursor
				}
				if !slices.Equal(got, expect) {
					t.Errorf("pages gave %v, want %v", got, expect)
				}
			})
		}
	})
}

// TestPublicLibraryHostileQueries: whatever the query holds, the answer is a 200 or a 4xx naming
// the field, never a 500.
func TestPublicLibraryHostileQueries(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		seedLibrary(t, db)
		s, _ := newServer(t, db, options{library: true})
		cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for _, tc := range []struct {
			raw    string // the query string, already encoded
			status int
			field  string
		}{
			{"q=" + url.QueryEscape(`"тревож`), 200, ""},
			{"q=" + url.QueryEscape(`тре*`), 200, ""},
			{"q=" + url.QueryEscape(`*`), 200, ""},
			{"q=" + url.QueryEscape(`NEAR(a b, 2)`), 200, ""},
			{"q=" + url.QueryEscape(`a OR b AND NOT c`), 200, ""},
			{"q=" + url.QueryEscape(`title:тревожность`), 200, ""},
			{"q=" + url.QueryEscape(`^тревожность -сон !x & | <-> :*`), 200, ""},
			{"q=" + url.QueryEscape(`'; DROP TABLE content_items; --`), 200, ""},
			{"q=" + url.QueryEscape(`\ \\ '' "" ((( )))`), 200, ""},
			{"q=" + url.QueryEscape("\x01\x02\t\n\x7f тревожность \u200b 😀"), 200, ""},
			{"q=" + url.QueryEscape(strings.Repeat("тревожность ", 16)), 200, ""},
			{"q=" + url.QueryEscape(strings.Repeat("ы", 200)), 200, ""},
			{"q=" + url.QueryEscape(strings.Repeat("ы", 1000)), 422, "q"},
			{"q=%00", 422, "q"},
			{"q=%ff", 422, "q"},
			{"topic=" + url.QueryEscape(`' OR 1=1 --`) + "&tag=" + url.QueryEscape(strings.Repeat("x", 1000)), 200, ""},
			{"type=podcast", 422, "type"},
			{"type=", 200, ""},
			{"limit=0", 422, "limit"},
			{"limit=51", 422, "limit"},
			{"limit=-1", 422, "limit"},
			{"limit=1e3", 422, "limit"},
			{"limit=99999999999999999999999", 422, "limit"},
			{"limit=%2B5", 422, "limit"},
			{"cursor=garbage", 422, "cursor"},
			{"cursor=" + cursor("2026-01-01T00:00:00Z/not-an-id"), 422, "cursor"},
			{"cursor=" + cursor("yesterday/0190f5a0-0000-7000-8000-000000000000"), 422, "cursor"},
			{"cursor=" + cursor("0001-01-01T00:00:00Z/0190f5a0-0000-7000-8000-000000000000"), 200, ""},
			{"cursor=" + cursor("9999-12-31T23:59:59.999999999+14:00/ffffffff-ffff-ffff-ffff-ffffffffffff"), 200, ""},
			{"cursor=" + url.QueryEscape(strings.Repeat("A", 5000)), 422, "cursor"},
		} {
			r := s.api.Do("GET", "/api/v1/articles?"+tc.raw, nil)
			if r.Status != tc.status {
				t.Errorf("%.60s = %d %s", tc.raw, r.Status, r.Body)
				continue
			}
			if tc.field != "" {
				if p := r.Problem(t); len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
					t.Errorf("%.60s: problem %s, want it to name %s", tc.raw, r.Body, tc.field)
				}
			}
		}
	})
}

// TestPublicLibraryCaching: library answers carry a strong ETag and a public one-minute
// Cache-Control; If-None-Match with the current ETag answers 304 without a body, and a change
// of the library changes the ETag.
func TestPublicLibraryCaching(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		l := seedLibrary(t, db)
		s, _ := newServer(t, db, options{library: true})
		for _, path := range []string{"/api/v1/topics", "/api/v1/tags", "/api/v1/articles?topic=anxiety", "/api/v1/articles/son"} {
			r := s.api.Do("GET", path, nil)
			etag := r.Header.Get("ETag")
			if r.Status != http.StatusOK || !strings.HasPrefix(etag, `"`) || r.Header.Get("Cache-Control") != "public, max-age=60" {
				t.Fatalf("%s: %d, ETag %q, Cache-Control %q", path, r.Status, etag, r.Header.Get("Cache-Control"))
			}
			for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag, "*"} {
				r2 := s.api.Do("GET", path, nil, http.Header{"If-None-Match": {inm}})
				if r2.Status != http.StatusNotModified || len(r2.Body) != 0 || r2.Header.Get("ETag") != etag {
					t.Errorf("%s with If-None-Match %s: %d %q", path, inm, r2.Status, r2.Body)
				}
			}
			if r2 := s.api.Do("GET", path, nil, http.Header{"If-None-Match": {`"stale"`}}); r2.Status != http.StatusOK || r2.Header.Get("ETag") != etag {
				t.Errorf("%s with another ETag: %d", path, r2.Status)
			}
			if r2 := s.api.Do("HEAD", path, nil, http.Header{"If-None-Match": {etag}}); r2.Status != http.StatusNotModified {
				t.Errorf("HEAD %s with its ETag: %d", path, r2.Status)
			}
		}
		r := s.api.Do("GET", "/api/v1/articles?topic=anxiety", nil)
		etag := r.Header.Get("ETag")
		l.add(t, libraryItem{topic: "anxiety", published: publishedAgo(time.Minute), fields: models.ContentFields{Slug: "novoe"}})
		if r := s.api.Do("GET", "/api/v1/articles?topic=anxiety", nil, http.Header{"If-None-Match": {etag}}); r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
			t.Errorf("after a publication: %d, ETag %s (was %s)", r.Status, r.Header.Get("ETag"), etag)
		}
		if r := s.api.Do("GET", "/api/v1/articles?type=podcast", nil); r.Header.Get("ETag") != "" || r.Header.Get("Cache-Control") == "public, max-age=60" {
			t.Errorf("a problem is cached: %v", r.Header)
		}
	})
}

// TestPublicLibraryScheduledPublication: a draft scheduled for publication is not in the library
// until its time; once the clock passes it and the periodic job runs, it is — nothing restarted.
func TestPublicLibraryScheduledPublication(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		l := seedLibrary(t, db)
		s, _ := newServer(t, db, options{library: true})
		at := t0.Add(10 * time.Minute)
		l.add(t, libraryItem{topic: "sleep", publishAt: &at, fields: models.ContentFields{
			Slug: "zavtra", Title: "Статья на завтра", BodyMarkdown: "Про бессонницу."}})
		job := content.NewScheduler(db, s.clock, testkit.Logger(t))
		visible := func() (inList, page bool) {
			var list libraryList
			s.api.Do("GET", "/api/v1/articles?topic=sleep", nil).JSON(t, &list)
			return slices.Contains(list.slugs(), "zavtra"), s.api.Do("GET", "/api/v1/articles/zavtra", nil).Status == http.StatusOK
		}
		for _, step := range []struct {
			advance time.Duration
			want    bool
		}{{0, false}, {9 * time.Minute, false}, {time.Minute, true}} {
			s.clock.Advance(step.advance)
			if _, err := job.PublishDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			if inList, page := visible(); inList != step.want || page != step.want {
				t.Errorf("at %s: listed %v, page %v; want %v", s.clock.Now().Format(time.TimeOnly), inList, page, step.want)
			}
		}
		var list libraryList
		s.api.Do("GET", "/api/v1/articles?topic=sleep", nil).JSON(t, &list)
		if got := list.slugs(); !slices.Equal(got, []string{"zavtra", "son"}) || list.Items[0].PublishedAt != at.Format(time.RFC3339) {
			t.Errorf("the sleep topic: %v (%+v)", got, list.Items)
		}
	})
}
