package gcal

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base32"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	"github.com/google/uuid"
	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"
)

const (
	// maxCredentialsBytes bounds the credentials file: a service-account key is about 2.5 KB.
	maxCredentialsBytes = 64 << 10
	// privateAppointmentID is the event's private extended property naming its appointment.
	privateAppointmentID = "balance_appointment_id"
	redacted             = "[REDACTED]"
)

// Client calls the Google Calendar API for one calendar. It is safe for concurrent use.
type Client struct {
	cfg   Config
	svc   *calendar.Service
	cache *busyCache
	now   func() time.Time
}

// Interval is a busy block, in UTC. It may reach outside the window asked for: an all-day block
// comes back midnight to midnight in the calendar's zone.
type Interval struct {
	Start, End time.Time
}

// Event is the calendar event of an appointment.
type Event struct {
	AppointmentID uuid.UUID
	Summary       string
	Description   string
	Location      string
	Start, End    time.Time
	// TimeZone is an IANA zone name the event is shown in; empty leaves the calendar's zone.
	TimeZone string
}

// New validates cfg, loads the service account's key from cfg.CredentialsFile and returns a
// client. Tokens are fetched with the JWT-bearer flow from the key's token_uri when a call
// needs one, with that call's context; ctx only serves the setup.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	creds, err := loadCredentials(cfg.CredentialsFile, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	hc, err := httptransport.NewClient(&httptransport.Options{
		Credentials:      creds,
		BaseRoundTripper: cfg.HTTPClient.Transport, // nil: the library's default transport
	})
	if err != nil {
		return nil, fmt.Errorf("gcal: authorized transport: %w", err)
	}
	hc.Timeout = cfg.HTTPClient.Timeout
	svc, err := calendar.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(cfg.APIURL))
	if err != nil {
		return nil, fmt.Errorf("gcal: calendar service: %w", err)
	}
	return &Client{cfg: cfg, svc: svc, cache: newBusyCache(cfg.CacheTTL, defaultCacheEntries), now: time.Now}, nil
}

// serviceAccountFile holds the fields of a service-account key that New checks itself.
type serviceAccountFile struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
	TokenURI    string `json:"token_uri"`
}

// loadCredentials reads a service-account key and builds credentials for the calendar scope whose
// token requests go through hc. Its errors name the file and the problem, never the key: the
// library's own messages are checked for the key before they are passed on.
func loadCredentials(path string, hc *http.Client) (*auth.Credentials, error) {
	raw, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("gcal: credentials file: %w", err)
	}
	var sa serviceAccountFile
	if json.Unmarshal(raw, &sa) != nil {
		return nil, fmt.Errorf("gcal: credentials file %s is not JSON", path)
	}
	var problems []string
	if sa.Type != string(credentials.ServiceAccount) {
		problems = append(problems, "type is not service_account")
	}
	if sa.ClientEmail == "" {
		problems = append(problems, "client_email is missing")
	}
	if !isRSAKey(sa.PrivateKey) {
		problems = append(problems, "private_key is not a PEM-encoded RSA key")
	}
	if sa.TokenURI != "" {
		if u, err := url.Parse(sa.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, "token_uri is not an absolute http(s) URL")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("gcal: credentials file %s: %s", path, strings.Join(problems, "; "))
	}
	creds, err := credentials.NewCredentialsFromJSON(credentials.ServiceAccount, raw, &credentials.DetectOptions{
		Scopes: []string{calendar.CalendarScope},
		Client: hc,
	})
	if err != nil {
		return nil, fmt.Errorf("gcal: credentials file %s: %s", path, redact(err.Error(), sa.PrivateKey))
	}
	return creds, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxCredentialsBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxCredentialsBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxCredentialsBytes)
	}
	return raw, nil
}

// isRSAKey reports whether s is a PEM-encoded RSA private key (PKCS #8, as Google issues them,
// or PKCS #1), the kind the JWT-bearer flow signs with.
func isRSAKey(s string) bool {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return false
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		_, ok := key.(*rsa.PrivateKey)
		return ok
	}
	_, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	return err == nil
}

// redact removes the private key, and each line of its body, from msg.
func redact(msg, key string) string {
	if key == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, key, redacted)
	for line := range strings.Lines(key) {
		if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			msg = strings.ReplaceAll(msg, line, redacted)
		}
	}
	return msg
}

// eventIDEncoding is base32hex in lowercase: Calendar event ids may use only a–v and 0–9.
var eventIDEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// EventID is the calendar event id of an appointment: the UUID's 16 bytes in lowercase base32hex
// without padding (26 characters). The same appointment always gets the same id, which is what
// makes a retried create harmless.
func EventID(appointmentID uuid.UUID) string {
	return eventIDEncoding.EncodeToString(appointmentID[:])
}

// Busy returns the calendar's busy blocks overlapping [from, to), in UTC and ordered by start,
// from freebusy.query. An answer is reused for CacheTTL for the same window, until the calendar is
// written through this client.
func (c *Client) Busy(ctx context.Context, from, to time.Time) ([]Interval, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("gcal: busy %s–%s: %w: the window must end after it starts",
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), ErrInvalidInput)
	}
	w := newWindow(from, to)
	busy, ok, gen := c.cache.get(w, c.now())
	if ok {
		return busy, nil
	}
	busy, err := c.queryFreeBusy(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("gcal: busy %s–%s: %w", w.from.Format(time.RFC3339), w.to.Format(time.RFC3339), err)
	}
	c.cache.put(w, busy, c.now(), gen)
	return busy, nil
}

func (c *Client) queryFreeBusy(ctx context.Context, w window) ([]Interval, error) {
	resp, err := c.svc.Freebusy.Query(&calendar.FreeBusyRequest{
		TimeMin: w.from.Format(time.RFC3339Nano),
		TimeMax: w.to.Format(time.RFC3339Nano),
		Items:   []*calendar.FreeBusyRequestItem{{Id: c.cfg.CalendarID}},
	}).Context(ctx).Do()
	if err != nil {
		return nil, err
	}
	cal, ok := resp.Calendars[c.cfg.CalendarID]
	if !ok {
		return nil, errors.New("the answer has no entry for the calendar")
	}
	if len(cal.Errors) > 0 {
		calErr := &CalendarError{CalendarID: c.cfg.CalendarID}
		for _, e := range cal.Errors {
			calErr.Reasons = append(calErr.Reasons, e.Reason)
		}
		return nil, calErr
	}
	busy := make([]Interval, 0, len(cal.Busy))
	for _, p := range cal.Busy {
		start, err1 := time.Parse(time.RFC3339, p.Start)
		end, err2 := time.Parse(time.RFC3339, p.End)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("busy period %q–%q: %w", p.Start, p.End, err)
		}
		if end.Before(start) {
			return nil, fmt.Errorf("busy period %q–%q ends before it starts", p.Start, p.End)
		}
		if end.After(start) {
			busy = append(busy, Interval{Start: start.UTC(), End: end.UTC()})
		}
	}
	slices.SortFunc(busy, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	return busy, nil
}

// CreateEvent inserts the appointment's event with the id EventID(e.AppointmentID). An event
// that already exists (409: a retried create) counts as created.
func (c *Client) CreateEvent(ctx context.Context, e Event) error {
	id := EventID(e.AppointmentID)
	if err := checkEvent(e.AppointmentID, e.Start, e.End); err != nil {
		return fmt.Errorf("gcal: create event %s: %w", id, err)
	}
	ev := &calendar.Event{
		Id:          id,
		Summary:     e.Summary,
		Description: e.Description,
		Location:    e.Location,
		Start:       eventTime(e.Start, e.TimeZone),
		End:         eventTime(e.End, e.TimeZone),
		ExtendedProperties: &calendar.EventExtendedProperties{
			Private: map[string]string{privateAppointmentID: e.AppointmentID.String()},
		},
	}
	_, err := c.svc.Events.Insert(c.cfg.CalendarID, ev).Context(ctx).Do()
	c.cache.invalidate()
	if err != nil && !hasStatus(err, http.StatusConflict) {
		return fmt.Errorf("gcal: create event %s for appointment %s: %w", id, e.AppointmentID, err)
	}
	return nil
}

// MoveEvent sets the start and end of the appointment's event (events.patch); the other fields
// stay. A missing event (404) is a permanent error.
func (c *Client) MoveEvent(ctx context.Context, appointmentID uuid.UUID, start, end time.Time, timeZone string) error {
	id := EventID(appointmentID)
	if err := checkEvent(appointmentID, start, end); err != nil {
		return fmt.Errorf("gcal: move event %s: %w", id, err)
	}
	patch := &calendar.Event{Start: eventTime(start, timeZone), End: eventTime(end, timeZone)}
	_, err := c.svc.Events.Patch(c.cfg.CalendarID, id, patch).Context(ctx).Do()
	c.cache.invalidate()
	if err != nil {
		return fmt.Errorf("gcal: move event %s for appointment %s: %w", id, appointmentID, err)
	}
	return nil
}

// DeleteEvent deletes the appointment's event. An event that is not there (404) or already
// deleted (410) counts as deleted.
func (c *Client) DeleteEvent(ctx context.Context, appointmentID uuid.UUID) error {
	id := EventID(appointmentID)
	if appointmentID == uuid.Nil {
		return fmt.Errorf("gcal: delete event %s: %w: nil appointment id", id, ErrInvalidInput)
	}
	err := c.svc.Events.Delete(c.cfg.CalendarID, id).Context(ctx).Do()
	c.cache.invalidate()
	if err != nil && !hasStatus(err, http.StatusNotFound, http.StatusGone) {
		return fmt.Errorf("gcal: delete event %s for appointment %s: %w", id, appointmentID, err)
	}
	return nil
}

func checkEvent(appointmentID uuid.UUID, start, end time.Time) error {
	switch {
	case appointmentID == uuid.Nil:
		return fmt.Errorf("%w: nil appointment id", ErrInvalidInput)
	case start.IsZero() || !end.After(start):
		return fmt.Errorf("%w: the event must end after it starts", ErrInvalidInput)
	}
	return nil
}

func eventTime(t time.Time, timeZone string) *calendar.EventDateTime {
	return &calendar.EventDateTime{DateTime: t.UTC().Format(time.RFC3339), TimeZone: timeZone}
}
