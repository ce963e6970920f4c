// Package gcaltest is an in-process fake of the Google Calendar API v3 and of Google's OAuth 2.0
// token endpoint, on an httptest server that closes when the test ends. It speaks the wire format
// the official Go client uses, so tests exercise the real client and the real JWT-bearer flow:
//
//   - POST /token takes grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and an RS256
//     assertion, checks its signature with the public half of the key CredentialsFile generated,
//     its iss, aud (this endpoint), scope (calendar) and lifetime, and issues an access token;
//   - every API call must carry one of those tokens as a Bearer token, or it gets 401;
//   - POST {root}freeBusy answers the busy blocks (AddBusy, and the live events that are not
//     transparent) overlapping the window, merged and written in the calendar's zone offset, and
//     a notFound error for any other calendar;
//   - POST {root}calendars/{id}/events inserts (409 when the id exists, deleted or not),
//     PATCH …/events/{eventId} updates the fields sent, DELETE …/events/{eventId} deletes
//     (404 unknown, 410 already deleted).
//
// Errors come in Google's JSON error format. FailNext, RateLimitNext and FailTokenNext inject
// failures; Events, Requests and TokensIssued show what happened.
package gcaltest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// DefaultCalendarID is the calendar the fake serves.
	DefaultCalendarID = "practitioner@example.com"
	// CalendarScope is the scope a token must be asked for.
	CalendarScope = "https://www.googleapis.com/auth/calendar"
	// ClientEmail is the service account of the credentials files.
	ClientEmail = "balance-calendar@balance-test.iam.gserviceaccount.com"

	apiRoot        = "/calendar/v3"
	jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	tokenLifetime  = time.Hour
	// maxAssertionLifetime is Google's limit for exp − iat.
	maxAssertionLifetime = time.Hour
	clockSkew            = 5 * time.Minute
)

// Event is an event as the fake stores it.
type Event struct {
	ID          string
	Summary     string
	Description string
	Location    string
	// Start and End are instants; for an all-day event, midnights in the calendar's zone.
	Start, End time.Time
	AllDay     bool
	// TimeZone is the start's timeZone field as sent.
	TimeZone    string
	Transparent bool
	// Private holds extendedProperties.private.
	Private map[string]string
}

type interval struct{ start, end time.Time }

// Server is a fake Google Calendar. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	calendarID  string
	zone        *time.Location
	key         *rsa.PrivateKey
	keyID       string
	tokens      map[string]time.Time // access token → expiry
	issued      int
	busy        []interval
	events      map[string]Event
	deleted     map[string]bool
	failN       int
	failStatus  int
	failReason  string
	tokenFailN  int
	tokenStatus int
	requests    map[string]int
	nextID      int
}

// New starts a fake serving DefaultCalendarID in UTC+3 (Moscow, no DST) and closes it when the
// test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		calendarID: DefaultCalendarID,
		zone:       time.FixedZone("MSK", 3*60*60),
		tokens:     make(map[string]time.Time),
		events:     make(map[string]Event),
		deleted:    make(map[string]bool),
		requests:   make(map[string]int),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.handleToken)
	mux.HandleFunc("POST "+apiRoot+"/freeBusy", s.api(s.handleFreeBusy))
	mux.HandleFunc("POST "+apiRoot+"/calendars/{calendarId}/events", s.api(s.handleInsert))
	mux.HandleFunc("PATCH "+apiRoot+"/calendars/{calendarId}/events/{eventId}", s.api(s.handlePatch))
	mux.HandleFunc("DELETE "+apiRoot+"/calendars/{calendarId}/events/{eventId}", s.api(s.handleDelete))
	mux.HandleFunc("/", s.api(func(w http.ResponseWriter, _ *http.Request) {
		writeAPIError(w, http.StatusNotFound, "notFound", "Not Found")
	}))
	s.srv = httptest.NewServer(mux)
	tb.Cleanup(s.srv.Close)
	return s
}

// URL is the API root to configure a client with (option.WithEndpoint); it ends in a slash.
func (s *Server) URL() string { return s.srv.URL + apiRoot + "/" }

// TokenURL is the OAuth 2.0 token endpoint, the token_uri of the credentials files.
func (s *Server) TokenURL() string { return s.srv.URL + "/token" }

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CalendarID is the calendar the fake serves.
func (s *Server) CalendarID() string { return s.calendarID }

// SetZone sets the calendar's zone: free/busy answers are written in its offset and all-day
// events span its midnights.
func (s *Server) SetZone(loc *time.Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zone = loc
}

// CredentialsFile writes a service-account JSON key whose token_uri is the fake's /token to a
// file in tb.TempDir() and returns its path. The key pair is generated for the server on first
// use; the token endpoint accepts only assertions signed with it.
func (s *Server) CredentialsFile(tb testing.TB) string {
	tb.Helper()
	s.mu.Lock()
	if s.key == nil {
		s.key, s.keyID = newKey(tb)
	}
	key, keyID := s.key, s.keyID
	s.mu.Unlock()
	return writeCredentials(tb, key, keyID, s.TokenURL())
}

// RevokedCredentialsFile writes a key file like CredentialsFile's but with a key pair the fake
// does not accept, as after the key was deleted in the console: the token endpoint answers
// 400 invalid_grant.
func (s *Server) RevokedCredentialsFile(tb testing.TB) string {
	tb.Helper()
	key, keyID := newKey(tb)
	return writeCredentials(tb, key, keyID, s.TokenURL())
}

func newKey(tb testing.TB) (*rsa.PrivateKey, string) {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return key, rand.Text()
}

func writeCredentials(tb testing.TB, key *rsa.PrivateKey, keyID, tokenURL string) string {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "balance-test",
		"private_key_id":              keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                ClientEmail,
		"client_id":                   "100000000000000000001",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURL,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "service-account.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// AddBusy marks [start, end) busy, as an event of another calendar would.
func (s *Server) AddBusy(start, end time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = append(s.busy, interval{start, end})
}

// AddAllDay marks a whole day busy: midnight to midnight in the calendar's zone.
func (s *Server) AddAllDay(year int, month time.Month, day int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Date(year, month, day, 0, 0, 0, 0, s.zone)
	s.busy = append(s.busy, interval{start, start.AddDate(0, 0, 1)})
}

// FailNext makes the next n API calls (not token requests) answer status, with the reason Google
// gives for it (403: forbidden, 404: notFound, 5xx: backendError, ...). Nothing happens.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus, s.failReason = n, status, ""
}

// RateLimitNext makes the next n API calls answer 403 usageLimits/rateLimitExceeded, Calendar's
// answer to too many requests.
func (s *Server) RateLimitNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus, s.failReason = n, http.StatusForbidden, "rateLimitExceeded"
}

// FailTokenNext makes the next n token requests answer status.
func (s *Server) FailTokenNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFailN, s.tokenStatus = n, status
}

// Events returns the events of the calendar (not the deleted ones) by id.
func (s *Server) Events() map[string]Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Event, len(s.events))
	for id, e := range s.events {
		e.Private = maps.Clone(e.Private)
		out[id] = e
	}
	return out
}

// Deleted reports whether an event with this id was deleted.
func (s *Server) Deleted(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleted[id]
}

// Requests counts the requests to a path, whatever their outcome: "/token", or a path under the
// API root such as "/freeBusy" or "/calendars/practitioner@example.com/events".
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// TokensIssued counts the access tokens issued: token requests with a valid assertion.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// handleToken is Google's token endpoint for the JWT-bearer grant (RFC 7523).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests["/token"]++
	if s.tokenFailN > 0 {
		s.tokenFailN--
		writeOAuthError(w, s.tokenStatus, "internal_failure", http.StatusText(s.tokenStatus))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Malformed request body.")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != jwtBearerGrant {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+g)
		return
	}
	if err := s.verifyAssertion(r.PostForm.Get("assertion"), time.Now()); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	token := "ya29.fake-" + rand.Text()
	s.tokens[token] = time.Now().Add(tokenLifetime)
	s.issued++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"expires_in":   int(tokenLifetime / time.Second),
		"token_type":   "Bearer",
	})
}

// verifyAssertion checks a JWT-bearer assertion as Google does: RS256 signed with the account's
// key, issued by the account, addressed to this endpoint, asking for the calendar scope, and
// short-lived. Its errors are Google's error descriptions.
func (s *Server) verifyAssertion(assertion string, now time.Time) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("Invalid JWT: not a JWS compact serialization.")
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &header); err != nil || header.Alg != "RS256" {
		return errors.New("Invalid JWT header: the algorithm must be RS256.")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("Invalid JWT Signature.")
	}
	if s.key == nil || (header.Kid != "" && header.Kid != s.keyID) {
		return errors.New("Invalid JWT Signature.")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return errors.New("Invalid JWT Signature.")
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Iat   int64  `json:"iat"`
		Exp   int64  `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return errors.New("Invalid JWT: malformed claim set.")
	}
	iat, exp := time.Unix(claims.Iat, 0), time.Unix(claims.Exp, 0)
	switch {
	case claims.Iss != ClientEmail:
		return errors.New("Invalid JWT: iss is not the service account.")
	case claims.Aud != s.TokenURL():
		return errors.New("Invalid JWT: aud is not the token endpoint.")
	case !slices.Contains(strings.Fields(claims.Scope), CalendarScope):
		return errors.New("Invalid JWT: the scope does not include " + CalendarScope + ".")
	case iat.After(now.Add(clockSkew)) || !exp.After(now) || exp.Sub(iat) > maxAssertionLifetime:
		return errors.New("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// api wraps an API handler: it counts the request, checks the Bearer token, injects the planned
// failure, and holds the lock for the handler.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests[strings.TrimPrefix(r.URL.Path, apiRoot)]++
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
			writeAPIError(w, http.StatusUnauthorized, "authError", "Invalid Credentials")
			return
		}
		if s.failN > 0 {
			s.failN--
			reason, message := failureReason(s.failStatus)
			if s.failReason != "" {
				reason, message = s.failReason, "Rate Limit Exceeded"
			}
			writeAPIError(w, s.failStatus, reason, message)
			return
		}
		h(w, r)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	expiry, ok := s.tokens[token]
	return ok && time.Now().Before(expiry)
}

func failureReason(status int) (reason, message string) {
	switch status {
	case http.StatusBadRequest:
		return "badRequest", "Bad Request"
	case http.StatusUnauthorized:
		return "authError", "Invalid Credentials"
	case http.StatusForbidden:
		return "forbidden", "Forbidden"
	case http.StatusNotFound:
		return "notFound", "Not Found"
	case http.StatusConflict:
		return "duplicate", "The requested identifier already exists."
	case http.StatusGone:
		return "deleted", "Resource has been deleted"
	case http.StatusTooManyRequests:
		return "rateLimitExceeded", "Rate Limit Exceeded"
	}
	if status >= 500 {
		return "backendError", "Backend Error"
	}
	return "failed", http.StatusText(status)
}

// handleFreeBusy is freebusy.query.
func (s *Server) handleFreeBusy(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TimeMin string `json:"timeMin"`
		TimeMax string `json:"timeMax"`
		Items   []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeAPIError(w, http.StatusBadRequest, "parseError", "Parse Error")
		return
	}
	lo, err1 := time.Parse(time.RFC3339, req.TimeMin)
	hi, err2 := time.Parse(time.RFC3339, req.TimeMax)
	if err1 != nil || err2 != nil {
		writeAPIError(w, http.StatusBadRequest, "badRequest", "Bad Request")
		return
	}
	if !hi.After(lo) {
		writeAPIError(w, http.StatusBadRequest, "timeRangeEmpty", "The specified time range is empty.")
		return
	}
	type period struct {
		Start string `json:"start"`
		End   string `json:"end"`
	}
	type calErr struct {
		Domain string `json:"domain"`
		Reason string `json:"reason"`
	}
	type cal struct {
		Errors []calErr `json:"errors,omitempty"`
		Busy   []period `json:"busy"`
	}
	calendars := make(map[string]cal, len(req.Items))
	for _, item := range req.Items {
		if item.ID != s.calendarID {
			calendars[item.ID] = cal{Errors: []calErr{{"global", "notFound"}}, Busy: []period{}}
			continue
		}
		busy := []period{}
		for _, b := range s.busyIn(lo, hi) {
			busy = append(busy, period{b.start.In(s.zone).Format(time.RFC3339), b.end.In(s.zone).Format(time.RFC3339)})
		}
		calendars[item.ID] = cal{Busy: busy}
	}
	const wireTime = "2006-01-02T15:04:05.000Z07:00"
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":      "calendar#freeBusy",
		"timeMin":   lo.UTC().Format(wireTime),
		"timeMax":   hi.UTC().Format(wireTime),
		"calendars": calendars,
	})
}

// busyIn returns the busy blocks and opaque events overlapping [lo, hi), merged, by start.
func (s *Server) busyIn(lo, hi time.Time) []interval {
	all := slices.Clone(s.busy)
	for _, e := range s.events {
		if !e.Transparent {
			all = append(all, interval{e.Start, e.End})
		}
	}
	all = slices.DeleteFunc(all, func(b interval) bool { return !b.start.Before(hi) || !b.end.After(lo) })
	slices.SortFunc(all, func(a, b interval) int { return a.start.Compare(b.start) })
	var merged []interval
	for _, b := range all {
		if n := len(merged); n > 0 && !b.start.After(merged[n-1].end) {
			if b.end.After(merged[n-1].end) {
				merged[n-1].end = b.end
			}
			continue
		}
		merged = append(merged, b)
	}
	return merged
}

// wireEvent is the part of Calendar's Event resource the fake reads and writes.
type wireEvent struct {
	Kind               string        `json:"kind,omitempty"`
	ID                 string        `json:"id,omitempty"`
	Status             string        `json:"status,omitempty"`
	HTMLLink           string        `json:"htmlLink,omitempty"`
	Summary            string        `json:"summary,omitempty"`
	Description        string        `json:"description,omitempty"`
	Location           string        `json:"location,omitempty"`
	Transparency       string        `json:"transparency,omitempty"`
	Start              *wireTime     `json:"start,omitempty"`
	End                *wireTime     `json:"end,omitempty"`
	ExtendedProperties *wireExtended `json:"extendedProperties,omitempty"`
}

type wireTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

type wireExtended struct {
	Private map[string]string `json:"private,omitempty"`
}

// errBadRequest carries a 400 answer's reason and message.
type errBadRequest struct{ reason, message string }

func (e errBadRequest) Error() string { return e.message }

// parseTime reads an event time: an instant, or a date in the calendar's zone.
func (s *Server) parseTime(t *wireTime, which string) (time.Time, bool, error) {
	switch {
	case t.Date == "" && t.DateTime == "":
		return time.Time{}, false, errBadRequest{"required", "Missing " + which + " time."}
	case t.DateTime != "":
		v, err := time.Parse(time.RFC3339, t.DateTime)
		if err != nil {
			return time.Time{}, false, errBadRequest{"invalid", "Invalid " + which + " time."}
		}
		return v, false, nil
	default:
		v, err := time.ParseInLocation(time.DateOnly, t.Date, s.zone)
		if err != nil {
			return time.Time{}, false, errBadRequest{"invalid", "Invalid " + which + " time."}
		}
		return v, true, nil
	}
}

// setTimes applies the start and end sent (nil keeps the stored one) and checks the result.
func (s *Server) setTimes(e *Event, start, end *wireTime) error {
	startAllDay, endAllDay := e.AllDay, e.AllDay
	if start != nil {
		v, allDay, err := s.parseTime(start, "start")
		if err != nil {
			return err
		}
		e.Start, startAllDay, e.TimeZone = v, allDay, start.TimeZone
	}
	if end != nil {
		v, allDay, err := s.parseTime(end, "end")
		if err != nil {
			return err
		}
		e.End, endAllDay = v, allDay
	}
	if startAllDay != endAllDay {
		return errBadRequest{"invalid", "Start and end times must either both be date or both be dateTime."}
	}
	e.AllDay = startAllDay
	if !e.End.After(e.Start) {
		return errBadRequest{"timeRangeEmpty", "The specified time range is empty."}
	}
	return nil
}

// validID reports whether id is a valid event id: 5–1024 characters of base32hex (a–v, 0–9).
func validID(id string) bool {
	if len(id) < 5 || len(id) > 1024 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'v') {
			return false
		}
	}
	return true
}

// knownCalendar answers 404 for calendars other than the fake's.
func (s *Server) knownCalendar(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("calendarId") != s.calendarID {
		writeAPIError(w, http.StatusNotFound, "notFound", "Not Found")
		return false
	}
	return true
}

// handleInsert is events.insert.
func (s *Server) handleInsert(w http.ResponseWriter, r *http.Request) {
	if !s.knownCalendar(w, r) {
		return
	}
	var in wireEvent
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeAPIError(w, http.StatusBadRequest, "parseError", "Parse Error")
		return
	}
	if in.ID == "" {
		s.nextID++
		in.ID = fmt.Sprintf("fake%06d", s.nextID)
	}
	if !validID(in.ID) {
		writeAPIError(w, http.StatusBadRequest, "invalid", "Invalid resource id value.")
		return
	}
	if _, ok := s.events[in.ID]; ok || s.deleted[in.ID] {
		writeAPIError(w, http.StatusConflict, "duplicate", "The requested identifier already exists.")
		return
	}
	// A new event must have both times: an empty one is reported missing.
	if in.Start == nil {
		in.Start = &wireTime{}
	}
	if in.End == nil {
		in.End = &wireTime{}
	}
	e := Event{ID: in.ID}
	if err := s.apply(&e, &in); err != nil {
		writeBadRequest(w, err)
		return
	}
	s.events[e.ID] = e
	writeJSON(w, http.StatusOK, s.render(e))
}

// handlePatch is events.patch: the fields sent replace the stored ones.
func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request) {
	if !s.knownCalendar(w, r) {
		return
	}
	id := r.PathValue("eventId")
	e, ok := s.events[id]
	switch {
	case s.deleted[id]:
		writeAPIError(w, http.StatusGone, "deleted", "Resource has been deleted")
		return
	case !ok:
		writeAPIError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	var in wireEvent
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeAPIError(w, http.StatusBadRequest, "parseError", "Parse Error")
		return
	}
	e.Private = maps.Clone(e.Private)
	if err := s.apply(&e, &in); err != nil {
		writeBadRequest(w, err)
		return
	}
	s.events[id] = e
	writeJSON(w, http.StatusOK, s.render(e))
}

// apply copies the fields sent (non-empty ones) onto e.
func (s *Server) apply(e *Event, in *wireEvent) error {
	if in.Start != nil || in.End != nil {
		if err := s.setTimes(e, in.Start, in.End); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		dst *string
		src string
	}{{&e.Summary, in.Summary}, {&e.Description, in.Description}, {&e.Location, in.Location}} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	if in.Transparency != "" {
		e.Transparent = in.Transparency == "transparent"
	}
	if in.ExtendedProperties != nil && len(in.ExtendedProperties.Private) > 0 {
		if e.Private == nil {
			e.Private = make(map[string]string)
		}
		maps.Copy(e.Private, in.ExtendedProperties.Private)
	}
	return nil
}

// handleDelete is events.delete.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	if !s.knownCalendar(w, r) {
		return
	}
	id := r.PathValue("eventId")
	switch _, ok := s.events[id]; {
	case s.deleted[id]:
		writeAPIError(w, http.StatusGone, "deleted", "Resource has been deleted")
	case !ok:
		writeAPIError(w, http.StatusNotFound, "notFound", "Not Found")
	default:
		delete(s.events, id)
		s.deleted[id] = true
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) render(e Event) wireEvent {
	out := wireEvent{
		Kind:        "calendar#event",
		ID:          e.ID,
		Status:      "confirmed",
		HTMLLink:    s.srv.URL + "/calendar/event?eid=" + e.ID,
		Summary:     e.Summary,
		Description: e.Description,
		Location:    e.Location,
		Start:       s.renderTime(e.Start, e.AllDay, e.TimeZone),
		End:         s.renderTime(e.End, e.AllDay, e.TimeZone),
	}
	if e.Transparent {
		out.Transparency = "transparent"
	}
	if len(e.Private) > 0 {
		out.ExtendedProperties = &wireExtended{Private: e.Private}
	}
	return out
}

func (s *Server) renderTime(t time.Time, allDay bool, zone string) *wireTime {
	if allDay {
		return &wireTime{Date: t.In(s.zone).Format(time.DateOnly)}
	}
	return &wireTime{DateTime: t.In(s.zone).Format(time.RFC3339), TimeZone: zone}
}

func writeBadRequest(w http.ResponseWriter, err error) {
	var bad errBadRequest
	if !errors.As(err, &bad) {
		bad = errBadRequest{"badRequest", "Bad Request"}
	}
	writeAPIError(w, http.StatusBadRequest, bad.reason, bad.message)
}

// writeAPIError writes Google's JSON error: {"error": {"errors": [...], "code": ..., "message": ...}}.
func writeAPIError(w http.ResponseWriter, status int, reason, message string) {
	domain := "global"
	if reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" {
		domain = "usageLimits"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"errors":  []map[string]string{{"domain": domain, "reason": reason, "message": message}},
		"code":    status,
		"message": message,
	}})
}

// writeOAuthError writes the token endpoint's error: {"error": ..., "error_description": ...}.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
