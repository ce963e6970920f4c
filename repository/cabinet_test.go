package repository_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// cabinetRaw reads one column of one row as stored, bypassing the model (and its decryption).
func cabinetRaw(t *testing.T, db *repository.DB, table, column string, id uuid.UUID) string {
	t.Helper()
	var s string
	if err := db.Gorm.Raw("SELECT "+column+" FROM "+table+" WHERE id = ?", id).Scan(&s).Error; err != nil {
		t.Fatalf("read %s.%s: %v", table, column, err)
	}
	return s
}

// cabinetAssertToken fails unless the stored value is a Fernet token that does not show plaintext.
func cabinetAssertToken(t *testing.T, column, stored string, plaintext ...string) {
	t.Helper()
	if !strings.HasPrefix(stored, "gAAAAA") {
		t.Errorf("%s is stored as %q, want a Fernet token", column, stored)
	}
	for _, p := range plaintext {
		if strings.Contains(stored, p) {
			t.Errorf("%s stores the plaintext %q", column, p)
		}
	}
}

// cabinetDeleteUser hard-deletes a user row, as a purge of an account would.
func cabinetDeleteUser(t *testing.T, db *repository.DB, id uuid.UUID) error {
	t.Helper()
	return db.Gorm.Exec("DELETE FROM users WHERE id = ?", id).Error
}

func cabinetNewEntry(t *testing.T, userID uuid.UUID, day time.Time, body string, now time.Time) *models.DiaryEntry {
	t.Helper()
	e, err := models.NewDiaryEntry(userID, day, body, ptr(6), []string{"сон", "work"}, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func cabinetCreateEntry(t *testing.T, db *repository.DB, userID uuid.UUID, day time.Time, now time.Time) *models.DiaryEntry {
	t.Helper()
	e := cabinetNewEntry(t, userID, day, "entry of "+day.Format(time.DateOnly), now)
	if err := repository.NewDiaryEntries(db).Create(context.Background(), e); err != nil {
		t.Fatalf("create diary entry: %v", err)
	}
	return e
}

func cabinetAssertEntry(t *testing.T, got, want *models.DiaryEntry) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.Body != want.Body {
		t.Errorf("entry = %s/%s %q, want %s/%s %q", got.ID, got.UserID, got.Body, want.ID, want.UserID, want.Body)
	}
	eqPtr(t, "Mood", got.Mood, want.Mood)
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("Tags = %#v, want %#v", got.Tags, want.Tags)
	}
	assertUTC(t, "EntryDate", got.EntryDate, want.EntryDate)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func TestDiaryEntriesRoundTrip(t *testing.T) {
	t.Parallel()
	// Given in +03:00 with microseconds: must come back as the same instants in UTC.
	created := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	body := "Сегодня снова не спала до трёх."
	tests := []struct {
		name  string
		entry func(userID uuid.UUID) *models.DiaryEntry
	}{
		{
			name: "every field",
			entry: func(userID uuid.UUID) *models.DiaryEntry {
				e, err := models.NewDiaryEntry(userID, time.Date(2026, 3, 29, 0, 10, 0, 0, msk), body, ptr(2), []string{"бессонница", "тревога"}, created)
				if err != nil {
					t.Fatal(err)
				}
				e.CreatedAt, e.UpdatedAt = created, created.Add(90*time.Minute)
				return e
			},
		},
		{
			name: "no mood, no tags",
			entry: func(userID uuid.UUID) *models.DiaryEntry {
				e, err := models.NewDiaryEntry(userID, time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), body, nil, nil, created)
				if err != nil {
					t.Fatal(err)
				}
				return e
			},
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		entries := repository.NewDiaryEntries(db)
		user := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := tt.entry(user.ID)
				if err := entries.Create(ctx, e); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := entries.ByID(ctx, user.ID, e.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				cabinetAssertEntry(t, got, e)
				if got.Tags == nil {
					t.Error("Tags read back as nil, want an empty list")
				}

				// P2 columns hold Fernet tokens only.
				cabinetAssertToken(t, "body", cabinetRaw(t, db, "diary_entries", "body", e.ID), body, "спала")
				cabinetAssertToken(t, "tags", cabinetRaw(t, db, "diary_entries", "tags", e.ID), "тревога", "бессонница")
				if e.Mood == nil {
					if n := count(t, db, "diary_entries", "id = ? AND mood IS NULL", e.ID); n != 1 {
						t.Error("an absent mood is not stored as NULL")
					}
				} else {
					cabinetAssertToken(t, "mood", cabinetRaw(t, db, "diary_entries", "mood", e.ID))
				}
			})
		}
	})
}

func TestDiaryEntriesAreScopedToTheirOwner(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		entries := repository.NewDiaryEntries(db)
		owner, other := createStaff(t, db, t0), createStaff(t, db, t0)
		e := cabinetCreateEntry(t, db, owner.ID, t0, t0)

		tests := []struct {
			name string
			call func() error
		}{
			{"ByID of another user", func() error { _, err := entries.ByID(ctx, other.ID, e.ID); return err }},
			{"ByID of an unknown entry", func() error { _, err := entries.ByID(ctx, owner.ID, models.NewID()); return err }},
			{"Update by another user", func() error {
				return entries.Update(ctx, other.ID, e.ID, func(*models.DiaryEntry) error {
					t.Error("callback called for another user's entry")
					return nil
				})
			}},
			{"Delete by another user", func() error { return entries.Delete(ctx, other.ID, e.ID) }},
			{"Delete of an unknown entry", func() error { return entries.Delete(ctx, owner.ID, models.NewID()) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("err = %v, want ErrNotFound", err)
				}
			})
		}
		got, err := entries.ByID(ctx, owner.ID, e.ID)
		if err != nil {
			t.Fatalf("the owner lost the entry: %v", err)
		}
		cabinetAssertEntry(t, got, e)
		if list, _ := entries.ListByUser(ctx, other.ID, repository.Page{}); len(list) != 0 {
			t.Errorf("another user lists %d entries, want none", len(list))
		}
	})
}

func TestDiaryEntriesListByUser(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		entries := repository.NewDiaryEntries(db)
		user, other := createStaff(t, db, t0), createStaff(t, db, t0)
		day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, msk) }
		// Written out of order; two entries about the 20th.
		e15 := cabinetCreateEntry(t, db, user.ID, day(15), t0)
		e20a := cabinetCreateEntry(t, db, user.ID, day(20), t0.Add(time.Minute))
		e3 := cabinetCreateEntry(t, db, user.ID, day(3), t0.Add(2*time.Minute))
		e20b := cabinetCreateEntry(t, db, user.ID, day(20), t0.Add(3*time.Minute))
		e28 := cabinetCreateEntry(t, db, user.ID, day(28), t0.Add(4*time.Minute))
		cabinetCreateEntry(t, db, other.ID, day(25), t0)
		want := []uuid.UUID{e28.ID, e20b.ID, e20a.ID, e15.ID, e3.ID}

		tests := []struct {
			name string
			page repository.Page
			want []uuid.UUID
		}{
			{"all", repository.Page{}, want},
			{"first page", repository.Page{Limit: 2}, want[:2]},
			{"second page", repository.Page{Limit: 2, Offset: 2}, want[2:4]},
			{"last page", repository.Page{Limit: 2, Offset: 4}, want[4:]},
			{"past the end", repository.Page{Limit: 2, Offset: 6}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := entries.ListByUser(ctx, user.ID, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				var ids []uuid.UUID
				for _, e := range got {
					ids = append(ids, e.ID)
				}
				if !slices.Equal(ids, tt.want) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
			})
		}
		got, err := entries.ListByUser(ctx, user.ID, repository.Page{Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("ListByUser = %v, %v", got, err)
		}
		cabinetAssertEntry(t, &got[0], e28) // lists decrypt too
	})
}

func TestDiaryEntriesUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		change  func(e *models.DiaryEntry) error
		wantErr error // nil: the change is saved
		isValid bool  // the error is a *models.ValidationError
	}{
		{name: "edit", change: func(e *models.DiaryEntry) error {
			return e.Edit(time.Date(2026, 3, 30, 1, 0, 0, 0, msk), "переписала запись", nil, []string{"новое"}, t1)
		}},
		{name: "callback error", wantErr: errBoom, change: func(e *models.DiaryEntry) error {
			_ = e.Edit(t1, "half-done", nil, nil, t1)
			return errBoom
		}},
		{name: "invalid edit", isValid: true, change: func(e *models.DiaryEntry) error {
			return e.Edit(t1, "", nil, nil, t1)
		}},
		{name: "database rejects the change", wantErr: models.ErrInvalidReference, change: func(e *models.DiaryEntry) error {
			_ = e.Edit(t1, "moved", nil, nil, t1)
			e.UserID = models.NewID()
			return nil
		}},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		entries := repository.NewDiaryEntries(db)
		user := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := cabinetCreateEntry(t, db, user.ID, t0, t0)
				var changed models.DiaryEntry
				err := entries.Update(ctx, user.ID, e.ID, func(e *models.DiaryEntry) error {
					err := tt.change(e)
					changed = *e
					return err
				})
				got, gerr := entries.ByID(ctx, user.ID, e.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				switch {
				case tt.isValid:
					var ve *models.ValidationError
					if !errors.As(err, &ve) {
						t.Fatalf("err = %v, want a validation error", err)
					}
					cabinetAssertEntry(t, got, e)
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					cabinetAssertEntry(t, got, e)
				default:
					if err != nil {
						t.Fatalf("Update: %v", err)
					}
					cabinetAssertEntry(t, got, &changed)
					if got.Body != "переписала запись" || got.Mood != nil || !got.UpdatedAt.Equal(t1) {
						t.Errorf("saved entry = %+v", got)
					}
					cabinetAssertToken(t, "body", cabinetRaw(t, db, "diary_entries", "body", e.ID), "переписала")
				}
			})
		}
	})
}

func TestDiaryEntriesDeletion(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		entries := repository.NewDiaryEntries(db)
		user, other := createStaff(t, db, t0), createStaff(t, db, t0)
		e1 := cabinetCreateEntry(t, db, user.ID, t0, t0)
		cabinetCreateEntry(t, db, user.ID, t0.Add(24*time.Hour), t0)
		cabinetCreateEntry(t, db, user.ID, t0.Add(48*time.Hour), t0)
		kept := cabinetCreateEntry(t, db, other.ID, t0, t0)

		if err := entries.Delete(ctx, user.ID, e1.ID); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := entries.ByID(ctx, user.ID, e1.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted entry: err = %v, want ErrNotFound", err)
		}
		if err := entries.Delete(ctx, user.ID, e1.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleting twice: err = %v, want ErrNotFound", err)
		}
		n, err := entries.DeleteAllForUser(ctx, user.ID)
		if err != nil || n != 2 {
			t.Errorf("DeleteAllForUser = %d, %v; want 2", n, err)
		}
		if n := count(t, db, "diary_entries", "user_id = ?", user.ID); n != 0 {
			t.Errorf("%d entries left", n)
		}
		if _, err := entries.ByID(ctx, other.ID, kept.ID); err != nil {
			t.Errorf("another user's entry was deleted: %v", err)
		}

		// Deleting the user row deletes the diary with it.
		if err := cabinetDeleteUser(t, db, other.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "diary_entries", "user_id = ?", other.ID); n != 0 {
			t.Errorf("%d entries outlived their user", n)
		}
	})
}

func TestDiaryEntriesCreateRejects(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		entries := repository.NewDiaryEntries(db)
		user := createStaff(t, db, t0)
		e := cabinetCreateEntry(t, db, user.ID, t0, t0)
		dup := cabinetNewEntry(t, user.ID, t0, "again", t0)
		dup.ID = e.ID
		assertConstraint(t, entries.Create(ctx, dup), models.ErrConflict, "")
		assertConstraint(t, entries.Create(ctx, cabinetNewEntry(t, models.NewID(), t0, "orphan", t0)), models.ErrInvalidReference, "")
	})
}

// A database opened without keys can neither write nor read P2 columns; it says so, and the error
// does not quote the data.
func TestDiaryEntriesNeedKeys(t *testing.T) {
	t.Parallel()
	url := testkit.NewSQLiteURL(t)
	withKeys, err := repository.Open(context.Background(), url, repository.Options{Keys: testkit.KeyRing(t, testkit.Key(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer withKeys.Close()
	noKeys, err := repository.Open(context.Background(), url, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer noKeys.Close()
	ctx := context.Background()
	user := createStaff(t, withKeys, t0)
	e := cabinetCreateEntry(t, withKeys, user.ID, t0, t0)

	err = repository.NewDiaryEntries(noKeys).Create(ctx, cabinetNewEntry(t, user.ID, t0, "secret words", t0))
	if !errors.Is(err, repository.ErrNoEncryptionKeys) || strings.Contains(err.Error(), "secret words") {
		t.Errorf("Create without keys: err = %v, want ErrNoEncryptionKeys without the text", err)
	}
	if _, err := repository.NewDiaryEntries(noKeys).ByID(ctx, user.ID, e.ID); !errors.Is(err, repository.ErrNoEncryptionKeys) {
		t.Errorf("ByID without keys: err = %v, want ErrNoEncryptionKeys", err)
	}
}

// cabinetExport returns an unsaved request of userID brought to status through its methods.
func cabinetExport(t *testing.T, userID uuid.UUID, status models.DataExportStatus, now time.Time) *models.DataExportRequest {
	t.Helper()
	x, err := models.NewDataExportRequest(userID, now)
	if err != nil {
		t.Fatal(err)
	}
	var steps []func() error
	start := func() error { return x.Start(now.Add(time.Minute)) }
	ready := func() error {
		return x.MarkReady("exports/"+x.ID.String()+".zip", now.Add(72*time.Hour), now.Add(2*time.Minute))
	}
	switch status {
	case models.DataExportStatusProcessing:
		steps = []func() error{start}
	case models.DataExportStatusReady:
		steps = []func() error{start, ready}
	case models.DataExportStatusFailed:
		steps = []func() error{start, func() error { return x.Fail("storage unavailable", now.Add(2*time.Minute)) }}
	case models.DataExportStatusExpired:
		steps = []func() error{start, ready, x.Expire}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("bring export to %s: %v", status, err)
		}
	}
	return x
}

func cabinetCreateExport(t *testing.T, db *repository.DB, userID uuid.UUID, status models.DataExportStatus, now time.Time) *models.DataExportRequest {
	t.Helper()
	x := cabinetExport(t, userID, status, now)
	if err := repository.NewDataExportRequests(db).Create(context.Background(), x); err != nil {
		t.Fatalf("create %s export: %v", status, err)
	}
	return x
}

func cabinetAssertExport(t *testing.T, got, want *models.DataExportRequest) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.Status != want.Status || got.Version != want.Version {
		t.Errorf("export = %s/%s %s v%d, want %s/%s %s v%d", got.ID, got.UserID, got.Status, got.Version, want.ID, want.UserID, want.Status, want.Version)
	}
	eqPtr(t, "FileRef", got.FileRef, want.FileRef)
	eqPtr(t, "FailureReason", got.FailureReason, want.FailureReason)
	assertUTC(t, "RequestedAt", got.RequestedAt, want.RequestedAt)
	assertUTCPtr(t, "StartedAt", got.StartedAt, want.StartedAt)
	assertUTCPtr(t, "CompletedAt", got.CompletedAt, want.CompletedAt)
	assertUTCPtr(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
}

func TestDataExportRequestsRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		exports := repository.NewDataExportRequests(db)
		for _, status := range []models.DataExportStatus{
			models.DataExportStatusRequested, models.DataExportStatusProcessing, models.DataExportStatusReady,
			models.DataExportStatusFailed, models.DataExportStatusExpired,
		} {
			t.Run(string(status), func(t *testing.T) {
				user := createStaff(t, db, t0)
				x := cabinetExport(t, user.ID, status, at)
				x.RequestedAt = at // not UTC on purpose
				x.Version = 3
				if err := exports.Create(ctx, x); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := exports.ByID(ctx, x.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				cabinetAssertExport(t, got, x)
			})
		}
		if _, err := exports.ByID(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown id: err = %v, want ErrNotFound", err)
		}
	})
}

// The database, not a check-then-insert, allows one open request per user.
func TestDataExportRequestsOneOpenPerUser(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		exports := repository.NewDataExportRequests(db)
		tests := []struct {
			name     string
			existing []models.DataExportStatus
			wantErr  bool
		}{
			{name: "first request"},
			{name: "while requested", existing: []models.DataExportStatus{models.DataExportStatusRequested}, wantErr: true},
			{name: "while processing", existing: []models.DataExportStatus{models.DataExportStatusProcessing}, wantErr: true},
			{name: "after ready, failed and expired ones", existing: []models.DataExportStatus{
				models.DataExportStatusReady, models.DataExportStatusFailed, models.DataExportStatusExpired,
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				user := createStaff(t, db, t0)
				for _, s := range tt.existing {
					cabinetCreateExport(t, db, user.ID, s, t0)
				}
				err := exports.Create(ctx, cabinetExport(t, user.ID, models.DataExportStatusRequested, t0.Add(time.Hour)))
				if tt.wantErr {
					assertConstraint(t, err, models.ErrConflict, byDialect(db, "data_export_requests_open_key", "data_export_requests.user_id"))
					return
				}
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
			})
		}

		// Two users each have their own open request.
		a, b := createStaff(t, db, t0), createStaff(t, db, t0)
		cabinetCreateExport(t, db, a.ID, models.DataExportStatusRequested, t0)
		cabinetCreateExport(t, db, b.ID, models.DataExportStatusRequested, t0)

		// A failed request frees the slot: the client asks again with a new request.
		if err := exports.Update(ctx, a.ID, func(*models.DataExportRequest) error { return nil }); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Update of an unknown id: err = %v, want ErrNotFound", err)
		}
		open, err := exports.OpenByUser(ctx, a.ID)
		if err != nil {
			t.Fatalf("OpenByUser: %v", err)
		}
		if err := exports.Update(ctx, open.ID, func(x *models.DataExportRequest) error { return x.Start(t0) }); err != nil {
			t.Fatal(err)
		}
		if err := exports.Update(ctx, open.ID, func(x *models.DataExportRequest) error { return x.Fail("disk full", t0) }); err != nil {
			t.Fatal(err)
		}
		if _, err := exports.OpenByUser(ctx, a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("OpenByUser after failure: err = %v, want ErrNotFound", err)
		}
		retry := cabinetCreateExport(t, db, a.ID, models.DataExportStatusRequested, t0.Add(time.Hour))
		if open, err := exports.OpenByUser(ctx, a.ID); err != nil || open.ID != retry.ID {
			t.Errorf("OpenByUser = %v, %v; want the new request", open, err)
		}
	})
}

func TestDataExportRequestsUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	tests := []struct {
		name    string
		from    models.DataExportStatus
		change  func(x *models.DataExportRequest) error
		wantErr error
		want    models.DataExportStatus
	}{
		{name: "start", from: models.DataExportStatusRequested, change: func(x *models.DataExportRequest) error { return x.Start(t1) }, want: models.DataExportStatusProcessing},
		{name: "ready", from: models.DataExportStatusProcessing, want: models.DataExportStatusReady,
			change: func(x *models.DataExportRequest) error { return x.MarkReady("exports/x.zip", t1.Add(time.Hour), t1) }},
		{name: "fail", from: models.DataExportStatusProcessing, want: models.DataExportStatusFailed,
			change: func(x *models.DataExportRequest) error { return x.Fail("timeout", t1) }},
		{name: "expire", from: models.DataExportStatusReady, change: func(x *models.DataExportRequest) error { return x.Expire() }, want: models.DataExportStatusExpired},
		{name: "retry a failed one", from: models.DataExportStatusFailed, change: func(x *models.DataExportRequest) error { return x.Start(t1) }, wantErr: models.ErrInvalidTransition},
		{name: "ready without starting", from: models.DataExportStatusRequested, wantErr: models.ErrInvalidTransition,
			change: func(x *models.DataExportRequest) error { return x.MarkReady("f", t1.Add(time.Hour), t1) }},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		exports := repository.NewDataExportRequests(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				user := createStaff(t, db, t0)
				x := cabinetCreateExport(t, db, user.ID, tt.from, t0)
				var changed models.DataExportRequest
				err := exports.Update(ctx, x.ID, func(x *models.DataExportRequest) error {
					err := tt.change(x)
					changed = *x
					return err
				})
				got, gerr := exports.ByID(ctx, x.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					cabinetAssertExport(t, got, x)
					return
				}
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				changed.Version = x.Version + 1
				cabinetAssertExport(t, got, &changed)
				if got.Status != tt.want {
					t.Errorf("status = %s, want %s", got.Status, tt.want)
				}
			})
		}
	})
}

func TestDataExportRequestsOptimisticLocking(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		exports := repository.NewDataExportRequests(db)
		user := createStaff(t, db, t0)
		x := cabinetCreateExport(t, db, user.ID, models.DataExportStatusProcessing, t0)

		a, err := exports.ByID(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := exports.ByID(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.MarkReady("exports/a.zip", t0.Add(time.Hour), t0); err != nil {
			t.Fatal(err)
		}
		if err := exports.Save(ctx, a); err != nil {
			t.Fatalf("first save: %v", err)
		}
		if a.Version != x.Version+1 {
			t.Errorf("version after save = %d, want %d", a.Version, x.Version+1)
		}
		if err := b.Fail("worker crashed", t0); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, exports.Save(ctx, b), models.ErrConflict, "version")
		if b.Version != x.Version {
			t.Errorf("stale version after the conflict = %d, want %d", b.Version, x.Version)
		}
		got, err := exports.ByID(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		cabinetAssertExport(t, got, a)
	})
}

// The CHECK constraints refuse states the methods never produce.
func TestDataExportRequestsCheckConstraints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  models.DataExportStatus
		corrupt func(x *models.DataExportRequest)
	}{
		{"unknown status", models.DataExportStatusRequested, func(x *models.DataExportRequest) { x.Status = "done" }},
		{"ready without a file", models.DataExportStatusReady, func(x *models.DataExportRequest) { x.FileRef = nil }},
		{"ready without expiry", models.DataExportStatusReady, func(x *models.DataExportRequest) { x.ExpiresAt = nil }},
		{"failed without a reason", models.DataExportStatusFailed, func(x *models.DataExportRequest) { x.FailureReason = nil }},
		{"processing without a start", models.DataExportStatusProcessing, func(x *models.DataExportRequest) { x.StartedAt = nil }},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		exports := repository.NewDataExportRequests(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				x := cabinetExport(t, createStaff(t, db, t0).ID, tt.status, t0)
				tt.corrupt(x)
				if err := exports.Create(context.Background(), x); err == nil {
					t.Error("Create accepted an impossible state")
				}
			})
		}
	})
}

func TestDataExportRequestsLists(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		exports := repository.NewDataExportRequests(db)
		user, other := createStaff(t, db, t0), createStaff(t, db, t0)
		failed := cabinetCreateExport(t, db, user.ID, models.DataExportStatusFailed, t0)
		ready := cabinetCreateExport(t, db, user.ID, models.DataExportStatusReady, t0.Add(time.Hour))
		expired := cabinetCreateExport(t, db, user.ID, models.DataExportStatusExpired, t0.Add(2*time.Hour))
		open := cabinetCreateExport(t, db, user.ID, models.DataExportStatusRequested, t0.Add(3*time.Hour))
		otherReq := cabinetCreateExport(t, db, other.ID, models.DataExportStatusRequested, t0.Add(-time.Hour))
		otherReady := cabinetCreateExport(t, db, other.ID, models.DataExportStatusReady, t0.Add(-2*time.Hour))

		ids := func(xs []models.DataExportRequest) []uuid.UUID {
			var out []uuid.UUID
			for _, x := range xs {
				out = append(out, x.ID)
			}
			return out
		}
		tests := []struct {
			name string
			list func() ([]models.DataExportRequest, error)
			want []uuid.UUID
		}{
			{"by user, newest first", func() ([]models.DataExportRequest, error) { return exports.ListByUser(ctx, user.ID, repository.Page{}) },
				[]uuid.UUID{open.ID, expired.ID, ready.ID, failed.ID}},
			{"by user, second page", func() ([]models.DataExportRequest, error) {
				return exports.ListByUser(ctx, user.ID, repository.Page{Limit: 3, Offset: 3})
			}, []uuid.UUID{failed.ID}},
			{"requested, oldest first", func() ([]models.DataExportRequest, error) {
				return exports.ListByStatus(ctx, models.DataExportStatusRequested, repository.Page{})
			}, []uuid.UUID{otherReq.ID, open.ID}},
			{"ready, first page", func() ([]models.DataExportRequest, error) {
				return exports.ListByStatus(ctx, models.DataExportStatusReady, repository.Page{Limit: 1})
			}, []uuid.UUID{otherReady.ID}},
			{"processing: none", func() ([]models.DataExportRequest, error) {
				return exports.ListByStatus(ctx, models.DataExportStatusProcessing, repository.Page{})
			}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tt.list()
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), tt.want) {
					t.Errorf("ids = %v, want %v", ids(got), tt.want)
				}
			})
		}
	})
}

func TestDataExportRequestsExpireReady(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		exports := repository.NewDataExportRequests(db)
		clock := testkit.NewClock(t0)
		// Ready archives expiring at t0+72h, t0+73h and t0+74h; and requests in other states.
		var ready []*models.DataExportRequest
		for i := range 3 {
			ready = append(ready, cabinetCreateExport(t, db, createStaff(t, db, t0).ID, models.DataExportStatusReady, t0.Add(time.Duration(i)*time.Hour)))
		}
		processing := cabinetCreateExport(t, db, createStaff(t, db, t0).ID, models.DataExportStatusProcessing, t0)
		stale, err := exports.ByID(ctx, ready[0].ID)
		if err != nil {
			t.Fatal(err)
		}

		clock.Advance(73 * time.Hour)
		n, err := exports.ExpireReady(ctx, clock.Now().In(msk))
		if err != nil || n != 2 {
			t.Fatalf("ExpireReady = %d, %v; want 2 (the expiry at the cut-off included)", n, err)
		}
		for i, want := range []models.DataExportStatus{models.DataExportStatusExpired, models.DataExportStatusExpired, models.DataExportStatusReady} {
			got, err := exports.ByID(ctx, ready[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			wantVersion := ready[i].Version
			if want == models.DataExportStatusExpired {
				wantVersion++
			}
			if got.Status != want || got.Version != wantVersion || got.FileRef == nil {
				t.Errorf("ready[%d] = %s v%d file %v, want %s v%d with its file", i, got.Status, got.Version, got.FileRef, want, wantVersion)
			}
		}
		if got, _ := exports.ByID(ctx, processing.ID); got.Status != models.DataExportStatusProcessing {
			t.Errorf("processing request became %s", got.Status)
		}
		// A copy loaded before the expiry can no longer be saved over it.
		assertConstraint(t, exports.Save(ctx, stale), models.ErrConflict, "version")

		if n, err := exports.ExpireReady(ctx, clock.Now()); err != nil || n != 0 {
			t.Errorf("second ExpireReady = %d, %v; want 0", n, err)
		}
	})
}

func TestDataExportRequestsReferences(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		exports := repository.NewDataExportRequests(db)
		assertConstraint(t, exports.Create(ctx, cabinetExport(t, models.NewID(), models.DataExportStatusRequested, t0)), models.ErrInvalidReference, "")

		user := createStaff(t, db, t0)
		x := cabinetCreateExport(t, db, user.ID, models.DataExportStatusReady, t0)
		dup := cabinetExport(t, user.ID, models.DataExportStatusReady, t0)
		dup.ID = x.ID
		assertConstraint(t, exports.Create(ctx, dup), models.ErrConflict, "")
		if err := cabinetDeleteUser(t, db, user.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := exports.ByID(ctx, x.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("request outlived its user: err = %v", err)
		}
	})
}

// Every cabinet store method reports a failing database as an error with context.
func TestCabinetStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		entries := repository.NewDiaryEntries(db)
		exports := repository.NewDataExportRequests(db)
		user := createStaff(t, db, t0)
		e := cabinetCreateEntry(t, db, user.ID, t0, t0)
		x := cabinetCreateExport(t, db, user.ID, models.DataExportStatusRequested, t0)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			call    func() error
			context string
		}{
			{"DiaryEntries.Create", func() error { return entries.Create(ctx, cabinetNewEntry(t, user.ID, t0, "x", t0)) }, "create diary entry"},
			{"DiaryEntries.ByID", func() error { _, err := entries.ByID(ctx, user.ID, e.ID); return err }, "diary entry"},
			{"DiaryEntries.ListByUser", func() error { _, err := entries.ListByUser(ctx, user.ID, repository.Page{}); return err }, "list diary entries"},
			{"DiaryEntries.Update", func() error { return entries.Update(ctx, user.ID, e.ID, func(*models.DiaryEntry) error { return nil }) }, ""},
			{"DiaryEntries.Delete", func() error { return entries.Delete(ctx, user.ID, e.ID) }, "delete diary entry"},
			{"DiaryEntries.DeleteAllForUser", func() error { _, err := entries.DeleteAllForUser(ctx, user.ID); return err }, "delete diary of user"},
			{"DataExportRequests.Create", func() error {
				return exports.Create(ctx, cabinetExport(t, user.ID, models.DataExportStatusRequested, t0))
			}, "create data export request"},
			{"DataExportRequests.ByID", func() error { _, err := exports.ByID(ctx, x.ID); return err }, "data export request"},
			{"DataExportRequests.OpenByUser", func() error { _, err := exports.OpenByUser(ctx, user.ID); return err }, "open data export request"},
			{"DataExportRequests.ListByUser", func() error { _, err := exports.ListByUser(ctx, user.ID, repository.Page{}); return err }, "list data export requests"},
			{"DataExportRequests.ListByStatus", func() error {
				_, err := exports.ListByStatus(ctx, models.DataExportStatusReady, repository.Page{})
				return err
			}, "list ready data export requests"},
			{"DataExportRequests.Update", func() error { return exports.Update(ctx, x.ID, func(*models.DataExportRequest) error { return nil }) }, ""},
			{"DataExportRequests.Save", func() error { return exports.Save(ctx, x) }, "save data export request"},
			{"DataExportRequests.ExpireReady", func() error { _, err := exports.ExpireReady(ctx, t0); return err }, "expire data exports"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if err == nil || errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want a database error", err)
				}
				if !strings.Contains(err.Error(), tt.context) {
					t.Errorf("err = %v, want it to mention %q", err, tt.context)
				}
			})
		}
	})
}
