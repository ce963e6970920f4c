package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/service/questions"
)

// Questions is the public questions API's use cases; *questions.Questions is one.
type Questions interface {
	Ask(ctx context.Context, in questions.AskInput) (*questions.Asked, error)
	Follow(ctx context.Context, id uuid.UUID, token string) (*questions.Followed, error)
	Published(ctx context.Context, in questions.PublishedQuery) (*questions.PublishedPage, error)
}

// headerQuestionToken carries the status token of a question.
const headerQuestionToken = "X-Question-Token"

type publicQuestions struct {
	questions Questions
}

type questionRequest struct {
	Text         string        `json:"text" binding:"required"`
	Topic        string        `json:"topic" binding:"max=64"`
	ContactEmail string        `json:"contact_email" binding:"max=254"`
	Consents     []consentBody `json:"consents" binding:"required,min=1,max=5,dive"`
}

type questionAnswerJSON struct {
	ID           uuid.UUID `json:"id"`
	BodyMarkdown string    `json:"body_markdown"`
	PublishedAt  time.Time `json:"published_at"`
}

func newQuestionAnswersJSON(q *models.Question) []questionAnswerJSON {
	out := make([]questionAnswerJSON, 0, len(q.Answers))
	for _, a := range q.Answers {
		if a.PublishedAt == nil { // the stores load published answers only; never show another
			continue
		}
		out = append(out, questionAnswerJSON{ID: a.ID, BodyMarkdown: a.BodyMarkdown, PublishedAt: a.PublishedAt.UTC()})
	}
	return out
}

// questionStatusJSON is a question as its asker sees it: never the asker's own text (P2: the
// token is a bearer secret that may leak with a link) nor the moderators' reasons.
type questionStatusJSON struct {
	ID          uuid.UUID            `json:"id"`
	Status      questions.Status     `json:"status"`
	Topic       *string              `json:"topic"`
	SubmittedAt time.Time            `json:"submitted_at"`
	PublicText  *string              `json:"public_text"`
	Answers     []questionAnswerJSON `json:"answers"`
}

func newQuestionStatusJSON(q *models.Question, st questions.Status) questionStatusJSON {
	return questionStatusJSON{
		ID: q.ID, Status: st, Topic: q.TopicCode, SubmittedAt: q.SubmittedAt.UTC(),
		PublicText: q.PublicText, Answers: newQuestionAnswersJSON(q),
	}
}

// ask answers POST /api/v1/questions.
func (h *publicQuestions) ask(c *gin.Context) {
	var req questionRequest
	if !decodeJSON(c, &req) {
		return
	}
	in := questions.AskInput{Text: req.Text, Topic: req.Topic, ContactEmail: req.ContactEmail}
	for _, k := range req.Consents {
		in.Consents = append(in.Consents, questions.ConsentInput{Type: models.ConsentType(k.Type), Version: k.Version})
	}
	res, err := h.questions.Ask(c.Request.Context(), in)
	if err != nil {
		respondError(c, err)
		return
	}
	q := res.Question
	c.Header("Location", "/api/v1/questions/"+q.ID.String())
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{
		"id": q.ID, "status": res.Status, "status_token": res.StatusToken,
		"topic": q.TopicCode, "submitted_at": q.SubmittedAt.UTC(), "crisis_help": newCrisisHelpJSON(res.CrisisHelp),
	})
}

// crisisHelpJSON is models.CrisisHelp on the wire (schema CrisisHelp): the answer of a crisis
// question or self-help run.
type crisisHelpJSON struct {
	Message   string               `json:"message"`
	Helplines []crisisHelplineJSON `json:"helplines"`
}

type crisisHelplineJSON struct {
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Hours       string `json:"hours"`
	Description string `json:"description"`
}

func newCrisisHelpJSON(h *models.CrisisHelp) *crisisHelpJSON {
	if h == nil {
		return nil
	}
	out := &crisisHelpJSON{Message: h.Message, Helplines: make([]crisisHelplineJSON, 0, len(h.Helplines))}
	for _, l := range h.Helplines {
		out.Helplines = append(out.Helplines, crisisHelplineJSON{Name: l.Name, Phone: l.Phone, Hours: l.Hours, Description: l.Description})
	}
	return out
}

// follow answers GET /api/v1/questions/{id} (X-Question-Token).
func (h *publicQuestions) follow(c *gin.Context) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, "not-found", "the resource does not exist")
		return
	}
	res, err := h.questions.Follow(c.Request.Context(), id, c.GetHeader(headerQuestionToken))
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newQuestionStatusJSON(res.Question, res.Status))
}

type publishedQuestionJSON struct {
	ID          uuid.UUID            `json:"id"`
	Topic       *string              `json:"topic"`
	Question    string               `json:"question"`
	PublishedAt time.Time            `json:"published_at"`
	Answers     []questionAnswerJSON `json:"answers"`
}

// answers answers GET /api/v1/answers?topic=&cursor=&limit=.
func (h *publicQuestions) answers(c *gin.Context) {
	in := questions.PublishedQuery{Topic: c.Query("topic"), Cursor: c.Query("cursor")}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
				FieldError{Field: "limit", Message: "must be a positive integer"})
			return
		}
		in.Limit = n
	}
	page, err := h.questions.Published(c.Request.Context(), in)
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]publishedQuestionJSON, 0, len(page.Items))
	for _, p := range page.Items {
		q := p.Question
		text := ""
		if q.PublicText != nil { // always set: only questions with a public text are listed
			text = *q.PublicText
		}
		items = append(items, publishedQuestionJSON{
			ID: q.ID, Topic: q.TopicCode, Question: text, PublishedAt: p.PublishedAt.UTC(), Answers: newQuestionAnswersJSON(&q),
		})
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}
