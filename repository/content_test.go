package repository_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// contentCreated is given in +03:00 with microseconds (PostgreSQL's precision): it must come back as
// the same instant in UTC.
var contentCreated = time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)

// contentAssertIndexes fails unless every index declared on the models exists in db.
func contentAssertIndexes(t *testing.T, db *repository.DB, ms ...any) {
	t.Helper()
	for _, m := range ms {
		stmt := &gorm.Statement{DB: db.Gorm}
		if err := stmt.Parse(m); err != nil {
			t.Fatalf("parse %T: %v", m, err)
		}
		indexes := stmt.Schema.ParseIndexes()
		if len(indexes) == 0 {
			t.Errorf("%T declares no index", m)
		}
		for _, idx := range indexes {
			if !db.Gorm.Migrator().HasIndex(m, idx.Name) {
				t.Errorf("%T: index %s is declared but not in the %s schema", m, idx.Name, db.Dialect)
			}
		}
	}
}

func TestContentIndexesExist(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		contentAssertIndexes(t, db, &models.Topic{}, &models.Tag{}, &models.ContentItem{}, &models.ContentItemTag{})
		// The check itself can fail.
		if db.Gorm.Migrator().HasIndex(&models.Topic{}, "topics_nonexistent_idx") {
			t.Error("HasIndex found an index that does not exist")
		}
	})
}

func contentCreateTopic(t *testing.T, db *repository.DB, code string, sortOrder int) *models.Topic {
	t.Helper()
	topic, err := models.NewTopic(code, "Тема "+code, "Описание "+code, sortOrder, contentCreated)
	if err != nil {
		t.Fatal(err)
	}
	if err := repository.NewTopics(db).Create(context.Background(), topic); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	return topic
}

func contentCreateTag(t *testing.T, db *repository.DB, slug string) *models.Tag {
	t.Helper()
	tag, err := models.NewTag(slug, "Тег "+slug, contentCreated)
	if err != nil {
		t.Fatal(err)
	}
	if err := repository.NewTags(db).Create(context.Background(), tag); err != nil {
		t.Fatalf("create tag: %v", err)
	}
	return tag
}

// contentNewItem returns an unsaved, complete draft article.
func contentNewItem(t *testing.T, slug string) *models.ContentItem {
	t.Helper()
	item, err := models.NewContentItem(models.ContentFields{
		Type: models.ContentTypeArticle, Slug: slug, Title: "Статья " + slug, BodyMarkdown: "Текст " + slug,
	}, contentCreated)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// contentCreateItem saves an item built by build (from contentNewItem(slug)).
func contentCreateItem(t *testing.T, db *repository.DB, slug string, build func(*models.ContentItem)) *models.ContentItem {
	t.Helper()
	item := contentNewItem(t, slug)
	if build != nil {
		build(item)
	}
	if err := repository.NewContentItems(db).Create(context.Background(), item); err != nil {
		t.Fatalf("create content item %s: %v", slug, err)
	}
	return item
}

func contentMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func contentAssertTopic(t *testing.T, got, want *models.Topic) {
	t.Helper()
	if got.ID != want.ID || got.Code != want.Code || got.Title != want.Title || got.Description != want.Description ||
		got.SortOrder != want.SortOrder {
		t.Errorf("topic = %+v, want %+v", got, want)
	}
	assertUTC(t, "topic CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "topic UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

// contentAssertItem compares every stored field of got with want; tags in slug order.
func contentAssertItem(t *testing.T, got, want *models.ContentItem) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.Slug != want.Slug || got.Title != want.Title ||
		got.Summary != want.Summary || got.BodyMarkdown != want.BodyMarkdown || got.SEOTitle != want.SEOTitle ||
		got.SEODescription != want.SEODescription || got.Status != want.Status || got.Version != want.Version {
		t.Errorf("item = %+v\nwant %+v", got, want)
	}
	eqPtr(t, "CoverURL", got.CoverURL, want.CoverURL)
	eqPtr(t, "VideoURL", got.VideoURL, want.VideoURL)
	eqPtr(t, "TopicID", got.TopicID, want.TopicID)
	eqPtr(t, "ReadingMinutes", got.ReadingMinutes, want.ReadingMinutes)
	assertUTCPtr(t, "PublishedAt", got.PublishedAt, want.PublishedAt)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	switch {
	case want.TopicID == nil && got.Topic != nil:
		t.Errorf("Topic = %+v, want none", got.Topic)
	case want.TopicID != nil && (got.Topic == nil || got.Topic.ID != *want.TopicID):
		t.Errorf("Topic = %+v, want %s", got.Topic, *want.TopicID)
	}
	wantTags := slices.Clone(want.Tags)
	slices.SortFunc(wantTags, func(a, b models.Tag) int { return strings.Compare(a.Slug, b.Slug) })
	if len(got.Tags) != len(wantTags) {
		t.Fatalf("tags = %+v, want %+v", got.Tags, wantTags)
	}
	for i, w := range wantTags {
		if g := got.Tags[i]; g.ID != w.ID || g.Slug != w.Slug || g.Title != w.Title {
			t.Errorf("tag[%d] = %+v, want %+v", i, g, w)
		}
		assertUTC(t, "tag CreatedAt", got.Tags[i].CreatedAt, w.CreatedAt)
	}
}

func contentSlugs(items []models.ContentItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Slug)
	}
	return out
}

func TestTopicsRoundTripAndList(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		topics := repository.NewTopics(db)
		if got, err := topics.List(ctx); err != nil || len(got) != 0 {
			t.Fatalf("List of none = %v, %v", got, err)
		}
		b := contentCreateTopic(t, db, "b-topic", 2)
		c := contentCreateTopic(t, db, "c-topic", 1)
		a := contentCreateTopic(t, db, "a-topic", 2)
		a.Description = ""
		contentMust(t, topics.Update(ctx, a.ID, func(tp *models.Topic) error { return tp.Edit(a.Title, "", 2, contentCreated) }))

		for _, want := range []*models.Topic{a, b, c} {
			got, err := topics.ByCode(ctx, want.Code)
			if err != nil {
				t.Fatalf("ByCode(%s): %v", want.Code, err)
			}
			contentAssertTopic(t, got, want)
			got, err = topics.ByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("ByID: %v", err)
			}
			contentAssertTopic(t, got, want)
		}
		list, err := topics.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, tp := range list {
			codes = append(codes, tp.Code)
		}
		// sort_order first, then code.
		if want := []string{"c-topic", "a-topic", "b-topic"}; !slices.Equal(codes, want) {
			t.Errorf("List = %v, want %v", codes, want)
		}
	})
}

func TestTopicsUpdate(t *testing.T) {
	t.Parallel()
	t1 := contentCreated.Add(time.Hour)
	errBoom := errors.New("boom")
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		topics := repository.NewTopics(db)
		topic := contentCreateTopic(t, db, "anxiety", 1)

		// A failing callback changes nothing.
		err := topics.Update(ctx, topic.ID, func(tp *models.Topic) error {
			_ = tp.Edit("Другое", "другое", 9, t1)
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("err = %v, want the callback's", err)
		}
		got, err := topics.ByID(ctx, topic.ID)
		contentMust(t, err)
		contentAssertTopic(t, got, topic)

		contentMust(t, topics.Update(ctx, topic.ID, func(tp *models.Topic) error { return tp.Edit("Тревога", "Новое", 5, t1) }))
		want := *topic
		want.Title, want.Description, want.SortOrder, want.UpdatedAt = "Тревога", "Новое", 5, t1
		got, err = topics.ByID(ctx, topic.ID)
		contentMust(t, err)
		contentAssertTopic(t, got, &want)
	})
}

func TestTopicsAndTagsErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		topics, tags := repository.NewTopics(db), repository.NewTags(db)
		topic := contentCreateTopic(t, db, "anxiety", 1)
		tag := contentCreateTag(t, db, "sleep")

		dupTopic, _ := models.NewTopic("anxiety", "Другая", "", 0, contentCreated)
		assertConstraint(t, topics.Create(ctx, dupTopic), models.ErrConflict, byDialect(db, "topics_code_key", "topics.code"))
		dupTag, _ := models.NewTag("sleep", "Другой", contentCreated)
		assertConstraint(t, tags.Create(ctx, dupTag), models.ErrConflict, byDialect(db, "tags_slug_key", "tags.slug"))

		called := false
		notFound := []struct {
			name string
			call func() error
		}{
			{"Topics.ByCode", func() error { _, err := topics.ByCode(ctx, "nope"); return err }},
			{"Topics.ByID", func() error { _, err := topics.ByID(ctx, models.NewID()); return err }},
			{"Topics.Update", func() error {
				return topics.Update(ctx, models.NewID(), func(*models.Topic) error { called = true; return nil })
			}},
			{"Topics.Delete", func() error { return topics.Delete(ctx, models.NewID()) }},
			{"Tags.BySlug", func() error { _, err := tags.BySlug(ctx, "nope"); return err }},
			{"Tags.Delete", func() error { return tags.Delete(ctx, models.NewID()) }},
		}
		for _, tt := range notFound {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("err = %v, want ErrNotFound", err)
				}
			})
		}
		if called {
			t.Error("Update called back for a topic that does not exist")
		}
		// The existing rows are intact.
		if got, err := topics.ByCode(ctx, "anxiety"); err != nil || got.ID != topic.ID {
			t.Errorf("ByCode = %+v, %v", got, err)
		}
		if got, err := tags.BySlug(ctx, "sleep"); err != nil || got.ID != tag.ID || got.Title != tag.Title {
			t.Errorf("BySlug = %+v, %v", got, err)
		}
	})
}

func TestTagsListAndDelete(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		tags := repository.NewTags(db)
		sleep := contentCreateTag(t, db, "sleep")
		anx := contentCreateTag(t, db, "anxiety")
		item := contentCreateItem(t, db, "item", func(c *models.ContentItem) {
			contentMust(t, c.SetTags([]models.Tag{*sleep, *anx}, contentCreated))
		})

		list, err := tags.List(ctx)
		contentMust(t, err)
		if len(list) != 2 || list[0].ID != anx.ID || list[1].ID != sleep.ID {
			t.Fatalf("List = %+v, want anxiety, sleep", list)
		}
		assertUTC(t, "CreatedAt", list[0].CreatedAt, contentCreated)

		// Deleting a tag unlinks it from its items.
		contentMust(t, tags.Delete(ctx, sleep.ID))
		if _, err := tags.BySlug(ctx, "sleep"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted tag: err = %v", err)
		}
		got, err := repository.NewContentItems(db).ByID(ctx, item.ID)
		contentMust(t, err)
		if len(got.Tags) != 1 || got.Tags[0].ID != anx.ID {
			t.Errorf("tags after deleting one = %+v, want [anxiety]", got.Tags)
		}
		if n := count(t, db, "content_item_tags", "tag_id = ?", sleep.ID); n != 0 {
			t.Errorf("%d links to the deleted tag", n)
		}
	})
}

func TestTopicsDeleteKeepsItems(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		topic := contentCreateTopic(t, db, "anxiety", 1)
		item := contentCreateItem(t, db, "item", func(c *models.ContentItem) { c.TopicID = &topic.ID })
		contentMust(t, repository.NewTopics(db).Delete(ctx, topic.ID))
		got, err := repository.NewContentItems(db).ByID(ctx, item.ID)
		if err != nil {
			t.Fatalf("item of a deleted topic: %v", err)
		}
		if got.TopicID != nil || got.Topic != nil {
			t.Errorf("TopicID = %v, Topic = %+v; want none", got.TopicID, got.Topic)
		}
	})
}

func TestContentItemsRoundTrip(t *testing.T) {
	t.Parallel()
	published := contentCreated.Add(90 * time.Minute)
	tests := []struct {
		name string
		// item builds the item to save (tags and topic already created).
		item func(t *testing.T, topic *models.Topic, tags []models.Tag) *models.ContentItem
	}{
		{
			name: "published video with every field",
			item: func(t *testing.T, topic *models.Topic, tags []models.Tag) *models.ContentItem {
				c, err := models.NewContentItem(models.ContentFields{
					Type: models.ContentTypeVideo, Slug: "breathing-4-7-8", Title: "Дыхание 4-7-8",
					Summary: "Коротко", BodyMarkdown: "## Как\n\n1. Вдох", CoverURL: ptr("https://cdn.example.org/c.jpg"),
					VideoURL: ptr("https://video.example.org/v/1"), TopicID: &topic.ID, SEOTitle: "Дыхание",
					SEODescription: strings.Repeat("ю", 160), ReadingMinutes: ptr(7),
				}, contentCreated)
				contentMust(t, err)
				contentMust(t, c.SetTags(tags, contentCreated))
				contentMust(t, c.Publish(published))
				return c
			},
		},
		{
			name: "draft exercise without optional fields",
			item: func(t *testing.T, _ *models.Topic, _ []models.Tag) *models.ContentItem {
				c, err := models.NewContentItem(models.ContentFields{Type: models.ContentTypeExercise, Slug: "empty-draft"}, contentCreated)
				contentMust(t, err)
				return c
			},
		},
		{
			name: "archived after publication",
			item: func(t *testing.T, topic *models.Topic, tags []models.Tag) *models.ContentItem {
				c := contentNewItem(t, "archived-one")
				contentMust(t, c.SetTags(tags[:1], contentCreated))
				contentMust(t, c.Publish(published))
				contentMust(t, c.Archive(published.Add(time.Hour)))
				return c
			},
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		topic := contentCreateTopic(t, db, "breathing", 1)
		tags := []models.Tag{*contentCreateTag(t, db, "sleep"), *contentCreateTag(t, db, "anxiety")}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := tt.item(t, topic, tags)
				if err := items.Create(ctx, want); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := items.ByID(ctx, want.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				contentAssertItem(t, got, want)
				if got.Topic != nil {
					contentAssertTopic(t, got.Topic, topic)
				}
				got, err = items.BySlug(ctx, want.Slug)
				if err != nil {
					t.Fatalf("BySlug: %v", err)
				}
				contentAssertItem(t, got, want)
				if len(got.Events()) != 0 {
					t.Errorf("loaded item carries events %v", got.Events())
				}
			})
		}
	})
}

func TestContentItemsCreateErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		existing := contentCreateItem(t, db, "taken", nil)
		tag := contentCreateTag(t, db, "sleep")

		tests := []struct {
			name       string
			item       func() *models.ContentItem
			kind       error
			constraint string
		}{
			{"duplicate slug", func() *models.ContentItem { return contentNewItem(t, "taken") }, models.ErrConflict,
				byDialect(db, "content_items_slug_key", "content_items.slug")},
			{"duplicate id", func() *models.ContentItem {
				c := contentNewItem(t, "other-slug")
				c.ID = existing.ID
				return c
			}, models.ErrConflict, byDialect(db, "content_items_pkey", "content_items.id")},
			{"unknown topic", func() *models.ContentItem {
				c := contentNewItem(t, "no-topic")
				c.TopicID = ptr(models.NewID())
				return c
			}, models.ErrInvalidReference, byDialect(db, "content_items_topic_id_fkey", "")},
			{"unknown tag after a known one", func() *models.ContentItem {
				c := contentNewItem(t, "bad-tag")
				contentMust(t, c.SetTags([]models.Tag{*tag, {ID: models.NewID(), Slug: "ghost"}}, contentCreated))
				return c
			}, models.ErrInvalidReference, byDialect(db, "content_item_tags_tag_id_fkey", "")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.item()
				assertConstraint(t, items.Create(ctx, c), tt.kind, tt.constraint)
				// Nothing of the rejected item stays.
				if c.ID != existing.ID {
					if n := count(t, db, "content_items", "id = ?", c.ID); n != 0 {
						t.Errorf("%d rows of the rejected item", n)
					}
				}
				if n := count(t, db, "content_item_tags", "content_item_id = ?", c.ID); n != 0 {
					t.Errorf("%d tag links of the rejected item", n)
				}
			})
		}
		got, err := items.ByID(ctx, existing.ID)
		contentMust(t, err)
		contentAssertItem(t, got, existing)
	})
}

func TestContentItemsNotFound(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		contentCreateItem(t, db, "draft", nil)
		contentCreateItem(t, db, "archived", func(c *models.ContentItem) {
			contentMust(t, c.Publish(contentCreated))
			contentMust(t, c.Archive(contentCreated))
		})
		live := contentCreateItem(t, db, "live", func(c *models.ContentItem) { contentMust(t, c.Publish(contentCreated)) })

		called := false
		tests := []struct {
			name string
			call func() error
		}{
			{"ByID", func() error { _, err := items.ByID(ctx, models.NewID()); return err }},
			{"BySlug", func() error { _, err := items.BySlug(ctx, "nope"); return err }},
			{"PublishedBySlug of a draft", func() error { _, err := items.PublishedBySlug(ctx, "draft"); return err }},
			{"PublishedBySlug of an archived item", func() error { _, err := items.PublishedBySlug(ctx, "archived"); return err }},
			{"PublishedBySlug of nothing", func() error { _, err := items.PublishedBySlug(ctx, "nope"); return err }},
			{"Update", func() error {
				return items.Update(ctx, models.NewID(), func(*models.ContentItem) error { called = true; return nil })
			}},
			{"Save of an item never created", func() error { return items.Save(ctx, contentNewItem(t, "ghost")) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				// Saving an unknown item is a conflict: its version is not the stored one.
				want := models.ErrNotFound
				if strings.HasPrefix(tt.name, "Save") {
					want = models.ErrConflict
				}
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			})
		}
		if called {
			t.Error("Update called back for an item that does not exist")
		}
		got, err := items.PublishedBySlug(ctx, "live")
		if err != nil || got.ID != live.ID {
			t.Errorf("PublishedBySlug(live) = %+v, %v", got, err)
		}
	})
}

func TestContentItemsListPublished(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		anxiety := contentCreateTopic(t, db, "anxiety", 1)
		sleepTopic := contentCreateTopic(t, db, "sleep", 2)
		tagA, tagB := contentCreateTag(t, db, "tag-a"), contentCreateTag(t, db, "tag-b")
		at := func(h int) time.Time { return contentCreated.Add(time.Duration(h) * time.Hour) }

		// item makes a published item unless publishedAt is nil.
		item := func(slug string, typ models.ContentType, topic *models.Topic, tags []models.Tag, publishedAt *time.Time, archive bool) {
			contentCreateItem(t, db, slug, func(c *models.ContentItem) {
				c.Type = typ
				if typ == models.ContentTypeVideo {
					c.VideoURL = ptr("https://video.example.org/" + slug)
				}
				if topic != nil {
					c.TopicID = &topic.ID
				}
				contentMust(t, c.SetTags(tags, contentCreated))
				if publishedAt != nil {
					contentMust(t, c.Publish(*publishedAt))
				}
				if archive {
					contentMust(t, c.Archive(at(50)))
				}
			})
		}
		item("p1", models.ContentTypeArticle, anxiety, []models.Tag{*tagA}, ptr(at(1)), false)
		item("p2", models.ContentTypeVideo, anxiety, []models.Tag{*tagA, *tagB}, ptr(at(2)), false)
		item("p3", models.ContentTypeExercise, sleepTopic, []models.Tag{*tagB}, ptr(at(3)), false)
		item("p4", models.ContentTypeArticle, nil, nil, ptr(at(4)), false)
		item("p5", models.ContentTypeArticle, sleepTopic, []models.Tag{*tagA}, ptr(at(3)), false) // ties p3
		item("draft", models.ContentTypeArticle, anxiety, []models.Tag{*tagA}, nil, false)
		item("archived", models.ContentTypeArticle, anxiety, []models.Tag{*tagA}, ptr(at(9)), true)

		// p3 and p5 share a publication time: the later id (p5, created after) comes first.
		tests := []struct {
			name   string
			filter repository.ContentFilter
			page   repository.Page
			want   []string
		}{
			{"all", repository.ContentFilter{}, repository.Page{}, []string{"p4", "p5", "p3", "p2", "p1"}},
			{"status in the filter is ignored", repository.ContentFilter{Status: models.PublicationDraft}, repository.Page{}, []string{"p4", "p5", "p3", "p2", "p1"}},
			{"first page", repository.ContentFilter{}, repository.Page{Limit: 2}, []string{"p4", "p5"}},
			{"second page", repository.ContentFilter{}, repository.Page{Limit: 2, Offset: 2}, []string{"p3", "p2"}},
			{"last page", repository.ContentFilter{}, repository.Page{Limit: 2, Offset: 4}, []string{"p1"}},
			{"past the end", repository.ContentFilter{}, repository.Page{Limit: 2, Offset: 6}, nil},
			{"negative offset and huge limit", repository.ContentFilter{}, repository.Page{Limit: 10000, Offset: -3}, []string{"p4", "p5", "p3", "p2", "p1"}},
			{"by topic", repository.ContentFilter{TopicCode: "anxiety"}, repository.Page{}, []string{"p2", "p1"}},
			{"by tag", repository.ContentFilter{TagSlug: "tag-b"}, repository.Page{}, []string{"p3", "p2"}},
			{"by type", repository.ContentFilter{Type: models.ContentTypeArticle}, repository.Page{}, []string{"p4", "p5", "p1"}},
			{"by topic, tag and type", repository.ContentFilter{TopicCode: "sleep", TagSlug: "tag-a", Type: models.ContentTypeArticle}, repository.Page{}, []string{"p5"}},
			{"unknown topic", repository.ContentFilter{TopicCode: "nope"}, repository.Page{}, nil},
			{"unknown tag", repository.ContentFilter{TagSlug: "nope"}, repository.Page{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := items.ListPublished(ctx, tt.filter, tt.page)
				if err != nil {
					t.Fatalf("ListPublished: %v", err)
				}
				if slugs := contentSlugs(got); !slices.Equal(slugs, tt.want) {
					t.Errorf("ListPublished = %v, want %v", slugs, tt.want)
				}
			})
		}

		// Associations come along.
		got, err := items.ListPublished(ctx, repository.ContentFilter{TopicCode: "anxiety", TagSlug: "tag-b"}, repository.Page{})
		contentMust(t, err)
		if len(got) != 1 || got[0].Topic == nil || got[0].Topic.Code != "anxiety" || len(got[0].Tags) != 2 ||
			got[0].Tags[0].Slug != "tag-a" || got[0].Tags[1].Slug != "tag-b" {
			t.Errorf("p2 = %+v, want topic anxiety and tags tag-a, tag-b", got)
		}
	})
}

func TestContentItemsListForEditors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		for i, slug := range []string{"d1", "p1", "d2"} {
			contentCreateItem(t, db, slug, func(c *models.ContentItem) {
				c.UpdatedAt = contentCreated.Add(time.Duration(i) * time.Minute)
				if slug == "p1" {
					contentMust(t, c.Publish(c.UpdatedAt))
				}
			})
		}
		tests := []struct {
			filter repository.ContentFilter
			want   []string
		}{
			{repository.ContentFilter{}, []string{"d2", "p1", "d1"}},
			{repository.ContentFilter{Status: models.PublicationDraft}, []string{"d2", "d1"}},
			{repository.ContentFilter{Status: models.PublicationPublished}, []string{"p1"}},
			{repository.ContentFilter{Status: models.PublicationArchived}, nil},
		}
		for _, tt := range tests {
			got, err := items.List(ctx, tt.filter, repository.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if slugs := contentSlugs(got); !slices.Equal(slugs, tt.want) {
				t.Errorf("List(%+v) = %v, want %v", tt.filter, slugs, tt.want)
			}
		}
	})
}

func TestContentItemsListQueryCount(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		topics := []*models.Topic{contentCreateTopic(t, db, "t-1", 1), contentCreateTopic(t, db, "t-2", 2)}
		tags := []models.Tag{*contentCreateTag(t, db, "a"), *contentCreateTag(t, db, "b"), *contentCreateTag(t, db, "c")}
		for i := range 20 {
			contentCreateItem(t, db, fmt.Sprintf("item-%d", i), func(c *models.ContentItem) {
				c.TopicID = &topics[i%2].ID
				contentMust(t, c.SetTags([]models.Tag{tags[i%3], tags[(i+1)%3]}, contentCreated))
				contentMust(t, c.Publish(contentCreated.Add(time.Duration(i)*time.Minute)))
			})
		}
		lists := []struct {
			name string
			list func(page repository.Page) ([]models.ContentItem, error)
		}{
			{"ListPublished", func(p repository.Page) ([]models.ContentItem, error) {
				return items.ListPublished(ctx, repository.ContentFilter{}, p)
			}},
			{"ListPublished filtered", func(p repository.Page) ([]models.ContentItem, error) {
				return items.ListPublished(ctx, repository.ContentFilter{TagSlug: "a", Type: models.ContentTypeArticle}, p)
			}},
			{"List", func(p repository.Page) ([]models.ContentItem, error) {
				return items.List(ctx, repository.ContentFilter{}, p)
			}},
		}
		q := testkit.CountQueries(t, db.Gorm)
		for _, l := range lists {
			counts := map[int]int{}
			for _, n := range []int{1, 20} {
				q.Reset()
				got, err := l.list(repository.Page{Limit: n})
				if err != nil {
					t.Fatal(err)
				}
				counts[n] = q.N()
				if l.name != "ListPublished filtered" && len(got) != n {
					t.Fatalf("%s: %d items, want %d", l.name, len(got), n)
				}
				for _, it := range got {
					if it.Topic == nil || len(it.Tags) != 2 {
						t.Fatalf("%s: %s loaded without its topic or tags", l.name, it.Slug)
					}
				}
			}
			if counts[1] != counts[20] || counts[1] == 0 {
				t.Errorf("%s: %d queries for 1 item, %d for 20; want the same", l.name, counts[1], counts[20])
			}
		}
	})
}

func TestContentItemsUpdate(t *testing.T) {
	t.Parallel()
	t1 := contentCreated.Add(time.Hour)
	tests := []struct {
		name   string
		change func(c *models.ContentItem, tags map[string]models.Tag, topic *models.Topic) error
		want   func(want *models.ContentItem, tags map[string]models.Tag, topic *models.Topic)
		events []string
	}{
		{
			name: "edit fields and topic",
			change: func(c *models.ContentItem, _ map[string]models.Tag, topic *models.Topic) error {
				return c.Edit(models.ContentFields{
					Type: models.ContentTypeExercise, Slug: "renamed", Title: "Новое", BodyMarkdown: "Новый текст",
					CoverURL: ptr("https://cdn.example.org/n.png"), TopicID: &topic.ID, SEOTitle: "S", SEODescription: "D",
					ReadingMinutes: ptr(3),
				}, t1)
			},
			want: func(w *models.ContentItem, _ map[string]models.Tag, topic *models.Topic) {
				w.Type, w.Slug, w.Title, w.BodyMarkdown, w.Summary = models.ContentTypeExercise, "renamed", "Новое", "Новый текст", ""
				w.CoverURL, w.TopicID, w.SEOTitle, w.SEODescription, w.ReadingMinutes = ptr("https://cdn.example.org/n.png"), &topic.ID, "S", "D", ptr(3)
				w.UpdatedAt = t1
			},
		},
		{
			name: "replace the tag set",
			change: func(c *models.ContentItem, tags map[string]models.Tag, _ *models.Topic) error {
				return c.SetTags([]models.Tag{tags["b"], tags["c"]}, t1)
			},
			want: func(w *models.ContentItem, tags map[string]models.Tag, _ *models.Topic) {
				w.Tags, w.UpdatedAt = []models.Tag{tags["b"], tags["c"]}, t1
			},
		},
		{
			name: "clear the tag set and the optional fields",
			change: func(c *models.ContentItem, _ map[string]models.Tag, _ *models.Topic) error {
				if err := c.SetTags(nil, t1); err != nil {
					return err
				}
				return c.Edit(models.ContentFields{Type: c.Type, Slug: c.Slug, Title: c.Title, BodyMarkdown: c.BodyMarkdown}, t1)
			},
			want: func(w *models.ContentItem, _ map[string]models.Tag, _ *models.Topic) {
				w.Tags, w.UpdatedAt, w.Summary, w.CoverURL, w.TopicID, w.SEOTitle, w.SEODescription, w.ReadingMinutes = nil, t1, "", nil, nil, "", "", nil
			},
		},
		{
			name:   "publish",
			change: func(c *models.ContentItem, _ map[string]models.Tag, _ *models.Topic) error { return c.Publish(t1) },
			want: func(w *models.ContentItem, _ map[string]models.Tag, _ *models.Topic) {
				w.Status, w.PublishedAt, w.UpdatedAt = models.PublicationPublished, &t1, t1
			},
			events: []string{"content.published"},
		},
		{
			name:   "archive",
			change: func(c *models.ContentItem, _ map[string]models.Tag, _ *models.Topic) error { return c.Archive(t1) },
			want: func(w *models.ContentItem, _ map[string]models.Tag, _ *models.Topic) {
				w.Status, w.UpdatedAt = models.PublicationArchived, t1
			},
			events: []string{"content.archived"},
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		topic := contentCreateTopic(t, db, "new-topic", 1)
		other := contentCreateTopic(t, db, "old-topic", 2)
		tags := map[string]models.Tag{}
		for _, s := range []string{"a", "b", "c"} {
			tags[s] = *contentCreateTag(t, db, s)
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				item := contentCreateItem(t, db, fmt.Sprintf("item-%d", i), func(c *models.ContentItem) {
					c.Summary, c.CoverURL, c.TopicID, c.SEOTitle, c.SEODescription, c.ReadingMinutes = "Кратко", ptr("https://x.example.org/1.png"), &other.ID, "seo", "desc", ptr(9)
					contentMust(t, c.SetTags([]models.Tag{tags["a"], tags["b"]}, contentCreated))
				})
				want := *item
				tt.want(&want, tags, topic)
				want.Version = item.Version + 1

				var seen []string
				err := items.Update(ctx, item.ID, func(c *models.ContentItem) error {
					if err := tt.change(c, tags, topic); err != nil {
						return err
					}
					for _, e := range c.Events() {
						seen = append(seen, e.EventName())
					}
					return nil
				})
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				if !slices.Equal(seen, tt.events) {
					t.Errorf("events = %v, want %v", seen, tt.events)
				}
				got, err := items.ByID(ctx, item.ID)
				contentMust(t, err)
				contentAssertItem(t, got, &want)
				if n := count(t, db, "content_item_tags", "content_item_id = ?", item.ID); n != int64(len(want.Tags)) {
					t.Errorf("%d tag links, want %d", n, len(want.Tags))
				}
			})
		}
	})
}

func TestContentItemsUpdateRollsBack(t *testing.T) {
	t.Parallel()
	t1 := contentCreated.Add(time.Hour)
	errBoom := errors.New("boom")
	tests := []struct {
		name   string
		change func(c *models.ContentItem, other *models.ContentItem) error
		check  func(t *testing.T, err error)
	}{
		{
			name: "callback error",
			change: func(c *models.ContentItem, _ *models.ContentItem) error {
				_ = c.SetTags(nil, t1)
				_ = c.Publish(t1)
				return errBoom
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, errBoom) {
					t.Errorf("err = %v, want the callback's", err)
				}
			},
		},
		{
			name: "slug taken by another item",
			change: func(c *models.ContentItem, other *models.ContentItem) error {
				f := models.ContentFields{Type: c.Type, Slug: other.Slug, Title: "X", BodyMarkdown: "Y"}
				return c.Edit(f, t1)
			},
			check: func(t *testing.T, err error) { assertConstraint(t, err, models.ErrConflict, "") },
		},
		{
			name: "unknown tag after the item was written",
			change: func(c *models.ContentItem, _ *models.ContentItem) error {
				_ = c.Publish(t1)
				return c.SetTags([]models.Tag{{ID: models.NewID(), Slug: "ghost"}}, t1)
			},
			check: func(t *testing.T, err error) { assertConstraint(t, err, models.ErrInvalidReference, "") },
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		tag := contentCreateTag(t, db, "kept")
		other := contentCreateItem(t, db, "other", nil)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				item := contentCreateItem(t, db, fmt.Sprintf("item-%d", i), func(c *models.ContentItem) {
					contentMust(t, c.SetTags([]models.Tag{*tag}, contentCreated))
				})
				tt.check(t, items.Update(ctx, item.ID, func(c *models.ContentItem) error { return tt.change(c, other) }))
				got, err := items.ByID(ctx, item.ID)
				contentMust(t, err)
				contentAssertItem(t, got, item)
			})
		}
	})
}

func TestContentItemsOptimisticLocking(t *testing.T) {
	t.Parallel()
	t1 := contentCreated.Add(time.Hour)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewContentItems(db)
		tag := contentCreateTag(t, db, "sleep")
		item := contentCreateItem(t, db, "shared", nil)

		// Two editors open the same item.
		first, err := items.ByID(ctx, item.ID)
		contentMust(t, err)
		second, err := items.ByID(ctx, item.ID)
		contentMust(t, err)

		f := models.ContentFields{Type: first.Type, Slug: first.Slug, Title: "Первый", BodyMarkdown: first.BodyMarkdown}
		contentMust(t, first.Edit(f, t1))
		contentMust(t, first.SetTags([]models.Tag{*tag}, t1))
		contentMust(t, items.Save(ctx, first))
		if first.Version != 2 {
			t.Errorf("version after save = %d, want 2", first.Version)
		}

		f.Title = "Второй"
		contentMust(t, second.Edit(f, t1.Add(time.Minute)))
		err = items.Save(ctx, second)
		assertConstraint(t, err, models.ErrConflict, "version")
		if second.Version != 1 {
			t.Errorf("losing save moved the version to %d, want 1", second.Version)
		}

		got, err := items.ByID(ctx, item.ID)
		contentMust(t, err)
		contentAssertItem(t, got, first)

		// Reloaded, the second editor can save.
		second, err = items.ByID(ctx, item.ID)
		contentMust(t, err)
		contentMust(t, second.Edit(f, t1.Add(time.Minute)))
		contentMust(t, items.Save(ctx, second))
		got, err = items.ByID(ctx, item.ID)
		contentMust(t, err)
		contentAssertItem(t, got, second)
		if got.Version != 3 || len(got.Tags) != 1 {
			t.Errorf("version %d tags %+v, want 3 and the first editor's tag", got.Version, got.Tags)
		}
	})
}

// The schema refuses what the model refuses, should anything write around the model.
func TestContentSchemaChecks(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		insert := func(id uuid.UUID, typ, slug, status string, publishedAt *time.Time, title, body string, videoURL *string, seoDescription string, readingMinutes *int) error {
			return db.Gorm.Exec(`INSERT INTO content_items (id, type, slug, title, body_markdown, video_url, status, published_at,
				seo_description, reading_minutes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, typ, slug, title, body, videoURL, status, publishedAt, seoDescription, readingMinutes, contentCreated, contentCreated).Error
		}
		now := contentCreated
		tests := []struct {
			name string
			run  func(id uuid.UUID) error
			ok   bool
		}{
			{"valid published article", func(id uuid.UUID) error {
				return insert(id, "article", "ok-"+id.String()[:8], "published", &now, "T", "B", nil, "", nil)
			}, true},
			{"unknown type", func(id uuid.UUID) error { return insert(id, "podcast", "x1", "draft", nil, "", "", nil, "", nil) }, false},
			{"unknown status", func(id uuid.UUID) error { return insert(id, "article", "x2", "hidden", nil, "", "", nil, "", nil) }, false},
			{"upper-case slug", func(id uuid.UUID) error { return insert(id, "article", "Abc", "draft", nil, "", "", nil, "", nil) }, false},
			{"slug with double dash", func(id uuid.UUID) error { return insert(id, "article", "a--b", "draft", nil, "", "", nil, "", nil) }, false},
			{"slug with trailing dash", func(id uuid.UUID) error { return insert(id, "article", "ab-", "draft", nil, "", "", nil, "", nil) }, false},
			{"slug too long", func(id uuid.UUID) error {
				return insert(id, "article", strings.Repeat("a", 101), "draft", nil, "", "", nil, "", nil)
			}, false},
			{"published without body", func(id uuid.UUID) error { return insert(id, "article", "x3", "published", &now, "T", "", nil, "", nil) }, false},
			{"published without date", func(id uuid.UUID) error { return insert(id, "article", "x4", "published", nil, "T", "B", nil, "", nil) }, false},
			{"published video without URL", func(id uuid.UUID) error { return insert(id, "video", "x5", "published", &now, "T", "B", nil, "", nil) }, false},
			{"SEO description of 161", func(id uuid.UUID) error {
				return insert(id, "article", "x6", "draft", nil, "", "", nil, strings.Repeat("ю", 161), nil)
			}, false},
			{"zero reading minutes", func(id uuid.UUID) error { return insert(id, "article", "x7", "draft", nil, "", "", nil, "", ptr(0)) }, false},
			{"topic with bad code", func(id uuid.UUID) error {
				return db.Gorm.Exec(`INSERT INTO topics (id, code, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, id, "Bad Code", "T", now, now).Error
			}, false},
			{"tag without title", func(id uuid.UUID) error {
				return db.Gorm.Exec(`INSERT INTO tags (id, slug, title, created_at) VALUES (?, ?, ?, ?)`, id, "fine", "", now).Error
			}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.run(models.NewID())
				if (err == nil) != tt.ok {
					t.Errorf("err = %v, want ok=%v", err, tt.ok)
				}
			})
		}
	})
}

// Every content store method reports a failing database as an error with context.
func TestContentStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		topics, tags, items := repository.NewTopics(db), repository.NewTags(db), repository.NewContentItems(db)
		topic := contentCreateTopic(t, db, "t", 1)
		item := contentCreateItem(t, db, "i", nil)
		contentMust(t, db.Close())

		tests := []struct {
			name    string
			call    func() error
			context string // expected in the message; "" when the failure is at BEGIN
		}{
			{"Topics.Create", func() error { tp, _ := models.NewTopic("x", "X", "", 0, contentCreated); return topics.Create(ctx, tp) }, "create topic"},
			{"Topics.ByID", func() error { _, err := topics.ByID(ctx, topic.ID); return err }, "topic " + topic.ID.String()},
			{"Topics.ByCode", func() error { _, err := topics.ByCode(ctx, "t"); return err }, "topic t"},
			{"Topics.List", func() error { _, err := topics.List(ctx); return err }, "list topics"},
			{"Topics.Update", func() error { return topics.Update(ctx, topic.ID, func(*models.Topic) error { return nil }) }, ""},
			{"Topics.Delete", func() error { return topics.Delete(ctx, topic.ID) }, "delete topic"},
			{"Tags.Create", func() error { tg, _ := models.NewTag("x", "X", contentCreated); return tags.Create(ctx, tg) }, "create tag"},
			{"Tags.BySlug", func() error { _, err := tags.BySlug(ctx, "x"); return err }, "tag x"},
			{"Tags.List", func() error { _, err := tags.List(ctx); return err }, "list tags"},
			{"Tags.Delete", func() error { return tags.Delete(ctx, topic.ID) }, "delete tag"},
			{"ContentItems.Create", func() error { return items.Create(ctx, contentNewItem(t, "new")) }, ""},
			{"ContentItems.ByID", func() error { _, err := items.ByID(ctx, item.ID); return err }, "content item"},
			{"ContentItems.BySlug", func() error { _, err := items.BySlug(ctx, "i"); return err }, "content item i"},
			{"ContentItems.PublishedBySlug", func() error { _, err := items.PublishedBySlug(ctx, "i"); return err }, "published content item i"},
			{"ContentItems.ListPublished", func() error {
				_, err := items.ListPublished(ctx, repository.ContentFilter{}, repository.Page{})
				return err
			}, "list published content"},
			{"ContentItems.List", func() error { _, err := items.List(ctx, repository.ContentFilter{}, repository.Page{}); return err }, "list content"},
			{"ContentItems.Update", func() error { return items.Update(ctx, item.ID, func(*models.ContentItem) error { return nil }) }, ""},
			{"ContentItems.Save", func() error { return items.Save(ctx, item) }, ""},
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
