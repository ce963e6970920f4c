package handlers

// This file: the cabinet's "my appointments, self-help results and consents" — the signed-in
// client's bookings (listed, canceled, moved, their intake forms), their self-help runs (results
// only) and their consents (seen, communications and Telegram withdrawn).

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/service/booking"
	"balance/service/identity"
	"balance/service/interactive"
)

// MyBookings is what the cabinet does with the client's own bookings; *booking.Bookings is one.
// Each call checks that the booking is the client's (models.ErrNotFound otherwise) and then runs
// what the manage link runs.
type MyBookings interface {
	ClientAppointments(ctx context.Context, userID uuid.UUID, upcoming bool, limit, offset int) ([]models.Appointment, error)
	RefundIfCanceledNow(a *models.Appointment) int64
	CancelOwn(ctx context.Context, userID, id uuid.UUID, reason string) (*booking.CancelResult, error)
	RescheduleOwn(ctx context.Context, userID, id uuid.UUID, newStart time.Time) (*models.Appointment, error)
	SaveOwnIntakeForm(ctx context.Context, userID, id uuid.UUID, answers models.IntakeAnswers, submit bool) (*models.IntakeForm, error)
	OwnIntakeForm(ctx context.Context, userID, id uuid.UUID) (*models.IntakeForm, error)
}

// MyRuns lists the client's self-help runs; *interactive.History is one.
type MyRuns interface {
	Of(ctx context.Context, userID uuid.UUID, limit, offset int) ([]interactive.View, error)
}

// MyConsents shows and withdraws the client's consents; *identity.Clients is one.
type MyConsents interface {
	Consents(ctx context.Context, userID uuid.UUID) ([]models.Consent, error)
	RevokeConsent(ctx context.Context, userID uuid.UUID, t models.ConsentType) ([]models.Consent, error)
}

type myCabinet struct {
	bookings MyBookings
	runs     MyRuns
	consents MyConsents
}

// Cabinet lists are paged with limit (1–100, 20 when absent) and offset.
const (
	myDefaultLimit = 20
	myMaxLimit     = 100
)

// myPage reads limit and offset, answering 422 naming a bad one.
func myPage(c *gin.Context) (limit, offset int, ok bool) {
	var fields []FieldError
	limit = myDefaultLimit
	if _, given := c.GetQuery("limit"); given {
		limit = queryInt(c, "limit", &fields)
	}
	offset = queryInt(c, "offset", &fields)
	if len(fields) == 0 && (limit < 1 || limit > myMaxLimit) {
		fields = append(fields, FieldError{Field: "limit", Message: "must be from 1 to 100"})
	}
	if len(fields) == 0 && offset < 0 {
		fields = append(fields, FieldError{Field: "offset", Message: "must be at least 0"})
	}
	if len(fields) > 0 {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
		return 0, 0, false
	}
	return limit, offset, true
}

// myPageJSON is a list's items and where the next page starts (null on the last page).
type myPageJSON[T any] struct {
	Items      []T  `json:"items"`
	NextOffset *int `json:"next_offset"`
}

func newMyPage[T any](items []T, limit, offset int) myPageJSON[T] {
	out := myPageJSON[T]{Items: items}
	if len(items) == limit {
		n := offset + limit
		out.NextOffset = &n
	}
	return out
}

// appointments answers GET /api/v1/me/appointments?when=upcoming|past&limit=&offset=.
func (h *myCabinet) appointments(c *gin.Context) {
	upcoming := true
	switch c.DefaultQuery("when", "upcoming") {
	case "upcoming":
	case "past":
		upcoming = false
	default:
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: "when", Message: "must be upcoming or past"})
		return
	}
	limit, offset, ok := myPage(c)
	if !ok {
		return
	}
	me := currentClient(c)
	list, err := h.bookings.ClientAppointments(c.Request.Context(), me.ID, upcoming, limit, offset)
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]bookingJSON, 0, len(list))
	for i := range list {
		items = append(items, newBookingJSON(&list[i], h.bookings.RefundIfCanceledNow))
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newMyPage(items, limit, offset))
}

// cancel answers POST /api/v1/me/appointments/{id}/cancel; the body is optional.
func (h *myCabinet) cancel(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	var req cancelRequest
	if c.Request.ContentLength != 0 && !decodeJSON(c, &req) {
		return
	}
	res, err := h.bookings.CancelOwn(c.Request.Context(), currentClient(c).ID, id, req.Reason)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newCanceledJSON(res, h.bookings.RefundIfCanceledNow))
}

// reschedule answers POST /api/v1/me/appointments/{id}/reschedule with the new booking.
func (h *myCabinet) reschedule(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	var req rescheduleRequest
	if !decodeJSON(c, &req) {
		return
	}
	start, ok := parseInstant(c, req.Start)
	if !ok {
		return
	}
	a, err := h.bookings.RescheduleOwn(c.Request.Context(), currentClient(c).ID, id, start)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Location", "/api/v1/me/appointments/"+a.ID.String())
	c.JSON(http.StatusOK, newBookingJSON(a, h.bookings.RefundIfCanceledNow))
}

// getIntake answers GET /api/v1/me/appointments/{id}/intake-form.
func (h *myCabinet) getIntake(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	f, err := h.bookings.OwnIntakeForm(c.Request.Context(), currentClient(c).ID, id)
	answerIntake(c, f, err)
}

// putIntake answers PUT /api/v1/me/appointments/{id}/intake-form.
func (h *myCabinet) putIntake(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	req, ok := decodeIntake(c)
	if !ok {
		return
	}
	f, err := h.bookings.SaveOwnIntakeForm(c.Request.Context(), currentClient(c).ID, id, req.Answers, req.Submit)
	answerIntake(c, f, err)
}

// toolRuns answers GET /api/v1/me/tool-runs?limit=&offset=: results only, never answers.
func (h *myCabinet) toolRuns(c *gin.Context) {
	limit, offset, ok := myPage(c)
	if !ok {
		return
	}
	views, err := h.runs.Of(c.Request.Context(), currentClient(c).ID, limit, offset)
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]toolRunJSON, 0, len(views))
	for _, v := range views {
		out := newToolRunJSON(v.Run)
		if v.Run.Status == models.InteractiveRunStatusCompleted {
			out.Result = newToolResultJSON(v.Run, v.Recommendations, v.Crisis)
		}
		items = append(items, out)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newMyPage(items, limit, offset))
}

// consentJSON is one grant of a consent.
type consentJSON struct {
	Type      string     `json:"type"`
	Granted   bool       `json:"granted"`
	Version   string     `json:"version"`
	Source    string     `json:"source"`
	GrantedAt time.Time  `json:"granted_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// consentStateJSON is whether a consent holds now, and since when by which version.
type consentStateJSON struct {
	Type      string     `json:"type"`
	Active    bool       `json:"active"`
	Version   *string    `json:"version"`
	GrantedAt *time.Time `json:"granted_at"`
}

type consentsJSON struct {
	Current []consentStateJSON `json:"current"`
	History []consentJSON      `json:"history"`
}

// myConsentTypes are the consents the cabinet shows, in this order.
var myConsentTypes = []models.ConsentType{
	models.ConsentPersonalData, models.ConsentCommunications, models.ConsentTelegram, models.ConsentReviewPublication,
}

func newConsentsJSON(all []models.Consent) consentsJSON {
	u := models.User{Consents: all}
	out := consentsJSON{Current: []consentStateJSON{}, History: []consentJSON{}}
	for _, t := range myConsentTypes {
		s := consentStateJSON{Type: string(t)}
		if k := u.ActiveConsent(t); k != nil {
			at := k.GrantedAt.UTC()
			s.Active, s.Version, s.GrantedAt = true, &k.Version, &at
		}
		out.Current = append(out.Current, s)
	}
	// Newest first.
	for i := len(all) - 1; i >= 0; i-- {
		k := all[i]
		out.History = append(out.History, consentJSON{
			Type: string(k.Type), Granted: k.Granted, Version: k.Version, Source: k.Source,
			GrantedAt: k.GrantedAt.UTC(), RevokedAt: utcPtr(k.RevokedAt),
		})
	}
	return out
}

// listConsents answers GET /api/v1/me/consents.
func (h *myCabinet) listConsents(c *gin.Context) {
	all, err := h.consents.Consents(c.Request.Context(), currentClient(c).ID)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newConsentsJSON(all))
}

// revokeConsent answers POST /api/v1/me/consents/{type}/revoke.
func (h *myCabinet) revokeConsent(c *gin.Context) {
	t, err := models.ParseConsentType(c.Param("type"))
	if err != nil {
		problem(c, http.StatusNotFound, "not-found", "the resource does not exist")
		return
	}
	all, err := h.consents.RevokeConsent(c.Request.Context(), currentClient(c).ID, t)
	if errors.Is(err, identity.ErrConsentNeedsDeletion) {
		problem(c, http.StatusConflict, "consent-needs-account-deletion",
			"the personal data consent can only be withdrawn by deleting the account (DELETE /api/v1/me)")
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newConsentsJSON(all))
}
