package models

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Client cabinet: the client's private diary and their requests for a copy of their data.

// Limits of a diary entry.
const (
	DiaryBodyMaxChars = 20000
	DiaryMoodMin      = 1
	DiaryMoodMax      = 10
	DiaryMaxTags      = 20
	DiaryTagMaxChars  = 40
)

// DiaryEntry is one page of a client's private diary. Body, mood and tags are P2: they are stored
// only as Fernet tokens and never leave the aggregate in events, logs or error messages.
type DiaryEntry struct {
	ID     uuid.UUID `gorm:"primaryKey"`
	UserID uuid.UUID `gorm:"index:diary_entries_user_date_idx,priority:1"`
	// EntryDate is the calendar day the entry is about, in the client's zone, kept as midnight UTC
	// of that day.
	EntryDate time.Time `gorm:"index:diary_entries_user_date_idx,priority:2"`
	Body      string    `gorm:"serializer:fernet"`
	// Mood is the client's own rating of their state, 1..10, when they gave one.
	Mood      *int     `gorm:"serializer:fernet"`
	Tags      []string `gorm:"serializer:fernet"`
	CreatedAt time.Time
	UpdatedAt time.Time

	Recorder `gorm:"-"`
}

// DiaryEntryWritten is recorded when a client writes a new diary entry. IDs only: the entry is P2.
type DiaryEntryWritten struct {
	EventMeta
	UserID uuid.UUID `json:"user_id"`
}

// EventName implements Event.
func (DiaryEntryWritten) EventName() string { return "diary_entry.written" }

// DiaryEntryEdited is recorded when a client changes a diary entry. IDs only: the entry is P2.
type DiaryEntryEdited struct {
	EventMeta
	UserID uuid.UUID `json:"user_id"`
}

// EventName implements Event.
func (DiaryEntryEdited) EventName() string { return "diary_entry.edited" }

// DiaryDate returns the calendar day of t in t's own zone as midnight UTC: 00:30 on 29 March in
// Moscow is 28 March in UTC, but the client wrote about the 29th.
func DiaryDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// NewDiaryEntry validates and creates a diary entry of userID about the day of date (in date's zone).
func NewDiaryEntry(userID uuid.UUID, date time.Time, body string, mood *int, tags []string, now time.Time) (*DiaryEntry, error) {
	if userID == uuid.Nil {
		return nil, &ValidationError{Field: "user_id", Message: "is required"}
	}
	day, tags, err := cabinetValidateEntry(date, body, mood, tags)
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	e := &DiaryEntry{
		ID: NewID(), UserID: userID, EntryDate: day, Body: body, Mood: cabinetCopyMood(mood), Tags: tags,
		CreatedAt: now, UpdatedAt: now,
	}
	e.Record(DiaryEntryWritten{EventMeta: NewEventMeta(e.ID, now), UserID: userID})
	return e, nil
}

// Edit replaces the entry's day, text, mood and tags; on a validation error nothing changes.
func (e *DiaryEntry) Edit(date time.Time, body string, mood *int, tags []string, now time.Time) error {
	day, tags, err := cabinetValidateEntry(date, body, mood, tags)
	if err != nil {
		return err
	}
	e.EntryDate, e.Body, e.Mood, e.Tags = day, body, cabinetCopyMood(mood), tags
	e.UpdatedAt = now.UTC()
	e.Record(DiaryEntryEdited{EventMeta: NewEventMeta(e.ID, now), UserID: e.UserID})
	return nil
}

// cabinetValidateEntry checks a diary entry's content and returns its day and a copy of its tags.
// Messages never quote the content: it is P2.
func cabinetValidateEntry(date time.Time, body string, mood *int, tags []string) (time.Time, []string, error) {
	if date.IsZero() {
		return time.Time{}, nil, &ValidationError{Field: "entry_date", Message: "is required"}
	}
	if body == "" {
		return time.Time{}, nil, &ValidationError{Field: "body", Message: "is required"}
	}
	if !utf8.ValidString(body) {
		return time.Time{}, nil, &ValidationError{Field: "body", Message: "must be valid UTF-8"}
	}
	if utf8.RuneCountInString(body) > DiaryBodyMaxChars {
		return time.Time{}, nil, &ValidationError{Field: "body", Message: fmt.Sprintf("must be at most %d characters", DiaryBodyMaxChars)}
	}
	if mood != nil && (*mood < DiaryMoodMin || *mood > DiaryMoodMax) {
		return time.Time{}, nil, &ValidationError{Field: "mood", Message: fmt.Sprintf("must be between %d and %d", DiaryMoodMin, DiaryMoodMax)}
	}
	if len(tags) > DiaryMaxTags {
		return time.Time{}, nil, &ValidationError{Field: "tags", Message: fmt.Sprintf("must be at most %d", DiaryMaxTags)}
	}
	out := make([]string, 0, len(tags))
	for i, tag := range tags {
		if tag == "" || !utf8.ValidString(tag) || utf8.RuneCountInString(tag) > DiaryTagMaxChars {
			return time.Time{}, nil, &ValidationError{Field: fmt.Sprintf("tags[%d]", i), Message: fmt.Sprintf("must be 1 to %d characters", DiaryTagMaxChars)}
		}
		out = append(out, tag)
	}
	return DiaryDate(date), out, nil
}

func cabinetCopyMood(mood *int) *int {
	if mood == nil {
		return nil
	}
	m := *mood
	return &m
}

// DataExportStatus is the lifecycle of a request for a copy of a client's data.
type DataExportStatus string

// Data export statuses. A failed request is final: the client asks again with a new request.
const (
	DataExportStatusRequested  DataExportStatus = "requested"
	DataExportStatusProcessing DataExportStatus = "processing"
	DataExportStatusReady      DataExportStatus = "ready"
	DataExportStatusFailed     DataExportStatus = "failed"
	DataExportStatusExpired    DataExportStatus = "expired"
)

// ParseDataExportStatus validates a data export status.
func ParseDataExportStatus(s string) (DataExportStatus, error) {
	switch st := DataExportStatus(s); st {
	case DataExportStatusRequested, DataExportStatusProcessing, DataExportStatusReady, DataExportStatusFailed, DataExportStatusExpired:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be requested, processing, ready, failed or expired; got %q", s)}
}

// IsOpen reports whether a request in this status still awaits its archive; a client may have one
// open request at a time.
func (s DataExportStatus) IsOpen() bool {
	return s == DataExportStatusRequested || s == DataExportStatusProcessing
}

// DataExportFailureMaxChars bounds the stored failure reason (an operator's message, not data).
const DataExportFailureMaxChars = 1000

// DataExportRequest is a client's request for an archive of their data. The database allows one
// open (requested or processing) request per user.
type DataExportRequest struct {
	ID            uuid.UUID        `gorm:"primaryKey"`
	UserID        uuid.UUID        `gorm:"index:data_export_requests_user_idx,priority:1;uniqueIndex:data_export_requests_open_key"`
	Status        DataExportStatus `gorm:"index:data_export_requests_status_idx,priority:1"`
	RequestedAt   time.Time        `gorm:"index:data_export_requests_user_idx,priority:2;index:data_export_requests_status_idx,priority:2"`
	StartedAt     *time.Time
	CompletedAt   *time.Time
	ExpiresAt     *time.Time
	FileRef       *string
	FailureReason *string
	Version       int

	Recorder `gorm:"-"`
}

// DataExportRequested is recorded when a client asks for their data.
type DataExportRequested struct {
	EventMeta
	UserID uuid.UUID `json:"user_id"`
}

// EventName implements Event.
func (DataExportRequested) EventName() string { return "data_export.requested" }

// DataExportReady is recorded when the archive can be downloaded, until ExpiresAt.
type DataExportReady struct {
	EventMeta
	UserID    uuid.UUID `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// EventName implements Event.
func (DataExportReady) EventName() string { return "data_export.ready" }

// DataExportFailed is recorded when building the archive failed; the reason stays in the row.
type DataExportFailed struct {
	EventMeta
	UserID uuid.UUID `json:"user_id"`
}

// EventName implements Event.
func (DataExportFailed) EventName() string { return "data_export.failed" }

// NewDataExportRequest records a client's request for their data.
func NewDataExportRequest(userID uuid.UUID, now time.Time) (*DataExportRequest, error) {
	if userID == uuid.Nil {
		return nil, &ValidationError{Field: "user_id", Message: "is required"}
	}
	now = now.UTC()
	r := &DataExportRequest{ID: NewID(), UserID: userID, Status: DataExportStatusRequested, RequestedAt: now, Version: 1}
	r.Record(DataExportRequested{EventMeta: NewEventMeta(r.ID, now), UserID: userID})
	return r, nil
}

// Start marks a requested export as being built.
func (r *DataExportRequest) Start(now time.Time) error {
	if r.Status != DataExportStatusRequested {
		return fmt.Errorf("start %s data export: %w", r.Status, ErrInvalidTransition)
	}
	now = now.UTC()
	r.Status, r.StartedAt = DataExportStatusProcessing, &now
	return nil
}

// MarkReady stores where the archive is and until when it may be downloaded.
func (r *DataExportRequest) MarkReady(fileRef string, expiresAt, now time.Time) error {
	if r.Status != DataExportStatusProcessing {
		return fmt.Errorf("complete %s data export: %w", r.Status, ErrInvalidTransition)
	}
	if fileRef == "" {
		return &ValidationError{Field: "file_ref", Message: "is required"}
	}
	if !expiresAt.After(now) {
		return &ValidationError{Field: "expires_at", Message: "must be in the future"}
	}
	now, expiresAt = now.UTC(), expiresAt.UTC()
	r.Status, r.FileRef, r.ExpiresAt, r.CompletedAt = DataExportStatusReady, &fileRef, &expiresAt, &now
	r.Record(DataExportReady{EventMeta: NewEventMeta(r.ID, now), UserID: r.UserID, ExpiresAt: expiresAt})
	return nil
}

// Fail ends an export that could not be built. reason is for operators and must not quote data.
func (r *DataExportRequest) Fail(reason string, now time.Time) error {
	if r.Status != DataExportStatusProcessing {
		return fmt.Errorf("fail %s data export: %w", r.Status, ErrInvalidTransition)
	}
	if reason == "" {
		return &ValidationError{Field: "failure_reason", Message: "is required"}
	}
	now = now.UTC()
	reason = truncate(reason, DataExportFailureMaxChars)
	r.Status, r.FailureReason, r.CompletedAt = DataExportStatusFailed, &reason, &now
	r.Record(DataExportFailed{EventMeta: NewEventMeta(r.ID, now), UserID: r.UserID})
	return nil
}

// Expire withdraws a ready archive: it may no longer be downloaded.
func (r *DataExportRequest) Expire() error {
	if r.Status != DataExportStatusReady {
		return fmt.Errorf("expire %s data export: %w", r.Status, ErrInvalidTransition)
	}
	r.Status = DataExportStatusExpired
	return nil
}

// Downloadable reports whether the archive may be handed out at now.
func (r *DataExportRequest) Downloadable(now time.Time) bool {
	return r.Status == DataExportStatusReady && r.ExpiresAt != nil && now.Before(*r.ExpiresAt)
}
