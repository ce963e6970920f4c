package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"balance/models"
	"balance/service/content"
)

// Library is the public library: published content only, anything else is models.ErrNotFound.
// *content.Library is one.
type Library interface {
	Topics(ctx context.Context) ([]models.Topic, error)
	Tags(ctx context.Context) ([]models.Tag, error)
	Articles(ctx context.Context, q content.Query) (content.Page, error)
	Article(ctx context.Context, slug string) (*content.Article, error)
}

type publicContent struct{ library Library }

type topicJSON struct {
	Code        string `json:"code"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

func newTopicJSON(t *models.Topic) *topicJSON {
	if t == nil {
		return nil
	}
	return &topicJSON{Code: t.Code, Title: t.Title, Description: t.Description}
}

type tagJSON struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

func newTagsJSON(tags []models.Tag) []tagJSON {
	out := make([]tagJSON, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagJSON{Slug: t.Slug, Title: t.Title})
	}
	return out
}

// contentItemJSON is an item as a list shows it: no body, the summary only.
type contentItemJSON struct {
	Slug           string     `json:"slug"`
	Type           string     `json:"type"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary"`
	CoverURL       *string    `json:"cover_url"`
	VideoURL       *string    `json:"video_url"`
	Topic          *topicJSON `json:"topic"`
	Tags           []tagJSON  `json:"tags"`
	ReadingMinutes int        `json:"reading_minutes"`
	PublishedAt    string     `json:"published_at"`
}

func newContentItemJSON(it content.Item) contentItemJSON {
	out := contentItemJSON{
		Slug: it.Slug, Type: string(it.Type), Title: it.Title, Summary: it.Summary,
		CoverURL: it.CoverURL, VideoURL: it.VideoURL, Topic: newTopicJSON(it.Topic), Tags: newTagsJSON(it.Tags),
		ReadingMinutes: it.ReadingMinutes,
	}
	if it.PublishedAt != nil {
		out.PublishedAt = it.PublishedAt.UTC().Format(time.RFC3339)
	}
	return out
}

func newContentItemsJSON(items []content.Item) []contentItemJSON {
	out := make([]contentItemJSON, 0, len(items))
	for _, it := range items {
		out = append(out, newContentItemJSON(it))
	}
	return out
}

type articleJSON struct {
	contentItemJSON
	HTML           string            `json:"html"`
	SEOTitle       string            `json:"seo_title"`
	SEODescription string            `json:"seo_description"`
	Related        []contentItemJSON `json:"related"`
}

// topics answers GET /api/v1/topics.
func (h *publicContent) topics(c *gin.Context) {
	topics, err := h.library.Topics(c.Request.Context())
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]*topicJSON, 0, len(topics))
	for i := range topics {
		items = append(items, newTopicJSON(&topics[i]))
	}
	writeCachedJSON(c, http.StatusOK, gin.H{"items": items})
}

// tags answers GET /api/v1/tags.
func (h *publicContent) tags(c *gin.Context) {
	tags, err := h.library.Tags(c.Request.Context())
	if err != nil {
		respondError(c, err)
		return
	}
	writeCachedJSON(c, http.StatusOK, gin.H{"items": newTagsJSON(tags)})
}

// articles answers GET /api/v1/articles?topic=&tag=&type=&q=&cursor=&limit=.
func (h *publicContent) articles(c *gin.Context) {
	q, err := content.ParseQuery(c.Query("topic"), c.Query("tag"), c.Query("type"), c.Query("q"), c.Query("cursor"), c.Query("limit"))
	if err != nil {
		respondError(c, err)
		return
	}
	page, err := h.library.Articles(c.Request.Context(), q)
	if err != nil {
		respondError(c, err)
		return
	}
	var next *string
	if page.Next != nil {
		s := page.Next.String()
		next = &s
	}
	writeCachedJSON(c, http.StatusOK, gin.H{"items": newContentItemsJSON(page.Items), "next_cursor": next})
}

// article answers GET /api/v1/articles/{slug}.
func (h *publicContent) article(c *gin.Context) {
	a, err := h.library.Article(c.Request.Context(), c.Param("slug"))
	if err != nil {
		respondError(c, err)
		return
	}
	writeCachedJSON(c, http.StatusOK, articleJSON{
		contentItemJSON: newContentItemJSON(a.Item), HTML: a.HTML,
		SEOTitle: a.SEOTitle, SEODescription: a.SEODescription, Related: newContentItemsJSON(a.Related),
	})
}
