package repository_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/repository"
)

// insertQueueJob writes a row of River's job table as the queue would leave it: args as JSON,
// finalized when the state is final, and lastError (when set) as its one error.
func insertQueueJob(t *testing.T, db *repository.DB, kind, args, state, lastError string) int64 {
	t.Helper()
	var finalized *time.Time
	if slices.Contains([]string{"cancelled", "completed", "discarded"}, state) {
		now := time.Now().UTC()
		finalized = &now
	}
	errs := "CASE WHEN ? = '' THEN NULL ELSE ARRAY[jsonb_build_object('error', ?::text, 'attempt', 1)] END"
	if db.Dialect == migrations.SQLite {
		errs = "CASE WHEN ? = '' THEN NULL ELSE json_array(json_object('error', ?, 'attempt', 1)) END"
	}
	var id int64
	err := db.Gorm.Raw("INSERT INTO river_job (kind, args, state, max_attempts, finalized_at, errors) VALUES (?, ?, ?, 3, ?, "+errs+") RETURNING id",
		kind, args, state, finalized, lastError, lastError).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestQueueJobRecords: the job queue's computed columns (what a job is about, its last error) are
// read from River's JSON on both databases and filter by equality; they neither sort, bound nor
// match a search.
func TestQueueJobRecords(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		event := insertQueueJob(t, db, "event", `{"event":"lead.captured","subscriber":"crm"}`, "discarded", "mail server unreachable")
		task := insertQueueJob(t, db, "task", `{"task":"remind"}`, "available", "")
		cols := []string{"kind", "event", "subscriber", "task", "state", "last_error"}

		for _, tc := range []struct {
			name  string
			equal map[string][]any
			want  []int64
		}{
			{"none", nil, []int64{task, event}},
			{"event", map[string][]any{"event": {"lead.captured"}}, []int64{event}},
			{"subscriber and state", map[string][]any{"subscriber": {"crm", "other"}, "state": {"discarded"}}, []int64{event}},
			{"task", map[string][]any{"task": {"remind"}}, []int64{task}},
			{"no such task", map[string][]any{"task": {"lead.captured"}}, nil},
		} {
			recs, total, err := db.Records(ctx, &repository.QueueJob{}, repository.RecordQuery{Columns: cols, Equal: tc.equal, Desc: true, Limit: 10})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var ids []int64
			for _, r := range recs {
				ids = append(ids, r["id"].(int64))
			}
			if !slices.Equal(ids, tc.want) || total != int64(len(tc.want)) {
				t.Errorf("%s: ids %v (total %d), want %v", tc.name, ids, total, tc.want)
			}
		}

		rec, err := db.RecordByID(ctx, &repository.QueueJob{}, cols, event)
		if err != nil {
			t.Fatal(err)
		}
		if rec["event"] != "lead.captured" || rec["subscriber"] != "crm" || rec["task"] != nil || rec["last_error"] != "mail server unreachable" {
			t.Errorf("event job: %v", rec)
		}
		if rec, err = db.RecordByID(ctx, &repository.QueueJob{}, cols, task); err != nil || rec["task"] != "remind" || rec["event"] != nil || rec["last_error"] != nil {
			t.Errorf("task job: %v %v", rec, err)
		}

		for name, q := range map[string]repository.RecordQuery{
			"sort":      {Columns: cols, Sort: "event", Limit: 1},
			"then sort": {Columns: cols, Sort: "state", ThenSort: "last_error", Limit: 1},
			"bound":     {Columns: cols, Bounds: []repository.Bound{{Column: "task", Value: "a"}}, Limit: 1},
			"search":    {Columns: cols, Term: "mail", Search: []string{"last_error"}, Limit: 1},
		} {
			if _, _, err := db.Records(ctx, &repository.QueueJob{}, q); err == nil {
				t.Errorf("%s on a computed column was accepted", name)
			}
		}
	})
}
