package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// demoCodeRE finds the sign-in code in the demo's log, where the log mailer writes the email.
var demoCodeRE = regexp.MustCompile(`Код для входа: (\d{6})`)

// TestDemoSiteWalkthrough follows README's steps 8 to 12 against the demo command: the seeded
// library found by a Russian word, the anxiety self-check scored, the answered question, a contact
// form that emails the owner, and a client signing in with the code the log mailer shows; then a
// second start seeds nothing twice.
func TestDemoSiteWalkthrough(t *testing.T) {
	t.Setenv("BALANCE_LOG_LEVEL", "info")
	t.Setenv("BALANCE_LOG_FORMAT", "json")
	t.Setenv("BALANCE_ENCRYPTION_KEYS", "")
	t.Setenv("BALANCE_JOBS_POLL_INTERVAL", "50ms")
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "demo.db")
	d := startDemo(t, dbURL)
	for _, want := range []string{"/api/v1/articles", "/api/v1/tools/trevoga-samoproverka/runs", "/api/v1/auth/code", "/api/v1/me/diary", "/api/docs"} {
		if !strings.Contains(d.out.String(), d.base+want) {
			t.Errorf("the printed walk-through lacks %s", want)
		}
	}

	// 8. The library.
	var list struct {
		Items []struct {
			Slug string `json:"slug"`
		} `json:"items"`
	}
	if code := d.call(t, http.MethodGet, "/api/v1/articles?q="+url.QueryEscape("тревожность"), nil, &list); code != http.StatusOK ||
		len(list.Items) != 1 || list.Items[0].Slug != demoArticleSlug {
		t.Errorf("search: %d %+v", code, list)
	}
	var article struct {
		HTML    string `json:"html"`
		Related []struct {
			Slug string `json:"slug"`
		} `json:"related"`
	}
	if code := d.call(t, http.MethodGet, "/api/v1/articles/"+demoArticleSlug, nil, &article); code != http.StatusOK ||
		!strings.Contains(article.HTML, `<h2 id="`) || len(article.Related) != 1 || article.Related[0].Slug != demoArticle2Slug {
		t.Errorf("article: %d %+v", code, article)
	}

	// 9. The self-check: moderate anxiety, no crisis; the crisis answer brings helplines.
	type run struct {
		RunID    string `json:"run_id"`
		RunToken string `json:"run_token"`
		Result   *struct {
			Level           string   `json:"level"`
			Recommendations []string `json:"recommendations"`
			Crisis          *struct {
				Helplines []struct {
					Phone string `json:"phone"`
				} `json:"helplines"`
			} `json:"crisis"`
		} `json:"result"`
	}
	for _, tc := range []struct {
		harm, level string
		crisis      bool
	}{{"harm-no", "moderate", false}, {"harm-yes", "moderate", true}} {
		var started, done run
		if code := d.call(t, http.MethodPost, "/api/v1/tools/"+demoToolSlug+"/runs", map[string]any{}, &started); code != http.StatusCreated || started.RunToken == "" {
			t.Fatalf("start a run: %d %+v", code, started)
		}
		answers := map[string]any{"answers": map[string]string{
			"nervous": "nervous-2", "worry": "worry-1", "relax": "relax-2", "sleep": "sleep-1", "harm": tc.harm,
		}}
		code := d.call(t, http.MethodPost, "/api/v1/tools/runs/"+started.RunID+"/answers", answers, &done, "X-Run-Token", started.RunToken)
		if code != http.StatusOK || done.Result == nil || done.Result.Level != tc.level || len(done.Result.Recommendations) != 1 ||
			(done.Result.Crisis != nil) != tc.crisis {
			t.Errorf("%s: %d %+v", tc.harm, code, done.Result)
		}
	}

	// 10. The answered question.
	var answers struct {
		Items []struct {
			Question string `json:"question"`
			Answers  []any  `json:"answers"`
		} `json:"items"`
	}
	if code := d.call(t, http.MethodGet, "/api/v1/answers", nil, &answers); code != http.StatusOK || len(answers.Items) != 1 ||
		answers.Items[0].Question != demoQuestion.public || len(answers.Items[0].Answers) != 1 {
		t.Errorf("answers: %d %+v", code, answers)
	}

	// 11. A contact form: the owner's email is written to the log.
	consents := []map[string]string{{"type": "personal_data", "version": "2026-01"}}
	if code := d.call(t, http.MethodPost, "/api/v1/leads", map[string]any{
		"name": "Мария", "email": "maria@example.com", "source": "contact_form", "consents": consents,
	}, nil); code != http.StatusCreated {
		t.Errorf("lead: %d", code)
	}
	d.waitForLog(t, regexp.MustCompile(`Новая заявка с сайта: Мария`), time.Now().Add(30*time.Second))

	// 12. Sign in as a client with the code from the log.
	if code := d.call(t, http.MethodPost, "/api/v1/auth/code", map[string]string{"email": "maria@example.com"}, nil); code != http.StatusAccepted {
		t.Fatalf("code: %d", code)
	}
	d.waitForLog(t, demoCodeRE, time.Now().Add(30*time.Second))
	code := demoCodeRE.FindStringSubmatch(d.logs.String())[1]
	var session struct {
		Token string `json:"token"`
	}
	if status := d.call(t, http.MethodPost, "/api/v1/auth/verify", map[string]string{"email": "maria@example.com", "code": code, "session": "token"}, &session); status != http.StatusOK || session.Token == "" {
		t.Fatalf("verify: %d", status)
	}
	var me struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	if status := d.call(t, http.MethodGet, "/api/v1/me", nil, &me, "Authorization", "Bearer "+session.Token); status != http.StatusOK ||
		me.Email != "maria@example.com" || me.Name != "Мария" {
		t.Errorf("me: %d %+v", status, me)
	}
	// 13. The cabinet: a diary entry written and read back, a data export whose link is emailed.
	auth := []string{"Authorization", "Bearer " + session.Token}
	today := time.Now().UTC().Format(time.DateOnly)
	if status := d.call(t, http.MethodPost, "/api/v1/me/diary", map[string]any{
		"date": today, "body": "Спокойный день", "mood": 7, "tags": []string{"сон"},
	}, nil, auth...); status != http.StatusCreated {
		t.Errorf("diary entry: %d", status)
	}
	var diary struct {
		Items []struct {
			Body string `json:"body"`
			Mood *int   `json:"mood"`
		} `json:"items"`
	}
	if status := d.call(t, http.MethodGet, "/api/v1/me/diary", nil, &diary, auth...); status != http.StatusOK ||
		len(diary.Items) != 1 || diary.Items[0].Body != "Спокойный день" || diary.Items[0].Mood == nil || *diary.Items[0].Mood != 7 {
		t.Errorf("diary: %d %+v", status, diary)
	}
	if status := d.call(t, http.MethodPost, "/api/v1/me/export", nil, nil, auth...); status != http.StatusAccepted {
		t.Errorf("export: %d", status)
	}
	d.waitForLog(t, regexp.MustCompile(`/api/v1/me/export/download\?token=`), time.Now().Add(30*time.Second))
	if status := d.call(t, http.MethodGet, "/api/docs", nil, nil); status != http.StatusOK {
		t.Errorf("/api/docs: %d", status)
	}
	d.stop(t)

	d = startDemo(t, dbURL)
	if !strings.Contains(d.logs.String(), `"msg":"demo site content already present, left as it is"`) {
		t.Error("the second start did not say the site content was already there")
	}
	if code := d.call(t, http.MethodGet, "/api/v1/articles", nil, &list); code != http.StatusOK || len(list.Items) != 2 {
		t.Errorf("articles after a second start: %d %+v", code, list)
	}
	d.stop(t)
}
