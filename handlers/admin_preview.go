package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/service/admin"
	"balance/service/content"
)

// TemplatePreviewer renders a message template with sample data; *admin.Records is one.
type TemplatePreviewer interface {
	PreviewTemplate(ctx context.Context, actor admin.Actor, id uuid.UUID, body map[string]any) (admin.TemplatePreview, error)
}

// mountPreviews adds the previews staff see before they save: Markdown rendered as the site shows
// it, and, when records can render them, message templates with sample data. Nothing is saved
// or audited; the CSRF check of signedIn still applies (they are POSTs with a body).
func mountPreviews(staff *gin.RouterGroup, records AdminRecords) {
	staff.POST("/preview/markdown", previewMarkdown)
	if p, ok := records.(TemplatePreviewer); ok {
		staff.POST("/message_templates/:id/preview", previewTemplate(p))
	}
}

// previewMarkdown answers POST /admin/api/preview/markdown {"markdown": "..."} with the sanitised
// HTML and the reading time.
func previewMarkdown(c *gin.Context) {
	var body struct {
		Markdown *string `json:"markdown"`
	}
	if !decodeJSON(c, &body) {
		return
	}
	if body.Markdown == nil {
		respondAdminError(c, &admin.InputError{Fields: map[string]string{"markdown": "обязательное поле"}})
		return
	}
	r, err := content.Render(*body.Markdown)
	if errors.Is(err, content.ErrTooLong) {
		respondAdminError(c, &admin.InputError{Fields: map[string]string{
			"markdown": fmt.Sprintf("текст длиннее %d байт — сократите его", content.MaxMarkdownBytes)}})
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"html": r.HTML, "reading_minutes": r.ReadingMinutes})
}

// previewTemplate answers POST /admin/api/message_templates/{id}/preview, optionally with unsaved
// subject, body_text and body_html, with the message rendered from its key's sample data.
func previewTemplate(p TemplatePreviewer) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := recordID(c)
		if !ok {
			return
		}
		var body map[string]any // the stored template alone may come without a body
		if c.Request.ContentLength != 0 && !decodeJSON(c, &body) {
			return
		}
		r, err := p.PreviewTemplate(c.Request.Context(), staffActor(c), id, body)
		if err != nil {
			respondAdminError(c, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, r)
	}
}
