package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/integrations/telegram"
	"balance/models"
	"balance/service/bot"
)

// Bot is the Telegram bot's use cases; *bot.Bot is one.
type Bot interface {
	CreateDeepLink(ctx context.Context, r bot.DeepLinkRequest) (*bot.DeepLink, error)
	HandleUpdate(ctx context.Context, u *telegram.Update) error
}

// SecretChecker compares the webhook's secret header in constant time; *telegram.Client is one.
type SecretChecker interface {
	CheckSecret(header string) bool
}

// maxUpdateBytes bounds a Telegram update; text messages are a few kilobytes.
const maxUpdateBytes = 256 << 10

type telegramHandlers struct {
	bot    Bot
	secret SecretChecker
}

type deepLinkRequest struct {
	Purpose    string            `json:"purpose" binding:"required,oneof=plan booking subscribe"`
	EntryPoint string            `json:"entry_point" binding:"max=128"`
	Payload    map[string]string `json:"payload" binding:"max=16"`
	// BookingID (with the X-Manage-Token header) ties a booking link to the booking's client.
	BookingID *uuid.UUID `json:"booking_id"`
}

// createDeepLink answers POST /api/v1/telegram/deep-links.
func (h *telegramHandlers) createDeepLink(c *gin.Context) {
	var req deepLinkRequest
	if !decodeJSON(c, &req) {
		return
	}
	r := bot.DeepLinkRequest{
		Purpose: models.DeepLinkPurpose(req.Purpose), EntryPoint: req.EntryPoint, Payload: req.Payload,
		ManageToken: c.GetHeader(headerManageToken), RunToken: c.GetHeader(headerRunToken),
	}
	if r.Purpose == models.DeepLinkPurposeBooking {
		if req.BookingID == nil {
			problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
				FieldError{Field: "booking_id", Message: "is required for a booking link"})
			return
		}
		r.BookingID = *req.BookingID
	}
	link, err := h.bot.CreateDeepLink(c.Request.Context(), r)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"code": link.Code, "url": link.URL, "expires_at": link.ExpiresAt.UTC().Format(time.RFC3339)})
}

// webhook answers POST /webhooks/telegram. Only requests carrying our secret token are read —
// checked here, in constant time, with an explicit 401 (the library's own handler would answer
// 200 to a wrong secret). Telegram sends an update again after any answer but 2xx, so 200 means
// handled, or refused for good (malformed, too large, breaking our rules: logged at WARN); only a
// failure worth retrying answers 5xx.
func (h *telegramHandlers) webhook(c *gin.Context) {
	ctx := c.Request.Context()
	if !h.secret.CheckSecret(c.GetHeader("X-Telegram-Bot-Api-Secret-Token")) {
		logger(c).WarnContext(ctx, "telegram webhook with a wrong secret refused", "ip", c.ClientIP())
		problem(c, http.StatusUnauthorized, "unauthenticated", "the secret token is missing or wrong")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, maxUpdateBytes+1))
	if err != nil {
		decodeProblem(c, err)
		return
	}
	if len(raw) > maxUpdateBytes {
		h.refuse(c, 0, fmt.Sprintf("over %d bytes", maxUpdateBytes))
		return
	}
	u, err := telegram.ParseUpdate(raw)
	if err != nil {
		// The reason never quotes the body: it is a person's message.
		var me *telegram.MalformedUpdateError
		if !errors.As(err, &me) {
			me = &telegram.MalformedUpdateError{Reason: "not an update"}
		}
		h.refuse(c, me.UpdateID, me.Reason)
		return
	}
	if err := h.bot.HandleUpdate(ctx, u); err != nil {
		if errors.Is(err, bot.ErrUnacceptableUpdate) {
			h.refuse(c, u.UpdateID, err.Error())
			return
		}
		logger(c).ErrorContext(ctx, "telegram update not handled; Telegram will retry", "update_id", u.UpdateID, "error", err.Error())
		problem(c, http.StatusServiceUnavailable, "retry-later", "the update could not be handled now")
		return
	}
	c.JSON(http.StatusOK, gin.H{"ok": true})
}

// refuse acknowledges an update that can never be accepted, so that Telegram does not send it
// again forever, and logs why (updateID zero: not known).
func (h *telegramHandlers) refuse(c *gin.Context, updateID int64, reason string) {
	args := []any{"reason", reason, "bytes", c.Request.ContentLength}
	if updateID != 0 {
		args = append(args, "update_id", updateID)
	}
	logger(c).WarnContext(c.Request.Context(), "telegram update refused for good; acknowledged so that Telegram does not send it again", args...)
	c.JSON(http.StatusOK, gin.H{"ok": true})
}
