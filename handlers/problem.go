package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"

	"balance/models"
	"balance/service/booking"
	"balance/service/bot"
)

// ProblemContentType is the media type of RFC 9457 error responses.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// RequestID lets a user quote the failing request to support.
	RequestID string `json:"request_id,omitempty"`
}

// FieldError explains why one input field was rejected.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemTypeBase prefixes problem type URIs; each names a section of docs/errors.md.
const problemTypeBase = "https://balance.example/problems/"

// problem writes a problem response and stops the handler chain.
func problem(c *gin.Context, status int, slug, detail string, fields ...FieldError) {
	p := Problem{
		Type:      problemTypeBase + slug,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  c.Request.URL.Path,
		Errors:    fields,
		RequestID: c.GetString(requestIDKey),
	}
	body, err := json.Marshal(p)
	if err != nil { // cannot happen for this struct; keep the client informed anyway
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
	}
	c.Abort()
	c.Data(status, ProblemContentType, body)
}

// errorStatus is the one table from domain errors to HTTP answers.
var errorStatus = []struct {
	err    error
	status int
	slug   string
	detail string
}{
	{models.ErrNotFound, http.StatusNotFound, "not-found", "the resource does not exist"},
	{booking.ErrIdempotencyKeyReused, http.StatusUnprocessableEntity, "idempotency-key-reused", "this Idempotency-Key was used with another request body"},
	{booking.ErrIdempotencyInProgress, http.StatusConflict, "idempotency-in-progress", "the first request with this Idempotency-Key is still being processed; retry shortly"},
	{booking.ErrPaymentsDisabled, http.StatusServiceUnavailable, "payments-disabled", "online payment is not configured; paid services cannot be booked"},
	{bot.ErrTelegramUnavailable, http.StatusServiceUnavailable, "telegram-unavailable", "Telegram could not be reached; try again shortly"},
	{booking.ErrPaymentUnavailable, http.StatusBadGateway, "payment-provider-unavailable", "the payment provider could not be reached; nothing was booked, try again"},
	{models.ErrTooLateToCancel, http.StatusConflict, "too-late-to-cancel", "the appointment has started and can no longer be canceled"},
	{models.ErrTooLateToReschedule, http.StatusConflict, "too-late-to-reschedule", "the appointment is too close to its start to be moved"},
	{models.ErrSlotTaken, http.StatusConflict, "slot-taken", "the time slot is no longer available"},
	{models.ErrConflict, http.StatusConflict, "conflict", "the request conflicts with the current state of the resource"},
	{models.ErrInvalidText, http.StatusUnprocessableEntity, "validation", "the request holds text that is not valid UTF-8 or holds a NUL character"},
	{models.ErrInvalidReference, http.StatusUnprocessableEntity, "invalid-reference", "a referenced resource does not exist"},
	{models.ErrInvalidTransition, http.StatusConflict, "invalid-transition", "the resource cannot change to the requested state"},
	{models.ErrInvalidCredentials, http.StatusUnauthorized, "invalid-credentials", "the email or password is incorrect"},
	{models.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "sign in first"},
	{models.ErrTOTPRequired, http.StatusUnauthorized, "totp-required", "finish signing in with your authenticator code first"},
	{models.ErrInvalidTOTPCode, http.StatusUnauthorized, "invalid-code", "the code is wrong, expired or already used"},
	{models.ErrTOTPEnrolled, http.StatusConflict, "totp-enrolled", "two-factor sign-in is already set up for this account"},
	{models.ErrTOTPNotEnrolled, http.StatusConflict, "totp-not-enrolled", "two-factor sign-in is not being set up for this account"},
	{models.ErrForbidden, http.StatusForbidden, "forbidden", "your role does not allow this"},
	{models.ErrUnavailable, http.StatusServiceUnavailable, "database-unavailable", "the database cannot be reached right now; retry after Retry-After seconds"},
}

// unavailableRetryAfter is the Retry-After of database-unavailable, in seconds: about the time
// PostgreSQL takes to restart.
const unavailableRetryAfter = "3"

// respondError maps err through errorStatus; anything unknown is logged and becomes a 500 that
// reveals nothing of the cause. A request whose client went away is recorded as 499.
func respondError(c *gin.Context, err error) {
	if errors.Is(c.Request.Context().Err(), context.Canceled) {
		// net/http cancels the request's context when the client disconnects: whatever failed
		// then, nobody waits for the answer, and the server is not at fault.
		logger(c).InfoContext(c.Request.Context(), "client went away", "error", err.Error())
		c.AbortWithStatus(StatusClientClosedRequest)
		return
	}
	if errors.Is(err, models.ErrUnavailable) {
		logger(c).WarnContext(c.Request.Context(), "database unavailable", "error", err.Error())
		c.Header("Retry-After", unavailableRetryAfter)
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: ve.Field, Message: ve.Message})
		return
	}
	for _, e := range errorStatus {
		if errors.Is(err, e.err) {
			problem(c, e.status, e.slug, e.detail)
			return
		}
	}
	logger(c).ErrorContext(c.Request.Context(), "request failed", "error", err.Error())
	problem(c, http.StatusInternalServerError, "internal", "an unexpected error occurred; quote the request id to support")
}

// decodeJSON reads a JSON body into dst (unknown fields rejected) and validates its `binding`
// tags. On failure it writes the problem response and returns false.
func decodeJSON(c *gin.Context, dst any) bool {
	if ct := c.ContentType(); ct != "application/json" {
		problem(c, http.StatusUnsupportedMediaType, "unsupported-media-type", "send the body as application/json")
		return false
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		decodeProblem(c, err)
		return false
	}
	if field, ok := badJSONText(body); !ok {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: field, Message: badTextMessage})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		decodeProblem(c, err)
		return false
	}
	if dec.More() {
		problem(c, http.StatusBadRequest, "malformed-json", "the body holds more than one JSON value")
		return false
	}
	if err := binding.Validator.ValidateStruct(dst); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			respondError(c, err)
			return false
		}
		fields := make([]FieldError, 0, len(verrs))
		for _, fe := range verrs {
			fields = append(fields, FieldError{Field: fieldPath(fe), Message: validationMessage(fe)})
		}
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
		return false
	}
	return true
}

func decodeProblem(c *gin.Context, err error) {
	var (
		maxErr    *http.MaxBytesError
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &maxErr):
		problem(c, http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the body exceeds %d bytes", maxErr.Limit))
	case errors.As(err, &typeErr):
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: typeErr.Field, Message: "must be a " + jsonKind(typeErr.Type)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: field, Message: "is not a known field"})
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		problem(c, http.StatusBadRequest, "malformed-json", "the body is not valid JSON")
	case errors.Is(err, io.EOF):
		problem(c, http.StatusBadRequest, "malformed-json", "the body is empty")
	default:
		problem(c, http.StatusBadRequest, "malformed-json", "the body could not be read as JSON")
	}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// fieldPath turns "loginRequest.client.email" into "client.email" (JSON names, see init).
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		return ns[i+1:]
	}
	return ns
}

func validationMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "email":
		return "must be an email address"
	case "min":
		return "must be at least " + fe.Param() + " long"
	case "max":
		return "must be at most " + fe.Param() + " long"
	case "oneof":
		return "must be one of " + strings.ReplaceAll(fe.Param(), " ", ", ")
	default:
		return "is invalid (" + fe.Tag() + ")"
	}
}

func init() {
	// Report fields by their JSON names.
	if v, ok := binding.Validator.Engine().(*validator.Validate); ok {
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			if name == "" {
				return f.Name
			}
			return name
		})
	}
}
