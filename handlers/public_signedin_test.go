package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/interactive"
)

// TestSignedInClientAcrossTheSite: a client signed in on the site's front end — another origin,
// listed in http.cors_origins — can ask for a code and verify it although the browser marks the
// requests cross-site (a foreign site cannot), and a self-help run they start is theirs, while an
// anonymous one, a dead token, or a cookie session without its CSRF token start anonymous runs.
func TestSignedInClientAcrossTheSite(t *testing.T) {
	const site = "https://site.example"
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		tools := &toolsEnv{db: db, clock: testkit.NewClock(toolsNow), defs: repository.NewInteractiveDefinitions(db)}
		tools.define(t, "anxiety-check", models.InteractiveTypeQuiz, "publish")
		e := newCabinetEnv(t, db, func(o *options) {
			o.tools = interactive.NewFromDB(db, tools.clock, interactive.Config{AbandonAfter: 24 * time.Hour}, testkit.Logger(t))
			o.corsOrigins = []string{site}
		})
		api := e.s.api

		for _, tc := range []struct {
			origin string
			want   int
		}{{site, http.StatusAccepted}, {"https://evil.example", http.StatusForbidden}} {
			h := http.Header{"Origin": {tc.origin}, "Sec-Fetch-Site": {"cross-site"}}
			r := api.Do("POST", "/api/v1/auth/code", map[string]string{"email": "anna@example.org"}, h)
			if r.Status != tc.want {
				t.Errorf("code asked cross-site from %s = %d %s; want %d", tc.origin, r.Status, r.Body, tc.want)
			}
		}
		e.runCodeJobs(t) // the code asked from the site, sent

		sess := e.signIn(t, api, "anna@example.org", "token")
		cookie := e.signIn(t, api, "anna@example.org", "cookie")
		userOf := func(runID string) *uuid.UUID {
			t.Helper()
			run, err := repository.NewInteractiveRuns(db).ByID(context.Background(), uuid.MustParse(runID))
			if err != nil {
				t.Fatal(err)
			}
			return run.UserID
		}
		for _, tc := range []struct {
			name   string
			header http.Header
			mine   bool
		}{
			{"bearer", bearer(sess.Token), true},
			{"cookie with its CSRF token", http.Header{"X-CSRF-Token": {cookie.CSRFToken}}, true},
			{"cookie without its CSRF token", nil, false},
			{"a dead bearer token", bearer("not-a-session"), false},
		} {
			var started startedRun
			r := api.Do("POST", "/api/v1/tools/anxiety-check/runs", map[string]any{}, tc.header)
			r.JSON(t, &started)
			if r.Status != http.StatusCreated {
				t.Fatalf("%s: start = %d %s", tc.name, r.Status, r.Body)
			}
			user := userOf(started.RunID)
			if mine := user != nil && user.String() == sess.Me.ID; mine != tc.mine || (!tc.mine && (user != nil || started.AnonymousID == nil)) {
				t.Errorf("%s: run's user %v, anonymous id %v; want the client's: %v", tc.name, user, started.AnonymousID, tc.mine)
			}
		}
	})
}
