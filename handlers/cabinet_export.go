package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
)

// This file: client cabinet — data export: request an archive of everything held about the client
// (POST /api/v1/me/export), follow its progress (GET /api/v1/me/export) and download it once with
// the emailed token (GET /api/v1/me/export/download?token=..., with the session as well).

// DataExports is the data export's use cases; *export.Exports is one.
type DataExports interface {
	Request(ctx context.Context, userID uuid.UUID) (*models.DataExportRequest, bool, error)
	Latest(ctx context.Context, userID uuid.UUID) (*models.DataExportRequest, error)
	Download(ctx context.Context, userID uuid.UUID, token string) ([]byte, error)
}

type cabinetExports struct{ exports DataExports }

// dataExportJSON is a request as its client sees it: never the link (it goes by email only).
type dataExportJSON struct {
	ID          uuid.UUID               `json:"id"`
	Status      models.DataExportStatus `json:"status"`
	RequestedAt time.Time               `json:"requested_at"`
	StartedAt   *time.Time              `json:"started_at"`
	ReadyAt     *time.Time              `json:"ready_at"`
	ExpiresAt   *time.Time              `json:"expires_at"`
}

func newDataExportJSON(x *models.DataExportRequest) dataExportJSON {
	v := dataExportJSON{ID: x.ID, Status: x.Status, RequestedAt: x.RequestedAt.UTC(), StartedAt: utcPtr(x.StartedAt)}
	if x.Status == models.DataExportStatusReady || x.Status == models.DataExportStatusExpired {
		v.ReadyAt, v.ExpiresAt = utcPtr(x.CompletedAt), utcPtr(x.ExpiresAt)
	}
	return v
}

// request answers POST /api/v1/me/export: 202 with the new request, or with the open one when
// the client already has one (nothing more is queued).
func (h *cabinetExports) request(c *gin.Context) {
	u := currentClient(c)
	x, _, err := h.exports.Request(c.Request.Context(), u.ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusAccepted, newDataExportJSON(x))
}

// latest answers GET /api/v1/me/export: the newest request's progress; 404 when none.
func (h *cabinetExports) latest(c *gin.Context) {
	x, err := h.exports.Latest(c.Request.Context(), currentClient(c).ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newDataExportJSON(x))
}

// exportTokenLen is the length of a download token (crypto.NewToken: 43 url-safe characters).
const exportTokenLen = 43

func validExportToken(s string) bool {
	if len(s) != exportTokenLen {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}

// download answers GET /api/v1/me/export/download?token=...: the zip archive, once. Another
// client's token, a used or expired one is 404.
func (h *cabinetExports) download(c *gin.Context) {
	token := c.Query("token")
	if !validExportToken(token) {
		respondError(c, &models.ValidationError{Field: "token", Message: "must be the 43-character token from the email"})
		return
	}
	body, err := h.exports.Download(c.Request.Context(), currentClient(c).ID, token)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="balance-data.zip"`)
	c.Data(http.StatusOK, "application/zip", body)
}
