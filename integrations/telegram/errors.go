package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

var (
	// ErrBlocked reports a 403 answer: the user blocked the bot, deleted their account, or the chat
	// is otherwise closed to it. Sending again cannot succeed; mark the recipient instead.
	ErrBlocked = errors.New("telegram: the user blocked the bot or the chat is unavailable")
	// ErrUnauthorized reports that Telegram rejected the bot token (401, or 404 for a token that
	// does not even route). A configuration error: retrying cannot help.
	ErrUnauthorized = errors.New("telegram: bot token rejected")
	// ErrInvalidInput reports a request this client refuses to send (empty text, no chat, ...).
	ErrInvalidInput = errors.New("telegram: invalid input")
)

// RetryAfterError reports a 429 answer: Telegram asks for no more requests for After.
type RetryAfterError struct {
	Method string
	After  time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("telegram %s: too many requests, retry after %s", e.Method, e.After)
}

// APIError is any other error answer of the Bot API: its error_code and description.
type APIError struct {
	Method      string
	Code        int
	Description string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: HTTP %d: %s", e.Method, e.Code, e.Description)
}

// Is matches ErrBlocked for 403 and ErrUnauthorized for 401 and 404.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBlocked:
		return e.Code == http.StatusForbidden
	case ErrUnauthorized:
		return e.Code == http.StatusUnauthorized || e.Code == http.StatusNotFound
	}
	return false
}

// Temporary reports whether the same request may succeed later: after a 429 (wait for
// RetryAfterError.After), a 5xx, or when no answer arrived at all (network error, timeout). Refused
// requests — a blocked chat, a rejected token, a bad request, invalid input — are not temporary.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	var retry *RetryAfterError
	if errors.As(err, &retry) {
		return true
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code >= http.StatusInternalServerError
	}
	return !errors.Is(err, ErrInvalidInput)
}

// redactedError is an error whose text had the token cut out. It unwraps only to the context error
// behind it, if any: the original error still quotes the token.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact removes every occurrence of secret from err's text. The library already masks the token in
// *url.Error, but an HTTP client's own error may quote the request URL, and the URL holds the token.
func redact(err error, secret string) error {
	msg := err.Error()
	if secret == "" || !strings.Contains(msg, secret) {
		return err
	}
	r := &redactedError{msg: strings.ReplaceAll(msg, secret, masked)}
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, ctxErr) {
			r.cause = ctxErr
		}
	}
	return r
}
