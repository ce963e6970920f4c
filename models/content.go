package models

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Content: the practice's public library — articles, videos and exercises grouped by topic and
// tagged — edited in the admin panel and read on the site.

// Limits of the content fields.
const (
	ContentSlugMaxLen           = 100
	ContentTitleMaxLen          = 200
	ContentSEODescriptionMaxLen = 160
)

// contentSlugPattern: lower-case latin letters and digits in groups joined by single dashes.
var contentSlugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// contentCheckSlug validates a URL slug (also used for topic codes and tag slugs).
func contentCheckSlug(field, s string) error {
	switch {
	case s == "":
		return &ValidationError{Field: field, Message: "is required"}
	case len(s) > ContentSlugMaxLen:
		return &ValidationError{Field: field, Message: fmt.Sprintf("must be at most %d characters", ContentSlugMaxLen)}
	case !contentSlugPattern.MatchString(s):
		return &ValidationError{Field: field, Message: "may contain only a-z, 0-9 and single dashes between them"}
	}
	return nil
}

// contentCheckText validates a free-text field by length in characters; required fields may not
// be blank.
func contentCheckText(field, s string, maxLen int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return &ValidationError{Field: field, Message: "is required"}
	}
	if utf8.RuneCountInString(s) > maxLen {
		return &ValidationError{Field: field, Message: fmt.Sprintf("must be at most %d characters", maxLen)}
	}
	return nil
}

// contentNormalizeURL trims an optional absolute http(s) URL; blank means none.
func contentNormalizeURL(field string, s *string) (*string, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	v := strings.TrimSpace(*s)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &ValidationError{Field: field, Message: "must be an absolute http(s) URL"}
	}
	return &v, nil
}

// Topic groups content by theme ("anxiety", "relationships"). Its code appears in URLs and is
// referenced by interactive definitions, so it never changes.
type Topic struct {
	ID          uuid.UUID `gorm:"primaryKey"`
	Code        string    `gorm:"uniqueIndex:topics_code_key"`
	Title       string
	Description string
	SortOrder   int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewTopic validates and creates a topic.
func NewTopic(code, title, description string, sortOrder int, now time.Time) (*Topic, error) {
	if err := contentCheckSlug("code", code); err != nil {
		return nil, err
	}
	if err := contentCheckText("title", title, ContentTitleMaxLen, true); err != nil {
		return nil, err
	}
	return &Topic{
		ID: NewID(), Code: code, Title: title, Description: description, SortOrder: sortOrder,
		CreatedAt: now, UpdatedAt: now,
	}, nil
}

// Edit changes the topic's title, description and place in the list.
func (t *Topic) Edit(title, description string, sortOrder int, now time.Time) error {
	if err := contentCheckText("title", title, ContentTitleMaxLen, true); err != nil {
		return err
	}
	t.Title, t.Description, t.SortOrder, t.UpdatedAt = title, description, sortOrder, now
	return nil
}

// Tag labels content across topics.
type Tag struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	Slug      string    `gorm:"uniqueIndex:tags_slug_key"`
	Title     string
	CreatedAt time.Time
}

// NewTag validates and creates a tag.
func NewTag(slug, title string, now time.Time) (*Tag, error) {
	if err := contentCheckSlug("slug", slug); err != nil {
		return nil, err
	}
	if err := contentCheckText("title", title, ContentTitleMaxLen, true); err != nil {
		return nil, err
	}
	return &Tag{ID: NewID(), Slug: slug, Title: title, CreatedAt: now}, nil
}

// Edit renames the tag; its slug, which appears in URLs, stays.
func (t *Tag) Edit(title string) error {
	if err := contentCheckText("title", title, ContentTitleMaxLen, true); err != nil {
		return err
	}
	t.Title = title
	return nil
}

// ContentType is the kind of a content item.
type ContentType string

// Content types.
const (
	ContentTypeArticle  ContentType = "article"
	ContentTypeVideo    ContentType = "video"
	ContentTypeExercise ContentType = "exercise"
)

// ParseContentType validates a content type name.
func ParseContentType(s string) (ContentType, error) {
	switch t := ContentType(s); t {
	case ContentTypeArticle, ContentTypeVideo, ContentTypeExercise:
		return t, nil
	}
	return "", &ValidationError{Field: "type", Message: fmt.Sprintf("must be article, video or exercise; got %q", s)}
}

// ContentFields are the editable fields of a content item, as an editor submits them.
type ContentFields struct {
	Type           ContentType
	Slug           string
	Title          string
	Summary        string
	BodyMarkdown   string
	CoverURL       *string
	VideoURL       *string
	TopicID        *uuid.UUID
	SEOTitle       string
	SEODescription string
	ReadingMinutes *int
}

// validate checks the format of every field and returns them normalized. Completeness (title,
// body, video URL) is only required to publish, so that drafts can be saved half-written.
func (f ContentFields) validate() (ContentFields, error) {
	if _, err := ParseContentType(string(f.Type)); err != nil {
		return f, err
	}
	if err := contentCheckSlug("slug", f.Slug); err != nil {
		return f, err
	}
	if err := contentCheckText("title", f.Title, ContentTitleMaxLen, false); err != nil {
		return f, err
	}
	if err := contentCheckText("seo_title", f.SEOTitle, ContentTitleMaxLen, false); err != nil {
		return f, err
	}
	if err := contentCheckText("seo_description", f.SEODescription, ContentSEODescriptionMaxLen, false); err != nil {
		return f, err
	}
	var err error
	if f.CoverURL, err = contentNormalizeURL("cover_url", f.CoverURL); err != nil {
		return f, err
	}
	if f.VideoURL, err = contentNormalizeURL("video_url", f.VideoURL); err != nil {
		return f, err
	}
	if f.TopicID != nil && *f.TopicID == uuid.Nil {
		return f, &ValidationError{Field: "topic_id", Message: "must be a topic id"}
	}
	if f.ReadingMinutes != nil && *f.ReadingMinutes <= 0 {
		return f, &ValidationError{Field: "reading_minutes", Message: "must be positive"}
	}
	return f, nil
}

// publishable reports what a published item must have.
func (f ContentFields) publishable() error {
	if strings.TrimSpace(f.Title) == "" {
		return &ValidationError{Field: "title", Message: "is required to publish"}
	}
	if strings.TrimSpace(f.BodyMarkdown) == "" {
		return &ValidationError{Field: "body_markdown", Message: "is required to publish"}
	}
	if f.Type == ContentTypeVideo && f.VideoURL == nil {
		return &ValidationError{Field: "video_url", Message: "is required to publish a video"}
	}
	return nil
}

// ContentItem is an article, video or exercise of the public library.
type ContentItem struct {
	ID           uuid.UUID   `gorm:"primaryKey;index:content_items_published_idx,priority:2,where:status = 'published'"`
	Type         ContentType `gorm:"column:type"`
	Slug         string      `gorm:"uniqueIndex:content_items_slug_key"`
	Title        string
	Summary      string
	BodyMarkdown string
	CoverURL     *string    `gorm:"column:cover_url"`
	VideoURL     *string    `gorm:"column:video_url"`
	TopicID      *uuid.UUID `gorm:"index:content_items_topic_idx"`
	// Publication's published_at leads content_items_published_idx (newest first); the index is
	// declared on ID because the shared Publication carries no tags.
	Publication    `gorm:"embedded"`
	SEOTitle       string `gorm:"column:seo_title"`
	SEODescription string `gorm:"column:seo_description"`
	ReadingMinutes *int
	// PublishAt, set only on a draft, is when the scheduled publication job publishes it.
	PublishAt *time.Time `gorm:"index:content_items_publish_at_idx,where:publish_at IS NOT NULL"`
	// Version guards against two editors overwriting each other's changes.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time

	Topic *Topic `gorm:"foreignKey:TopicID"`
	Tags  []Tag  `gorm:"many2many:content_item_tags"`

	Recorder `gorm:"-"`
}

// ContentItemTag links a content item to a tag (the many2many join table).
type ContentItemTag struct {
	ContentItemID uuid.UUID `gorm:"primaryKey"`
	TagID         uuid.UUID `gorm:"primaryKey;index:content_item_tags_tag_idx"`
}

// NewContentItem creates a draft from validated fields.
func NewContentItem(f ContentFields, now time.Time) (*ContentItem, error) {
	f, err := f.validate()
	if err != nil {
		return nil, err
	}
	c := &ContentItem{
		ID:          NewID(),
		Publication: Publication{Status: PublicationDraft},
		Version:     1,
		CreatedAt:   now,
	}
	c.apply(f, now)
	return c, nil
}

func (c *ContentItem) fields() ContentFields {
	return ContentFields{
		Type: c.Type, Slug: c.Slug, Title: c.Title, Summary: c.Summary, BodyMarkdown: c.BodyMarkdown,
		CoverURL: c.CoverURL, VideoURL: c.VideoURL, TopicID: c.TopicID,
		SEOTitle: c.SEOTitle, SEODescription: c.SEODescription, ReadingMinutes: c.ReadingMinutes,
	}
}

func (c *ContentItem) apply(f ContentFields, now time.Time) {
	c.Type, c.Slug, c.Title, c.Summary, c.BodyMarkdown = f.Type, f.Slug, f.Title, f.Summary, f.BodyMarkdown
	c.CoverURL, c.VideoURL, c.TopicID = f.CoverURL, f.VideoURL, f.TopicID
	c.SEOTitle, c.SEODescription, c.ReadingMinutes = f.SEOTitle, f.SEODescription, f.ReadingMinutes
	if c.Topic != nil && (f.TopicID == nil || *f.TopicID != c.Topic.ID) {
		c.Topic = nil // the loaded topic no longer describes TopicID
	}
	c.UpdatedAt = now
}

// Edit replaces the editable fields. A published item must stay publishable.
func (c *ContentItem) Edit(f ContentFields, now time.Time) error {
	f, err := f.validate()
	if err != nil {
		return err
	}
	if c.IsPublished() || c.PublishAt != nil {
		if err := f.publishable(); err != nil {
			return err
		}
	}
	c.apply(f, now)
	return nil
}

// SchedulePublication sets when a draft is to be published (nil: not scheduled). The time must
// be ahead, and the draft complete enough to publish then, so that the job does not find it
// unpublishable; Edit keeps a scheduled draft publishable.
func (c *ContentItem) SchedulePublication(at *time.Time, now time.Time) error {
	if at == nil {
		c.PublishAt, c.UpdatedAt = nil, now
		return nil
	}
	if c.Status != PublicationDraft {
		return &ValidationError{Field: "publish_at", Message: "only a draft can be scheduled for publication"}
	}
	if !at.After(now) {
		return &ValidationError{Field: "publish_at", Message: "must be in the future"}
	}
	if err := c.fields().publishable(); err != nil {
		return err
	}
	t := at.UTC()
	c.PublishAt, c.UpdatedAt = &t, now
	return nil
}

// PublicationDue reports whether the item is a draft whose scheduled publication time has come.
func (c *ContentItem) PublicationDue(now time.Time) bool {
	return c.Status == PublicationDraft && c.PublishAt != nil && !c.PublishAt.After(now)
}

// SetTags replaces the item's tag set; a tag listed twice counts once.
func (c *ContentItem) SetTags(tags []Tag, now time.Time) error {
	out := make([]Tag, 0, len(tags))
	for _, t := range tags {
		if t.ID == uuid.Nil {
			return &ValidationError{Field: "tags", Message: "must be saved tags"}
		}
		if !slices.ContainsFunc(out, func(o Tag) bool { return o.ID == t.ID }) {
			out = append(out, t)
		}
	}
	c.Tags = out
	c.UpdatedAt = now
	return nil
}

// TagIDs lists the ids of the item's tags.
func (c *ContentItem) TagIDs() []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(c.Tags))
	for _, t := range c.Tags {
		ids = append(ids, t.ID)
	}
	return ids
}

// Publish makes a complete item public: it needs a title and a body, and a video URL for a video.
func (c *ContentItem) Publish(now time.Time) error {
	if err := c.fields().publishable(); err != nil {
		return err
	}
	if err := c.Publication.publish(now); err != nil {
		return fmt.Errorf("publish content %s: %w", c.Slug, err)
	}
	c.PublishAt, c.UpdatedAt = nil, now
	c.Record(ContentPublished{EventMeta: NewEventMeta(c.ID, now), ContentItemID: c.ID, Type: c.Type})
	return nil
}

// Unpublish takes the item back to draft for revision.
func (c *ContentItem) Unpublish(now time.Time) error {
	if err := c.Publication.unpublish(now); err != nil {
		return fmt.Errorf("unpublish content %s: %w", c.Slug, err)
	}
	c.UpdatedAt = now
	return nil
}

// Archive hides the item from the site.
func (c *ContentItem) Archive(now time.Time) error {
	if err := c.Publication.archive(now); err != nil {
		return fmt.Errorf("archive content %s: %w", c.Slug, err)
	}
	c.PublishAt, c.UpdatedAt = nil, now
	c.Record(ContentArchived{EventMeta: NewEventMeta(c.ID, now), ContentItemID: c.ID, Type: c.Type})
	return nil
}

// ContentPublished: a content item became visible on the site.
type ContentPublished struct {
	EventMeta
	ContentItemID uuid.UUID   `json:"content_item_id"`
	Type          ContentType `json:"type"`
}

// EventName implements Event.
func (ContentPublished) EventName() string { return "content.published" }

// ContentArchived: a content item was hidden from the site.
type ContentArchived struct {
	EventMeta
	ContentItemID uuid.UUID   `json:"content_item_id"`
	Type          ContentType `json:"type"`
}

// EventName implements Event.
func (ContentArchived) EventName() string { return "content.archived" }
