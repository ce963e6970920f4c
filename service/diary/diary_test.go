package diary_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/diary"
)

// TestTagFilterAcrossBatches: a tag filter reads the tags batch by batch and pages through a
// diary much longer than a batch, finding every tagged entry once, in order.
func TestTagFilterAcrossBatches(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		clock := testkit.NewClock(now)
		email, _ := models.ParseEmail("anna@example.org")
		u := models.NewClientUser(email, "Анна", now)
		if err := repository.NewUsers(db).Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		d := diary.New(repository.NewDiaryEntries(db), clock)
		var want []string
		for i := range 450 {
			in := diary.Input{Date: now.AddDate(0, 0, -i/3).Format(time.DateOnly), Body: fmt.Sprint(i)}
			if i%97 == 5 {
				in.Tags = []string{"сон"}
				want = append(want, fmt.Sprint(i)) // each on a day of its own
			}
			clock.Advance(time.Second)
			if _, err := d.Write(ctx, u.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		// Days go back as i grows: the latest day first is the writing order of the tagged ones.
		var got []string
		q := diary.Query{Tag: "СОН", Limit: 2}
		for range 10 {
			page, err := d.List(ctx, u.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Items {
				got = append(got, e.Body)
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tagged = %v, want %v", got, want)
		}
	})
}
