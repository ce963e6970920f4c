package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/service/interactive"
)

// Tools is the self-help tools' use cases; *interactive.Tools is one.
type Tools interface {
	List(ctx context.Context, typ models.InteractiveType, limit, offset int) ([]models.InteractiveDefinition, error)
	Tool(ctx context.Context, slug string) (*models.InteractiveDefinition, error)
	Start(ctx context.Context, in interactive.StartInput) (*interactive.Started, error)
	Complete(ctx context.Context, id uuid.UUID, token string, answers map[string]string) (*interactive.Outcome, error)
	Run(ctx context.Context, id uuid.UUID, token string) (*interactive.View, error)
}

// headerRunToken carries the token of a self-help tool's run.
const headerRunToken = "X-Run-Token"

type publicTools struct {
	tools Tools
}

type toolSummaryJSON struct {
	Slug          string  `json:"slug"`
	Type          string  `json:"type"`
	Title         string  `json:"title"`
	Description   string  `json:"description"`
	TopicCode     *string `json:"topic_code"`
	QuestionCount int     `json:"question_count"`
}

func newToolSummaryJSON(d *models.InteractiveDefinition) toolSummaryJSON {
	return toolSummaryJSON{
		Slug: d.Slug, Type: string(d.Type), Title: d.Title, Description: d.Config.Description,
		TopicCode: d.TopicCode, QuestionCount: len(d.Config.Questions),
	}
}

type toolOptionJSON struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type toolQuestionJSON struct {
	ID      string           `json:"id"`
	Text    string           `json:"text"`
	Options []toolOptionJSON `json:"options"`
}

// toolJSON is a tool as the site shows it: questions and options, and the levels it can yield —
// never the scores, the bands' ranges, the options' profiles or the crisis rules.
type toolJSON struct {
	toolSummaryJSON
	Questions []toolQuestionJSON `json:"questions"`
	Levels    []string           `json:"levels"`
}

func newToolJSON(d *models.InteractiveDefinition) toolJSON {
	out := toolJSON{toolSummaryJSON: newToolSummaryJSON(d), Questions: []toolQuestionJSON{}, Levels: []string{}}
	for _, q := range d.Config.Questions {
		qj := toolQuestionJSON{ID: q.ID, Text: q.Text, Options: make([]toolOptionJSON, 0, len(q.Options))}
		for _, o := range q.Options {
			qj.Options = append(qj.Options, toolOptionJSON{ID: o.ID, Text: o.Text})
		}
		out.Questions = append(out.Questions, qj)
	}
	for _, l := range d.Config.Levels() {
		out.Levels = append(out.Levels, string(l))
	}
	return out
}

// list answers GET /api/v1/tools.
func (h *publicTools) list(c *gin.Context) {
	var fields []FieldError
	limit := queryInt(c, "limit", &fields)
	offset := queryInt(c, "offset", &fields)
	if _, ok := c.GetQuery("limit"); ok && (limit < 1 || limit > 100) && len(fields) == 0 {
		fields = append(fields, FieldError{Field: "limit", Message: "must be between 1 and 100"})
	}
	if offset < 0 {
		fields = append(fields, FieldError{Field: "offset", Message: "must not be negative"})
	}
	var typ models.InteractiveType
	if raw := c.Query("type"); raw != "" {
		t, err := models.ParseInteractiveType(raw)
		if err != nil {
			fields = append(fields, FieldError{Field: "type", Message: "must be quiz, navigator, thermometer, boundaries, prep or ritual"})
		}
		typ = t
	}
	if len(fields) > 0 {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
		return
	}
	defs, err := h.tools.List(c.Request.Context(), typ, limit, offset)
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]toolSummaryJSON, 0, len(defs))
	for i := range defs {
		items = append(items, newToolSummaryJSON(&defs[i]))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// get answers GET /api/v1/tools/{slug}.
func (h *publicTools) get(c *gin.Context) {
	d, err := h.tools.Tool(c.Request.Context(), c.Param("slug"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newToolJSON(d))
}

type toolRunMetadataBody struct {
	EntryPoint string `json:"entry_point" binding:"max=100"`
	TopicCode  string `json:"topic_code" binding:"max=100"`
	DeepLinkID string `json:"deep_link_id" binding:"omitempty,uuid"`
}

type startRunRequest struct {
	AnonymousID string               `json:"anonymous_id" binding:"max=128"`
	Metadata    *toolRunMetadataBody `json:"metadata"`
}

type toolRefJSON struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

type startedRunJSON struct {
	RunID       uuid.UUID   `json:"run_id"`
	RunToken    string      `json:"run_token"`
	AnonymousID *string     `json:"anonymous_id"`
	Status      string      `json:"status"`
	Tool        toolRefJSON `json:"tool"`
	StartedAt   time.Time   `json:"started_at"`
}

// start answers POST /api/v1/tools/{slug}/runs; the body is optional.
func (h *publicTools) start(c *gin.Context) {
	var req startRunRequest
	if c.Request.ContentLength != 0 && !decodeJSON(c, &req) {
		return
	}
	in := interactive.StartInput{Slug: c.Param("slug"), AnonymousID: req.AnonymousID}
	if u := currentClient(c); u != nil {
		in.UserID = &u.ID
	}
	if m := req.Metadata; m != nil {
		in.Metadata = models.InteractiveRunMetadata{EntryPoint: m.EntryPoint, TopicCode: m.TopicCode, DeepLinkID: m.DeepLinkID}
	}
	s, err := h.tools.Start(c.Request.Context(), in)
	if err != nil {
		respondError(c, err)
		return
	}
	out := startedRunJSON{
		RunID: s.Run.ID, RunToken: s.Token, Status: string(s.Run.Status), StartedAt: s.Run.StartedAt.UTC(),
		Tool: toolRefJSON{Slug: s.Run.Definition.Slug, Title: s.Run.Definition.Title},
	}
	if s.AnonymousID != "" {
		out.AnonymousID = &s.AnonymousID
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Location", "/api/v1/tools/runs/"+s.Run.ID.String())
	c.JSON(http.StatusCreated, out)
}

// toolResultJSON is what a completed run yields (its score only in the answer that completed it:
// the score is not stored).
type toolResultJSON struct {
	Score           *int            `json:"score,omitempty"`
	Level           *string         `json:"level"`
	Profile         *string         `json:"profile"`
	Recommendations []string        `json:"recommendations"`
	Crisis          *crisisHelpJSON `json:"crisis,omitempty"`
}

func newToolResultJSON(run *models.InteractiveRun, recs []string, crisis *models.CrisisHelp) *toolResultJSON {
	out := &toolResultJSON{Profile: run.ResultProfile, Recommendations: recs, Crisis: newCrisisHelpJSON(crisis)}
	if out.Recommendations == nil {
		out.Recommendations = []string{}
	}
	if run.ResultLevel != nil {
		l := string(*run.ResultLevel)
		out.Level = &l
	}
	return out
}

type toolRunJSON struct {
	RunID       uuid.UUID       `json:"run_id"`
	Status      string          `json:"status"`
	Tool        toolRefJSON     `json:"tool"`
	StartedAt   time.Time       `json:"started_at"`
	CompletedAt *time.Time      `json:"completed_at"`
	Result      *toolResultJSON `json:"result"`
}

func newToolRunJSON(run *models.InteractiveRun) toolRunJSON {
	out := toolRunJSON{RunID: run.ID, Status: string(run.Status), StartedAt: run.StartedAt.UTC(), CompletedAt: utcPtr(run.CompletedAt)}
	if d := run.Definition; d != nil {
		out.Tool = toolRefJSON{Slug: d.Slug, Title: d.Title}
	}
	return out
}

// runID reads the {id} path parameter; a malformed one is simply not found.
func runID(c *gin.Context) (uuid.UUID, bool) { return bookingID(c) }

type answersRequest struct {
	Answers map[string]string `json:"answers" binding:"required,max=200,dive,keys,min=1,max=100,endkeys,max=100"`
}

// answer answers POST /api/v1/tools/runs/{id}/answers (X-Run-Token): the run is scored and
// completed. The answers are never logged nor stored.
func (h *publicTools) answer(c *gin.Context) {
	id, ok := runID(c)
	if !ok {
		return
	}
	var req answersRequest
	if !decodeJSON(c, &req) {
		return
	}
	o, err := h.tools.Complete(c.Request.Context(), id, c.GetHeader(headerRunToken), req.Answers)
	if err != nil {
		respondError(c, err)
		return
	}
	out := newToolRunJSON(o.Run)
	out.Result = newToolResultJSON(o.Run, o.Recommendations, o.Crisis)
	score := o.Result.Score
	out.Result.Score = &score
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// getRun answers GET /api/v1/tools/runs/{id} (X-Run-Token).
func (h *publicTools) getRun(c *gin.Context) {
	id, ok := runID(c)
	if !ok {
		return
	}
	v, err := h.tools.Run(c.Request.Context(), id, c.GetHeader(headerRunToken))
	if err != nil {
		respondError(c, err)
		return
	}
	out := newToolRunJSON(v.Run)
	if v.Run.Status == models.InteractiveRunStatusCompleted {
		out.Result = newToolResultJSON(v.Run, v.Recommendations, v.Crisis)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}
