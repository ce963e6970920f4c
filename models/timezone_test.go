package models_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"balance/models"
)

func TestParseTimeZone(t *testing.T) {
	t.Parallel()
	z, err := models.ParseTimeZone("timezone", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if z.Name() != "Europe/Berlin" || z.String() != "Europe/Berlin" || z.IsZero() || z.Location().String() != "Europe/Berlin" {
		t.Errorf("zone = %q %q %v %v", z.Name(), z.String(), z.IsZero(), z.Location())
	}
	summer := time.Date(2026, time.July, 1, 12, 0, 0, 0, time.UTC).In(z.Location())
	if _, offset := summer.Zone(); offset != 2*60*60 {
		t.Errorf("Berlin in July is %+d s from UTC, want +7200", offset)
	}
	if u, err := models.ParseTimeZone("timezone", "UTC"); err != nil || u.Location() != time.UTC {
		t.Errorf("UTC = %v, %v", u.Location(), err)
	}

	for _, tt := range []struct{ name, field, zone, message string }{
		{"empty", "timezone", "", "must be an IANA time zone such as Europe/Moscow"},
		{"the server's zone", "tz", "Local", "must be an IANA time zone such as Europe/Moscow"},
		{"unknown", "time_zone", "Mars/Olympus", `unknown time zone "Mars/Olympus"`},
		{"a path", "timezone", "../../etc/passwd", "unknown time zone"},
		{"an offset", "timezone", "+03:00", "unknown time zone"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			z, err := models.ParseTimeZone(tt.field, tt.zone)
			ve := wantValidationError(t, err, tt.field)
			if !strings.Contains(ve.Message, tt.message) {
				t.Errorf("message %q, want %q", ve.Message, tt.message)
			}
			if !z.IsZero() {
				t.Errorf("a refused zone came back: %q", z.Name())
			}
		})
	}
}

// TestParseTimeZoneCaches: a zone is loaded once per process; every later parse, from any
// goroutine, gives the same *time.Location.
func TestParseTimeZoneCaches(t *testing.T) {
	t.Parallel()
	const name = "Asia/Vladivostok" // no other test of this package parses it
	locs := make([]*time.Location, 8)
	var wg sync.WaitGroup
	for i := range locs {
		wg.Go(func() {
			z, err := models.ParseTimeZone("timezone", name)
			if err != nil {
				t.Error(err)
				return
			}
			locs[i] = z.Location()
		})
	}
	wg.Wait()
	again := models.MustTimeZone(name).Location()
	for i, loc := range locs {
		if loc != again {
			t.Errorf("parse %d gave location %p, later parses %p: not the cached one", i, loc, again)
		}
	}
}

func TestTimeZoneZero(t *testing.T) {
	t.Parallel()
	var z models.TimeZone
	if !z.IsZero() || z.Name() != "" || z.Location() != time.UTC {
		t.Errorf("zero zone: %v %q %v", z.IsZero(), z.Name(), z.Location())
	}
}

func TestMustTimeZonePanicsOnABadName(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("MustTimeZone accepted Nowhere/Land")
		}
	}()
	models.MustTimeZone("Nowhere/Land")
}
