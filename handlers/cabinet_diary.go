package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/service/diary"
)

// This file: the client's private diary in the cabinet (/api/v1/me/diary...). Only the author
// reads an entry: another client's id is a 404, as an id that never existed.

// Diary is what the diary routes need; *diary.Diary is one.
type Diary interface {
	Write(ctx context.Context, userID uuid.UUID, in diary.Input) (*models.DiaryEntry, error)
	List(ctx context.Context, userID uuid.UUID, in diary.Query) (*diary.ListPage, error)
	Get(ctx context.Context, userID, id uuid.UUID) (*models.DiaryEntry, error)
	Edit(ctx context.Context, userID, id uuid.UUID, in diary.Input) (*models.DiaryEntry, error)
	Delete(ctx context.Context, userID, id uuid.UUID) error
	MoodTrend(ctx context.Context, userID uuid.UUID, in diary.TrendQuery) (*diary.Trend, error)
}

type cabinetDiary struct{ diary Diary }

// diaryEntryRequest is an entry as the client writes it (POST and PUT).
type diaryEntryRequest struct {
	Date string   `json:"date" binding:"required"`
	Body string   `json:"body" binding:"required"`
	Mood *int     `json:"mood"`
	Tags []string `json:"tags"`
}

func (r diaryEntryRequest) input() diary.Input {
	return diary.Input{Date: r.Date, Body: r.Body, Mood: r.Mood, Tags: r.Tags}
}

// diaryEntryJSON is one entry as its author reads it.
type diaryEntryJSON struct {
	ID        uuid.UUID `json:"id"`
	Date      string    `json:"date"`
	Body      string    `json:"body"`
	Mood      *int      `json:"mood"`
	Tags      []string  `json:"tags"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newDiaryEntryJSON(e *models.DiaryEntry) diaryEntryJSON {
	tags := e.Tags
	if tags == nil {
		tags = []string{}
	}
	return diaryEntryJSON{
		ID: e.ID, Date: e.EntryDate.UTC().Format(time.DateOnly), Body: e.Body, Mood: e.Mood, Tags: tags,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(),
	}
}

// diaryEntryID reads the {id} path value; a malformed one is a 404, as an unknown id.
func diaryEntryID(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, "not-found", "the resource does not exist")
		return uuid.Nil, false
	}
	return id, true
}

// answerEntry writes one entry; a diary is never cached anywhere.
func answerEntry(c *gin.Context, status int, e *models.DiaryEntry) {
	c.Header("Cache-Control", "no-store")
	c.JSON(status, newDiaryEntryJSON(e))
}

// write answers POST /api/v1/me/diary.
func (h *cabinetDiary) write(c *gin.Context) {
	var req diaryEntryRequest
	if !decodeJSON(c, &req) {
		return
	}
	e, err := h.diary.Write(c.Request.Context(), currentClient(c).ID, req.input())
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Location", "/api/v1/me/diary/"+e.ID.String())
	answerEntry(c, http.StatusCreated, e)
}

// list answers GET /api/v1/me/diary?from=&to=&tag=&cursor=&limit=.
func (h *cabinetDiary) list(c *gin.Context) {
	in := diary.Query{From: c.Query("from"), To: c.Query("to"), Tag: c.Query("tag"), Cursor: c.Query("cursor")}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
				FieldError{Field: "limit", Message: "must be a positive integer"})
			return
		}
		in.Limit = n
	}
	page, err := h.diary.List(c.Request.Context(), currentClient(c).ID, in)
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]diaryEntryJSON, 0, len(page.Items))
	for i := range page.Items {
		items = append(items, newDiaryEntryJSON(&page.Items[i]))
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

// get answers GET /api/v1/me/diary/{id}.
func (h *cabinetDiary) get(c *gin.Context) {
	id, ok := diaryEntryID(c)
	if !ok {
		return
	}
	e, err := h.diary.Get(c.Request.Context(), currentClient(c).ID, id)
	if err != nil {
		respondError(c, err)
		return
	}
	answerEntry(c, http.StatusOK, e)
}

// edit answers PUT /api/v1/me/diary/{id}: the entry is replaced by the request.
func (h *cabinetDiary) edit(c *gin.Context) {
	id, ok := diaryEntryID(c)
	if !ok {
		return
	}
	var req diaryEntryRequest
	if !decodeJSON(c, &req) {
		return
	}
	e, err := h.diary.Edit(c.Request.Context(), currentClient(c).ID, id, req.input())
	if err != nil {
		respondError(c, err)
		return
	}
	answerEntry(c, http.StatusOK, e)
}

// remove answers DELETE /api/v1/me/diary/{id}.
func (h *cabinetDiary) remove(c *gin.Context) {
	id, ok := diaryEntryID(c)
	if !ok {
		return
	}
	if err := h.diary.Delete(c.Request.Context(), currentClient(c).ID, id); err != nil {
		respondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type moodBucketJSON struct {
	Start       string  `json:"start"`
	AverageMood float64 `json:"average_mood"`
	Entries     int     `json:"entries"`
}

// mood answers GET /api/v1/me/diary/mood?from=&to=&bucket=day|week.
func (h *cabinetDiary) mood(c *gin.Context) {
	t, err := h.diary.MoodTrend(c.Request.Context(), currentClient(c).ID,
		diary.TrendQuery{From: c.Query("from"), To: c.Query("to"), Bucket: c.Query("bucket")})
	if err != nil {
		respondError(c, err)
		return
	}
	buckets := make([]moodBucketJSON, 0, len(t.Buckets))
	for _, b := range t.Buckets {
		buckets = append(buckets, moodBucketJSON{Start: b.Start.Format(time.DateOnly), AverageMood: b.Average, Entries: b.Entries})
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{
		"from": t.From.Format(time.DateOnly), "to": t.To.Format(time.DateOnly), "bucket": t.Bucket,
		"mood_min": models.DiaryMoodMin, "mood_max": models.DiaryMoodMax, "buckets": buckets,
	})
}
