package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
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
// least n jobs are discarded), and returns the discarded jobs.
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

// jobsJSON mirrors the admin API's job.
type jobsJSON struct {
	ID          int64   `json:"id"`
	Kind        string  `json:"kind"`
	State       string  `json:"state"`
	Event       *string `json:"event"`
	Subscriber  *string `json:"subscriber"`
	Task        *string `json:"task"`
	Attempt     int     `json:"attempt"`
	MaxAttempts int     `json:"max_attempts"`
	LastError   *string `json:"last_error"`
	CreatedAt   string  `json:"created_at"`
	ScheduledAt string  `json:"scheduled_at"`
}

// jobsList fetches a page of jobs and checks the list headers.
func jobsList(t *testing.T, client *testkit.API, query string) ([]jobsJSON, int) {
	t.Helper()
	r := client.Do("GET", "/admin/api/jobs?"+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list %s = %d %s", query, r.Status, r.Body)
	}
	if got := r.Header.Get("Access-Control-Expose-Headers"); got != "X-Total-Count, Content-Range" {
		t.Errorf("Access-Control-Expose-Headers = %q", got)
	}
	total, err := strconv.Atoi(r.Header.Get("X-Total-Count"))
	if err != nil {
		t.Fatalf("X-Total-Count = %q", r.Header.Get("X-Total-Count"))
	}
	if cr := r.Header.Get("Content-Range"); !strings.HasSuffix(cr, "/"+strconv.Itoa(total)) {
		t.Errorf("Content-Range %q disagrees with X-Total-Count %d", cr, total)
	}
	var jobs []jobsJSON
	r.JSON(t, &jobs)
	return jobs, total
}

func jobsAudits(t *testing.T, db *repository.DB, id int64) []models.AuditLog {
	t.Helper()
	logs, err := repository.NewAuditLogs(db).List(context.Background(),
		repository.AuditLogFilter{Resource: "job", ResourceID: strconv.FormatInt(id, 10)}, repository.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return logs
}

func jobsIsUTC(s string) bool {
	ts, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && strings.HasSuffix(s, "Z") && !ts.IsZero()
}

func TestAdminJobs(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		outbox := jobsOutbox(t, db)
		s, r := newServer(t, db, options{jobs: outbox})
		owner, ownerCSRF := jobsSignIn(t, s, r, models.RoleOwner)
		assistant, assistantCSRF := jobsSignIn(t, s, r, models.RoleAssistant)
		editor, editorCSRF := jobsSignIn(t, s, r, models.RoleEditor)
		anonymous := testkit.NewAPI(t, r)

		jobsCaptureLeads(t, db, 3)
		discarded := jobsWaitDiscarded(t, outbox, 3, 0, 0)
		newest := discarded[0]

		// Owner and assistant see the discarded jobs, newest first, as documented.
		for name, client := range map[string]*testkit.API{"owner": owner, "assistant": assistant} {
			jobs, total := jobsList(t, client, "state=discarded")
			if len(jobs) != 3 || total != 3 {
				t.Fatalf("%s lists %d jobs, X-Total-Count %d, want 3: %+v", name, len(jobs), total, jobs)
			}
			j := jobs[0]
			if j.ID != newest.ID || j.ID <= jobs[1].ID || jobs[1].ID <= jobs[2].ID {
				t.Errorf("%s: not newest first: %d, %d, %d (newest %d)", name, j.ID, jobs[1].ID, jobs[2].ID, newest.ID)
			}
			if j.Kind != "event" || j.State != "discarded" || j.Event == nil || *j.Event != "lead.captured" ||
				j.Subscriber == nil || *j.Subscriber != jobsFailingSubscriber || j.Task != nil ||
				j.Attempt != 1 || j.MaxAttempts != 1 || j.LastError == nil || !strings.Contains(*j.LastError, "mail server unreachable") {
				t.Errorf("%s sees job %+v", name, j)
			}
			if !jobsIsUTC(j.CreatedAt) || !jobsIsUTC(j.ScheduledAt) {
				t.Errorf("times not RFC 3339 UTC: created %q, scheduled %q", j.CreatedAt, j.ScheduledAt)
			}
		}
		if jobs, total := jobsList(t, owner, "state=completed"); len(jobs) != 0 || total != 0 {
			t.Errorf("completed jobs = %+v, X-Total-Count %d", jobs, total)
		}

		// react-admin's pages: _start inclusive, _end exclusive; the total lets it offer the next page.
		for _, tc := range []struct {
			query string
			ids   []int64
			total int
		}{
			{"state=discarded&_start=0&_end=2&_sort=id&_order=DESC", []int64{discarded[0].ID, discarded[1].ID}, 3},
			{"state=discarded&_start=2&_end=4", []int64{discarded[2].ID}, 3},
			{"state=discarded&_start=1&_end=1", nil, 2},
			{"state=discarded&_start=5&_end=10", nil, 3},
			{"state=discarded&_start=0&_end=900", []int64{discarded[0].ID, discarded[1].ID, discarded[2].ID}, 3},
		} {
			jobs, total := jobsList(t, owner, tc.query)
			var ids []int64
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
			if !slices.Equal(ids, tc.ids) || total != tc.total {
				t.Errorf("%s: ids %v, X-Total-Count %d; want %v, %d", tc.query, ids, total, tc.ids, tc.total)
			}
		}

		// Bad queries name the field.
		for _, tc := range []struct{ query, field string }{
			{"", "state"},
			{"state=", "state"},
			{"state=dead", "state"},
			{"state=discarded&_start=x", "_start"},
			{"state=discarded&_start=-1", "_start"},
			{"state=discarded&_end=1.5", "_end"},
			{"state=discarded&_start=5&_end=2", "_end"},
			{"state=discarded&_end=1001", "_end"},
			{"state=discarded&_start=1001", "_start"},
		} {
			resp := owner.Do("GET", "/admin/api/jobs?"+tc.query, nil)
			p := resp.Problem(t)
			if resp.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Message == "" {
				t.Errorf("?%s = %d %s, want 422 on %s", tc.query, resp.Status, resp.Body, tc.field)
			}
		}

		// Editors and strangers may neither list nor retry.
		retryPath := "/admin/api/jobs/" + strconv.FormatInt(newest.ID, 10) + "/retry"
		for _, tc := range []struct {
			name         string
			client       *testkit.API
			method, path string
			header       http.Header
			status       int
			problem      string
		}{
			{"editor lists", editor, "GET", "/admin/api/jobs?state=discarded", nil, http.StatusForbidden, "forbidden"},
			{"editor retries", editor, "POST", retryPath, jobsCSRF(editorCSRF), http.StatusForbidden, "forbidden"},
			{"anonymous lists", anonymous, "GET", "/admin/api/jobs?state=discarded", nil, http.StatusUnauthorized, "unauthenticated"},
			{"anonymous retries", anonymous, "POST", retryPath, nil, http.StatusUnauthorized, "unauthenticated"},
			{"owner retries without CSRF", owner, "POST", retryPath, nil, http.StatusForbidden, "csrf"},
			{"owner retries with another's CSRF", owner, "POST", retryPath, jobsCSRF(assistantCSRF), http.StatusForbidden, "csrf"},
		} {
			resp := tc.client.Do(tc.method, tc.path, nil, tc.header)
			if p := resp.Problem(t); resp.Status != tc.status || !strings.HasSuffix(p.Type, "/"+tc.problem) {
				t.Errorf("%s = %d %s, want %d %s", tc.name, resp.Status, resp.Body, tc.status, tc.problem)
			}
		}
		if logs := jobsAudits(t, db, newest.ID); len(logs) != 0 {
			t.Fatalf("refused requests left audit rows: %+v", logs)
		}
		if again := jobsWaitDiscarded(t, outbox, 3, 0, 0); again[0].ID != newest.ID {
			t.Fatalf("a refused retry moved job %d: discarded now %+v", newest.ID, again)
		}

		// The owner retries: the job is available again with one more attempt, and audited.
		resp := owner.Do("POST", retryPath, nil, jobsCSRF(ownerCSRF))
		if resp.Status != http.StatusOK {
			t.Fatalf("retry = %d %s", resp.Status, resp.Body)
		}
		var retried jobsJSON
		resp.JSON(t, &retried)
		if retried.ID != newest.ID || retried.State != "available" || retried.MaxAttempts != 2 || retried.Attempt != 1 {
			t.Errorf("retried job = %+v", retried)
		}
		ownerEmail, err := models.ParseEmail("owner@example.org")
		if err != nil {
			t.Fatal(err)
		}
		ownerUser, err := s.users.ByEmail(context.Background(), ownerEmail)
		if err != nil {
			t.Fatal(err)
		}
		logs := jobsAudits(t, db, newest.ID)
		if len(logs) != 1 {
			t.Fatalf("audit rows for job %d = %+v, want 1", newest.ID, logs)
		}
		l := logs[0]
		if l.Action != models.AuditActionUpdate || l.ActorRole != "owner" || l.ActorUserID == nil || *l.ActorUserID != ownerUser.ID ||
			!l.At.Equal(t0) || len(l.Changes) != 1 || l.Changes["state"].From != "discarded" || l.Changes["state"].To != "available" {
			t.Errorf("audit row = %+v", l)
		}

		// It runs, fails again and is discarded again; the assistant may retry it too.
		jobsWaitDiscarded(t, outbox, 0, newest.ID, 2)
		if resp := assistant.Do("POST", retryPath, nil, jobsCSRF(assistantCSRF)); resp.Status != http.StatusOK {
			t.Fatalf("assistant retry = %d %s", resp.Status, resp.Body)
		}
		logs = jobsAudits(t, db, newest.ID)
		if len(logs) != 2 || !slices.ContainsFunc(logs, func(l models.AuditLog) bool {
			return l.ActorRole == "assistant" && l.Changes["state"].From == "discarded"
		}) {
			t.Errorf("audit rows after the assistant's retry = %+v", logs)
		}

		// Unknown and malformed ids.
		for _, tc := range []struct {
			id     string
			status int
			field  string
		}{
			{"987654321", http.StatusNotFound, ""},
			{"abc", http.StatusUnprocessableEntity, "id"},
			{"0", http.StatusUnprocessableEntity, "id"},
			{"-3", http.StatusUnprocessableEntity, "id"},
			{"99999999999999999999", http.StatusUnprocessableEntity, "id"},
		} {
			resp := owner.Do("POST", "/admin/api/jobs/"+tc.id+"/retry", nil, jobsCSRF(ownerCSRF))
			p := resp.Problem(t)
			if resp.Status != tc.status || (tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field)) {
				t.Errorf("retry %s = %d %s, want %d", tc.id, resp.Status, resp.Body, tc.status)
			}
		}
		if logs := jobsAudits(t, db, 987654321); len(logs) != 0 {
			t.Errorf("a failed retry was audited: %+v", logs)
		}
	})
}

// jobsFake is a job queue whose answers a test sets, for states a real queue reaches only by
// timing (a job running while it is retried) and for failures.
type jobsFake struct {
	job      events.Job
	retried  events.Job
	listErr  error
	retryErr error
}

func (f *jobsFake) Jobs(context.Context, string, int) ([]events.Job, error) {
	return []events.Job{f.job}, f.listErr
}
func (f *jobsFake) Job(context.Context, int64) (events.Job, error) { return f.job, nil }
func (f *jobsFake) Retry(context.Context, int64) (events.Job, error) {
	return f.retried, f.retryErr
}

func TestAdminJobRetryRefusals(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	now := t0.Add(-time.Hour)
	fake := &jobsFake{}
	s, r := newServer(t, db, options{jobs: fake})
	owner, csrf := jobsSignIn(t, s, r, models.RoleOwner)
	for _, tc := range []struct {
		name     string
		before   string
		after    string
		listErr  error
		retryErr error
		method   string
		status   int
		problem  string
	}{
		{"running job", "running", "running", nil, nil, "POST", http.StatusConflict, "invalid-transition"},
		{"completed job is not re-run", "completed", "available", nil, nil, "POST", http.StatusConflict, "invalid-transition"},
		{"started running meanwhile", "retryable", "running", nil, nil, "POST", http.StatusConflict, "invalid-transition"},
		{"queue fails on retry", "discarded", "available", nil, errors.New("connection reset"), "POST", http.StatusInternalServerError, "internal"},
		{"queue fails on list", "discarded", "", errors.New("connection reset"), nil, "GET", http.StatusInternalServerError, "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.job = events.Job{ID: 7, Kind: "task", Task: "remind", State: tc.before, Attempt: 1, MaxAttempts: 3, CreatedAt: now, ScheduledAt: now}
			fake.retried = fake.job
			fake.retried.State = tc.after
			fake.listErr, fake.retryErr = tc.listErr, tc.retryErr
			path, header := "/admin/api/jobs/7/retry", jobsCSRF(csrf)
			if tc.method == "GET" {
				path, header = "/admin/api/jobs?state=discarded", nil
			}
			resp := owner.Do(tc.method, path, nil, header)
			p := resp.Problem(t)
			if resp.Status != tc.status || !strings.HasSuffix(p.Type, "/"+tc.problem) || strings.Contains(string(resp.Body), "connection reset") {
				t.Errorf("%s = %d %s, want %d %s", tc.name, resp.Status, resp.Body, tc.status, tc.problem)
			}
			if logs := jobsAudits(t, db, 7); len(logs) != 0 {
				t.Errorf("a refused retry was audited: %+v", logs)
			}
		})
	}

	// The fake answers a task job: event and subscriber are null, task is set.
	fake.job.State, fake.retried.State, fake.listErr, fake.retryErr = "discarded", "available", nil, nil
	jobs, _ := jobsList(t, owner, "state=discarded")
	if len(jobs) != 1 || jobs[0].Task == nil || *jobs[0].Task != "remind" || jobs[0].Event != nil || jobs[0].Subscriber != nil || jobs[0].LastError != nil {
		t.Errorf("task job = %+v", jobs)
	}
	if resp := owner.Do("POST", "/admin/api/jobs/7/retry", nil, jobsCSRF(csrf)); resp.Status != http.StatusOK || len(jobsAudits(t, db, 7)) != 1 {
		t.Errorf("retry of a discarded task = %d %s", resp.Status, resp.Body)
	}
}

func TestAdminJobsWiring(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	base := handlers.Deps{Log: testkit.Logger(t), OpenAPI: api.Spec, MaxBodyBytes: 1 << 20}

	// Without Jobs there is no jobs API.
	deps := base
	deps.Registry = prometheus.NewRegistry()
	r, err := handlers.NewRouter(deps)
	if err != nil {
		t.Fatal(err)
	}
	// (Not through testkit.API: the document describes the API with its job queue.)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/api/jobs?state=discarded", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("jobs without a queue = %d", rec.Code)
	}

	// Jobs without a way to audit them is a wiring mistake, refused at start.
	for name, d := range map[string]handlers.Deps{
		"no audit": {Jobs: &jobsFake{}, Tx: db},
		"no tx":    {Jobs: &jobsFake{}, Audit: repository.NewAuditLogs(db)},
	} {
		deps := base
		deps.Registry = prometheus.NewRegistry()
		deps.Jobs, deps.Audit, deps.Tx = d.Jobs, d.Audit, d.Tx
		if _, err := handlers.NewRouter(deps); err == nil {
			t.Errorf("%s: router built", name)
		}
	}
}

// react-admin's simple REST data provider asks with filter and range and reads Content-Range.
func TestAdminJobsSimpleRESTDialect(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	now := t0.Add(-time.Hour)
	fake := &jobsManyFake{}
	for id := int64(5); id >= 1; id-- {
		fake.jobs = append(fake.jobs, events.Job{ID: id, Kind: "task", Task: "remind", State: "discarded", Attempt: 3, MaxAttempts: 3, CreatedAt: now, ScheduledAt: now})
	}
	s, r := newServer(t, db, options{jobs: fake})
	owner, _ := jobsSignIn(t, s, r, models.RoleOwner)
	for _, tc := range []struct {
		query        string
		ids          []int64
		contentRange string
	}{
		{`filter={"state":"discarded"}&range=[0,1]`, []int64{5, 4}, "jobs 0-1/3"},
		{`filter={"state":"discarded"}&range=[3,9]`, []int64{2, 1}, "jobs 3-4/5"},
		{`filter={"state":"discarded"}&range=[7,9]`, nil, "jobs */5"},
		{`filter={"state":"discarded"}`, []int64{5, 4, 3, 2, 1}, "jobs 0-4/5"},
	} {
		resp := owner.Do("GET", "/admin/api/jobs?"+urlQuery(tc.query), nil)
		var got []jobsJSON
		resp.JSON(t, &got)
		var ids []int64
		for _, j := range got {
			ids = append(ids, j.ID)
		}
		if resp.Status != http.StatusOK || !slices.Equal(ids, tc.ids) || resp.Header.Get("Content-Range") != tc.contentRange {
			t.Errorf("%s = %d ids %v Content-Range %q; want ids %v, %q", tc.query, resp.Status, ids, resp.Header.Get("Content-Range"), tc.ids, tc.contentRange)
		}
	}
	for _, tc := range []struct{ query, field string }{
		{`filter=not-json`, "filter"},
		{`filter={"state":"sleeping"}`, "state"},
		{`filter={}`, "state"},
		{`filter={"state":"discarded"}&range=[2]`, "range"},
		{`filter={"state":"discarded"}&range=[3,1]`, "range"},
		{`filter={"state":"discarded"}&range=[-1,4]`, "range"},
	} {
		resp := owner.Do("GET", "/admin/api/jobs?"+urlQuery(tc.query), nil)
		p := resp.Problem(t)
		if resp.Status != http.StatusUnprocessableEntity || !slices.ContainsFunc(p.Errors, func(e struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		}) bool {
			return e.Field == tc.field
		}) {
			t.Errorf("%s = %d %s, want 422 on %s", tc.query, resp.Status, resp.Body, tc.field)
		}
	}
}

// jobsManyFake lists a fixed set of jobs, newest first, up to the limit asked.
type jobsManyFake struct{ jobs []events.Job }

func (f *jobsManyFake) Jobs(_ context.Context, _ string, limit int) ([]events.Job, error) {
	return f.jobs[:min(limit, len(f.jobs))], nil
}
func (f *jobsManyFake) Job(context.Context, int64) (events.Job, error)   { return events.Job{}, nil }
func (f *jobsManyFake) Retry(context.Context, int64) (events.Job, error) { return events.Job{}, nil }

// urlQuery escapes the values of a raw query such as filter={"a":1}&range=[0,1].
func urlQuery(raw string) string {
	var parts []string
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, k+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

// TestAdminQueueJobsInTheRegistry: the registry's queue_jobs resource lists and shows River's jobs
// (integer ids, what each is about, its last error) to the owner and the assistant; the owner
// retries a failed one through the same retry code as the older /admin/api/jobs path, audited;
// the older paths keep answering beside it.
func TestAdminQueueJobsInTheRegistry(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		outbox := jobsOutbox(t, db)
		s, r := newServer(t, db, options{jobs: outbox, adminResources: true})
		owner, ownerCSRF := jobsSignIn(t, s, r, models.RoleOwner)
		assistant, assistantCSRF := jobsSignIn(t, s, r, models.RoleAssistant)
		editor, _ := jobsSignIn(t, s, r, models.RoleEditor)

		jobsCaptureLeads(t, db, 2)
		discarded := jobsWaitDiscarded(t, outbox, 2, 0, 0)
		newest, older := discarded[0], discarded[1]
		path := "/admin/api/queue_jobs/" + strconv.FormatInt(newest.ID, 10)

		// Lists: newest first by default, filters on the state, the kind and the time.
		for _, tc := range []struct {
			query string
			ids   []int64
		}{
			{"", []int64{newest.ID, older.ID}},
			{adminQuery("filter", `{"state":"discarded","kind":"event"}`), []int64{newest.ID, older.ID}},
			{adminQuery("filter", `{"state":["completed","running"]}`), nil},
			{adminQuery("filter", `{"created_at_lte":"2000-01-01"}`), nil},
			{adminQuery("filter", fmt.Sprintf(`{"id":[%d]}`, older.ID)), []int64{older.ID}},
			{adminQuery("sort", `["id","ASC"]`), []int64{older.ID, newest.ID}},
		} {
			recs, cr := adminList(t, assistant, "queue_jobs", tc.query)
			var ids []int64
			for _, rec := range recs {
				ids = append(ids, int64(rec["id"].(float64)))
			}
			if !slices.Equal(ids, tc.ids) || !strings.HasSuffix(cr, fmt.Sprintf("/%d", len(tc.ids))) {
				t.Errorf("%s: ids %v (%s), want %v", tc.query, ids, cr, tc.ids)
			}
			if tc.query == "" {
				j := recs[0]
				if j["kind"] != "event" || j["event"] != "lead.captured" || j["subscriber"] != jobsFailingSubscriber || j["task"] != nil ||
					j["state"] != "discarded" || j["attempt"] != float64(1) || j["max_attempts"] != float64(1) || j["finalized_at"] == nil {
					t.Errorf("listed job: %v", j)
				}
			}
		}
		var job map[string]any
		assistant.Do("GET", path, nil).JSON(t, &job)
		if msg, _ := job["last_error"].(string); !strings.Contains(msg, "mail server unreachable") || job["queue"] != "default" {
			t.Errorf("shown job: %v", job)
		}
		for _, bad := range []string{"abc", "0", "-1", uuid.NewString(), "987654321"} {
			if r := owner.Do("GET", "/admin/api/queue_jobs/"+bad, nil); r.Status != http.StatusNotFound {
				t.Errorf("GET job %s: %d", bad, r.Status)
			}
		}
		if r := editor.Do("GET", "/admin/api/queue_jobs", nil); r.Status != http.StatusForbidden {
			t.Errorf("the editor lists jobs: %d", r.Status)
		}

		// Only the owner retries through the registry; the retry is audited with the job.
		if r := assistant.Do("POST", path+"/actions/retry", nil, jobsCSRF(assistantCSRF)); r.Status != http.StatusForbidden {
			t.Errorf("the assistant retried: %d %s", r.Status, r.Body)
		}
		resp := owner.Do("POST", path+"/actions/retry", nil, jobsCSRF(ownerCSRF))
		var retried map[string]any
		resp.JSON(t, &retried)
		if resp.Status != http.StatusOK || retried["id"] != float64(newest.ID) || retried["state"] != "available" || retried["max_attempts"] != float64(2) {
			t.Fatalf("retry: %d %s", resp.Status, resp.Body)
		}
		logs, err := repository.NewAuditLogs(db).List(context.Background(),
			repository.AuditLogFilter{Resource: "queue_jobs", ResourceID: strconv.FormatInt(newest.ID, 10)}, repository.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) != 1 || logs[0].ActorRole != "owner" || len(logs[0].Changes) != 1 || !slices.Contains(slices.Collect(maps.Keys(logs[0].Changes)), "action:retry") {
			t.Errorf("audit rows of the retry: %+v", logs)
		}
		// It runs and fails again: the queue discards it once more, after its second attempt.
		jobsWaitDiscarded(t, outbox, 0, newest.ID, 2)
		if r := owner.Do("POST", "/admin/api/queue_jobs/987654321/actions/retry", nil, jobsCSRF(ownerCSRF)); r.Status != http.StatusNotFound {
			t.Errorf("retry of no job: %d %s", r.Status, r.Body)
		}

		// The older paths answer as before, beside the registry's.
		if jobs, total := jobsList(t, owner, "state=discarded"); len(jobs) != 2 || total != 2 {
			t.Errorf("GET /admin/api/jobs: %d jobs, total %d", len(jobs), total)
		}
		if r := assistant.Do("POST", "/admin/api/jobs/"+strconv.FormatInt(older.ID, 10)+"/retry", nil, jobsCSRF(assistantCSRF)); r.Status != http.StatusOK {
			t.Errorf("POST /admin/api/jobs/{id}/retry: %d %s", r.Status, r.Body)
		}
		if logs := jobsAudits(t, db, older.ID); len(logs) != 1 {
			t.Errorf("the older path's audit rows: %+v", logs)
		}
	})
}

// TestAdminQueueJobRetryRefusals: the registry's retry refuses what the queue's retry code refuses
// (a running or completed job: 409), and without a job queue it is not available (503).
func TestAdminQueueJobRetryRefusals(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	fake := &jobsFake{}
	s, r := newServer(t, db, options{jobs: fake, adminResources: true})
	owner, csrf := jobsSignIn(t, s, r, models.RoleOwner)
	for _, state := range []string{"running", "completed"} {
		fake.job = events.Job{ID: 7, Kind: "task", Task: "remind", State: state}
		fake.retried = fake.job
		r := owner.Do("POST", "/admin/api/queue_jobs/7/actions/retry", nil, jobsCSRF(csrf))
		if p := r.Problem(t); r.Status != http.StatusConflict || !strings.HasSuffix(p.Type, "/invalid-transition") {
			t.Errorf("retry of a %s job: %d %s", state, r.Status, r.Body)
		}
	}

	bare := testkit.NewDB(t, "sqlite")
	s, r = newServer(t, bare, options{adminResources: true})
	owner, csrf = jobsSignIn(t, s, r, models.RoleOwner)
	if r := owner.Do("POST", "/admin/api/queue_jobs/7/actions/retry", nil, jobsCSRF(csrf)); r.Status != http.StatusServiceUnavailable {
		t.Errorf("retry without a job queue: %d %s", r.Status, r.Body)
	}
}
