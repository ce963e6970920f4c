package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"balance/events"
	"balance/models"
	"balance/service"
	"balance/service/admin"
)

// JobAdmin is what the admin API needs of the job queue (events.Outbox satisfies it). Job and
// Retry join the transaction carried by ctx.
type JobAdmin interface {
	Jobs(ctx context.Context, state string, limit int) ([]events.Job, error)
	Job(ctx context.Context, id int64) (events.Job, error)
	Retry(ctx context.Context, id int64) (events.Job, error)
}

// AuditWriter appends audit records (repository.AuditLogs satisfies it), joining the transaction
// carried by ctx.
type AuditWriter interface {
	Append(ctx context.Context, l *models.AuditLog) error
}

// Transactor runs fn in one database transaction that the stores and the job queue called with
// fn's ctx join (repository.DB satisfies it). An admin write and its audit record commit together.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// jobRoles may list and retry jobs.
var jobRoles = []models.Role{models.RoleOwner, models.RoleAssistant}

const (
	// jobsPageMax is the largest page of jobs one request returns; larger ranges are cut to it.
	jobsPageMax = 200
	// jobsWindow is how deep a job list can be paged: the queue lists at most this many jobs of a
	// state (newest first) and has no offset, so a page is cut from the first _end of them.
	jobsWindow = 1000
	// totalCountHeader carries a list's total for react-admin's pagination (json-server dialect);
	// Content-Range carries it for the simple-REST dialect.
	totalCountHeader   = "X-Total-Count"
	contentRangeHeader = "Content-Range"
)

// jobsAdmin serves the job queue to the admin panel on its older routes (GET /admin/api/jobs,
// POST /admin/api/jobs/:id/retry), kept as they were for the clients that use them. The registry's
// queue_jobs resource (service/admin) serves the same queue the generated way.
type jobsAdmin struct {
	jobs  JobAdmin
	audit AuditWriter
	tx    Transactor
	clock service.Clock
}

// jobResponse is a job as the admin API shows it; absent texts are null, times RFC 3339 UTC.
type jobResponse struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Event       *string   `json:"event"`
	Subscriber  *string   `json:"subscriber"`
	Task        *string   `json:"task"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   *string   `json:"last_error"`
	CreatedAt   time.Time `json:"created_at"`
	ScheduledAt time.Time `json:"scheduled_at"`
}

func newJobResponse(j events.Job) jobResponse {
	return jobResponse{
		ID: j.ID, Kind: j.Kind, State: j.State,
		Event: nonEmpty(j.Event), Subscriber: nonEmpty(j.Subscriber), Task: nonEmpty(j.Task),
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, LastError: nonEmpty(j.LastError),
		CreatedAt: j.CreatedAt.UTC(), ScheduledAt: j.ScheduledAt.UTC(),
	}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// list answers react-admin's getList in both of its REST dialects: simple REST
// (GET /jobs?filter={"state":"discarded"}&range=[0,24], total in Content-Range) and json-server
// (GET /jobs?state=discarded&_start=0&_end=25, total in X-Total-Count). Jobs are always newest
// first (sort, _sort and _order are ignored). The queue cannot count cheaply, so
// X-Total-Count is the number of jobs up to one past this page: exact when the list ends on this
// page or before, otherwise a lower bound that still makes react-admin offer the next page.
func (h *jobsAdmin) list(c *gin.Context) {
	state, start, end, ok := jobsListQuery(c)
	if !ok {
		return
	}
	jobs, err := h.jobs.Jobs(c.Request.Context(), state, min(end+1, jobsWindow))
	if err != nil {
		respondError(c, err)
		return
	}
	total := len(jobs)
	page := jobs[min(start, total):min(end, total)]
	out := make([]jobResponse, 0, len(page))
	for _, j := range page {
		out = append(out, newJobResponse(j))
	}
	c.Header(totalCountHeader, strconv.Itoa(total))
	if len(page) == 0 {
		c.Header(contentRangeHeader, fmt.Sprintf("jobs */%d", total))
	} else {
		c.Header(contentRangeHeader, fmt.Sprintf("jobs %d-%d/%d", start, start+len(page)-1, total))
	}
	c.Header("Access-Control-Expose-Headers", totalCountHeader+", "+contentRangeHeader)
	c.JSON(http.StatusOK, out)
}

// jobsListQuery validates state, _start and _end; on failure it writes one problem naming every
// bad field.
func jobsListQuery(c *gin.Context) (state string, start, end int, ok bool) {
	var fields []FieldError
	state = c.Query("state")
	if raw, ok := c.GetQuery("filter"); ok && state == "" {
		var filter struct {
			State string `json:"state"`
		}
		if err := json.Unmarshal([]byte(raw), &filter); err != nil {
			fields = append(fields, FieldError{Field: "filter", Message: `must be a JSON object such as {"state":"discarded"}`})
		}
		state = filter.State
	}
	switch {
	case state == "":
		fields = append(fields, FieldError{Field: "state", Message: "is required"})
	case !slices.Contains(events.JobStates, state):
		fields = append(fields, FieldError{Field: "state", Message: "must be one of " + strings.Join(events.JobStates, ", ")})
	}
	start, startOK := jobsQueryInt(c, "_start", 0, &fields)
	end, endOK := jobsQueryInt(c, "_end", min(start+jobsPageMax, jobsWindow), &fields)
	if raw, ok := c.GetQuery("range"); ok {
		// Simple REST sends an inclusive [first, last].
		var r []int
		if err := json.Unmarshal([]byte(raw), &r); err != nil || len(r) != 2 || r[0] < 0 || r[1] < r[0]-1 {
			fields = append(fields, FieldError{Field: "range", Message: "must be a JSON array [first, last] of non-negative integers"})
			startOK = false
		} else {
			start, end = r[0], r[1]+1
		}
	}
	switch {
	case !startOK || !endOK:
	case start > jobsWindow:
		fields = append(fields, FieldError{Field: "_start", Message: fmt.Sprintf("must be at most %d", jobsWindow)})
	case end < start:
		fields = append(fields, FieldError{Field: "_end", Message: "must not be less than _start"})
	case end > jobsWindow:
		fields = append(fields, FieldError{Field: "_end", Message: fmt.Sprintf("must be at most %d", jobsWindow)})
	}
	if len(fields) > 0 {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
		return "", 0, 0, false
	}
	return state, start, min(end, start+jobsPageMax), true
}

// jobsQueryInt reads a non-negative integer query parameter, def when absent.
func jobsQueryInt(c *gin.Context, name string, def int, fields *[]FieldError) (int, bool) {
	raw, present := c.GetQuery(name)
	if !present {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		*fields = append(*fields, FieldError{Field: name, Message: "must be a non-negative integer"})
		return 0, false
	}
	return n, true
}

// retry makes a job run again at once and records who did it, in one transaction, through the
// same admin.RetryJob as the registry's queue_jobs retry action. Only jobs that ended without
// succeeding (discarded, cancelled) or wait for a retry may be retried; a running or completed
// one answers 409: re-running a completed job would repeat its side effects.
func (h *jobsAdmin) retry(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: "id", Message: "must be a positive integer"})
		return
	}
	actor := auditActor(c, jobRoles)
	var job events.Job
	err = h.tx.InTx(c.Request.Context(), func(ctx context.Context) error {
		before, after, err := admin.RetryJob(ctx, h.jobs, id)
		if err != nil {
			return err
		}
		entry, err := models.NewAuditLog(actor, models.AuditActionUpdate, "job", strconv.FormatInt(id, 10),
			map[string]models.AuditChange{"state": {From: before.State, To: after.State}}, h.clock.Now())
		if err != nil { // a bug of ours, not of the request: %v keeps it from becoming a 422
			return fmt.Errorf("audit retry of job %d: %v", id, err)
		}
		if err := h.audit.Append(ctx, entry); err != nil {
			return err
		}
		job = after
		return nil
	})
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newJobResponse(job))
}

// auditActor is the signed-in user acting in the first of roles they hold (the route's
// RequireRole guarantees one).
func auditActor(c *gin.Context, roles []models.Role) models.AuditActor {
	u := currentUser(c)
	actor := models.AuditActor{UserID: &u.ID, IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
	for _, r := range roles {
		if u.HasRole(r) {
			actor.Role = string(r)
			break
		}
	}
	return actor
}
