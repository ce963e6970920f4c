package repository

import (
	"strings"
	"testing"
	"time"
)

// decodeSchedule reads what PostgreSQL's json_agg gives, no rows as NULL, and refuses what it
// cannot read instead of checking slots against a half-read schedule.
func TestDecodeSchedule(t *testing.T) {
	t.Parallel()
	const id = "01a23dc5-b7bb-772b-9f68-c45a70f7d47e"
	s, err := decodeSchedule(nil, nil)
	if err != nil || s == nil || len(s.Rules) != 0 || len(s.Exceptions) != 0 {
		t.Fatalf("no rows: %+v, %v", s, err)
	}
	s, err = decodeSchedule(
		[]byte(`[["`+id+`", 2, 600, 1080, "Europe/Moscow", "2026-04-01", null]]`),
		[]byte(`[["`+id+`", "day_off", null, null, "Europe/Moscow", "2026-05-01", "2026-05-10"], ["`+id+`", "extra_hours", 1080, 1200, "UTC", "2026-05-12", "2026-05-12"]]`))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Rules[0]
	if len(s.Rules) != 1 || r.Weekday != 2 || r.StartMinute != 600 || r.EndMinute != 1080 || r.Timezone != "Europe/Moscow" ||
		r.ValidFrom == nil || !r.ValidFrom.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) || r.ValidTo != nil {
		t.Errorf("rules %+v", s.Rules)
	}
	off, extra := s.Exceptions[0], s.Exceptions[1]
	if len(s.Exceptions) != 2 || off.Kind != "day_off" || off.StartMinute != nil || !off.DateTo.Equal(time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)) ||
		extra.StartMinute == nil || *extra.StartMinute != 1080 || *extra.EndMinute != 1200 || extra.Timezone != "UTC" {
		t.Errorf("exceptions %+v", s.Exceptions)
	}
	for _, tc := range []struct{ name, rules, exceptions, want string }{
		{"not JSON", `[[`, ``, "rules"},
		{"a rule without hours", `[["` + id + `", 1, null, 600, "UTC", null, null]]`, ``, "no hours"},
		{"a rule with a bad day", `[["` + id + `", 1, 0, 600, "UTC", "01.04.2026", null]]`, ``, "rule"},
		{"a bad id", `[["x", 1, 0, 600, "UTC", null, null]]`, ``, "rules"},
		{"an exception without days", ``, `[["` + id + `", "day_off", null, null, "UTC", null, "2026-05-10"]]`, "bad days"},
		{"an exception with a bad day", ``, `[["` + id + `", "day_off", null, null, "UTC", "2026-05-01", "May"]]`, "bad days"},
		{"exceptions not JSON", ``, `{}`, "exceptions"},
	} {
		if _, err := decodeSchedule([]byte(tc.rules), []byte(tc.exceptions)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
}
