package gcal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"cloud.google.com/go/auth"
	"google.golang.org/api/googleapi"
)

// ErrInvalidInput reports a request this client refuses to send (nil appointment id, an end not
// after the start, ...). It is permanent.
var ErrInvalidInput = errors.New("gcal: invalid input")

// CalendarError is a per-calendar error of a free/busy answer: Google answered 200 but could not
// read the calendar (not shared with the service account, not found, backend trouble).
type CalendarError struct {
	CalendarID string
	// Reasons are Google's reason codes, such as "notFound" or "internalError".
	Reasons []string
}

func (e *CalendarError) Error() string {
	return fmt.Sprintf("gcal: free/busy of calendar %q: %s", e.CalendarID, strings.Join(e.Reasons, ", "))
}

// transientReasons are Google's reason codes that go away when asked again later.
var transientReasons = map[string]bool{
	"internalError":         true,
	"backendError":          true,
	"rateLimitExceeded":     true,
	"userRateLimitExceeded": true,
	"quotaExceeded":         true,
	"dailyLimitExceeded":    true,
}

// IsPermanent reports whether retrying the failed call cannot help: invalid input, and Google's
// 4xx answers (400, 401, 403, 404, ...) except 408, 429 and 403 rate or quota limits. Network
// errors, timeouts, 5xx and rate limits are transient, and so is any error it does not know.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidInput) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var calErr *CalendarError
	if errors.As(err, &calErr) {
		for _, r := range calErr.Reasons {
			if !transientReasons[r] {
				return true
			}
		}
		return false
	}
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) {
		reasons := make([]string, 0, len(apiErr.Errors))
		for _, item := range apiErr.Errors {
			reasons = append(reasons, item.Reason)
		}
		return permanentStatus(apiErr.Code, reasons)
	}
	// The token endpoint refused the service account (bad key, disabled account) or failed.
	var authErr *auth.Error
	if errors.As(err, &authErr) && authErr.Response != nil {
		return permanentStatus(authErr.Response.StatusCode, nil)
	}
	return false
}

func permanentStatus(code int, reasons []string) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return false
	case code == http.StatusForbidden:
		for _, r := range reasons {
			if transientReasons[r] {
				return false
			}
		}
		return true
	default:
		return code >= 400
	}
}

// hasStatus reports whether err is an answer of the API with one of the codes.
func hasStatus(err error, codes ...int) bool {
	var apiErr *googleapi.Error
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.Code == c {
			return true
		}
	}
	return false
}
