package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/admin"
	"balance/service/diary"
)

type diaryEntryResp struct {
	ID        string   `json:"id"`
	Date      string   `json:"date"`
	Body      string   `json:"body"`
	Mood      *int     `json:"mood"`
	Tags      []string `json:"tags"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

type diaryPageResp struct {
	Items      []diaryEntryResp `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

// newDiaryEnv is the cabinet with the diary over the test's database and clock.
func newDiaryEnv(t *testing.T, db *repository.DB, extra ...func(*options)) (*cabinetEnv, *testkit.Clock) {
	t.Helper()
	clock := testkit.NewClock(t0)
	extra = append(extra, func(o *options) { o.diary = diary.New(repository.NewDiaryEntries(db), clock) })
	return newCabinetEnv(t, db, extra...), clock
}

func diaryWrite(t *testing.T, api *testkit.API, h http.Header, date, body string, mood any, tags ...string) diaryEntryResp {
	t.Helper()
	req := map[string]any{"date": date, "body": body, "tags": tags}
	if mood != nil {
		req["mood"] = mood
	}
	r := api.Do("POST", "/api/v1/me/diary", req, h)
	if r.Status != http.StatusCreated {
		t.Fatalf("write %s = %d %s", date, r.Status, r.Body)
	}
	var out diaryEntryResp
	r.JSON(t, &out)
	if loc := r.Header.Get("Location"); loc != "/api/v1/me/diary/"+out.ID {
		t.Errorf("Location %q", loc)
	}
	return out
}

func diaryList(t *testing.T, api *testkit.API, h http.Header, query string) diaryPageResp {
	t.Helper()
	r := api.Do("GET", "/api/v1/me/diary"+query, nil, h)
	if r.Status != http.StatusOK {
		t.Fatalf("list %s = %d %s", query, r.Status, r.Body)
	}
	var out diaryPageResp
	r.JSON(t, &out)
	return out
}

func diaryBodies(p diaryPageResp) string {
	var b []string
	for _, e := range p.Items {
		b = append(b, e.Body)
	}
	return strings.Join(b, ",")
}

// TestCabinetDiary: a client writes, lists (by period, tag and cursor), reads, edits and deletes
// their own entries; the body is stored only as a Fernet token; the mood trend averages per day
// and week.
func TestCabinetDiary(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e, clock := newDiaryEnv(t, db)
		api := e.s.api
		a := bearer(e.signIn(t, api, "anna@example.org", "token").Token)

		first := diaryWrite(t, api, a, "2026-11-20", "Плохо спала, тревожно", 3, "сон", "Тревога")
		if first.Date != "2026-11-20" || first.Mood == nil || *first.Mood != 3 || len(first.Tags) != 2 || first.Body != "Плохо спала, тревожно" {
			t.Fatalf("written %+v", first)
		}
		diaryWrite(t, api, a, "2026-11-20", "вечер", 5, " тревога ", "ТРЕВОГА")
		diaryWrite(t, api, a, "2026-11-23", "понедельник", 8)
		diaryWrite(t, api, a, "2026-11-24", "без оценки", nil, "сон")
		diaryWrite(t, api, a, "2026-11-25", "сегодня", 9, "радость")

		// The stored body is a Fernet token that decrypts to the text; no column holds the text.
		var raw, rawTags string
		if err := db.Gorm.Raw("SELECT body, tags FROM diary_entries WHERE id = ?", first.ID).Row().Scan(&raw, &rawTags); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, "gAAAAA") || strings.Contains(raw, "тревожно") || !strings.HasPrefix(rawTags, "gAAAAA") {
			t.Fatalf("body stored as %q, tags as %q", raw, rawTags)
		}
		plain, err := testkit.KeyRing(t, testkit.Key(t)).DecryptString(raw)
		if err != nil || plain != "Плохо спала, тревожно" {
			t.Fatalf("stored body decrypts to %q (%v)", plain, err)
		}
		// Newest first: by day, then by creation.
		all := diaryList(t, api, a, "")
		if got := diaryBodies(all); got != "сегодня,без оценки,понедельник,вечер,Плохо спала, тревожно" || all.NextCursor != nil {
			t.Fatalf("list = %s (next %v)", got, all.NextCursor)
		}
		if tags := all.Items[3].Tags; len(tags) != 1 || tags[0] != "тревога" {
			t.Errorf("tags trimmed and deduplicated = %q", tags)
		}
		// Pages by cursor.
		var pages []string
		next := ""
		for range 5 {
			q := "?limit=2"
			if next != "" {
				q += "&cursor=" + next
			}
			p := diaryList(t, api, a, q)
			pages = append(pages, diaryBodies(p))
			if p.NextCursor == nil {
				break
			}
			next = *p.NextCursor
		}
		if got := strings.Join(pages, "|"); got != "сегодня,без оценки|понедельник,вечер|Плохо спала, тревожно" {
			t.Errorf("pages = %s", got)
		}
		// Period and tag.
		if got := diaryBodies(diaryList(t, api, a, "?from=2026-11-21&to=2026-11-24")); got != "без оценки,понедельник" {
			t.Errorf("period = %s", got)
		}
		if got := diaryBodies(diaryList(t, api, a, "?tag=%D0%A2%D0%A0%D0%95%D0%92%D0%9E%D0%93%D0%90")); got != "вечер,Плохо спала, тревожно" {
			t.Errorf("tag тревога = %s", got)
		}
		p := diaryList(t, api, a, "?tag=%D1%81%D0%BE%D0%BD&limit=1")
		if diaryBodies(p) != "без оценки" || p.NextCursor == nil {
			t.Fatalf("tag сон page 1 = %s", diaryBodies(p))
		}
		if p := diaryList(t, api, a, "?tag=%D1%81%D0%BE%D0%BD&limit=1&cursor="+*p.NextCursor); diaryBodies(p) != "Плохо спала, тревожно" || p.NextCursor != nil {
			t.Errorf("tag сон page 2 = %s", diaryBodies(p))
		}

		// Read, edit, delete.
		r := api.Do("GET", "/api/v1/me/diary/"+first.ID, nil, a)
		var got diaryEntryResp
		r.JSON(t, &got)
		if r.Status != http.StatusOK || got.Body != first.Body || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("read = %d %s", r.Status, r.Body)
		}
		clock.Advance(time.Hour)
		r = api.Do("PUT", "/api/v1/me/diary/"+first.ID, map[string]any{"date": "2026-11-21", "body": "переписала", "mood": 4}, a)
		r.JSON(t, &got)
		if r.Status != http.StatusOK || got.Body != "переписала" || got.Date != "2026-11-21" || *got.Mood != 4 || len(got.Tags) != 0 || got.CreatedAt != first.CreatedAt || got.UpdatedAt == first.UpdatedAt {
			t.Fatalf("edit = %d %s", r.Status, r.Body)
		}
		if r := api.Do("DELETE", "/api/v1/me/diary/"+first.ID, nil, a); r.Status != http.StatusNoContent {
			t.Fatalf("delete = %d %s", r.Status, r.Body)
		}
		if r := api.Do("GET", "/api/v1/me/diary/"+first.ID, nil, a); r.Status != http.StatusNotFound {
			t.Errorf("read deleted = %d", r.Status)
		}
		if r := api.Do("DELETE", "/api/v1/me/diary/"+first.ID, nil, a); r.Status != http.StatusNotFound {
			t.Errorf("delete again = %d", r.Status)
		}

		// Mood trend: 20th (5), 23rd (8), 25th (9); the entry without mood is not counted.
		type trend struct {
			From, To, Bucket string
			Buckets          []struct {
				Start       string  `json:"start"`
				AverageMood float64 `json:"average_mood"`
				Entries     int     `json:"entries"`
			}
		}
		diaryWrite(t, api, a, "2026-11-23", "ещё", 5)
		var tr trend
		r = api.Do("GET", "/api/v1/me/diary/mood?from=2026-11-16&to=2026-11-25", nil, a)
		r.JSON(t, &tr)
		if r.Status != http.StatusOK || fmt.Sprint(tr.Buckets) != "[{2026-11-20 5 1} {2026-11-23 6.5 2} {2026-11-25 9 1}]" || tr.Bucket != "day" {
			t.Fatalf("day trend = %d %s", r.Status, r.Body)
		}
		r = api.Do("GET", "/api/v1/me/diary/mood?bucket=week", nil, a)
		r.JSON(t, &tr)
		// Week of Monday 16th: 5; week of Monday 23rd: 8, 5, 9 → 7.33. Default: 12 weeks up to today.
		if r.Status != http.StatusOK || fmt.Sprint(tr.Buckets) != "[{2026-11-16 5 1} {2026-11-23 7.33 3}]" || tr.To != "2026-11-25" || tr.From != "2026-09-07" {
			t.Fatalf("week trend = %d %s", r.Status, r.Body)
		}
	})
}

// TestCabinetDiaryIsPrivate: client B never reads, edits, deletes or learns of A's entries (404,
// as an unknown id); lists and trends are each client's own.
func TestCabinetDiaryIsPrivate(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e, _ := newDiaryEnv(t, db)
		api := e.s.api
		a := bearer(e.signIn(t, api, "anna@example.org", "token").Token)
		b := bearer(e.signIn(t, api, "boris@example.org", "token").Token)
		mine := diaryWrite(t, api, a, "2026-11-24", "секрет Анны", 2, "личное")

		for _, c := range []struct {
			method string
			body   any
		}{
			{"GET", nil},
			{"PUT", map[string]any{"date": "2026-11-24", "body": "чужое"}},
			{"DELETE", nil},
		} {
			r := api.Do(c.method, "/api/v1/me/diary/"+mine.ID, c.body, b)
			if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "секрет") {
				t.Errorf("B %s A's entry = %d %s", c.method, r.Status, r.Body)
			}
		}
		if p := diaryList(t, api, b, "?tag=%D0%BB%D0%B8%D1%87%D0%BD%D0%BE%D0%B5"); len(p.Items) != 0 {
			t.Errorf("B lists %+v", p.Items)
		}
		if p := diaryList(t, api, b, ""); len(p.Items) != 0 {
			t.Errorf("B lists %+v", p.Items)
		}
		r := api.Do("GET", "/api/v1/me/diary/mood?from=2026-11-01&to=2026-11-30", nil, b)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"buckets":[]`) {
			t.Errorf("B's trend = %s", r.Body)
		}
		// A's entry is untouched.
		r = api.Do("GET", "/api/v1/me/diary/"+mine.ID, nil, a)
		var got diaryEntryResp
		r.JSON(t, &got)
		if r.Status != http.StatusOK || got.Body != "секрет Анны" {
			t.Errorf("A reads %d %s", r.Status, r.Body)
		}
		if r := api.Do("GET", "/api/v1/me/diary", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("anonymous list = %d", r.Status)
		}
	})
}

// TestCabinetDiaryBadInput: malformed fields and queries answer 422 naming the field, never 500;
// a cookie session without its CSRF token cannot write.
func TestCabinetDiaryBadInput(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e, _ := newDiaryEnv(t, db)
		api := e.s.api
		a := bearer(e.signIn(t, api, "anna@example.org", "token").Token)
		id := diaryWrite(t, api, a, "2026-11-24", "текст", 5).ID

		tooManyTags := make([]string, 21)
		for i := range tooManyTags {
			tooManyTags[i] = fmt.Sprintf("t%d", i)
		}
		bodies := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"bad date", map[string]any{"date": "24.11.2026", "body": "x"}, "date"},
			{"impossible date", map[string]any{"date": "2026-02-30", "body": "x"}, "date"},
			{"future date", map[string]any{"date": "2026-12-25", "body": "x"}, "date"},
			{"ancient date", map[string]any{"date": "0001-01-01", "body": "x"}, "date"},
			{"no date", map[string]any{"body": "x"}, "date"},
			{"no body", map[string]any{"date": "2026-11-24"}, "body"},
			{"blank body", map[string]any{"date": "2026-11-24", "body": " \n\t"}, "body"},
			{"huge body", map[string]any{"date": "2026-11-24", "body": strings.Repeat("я", 20001)}, "body"},
			{"mood too high", map[string]any{"date": "2026-11-24", "body": "x", "mood": 11}, "mood"},
			{"mood zero", map[string]any{"date": "2026-11-24", "body": "x", "mood": 0}, "mood"},
			{"mood not a number", map[string]any{"date": "2026-11-24", "body": "x", "mood": "good"}, "mood"},
			{"mood fraction", map[string]any{"date": "2026-11-24", "body": "x", "mood": 5.5}, "mood"},
			{"too many tags", map[string]any{"date": "2026-11-24", "body": "x", "tags": tooManyTags}, "tags"},
			{"long tag", map[string]any{"date": "2026-11-24", "body": "x", "tags": []string{strings.Repeat("т", 41)}}, "tags[0]"},
			{"empty tag", map[string]any{"date": "2026-11-24", "body": "x", "tags": []string{" "}}, "tags[0]"},
			{"unknown field", map[string]any{"date": "2026-11-24", "body": "x", "user_id": "x"}, "user_id"},
		}
		for _, c := range bodies {
			for _, w := range []struct{ method, path string }{{"POST", "/api/v1/me/diary"}, {"PUT", "/api/v1/me/diary/" + id}} {
				r := api.Do(w.method, w.path, c.body, a)
				if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
					t.Errorf("%s %s = %d %s, want 422 on %s", c.name, w.method, r.Status, r.Body, c.field)
				}
			}
		}
		queries := []struct{ path, field string }{
			{"/api/v1/me/diary?from=yesterday", "from"},
			{"/api/v1/me/diary?to=2026-13-01", "to"},
			{"/api/v1/me/diary?from=2026-11-25&to=2026-11-01", "to"},
			{"/api/v1/me/diary?cursor=not-a-cursor", "cursor"},
			{"/api/v1/me/diary?cursor=eyJkIjoieCJ9", "cursor"},
			{"/api/v1/me/diary?limit=0", "limit"},
			{"/api/v1/me/diary?limit=101", "limit"},
			{"/api/v1/me/diary?limit=x", "limit"},
			{"/api/v1/me/diary?tag=" + strings.Repeat("a", 41), "tag"},
			{"/api/v1/me/diary/mood?bucket=month", "bucket"},
			{"/api/v1/me/diary/mood?from=2026-11-25&to=2026-11-01", "to"},
			{"/api/v1/me/diary/mood?from=2020-01-01&to=2026-11-01", "from"},
			{"/api/v1/me/diary/mood?from=2010-01-01&to=2026-11-01&bucket=week", "from"},
			{"/api/v1/me/diary/mood?from=2026-12-01", "from"},
			{"/api/v1/me/diary/mood?to=1.1.2026", "to"},
		}
		for _, q := range queries {
			r := api.Do("GET", q.path, nil, a)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"`+q.field+`"`) {
				t.Errorf("GET %s = %d %s, want 422 on %s", q.path, r.Status, r.Body, q.field)
			}
		}
		for _, path := range []string{"/api/v1/me/diary/not-a-uuid", "/api/v1/me/diary/01900000-0000-7000-8000-000000000000"} {
			if r := api.Do("GET", path, nil, a); r.Status != http.StatusNotFound {
				t.Errorf("GET %s = %d", path, r.Status)
			}
		}
		if r := api.Do("POST", "/api/v1/me/diary", `{"date":`, a); r.Status != http.StatusBadRequest {
			t.Errorf("malformed JSON = %d", r.Status)
		}

		// A cookie session must send its CSRF token on writes.
		cookie := e.signIn(t, api, "cookie@example.org", "cookie")
		entry := map[string]any{"date": "2026-11-24", "body": "из браузера"}
		if r := api.Do("POST", "/api/v1/me/diary", entry); r.Status != http.StatusForbidden {
			t.Fatalf("cookie POST without CSRF = %d %s", r.Status, r.Body)
		}
		csrf := http.Header{"X-CSRF-Token": {cookie.CSRFToken}}
		r := api.Do("POST", "/api/v1/me/diary", entry, csrf)
		var mine diaryEntryResp
		r.JSON(t, &mine)
		if r.Status != http.StatusCreated {
			t.Fatalf("cookie POST with CSRF = %d %s", r.Status, r.Body)
		}
		if r := api.Do("PUT", "/api/v1/me/diary/"+mine.ID, entry); r.Status != http.StatusForbidden {
			t.Errorf("cookie PUT without CSRF = %d", r.Status)
		}
		if r := api.Do("DELETE", "/api/v1/me/diary/"+mine.ID, nil); r.Status != http.StatusForbidden {
			t.Errorf("cookie DELETE without CSRF = %d", r.Status)
		}
		if r := api.Do("GET", "/api/v1/me/diary/"+mine.ID, nil); r.Status != http.StatusOK {
			t.Errorf("cookie GET = %d", r.Status)
		}
		if r := api.Do("DELETE", "/api/v1/me/diary/"+mine.ID, nil, csrf); r.Status != http.StatusNoContent {
			t.Errorf("cookie DELETE with CSRF = %d", r.Status)
		}
	})
}

// TestCabinetDiaryNotForStaff: the admin panel has no diary resource; even the owner cannot list
// or read entries there.
func TestCabinetDiaryNotForStaff(t *testing.T) {
	for _, res := range admin.Resources() {
		if strings.Contains(res.Name, "diary") {
			t.Errorf("admin resource %s exposes the diary", res.Name)
		}
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e, _ := newDiaryEnv(t, db, func(o *options) { o.adminResources = true })
		client := bearer(e.signIn(t, e.s.api, "anna@example.org", "token").Token)
		entry := diaryWrite(t, e.s.api, client, "2026-11-24", "только моё", 4)

		e.s.staff(t, "owner@balance.example", models.RoleOwner)
		if r := login(t, e.s, "owner@balance.example"); r.Status != http.StatusOK {
			t.Fatalf("owner login = %d %s", r.Status, r.Body)
		}
		r := e.s.api.Do("GET", "/admin/api/schema", nil)
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), "diary") {
			t.Errorf("owner's schema = %d, mentions the diary: %v", r.Status, strings.Contains(string(r.Body), "diary"))
		}
		for _, path := range []string{"/admin/api/diary_entries", "/admin/api/diary_entries/" + entry.ID} {
			if r := e.s.api.Do("GET", path, nil); r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "только") {
				t.Errorf("owner GET %s = %d %s", path, r.Status, r.Body)
			}
		}
	})
}
