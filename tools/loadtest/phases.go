package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxWindowDays is the longest date range one slots request may ask for (the API's limit).
const maxWindowDays = 31

// loader sends the requests of both phases to one server.
type loader struct {
	client      *http.Client
	base        string // e.g. http://127.0.0.1:18080
	slug        string
	tz          string // the client's zone for the local times
	concurrency int
}

func newLoader(base, slug, tz string, concurrency int) *loader {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// A kept-alive connection for every request in flight, so the numbers are not about dialing:
	// one per worker of a closed loop, and room for the requests that overlap at a fixed rate.
	transport.MaxIdleConnsPerHost = max(concurrency, 128)
	return &loader{
		client: &http.Client{Transport: transport, Timeout: 30 * time.Second},
		base:   strings.TrimRight(base, "/"), slug: slug, tz: tz, concurrency: concurrency,
	}
}

// serviceInfo is what the load needs of GET /api/v1/services/{slug}.
type serviceInfo struct {
	DurationMinutes int      `json:"duration_minutes"`
	Formats         []string `json:"formats"`
	Timezone        string   `json:"timezone"`
}

// today is the current calendar day in the service's zone, where the API's dates are.
func (s serviceInfo) today(now time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.Time{}, fmt.Errorf("service time zone: %w", err)
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

func (l *loader) service(ctx context.Context) (serviceInfo, error) {
	var svc serviceInfo
	err := l.getJSON(ctx, l.base+"/api/v1/services/"+url.PathEscape(l.slug), &svc)
	switch {
	case err != nil:
		return svc, fmt.Errorf("read service %s: %w", l.slug, err)
	case svc.DurationMinutes <= 0 || len(svc.Formats) == 0:
		return svc, fmt.Errorf("read service %s: no duration or formats in the answer", l.slug)
	}
	return svc, nil
}

func (l *loader) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (l *loader) slotsURL(from, to time.Time) string {
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}, "tz": {l.tz}}
	return l.base + "/api/v1/services/" + url.PathEscape(l.slug) + "/slots?" + q.Encode()
}

// send makes one request timed from now; a status other than want keeps the start of the body as
// the note.
func (l *loader) send(req *http.Request, want int) sample {
	return l.sendScheduled(req, want, time.Now())
}

// sendScheduled makes one request timed from at, its scheduled send time, which may have passed.
func (l *loader) sendScheduled(req *http.Request, want int, at time.Time) sample {
	resp, err := l.client.Do(req)
	if err != nil {
		return sample{latency: time.Since(at), note: err.Error()}
	}
	// The body is read to its end but not kept (a slots answer is tens of kilobytes): the load
	// generator shares the machine with the server and should take as little of it as it can.
	var note []byte
	if resp.StatusCode != want {
		note, _ = io.ReadAll(io.LimitReader(resp.Body, 300))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := sample{status: resp.StatusCode, latency: time.Since(at)}
	switch {
	case err != nil:
		s.status, s.note = 0, "read body: "+err.Error()
	case s.status != want:
		s.note = string(note)
	}
	return s
}

// runWorkers runs work on l.concurrency goroutines until each gets ok == false, and returns every
// sample and the wall time.
func (l *loader) runWorkers(work func() (s sample, ok bool)) ([]sample, time.Duration) {
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range l.concurrency {
		wg.Go(func() {
			var mine []sample
			for {
				s, ok := work()
				if !ok {
					break
				}
				mine = append(mine, s)
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return samples, time.Since(start)
}

// slotsPlan says which windows the slots phase asks for: windowDays days each (both ends
// included), request n's window starting n days after today, round the horizon (days today …
// today+horizonDays), so that the requests do not all ask for the same days.
type slotsPlan struct {
	today       time.Time
	horizonDays int
	windowDays  int // 1 … maxWindowDays
}

// window is request n's (0, 1, …) first and last day.
func (p slotsPlan) window(n int64) (from, to time.Time) {
	starts := max(p.horizonDays-p.windowDays+2, 1) // offsets 0 … horizonDays-windowDays+1
	from = p.today.AddDate(0, 0, int(n%int64(starts)))
	return from, from.AddDate(0, 0, p.windowDays-1)
}

func (l *loader) slotsRequest(ctx context.Context, plan slotsPlan, n int64) (*http.Request, error) {
	from, to := plan.window(n)
	return http.NewRequestWithContext(ctx, http.MethodGet, l.slotsURL(from, to), nil)
}

// runSlots asks for the plan's windows from l.concurrency workers for duration, each worker sending
// its next request when the previous one is answered (a closed loop).
func (l *loader) runSlots(ctx context.Context, plan slotsPlan, duration time.Duration) Result {
	deadline := time.Now().Add(duration)
	var n atomic.Int64
	samples, wall := l.runWorkers(func() (sample, bool) {
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return sample{}, false
		}
		req, err := l.slotsRequest(ctx, plan, n.Add(1)-1)
		if err != nil {
			return sample{note: err.Error()}, true
		}
		return l.send(req, http.StatusOK), true
	})
	return summarize("slots", l.concurrency, samples, wall)
}

// runSlotsAtRate asks for the plan's windows at rate requests per second for duration (an open
// loop): request n is due at start + n/rate and goes out then whether or not earlier ones have been
// answered. Its latency counts from that due time, so a server that falls behind shows in the
// percentiles instead of slowing the load down and hiding its queue (coordinated omission). The
// phase ends when every request sent has been answered; the achieved rate is requests per second
// of that wall time.
func (l *loader) runSlotsAtRate(ctx context.Context, plan slotsPlan, rate float64, duration time.Duration) Result {
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
schedule:
	for n := int64(0); ; n++ {
		// From n, not from the previous send, so that late sends do not push the schedule back.
		due := start.Add(time.Duration(float64(n) * float64(time.Second) / rate))
		if !due.Before(start.Add(duration)) {
			break
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break schedule
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			var s sample
			if req, err := l.slotsRequest(ctx, plan, n); err != nil {
				s = sample{note: err.Error()}
			} else {
				s = l.sendScheduled(req, http.StatusOK, due)
			}
			mu.Lock()
			samples = append(samples, s)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := summarize("slots", 0, samples, time.Since(start))
	r.Rate = rate
	return r
}

// freeSlots lists the starts of every free slot from today to today+horizonDays, in windows of the
// API's longest range, ordered.
func (l *loader) freeSlots(ctx context.Context, today time.Time, horizonDays int) ([]time.Time, error) {
	var starts []time.Time
	for first := 0; first <= horizonDays; first += maxWindowDays {
		from, to := today.AddDate(0, 0, first), today.AddDate(0, 0, min(first+maxWindowDays-1, horizonDays))
		var page struct {
			Slots []struct {
				Start time.Time `json:"start"`
			} `json:"slots"`
		}
		if err := l.getJSON(ctx, l.slotsURL(from, to), &page); err != nil {
			return nil, fmt.Errorf("list free slots: %w", err)
		}
		for _, s := range page.Slots {
			starts = append(starts, s.Start)
		}
	}
	slices.SortFunc(starts, time.Time.Compare)
	return starts, nil
}

// nonOverlapping keeps, in order, the starts that begin no earlier than the previous kept start
// plus held (the duration and the buffer), so that all of them can be booked together.
func nonOverlapping(starts []time.Time, held time.Duration) []time.Time {
	var kept []time.Time
	for _, s := range starts {
		if len(kept) == 0 || !s.Before(kept[len(kept)-1].Add(held)) {
			kept = append(kept, s)
		}
	}
	return kept
}

type bookingRequest struct {
	ServiceSlug string           `json:"service_slug"`
	Start       string           `json:"start"`
	Format      string           `json:"format"`
	Timezone    string           `json:"timezone"`
	Client      bookingClient    `json:"client"`
	Consents    []bookingConsent `json:"consents"`
}

type bookingClient struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type bookingConsent struct {
	Type    string `json:"type"`
	Version string `json:"version"`
}

// runBookings books each start once, each request with its own client email and Idempotency-Key.
func (l *loader) runBookings(ctx context.Context, svc serviceInfo, starts []time.Time) Result {
	run := strings.ToLower(rand.Text()[:10]) // keeps emails and keys unique across runs
	var next atomic.Int64
	samples, wall := l.runWorkers(func() (sample, bool) {
		i := int(next.Add(1) - 1)
		if ctx.Err() != nil || i >= len(starts) {
			return sample{}, false
		}
		body, err := json.Marshal(bookingRequest{
			ServiceSlug: l.slug, Start: starts[i].UTC().Format(time.RFC3339), Format: svc.Formats[0],
			Timezone: l.tz,
			Client:   bookingClient{Name: "Load Test", Email: fmt.Sprintf("load-%s-%d@example.com", run, i)},
			Consents: []bookingConsent{{Type: "personal_data", Version: "load-test"}},
		})
		if err != nil {
			return sample{note: err.Error()}, true
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/api/v1/bookings", bytes.NewReader(body))
		if err != nil {
			return sample{note: err.Error()}, true
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%s-%d", run, i))
		return l.send(req, http.StatusCreated), true
	})
	return summarize("bookings", l.concurrency, samples, wall)
}
