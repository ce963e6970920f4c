package content

// This file answers "what may the public read?": the topics and tags, pages of published items
// (filtered, searched, in cursor pages) and one published item rendered for its page.

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/microcosm-cc/bluemonday"

	"balance/models"
	"balance/repository"
)

// Library page bounds and the other limits of the public library.
const (
	DefaultLibraryPage = 20
	MaxLibraryPage     = 50
	// MaxSearchLen bounds the search text, in characters.
	MaxSearchLen = 200
	// RelatedCount is how many related items an item's page shows.
	RelatedCount = 3
)

// LibraryItems is what the library needs of the content items; *repository.ContentItems is one.
type LibraryItems interface {
	PublishedPage(ctx context.Context, q repository.LibraryQuery) ([]models.ContentItem, error)
	PublishedBySlug(ctx context.Context, slug string) (*models.ContentItem, error)
	RelatedPublished(ctx context.Context, topicID, exclude uuid.UUID, limit int) ([]models.ContentItem, error)
}

// TopicList lists every topic; *repository.Topics is one.
type TopicList interface {
	List(ctx context.Context) ([]models.Topic, error)
}

// TagList lists every tag; *repository.Tags is one.
type TagList interface {
	List(ctx context.Context) ([]models.Tag, error)
}

// Library is the public library: published items only; a draft, an archived item and an unknown
// slug are alike models.ErrNotFound.
type Library struct {
	items  LibraryItems
	topics TopicList
	tags   TagList
}

// NewLibrary returns the public library over the stores.
func NewLibrary(items LibraryItems, topics TopicList, tags TagList) *Library {
	return &Library{items: items, topics: topics, tags: tags}
}

// Topics lists every topic in the editors' order.
func (l *Library) Topics(ctx context.Context) ([]models.Topic, error) {
	out, err := l.topics.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("library topics: %w", err)
	}
	return out, nil
}

// Tags lists every tag by slug.
func (l *Library) Tags(ctx context.Context) ([]models.Tag, error) {
	out, err := l.tags.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("library tags: %w", err)
	}
	return out, nil
}

// Query asks for a page of the library. Its values are parsed by ParseQuery.
type Query struct {
	Topic, Tag string
	Type       models.ContentType
	Search     string
	After      *Cursor
	Limit      int
}

// ParseQuery validates the values of a library request as the client sent them (empty: not
// given): a bad type, search text, cursor or limit is a *models.ValidationError naming it.
func ParseQuery(topic, tag, typ, search, cursor, limit string) (Query, error) {
	q := Query{Topic: topic, Tag: tag, Search: strings.TrimSpace(search), Limit: DefaultLibraryPage}
	if typ != "" {
		t, err := models.ParseContentType(typ)
		if err != nil {
			return q, err
		}
		q.Type = t
	}
	if utf8.RuneCountInString(q.Search) > MaxSearchLen {
		return q, &models.ValidationError{Field: "q", Message: fmt.Sprintf("must be at most %d characters", MaxSearchLen)}
	}
	if cursor != "" {
		c, err := ParseCursor(cursor)
		if err != nil {
			return q, err
		}
		q.After = &c
	}
	if limit != "" {
		n, err := parseLimit(limit)
		if err != nil {
			return q, err
		}
		q.Limit = n
	}
	return q, nil
}

func parseLimit(s string) (int, error) {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' || n > MaxLibraryPage {
			n = -1
			break
		}
		n = n*10 + int(r-'0')
	}
	if n < 1 || n > MaxLibraryPage {
		return 0, &models.ValidationError{Field: "limit", Message: fmt.Sprintf("must be an integer from 1 to %d", MaxLibraryPage)}
	}
	return n, nil
}

// Page is a page of the library, and where the next one starts (nil: this is the last).
type Page struct {
	Items []Item
	Next  *Cursor
}

// Item is a published item as a list shows it.
type Item struct {
	*models.ContentItem
	// ReadingMinutes is the editor's figure, else the estimate from the body.
	ReadingMinutes int
}

func newItem(c *models.ContentItem) Item {
	minutes := ReadingMinutes(c.BodyMarkdown)
	if c.ReadingMinutes != nil {
		minutes = *c.ReadingMinutes
	}
	return Item{ContentItem: c, ReadingMinutes: minutes}
}

func newItems(list []models.ContentItem) []Item {
	out := make([]Item, 0, len(list))
	for i := range list {
		out = append(out, newItem(&list[i]))
	}
	return out
}

// Articles returns a page of published items matching q, newest publication first.
func (l *Library) Articles(ctx context.Context, q Query) (Page, error) {
	rq := repository.LibraryQuery{
		ContentFilter: repository.ContentFilter{TopicCode: q.Topic, TagSlug: q.Tag, Type: q.Type},
		Search:        q.Search,
		Limit:         q.Limit + 1, // one more tells whether a next page exists
	}
	if q.After != nil {
		rq.After = &repository.LibraryPosition{PublishedAt: q.After.PublishedAt, ID: q.After.ID}
	}
	list, err := l.items.PublishedPage(ctx, rq)
	if err != nil {
		return Page{}, fmt.Errorf("library page: %w", err)
	}
	var page Page
	if len(list) > q.Limit {
		list = list[:q.Limit]
		last := list[len(list)-1]
		page.Next = &Cursor{PublishedAt: *last.PublishedAt, ID: last.ID}
	}
	page.Items = newItems(list)
	return page, nil
}

// Article is a published item as its page shows it.
type Article struct {
	Item
	// HTML is the body rendered and sanitised.
	HTML string
	// SEOTitle and SEODescription are the editor's, else the title and the summary (else the
	// beginning of the text), the description at most models.ContentSEODescriptionMaxLen
	// characters.
	SEOTitle, SEODescription string
	// Related are a few other published items of the same topic, newest first.
	Related []Item
}

// Article loads the published item with this slug, rendered, with its related items.
func (l *Library) Article(ctx context.Context, slug string) (*Article, error) {
	c, err := l.items.PublishedBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	r, err := Render(c.BodyMarkdown)
	if err != nil {
		return nil, fmt.Errorf("render content %s: %w", c.Slug, err)
	}
	a := &Article{Item: newItem(c), HTML: r.HTML, SEOTitle: c.SEOTitle, SEODescription: c.SEODescription, Related: []Item{}}
	if c.ReadingMinutes == nil {
		a.ReadingMinutes = r.ReadingMinutes
	}
	if strings.TrimSpace(a.SEOTitle) == "" {
		a.SEOTitle = c.Title
	}
	if strings.TrimSpace(a.SEODescription) == "" {
		a.SEODescription = describe(c.Summary, r.HTML)
	}
	if c.TopicID != nil {
		related, err := l.items.RelatedPublished(ctx, *c.TopicID, c.ID, RelatedCount)
		if err != nil {
			return nil, fmt.Errorf("related content of %s: %w", c.Slug, err)
		}
		a.Related = newItems(related)
	}
	return a, nil
}

// plainText keeps only the text of HTML.
var plainText = bluemonday.StrictPolicy()

// describe makes a meta description: the summary, else the text of html, its whitespace
// collapsed, cut at a word boundary to fit models.ContentSEODescriptionMaxLen characters.
func describe(summary, html string) string {
	text := summary
	if strings.TrimSpace(text) == "" {
		// StrictPolicy leaves entities escaped (&amp;); a description is text, so they are decoded.
		text = htmlUnescape(plainText.Sanitize(strings.NewReplacer("</", " </", "<br", " <br").Replace(html)))
	}
	text = strings.Join(strings.Fields(text), " ")
	const max = models.ContentSEODescriptionMaxLen
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	runes := []rune(text)[:max-1]
	cut := len(runes)
	for i := len(runes) - 1; i > max/2; i-- {
		if unicode.IsSpace(runes[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(runes[:cut]), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}

// htmlUnescape decodes the entities bluemonday's escaping produces.
func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&nbsp;", " ").Replace(s)
}

// Cursor is a position in the library: after the item published at PublishedAt with this ID. It
// travels as an opaque token (String, ParseCursor).
type Cursor struct {
	PublishedAt time.Time
	ID          uuid.UUID
}

// String is the cursor's token: URL-safe base64 of "<RFC 3339 time>/<id>".
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.PublishedAt.UTC().Format(time.RFC3339Nano) + "/" + c.ID.String()))
}

// errCursor: the token is not one String made.
var errCursor = &models.ValidationError{Field: "cursor", Message: "is not a cursor this API gave (use next_cursor as it is)"}

// ParseCursor reads a token made by Cursor.String.
func ParseCursor(token string) (Cursor, error) {
	if len(token) > 128 {
		return Cursor{}, errCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Cursor{}, errCursor
	}
	at, id, ok := strings.Cut(string(raw), "/")
	if !ok {
		return Cursor{}, errCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Cursor{}, errCursor
	}
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return Cursor{}, errCursor
	}
	return Cursor{PublishedAt: t.UTC(), ID: u}, nil
}
