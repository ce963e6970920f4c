package repository_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// TestContentSearchFollowsEdits: the search index follows every change of an item — creation,
// an edited title, summary or body, deletion — on both databases, and only published items are
// found.
func TestContentSearchFollowsEdits(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		published := contentCreateItem(t, db, "one", func(c *models.ContentItem) {
			c.Title, c.Summary = "Альфа", "Гамма"
			contentMust(t, c.Publish(contentCreated))
		})
		contentCreateItem(t, db, "draft", func(c *models.ContentItem) { c.Title = "Альфа черновик" })
		search := func(q string) []string {
			t.Helper()
			got, err := items.PublishedPage(ctx, repository.LibraryQuery{Search: q, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return contentSlugs(got)
		}
		check := func(step string, want map[string][]string) {
			t.Helper()
			for q, slugs := range want {
				if got := search(q); !slices.Equal(got, slugs) {
					t.Errorf("%s: %q finds %v, want %v", step, q, got, slugs)
				}
			}
		}
		check("created", map[string][]string{"альфа": {"one"}, "гамма": {"one"}, "черновик": {}, "one": {"one"}})
		contentMust(t, items.Update(ctx, published.ID, func(c *models.ContentItem) error {
			f := models.ContentFields{Type: c.Type, Slug: c.Slug, Title: "Бета", Summary: "Дельта", BodyMarkdown: "Эпсилон"}
			return c.Edit(f, contentCreated.Add(time.Hour))
		}))
		check("edited", map[string][]string{"альфа": {}, "гамма": {}, "one": {}, "бета": {"one"}, "дельта": {"one"}, "эпсилон": {"one"}})
		contentMust(t, items.Delete(ctx, published.ID))
		check("deleted", map[string][]string{"бета": {}, "эпсилон": {}})
	})
}
