package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// DeliveryLog lists the notification delivery log; *repository.Deliveries is one.
type DeliveryLog interface {
	List(ctx context.Context, status models.DeliveryStatus, page repository.Page) ([]models.NotificationDelivery, error)
	Count(ctx context.Context, status models.DeliveryStatus) (int64, error)
}

// deliveriesPageMax is the largest page of deliveries one request returns.
const deliveriesPageMax = 100

// deliveriesAdmin serves GET /admin/api/notification-deliveries, kept as it was for the clients
// that use it; the registry's notification_deliveries resource serves the same log the generated
// way.
type deliveriesAdmin struct{ log DeliveryLog }

// deliveryResponse is a delivery as the admin panel shows it: whom (a reference), what template,
// how it went — never the message.
type deliveryResponse struct {
	ID                uuid.UUID  `json:"id"`
	Channel           string     `json:"channel"`
	TemplateKey       string     `json:"template_key"`
	RecipientRef      string     `json:"recipient_ref"`
	SubjectID         *uuid.UUID `json:"subject_id"`
	Status            string     `json:"status"`
	Attempts          int        `json:"attempts"`
	LastError         *string    `json:"last_error"`
	ProviderMessageID *string    `json:"provider_message_id"`
	SentAt            *time.Time `json:"sent_at"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// list answers GET /admin/api/notification-deliveries in react-admin's simple REST dialect:
// ?filter={"status":"failed"}&range=[0,24], newest first, the total in Content-Range.
func (h *deliveriesAdmin) list(c *gin.Context) {
	var fields []FieldError
	var filter struct {
		Status models.DeliveryStatus `json:"status"`
	}
	if raw, ok := c.GetQuery("filter"); ok {
		if err := json.Unmarshal([]byte(raw), &filter); err != nil {
			fields = append(fields, FieldError{Field: "filter", Message: `must be a JSON object such as {"status":"failed"}`})
		}
	}
	switch filter.Status {
	case "", models.DeliveryPending, models.DeliverySent, models.DeliveryFailed, models.DeliverySkipped:
	default:
		fields = append(fields, FieldError{Field: "filter.status", Message: "must be pending, sent, failed or skipped"})
	}
	first, last := 0, deliveriesPageMax-1
	if raw, ok := c.GetQuery("range"); ok {
		var r []int
		if err := json.Unmarshal([]byte(raw), &r); err != nil || len(r) != 2 || r[0] < 0 || r[1] < r[0] {
			fields = append(fields, FieldError{Field: "range", Message: "must be a JSON array [first, last] of non-negative integers"})
		} else {
			first, last = r[0], min(r[1], r[0]+deliveriesPageMax-1)
		}
	}
	if len(fields) > 0 {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
		return
	}
	ctx := c.Request.Context()
	total, err := h.log.Count(ctx, filter.Status)
	if err != nil {
		respondError(c, err)
		return
	}
	page, err := h.log.List(ctx, filter.Status, repository.Page{Limit: last - first + 1, Offset: first})
	if err != nil {
		respondError(c, err)
		return
	}
	out := make([]deliveryResponse, 0, len(page))
	for _, d := range page {
		out = append(out, deliveryResponse{
			ID: d.ID, Channel: string(d.Channel), TemplateKey: d.TemplateKey, RecipientRef: d.RecipientRef,
			SubjectID: d.SubjectID, Status: string(d.Status), Attempts: d.Attempts, LastError: d.LastError,
			ProviderMessageID: d.ProviderMessageID, SentAt: utcPtr(d.SentAt), CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		})
	}
	if len(out) == 0 {
		c.Header(contentRangeHeader, fmt.Sprintf("notification-deliveries */%d", total))
	} else {
		c.Header(contentRangeHeader, fmt.Sprintf("notification-deliveries %d-%d/%d", first, first+len(out)-1, total))
	}
	c.Header(totalCountHeader, strconv.FormatInt(total, 10))
	c.Header("Access-Control-Expose-Headers", totalCountHeader+", "+contentRangeHeader)
	c.JSON(http.StatusOK, out)
}
