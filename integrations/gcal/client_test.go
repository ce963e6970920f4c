package gcal_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base32"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/integrations/gcal"
	"balance/integrations/gcal/gcaltest"
)

var (
	dec1 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	dec8 = time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	msk  = time.FixedZone("MSK", 3*60*60)
)

func newPair(t *testing.T, mutate func(*gcal.Config)) (*gcal.Client, *gcaltest.Server) {
	t.Helper()
	fake := gcaltest.New(t)
	cfg := gcal.Config{
		CredentialsFile: fake.CredentialsFile(t),
		CalendarID:      fake.CalendarID(),
		APIURL:          fake.URL(),
		HTTPClient:      fake.Client(),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := gcal.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func session(id uuid.UUID, start time.Time) gcal.Event {
	return gcal.Event{
		AppointmentID: id,
		Summary:       "Консультация: Анна",
		Description:   "Онлайн-сессия, 50 минут",
		Location:      "https://meet.example/abc",
		Start:         start,
		End:           start.Add(50 * time.Minute),
		TimeZone:      "Europe/Moscow",
	}
}

func eventsPath(fake *gcaltest.Server) string { return "/calendars/" + fake.CalendarID() + "/events" }

// keyLines returns the body lines of the private key in a credentials file, to look for in errors.
func keyLines(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sa struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal(raw, &sa); err != nil || sa.PrivateKey == "" {
		t.Fatalf("credentials file without a key: %v", err)
	}
	var lines []string
	for line := range strings.Lines(sa.PrivateKey) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "-----") {
			lines = append(lines, line)
		}
	}
	return lines
}

func assertNoKey(t *testing.T, err error, lines []string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		for _, line := range lines {
			if strings.Contains(s, line) {
				t.Fatalf("error quotes the private key: %s", s)
			}
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	fake := gcaltest.New(t)
	creds := fake.CredentialsFile(t)
	ok := gcal.Config{CredentialsFile: creds, CalendarID: "cal@example.com"}
	tests := []struct {
		name   string
		mutate func(*gcal.Config)
		want   string
	}{
		{"valid with defaults", func(*gcal.Config) {}, ""},
		{"api url without slash", func(c *gcal.Config) { c.APIURL = "http://127.0.0.1:1/calendar/v3" }, ""},
		{"no credentials file", func(c *gcal.Config) { c.CredentialsFile = " " }, "credentials file is required"},
		{"no calendar", func(c *gcal.Config) { c.CalendarID = "" }, "calendar id is required"},
		{"bad api url", func(c *gcal.Config) { c.APIURL = "ftp://x.example/" }, "api url must be an absolute"},
		{"relative api url", func(c *gcal.Config) { c.APIURL = "/calendar/v3/" }, "api url must be an absolute"},
		{"credentials in api url", func(c *gcal.Config) { c.APIURL = "https://u:p@x.example/" }, "must not carry credentials"},
		{"negative ttl", func(c *gcal.Config) { c.CacheTTL = -time.Second }, "cache ttl"},
		{"missing file", func(c *gcal.Config) { c.CredentialsFile = filepath.Join(t.TempDir(), "nope.json") }, "no such file"},
	}
	lines := keyLines(t, creds)
	for _, tt := range tests {
		cfg := ok
		tt.mutate(&cfg)
		c, err := gcal.New(context.Background(), cfg)
		assertNoKey(t, err, lines)
		if tt.want == "" {
			if err != nil || c == nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want mention of %q", tt.name, err, tt.want)
		}
	}
}

func TestNewRejectsBadCredentialsWithoutQuotingTheKey(t *testing.T) {
	t.Parallel()
	fake := gcaltest.New(t)
	good := fake.CredentialsFile(t)
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	lines := keyLines(t, good)
	edit := func(change func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, contents, want string
	}{
		{"not json", `{"private_key": "` + lines[0], "is not JSON"},
		{"user credentials", edit(func(m map[string]any) { m["type"] = "authorized_user" }), "type is not service_account"},
		{"no email", edit(func(m map[string]any) { delete(m, "client_email") }), "client_email is missing"},
		{"broken key", edit(func(m map[string]any) {
			m["private_key"] = strings.Replace(m["private_key"].(string), lines[1], "AAAA", 1)
		}),
			"private_key is not a PEM-encoded RSA key"},
		{"no pem", edit(func(m map[string]any) { m["private_key"] = lines[0] + lines[1] }), "private_key is not a PEM-encoded RSA key"},
		{"ec key", edit(func(m map[string]any) {
			m["private_key"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
		}), "private_key is not a PEM-encoded RSA key"},
		{"bad token uri", edit(func(m map[string]any) { m["token_uri"] = "oauth2.example/token" }), "token_uri"},
		// Passes our checks, fails in the auth library: its message goes through the redaction.
		{"library error", edit(func(m map[string]any) { m["universe_domain"] = 42 }), "universe_domain"},
		{"too large", string(raw) + strings.Repeat(" ", 70<<10), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "key.json")
			if err := os.WriteFile(path, []byte(tt.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := gcal.New(context.Background(), gcal.Config{CredentialsFile: path, CalendarID: "c@example.com"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
			assertNoKey(t, err, lines)
		})
	}
}

func TestConfigLogValue(t *testing.T) {
	t.Parallel()
	var logged strings.Builder
	cfg := gcal.Config{CredentialsFile: "/etc/balance/gcal.json", CalendarID: "cal@example.com", CacheTTL: time.Minute}
	slog.New(slog.NewTextHandler(&logged, nil)).Info("start", "gcal", cfg)
	for _, want := range []string{"gcal.credentials_file=/etc/balance/gcal.json", "gcal.calendar_id=cal@example.com", "gcal.cache_ttl=1m0s"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log %q lacks %q", logged.String(), want)
		}
	}
}

func TestEventID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   uuid.UUID
		want string
	}{
		{uuid.Nil, "00000000000000000000000000"},
		{uuid.Max, "vvvvvvvvvvvvvvvvvvvvvvvvvs"},
		{uuid.MustParse("01234567-89ab-cdef-0123-456789abcdef"), "04hkaps9lf6uu0938ljojaudts"}, // Python: base64.b32hexencode(uuid.bytes).lower(),
	}
	for _, tt := range tests {
		if got := gcal.EventID(tt.id); got != tt.want {
			t.Errorf("EventID(%s) = %q, want %q", tt.id, got, tt.want)
		}
	}
	seen := make(map[string]bool)
	for range 1000 {
		id := uuid.New()
		got := gcal.EventID(id)
		if got != gcal.EventID(id) {
			t.Fatal("EventID is not deterministic")
		}
		if len(got) != 26 || strings.Trim(got, "0123456789abcdefghijklmnopqrstuv") != "" {
			t.Fatalf("EventID(%s) = %q: not 26 characters of a–v0–9", id, got)
		}
		raw, err := base32.HexEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(got))
		if err != nil || string(raw) != string(id[:]) {
			t.Fatalf("EventID(%s) = %q does not decode to the UUID's bytes: %v", id, got, err)
		}
		if seen[got] {
			t.Fatalf("EventID collision on %q", got)
		}
		seen[got] = true
	}
}

func TestCreateEventWithDerivedID(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	appt := uuid.New()
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, msk)
	if err := c.CreateEvent(context.Background(), session(appt, start)); err != nil {
		t.Fatal(err)
	}
	events := fake.Events()
	e, ok := events[gcal.EventID(appt)]
	if !ok || len(events) != 1 {
		t.Fatalf("events = %v, want one with id %s", events, gcal.EventID(appt))
	}
	if e.Summary != "Консультация: Анна" || e.Description != "Онлайн-сессия, 50 минут" || e.Location != "https://meet.example/abc" ||
		!e.Start.Equal(start) || !e.End.Equal(start.Add(50*time.Minute)) || e.AllDay || e.TimeZone != "Europe/Moscow" ||
		e.Private["balance_appointment_id"] != appt.String() {
		t.Errorf("event = %+v", e)
	}
}

func TestRetriedCreateIsDone(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	ev := session(uuid.New(), time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))
	for i := range 2 {
		if err := c.CreateEvent(context.Background(), ev); err != nil {
			t.Fatalf("create #%d: %v", i+1, err)
		}
	}
	if n := fake.Requests(eventsPath(fake)); n != 2 {
		t.Errorf("insert requests = %d, want 2 (the second answered 409)", n)
	}
	if n := len(fake.Events()); n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
}

func TestCreateAfterTransientFailure(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	ev := session(uuid.New(), time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))
	fake.FailNext(1, http.StatusServiceUnavailable)
	err := c.CreateEvent(context.Background(), ev)
	if err == nil || gcal.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient error", err)
	}
	if len(fake.Events()) != 0 {
		t.Fatal("the failed insert stored an event")
	}
	if err := c.CreateEvent(context.Background(), ev); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if _, ok := fake.Events()[gcal.EventID(ev.AppointmentID)]; !ok {
		t.Error("the retry did not create the event")
	}
}

func TestMoveEventPatchesTimes(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	appt := uuid.New()
	ctx := context.Background()
	if err := c.CreateEvent(ctx, session(appt, time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 4, 12, 30, 0, 0, time.UTC)
	if err := c.MoveEvent(ctx, appt, start, start.Add(time.Hour), "Asia/Yekaterinburg"); err != nil {
		t.Fatal(err)
	}
	e := fake.Events()[gcal.EventID(appt)]
	if !e.Start.Equal(start) || !e.End.Equal(start.Add(time.Hour)) || e.TimeZone != "Asia/Yekaterinburg" ||
		e.Summary != "Консультация: Анна" || e.Private["balance_appointment_id"] != appt.String() {
		t.Errorf("moved event = %+v", e)
	}
	if n := fake.Requests(eventsPath(fake) + "/" + gcal.EventID(appt)); n != 1 {
		t.Errorf("patch requests = %d, want 1", n)
	}
}

func TestMoveMissingEventIsPermanent(t *testing.T) {
	t.Parallel()
	c, _ := newPair(t, nil)
	ctx := context.Background()
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	err := c.MoveEvent(ctx, uuid.New(), start, start.Add(time.Hour), "")
	if err == nil || !gcal.IsPermanent(err) {
		t.Fatalf("move of an unknown event: err = %v, want a permanent error", err)
	}
	appt := uuid.New()
	if err := c.CreateEvent(ctx, session(appt, start)); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteEvent(ctx, appt); err != nil {
		t.Fatal(err)
	}
	if err := c.MoveEvent(ctx, appt, start, start.Add(time.Hour), ""); err == nil || !gcal.IsPermanent(err) {
		t.Fatalf("move of a deleted event: err = %v, want a permanent error", err)
	}
}

func TestDeleteEvent(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	ctx := context.Background()
	appt := uuid.New()
	if err := c.CreateEvent(ctx, session(appt, time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	id := gcal.EventID(appt)
	if err := c.DeleteEvent(ctx, appt); err != nil {
		t.Fatal(err)
	}
	if _, ok := fake.Events()[id]; ok || !fake.Deleted(id) {
		t.Fatal("the event is still there")
	}
	if err := c.DeleteEvent(ctx, appt); err != nil {
		t.Errorf("second delete (410): %v", err)
	}
	unknown := uuid.New()
	if err := c.DeleteEvent(ctx, unknown); err != nil {
		t.Errorf("delete of an unknown event (404): %v", err)
	}
	if a, b := fake.Requests(eventsPath(fake)+"/"+id), fake.Requests(eventsPath(fake)+"/"+gcal.EventID(unknown)); a != 2 || b != 1 {
		t.Errorf("delete requests = %d and %d, want 2 and 1: the 410 and 404 must come from the API", a, b)
	}
	fake.FailNext(1, http.StatusInternalServerError)
	if err := c.DeleteEvent(ctx, uuid.New()); err == nil || gcal.IsPermanent(err) {
		t.Errorf("delete on 500: err = %v, want a transient error", err)
	}
}

func TestInvalidInputIsPermanentAndNotSent(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	ctx := context.Background()
	start := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	backwards := session(uuid.New(), start)
	backwards.End = start.Add(-time.Minute)
	zero := session(uuid.New(), time.Time{})
	zero.End = start
	for name, err := range map[string]error{
		"create nil id":    c.CreateEvent(ctx, session(uuid.Nil, start)),
		"create backwards": c.CreateEvent(ctx, backwards),
		"create no start":  c.CreateEvent(ctx, zero),
		"move nil id":      c.MoveEvent(ctx, uuid.Nil, start, start.Add(time.Hour), ""),
		"move empty":       c.MoveEvent(ctx, uuid.New(), start, start, ""),
		"delete nil id":    c.DeleteEvent(ctx, uuid.Nil),
		"busy empty window": func() error {
			_, err := c.Busy(ctx, dec1, dec1)
			return err
		}(),
	} {
		if !errors.Is(err, gcal.ErrInvalidInput) || !gcal.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent ErrInvalidInput", name, err)
		}
	}
	if n := fake.Requests(eventsPath(fake)) + fake.Requests("/freeBusy") + fake.Requests("/token"); n != 0 {
		t.Errorf("the fake saw %d requests, want none", n)
	}
}

func TestBusyFromFreeBusy(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.AddBusy(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 3, 11, 30, 0, 0, time.UTC))
	fake.AddAllDay(2026, 12, 5) // 2026-12-05T00:00:00+03:00 – 2026-12-06T00:00:00+03:00
	fake.AddBusy(time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 20, 11, 0, 0, 0, time.UTC))
	got, err := c.Busy(context.Background(), dec1, dec8)
	if err != nil {
		t.Fatal(err)
	}
	want := []gcal.Interval{
		{time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 3, 11, 30, 0, 0, time.UTC)},
		{time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC), time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("busy = %v, want %v", got, want)
	}
	for _, b := range got {
		if b.Start.Location() != time.UTC || b.End.Location() != time.UTC {
			t.Errorf("%v is not in UTC", b)
		}
	}
	// A window inside the all-day block gets the whole block.
	got, err = c.Busy(context.Background(), time.Date(2026, 12, 5, 9, 0, 0, 0, msk), time.Date(2026, 12, 5, 18, 0, 0, 0, msk))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want[1:]) {
		t.Errorf("busy on the day off = %v, want %v", got, want[1:])
	}
}

func TestBusyIsCachedUntilTheCalendarChanges(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	ctx := context.Background()
	busy := func(from, to time.Time) []gcal.Interval {
		t.Helper()
		got, err := c.Busy(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	calls := func(want int) {
		t.Helper()
		if n := fake.Requests("/freeBusy"); n != want {
			t.Fatalf("free/busy requests = %d, want %d", n, want)
		}
	}
	fake.AddBusy(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC))
	first := busy(dec1, dec8)
	first[0].Start = time.Time{} // the caller's copy, not the cache's
	second := busy(dec1.In(msk), dec8.In(msk))
	calls(1)
	if len(second) != 1 || second[0].Start.IsZero() {
		t.Fatalf("cached answer = %v", second)
	}
	second[0].End = time.Time{}
	if third := busy(dec1, dec8); len(third) != 1 || third[0].End.IsZero() {
		t.Fatalf("cached answer = %v: a caller changed the cache", third)
	}
	busy(dec1, dec8.Add(time.Hour))
	calls(2)

	appt := uuid.New()
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	if err := c.CreateEvent(ctx, session(appt, start)); err != nil {
		t.Fatal(err)
	}
	if got := busy(dec1, dec8); len(got) != 2 || !got[1].Start.Equal(start) {
		t.Fatalf("after create: busy = %v, want the new event", got)
	}
	calls(3)
	moved := start.Add(2 * time.Hour)
	if err := c.MoveEvent(ctx, appt, moved, moved.Add(time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	if got := busy(dec1, dec8); len(got) != 2 || !got[1].Start.Equal(moved) {
		t.Fatalf("after move: busy = %v, want the moved event", got)
	}
	calls(4)
	if err := c.DeleteEvent(ctx, appt); err != nil {
		t.Fatal(err)
	}
	if got := busy(dec1, dec8); len(got) != 1 {
		t.Fatalf("after delete: busy = %v, want the block only", got)
	}
	calls(5)
}

func TestBusyCacheExpires(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, func(cfg *gcal.Config) { cfg.CacheTTL = 30 * time.Second })
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	gcal.SetNow(c, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	for i, step := range []struct {
		advance time.Duration
		calls   int
	}{{0, 1}, {29 * time.Second, 1}, {time.Second, 2}, {10 * time.Second, 2}} {
		advance(step.advance)
		if _, err := c.Busy(context.Background(), dec1, dec8); err != nil {
			t.Fatal(err)
		}
		if n := fake.Requests("/freeBusy"); n != step.calls {
			t.Fatalf("step %d: free/busy requests = %d, want %d", i, n, step.calls)
		}
	}
}

func TestBusyCacheIsBounded(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	gcal.SetNow(c, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	gcal.SetCacheLimit(c, 2)
	day := func(i int) (time.Time, time.Time) { return dec1.AddDate(0, 0, i), dec1.AddDate(0, 0, i+1) }
	ask := func(i int) {
		t.Helper()
		from, to := day(i)
		if _, err := c.Busy(context.Background(), from, to); err != nil {
			t.Fatal(err)
		}
	}
	ask(0)
	advance(time.Second)
	ask(1)
	advance(time.Second)
	ask(2) // evicts day 0, the closest to expiry
	if n := gcal.CacheLen(c); n != 2 {
		t.Fatalf("cache holds %d answers, want 2", n)
	}
	ask(2)
	ask(1)
	if n := fake.Requests("/freeBusy"); n != 3 {
		t.Fatalf("free/busy requests = %d, want 3 (days 1 and 2 cached)", n)
	}
	ask(0)
	if n := fake.Requests("/freeBusy"); n != 4 {
		t.Fatalf("free/busy requests = %d, want 4 (day 0 was evicted)", n)
	}
	advance(2 * time.Minute) // everything expired: the next answer clears them out
	ask(5)
	if n := gcal.CacheLen(c); n != 1 {
		t.Fatalf("cache holds %d answers after expiry, want 1", n)
	}
}

func TestBusyOfAnUnsharedCalendarIsPermanent(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, func(cfg *gcal.Config) { cfg.CalendarID = "someone-else@example.com" })
	_, err := c.Busy(context.Background(), dec1, dec8)
	var calErr *gcal.CalendarError
	if !errors.As(err, &calErr) || calErr.CalendarID != "someone-else@example.com" || !slices.Equal(calErr.Reasons, []string{"notFound"}) {
		t.Fatalf("err = %v, want a notFound CalendarError", err)
	}
	if !gcal.IsPermanent(err) || !strings.Contains(err.Error(), "notFound") {
		t.Errorf("err = %v, want permanent and naming the reason", err)
	}
	if _, err := c.Busy(context.Background(), dec1, dec8); err == nil || fake.Requests("/freeBusy") != 2 {
		t.Error("an error answer was cached")
	}
	err = c.CreateEvent(context.Background(), session(uuid.New(), dec1))
	if err == nil || !gcal.IsPermanent(err) {
		t.Errorf("create in an unknown calendar: err = %v, want permanent", err)
	}
}

// TestBusyReadsOddAnswers points the client at a hand-written API (the token still comes from the
// fake) to see what it does with answers the fake never gives.
func TestBusyReadsOddAnswers(t *testing.T) {
	t.Parallel()
	const calID = "cal@example.com"
	tests := []struct {
		name      string
		answer    string
		want      []gcal.Interval
		wantErr   string
		permanent bool
	}{
		{"no entry for the calendar", `{"calendars":{}}`, nil, "no entry for the calendar", false},
		{"backend error", `{"calendars":{"cal@example.com":{"errors":[{"domain":"global","reason":"backendError"}]}}}`,
			nil, "backendError", false},
		{"two reasons", `{"calendars":{"cal@example.com":{"errors":[{"reason":"internalError"},{"reason":"groupTooBig"}]}}}`,
			nil, "internalError, groupTooBig", true},
		{"bad time", `{"calendars":{"cal@example.com":{"busy":[{"start":"3 Dec","end":"2026-12-03T10:00:00Z"}]}}}`,
			nil, `"3 Dec"`, false},
		{"backwards", `{"calendars":{"cal@example.com":{"busy":[{"start":"2026-12-03T10:00:00Z","end":"2026-12-03T09:00:00Z"}]}}}`,
			nil, "ends before it starts", false},
		{"unordered, empty and fractional", `{"calendars":{"cal@example.com":{"busy":[
			{"start":"2026-12-04T10:00:00.5+03:00","end":"2026-12-04T11:00:00+03:00"},
			{"start":"2026-12-03T10:00:00Z","end":"2026-12-03T10:00:00Z"},
			{"start":"2026-12-02T10:00:00-05:00","end":"2026-12-02T11:00:00-05:00"}]}}}`,
			[]gcal.Interval{
				{time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)},
				{time.Date(2026, 12, 4, 7, 0, 0, 5e8, time.UTC), time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)},
			}, "", false},
	}
	fake := gcaltest.New(t)
	creds := fake.CredentialsFile(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var req struct {
				TimeMin, TimeMax string
				Items            []struct{ ID string }
			}
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v3/freeBusy" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ya29.") {
					http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
					return
				}
				_ = json.NewDecoder(r.Body).Decode(&req)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.answer))
			}))
			defer api.Close()
			c, err := gcal.New(context.Background(), gcal.Config{CredentialsFile: creds, CalendarID: calID, APIURL: api.URL + "/v3"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Busy(context.Background(), dec1.In(msk), dec8)
			if req.TimeMin != "2026-12-01T00:00:00Z" || req.TimeMax != "2026-12-08T00:00:00Z" || len(req.Items) != 1 || req.Items[0].ID != calID {
				t.Errorf("request = %+v", req)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || gcal.IsPermanent(err) != tt.permanent {
					t.Fatalf("err = %v (permanent %t), want %q (permanent %t)", err, gcal.IsPermanent(err), tt.wantErr, tt.permanent)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("busy = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// countingTransport counts the requests by path on their way to the fake.
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.seen[r.URL.Path]++
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

func TestJWTBearerFlowThroughTheGivenClient(t *testing.T) {
	t.Parallel()
	fake := gcaltest.New(t)
	counter := &countingTransport{base: fake.Client().Transport, seen: map[string]int{}}
	setup, cancel := context.WithCancel(context.Background())
	c, err := gcal.New(setup, gcal.Config{
		CredentialsFile: fake.CredentialsFile(t), CalendarID: fake.CalendarID(), APIURL: fake.URL(),
		HTTPClient: &http.Client{Transport: counter, Timeout: 10 * time.Second},
	})
	cancel() // New's context serves the setup only: calls use their own
	if err != nil {
		t.Fatal(err)
	}
	if fake.Requests("/token") != 0 {
		t.Fatal("New fetched a token: the first call should")
	}
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.Busy(ctx, dec1, dec1.AddDate(0, 0, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CreateEvent(ctx, session(uuid.New(), dec1)); err != nil {
		t.Fatal(err)
	}
	// The fake issues a token only for an assertion signed with the key it generated, naming the
	// service account, its own token URL and the calendar scope; without the token every call
	// above would have answered 401.
	if fake.TokensIssued() != 1 || fake.Requests("/token") != 1 {
		t.Errorf("tokens issued = %d of %d requests, want 1 of 1 (reused while valid)", fake.TokensIssued(), fake.Requests("/token"))
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	if counter.seen["/token"] != 1 || counter.seen["/calendar/v3/freeBusy"] != 3 || counter.seen["/calendar/v3/calendars/"+fake.CalendarID()+"/events"] != 1 {
		t.Errorf("through the configured client: %v", counter.seen)
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		fail      func(*gcaltest.Server)
		permanent bool
	}{
		{"400", func(f *gcaltest.Server) { f.FailNext(1, http.StatusBadRequest) }, true},
		{"401", func(f *gcaltest.Server) { f.FailNext(1, http.StatusUnauthorized) }, true},
		{"403 forbidden", func(f *gcaltest.Server) { f.FailNext(1, http.StatusForbidden) }, true},
		{"403 rate limit", func(f *gcaltest.Server) { f.RateLimitNext(1) }, false},
		{"404", func(f *gcaltest.Server) { f.FailNext(1, http.StatusNotFound) }, true},
		{"408", func(f *gcaltest.Server) { f.FailNext(1, http.StatusRequestTimeout) }, false},
		{"429", func(f *gcaltest.Server) { f.FailNext(1, http.StatusTooManyRequests) }, false},
		{"500", func(f *gcaltest.Server) { f.FailNext(1, http.StatusInternalServerError) }, false},
		{"503", func(f *gcaltest.Server) { f.FailNext(1, http.StatusServiceUnavailable) }, false},
		{"token endpoint 503", func(f *gcaltest.Server) { f.FailTokenNext(1, http.StatusServiceUnavailable) }, false},
		{"token endpoint 400", func(f *gcaltest.Server) { f.FailTokenNext(1, http.StatusBadRequest) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fake := newPair(t, nil)
			appt := uuid.New()
			tt.fail(fake)
			err := c.MoveEvent(context.Background(), appt, start, start.Add(time.Hour), "")
			if err == nil || gcal.IsPermanent(err) != tt.permanent {
				t.Fatalf("err = %v: permanent %t, want %t", err, gcal.IsPermanent(err), tt.permanent)
			}
			if !strings.Contains(err.Error(), gcal.EventID(appt)) {
				t.Errorf("err = %v, want the event id", err)
			}
		})
	}
}

func TestRevokedKeyIsPermanentAndNotQuoted(t *testing.T) {
	t.Parallel()
	fake := gcaltest.New(t)
	creds := fake.RevokedCredentialsFile(t)
	c, err := gcal.New(context.Background(), gcal.Config{
		CredentialsFile: creds, CalendarID: fake.CalendarID(), APIURL: fake.URL(), HTTPClient: fake.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Busy(context.Background(), dec1, dec8)
	if err == nil || !gcal.IsPermanent(err) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("err = %v, want a permanent invalid_grant", err)
	}
	assertNoKey(t, err, keyLines(t, creds))
	if fake.TokensIssued() != 0 || fake.Requests("/freeBusy") != 0 {
		t.Error("the fake accepted an assertion signed with an unknown key")
	}
}

func TestNetworkAndContextErrorsAreTransient(t *testing.T) {
	t.Parallel()
	fake := gcaltest.New(t)
	creds := fake.CredentialsFile(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, err := gcal.New(context.Background(), gcal.Config{CredentialsFile: creds, CalendarID: fake.CalendarID(), APIURL: closed.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Busy(context.Background(), dec1, dec8)
	if err == nil || gcal.IsPermanent(err) {
		t.Fatalf("connection refused: err = %v, want transient", err)
	}
	assertNoKey(t, err, keyLines(t, creds))

	ok, _ := newPair(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = ok.CreateEvent(ctx, session(uuid.New(), dec1))
	if !errors.Is(err, context.Canceled) || gcal.IsPermanent(err) {
		t.Fatalf("canceled: err = %v, want transient context.Canceled", err)
	}
	if gcal.IsPermanent(nil) || gcal.IsPermanent(errors.New("something else")) {
		t.Error("nil or unknown errors reported permanent")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c, fake := newPair(t, nil)
	fake.AddBusy(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				if _, err := c.Busy(ctx, dec1, dec1.AddDate(0, 0, 1+j%3)); err != nil {
					failures.Add(1)
				}
			}
			start := dec1.Add(time.Duration(i) * time.Hour)
			if err := c.CreateEvent(ctx, session(uuid.New(), start)); err != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d calls failed", failures.Load())
	}
	if n := len(fake.Events()); n != 8 {
		t.Fatalf("events = %d, want 8", n)
	}
	// Every create invalidated the cache, so this answer sees all of them.
	got, err := c.Busy(ctx, dec1, dec8)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 9 || !got[0].Start.Equal(dec1) || !got[7].End.Equal(dec1.Add(7*time.Hour+50*time.Minute)) ||
		!got[8].Start.Equal(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("busy = %v, want the eight events and the block", got)
	}
}
