package yookassa

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels for YooKassa's error codes; an *APIError matches the one for its code with errors.Is.
var (
	ErrInvalidRequest      = errors.New("yookassa: invalid_request")
	ErrInvalidCredentials  = errors.New("yookassa: invalid_credentials")
	ErrForbidden           = errors.New("yookassa: forbidden")
	ErrNotFound            = errors.New("yookassa: not_found")
	ErrTooManyRequests     = errors.New("yookassa: too_many_requests")
	ErrInternalServerError = errors.New("yookassa: internal_server_error")
)

// ErrProcessing reports that YooKassa still answered 202 "processing" when the retries ran out.
var ErrProcessing = errors.New("yookassa: request still processing")

// ErrInvalidInput reports a request this client refuses to send (missing key, bad amount, ...).
var ErrInvalidInput = errors.New("yookassa: invalid input")

var codeSentinels = map[string]error{
	"invalid_request":       ErrInvalidRequest,
	"invalid_credentials":   ErrInvalidCredentials,
	"forbidden":             ErrForbidden,
	"not_found":             ErrNotFound,
	"too_many_requests":     ErrTooManyRequests,
	"internal_server_error": ErrInternalServerError,
}

// statusCodes names the code YooKassa uses for a status, for error bodies that lack one.
var statusCodes = map[int]string{
	http.StatusBadRequest:          "invalid_request",
	http.StatusUnauthorized:        "invalid_credentials",
	http.StatusForbidden:           "forbidden",
	http.StatusNotFound:            "not_found",
	http.StatusTooManyRequests:     "too_many_requests",
	http.StatusInternalServerError: "internal_server_error",
}

// APIError is an error answer of the API: the HTTP status and the body's fields.
type APIError struct {
	Status      int
	Type        string
	ID          string
	Code        string
	Description string
	Parameter   string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "yookassa: HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Parameter != "" {
		b.WriteString(" (parameter " + e.Parameter + ")")
	}
	if e.ID != "" {
		b.WriteString(" [error id " + e.ID + "]")
	}
	return b.String()
}

// Is matches the sentinel of the error's code (or of its status when the body had no code).
func (e *APIError) Is(target error) bool {
	code := e.Code
	if code == "" {
		code = statusCodes[e.Status]
	}
	s, ok := codeSentinels[code]
	return ok && s == target
}

// Temporary reports whether YooKassa asks for the same request to be sent again (5xx).
func (e *APIError) Temporary() bool { return e.Status >= http.StatusInternalServerError }
