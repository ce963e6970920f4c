package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"balance/api"
	"balance/events"
	"balance/handlers"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// jobsFailingSubscriber receives every lead.captured event and always fails.
const jobsFailingSubscriber = "jobs_failing"

// jobsOutbox starts a real outbox over db whose one subscriber always fails, so that every job
// is discarded after its single attempt.
func jobsOutbox(t *testing.T, db *repository.DB) *events.Outbox {
	t.Helper()
	subs := events.NewSubscriptions()
	err := subs.Subscribe("lead.captured", jobsFailingSubscriber, func(context.Context, models.Event) error {
		return errors.New("mail server unreachable")
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := events.NewOutbox(db, events.DefaultCatalog(), subs, events.OutboxConfig{
		Workers: 1, MaxAttempts: 1, RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
	}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	db.SetPublisher(o)
	ctx, cancel := context.WithCancel(context.Background())
	if err := o.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := o.Stop(stopCtx); err != nil {
			t.Errorf("stop outbox: %v", err)
		}
		cancel()
	})
	return o
}

// jobsCaptureLeads saves n leads; each queues one job for the failing subscriber.
func jobsCaptureLeads(t *testing.T, db *repository.DB, n int) {
	t.Helper()
	leads := repository.NewLeads(db)
	for range n {
		l, err := models.NewLead("site", models.UTM{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := leads.Create(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
}

// jobsWaitDiscarded polls until job id is discarded after attempt runs (or, with id 0, until at
// least n jobs are discarded), and returns the discarded jobs, newest first.
func jobsWaitDiscarded(t *testing.T, o *events.Outbox, n int, id int64, attempt int) []events.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		jobs, err := o.Jobs(context.Background(), "discarded", 100)
		if err != nil {
			t.Fatal(err)
		}
		if id == 0 && len(jobs) >= n {
			return jobs
		}
		if i := slices.IndexFunc(jobs, func(j events.Job) bool { return j.ID == id }); id != 0 && i >= 0 && jobs[i].Attempt == attempt {
			return jobs
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs never discarded (want %d, job %d at attempt %d); discarded now: %+v", n, id, attempt, jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobsSignIn makes a staff member with role and signs them in on a client of their own; it
// returns the client and the CSRF token.
func jobsSignIn(t *testing.T, s *server, r *gin.Engine, role models.Role) (*testkit.API, string) {
	t.Helper()
	email := string(role) + "@example.org"
	s.staff(t, email, role)
	client := testkit.NewAPI(t, r)
	resp := client.Do("POST", "/admin/api/auth/login", map[string]string{"email": email, "password": password})
	if resp.Status != http.StatusOK {
		t.Fatalf("login as %s = %d %s", role, resp.Status, resp.Body)
	}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	resp.JSON(t, &me)
	return client, me.CSRFToken
}

func jobsCSRF(token string) http.Header {
	h := http.Header{}
	h.Set(handlers.CSRFHeader, token)
	return h
}

// jobsPage lists jobs with a react-admin query and checks the list headers; it returns the jobs'
// ids, the records and Content-Range.
func jobsPage(t *testing.T, client *testkit.API, query string) ([]int64, []map[string]any, string) {
	t.Helper()
	r := client.Do("GET", "/admin/api/jobs"+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list %s = %d %s", query, r.Status, r.Body)
	}
	if got := r.Header.Get("Access-Control-Expose-Headers"); got != "X-Total-Count, Content-Range" {
		t.Errorf("Access-Control-Expose-Headers = %q", got)
	}
	cr := r.Header.Get("Content-Range")
	if total := r.Header.Get("X-Total-Count"); !strings.HasSuffix(cr, "/"+total) {
		t.Errorf("Content-Range %q disagrees with X-Total-Count %q", cr, total)
	}
	var recs []map[string]any
	r.JSON(t, &recs)
	var ids []int64
	for _, rec := range recs {
		ids = append(ids, int64(rec["id"].(float64)))
	}
	return ids, recs, cr
}

// jobsAudits are the audit rows of job id.
func jobsAudits(t *testing.T, db *repository.DB, id int64) []models.AuditLog {
	t.Helper()
	logs, err := repository.NewAuditLogs(db).List(context.Background(),
		repository.AuditLogFilter{Resource: "jobs", ResourceID: strconv.FormatInt(id, 10)}, repository.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return logs
}

func jobsIsUTC(v any) bool {
	s, _ := v.(string)
	ts, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && strings.HasSuffix(s, "Z") && !ts.IsZero()
}

// jobsInsert writes a job into River's table as the queue would leave it in state (finalized
// when the state is final), for the states a real queue reaches only by timing.
func jobsInsert(t *testing.T, db *repository.DB, kind, args, state string) int64 {
	t.Helper()
	var finalized *time.Time
	if slices.Contains([]string{"cancelled", "completed", "discarded"}, state) {
		at := t0
		finalized = &at
	}
	var id int64
	err := db.Gorm.Raw("INSERT INTO river_job (kind, args, state, max_attempts, finalized_at) VALUES (?, ?, ?, 3, ?) RETURNING id",
		kind, args, state, finalized).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestAdminJobs: the job queue is the registry's jobs resource. The owner and the assistant list
// it with react-admin's conventions (by state, kind, event, subscriber, task and time; sorted;
// paged with exact totals) and show a job with its last error; the owner retries a failed job —
// through the registry's action or its older URL POST /admin/api/jobs/{id}/retry, the same
// handler — and each retry is audited; the assistant, the editor and strangers may not.
func TestAdminJobs(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		outbox := jobsOutbox(t, db)
		s, r := newServer(t, db, options{jobs: outbox, adminResources: true})
		owner, ownerCSRF := jobsSignIn(t, s, r, models.RoleOwner)
		assistant, assistantCSRF := jobsSignIn(t, s, r, models.RoleAssistant)
		editor, editorCSRF := jobsSignIn(t, s, r, models.RoleEditor)
		anonymous := testkit.NewAPI(t, r)

		jobsCaptureLeads(t, db, 3)
		discarded := jobsWaitDiscarded(t, outbox, 3, 0, 0)
		all := []int64{discarded[0].ID, discarded[1].ID, discarded[2].ID}
		newest := discarded[0]
		path := "/admin/api/jobs/" + strconv.FormatInt(newest.ID, 10)

		// Owner and assistant list the failed jobs, newest first, with what each is about.
		for name, client := range map[string]*testkit.API{"owner": owner, "assistant": assistant} {
			ids, recs, cr := jobsPage(t, client, adminQuery("filter", `{"state":"discarded"}`))
			if !slices.Equal(ids, all) || cr != "jobs 0-2/3" {
				t.Fatalf("%s lists %v (%s), want %v", name, ids, cr, all)
			}
			j := recs[0]
			if j["kind"] != "event" || j["state"] != "discarded" || j["event"] != "lead.captured" || j["subscriber"] != jobsFailingSubscriber ||
				j["task"] != nil || j["attempt"] != float64(1) || j["max_attempts"] != float64(1) {
				t.Errorf("%s sees job %v", name, j)
			}
			if !jobsIsUTC(j["created_at"]) || !jobsIsUTC(j["scheduled_at"]) || !jobsIsUTC(j["finalized_at"]) {
				t.Errorf("times not RFC 3339 UTC: %v", j)
			}
			if _, listed := j["last_error"]; listed {
				t.Errorf("the list carries the last error: %v", j)
			}
		}
		// One job shows its last error.
		var job map[string]any
		if r := assistant.Do("GET", path, nil); r.Status != http.StatusOK {
			t.Fatalf("show: %d %s", r.Status, r.Body)
		} else {
			r.JSON(t, &job)
		}
		if msg, _ := job["last_error"].(string); !strings.Contains(msg, "mail server unreachable") || job["queue"] != "default" || job["state"] != "discarded" {
			t.Errorf("shown job: %v", job)
		}

		// Filters, sorting and pages (inclusive ranges, exact totals).
		for _, tc := range []struct {
			query string
			ids   []int64
			cr    string
		}{
			{"", all, "jobs 0-2/3"},
			{adminQuery("filter", `{"state":"completed"}`), nil, "jobs */0"},
			{adminQuery("filter", `{"state":["completed","running","discarded"]}`), all, "jobs 0-2/3"},
			{adminQuery("filter", `{"kind":"event","event":"lead.captured"}`), all, "jobs 0-2/3"},
			{adminQuery("filter", `{"subscriber":"`+jobsFailingSubscriber+`"}`), all, "jobs 0-2/3"},
			{adminQuery("filter", `{"subscriber":"someone_else"}`), nil, "jobs */0"},
			{adminQuery("filter", `{"task":"remind"}`), nil, "jobs */0"},
			{adminQuery("filter", `{"kind":"task"}`), nil, "jobs */0"},
			{adminQuery("filter", `{"created_at_lte":"2000-01-01"}`), nil, "jobs */0"},
			{adminQuery("filter", `{"scheduled_at_gte":"2000-01-01"}`), all, "jobs 0-2/3"},
			{adminQuery("filter", fmt.Sprintf(`{"id":[%d,%d]}`, all[0], all[2])), []int64{all[0], all[2]}, "jobs 0-1/2"},
			{adminQuery("sort", `["id","ASC"]`), []int64{all[2], all[1], all[0]}, "jobs 0-2/3"},
			{adminQuery("sort", `["created_at","DESC"]`), all, "jobs 0-2/3"},
			{adminQuery("sort", `["scheduled_at","ASC"]`, "range", "[0,0]"), []int64{all[2]}, "jobs 0-0/3"},
			{adminQuery("range", "[0,1]"), all[:2], "jobs 0-1/3"},
			{adminQuery("range", "[2,3]"), all[2:], "jobs 2-2/3"},
			{adminQuery("range", "[5,9]"), nil, "jobs */3"},
		} {
			ids, _, cr := jobsPage(t, owner, tc.query)
			if !slices.Equal(ids, tc.ids) || cr != tc.cr {
				t.Errorf("%s: ids %v (%s), want %v (%s)", tc.query, ids, cr, tc.ids, tc.cr)
			}
		}

		// Bad queries name the parameter or the filter's field.
		for _, tc := range []struct{ query, field string }{
			{adminQuery("filter", `{"state":"dead"}`), "filter.state"},
			{adminQuery("filter", `{"kind":"cron"}`), "filter.kind"},
			{adminQuery("filter", `{"last_error":"mail"}`), "filter.last_error"},
			{adminQuery("filter", `{"event":7}`), "filter.event"},
			{adminQuery("filter", `{"id":["abc"]}`), "filter.id"},
			{adminQuery("filter", "not-json"), "filter"},
			{adminQuery("sort", `["event","ASC"]`), "sort"},
			{adminQuery("sort", `["last_error","DESC"]`), "sort"},
			{adminQuery("range", "[2]"), "range"},
			{adminQuery("range", "[3,1]"), "range"},
			{adminQuery("range", "[-1,4]"), "range"},
		} {
			resp := owner.Do("GET", "/admin/api/jobs"+tc.query, nil)
			p := resp.Problem(t)
			if resp.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Message == "" {
				t.Errorf("%s = %d %s, want 422 on %s", tc.query, resp.Status, resp.Body, tc.field)
			}
		}

		// Only the owner retries: the assistant reads the queue (ARCHITECTURE.md, "dead jobs"),
		// the editor does not see it, and strangers and cross-site requests are refused.
		alias, action := path+"/retry", path+"/actions/retry"
		for _, tc := range []struct {
			name         string
			client       *testkit.API
			method, path string
			header       http.Header
			status       int
			problem      string
		}{
			{"assistant retries (older URL)", assistant, "POST", alias, jobsCSRF(assistantCSRF), http.StatusForbidden, "forbidden"},
			{"assistant retries", assistant, "POST", action, jobsCSRF(assistantCSRF), http.StatusForbidden, "forbidden"},
			{"editor lists", editor, "GET", "/admin/api/jobs", nil, http.StatusForbidden, "forbidden"},
			{"editor shows", editor, "GET", path, nil, http.StatusForbidden, "forbidden"},
			{"editor retries (older URL)", editor, "POST", alias, jobsCSRF(editorCSRF), http.StatusForbidden, "forbidden"},
			{"editor retries", editor, "POST", action, jobsCSRF(editorCSRF), http.StatusForbidden, "forbidden"},
			{"anonymous lists", anonymous, "GET", "/admin/api/jobs", nil, http.StatusUnauthorized, "unauthenticated"},
			{"anonymous retries (older URL)", anonymous, "POST", alias, nil, http.StatusUnauthorized, "unauthenticated"},
			{"anonymous retries", anonymous, "POST", action, nil, http.StatusUnauthorized, "unauthenticated"},
			{"owner retries without CSRF", owner, "POST", alias, nil, http.StatusForbidden, "csrf"},
			{"owner retries with another's CSRF", owner, "POST", action, jobsCSRF(assistantCSRF), http.StatusForbidden, "csrf"},
		} {
			resp := tc.client.Do(tc.method, tc.path, nil, tc.header)
			if p := resp.Problem(t); resp.Status != tc.status || !strings.HasSuffix(p.Type, "/"+tc.problem) {
				t.Errorf("%s = %d %s, want %d %s", tc.name, resp.Status, resp.Body, tc.status, tc.problem)
			}
		}
		if logs := jobsAudits(t, db, newest.ID); len(logs) != 0 {
			t.Fatalf("refused requests left audit rows: %+v", logs)
		}
		if again := jobsWaitDiscarded(t, outbox, 3, 0, 0); again[0].ID != newest.ID || again[0].Attempt != 1 {
			t.Fatalf("a refused retry moved job %d: discarded now %+v", newest.ID, again)
		}

		// The owner retries through the older URL: the job is available again with one more
		// attempt, and the retry is audited (who, when, which job, the action — in one transaction).
		ownerEmail, err := models.ParseEmail("owner@example.org")
		if err != nil {
			t.Fatal(err)
		}
		ownerUser, err := s.users.ByEmail(context.Background(), ownerEmail)
		if err != nil {
			t.Fatal(err)
		}
		for i, retryPath := range []string{alias, action} {
			resp := owner.Do("POST", retryPath, nil, jobsCSRF(ownerCSRF))
			var retried map[string]any
			resp.JSON(t, &retried)
			// The answer reads the job after the retry commits; a worker may have taken it by then.
			state, attempt := retried["state"], retried["attempt"]
			if resp.Status != http.StatusOK || retried["id"] != float64(newest.ID) || (state != "available" && state != "running") ||
				retried["max_attempts"] != float64(2+i) || (attempt != float64(1+i) && attempt != float64(2+i)) {
				t.Fatalf("retry through %s: %d %s", retryPath, resp.Status, resp.Body)
			}
			logs := jobsAudits(t, db, newest.ID)
			if len(logs) != i+1 {
				t.Fatalf("after retry %d, audit rows %+v", i+1, logs)
			}
			for _, l := range logs {
				if l.Action != models.AuditActionUpdate || l.ActorRole != "owner" || l.ActorUserID == nil || *l.ActorUserID != ownerUser.ID ||
					!l.At.Equal(t0) || !slices.Equal(slices.Collect(maps.Keys(l.Changes)), []string{"action:retry"}) {
					t.Errorf("audit row = %+v", l)
				}
			}
			// It runs, fails again and is discarded again, after one more attempt.
			jobsWaitDiscarded(t, outbox, 0, newest.ID, 2+i)
		}

		// Unknown and malformed ids, on both URLs: 404, nothing audited.
		for _, id := range []string{"987654321", "abc", "0", "-3", "99999999999999999999"} {
			for _, p := range []string{"/admin/api/jobs/" + id + "/retry", "/admin/api/jobs/" + id + "/actions/retry"} {
				if resp := owner.Do("POST", p, nil, jobsCSRF(ownerCSRF)); resp.Status != http.StatusNotFound {
					t.Errorf("POST %s = %d %s, want 404", p, resp.Status, resp.Body)
				}
			}
			if resp := owner.Do("GET", "/admin/api/jobs/"+id, nil); resp.Status != http.StatusNotFound {
				t.Errorf("GET job %s = %d, want 404", id, resp.Status)
			}
		}
		if logs := jobsAudits(t, db, 987654321); len(logs) != 0 {
			t.Errorf("a failed retry was audited: %+v", logs)
		}
		if r := owner.Do("POST", path+"/actions/shine", nil, jobsCSRF(ownerCSRF)); r.Status != http.StatusNotFound {
			t.Errorf("an undeclared action: %d", r.Status)
		}
	})
}

// jobsFake is a job queue whose answers a test sets, for what a real queue reaches only by
// timing (a job that starts running while it is retried) and for failures.
type jobsFake struct {
	job      events.Job
	retried  events.Job
	retryErr error
}

func (f *jobsFake) Job(context.Context, int64) (events.Job, error) { return f.job, nil }
func (f *jobsFake) Retry(context.Context, int64) (events.Job, error) {
	return f.retried, f.retryErr
}

// TestAdminJobRetryRefusals: a retry applies to the states admin.RetryJob accepts — a running,
// completed (its side effects would repeat) or pending job answers 409 and the queue is not
// asked; a job that starts running meanwhile is 409 too; a failing queue is a 500 that does not
// leak its error; without a job queue the action is not available (503). Nothing refused is
// audited. A task job shows its task, not an event.
func TestAdminJobRetryRefusals(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		fake := &jobsFake{}
		s, r := newServer(t, db, options{jobs: fake, adminResources: true})
		owner, csrf := jobsSignIn(t, s, r, models.RoleOwner)
		for _, tc := range []struct {
			name, state, after string
			retryErr           error
			status             int
			problem            string
		}{
			{"running job", "running", "running", nil, http.StatusConflict, "conflict"},
			{"completed job is not re-run", "completed", "available", nil, http.StatusConflict, "conflict"},
			{"pending job", "pending", "available", nil, http.StatusConflict, "conflict"},
			{"started running meanwhile", "retryable", "running", nil, http.StatusConflict, "invalid-transition"},
			{"queue fails on retry", "discarded", "available", errors.New("connection reset"), http.StatusInternalServerError, "internal"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := jobsInsert(t, db, "task", `{"task":"remind"}`, tc.state)
				fake.job = events.Job{ID: id, Kind: "task", Task: "remind", State: tc.state, Attempt: 1, MaxAttempts: 3}
				fake.retried = fake.job
				fake.retried.State, fake.retryErr = tc.after, tc.retryErr
				resp := owner.Do("POST", fmt.Sprintf("/admin/api/jobs/%d/retry", id), nil, jobsCSRF(csrf))
				p := resp.Problem(t)
				if resp.Status != tc.status || !strings.HasSuffix(p.Type, "/"+tc.problem) || strings.Contains(string(resp.Body), "connection reset") {
					t.Errorf("%s = %d %s, want %d %s", tc.name, resp.Status, resp.Body, tc.status, tc.problem)
				}
				if logs := jobsAudits(t, db, id); len(logs) != 0 {
					t.Errorf("a refused retry was audited: %+v", logs)
				}
			})
		}

		// A discarded task job: listed with its task, retried and audited.
		id := jobsInsert(t, db, "task", `{"task":"digest"}`, "discarded")
		ids, recs, _ := jobsPage(t, owner, adminQuery("filter", `{"task":"digest","state":"discarded"}`))
		if !slices.Equal(ids, []int64{id}) || recs[0]["task"] != "digest" || recs[0]["event"] != nil || recs[0]["subscriber"] != nil || recs[0]["kind"] != "task" {
			t.Errorf("task job = %v", recs)
		}
		fake.job = events.Job{ID: id, Kind: "task", Task: "digest", State: "discarded"}
		fake.retried, fake.retryErr = fake.job, nil
		fake.retried.State = "available"
		if resp := owner.Do("POST", fmt.Sprintf("/admin/api/jobs/%d/actions/retry", id), nil, jobsCSRF(csrf)); resp.Status != http.StatusOK || len(jobsAudits(t, db, id)) != 1 {
			t.Errorf("retry of a discarded task = %d %s", resp.Status, resp.Body)
		}

		// Without a job queue, a retry the state allows is not available; one it does not is 409.
		bare := testkit.NewDB(t, db.Dialect)
		s, r = newServer(t, bare, options{adminResources: true})
		owner, csrf = jobsSignIn(t, s, r, models.RoleOwner)
		for state, status := range map[string]int{"discarded": http.StatusServiceUnavailable, "completed": http.StatusConflict} {
			id := jobsInsert(t, bare, "task", `{"task":"remind"}`, state)
			if r := owner.Do("POST", fmt.Sprintf("/admin/api/jobs/%d/retry", id), nil, jobsCSRF(csrf)); r.Status != status {
				t.Errorf("retry of a %s job without a job queue: %d %s, want %d", state, r.Status, r.Body, status)
			}
		}
	})
}

// TestAdminJobsWiring: the job queue and the delivery log, older URLs included, are served by the
// admin resources only: a router without them has none of their routes.
func TestAdminJobsWiring(t *testing.T) {
	t.Parallel()
	r, err := handlers.NewRouter(handlers.Deps{Log: testkit.Logger(t), OpenAPI: api.Spec, MaxBodyBytes: 1 << 20, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	// (Not through testkit.API: the document describes the API with its resources.)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/admin/api/jobs"},
		{"POST", "/admin/api/jobs/1/retry"},
		{"POST", "/admin/api/jobs/1/actions/retry"},
		{"GET", "/admin/api/notification-deliveries"},
	} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s %s without the admin resources = %d", tc.method, tc.path, rec.Code)
		}
	}
}
