package events

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// Retries wait exponentially longer: base, 2·base, 4·base, … up to the cap.
func TestBackoffGrows(t *testing.T) {
	t.Parallel()
	b := backoff{base: time.Second, max: 30 * time.Second}
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for attempt, w := range want {
		if got := b.delay(attempt); got != w {
			t.Errorf("delay(attempt %d) = %v, want %v", attempt, got, w)
		}
	}
	before := time.Now()
	next := b.NextRetry(&rivertype.JobRow{Attempt: 3})
	if d := next.Sub(before); d < 4*time.Second || d > 5*time.Second {
		t.Errorf("NextRetry after attempt 3 is %v away, want about 4s", d)
	}
	// A huge attempt count must not overflow into a negative delay.
	if got := b.delay(500); got != 30*time.Second {
		t.Errorf("delay(500) = %v", got)
	}
}
