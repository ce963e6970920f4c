package notify

import (
	"testing"
	"time"
)

// A message's time is written on the client's clock, and on UTC's, named so, when the zone is
// missing or not one the server knows.
func TestRussianTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)
	for zone, want := range map[string]string{
		"Europe/Moscow": "четверг, 3 декабря 2026, 08:00 (Europe/Moscow)",
		"America/Lima":  "четверг, 3 декабря 2026, 00:00 (America/Lima)",
		"":              "четверг, 3 декабря 2026, 05:00 (UTC)",
		"Mars/Olympus":  "четверг, 3 декабря 2026, 05:00 (UTC)",
		"Local":         "четверг, 3 декабря 2026, 05:00 (UTC)",
	} {
		if got := russianTime(at, zone); got != want {
			t.Errorf("zone %q: %s, want %s", zone, got, want)
		}
	}
}
