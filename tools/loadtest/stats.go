package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// sample is one request: its HTTP status (0 when no response came back), how long it took to the
// last byte of the body (from sending, or from its scheduled send time at a fixed rate), and, for a
// failure, why.
type sample struct {
	status  int
	latency time.Duration
	note    string
}

// Result is what a phase measured.
type Result struct {
	Phase       string
	Concurrency int     // workers of a closed loop; 0 at a fixed rate
	Rate        float64 // the scheduled requests per second of an open loop; 0 for a closed loop
	Requests    int
	Errors      int            // requests without the expected status
	Statuses    map[int]int    // count by HTTP status; 0 = transport error
	FirstError  map[int]string // the first failure's note by status, for the report
	Wall        time.Duration
	P50, P90    time.Duration
	P99, Max    time.Duration
}

// summarize computes a phase's Result from every recorded sample.
func summarize(phase string, concurrency int, samples []sample, wall time.Duration) Result {
	r := Result{
		Phase: phase, Concurrency: concurrency, Requests: len(samples), Wall: wall,
		Statuses: map[int]int{}, FirstError: map[int]string{},
	}
	latencies := make([]time.Duration, len(samples))
	for i, s := range samples {
		latencies[i] = s.latency
		r.Statuses[s.status]++
		if s.note != "" {
			r.Errors++
		}
		if _, seen := r.FirstError[s.status]; s.note != "" && !seen {
			r.FirstError[s.status] = s.note
		}
	}
	slices.Sort(latencies)
	r.P50 = percentile(latencies, 50)
	r.P90 = percentile(latencies, 90)
	r.P99 = percentile(latencies, 99)
	if len(latencies) > 0 {
		r.Max = latencies[len(latencies)-1]
	}
	return r
}

// percentile is the nearest-rank percentile p (0 < p ≤ 100) of sorted: the smallest value with at
// least p % of the values at or below it. It is 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Throughput is completed requests per second of wall time; at a fixed rate, the rate achieved.
func (r Result) Throughput() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Wall.Seconds()
}

// StatusCounts lists the counts by status in order, e.g. "201: 380, 409: 2"; transport errors
// are "error".
func (r Result) StatusCounts() string {
	codes := make([]int, 0, len(r.Statuses))
	for code := range r.Statuses {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		name := fmt.Sprint(code)
		if code == 0 {
			name = "error"
		}
		parts[i] = fmt.Sprintf("%s: %d", name, r.Statuses[code])
	}
	return strings.Join(parts, ", ")
}

// markdownHeader and MarkdownRow make the results table of docs/performance.md.
const markdownHeader = "| phase | concurrency | requests | req/s | p50 | p90 | p99 | max | statuses |\n" +
	"|---|--:|--:|--:|--:|--:|--:|--:|---|\n"

func (r Result) MarkdownRow() string {
	return fmt.Sprintf("| %s | %s | %d | %.1f | %s | %s | %s | %s | %s |\n", r.Phase, r.load(),
		r.Requests, r.Throughput(), ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), r.StatusCounts())
}

// load is how the phase was driven: its workers, or its fixed rate ("200/s").
func (r Result) load() string {
	if r.Rate > 0 {
		return fmt.Sprintf("%g/s", r.Rate)
	}
	return fmt.Sprint(r.Concurrency)
}

// String is the human-readable report of the phase.
func (r Result) String() string {
	var b strings.Builder
	if r.Rate > 0 {
		fmt.Fprintf(&b, "%s: %d requests scheduled at %g req/s in %s = %.1f req/s achieved\n",
			r.Phase, r.Requests, r.Rate, r.Wall.Round(time.Millisecond), r.Throughput())
		fmt.Fprintf(&b, "  latency from the scheduled send time: ")
	} else {
		fmt.Fprintf(&b, "%s: %d requests at concurrency %d in %s = %.1f req/s\n",
			r.Phase, r.Requests, r.Concurrency, r.Wall.Round(time.Millisecond), r.Throughput())
		fmt.Fprintf(&b, "  latency ")
	}
	fmt.Fprintf(&b, "p50 %s, p90 %s, p99 %s, max %s\n", ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
	fmt.Fprintf(&b, "  statuses %s\n", r.StatusCounts())
	if r.Errors > 0 {
		fmt.Fprintf(&b, "  %d errors\n", r.Errors)
	}
	codes := make([]int, 0, len(r.FirstError))
	for code := range r.FirstError {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Fprintf(&b, "  first %d: %s\n", code, r.FirstError[code])
	}
	return b.String()
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// jsonResult is a phase's Result as one JSON object, for scripts: times in milliseconds, statuses
// by code ("0" for transport errors).
type jsonResult struct {
	Name        string            `json:"name"`
	Concurrency int               `json:"concurrency"`
	Rate        float64           `json:"rate"`
	Requests    int               `json:"requests"`
	Errors      int               `json:"errors"`
	WallS       float64           `json:"wall_s"`
	RPS         float64           `json:"rps"`
	P50         float64           `json:"p50_ms"`
	P90         float64           `json:"p90_ms"`
	P99         float64           `json:"p99_ms"`
	Max         float64           `json:"max_ms"`
	Statuses    map[string]int    `json:"statuses"`
	FirstErrors map[string]string `json:"first_errors,omitempty"`
}

// JSON is the phase as one line of JSON.
func (r Result) JSON() string {
	milli := func(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }
	j := jsonResult{
		Name: r.Phase, Concurrency: r.Concurrency, Rate: r.Rate, Requests: r.Requests, Errors: r.Errors,
		WallS: round3(r.Wall.Seconds()), RPS: round3(r.Throughput()),
		P50: milli(r.P50), P90: milli(r.P90), P99: milli(r.P99), Max: milli(r.Max),
		Statuses: map[string]int{},
	}
	for code, n := range r.Statuses {
		j.Statuses[fmt.Sprint(code)] = n
	}
	if len(r.FirstError) > 0 {
		j.FirstErrors = map[string]string{}
		for code, note := range r.FirstError {
			j.FirstErrors[fmt.Sprint(code)] = note
		}
	}
	b, err := json.Marshal(j)
	if err != nil { // cannot happen: strings, numbers and maps of them
		panic(err)
	}
	return string(b) + "\n"
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
