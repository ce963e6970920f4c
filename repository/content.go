package repository

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/migrations"
	"balance/models"
)

// contentModels are the persisted models of the content context.
var contentModels = []any{&models.Topic{}, &models.Tag{}, &models.ContentItem{}, &models.ContentItemTag{}}

// Topics stores content topics.
type Topics struct{ db *DB }

// NewTopics returns the topic store.
func NewTopics(db *DB) *Topics { return &Topics{db: db} }

// Create inserts a topic.
func (r *Topics) Create(ctx context.Context, t *models.Topic) error {
	if err := r.db.conn(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("create topic: %w", translate(err))
	}
	return nil
}

// ByID loads a topic.
func (r *Topics) ByID(ctx context.Context, id uuid.UUID) (*models.Topic, error) {
	var t models.Topic
	if err := r.db.conn(ctx).First(&t, "id = ?", id).Error; err != nil {
		return nil, notFound("topic", id, err)
	}
	return &t, nil
}

// ByCode loads the topic with this code.
func (r *Topics) ByCode(ctx context.Context, code string) (*models.Topic, error) {
	var t models.Topic
	if err := r.db.conn(ctx).First(&t, "code = ?", code).Error; err != nil {
		return nil, notFound("topic", code, err)
	}
	return &t, nil
}

// List returns every topic in the editors' order (sort_order, then code).
func (r *Topics) List(ctx context.Context) ([]models.Topic, error) {
	var out []models.Topic
	if err := r.db.conn(ctx).Order("sort_order, code").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list topics: %w", translate(err))
	}
	return out, nil
}

// Update loads the topic inside a transaction (locking its row on PostgreSQL), lets fn change it
// and saves it.
func (r *Topics) Update(ctx context.Context, id uuid.UUID, fn func(*models.Topic) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.db.conn(ctx), "topics")
		var t models.Topic
		if err := q.First(&t, "id = ?", id).Error; err != nil {
			return notFound("topic", id, err)
		}
		if err := fn(&t); err != nil {
			return err
		}
		// SkipHooks keeps the UpdatedAt fn set from the injected clock.
		if err := r.db.conn(ctx).Session(&gorm.Session{SkipHooks: true}).Save(&t).Error; err != nil {
			return fmt.Errorf("save topic %s: %w", id, translate(err))
		}
		return nil
	})
}

// Lock loads the topic inside the caller's transaction, locking its row on PostgreSQL until the
// transaction ends: a content item that would refer to it meanwhile waits (e.g. while the topic is
// checked for use and deleted).
func (r *Topics) Lock(ctx context.Context, id uuid.UUID) (*models.Topic, error) {
	var t models.Topic
	if err := forUpdate(r.db, r.db.conn(ctx), "topics").First(&t, "id = ?", id).Error; err != nil {
		return nil, notFound("topic", id, err)
	}
	return &t, nil
}

// Delete removes a topic; its content items stay, without a topic.
func (r *Topics) Delete(ctx context.Context, id uuid.UUID) error {
	res := r.db.conn(ctx).Delete(&models.Topic{}, "id = ?", id)
	if res.Error != nil {
		return fmt.Errorf("delete topic %s: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return notFound("topic", id, gorm.ErrRecordNotFound)
	}
	return nil
}

// Tags stores content tags.
type Tags struct{ db *DB }

// NewTags returns the tag store.
func NewTags(db *DB) *Tags { return &Tags{db: db} }

// Create inserts a tag.
func (r *Tags) Create(ctx context.Context, t *models.Tag) error {
	if err := r.db.conn(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("create tag: %w", translate(err))
	}
	return nil
}

// ByIDs loads the tags with these ids (those that exist), by slug.
func (r *Tags) ByIDs(ctx context.Context, ids []uuid.UUID) ([]models.Tag, error) {
	out := []models.Tag{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := r.db.conn(ctx).Where("id IN ?", ids).Order("slug").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("tags by id: %w", translate(err))
	}
	return out, nil
}

// Lock loads the tag inside the caller's transaction, locking its row on PostgreSQL until the
// transaction ends (see Topics.Lock).
func (r *Tags) Lock(ctx context.Context, id uuid.UUID) (*models.Tag, error) {
	var t models.Tag
	if err := forUpdate(r.db, r.db.conn(ctx), "tags").First(&t, "id = ?", id).Error; err != nil {
		return nil, notFound("tag", id, err)
	}
	return &t, nil
}

// Update loads the tag inside a transaction (locking its row on PostgreSQL), lets fn change it and
// saves it.
func (r *Tags) Update(ctx context.Context, id uuid.UUID, fn func(*models.Tag) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		t, err := r.Lock(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		if err := r.db.conn(ctx).Session(&gorm.Session{SkipHooks: true}).Save(t).Error; err != nil {
			return fmt.Errorf("save tag %s: %w", id, translate(err))
		}
		return nil
	})
}

// BySlug loads the tag with this slug.
func (r *Tags) BySlug(ctx context.Context, slug string) (*models.Tag, error) {
	var t models.Tag
	if err := r.db.conn(ctx).First(&t, "slug = ?", slug).Error; err != nil {
		return nil, notFound("tag", slug, err)
	}
	return &t, nil
}

// List returns every tag, by slug.
func (r *Tags) List(ctx context.Context) ([]models.Tag, error) {
	var out []models.Tag
	if err := r.db.conn(ctx).Order("slug").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list tags: %w", translate(err))
	}
	return out, nil
}

// Delete removes a tag and its links to content items.
func (r *Tags) Delete(ctx context.Context, id uuid.UUID) error {
	res := r.db.conn(ctx).Delete(&models.Tag{}, "id = ?", id)
	if res.Error != nil {
		return fmt.Errorf("delete tag %s: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return notFound("tag", id, gorm.ErrRecordNotFound)
	}
	return nil
}

// ContentFilter narrows a list of content items; zero fields do not filter.
type ContentFilter struct {
	TopicCode string
	TagSlug   string
	Type      models.ContentType
	// Status applies to List only: ListPublished always lists published items.
	Status models.PublicationStatus
}

// ContentItems stores content items with their tag sets.
type ContentItems struct{ db *DB }

// NewContentItems returns the content item store.
func NewContentItems(db *DB) *ContentItems { return &ContentItems{db: db} }

// Create inserts an item and links its tags (which must exist) in one transaction.
func (r *ContentItems) Create(ctx context.Context, item *models.ContentItem) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		if err := tx.Omit(clause.Associations).Create(item).Error; err != nil {
			return fmt.Errorf("create content item: %w", translate(err))
		}
		return contentLinkTags(tx, item.ID, item.TagIDs())
	})
}

// withAssociations loads the topic and the tags (by slug) with each item.
func (r *ContentItems) withAssociations(ctx context.Context) *gorm.DB {
	return r.db.conn(ctx).
		Preload("Topic").
		Preload("Tags", func(db *gorm.DB) *gorm.DB { return db.Order("tags.slug") })
}

// ByID loads an item in any status, with its topic and tags.
func (r *ContentItems) ByID(ctx context.Context, id uuid.UUID) (*models.ContentItem, error) {
	var item models.ContentItem
	if err := r.withAssociations(ctx).First(&item, "id = ?", id).Error; err != nil {
		return nil, notFound("content item", id, err)
	}
	return &item, nil
}

// BySlug loads the item with this slug in any status, with its topic and tags.
func (r *ContentItems) BySlug(ctx context.Context, slug string) (*models.ContentItem, error) {
	var item models.ContentItem
	if err := r.withAssociations(ctx).First(&item, "slug = ?", slug).Error; err != nil {
		return nil, notFound("content item", slug, err)
	}
	return &item, nil
}

// PublishedBySlug loads the item with this slug only if it is published: drafts and archived items
// are not found.
func (r *ContentItems) PublishedBySlug(ctx context.Context, slug string) (*models.ContentItem, error) {
	var item models.ContentItem
	err := r.withAssociations(ctx).First(&item, "slug = ? AND status = ?", slug, models.PublicationPublished).Error
	if err != nil {
		return nil, notFound("published content item", slug, err)
	}
	return &item, nil
}

func (r *ContentItems) filtered(ctx context.Context, f ContentFilter) *gorm.DB {
	q := r.withAssociations(ctx).Model(&models.ContentItem{})
	if f.Status != "" {
		q = q.Where("content_items.status = ?", f.Status)
	}
	if f.Type != "" {
		q = q.Where("content_items.type = ?", f.Type)
	}
	if f.TopicCode != "" {
		q = q.Where("content_items.topic_id IN (SELECT id FROM topics WHERE code = ?)", f.TopicCode)
	}
	if f.TagSlug != "" {
		q = q.Where(`EXISTS (SELECT 1 FROM content_item_tags JOIN tags ON tags.id = content_item_tags.tag_id
			WHERE content_item_tags.content_item_id = content_items.id AND tags.slug = ?)`, f.TagSlug)
	}
	return q
}

// ListPublished returns a page of published items matching f, newest publication first, each with
// its topic and tags (a constant number of queries).
func (r *ContentItems) ListPublished(ctx context.Context, f ContentFilter, page Page) ([]models.ContentItem, error) {
	f.Status = models.PublicationPublished
	var out []models.ContentItem
	q := r.filtered(ctx, f).Order("content_items.published_at DESC, content_items.id DESC")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list published content: %w", translate(err))
	}
	return out, nil
}

// List returns a page of items in any status matching f (for editors), most recently changed
// first, each with its topic and tags.
func (r *ContentItems) List(ctx context.Context, f ContentFilter, page Page) ([]models.ContentItem, error) {
	var out []models.ContentItem
	q := r.filtered(ctx, f).Order("content_items.updated_at DESC, content_items.id DESC")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list content: %w", translate(err))
	}
	return out, nil
}

// CountByTopic counts the items (in any status) of a topic.
func (r *ContentItems) CountByTopic(ctx context.Context, topicID uuid.UUID) (int64, error) {
	var n int64
	if err := r.db.conn(ctx).Model(&models.ContentItem{}).Where("topic_id = ?", topicID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count content of topic %s: %w", topicID, translate(err))
	}
	return n, nil
}

// CountByTag counts the items (in any status) that carry a tag.
func (r *ContentItems) CountByTag(ctx context.Context, tagID uuid.UUID) (int64, error) {
	var n int64
	if err := r.db.conn(ctx).Model(&models.ContentItemTag{}).Where("tag_id = ?", tagID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count content with tag %s: %w", tagID, translate(err))
	}
	return n, nil
}

// TagIDsOf returns the tag ids of each of the items (an item without tags is absent), in id order.
func (r *ContentItems) TagIDsOf(ctx context.Context, itemIDs []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	out := map[uuid.UUID][]uuid.UUID{}
	if len(itemIDs) == 0 {
		return out, nil
	}
	var links []models.ContentItemTag
	err := r.db.conn(ctx).Where("content_item_id IN ?", itemIDs).Order("content_item_id, tag_id").Find(&links).Error
	if err != nil {
		return nil, fmt.Errorf("tags of content items: %w", translate(err))
	}
	for _, l := range links {
		out[l.ContentItemID] = append(out[l.ContentItemID], l.TagID)
	}
	return out, nil
}

// DueForPublication returns the ids of up to limit drafts whose scheduled publication time is at
// or before now, earliest first.
func (r *ContentItems) DueForPublication(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.db.conn(ctx).Model(&models.ContentItem{}).
		Where("publish_at IS NOT NULL AND publish_at <= ? AND status = ?", now.UTC(), models.PublicationDraft).
		Order("publish_at, id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("content due for publication: %w", translate(err))
	}
	return ids, nil
}

// Delete removes an item and its tag links.
func (r *ContentItems) Delete(ctx context.Context, id uuid.UUID) error {
	res := r.db.conn(ctx).Delete(&models.ContentItem{}, "id = ?", id)
	if res.Error != nil {
		return fmt.Errorf("delete content item %s: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return notFound("content item", id, gorm.ErrRecordNotFound)
	}
	return nil
}

// Update loads the item inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods, and saves it with its tag set.
func (r *ContentItems) Update(ctx context.Context, id uuid.UUID, fn func(*models.ContentItem) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.withAssociations(ctx), "content_items")
		var item models.ContentItem
		if err := q.First(&item, "id = ?", id).Error; err != nil {
			return notFound("content item", id, err)
		}
		before := item.TagIDs()
		if err := fn(&item); err != nil {
			return err
		}
		return r.save(ctx, &item, before)
	})
}

// Save stores an item loaded earlier (e.g. shown to an editor) with its tag set, unless someone
// saved it since: then it returns ErrConflict and the stored item is unchanged.
func (r *ContentItems) Save(ctx context.Context, item *models.ContentItem) error {
	return r.db.InTx(ctx, func(ctx context.Context) error { return r.save(ctx, item, nil) })
}

// save writes item if its version is current and, when the tag set differs from before (nil:
// unknown), replaces the links.
func (r *ContentItems) save(ctx context.Context, item *models.ContentItem, before []uuid.UUID) error {
	tx := r.db.conn(ctx)
	if err := saveVersioned(tx, item, &item.Version); err != nil {
		return fmt.Errorf("save content item %s: %w", item.ID, err)
	}
	after := item.TagIDs()
	if before != nil && contentSameIDs(before, after) {
		return nil
	}
	if err := tx.Where("content_item_id = ?", item.ID).Delete(&models.ContentItemTag{}).Error; err != nil {
		return fmt.Errorf("unlink tags of content item %s: %w", item.ID, translate(err))
	}
	return contentLinkTags(tx, item.ID, after)
}

func contentLinkTags(tx *gorm.DB, itemID uuid.UUID, tagIDs []uuid.UUID) error {
	if len(tagIDs) == 0 {
		return nil
	}
	links := make([]models.ContentItemTag, 0, len(tagIDs))
	for _, id := range tagIDs {
		links = append(links, models.ContentItemTag{ContentItemID: itemID, TagID: id})
	}
	if err := tx.Create(&links).Error; err != nil {
		return fmt.Errorf("link tags to content item %s: %w", itemID, translate(err))
	}
	return nil
}

func contentSameIDs(a, b []uuid.UUID) bool {
	cmp := func(x, y uuid.UUID) int { return slices.Compare(x[:], y[:]) }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

// LibraryPosition is where a page of the public library resumes: just after the item published at
// PublishedAt with this ID (the library is ordered by both, newest first).
type LibraryPosition struct {
	PublishedAt time.Time
	ID          uuid.UUID
}

// LibraryQuery selects a page of the public library: published items matching the filter (its
// Status is ignored) and the search text, after the position, at most Limit of them.
type LibraryQuery struct {
	ContentFilter
	// Search is the visitor's text: its words (runs of letters and digits, at most
	// maxSearchWords) must all occur in the title, summary or body. Anything else in it (quotes,
	// operators, stars) is not syntax. Empty: no search; words of nothing (only punctuation): no
	// item.
	Search string
	After  *LibraryPosition
	Limit  int
}

// maxSearchWords bounds the words of one search; further words are ignored.
const maxSearchWords = 16

// PublishedPage returns a page of the public library, newest publication first (then by id), each
// item with its topic and tags. The search is PostgreSQL's full-text search in Russian (stems,
// each also matched as a prefix and with its final consonant alternated, see migration 00020) or
// SQLite's FTS5 (each word a prefix).
func (r *ContentItems) PublishedPage(ctx context.Context, q LibraryQuery) ([]models.ContentItem, error) {
	f := q.ContentFilter
	f.Status = models.PublicationPublished
	db := r.filtered(ctx, f)
	if q.Search != "" {
		words := searchWords(q.Search)
		if len(words) == 0 {
			return []models.ContentItem{}, nil
		}
		db = r.matching(db, words)
	}
	if p := q.After; p != nil {
		at := p.PublishedAt.UTC()
		db = db.Where("(content_items.published_at < ? OR (content_items.published_at = ? AND content_items.id < ?))", at, at, p.ID)
	}
	out := []models.ContentItem{}
	err := db.Order("content_items.published_at DESC, content_items.id DESC").Limit(max(q.Limit, 1)).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("library page: %w", translate(err))
	}
	return out, nil
}

// contentDocument is the weighted document of an item on PostgreSQL: exactly the expression of
// the index content_items_search_idx, so that the planner uses it.
const contentDocument = `(setweight(to_tsvector('russian', content_items.title), 'A') ||
	setweight(to_tsvector('russian', content_items.summary), 'B') ||
	setweight(to_tsvector('russian', content_items.body_markdown), 'C'))`

// matching narrows db to the items holding every word (lower-case letters and digits).
func (r *ContentItems) matching(db *gorm.DB, words []string) *gorm.DB {
	if r.db.Dialect == migrations.Postgres {
		// The status literal lets the planner prove the partial index applies.
		return db.Where("content_items.status = 'published' AND "+contentDocument+" @@ content_search_query(?)", strings.Join(words, " "))
	}
	terms := make([]string, len(words))
	for i, w := range words {
		// A quoted FTS5 string is never syntax; the star makes it a prefix.
		terms[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"*`
	}
	return db.Where("content_items.id IN (SELECT id FROM content_search WHERE content_search MATCH ?)", strings.Join(terms, " "))
}

// searchWords splits text into lower-case words of letters and digits (as both databases'
// tokenizers see words), at most maxSearchWords of them.
func searchWords(text string) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > maxSearchWords {
		words = words[:maxSearchWords]
	}
	return words
}

// RelatedPublished returns up to limit published items of the topic other than exclude, newest
// publication first, each with its topic and tags.
func (r *ContentItems) RelatedPublished(ctx context.Context, topicID, exclude uuid.UUID, limit int) ([]models.ContentItem, error) {
	out := []models.ContentItem{}
	err := r.withAssociations(ctx).
		Where("content_items.status = ? AND content_items.topic_id = ? AND content_items.id <> ?", models.PublicationPublished, topicID, exclude).
		Order("content_items.published_at DESC, content_items.id DESC").Limit(max(limit, 1)).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("related content of %s: %w", exclude, translate(err))
	}
	return out, nil
}
