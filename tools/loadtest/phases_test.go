package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI imitates the three endpoints the load uses, with the demo's service: 50 minutes plus a
// 10-minute buffer on a 30-minute grid, weekdays 10:00–19:00 Moscow time, 60 days ahead. Bookings
// are checked like the real server checks them: a taken time is 409, a missing consent, key or
// repeated email 422.
type fakeAPI struct {
	loc     *time.Location
	horizon int
	start   time.Time // today, Moscow midnight

	mu       sync.Mutex
	booked   []time.Time
	emails   map[string]bool
	keys     map[string]bool
	windows  map[string]int // "from..to" of each slots request
	bookings int            // POSTs received
}

const (
	fakeDuration = 50 * time.Minute
	fakeHeld     = 60 * time.Minute // duration + buffer
)

func newFakeAPI(t *testing.T) (*fakeAPI, *httptest.Server) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(loc).Date()
	f := &fakeAPI{
		loc: loc, horizon: 60, start: time.Date(y, m, d, 0, 0, 0, 0, loc),
		emails: map[string]bool{}, keys: map[string]bool{}, windows: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/services/{slug}", f.service)
	mux.HandleFunc("GET /api/v1/services/{slug}/slots", f.slots)
	mux.HandleFunc("POST /api/v1/bookings", f.book)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func problem(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"title":%q,"status":%d}`, title, status)
}

func (f *fakeAPI) service(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("slug") != "individual-session" {
		problem(w, http.StatusNotFound, "not found")
		return
	}
	fmt.Fprint(w, `{"slug":"individual-session","formats":["online","offline"],"duration_minutes":50,"timezone":"Europe/Moscow"}`)
}

// free lists the free starts on the days from … to (Moscow dates).
func (f *fakeAPI) free(from, to time.Time) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	now, last := time.Now(), f.start.AddDate(0, 0, f.horizon+1)
	var starts []time.Time
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, f.loc); !day.After(to); day = day.AddDate(0, 0, 1) {
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
	grid:
		for s := day.Add(10 * time.Hour); !s.Add(fakeDuration).After(day.Add(19 * time.Hour)); s = s.Add(30 * time.Minute) {
			if !s.After(now) || !s.Before(last) {
				continue
			}
			for _, b := range f.booked {
				if s.Before(b.Add(fakeHeld)) && b.Before(s.Add(fakeHeld)) {
					continue grid
				}
			}
			starts = append(starts, s.UTC())
		}
	}
	return starts
}

func (f *fakeAPI) slots(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := time.ParseInLocation(time.DateOnly, q.Get("from"), f.loc)
	to, err2 := time.ParseInLocation(time.DateOnly, q.Get("to"), f.loc)
	tz, err3 := time.LoadLocation(q.Get("tz"))
	if err1 != nil || err2 != nil || err3 != nil || q.Get("tz") == "" || to.Before(from) || to.After(from.AddDate(0, 0, 30)) {
		problem(w, http.StatusUnprocessableEntity, "bad window")
		return
	}
	f.mu.Lock()
	f.windows[q.Get("from")+".."+q.Get("to")]++
	f.mu.Unlock()
	type slot struct {
		Start      time.Time `json:"start"`
		End        time.Time `json:"end"`
		StartLocal time.Time `json:"start_local"`
	}
	slots := []slot{}
	for _, s := range f.free(from, to) {
		slots = append(slots, slot{s, s.Add(fakeDuration), s.In(tz)})
	}
	json.NewEncoder(w).Encode(map[string]any{"service": r.PathValue("slug"), "timezone": q.Get("tz"), "slots": slots})
}

func (f *fakeAPI) book(w http.ResponseWriter, r *http.Request) {
	var req bookingRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		problem(w, http.StatusBadRequest, "bad json")
		return
	}
	start, err := time.Parse(time.RFC3339, req.Start)
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bookings++
	switch {
	case err != nil || req.ServiceSlug != "individual-session" || req.Format != "online" || req.Timezone == "":
		problem(w, http.StatusUnprocessableEntity, "bad request")
		return
	case len(req.Consents) != 1 || req.Consents[0].Type != "personal_data" || req.Consents[0].Version == "":
		problem(w, http.StatusUnprocessableEntity, "consent")
		return
	case key == "" || f.keys[key] || f.emails[req.Client.Email] || !strings.Contains(req.Client.Email, "@"):
		problem(w, http.StatusUnprocessableEntity, "key or email reused")
		return
	}
	for _, b := range f.booked {
		if start.Before(b.Add(fakeHeld)) && b.Before(start.Add(fakeHeld)) {
			problem(w, http.StatusConflict, "slot-taken")
			return
		}
	}
	f.booked = append(f.booked, start)
	f.keys[key], f.emails[req.Client.Email] = true, true
	w.WriteHeader(http.StatusCreated)
	fmt.Fprint(w, `{"status":"pending_payment"}`)
}

func TestRunBothPhases(t *testing.T) {
	t.Parallel()
	f, srv := newFakeAPI(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL, "-concurrency", "4", "-duration", "200ms"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, &out)
	}

	f.mu.Lock()
	booked, posts, windows := len(f.booked), f.bookings, f.windows
	f.mu.Unlock()
	if booked == 0 || posts != booked {
		t.Fatalf("%d bookings made of %d requests; want all of them, at least one", booked, posts)
	}
	// Every slot left over overlaps a booked one: the phase booked as many as could be booked.
	if left := f.free(f.start, f.start.AddDate(0, 0, f.horizon)); len(left) != 0 {
		t.Errorf("%d slots still free after the bookings phase, first %v", len(left), left[0])
	}
	var seven int
	for w := range windows {
		from, _ := time.Parse(time.DateOnly, w[:10])
		to, _ := time.Parse(time.DateOnly, w[12:])
		if to.Sub(from) == 6*24*time.Hour {
			seven++
		}
	}
	if seven < 2 {
		t.Errorf("the slots phase asked for %d different 7-day windows, want them varied: %v", seven, windows)
	}
	for _, want := range []string{
		"| phase | concurrency |",
		"| slots | 4 | ",
		fmt.Sprintf("| bookings | 4 | %d | ", booked),
		fmt.Sprintf("statuses 201: %d\n", booked),
		fmt.Sprintf("booking %d of them with 4 workers", booked),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	if strings.Contains(out.String(), "| slots | 4 | 0 |") || strings.Contains(out.String(), "422") {
		t.Errorf("the slots phase made no good request:\n%s", &out)
	}
}

func TestRunBookingsLimited(t *testing.T) {
	t.Parallel()
	f, srv := newFakeAPI(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-url", srv.URL, "-phase", "bookings", "-bookings", "3"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, &out)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.booked) != 3 || len(f.windows) != 2 {
		t.Errorf("%d bookings after %d slot listings; want 3 bookings after 2 listings (31-day windows over days 0…60)",
			len(f.booked), len(f.windows))
	}
	if strings.Contains(out.String(), "| slots |") {
		t.Errorf("the slots phase ran:\n%s", &out)
	}
}

func TestBookingsCountConflicts(t *testing.T) {
	t.Parallel()
	f, srv := newFakeAPI(t)
	free := f.free(f.start, f.start.AddDate(0, 0, 7))
	if len(free) < 2 {
		t.Fatal("the fake offers too few slots")
	}
	// The same time twice and a time overlapping it: one booking, two conflicts.
	starts := []time.Time{free[0], free[0], free[0].Add(30 * time.Minute)}
	l := newLoader(srv.URL, "individual-session", "Europe/Berlin", 2)
	r := l.runBookings(context.Background(), serviceInfo{DurationMinutes: 50, Formats: []string{"online"}}, starts)
	if r.Requests != 3 || r.Statuses[201] != 1 || r.Statuses[409] != 2 {
		t.Errorf("statuses %v of %d requests, want 201: 1, 409: 2", r.Statuses, r.Requests)
	}
	if !strings.Contains(r.FirstError[409], "slot-taken") {
		t.Errorf("first 409 note %q", r.FirstError[409])
	}
}

func TestSlotsCountTransportErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	l := newLoader(srv.URL, "individual-session", "Europe/Berlin", 2)
	r := l.runSlots(context.Background(), slotsPlan{today: time.Now(), horizonDays: 60, windowDays: 7}, 50*time.Millisecond)
	if r.Requests == 0 || r.Statuses[0] != r.Requests || r.FirstError[0] == "" {
		t.Errorf("statuses %v of %d requests, notes %v; want all transport errors", r.Statuses, r.Requests, r.FirstError)
	}
}

func TestNonOverlapping(t *testing.T) {
	t.Parallel()
	at := func(hm ...string) []time.Time {
		var ts []time.Time
		for _, s := range hm {
			v, _ := time.Parse("15:04", s)
			ts = append(ts, v)
		}
		return ts
	}
	tests := []struct {
		name         string
		starts, want []time.Time
	}{
		{"none", nil, nil},
		{"every other half hour", at("10:00", "10:30", "11:00", "11:30", "12:00"), at("10:00", "11:00", "12:00")},
		{"a gap restarts the grid", at("10:00", "10:30", "13:30", "14:00", "14:30"), at("10:00", "13:30", "14:30")},
		{"just too close", at("10:00", "10:59", "11:58"), at("10:00", "11:58")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := nonOverlapping(tt.starts, time.Hour)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("nonOverlapping = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunRefuses(t *testing.T) {
	t.Parallel()
	_, srv := newFakeAPI(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown phase", []string{"-phase", "all"}, `-phase "all"`},
		{"no workers", []string{"-concurrency", "0"}, "must be positive"},
		{"negative bookings", []string{"-bookings", "-1"}, "must be positive"},
		{"unknown zone", []string{"-tz", "Mars/Olympus"}, "-tz"},
		{"unknown flag", []string{"-rps", "5"}, "not defined"},
		{"empty window", []string{"-window-days", "0"}, "-window-days 0"},
		{"window over the API's limit", []string{"-window-days", "32"}, "-window-days 32"},
		{"negative rate", []string{"-rate", "-1"}, "-rate -1"},
		{"an argument", []string{"-url", srv.URL, "slots"}, "unexpected argument"},
		{"unknown service", []string{"-url", srv.URL, "-service", "nope"}, "404"},
		{"no server", []string{"-url", "http://127.0.0.1:1"}, "read service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tt.args, new(bytes.Buffer))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error with %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, &out); err != nil {
		t.Fatalf("run -h: %v", err)
	}
	if !strings.Contains(out.String(), "-concurrency") {
		t.Errorf("no usage:\n%s", &out)
	}
}

// windowDays returns the length in days (both ends included) of each window the fake was asked
// for, with how often.
func (f *fakeAPI) windowDays() map[int]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	lengths := map[int]int{}
	for w, n := range f.windows {
		from, _ := time.Parse(time.DateOnly, w[:10])
		to, _ := time.Parse(time.DateOnly, w[12:])
		lengths[int(to.Sub(from)/(24*time.Hour))+1] += n
	}
	return lengths
}

func TestSlotsPlanWindow(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format(time.DateOnly) }
	tests := []struct {
		name                string
		horizon, window     int
		n                   int64
		wantFrom, wantToDay int // offsets from today
	}{
		{"first 7-day window", 60, 7, 0, 0, 6},
		{"next starts a day later", 60, 7, 1, 1, 7},
		{"last 7-day window ends at the horizon", 60, 7, 54, 54, 60},
		{"then round again", 60, 7, 55, 0, 6},
		{"first 30-day window", 60, 30, 0, 0, 29},
		{"last 30-day window ends at the horizon", 60, 30, 31, 31, 60},
		{"30-day windows round again", 60, 30, 32, 0, 29},
		{"a window longer than the horizon stays at today", 10, 31, 5, 0, 30},
		{"one-day windows", 3, 1, 3, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from, to := slotsPlan{today: today, horizonDays: tt.horizon, windowDays: tt.window}.window(tt.n)
			if got, want := from.Format(time.DateOnly)+".."+to.Format(time.DateOnly), day(tt.wantFrom)+".."+day(tt.wantToDay); got != want {
				t.Errorf("window(%d) = %s, want %s", tt.n, got, want)
			}
		})
	}
}

func TestRunSlotsWindowDays(t *testing.T) {
	t.Parallel()
	f, srv := newFakeAPI(t)
	var out bytes.Buffer
	args := []string{"-url", srv.URL, "-phase", "slots", "-window-days", "30", "-concurrency", "2", "-duration", "150ms"}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, &out)
	}
	lengths := f.windowDays()
	if len(lengths) != 1 || lengths[30] == 0 {
		t.Errorf("window lengths asked for (days: requests) %v, want only 30-day windows", lengths)
	}
	if !strings.Contains(out.String(), "slots: 30-day windows, 2 workers") || strings.Contains(out.String(), "errors") {
		t.Errorf("output:\n%s", &out)
	}
}

func TestSendScheduledCountsFromTheDueTime(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	l := newLoader(srv.URL, "individual-session", "Europe/Berlin", 1)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	// Due a second ago: the load fell behind, and the wait is the server's latency too.
	s := l.sendScheduled(req, http.StatusOK, time.Now().Add(-time.Second))
	if s.status != http.StatusOK || s.note != "" || s.latency < time.Second {
		t.Errorf("sample %+v, want 200 with at least 1s latency", s)
	}
}

func TestSlotsAtRateKeepsTheSchedule(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		windows = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		windows[r.URL.Query().Get("from")+".."+r.URL.Query().Get("to")]++
		mu.Unlock()
		fmt.Fprint(w, `{"slots":[]}`)
	}))
	t.Cleanup(srv.Close)
	l := newLoader(srv.URL, "individual-session", "Europe/Berlin", 1)
	today := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	r := l.runSlotsAtRate(context.Background(), slotsPlan{today: today, horizonDays: 60, windowDays: 30}, 200, 250*time.Millisecond)
	// Due at 0, 5, …, 245 ms.
	if r.Requests != 50 || r.Statuses[200] != 50 || r.Errors != 0 {
		t.Errorf("%d requests, statuses %v, %d errors; want 50 answered 200", r.Requests, r.Statuses, r.Errors)
	}
	if r.Rate != 200 || r.Concurrency != 0 || r.Phase != "slots" {
		t.Errorf("result %+v, want the slots phase at 200/s", r)
	}
	// Spread over the schedule, not sent at once: the last is due at 245 ms.
	if r.Wall < 245*time.Millisecond || r.Throughput() > 50/0.245 {
		t.Errorf("50 requests in %s = %.1f req/s, want them spread over 245 ms at least", r.Wall, r.Throughput())
	}
	mu.Lock()
	defer mu.Unlock()
	// 32 windows round the horizon (offsets 0 … 31): the first 18 twice, the others once.
	if len(windows) != 32 || windows["2026-12-03..2027-01-01"] != 2 || windows["2027-01-03..2027-02-01"] != 1 {
		t.Errorf("windows asked for %v, want 30-day windows starting each day 0 … 31", windows)
	}
}

// A server that stalls for a while: a closed loop would wait with it and send nothing, an open loop
// goes on sending, and the requests queued behind the stall show the wait in their latency.
func TestSlotsAtRateSeesAStall(t *testing.T) {
	t.Parallel()
	const stall = 300 * time.Millisecond
	var (
		lock     sync.Mutex // one request at a time, like a server with one busy worker
		mu       sync.Mutex
		arrivals []time.Time
		first    = true
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		lock.Lock()
		defer lock.Unlock()
		if first {
			first = false
			time.Sleep(stall)
		}
		fmt.Fprint(w, `{"slots":[]}`)
	}))
	t.Cleanup(srv.Close)
	l := newLoader(srv.URL, "individual-session", "Europe/Berlin", 1)
	start := time.Now()
	r := l.runSlotsAtRate(context.Background(), slotsPlan{today: start, horizonDays: 60, windowDays: 7}, 100, 400*time.Millisecond)

	mu.Lock()
	var during int
	for _, a := range arrivals {
		if a.Before(start.Add(stall)) {
			during++
		}
	}
	mu.Unlock()
	if r.Requests != 40 || r.Errors != 0 {
		t.Fatalf("%d requests, %d errors; want 40 answered", r.Requests, r.Errors)
	}
	if during < 10 {
		t.Errorf("%d requests reached the server during its %s stall; want the schedule kept (about 29)", during, stall)
	}
	// About 29 of 40 waited behind the stall, 10 … 290 ms: the 36th fastest waited about 250 ms.
	if r.P90 < 150*time.Millisecond || r.Max < 200*time.Millisecond {
		t.Errorf("p90 %v, max %v; want the stall in the latencies", r.P90, r.Max)
	}
}

func TestSlotsAtRateStopsWithTheContext(t *testing.T) {
	t.Parallel()
	_, srv := newFakeAPI(t)
	l := newLoader(srv.URL, "individual-session", "Europe/Berlin", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := l.runSlotsAtRate(ctx, slotsPlan{today: time.Now(), horizonDays: 60, windowDays: 7}, 50, time.Minute)
	if took := time.Since(start); took > 5*time.Second || r.Requests > 10 {
		t.Errorf("ran %s and sent %d requests after the context ended at 100 ms", took, r.Requests)
	}
}

func TestRunJSON(t *testing.T) {
	t.Parallel()
	f, srv := newFakeAPI(t)
	var out bytes.Buffer
	args := []string{"-url", srv.URL, "-window-days", "30", "-rate", "100", "-duration", "200ms", "-concurrency", "3", "-json"}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, &out)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two lines, one JSON object per phase and nothing else:\n%s", &out)
	}
	var slots, bookings jsonResult
	for i, v := range []*jsonResult{&slots, &bookings} {
		dec := json.NewDecoder(strings.NewReader(lines[i]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, lines[i])
		}
	}
	f.mu.Lock()
	booked := len(f.booked)
	f.mu.Unlock()
	if slots.Name != "slots" || slots.Rate != 100 || slots.Requests != 20 || slots.Errors != 0 ||
		slots.Statuses["200"] != 20 || slots.RPS <= 0 || slots.P99 <= 0 || slots.P50 > slots.P99 {
		t.Errorf("slots %+v, want 20 requests at 100/s, all 200", slots)
	}
	if bookings.Name != "bookings" || bookings.Concurrency != 3 || bookings.Requests != booked ||
		bookings.Statuses["201"] != booked || bookings.Errors != 0 || bookings.RPS <= 0 {
		t.Errorf("bookings %+v, want %d bookings made by 3 workers", bookings, booked)
	}
}
