package repository_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// TestRecordsRefuseUndeclaredColumns: a column the model does not map never reaches SQL, wherever
// it is named.
func TestRecordsRefuseUndeclaredColumns(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		for name, q := range map[string]repository.RecordQuery{
			"column": {Columns: []string{"title; DROP TABLE services"}, Limit: 1},
			"sort":   {Columns: []string{"title"}, Sort: "nope", Limit: 1},
			"search": {Columns: []string{"title"}, Term: "x", Search: []string{"1=1) OR (title"}, Limit: 1},
			"filter": {Columns: []string{"title"}, Equal: map[string][]any{"title OR 1": {"x"}}, Limit: 1},
		} {
			if _, _, err := db.Records(ctx, &models.Service{}, q); err == nil {
				t.Errorf("%s: an unmapped column was accepted", name)
			}
		}
		if _, err := db.RecordByID(ctx, &models.Service{}, []string{"nope"}, uuid.New()); err == nil {
			t.Error("RecordByID accepted an unmapped column")
		}
		recs, total, err := db.Records(ctx, &models.Service{}, repository.RecordQuery{Columns: []string{"title"}})
		if err != nil || total != 0 || len(recs) != 0 {
			t.Errorf("count only: %v %d %v", recs, total, err)
		}
		if _, err := db.RecordByID(ctx, &models.Service{}, []string{"title"}, uuid.New()); err != models.ErrNotFound {
			t.Errorf("missing record: %v, want ErrNotFound", err)
		}
	})
}
