package models_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
)

// cabinetT0 is the fixed moment the cabinet tests stand at.
var cabinetT0 = time.Date(2026, time.March, 29, 0, 30, 0, 0, time.UTC)

// cabinetMSK is a fixed +03:00 zone: the client's zone in these tests.
var cabinetMSK = time.FixedZone("MSK", 3*60*60)

func cabinetPtr[T any](v T) *T { return &v }

// cabinetAssertValidation fails unless err is a *models.ValidationError naming field.
func cabinetAssertValidation(t *testing.T, err error, field string) {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v (%T), want a *models.ValidationError", err, err)
	}
	if ve.Field != field {
		t.Errorf("field = %q, want %q (%v)", ve.Field, field, err)
	}
}

// cabinetAssertNoPlaintext fails if an event, as it would travel through a queue, quotes secret.
func cabinetAssertNoPlaintext(t *testing.T, events []models.Event, secret string) {
	t.Helper()
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal %s: %v", e.EventName(), err)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("event %s carries P2 data: %s", e.EventName(), b)
		}
	}
}

func TestDiaryDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"just after midnight in Moscow is that day", time.Date(2026, 3, 29, 0, 30, 0, 0, cabinetMSK), time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)},
		{"late evening in UTC", time.Date(2026, 3, 28, 23, 59, 59, 0, time.UTC), time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)},
		{"the same instant seen from UTC is the day before", time.Date(2026, 3, 29, 0, 30, 0, 0, cabinetMSK).UTC(), time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := models.DiaryDate(tt.in)
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("DiaryDate(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewDiaryEntry(t *testing.T) {
	t.Parallel()
	user := models.NewID()
	day := time.Date(2026, 3, 29, 0, 30, 0, 0, cabinetMSK)
	longTag := strings.Repeat("я", models.DiaryTagMaxChars)
	tests := []struct {
		name      string
		user      uuid.UUID
		date      time.Time
		body      string
		mood      *int
		tags      []string
		wantField string // "" when valid
	}{
		{name: "every field", user: user, date: day, body: "Сегодня было тревожно", mood: cabinetPtr(3), tags: []string{"тревога", longTag}},
		{name: "no mood, no tags", user: user, date: day, body: "all is well today"},
		{name: "longest body in runes", user: user, date: day, body: strings.Repeat("ж", models.DiaryBodyMaxChars)},
		{name: "mood bounds", user: user, date: day, body: "private words", mood: cabinetPtr(models.DiaryMoodMax)},
		{name: "most tags", user: user, date: day, body: "private words", tags: slices.Repeat([]string{"t"}, models.DiaryMaxTags)},
		{name: "no user", date: day, body: "private words", wantField: "user_id"},
		{name: "no date", user: user, body: "private words", wantField: "entry_date"},
		{name: "empty body", user: user, date: day, wantField: "body"},
		{name: "body too long", user: user, date: day, body: strings.Repeat("ж", models.DiaryBodyMaxChars+1), wantField: "body"},
		{name: "body not UTF-8", user: user, date: day, body: "\xff\xfe", wantField: "body"},
		{name: "mood too low", user: user, date: day, body: "private words", mood: cabinetPtr(0), wantField: "mood"},
		{name: "mood too high", user: user, date: day, body: "private words", mood: cabinetPtr(11), wantField: "mood"},
		{name: "too many tags", user: user, date: day, body: "private words", tags: slices.Repeat([]string{"t"}, models.DiaryMaxTags+1), wantField: "tags"},
		{name: "empty tag", user: user, date: day, body: "private words", tags: []string{"a", ""}, wantField: "tags[1]"},
		{name: "tag too long", user: user, date: day, body: "private words", tags: []string{longTag + "я"}, wantField: "tags[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := models.NewDiaryEntry(tt.user, tt.date, tt.body, tt.mood, tt.tags, cabinetT0.In(cabinetMSK))
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				if e != nil {
					t.Errorf("entry = %+v, want nil", e)
				}
				if err != nil && tt.body != "" && strings.Contains(err.Error(), tt.body) {
					t.Errorf("error %q quotes the P2 body", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewDiaryEntry: %v", err)
			}
			if e.ID.Version() != 7 || e.UserID != tt.user || e.Body != tt.body {
				t.Errorf("entry = %+v", e)
			}
			if want := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC); !e.EntryDate.Equal(want) || e.EntryDate.Location() != time.UTC {
				t.Errorf("EntryDate = %v, want %v", e.EntryDate, want)
			}
			if !reflect.DeepEqual(e.Mood, tt.mood) {
				t.Errorf("Mood = %v, want %v", e.Mood, tt.mood)
			}
			if e.Tags == nil || !slices.Equal(e.Tags, tt.tags) {
				t.Errorf("Tags = %#v, want %#v (never nil)", e.Tags, tt.tags)
			}
			if !e.CreatedAt.Equal(cabinetT0) || e.CreatedAt.Location() != time.UTC || !e.UpdatedAt.Equal(cabinetT0) {
				t.Errorf("CreatedAt %v, UpdatedAt %v; want %v in UTC", e.CreatedAt, e.UpdatedAt, cabinetT0)
			}
			events := e.Events()
			if len(events) != 1 {
				t.Fatalf("events = %+v, want one", events)
			}
			w, ok := events[0].(models.DiaryEntryWritten)
			if !ok || w.EventName() != "diary_entry.written" || w.AggregateID() != e.ID || w.UserID != tt.user || !w.OccurredAt().Equal(cabinetT0) {
				t.Errorf("event = %+v", events[0])
			}
			cabinetAssertNoPlaintext(t, events, tt.body)
		})
	}
}

// The entry keeps its own copies: changing the caller's mood or tags later changes nothing.
func TestNewDiaryEntryCopiesInput(t *testing.T) {
	t.Parallel()
	mood, tags := 5, []string{"a", "b"}
	e, err := models.NewDiaryEntry(models.NewID(), cabinetT0, "body", &mood, tags, cabinetT0)
	if err != nil {
		t.Fatal(err)
	}
	mood, tags[0] = 9, "changed"
	if *e.Mood != 5 || e.Tags[0] != "a" {
		t.Errorf("mood %d, tags %v: the entry shares the caller's values", *e.Mood, e.Tags)
	}
}

func cabinetEntry(t *testing.T) *models.DiaryEntry {
	t.Helper()
	e, err := models.NewDiaryEntry(models.NewID(), cabinetT0, "first words", cabinetPtr(4), []string{"sleep"}, cabinetT0)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDiaryEntryEdit(t *testing.T) {
	t.Parallel()
	t1 := cabinetT0.Add(time.Hour)
	newDay := time.Date(2026, 3, 27, 22, 0, 0, 0, cabinetMSK)
	tests := []struct {
		name      string
		date      time.Time
		body      string
		mood      *int
		tags      []string
		wantField string
	}{
		{name: "change everything", date: newDay, body: "second thoughts", mood: cabinetPtr(8), tags: []string{"work", "rest"}},
		{name: "clear mood and tags", date: newDay, body: "second thoughts"},
		{name: "empty body", date: newDay, wantField: "body"},
		{name: "bad mood", date: newDay, body: "x", mood: cabinetPtr(-1), wantField: "mood"},
		{name: "no date", body: "x", wantField: "entry_date"},
		{name: "bad tag", date: newDay, body: "x", tags: []string{strings.Repeat("t", 41)}, wantField: "tags[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cabinetEntry(t)
			before := *e
			before.Tags = slices.Clone(e.Tags)
			before.Mood = cabinetPtr(*e.Mood)
			err := e.Edit(tt.date, tt.body, tt.mood, tt.tags, t1)
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				if !reflect.DeepEqual(*e, before) {
					t.Errorf("failed edit changed the entry:\n got %+v\nwant %+v", *e, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			want := time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC)
			if !e.EntryDate.Equal(want) || e.Body != tt.body || !reflect.DeepEqual(e.Mood, tt.mood) || !slices.Equal(e.Tags, tt.tags) {
				t.Errorf("after Edit: %+v", e)
			}
			if !e.UpdatedAt.Equal(t1) || !e.CreatedAt.Equal(cabinetT0) || e.ID != before.ID || e.UserID != before.UserID {
				t.Errorf("after Edit: id %s user %s created %v updated %v", e.ID, e.UserID, e.CreatedAt, e.UpdatedAt)
			}
			events := e.Events()
			if len(events) != 2 {
				t.Fatalf("events = %+v, want written and edited", events)
			}
			ed, ok := events[1].(models.DiaryEntryEdited)
			if !ok || ed.EventName() != "diary_entry.edited" || ed.AggregateID() != e.ID || ed.UserID != e.UserID {
				t.Errorf("event = %+v", events[1])
			}
			cabinetAssertNoPlaintext(t, events, tt.body)
		})
	}
}

func TestParseDataExportStatus(t *testing.T) {
	t.Parallel()
	for _, s := range []models.DataExportStatus{
		models.DataExportStatusRequested, models.DataExportStatusProcessing, models.DataExportStatusReady,
		models.DataExportStatusFailed, models.DataExportStatusExpired,
	} {
		if got, err := models.ParseDataExportStatus(string(s)); err != nil || got != s {
			t.Errorf("ParseDataExportStatus(%q) = %q, %v", s, got, err)
		}
	}
	_, err := models.ParseDataExportStatus("done")
	cabinetAssertValidation(t, err, "status")
}

func TestDataExportStatusIsOpen(t *testing.T) {
	t.Parallel()
	want := map[models.DataExportStatus]bool{
		models.DataExportStatusRequested: true, models.DataExportStatusProcessing: true,
		models.DataExportStatusReady: false, models.DataExportStatusFailed: false, models.DataExportStatusExpired: false,
	}
	for s, open := range want {
		if s.IsOpen() != open {
			t.Errorf("%s.IsOpen() = %v, want %v", s, !open, open)
		}
	}
}

func TestNewDataExportRequest(t *testing.T) {
	t.Parallel()
	user := models.NewID()
	r, err := models.NewDataExportRequest(user, cabinetT0.In(cabinetMSK))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID.Version() != 7 || r.UserID != user || r.Status != models.DataExportStatusRequested || r.Version != 1 {
		t.Errorf("request = %+v", r)
	}
	if !r.RequestedAt.Equal(cabinetT0) || r.RequestedAt.Location() != time.UTC {
		t.Errorf("RequestedAt = %v, want %v in UTC", r.RequestedAt, cabinetT0)
	}
	if r.StartedAt != nil || r.CompletedAt != nil || r.ExpiresAt != nil || r.FileRef != nil || r.FailureReason != nil {
		t.Errorf("new request has outcome fields: %+v", r)
	}
	events := r.Events()
	if len(events) != 1 {
		t.Fatalf("events = %+v", events)
	}
	if e, ok := events[0].(models.DataExportRequested); !ok || e.EventName() != "data_export.requested" || e.AggregateID() != r.ID || e.UserID != user {
		t.Errorf("event = %+v", events[0])
	}

	_, err = models.NewDataExportRequest(uuid.Nil, cabinetT0)
	cabinetAssertValidation(t, err, "user_id")
}

// cabinetExportIn returns a request brought to status through its methods, without events.
func cabinetExportIn(t *testing.T, status models.DataExportStatus) *models.DataExportRequest {
	t.Helper()
	r, err := models.NewDataExportRequest(models.NewID(), cabinetT0)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[models.DataExportStatus][]func() error{
		models.DataExportStatusRequested:  nil,
		models.DataExportStatusProcessing: {func() error { return r.Start(cabinetT0) }},
		models.DataExportStatusReady: {
			func() error { return r.Start(cabinetT0) },
			func() error { return r.MarkReady("exports/a.zip", cabinetT0.Add(72*time.Hour), cabinetT0) },
		},
		models.DataExportStatusFailed: {
			func() error { return r.Start(cabinetT0) },
			func() error { return r.Fail("disk full", cabinetT0) },
		},
		models.DataExportStatusExpired: {
			func() error { return r.Start(cabinetT0) },
			func() error { return r.MarkReady("exports/a.zip", cabinetT0.Add(72*time.Hour), cabinetT0) },
			r.Expire,
		},
	}
	for _, step := range steps[status] {
		if err := step(); err != nil {
			t.Fatalf("bring request to %s: %v", status, err)
		}
	}
	r.ClearEvents()
	return r
}

func TestDataExportRequestTransitions(t *testing.T) {
	t.Parallel()
	t1 := cabinetT0.Add(time.Hour)
	expires := t1.Add(72 * time.Hour)
	all := []models.DataExportStatus{
		models.DataExportStatusRequested, models.DataExportStatusProcessing, models.DataExportStatusReady,
		models.DataExportStatusFailed, models.DataExportStatusExpired,
	}
	actions := []struct {
		name  string
		from  models.DataExportStatus // the only status it is legal from
		to    models.DataExportStatus
		do    func(r *models.DataExportRequest) error
		check func(t *testing.T, r *models.DataExportRequest)
	}{
		{
			name: "start", from: models.DataExportStatusRequested, to: models.DataExportStatusProcessing,
			do: func(r *models.DataExportRequest) error { return r.Start(t1.In(cabinetMSK)) },
			check: func(t *testing.T, r *models.DataExportRequest) {
				if r.StartedAt == nil || !r.StartedAt.Equal(t1) || r.StartedAt.Location() != time.UTC {
					t.Errorf("StartedAt = %v", r.StartedAt)
				}
				if len(r.Events()) != 0 {
					t.Errorf("events = %+v, want none", r.Events())
				}
			},
		},
		{
			name: "mark ready", from: models.DataExportStatusProcessing, to: models.DataExportStatusReady,
			do: func(r *models.DataExportRequest) error {
				return r.MarkReady("exports/b.zip", expires.In(cabinetMSK), t1)
			},
			check: func(t *testing.T, r *models.DataExportRequest) {
				if r.FileRef == nil || *r.FileRef != "exports/b.zip" {
					t.Errorf("FileRef = %v", r.FileRef)
				}
				if r.ExpiresAt == nil || !r.ExpiresAt.Equal(expires) || r.ExpiresAt.Location() != time.UTC {
					t.Errorf("ExpiresAt = %v", r.ExpiresAt)
				}
				if r.CompletedAt == nil || !r.CompletedAt.Equal(t1) {
					t.Errorf("CompletedAt = %v", r.CompletedAt)
				}
				events := r.Events()
				if len(events) != 1 {
					t.Fatalf("events = %+v", events)
				}
				e, ok := events[0].(models.DataExportReady)
				if !ok || e.EventName() != "data_export.ready" || e.AggregateID() != r.ID || e.UserID != r.UserID || !e.ExpiresAt.Equal(expires) {
					t.Errorf("event = %+v", events[0])
				}
			},
		},
		{
			name: "fail", from: models.DataExportStatusProcessing, to: models.DataExportStatusFailed,
			do: func(r *models.DataExportRequest) error { return r.Fail("storage unavailable", t1) },
			check: func(t *testing.T, r *models.DataExportRequest) {
				if r.FailureReason == nil || *r.FailureReason != "storage unavailable" || r.CompletedAt == nil || !r.CompletedAt.Equal(t1) {
					t.Errorf("FailureReason %v, CompletedAt %v", r.FailureReason, r.CompletedAt)
				}
				events := r.Events()
				if len(events) != 1 {
					t.Fatalf("events = %+v", events)
				}
				if e, ok := events[0].(models.DataExportFailed); !ok || e.EventName() != "data_export.failed" || e.UserID != r.UserID {
					t.Errorf("event = %+v", events[0])
				}
			},
		},
		{
			name: "expire", from: models.DataExportStatusReady, to: models.DataExportStatusExpired,
			do: func(r *models.DataExportRequest) error { return r.Expire() },
			check: func(t *testing.T, r *models.DataExportRequest) {
				if r.FileRef == nil || r.ExpiresAt == nil {
					t.Errorf("expiry dropped the archive's reference: %+v", r)
				}
			},
		},
	}
	for _, a := range actions {
		for _, from := range all {
			t.Run(a.name+" from "+string(from), func(t *testing.T) {
				r := cabinetExportIn(t, from)
				before := *r
				err := a.do(r)
				if from != a.from {
					if !errors.Is(err, models.ErrInvalidTransition) {
						t.Fatalf("err = %v, want ErrInvalidTransition", err)
					}
					if !reflect.DeepEqual(*r, before) {
						t.Errorf("illegal %s changed the request:\n got %+v\nwant %+v", a.name, *r, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", a.name, err)
				}
				if r.Status != a.to {
					t.Errorf("status = %s, want %s", r.Status, a.to)
				}
				if r.Version != before.Version {
					t.Errorf("version = %d, want %d (the store bumps it)", r.Version, before.Version)
				}
				a.check(t, r)
			})
		}
	}
}

func TestDataExportRequestRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		do    func(r *models.DataExportRequest) error
		field string
	}{
		{"ready without a file", func(r *models.DataExportRequest) error { return r.MarkReady("", cabinetT0.Add(time.Hour), cabinetT0) }, "file_ref"},
		{"ready already expired", func(r *models.DataExportRequest) error { return r.MarkReady("f", cabinetT0, cabinetT0) }, "expires_at"},
		{"fail without a reason", func(r *models.DataExportRequest) error { return r.Fail("", cabinetT0) }, "failure_reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cabinetExportIn(t, models.DataExportStatusProcessing)
			before := *r
			cabinetAssertValidation(t, tt.do(r), tt.field)
			if !reflect.DeepEqual(*r, before) {
				t.Errorf("rejected input changed the request:\n got %+v\nwant %+v", *r, before)
			}
		})
	}
}

func TestDataExportFailureReasonIsBounded(t *testing.T) {
	t.Parallel()
	r := cabinetExportIn(t, models.DataExportStatusProcessing)
	if err := r.Fail(strings.Repeat("ошибка ", 500), cabinetT0); err != nil {
		t.Fatal(err)
	}
	if n := len(*r.FailureReason); n > models.DataExportFailureMaxChars {
		t.Errorf("failure reason is %d bytes, want at most %d", n, models.DataExportFailureMaxChars)
	}
	if !strings.HasPrefix(*r.FailureReason, "ошибка") || !utf8.ValidString(*r.FailureReason) {
		t.Errorf("failure reason cut badly: %q", *r.FailureReason)
	}
}

func TestDataExportDownloadable(t *testing.T) {
	t.Parallel()
	ready := cabinetExportIn(t, models.DataExportStatusReady) // expires at cabinetT0 + 72h
	tests := []struct {
		name string
		r    *models.DataExportRequest
		at   time.Time
		want bool
	}{
		{"ready, before expiry", ready, cabinetT0.Add(71 * time.Hour), true},
		{"ready, at expiry", ready, cabinetT0.Add(72 * time.Hour), false},
		{"expired", cabinetExportIn(t, models.DataExportStatusExpired), cabinetT0, false},
		{"processing", cabinetExportIn(t, models.DataExportStatusProcessing), cabinetT0, false},
	}
	for _, tt := range tests {
		if got := tt.r.Downloadable(tt.at); got != tt.want {
			t.Errorf("%s: Downloadable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
