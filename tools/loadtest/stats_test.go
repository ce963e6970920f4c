package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	series := func(n int) []time.Duration {
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(i+1) * time.Millisecond
		}
		return d
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no values", nil, 50, 0},
		{"one value", series(1), 99, time.Millisecond},
		{"p50 of 100", series(100), 50, 50 * time.Millisecond},
		{"p90 of 100", series(100), 90, 90 * time.Millisecond},
		{"p99 of 100", series(100), 99, 99 * time.Millisecond},
		{"p100 of 100", series(100), 100, 100 * time.Millisecond},
		{"p50 of 10", series(10), 50, 5 * time.Millisecond},
		{"p99 of 10 is the max", series(10), 99, 10 * time.Millisecond},
		{"rank rounds up", series(3), 50, 2 * time.Millisecond},
		{"tiny p is the min", series(10), 0.1, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%d values, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	samples := []sample{
		{status: 201, latency: 30 * time.Millisecond},
		{status: 409, latency: 10 * time.Millisecond, note: `{"title":"slot taken"}`},
		{status: 201, latency: 20 * time.Millisecond},
		{status: 0, latency: 40 * time.Millisecond, note: "connection refused"},
		{status: 409, latency: 10 * time.Millisecond, note: "second conflict"},
	}
	r := summarize("bookings", 4, samples, 2*time.Second)

	if r.Requests != 5 || r.Statuses[201] != 2 || r.Statuses[409] != 2 || r.Statuses[0] != 1 {
		t.Errorf("requests %d, statuses %v", r.Requests, r.Statuses)
	}
	// Sorted: 10 10 20 30 40 ms.
	if r.P50 != 20*time.Millisecond || r.P90 != 40*time.Millisecond || r.P99 != 40*time.Millisecond ||
		r.Max != 40*time.Millisecond {
		t.Errorf("p50 %v p90 %v p99 %v max %v", r.P50, r.P90, r.P99, r.Max)
	}
	if got := r.Throughput(); got != 2.5 {
		t.Errorf("throughput %v, want 2.5", got)
	}
	if got := r.FirstError[409]; got != `{"title":"slot taken"}` {
		t.Errorf("first 409 note %q", got)
	}
	if _, ok := r.FirstError[201]; ok {
		t.Error("a success has a note")
	}
	if got, want := r.StatusCounts(), "error: 1, 201: 2, 409: 2"; got != want {
		t.Errorf("StatusCounts() = %q, want %q", got, want)
	}
	if got, want := r.MarkdownRow(), "| bookings | 4 | 5 | 2.5 | 20.00 ms | 40.00 ms | 40.00 ms | 40.00 ms | error: 1, 201: 2, 409: 2 |\n"; got != want {
		t.Errorf("MarkdownRow() =\n%s want\n%s", got, want)
	}
	for _, want := range []string{"5 requests at concurrency 4 in 2s = 2.5 req/s", "first 0: connection refused", "first 409: {"} {
		if !strings.Contains(r.String(), want) {
			t.Errorf("String() lacks %q:\n%s", want, r)
		}
	}
}

func TestSummarizeNothing(t *testing.T) {
	t.Parallel()
	r := summarize("slots", 1, nil, 0)
	if r.Requests != 0 || r.Max != 0 || r.Throughput() != 0 || r.StatusCounts() != "" {
		t.Errorf("empty result %+v", r)
	}
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	samples := []sample{
		{status: 200, latency: 1500 * time.Microsecond},
		{status: 200, latency: 2 * time.Millisecond},
		{status: 500, latency: 9 * time.Millisecond, note: "boom"},
		{status: 0, latency: 4 * time.Millisecond, note: "connection refused"},
	}
	r := summarize("slots", 0, samples, 2*time.Second)
	r.Rate = 2
	var got map[string]any
	if err := json.Unmarshal([]byte(r.JSON()), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "slots", "concurrency": 0.0, "rate": 2.0, "requests": 4.0, "errors": 2.0, "wall_s": 2.0,
		"rps": 2.0, "p50_ms": 2.0, "p90_ms": 9.0, "p99_ms": 9.0, "max_ms": 9.0,
		"statuses":     map[string]any{"0": 1.0, "200": 2.0, "500": 1.0},
		"first_errors": map[string]any{"0": "connection refused", "500": "boom"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON() =\n%v\nwant\n%v", got, want)
	}
	if !strings.HasSuffix(r.JSON(), "}\n") || strings.Count(r.JSON(), "\n") != 1 {
		t.Errorf("JSON() = %q, want one line", r.JSON())
	}
}

func TestResultAtRateReads(t *testing.T) {
	t.Parallel()
	r := summarize("slots", 0, []sample{{status: 200, latency: time.Millisecond}}, 500*time.Millisecond)
	r.Rate = 200
	if got, want := r.MarkdownRow(), "| slots | 200/s | 1 | 2.0 | 1.00 ms | 1.00 ms | 1.00 ms | 1.00 ms | 200: 1 |\n"; got != want {
		t.Errorf("MarkdownRow() =\n%s want\n%s", got, want)
	}
	if want := "1 requests scheduled at 200 req/s in 500ms = 2.0 req/s achieved\n" +
		"  latency from the scheduled send time: p50 1.00 ms"; !strings.Contains(r.String(), want) {
		t.Errorf("String() lacks %q:\n%s", want, r)
	}
}
