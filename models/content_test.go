package models_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// contentT0 is the moment content tests stand at.
var contentT0 = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

func contentPtr[T any](v T) *T { return &v }

// contentFields returns complete, valid fields of an article.
func contentFields() models.ContentFields {
	return models.ContentFields{
		Type:           models.ContentTypeArticle,
		Slug:           "how-to-sleep-2",
		Title:          "Как наладить сон",
		Summary:        "Коротко о сне",
		BodyMarkdown:   "# Сон\n\nТекст.",
		CoverURL:       contentPtr("https://cdn.example.org/sleep.jpg"),
		SEOTitle:       "Сон",
		SEODescription: "О сне",
		ReadingMinutes: contentPtr(5),
	}
}

func newContentDraft(t *testing.T, f models.ContentFields) *models.ContentItem {
	t.Helper()
	c, err := models.NewContentItem(f, contentT0)
	if err != nil {
		t.Fatalf("NewContentItem: %v", err)
	}
	return c
}

// contentAssertValidation fails unless err is a *models.ValidationError naming field.
func contentAssertValidation(t *testing.T, err error, field string) {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v (%T), want a *models.ValidationError", err, err)
	}
	if ve.Field != field {
		t.Errorf("field = %q (%v), want %q", ve.Field, err, field)
	}
}

func TestParseContentType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want models.ContentType
		ok   bool
	}{
		{"article", models.ContentTypeArticle, true},
		{"video", models.ContentTypeVideo, true},
		{"exercise", models.ContentTypeExercise, true},
		{"Article", "", false},
		{"", "", false},
		{"podcast", "", false},
	} {
		got, err := models.ParseContentType(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("ParseContentType(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		contentAssertValidation(t, err, "type")
	}
}

func TestNewTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		code, title  string
		invalidField string
	}{
		{"valid", "anxiety", "Тревога", ""},
		{"digits and dashes", "burn-out-2", "Выгорание", ""},
		{"longest code", strings.Repeat("a", 100), "T", ""},
		{"empty code", "", "T", "code"},
		{"upper case code", "Anxiety", "T", "code"},
		{"code with space", "an xiety", "T", "code"},
		{"code with underscore", "an_xiety", "T", "code"},
		{"leading dash", "-anxiety", "T", "code"},
		{"trailing dash", "anxiety-", "T", "code"},
		{"double dash", "an--xiety", "T", "code"},
		{"cyrillic code", "тревога", "T", "code"},
		{"code too long", strings.Repeat("a", 101), "T", "code"},
		{"blank title", "anxiety", "  ", "title"},
		{"title too long", "anxiety", strings.Repeat("я", 201), "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, err := models.NewTopic(tt.code, tt.title, "desc", 3, contentT0)
			if tt.invalidField != "" {
				contentAssertValidation(t, err, tt.invalidField)
				if topic != nil {
					t.Errorf("topic = %+v, want nil", topic)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewTopic: %v", err)
			}
			want := models.Topic{ID: topic.ID, Code: tt.code, Title: tt.title, Description: "desc", SortOrder: 3, CreatedAt: contentT0, UpdatedAt: contentT0}
			if !reflect.DeepEqual(*topic, want) {
				t.Errorf("topic = %+v, want %+v", *topic, want)
			}
			if topic.ID == uuid.Nil || topic.ID.Version() != 7 {
				t.Errorf("ID = %s, want a UUID v7", topic.ID)
			}
		})
	}
}

func TestTopicEdit(t *testing.T) {
	t.Parallel()
	t1 := contentT0.Add(time.Hour)
	topic, err := models.NewTopic("anxiety", "Тревога", "", 1, contentT0)
	if err != nil {
		t.Fatal(err)
	}
	before := *topic
	contentAssertValidation(t, topic.Edit("", "new", 2, t1), "title")
	if !reflect.DeepEqual(*topic, before) {
		t.Errorf("failed Edit changed the topic: %+v", *topic)
	}
	if err := topic.Edit("Тревожность", "Про тревогу", 2, t1); err != nil {
		t.Fatalf("Edit: %v", err)
	}
	want := before
	want.Title, want.Description, want.SortOrder, want.UpdatedAt = "Тревожность", "Про тревогу", 2, t1
	if !reflect.DeepEqual(*topic, want) {
		t.Errorf("topic = %+v, want %+v", *topic, want)
	}
}

func TestNewTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		slug, title  string
		invalidField string
	}{
		{"valid", "sleep", "Сон", ""},
		{"bad slug", "Sleep!", "Сон", "slug"},
		{"empty title", "sleep", "", "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag, err := models.NewTag(tt.slug, tt.title, contentT0)
			if tt.invalidField != "" {
				contentAssertValidation(t, err, tt.invalidField)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := models.Tag{ID: tag.ID, Slug: tt.slug, Title: tt.title, CreatedAt: contentT0}
			if !reflect.DeepEqual(*tag, want) || tag.ID == uuid.Nil {
				t.Errorf("tag = %+v, want %+v", *tag, want)
			}
		})
	}
}

func TestNewContentItem(t *testing.T) {
	t.Parallel()
	topicID := models.NewID()
	tests := []struct {
		name         string
		change       func(f *models.ContentFields)
		invalidField string
		check        func(t *testing.T, c *models.ContentItem)
	}{
		{name: "complete article"},
		{
			name:   "draft needs neither title nor body",
			change: func(f *models.ContentFields) { f.Title, f.BodyMarkdown, f.Summary = "", "", "" },
		},
		{
			name: "video without URL yet",
			change: func(f *models.ContentFields) {
				f.Type = models.ContentTypeVideo
				f.VideoURL = nil
			},
		},
		{
			name: "blank URLs mean none, URLs are trimmed",
			change: func(f *models.ContentFields) {
				f.CoverURL, f.VideoURL = contentPtr("  "), contentPtr(" http://v.example.org/1 ")
			},
			check: func(t *testing.T, c *models.ContentItem) {
				if c.CoverURL != nil {
					t.Errorf("CoverURL = %q, want nil", *c.CoverURL)
				}
				if c.VideoURL == nil || *c.VideoURL != "http://v.example.org/1" {
					t.Errorf("VideoURL = %v, want the trimmed URL", c.VideoURL)
				}
			},
		},
		{
			name:   "topic and 160-character SEO description",
			change: func(f *models.ContentFields) { f.TopicID, f.SEODescription = &topicID, strings.Repeat("ж", 160) },
			check: func(t *testing.T, c *models.ContentItem) {
				if c.TopicID == nil || *c.TopicID != topicID {
					t.Errorf("TopicID = %v, want %s", c.TopicID, topicID)
				}
			},
		},
		{name: "unknown type", change: func(f *models.ContentFields) { f.Type = "podcast" }, invalidField: "type"},
		{name: "empty slug", change: func(f *models.ContentFields) { f.Slug = "" }, invalidField: "slug"},
		{name: "slug with upper case", change: func(f *models.ContentFields) { f.Slug = "Sleep" }, invalidField: "slug"},
		{name: "slug with double dash", change: func(f *models.ContentFields) { f.Slug = "a--b" }, invalidField: "slug"},
		{name: "slug of 101", change: func(f *models.ContentFields) { f.Slug = strings.Repeat("a", 101) }, invalidField: "slug"},
		{name: "title too long", change: func(f *models.ContentFields) { f.Title = strings.Repeat("a", 201) }, invalidField: "title"},
		{name: "seo title too long", change: func(f *models.ContentFields) { f.SEOTitle = strings.Repeat("a", 201) }, invalidField: "seo_title"},
		{name: "seo description of 161", change: func(f *models.ContentFields) { f.SEODescription = strings.Repeat("ж", 161) }, invalidField: "seo_description"},
		{name: "relative cover URL", change: func(f *models.ContentFields) { f.CoverURL = contentPtr("/img/a.jpg") }, invalidField: "cover_url"},
		{name: "unparseable cover URL", change: func(f *models.ContentFields) { f.CoverURL = contentPtr("http://[::1") }, invalidField: "cover_url"},
		{name: "ftp video URL", change: func(f *models.ContentFields) { f.VideoURL = contentPtr("ftp://v.example.org/a") }, invalidField: "video_url"},
		{name: "nil topic id", change: func(f *models.ContentFields) { f.TopicID = &uuid.UUID{} }, invalidField: "topic_id"},
		{name: "zero reading minutes", change: func(f *models.ContentFields) { f.ReadingMinutes = contentPtr(0) }, invalidField: "reading_minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := contentFields()
			if tt.change != nil {
				tt.change(&f)
			}
			c, err := models.NewContentItem(f, contentT0)
			if tt.invalidField != "" {
				contentAssertValidation(t, err, tt.invalidField)
				if c != nil {
					t.Errorf("item = %+v, want nil", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewContentItem: %v", err)
			}
			if c.ID.Version() != 7 || c.Status != models.PublicationDraft || c.PublishedAt != nil || c.Version != 1 ||
				!c.CreatedAt.Equal(contentT0) || !c.UpdatedAt.Equal(contentT0) || len(c.Events()) != 0 {
				t.Errorf("new item = %+v", c)
			}
			if c.Type != f.Type || c.Slug != f.Slug || c.Title != f.Title || c.Summary != f.Summary ||
				c.BodyMarkdown != f.BodyMarkdown || c.SEOTitle != f.SEOTitle || c.SEODescription != f.SEODescription ||
				!reflect.DeepEqual(c.ReadingMinutes, f.ReadingMinutes) {
				t.Errorf("item = %+v, want the fields %+v", c, f)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestContentItemEdit(t *testing.T) {
	t.Parallel()
	t1 := contentT0.Add(time.Hour)
	topicA, topicB := models.NewID(), models.NewID()
	tests := []struct {
		name         string
		publish      bool
		change       func(f *models.ContentFields)
		invalidField string
		check        func(t *testing.T, c *models.ContentItem)
	}{
		{
			name: "draft may become incomplete",
			change: func(f *models.ContentFields) {
				f.BodyMarkdown = ""
			},
			check: func(t *testing.T, c *models.ContentItem) {
				if c.BodyMarkdown != "" || !c.UpdatedAt.Equal(t1) || !c.CreatedAt.Equal(contentT0) {
					t.Errorf("item = %+v", c)
				}
			},
		},
		{
			name:    "published item edited",
			publish: true,
			change:  func(f *models.ContentFields) { f.Title, f.Slug, f.TopicID = "Новый", "new-slug", &topicB },
			check: func(t *testing.T, c *models.ContentItem) {
				if c.Title != "Новый" || c.Slug != "new-slug" || *c.TopicID != topicB || !c.IsPublished() {
					t.Errorf("item = %+v", c)
				}
				if c.Topic != nil {
					t.Errorf("Topic = %+v, want nil once TopicID changed", c.Topic)
				}
			},
		},
		{
			name:   "same topic keeps the loaded topic",
			change: func(f *models.ContentFields) { f.Title = "Другой" },
			check: func(t *testing.T, c *models.ContentItem) {
				if c.Topic == nil || c.Topic.ID != topicA {
					t.Errorf("Topic = %+v, want the loaded topic", c.Topic)
				}
			},
		},
		{name: "published item may not lose its body", publish: true, change: func(f *models.ContentFields) { f.BodyMarkdown = " " }, invalidField: "body_markdown"},
		{name: "published item may not lose its title", publish: true, change: func(f *models.ContentFields) { f.Title = "" }, invalidField: "title"},
		{
			name: "published video may not lose its URL", publish: true,
			change:       func(f *models.ContentFields) { f.Type = models.ContentTypeVideo; f.VideoURL = nil },
			invalidField: "video_url",
		},
		{name: "invalid slug", change: func(f *models.ContentFields) { f.Slug = "A B" }, invalidField: "slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := contentFields()
			f.TopicID = &topicA
			c := newContentDraft(t, f)
			c.Topic = &models.Topic{ID: topicA, Code: "a", Title: "A"}
			if tt.publish {
				if err := c.Publish(contentT0); err != nil {
					t.Fatal(err)
				}
			}
			before := *c
			tt.change(&f)
			err := c.Edit(f, t1)
			if tt.invalidField != "" {
				contentAssertValidation(t, err, tt.invalidField)
				if !reflect.DeepEqual(*c, before) {
					t.Errorf("failed Edit changed the item:\n got %+v\nwant %+v", *c, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if len(c.Events()) != len(before.Events()) {
				t.Errorf("Edit recorded events: %v", c.Events())
			}
			tt.check(t, c)
		})
	}
}

func TestContentItemSetTags(t *testing.T) {
	t.Parallel()
	t1 := contentT0.Add(time.Hour)
	a, b := models.Tag{ID: models.NewID(), Slug: "a"}, models.Tag{ID: models.NewID(), Slug: "b"}
	c := newContentDraft(t, contentFields())
	if err := c.SetTags([]models.Tag{a, b, a}, t1); err != nil {
		t.Fatalf("SetTags: %v", err)
	}
	if got := c.TagIDs(); !reflect.DeepEqual(got, []uuid.UUID{a.ID, b.ID}) {
		t.Errorf("TagIDs = %v, want [a b] once each", got)
	}
	if !c.UpdatedAt.Equal(t1) {
		t.Errorf("UpdatedAt = %v, want %v", c.UpdatedAt, t1)
	}

	before := *c
	contentAssertValidation(t, c.SetTags([]models.Tag{a, {Slug: "unsaved"}}, t1.Add(time.Hour)), "tags")
	if !reflect.DeepEqual(*c, before) {
		t.Errorf("failed SetTags changed the item: %+v", *c)
	}

	if err := c.SetTags(nil, t1); err != nil || len(c.TagIDs()) != 0 {
		t.Errorf("SetTags(nil) = %v, tags %v; want none", err, c.TagIDs())
	}
}

// contentAction is one publication change of a content item.
type contentAction struct {
	name string
	do   func(c *models.ContentItem, now time.Time) error
}

var (
	contentPublish   = contentAction{"publish", (*models.ContentItem).Publish}
	contentUnpublish = contentAction{"unpublish", (*models.ContentItem).Unpublish}
	contentArchive   = contentAction{"archive", (*models.ContentItem).Archive}
)

func TestContentItemTransitions(t *testing.T) {
	t.Parallel()
	t1 := contentT0.Add(time.Hour)
	t2 := contentT0.Add(2 * time.Hour)
	tests := []struct {
		name    string
		history []contentAction // applied at t1 before the action
		action  contentAction
		want    models.PublicationStatus // "" when the action must fail with ErrInvalidTransition
		event   string                   // event the action records, if any
		// published is when the item must count as first published.
		published *time.Time
	}{
		{"publish draft", nil, contentPublish, models.PublicationPublished, "content.published", &t2},
		{"archive draft", nil, contentArchive, models.PublicationArchived, "content.archived", nil},
		{"unpublish draft", nil, contentUnpublish, "", "", nil},
		{"publish published", []contentAction{contentPublish}, contentPublish, "", "", &t1},
		{"unpublish published", []contentAction{contentPublish}, contentUnpublish, models.PublicationDraft, "", &t1},
		{"archive published", []contentAction{contentPublish}, contentArchive, models.PublicationArchived, "content.archived", &t1},
		{"publish archived", []contentAction{contentArchive}, contentPublish, "", "", nil},
		{"archive archived", []contentAction{contentArchive}, contentArchive, "", "", nil},
		{"unpublish archived", []contentAction{contentArchive}, contentUnpublish, models.PublicationDraft, "", nil},
		{"republish keeps first publication", []contentAction{contentPublish, contentUnpublish}, contentPublish, models.PublicationPublished, "content.published", &t1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newContentDraft(t, contentFields())
			for _, h := range tt.history {
				if err := h.do(c, t1); err != nil {
					t.Fatalf("%s: %v", h.name, err)
				}
			}
			c.ClearEvents()
			before := *c
			err := tt.action.do(c, t2)
			if tt.want == "" {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Fatalf("err = %v, want ErrInvalidTransition", err)
				}
				if !reflect.DeepEqual(*c, before) {
					t.Errorf("failed %s changed the item:\n got %+v\nwant %+v", tt.action.name, *c, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.action.name, err)
			}
			if c.Status != tt.want {
				t.Errorf("status = %q, want %q", c.Status, tt.want)
			}
			if !reflect.DeepEqual(c.PublishedAt, tt.published) {
				t.Errorf("PublishedAt = %v, want %v", c.PublishedAt, tt.published)
			}
			if !c.UpdatedAt.Equal(t2) {
				t.Errorf("UpdatedAt = %v, want %v", c.UpdatedAt, t2)
			}
			events := c.Events()
			if tt.event == "" {
				if len(events) != 0 {
					t.Errorf("events = %v, want none", events)
				}
				return
			}
			if len(events) != 1 || events[0].EventName() != tt.event {
				t.Fatalf("events = %v, want one %s", events, tt.event)
			}
			e := events[0]
			if e.AggregateID() != c.ID || !e.OccurredAt().Equal(t2) || e.EventID() == uuid.Nil {
				t.Errorf("event meta = %+v", e)
			}
			switch e := e.(type) {
			case models.ContentPublished:
				if e.ContentItemID != c.ID || e.Type != c.Type {
					t.Errorf("event = %+v", e)
				}
			case models.ContentArchived:
				if e.ContentItemID != c.ID || e.Type != c.Type {
					t.Errorf("event = %+v", e)
				}
			default:
				t.Errorf("event type %T", e)
			}
		})
	}
}

func TestContentItemPublishRequiresCompleteness(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(f *models.ContentFields)
		field  string
	}{
		{"no title", func(f *models.ContentFields) { f.Title = "" }, "title"},
		{"blank body", func(f *models.ContentFields) { f.BodyMarkdown = " \n" }, "body_markdown"},
		{"video without URL", func(f *models.ContentFields) { f.Type = models.ContentTypeVideo }, "video_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := contentFields()
			tt.change(&f)
			c := newContentDraft(t, f)
			before := *c
			contentAssertValidation(t, c.Publish(contentT0.Add(time.Hour)), tt.field)
			if !reflect.DeepEqual(*c, before) {
				t.Errorf("failed Publish changed the item: %+v", *c)
			}
		})
	}
	t.Run("video with URL", func(t *testing.T) {
		f := contentFields()
		f.Type, f.VideoURL = models.ContentTypeVideo, contentPtr("https://video.example.org/1")
		if err := newContentDraft(t, f).Publish(contentT0); err != nil {
			t.Errorf("Publish: %v", err)
		}
	})
}
