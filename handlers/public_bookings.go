package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/service/booking"
)

// Bookings is the public booking API's use cases; *booking.Bookings is one.
type Bookings interface {
	Book(ctx context.Context, in booking.BookingInput) (*booking.BookingResult, error)
	Manage(ctx context.Context, id uuid.UUID, token string) (*models.Appointment, error)
	RefundIfCanceledNow(a *models.Appointment) int64
	Cancel(ctx context.Context, id uuid.UUID, token, reason string) (*booking.CancelResult, error)
	Reschedule(ctx context.Context, id uuid.UUID, token string, newStart time.Time) (*models.Appointment, error)
	SaveIntakeForm(ctx context.Context, id uuid.UUID, token string, answers models.IntakeAnswers, submit bool) (*models.IntakeForm, error)
	IntakeForm(ctx context.Context, id uuid.UUID, token string) (*models.IntakeForm, error)
	JoinWaitlist(ctx context.Context, in booking.WaitlistInput) (*models.WaitlistEntry, error)
}

// Headers of the booking API.
const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	headerManageToken    = "X-Manage-Token"
)

type publicBookings struct {
	bookings Bookings
}

type clientBody struct {
	Name  string `json:"name" binding:"required,max=200"`
	Email string `json:"email" binding:"required,max=254"`
	Phone string `json:"phone" binding:"max=32"`
}

type consentBody struct {
	Type    string `json:"type" binding:"required,oneof=personal_data communications"`
	Version string `json:"version" binding:"required,max=64"`
}

type metadataBody struct {
	EntryPoint string            `json:"entry_point" binding:"max=100"`
	TopicCode  string            `json:"topic_code" binding:"max=100"`
	DeepLinkID *uuid.UUID        `json:"deep_link_id"`
	UTM        map[string]string `json:"utm" binding:"max=5,dive,keys,oneof=source medium campaign content term,endkeys,max=256"`
}

type bookingRequest struct {
	ServiceSlug string        `json:"service_slug" binding:"required,max=100"`
	Start       string        `json:"start" binding:"required,max=64"`
	Format      string        `json:"format" binding:"required,oneof=online offline"`
	Timezone    string        `json:"timezone" binding:"max=64"`
	Client      clientBody    `json:"client" binding:"required"`
	Consents    []consentBody `json:"consents" binding:"required,min=1,max=5,dive"`
	Metadata    *metadataBody `json:"metadata"`
}

type paymentJSON struct {
	ID              uuid.UUID `json:"id"`
	Status          string    `json:"status"`
	Amount          moneyJSON `json:"amount"`
	Refunded        moneyJSON `json:"refunded"`
	ConfirmationURL *string   `json:"confirmation_url"`
}

type intakeSummaryJSON struct {
	Status      string     `json:"status"`
	SubmittedAt *time.Time `json:"submitted_at"`
}

type bookingJSON struct {
	ID            uuid.UUID          `json:"id"`
	Status        string             `json:"status"`
	ServiceSlug   string             `json:"service_slug"`
	ServiceTitle  string             `json:"service_title"`
	Start         string             `json:"start"`
	End           string             `json:"end"`
	StartLocal    string             `json:"start_local"`
	EndLocal      string             `json:"end_local"`
	Timezone      string             `json:"timezone"`
	Format        string             `json:"format"`
	HoldExpiresAt *time.Time         `json:"hold_expires_at"`
	CanceledAt    *time.Time         `json:"canceled_at"`
	Payment       *paymentJSON       `json:"payment"`
	IntakeForm    *intakeSummaryJSON `json:"intake_form"`
	// RefundIfCanceled is what canceling now would refund (null when nothing is paid).
	RefundIfCanceled *moneyJSON `json:"refund_if_canceled"`
	// ManageToken is shown only in the answer that created the booking.
	ManageToken string `json:"manage_token,omitempty"`
}

func (h *publicBookings) bookingJSON(a *models.Appointment) bookingJSON {
	return newBookingJSON(a, h.bookings.RefundIfCanceledNow)
}

// newBookingJSON renders a booking for its client; refundNow is what canceling it now would refund.
func newBookingJSON(a *models.Appointment, refundNow func(*models.Appointment) int64) bookingJSON {
	loc := time.UTC
	if zone, err := models.ParseTimeZone("timezone", a.Timezone); err == nil { // from the zone cache
		loc = zone.Location()
	}
	out := bookingJSON{
		ID: a.ID, Status: string(a.Status), Timezone: a.Timezone, Format: string(a.Format),
		Start: a.StartAt.UTC().Format(time.RFC3339), End: a.EndAt.UTC().Format(time.RFC3339),
		StartLocal: a.StartAt.In(loc).Format(time.RFC3339), EndLocal: a.EndAt.In(loc).Format(time.RFC3339),
		HoldExpiresAt: utcPtr(a.HoldExpiresAt), CanceledAt: utcPtr(a.CanceledAt),
	}
	if a.Service != nil {
		out.ServiceSlug, out.ServiceTitle = a.Service.Slug, a.Service.Title
	}
	if n := len(a.Payments); n > 0 {
		p := a.Payments[n-1]
		out.Payment = &paymentJSON{
			ID: p.ID, Status: string(p.Status), Amount: newMoneyJSON(p.Amount()),
			Refunded: newMoneyJSON(models.Money{Minor: p.RefundedMinor, Currency: p.Currency}),
		}
		if p.Status == models.PaymentStatusPending {
			out.Payment.ConfirmationURL = p.ConfirmationURL
		}
		if p.RefundableMinor() > 0 && a.Status == models.AppointmentStatusConfirmed {
			m := newMoneyJSON(models.Money{Minor: refundNow(a), Currency: p.Currency})
			out.RefundIfCanceled = &m
		}
	}
	if f := a.IntakeForm; f != nil {
		out.IntakeForm = &intakeSummaryJSON{Status: string(f.Status), SubmittedAt: utcPtr(f.SubmittedAt)}
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// book answers POST /api/v1/bookings.
func (h *publicBookings) book(c *gin.Context) {
	var req bookingRequest
	if !decodeJSON(c, &req) {
		return
	}
	start, ok := parseInstant(c, req.Start)
	if !ok {
		return
	}
	client, err := models.ParseClientContact(req.Client.Name, req.Client.Email, req.Client.Phone)
	if err != nil {
		respondError(c, err)
		return
	}
	format, err := models.ParseAppointmentFormat(req.Format)
	if err != nil {
		respondError(c, err)
		return
	}
	zone, err := clientZone(req.Timezone)
	if err != nil {
		respondError(c, err)
		return
	}
	in := booking.BookingInput{
		ServiceSlug: req.ServiceSlug, Start: start, Timezone: zone, Format: format, Client: client,
		IdempotencyKey: c.GetHeader(headerIdempotencyKey),
	}
	for _, k := range req.Consents {
		in.Consents = append(in.Consents, booking.ConsentInput{Type: models.ConsentType(k.Type), Version: k.Version})
	}
	if m := req.Metadata; m != nil {
		in.Metadata = models.AppointmentMetadata{EntryPoint: m.EntryPoint, TopicCode: m.TopicCode, DeepLinkID: m.DeepLinkID, UTM: m.UTM}
	}
	if in.IdempotencyKey != "" {
		// The decoded request, re-encoded, identifies the body whatever its spacing or key order.
		canonical, err := json.Marshal(req)
		if err != nil {
			respondError(c, err)
			return
		}
		sum := sha256.Sum256(canonical)
		in.RequestHash = hex.EncodeToString(sum[:])
	}
	res, err := h.bookings.Book(c.Request.Context(), in)
	if err != nil {
		respondError(c, err)
		return
	}
	out := h.bookingJSON(res.Appointment)
	out.ManageToken = res.ManageToken
	if res.Replayed {
		c.Header(headerReplayed, "true")
	}
	c.Header("Location", "/api/v1/bookings/"+res.Appointment.ID.String())
	c.JSON(http.StatusCreated, out)
}

// clientZone parses the "timezone" a client sent; none (the zero TimeZone) means the service's.
func clientZone(name string) (models.TimeZone, error) {
	if name == "" {
		return models.TimeZone{}, nil
	}
	return models.ParseTimeZone("timezone", name)
}

// bookingID reads the {id} path parameter; a malformed one is simply not found.
func bookingID(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		problem(c, http.StatusNotFound, "not-found", "the resource does not exist")
		return uuid.Nil, false
	}
	return id, true
}

// get answers GET /api/v1/bookings/{id} (X-Manage-Token).
func (h *publicBookings) get(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	a, err := h.bookings.Manage(c.Request.Context(), id, c.GetHeader(headerManageToken))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, h.bookingJSON(a))
}

type cancelRequest struct {
	Reason string `json:"reason" binding:"max=1000"`
}

// cancel answers POST /api/v1/bookings/{id}/cancel (X-Manage-Token); the body is optional.
func (h *publicBookings) cancel(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	var req cancelRequest
	if c.Request.ContentLength != 0 && !decodeJSON(c, &req) {
		return
	}
	res, err := h.bookings.Cancel(c.Request.Context(), id, c.GetHeader(headerManageToken), req.Reason)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newCanceledJSON(res, h.bookings.RefundIfCanceledNow))
}

// canceledJSON is a canceled booking with what its cancellation refunds.
type canceledJSON struct {
	bookingJSON
	Refund *moneyJSON `json:"refund"`
}

func newCanceledJSON(res *booking.CancelResult, refundNow func(*models.Appointment) int64) canceledJSON {
	out := canceledJSON{bookingJSON: newBookingJSON(res.Appointment, refundNow)}
	if p := res.Appointment.Payments; res.RefundMinor > 0 && len(p) > 0 {
		m := newMoneyJSON(models.Money{Minor: res.RefundMinor, Currency: p[len(p)-1].Currency})
		out.Refund = &m
	}
	return out
}

type rescheduleRequest struct {
	Start string `json:"start" binding:"required,max=64"`
}

// parseInstant reads an RFC 3339 time of the "start" field, answering 422 when it is not one.
func parseInstant(c *gin.Context, raw string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: "start", Message: "must be an RFC 3339 time such as 2026-12-03T07:00:00Z"})
		return time.Time{}, false
	}
	return t.UTC(), true
}

// reschedule answers POST /api/v1/bookings/{id}/reschedule (X-Manage-Token) with the new booking.
func (h *publicBookings) reschedule(c *gin.Context) {
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
	a, err := h.bookings.Reschedule(c.Request.Context(), id, c.GetHeader(headerManageToken), start)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Location", "/api/v1/bookings/"+a.ID.String())
	c.JSON(http.StatusOK, h.bookingJSON(a))
}

type intakeRequest struct {
	Answers models.IntakeAnswers `json:"answers" binding:"required"`
	Submit  bool                 `json:"submit"`
}

// decodeIntake reads an intake form's body and validates its answers, once, here; a refusal is
// answered.
func decodeIntake(c *gin.Context) (intakeRequest, bool) {
	var req intakeRequest
	if !decodeJSON(c, &req) {
		return req, false
	}
	if err := req.Answers.Validate(); err != nil {
		respondError(c, err)
		return req, false
	}
	return req, true
}

type intakeJSON struct {
	Status      string         `json:"status"`
	Answers     map[string]any `json:"answers"`
	SubmittedAt *time.Time     `json:"submitted_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

func newIntakeJSON(f *models.IntakeForm) intakeJSON {
	return intakeJSON{Status: string(f.Status), Answers: f.Payload, SubmittedAt: utcPtr(f.SubmittedAt), UpdatedAt: f.UpdatedAt.UTC()}
}

// putIntake answers PUT /api/v1/bookings/{id}/intake-form (X-Manage-Token).
func (h *publicBookings) putIntake(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	req, ok := decodeIntake(c)
	if !ok {
		return
	}
	f, err := h.bookings.SaveIntakeForm(c.Request.Context(), id, c.GetHeader(headerManageToken), req.Answers, req.Submit)
	answerIntake(c, f, err)
}

// answerIntake answers an intake form request — by the manage token or from the cabinet — with
// the form, never cached, or with the problem err maps to.
func answerIntake(c *gin.Context, f *models.IntakeForm, err error) {
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newIntakeJSON(f))
}

// getIntake answers GET /api/v1/bookings/{id}/intake-form (X-Manage-Token).
func (h *publicBookings) getIntake(c *gin.Context) {
	id, ok := bookingID(c)
	if !ok {
		return
	}
	f, err := h.bookings.IntakeForm(c.Request.Context(), id, c.GetHeader(headerManageToken))
	answerIntake(c, f, err)
}

type waitlistRequest struct {
	ServiceSlug string        `json:"service_slug" binding:"required,max=100"`
	From        string        `json:"from" binding:"omitempty,datetime=2006-01-02"`
	To          string        `json:"to" binding:"omitempty,datetime=2006-01-02"`
	Timezone    string        `json:"timezone" binding:"max=64"`
	Client      clientBody    `json:"client" binding:"required"`
	Consents    []consentBody `json:"consents" binding:"required,min=1,max=5,dive"`
}

// joinWaitlist answers POST /api/v1/waitlist.
func (h *publicBookings) joinWaitlist(c *gin.Context) {
	var req waitlistRequest
	if !decodeJSON(c, &req) {
		return
	}
	client, err := models.ParseClientContact(req.Client.Name, req.Client.Email, req.Client.Phone)
	if err != nil {
		respondError(c, err)
		return
	}
	zone, err := clientZone(req.Timezone)
	if err != nil {
		respondError(c, err)
		return
	}
	in := booking.WaitlistInput{
		ServiceSlug: req.ServiceSlug, From: req.From, To: req.To, Timezone: zone, Client: client,
	}
	for _, k := range req.Consents {
		in.Consents = append(in.Consents, booking.ConsentInput{Type: models.ConsentType(k.Type), Version: k.Version})
	}
	w, err := h.bookings.JoinWaitlist(c.Request.Context(), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{
		"id": w.ID, "status": w.Status, "service_slug": req.ServiceSlug, "timezone": w.Timezone,
		"preferred_from": utcPtr(w.PreferredFrom), "preferred_to": utcPtr(w.PreferredTo),
	})
}
