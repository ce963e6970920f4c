package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/content"
)

// contentItemWriter creates and edits articles, videos and exercises through models.ContentItem's
// rules: reading_minutes follows the body, tags are a list of tag ids, publish_at schedules a
// draft's publication. Only a draft is deleted; anything once public is archived instead.
type contentItemWriter struct{}

// contentFields overlays what the input sets on base.
func contentFields(in *Input, base models.ContentFields) models.ContentFields {
	f := base
	str := func(name string, dst *string) {
		if in.Has(name) {
			*dst = in.String(name)
		}
	}
	if in.Has("type") {
		f.Type = models.ContentType(in.String("type"))
	}
	str("slug", &f.Slug)
	str("title", &f.Title)
	str("summary", &f.Summary)
	str("body_markdown", &f.BodyMarkdown)
	str("seo_title", &f.SEOTitle)
	str("seo_description", &f.SEODescription)
	if in.Has("cover_url") {
		f.CoverURL = in.OptString("cover_url")
	}
	if in.Has("video_url") {
		f.VideoURL = in.OptString("video_url")
	}
	if in.Has("topic_id") {
		f.TopicID = in.OptID("topic_id")
	}
	if len(f.BodyMarkdown) > content.MaxMarkdownBytes {
		in.fail("body_markdown", fmt.Sprintf("не длиннее %d байт", content.MaxMarkdownBytes))
	}
	f.ReadingMinutes = nil
	if n := content.ReadingMinutes(f.BodyMarkdown); n > 0 {
		f.ReadingMinutes = &n
	}
	return f
}

// fieldsOf are an item's editable fields as stored.
func fieldsOf(c *models.ContentItem) models.ContentFields {
	return models.ContentFields{
		Type: c.Type, Slug: c.Slug, Title: c.Title, Summary: c.Summary, BodyMarkdown: c.BodyMarkdown,
		CoverURL: c.CoverURL, VideoURL: c.VideoURL, TopicID: c.TopicID,
		SEOTitle: c.SEOTitle, SEODescription: c.SEODescription, ReadingMinutes: c.ReadingMinutes,
	}
}

// setTags gives the item the tags tag_ids lists, when the body sets it; an unknown id is a field
// error.
func setTags(ctx context.Context, c *Call, item *models.ContentItem) error {
	if !c.In.Has("tag_ids") {
		return nil
	}
	ids := c.In.IDs("tag_ids")
	if err := c.In.Err(); err != nil {
		return err
	}
	tags, err := repository.NewTags(c.DB).ByIDs(ctx, ids)
	if err != nil {
		return err
	}
	if len(tags) != len(ids) {
		c.In.fail("tag_ids", "такого тега нет — обновите страницу")
		return c.In.Err()
	}
	return inRussian(item.SetTags(tags, c.Now))
}

func (contentItemWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in := c.In
	in.Require("type", "slug")
	f := contentFields(in, models.ContentFields{})
	at := in.OptTime("publish_at")
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	item, err := models.NewContentItem(f, c.Now)
	if err != nil {
		return uuid.Nil, inRussian(err)
	}
	if err := setTags(ctx, c, item); err != nil {
		return uuid.Nil, err
	}
	if err := item.SchedulePublication(at, c.Now); err != nil {
		return uuid.Nil, inRussian(err)
	}
	return item.ID, repository.NewContentItems(c.DB).Create(ctx, item)
}

func (contentItemWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	in := c.In
	return repository.NewContentItems(c.DB).Update(ctx, id, func(item *models.ContentItem) error {
		if err := in.CheckVersion(item.Version); err != nil {
			return err
		}
		var at *time.Time
		schedule := in.Has("publish_at")
		if schedule {
			at = in.OptTime("publish_at")
		}
		f := contentFields(in, fieldsOf(item))
		if err := in.Err(); err != nil {
			return err
		}
		if schedule && at == nil { // unscheduled first: the draft may then be left half-written
			if err := item.SchedulePublication(nil, c.Now); err != nil {
				return inRussian(err)
			}
		}
		if err := item.Edit(f, c.Now); err != nil {
			return inRussian(err)
		}
		if err := setTags(ctx, c, item); err != nil {
			return err
		}
		if schedule && at != nil && (item.PublishAt == nil || !item.PublishAt.Equal(*at)) {
			return inRussian(item.SchedulePublication(at, c.Now))
		}
		return nil
	})
}

func (contentItemWriter) Delete(ctx context.Context, c *Call, id uuid.UUID) error {
	items := repository.NewContentItems(c.DB)
	item, err := items.ByID(ctx, id)
	if err != nil {
		return err
	}
	if item.Status != models.PublicationDraft {
		return &Refusal{Message: "Удалить можно только черновик: этот материал уже публиковался — отправьте его в архив."}
	}
	return items.Delete(ctx, id)
}

// contentChange is a content item's publish, unpublish or archive action, refused when the
// record changed since it was shown (its version).
func contentChange(change func(*models.ContentItem, time.Time) error) func(context.Context, *Call, uuid.UUID) error {
	return func(ctx context.Context, c *Call, id uuid.UUID) error {
		return repository.NewContentItems(c.DB).Update(ctx, id, func(item *models.ContentItem) error {
			if err := c.In.CheckVersion(item.Version); err != nil {
				return err
			}
			return inRussian(change(item, c.Now))
		})
	}
}

// topicWriter creates and edits topics. A topic's code never changes (URLs and interactive tools
// name it); a topic is deleted only when nothing refers to it.
type topicWriter struct{}

func (topicWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in := c.In
	in.Require("code", "title")
	code, title, description, order := in.String("code"), in.String("title"), in.String("description"), in.Int("sort_order")
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	t, err := models.NewTopic(code, title, description, order, c.Now)
	if err != nil {
		return uuid.Nil, inRussian(err)
	}
	return t.ID, repository.NewTopics(c.DB).Create(ctx, t)
}

func (topicWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	in := c.In
	return repository.NewTopics(c.DB).Update(ctx, id, func(t *models.Topic) error {
		title, description, order := t.Title, t.Description, t.SortOrder
		if in.Has("code") && in.String("code") != t.Code {
			in.fail("code", "код темы не меняется: на него ссылаются адреса страниц и интерактивы")
		}
		if in.Has("title") {
			title = in.String("title")
		}
		if in.Has("description") {
			description = in.String("description")
		}
		if in.Has("sort_order") {
			order = in.Int("sort_order")
		}
		if err := in.Err(); err != nil {
			return err
		}
		return inRussian(t.Edit(title, description, order, c.Now))
	})
}

func (topicWriter) Delete(ctx context.Context, c *Call, id uuid.UUID) error {
	topics := repository.NewTopics(c.DB)
	t, err := topics.Lock(ctx, id)
	if err != nil {
		return err
	}
	items, err := repository.NewContentItems(c.DB).CountByTopic(ctx, id)
	if err != nil {
		return err
	}
	tools, err := repository.NewInteractiveDefinitions(c.DB).CountByTopicCode(ctx, t.Code)
	if err != nil {
		return err
	}
	if items > 0 || tools > 0 {
		return &Refusal{Message: fmt.Sprintf("Тему нельзя удалить: на неё ссылаются материалы (%d) и интерактивы (%d). Сначала перенесите их в другую тему.", items, tools)}
	}
	return topics.Delete(ctx, id)
}

// tagWriter creates and renames tags; a tag's slug never changes, and a tag is deleted only when
// no content carries it.
type tagWriter struct{}

func (tagWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	in := c.In
	in.Require("slug", "title")
	slug, title := in.String("slug"), in.String("title")
	if err := in.Err(); err != nil {
		return uuid.Nil, err
	}
	t, err := models.NewTag(slug, title, c.Now)
	if err != nil {
		return uuid.Nil, inRussian(err)
	}
	return t.ID, repository.NewTags(c.DB).Create(ctx, t)
}

func (tagWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	in := c.In
	return repository.NewTags(c.DB).Update(ctx, id, func(t *models.Tag) error {
		if in.Has("slug") && in.String("slug") != t.Slug {
			in.fail("slug", "адрес тега не меняется: на него ссылаются страницы сайта")
		}
		title := t.Title
		if in.Has("title") {
			title = in.String("title")
		}
		if err := in.Err(); err != nil {
			return err
		}
		return inRussian(t.Edit(title))
	})
}

func (tagWriter) Delete(ctx context.Context, c *Call, id uuid.UUID) error {
	tags := repository.NewTags(c.DB)
	if _, err := tags.Lock(ctx, id); err != nil {
		return err
	}
	n, err := repository.NewContentItems(c.DB).CountByTag(ctx, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return &Refusal{Message: fmt.Sprintf("Тег нельзя удалить: им отмечены материалы (%d). Сначала снимите его с них.", n)}
	}
	return tags.Delete(ctx, id)
}
