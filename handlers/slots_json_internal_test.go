package handlers

import (
	"encoding/json"
	"testing"
	"time"

	"balance/service/booking"
)

// slotsJSON writes exactly what encoding/json writes for the same answer, strings from outside
// escaped, an empty list as [].
func TestSlotsJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	ber, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	kat, err := time.LoadLocation("Asia/Kathmandu") // +05:45
	if err != nil {
		t.Fatal(err)
	}
	slot := func(start time.Time, client *time.Location) booking.Slot {
		end := start.Add(50 * time.Minute)
		return booking.Slot{Start: start, End: end, ClientStart: start.In(client), ClientEnd: end.In(client)}
	}
	// Berlin leaves winter time at 01:00 UTC on 2026-03-29.
	dst := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, slug, zone string
		slots            []booking.Slot
	}{
		{"none", "individual-session", "Europe/Berlin", []booking.Slot{}},
		{"across a DST change", "individual-session", "Europe/Berlin", []booking.Slot{slot(dst, ber), slot(dst.Add(time.Hour), ber)}},
		{"UTC client, odd offset", "s", "UTC", []booking.Slot{slot(dst, time.UTC), slot(dst.In(kat), kat)}},
		{"strings to escape", `a"b\c<d>&é`, "Etc/GMT+3\u2028", []booking.Slot{slot(dst, ber)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := slotsJSON(tc.slug, tc.zone, tc.slots)
			if err != nil {
				t.Fatal(err)
			}
			type slotOut struct {
				Start      string `json:"start"`
				End        string `json:"end"`
				StartLocal string `json:"start_local"`
				EndLocal   string `json:"end_local"`
			}
			out := make([]slotOut, 0, len(tc.slots))
			for _, s := range tc.slots {
				out = append(out, slotOut{
					Start: s.Start.UTC().Format(time.RFC3339), End: s.End.UTC().Format(time.RFC3339),
					StartLocal: s.ClientStart.Format(time.RFC3339), EndLocal: s.ClientEnd.Format(time.RFC3339),
				})
			}
			want, err := json.Marshal(map[string]any{"service": tc.slug, "timezone": tc.zone, "slots": out})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("slotsJSON =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// appendRFC3339 writes what time.RFC3339 formats, in zones east and west of UTC, with odd offsets,
// on DST days and at any second.
func TestAppendRFC3339MatchesFormat(t *testing.T) {
	t.Parallel()
	var zones []*time.Location
	for _, name := range []string{"UTC", "Europe/Moscow", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "America/Los_Angeles", "Etc/GMT+12"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		u := at.Add(time.Duration(i)*4*time.Hour + time.Duration(i%61)*time.Second + 999*time.Millisecond)
		for _, loc := range zones {
			v := u.In(loc)
			if got, want := string(appendRFC3339(nil, v)), v.Format(time.RFC3339); got != want {
				t.Fatalf("%v: %s, want %s", v, got, want)
			}
		}
	}
	if got := string(appendRFC3339([]byte("x"), time.Date(7, 2, 3, 4, 5, 6, 0, time.UTC))); got != "x0007-02-03T04:05:06Z" {
		t.Errorf("early year: %s", got)
	}
}
