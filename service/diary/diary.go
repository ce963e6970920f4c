// Package diary is the client's private diary in the cabinet: writing, listing (by period and tag),
// reading, editing and deleting one's own entries, and the mood trend over a period. Every use case
// takes the signed-in client's id: another client's entry does not exist for the caller. Entries are
// P2: nothing here logs them or puts them in an error message.
package diary

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service"
)

// Page sizes of the list.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Limits of a mood trend's period, in days.
const (
	MaxDayBuckets  = 366
	MaxTrendDays   = 5 * 366
	defaultDayDays = 30
	defaultWeeks   = 12
)

// earliestDay is the first day a diary entry may be about.
var earliestDay = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// tagScanBatch is how many entries' tags a tag filter reads at a time.
const tagScanBatch = 200

// Store is what the diary needs of its storage; *repository.DiaryEntries is one.
type Store interface {
	Create(ctx context.Context, e *models.DiaryEntry) error
	ByID(ctx context.Context, userID, id uuid.UUID) (*models.DiaryEntry, error)
	ByIDs(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) ([]models.DiaryEntry, error)
	Page(ctx context.Context, f repository.DiaryFilter) ([]models.DiaryEntry, error)
	PageTags(ctx context.Context, f repository.DiaryFilter) ([]models.DiaryEntry, error)
	Moods(ctx context.Context, userID uuid.UUID, from, to time.Time) ([]repository.DiaryMood, error)
	Update(ctx context.Context, userID, id uuid.UUID, fn func(*models.DiaryEntry) error) error
	Delete(ctx context.Context, userID, id uuid.UUID) error
}

// Diary is the diary's use cases.
type Diary struct {
	store Store
	clock service.Clock
}

// New returns the diary over store.
func New(store Store, clock service.Clock) *Diary { return &Diary{store: store, clock: clock} }

// Input is an entry as the client writes it: Date is the day in the client's calendar,
// "YYYY-MM-DD".
type Input struct {
	Date string
	Body string
	Mood *int
	Tags []string
}

// ParseDay reads a "YYYY-MM-DD" day as midnight UTC; a malformed one is a *models.ValidationError
// on field.
func ParseDay(field, s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, &models.ValidationError{Field: field, Message: "must be a date, YYYY-MM-DD"}
	}
	return d, nil
}

// day checks the entry's day: from 1900 up to tomorrow (UTC), as the client's zone may be ahead.
func (d *Diary) day(s string) (time.Time, error) {
	day, err := ParseDay("date", s)
	if err != nil {
		return time.Time{}, err
	}
	latest := models.DiaryDate(d.clock.Now().UTC()).AddDate(0, 0, 1)
	if day.Before(earliestDay) || day.After(latest) {
		return time.Time{}, &models.ValidationError{Field: "date", Message: "must be a day from 1900-01-01 up to today"}
	}
	return day, nil
}

// cleanTags trims the tags and drops repeats (case-insensitively, the first spelling kept).
func cleanTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		key := strings.ToLower(t)
		if t != "" && seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, t)
	}
	return out
}

// check reads the day of in and refuses a body of blanks only.
func (d *Diary) check(in Input) (time.Time, error) {
	day, err := d.day(in.Date)
	if err != nil {
		return time.Time{}, err
	}
	if in.Body != "" && strings.TrimSpace(in.Body) == "" {
		return time.Time{}, &models.ValidationError{Field: "body", Message: "is required"}
	}
	return day, nil
}

// Write saves a new entry of userID.
func (d *Diary) Write(ctx context.Context, userID uuid.UUID, in Input) (*models.DiaryEntry, error) {
	day, err := d.check(in)
	if err != nil {
		return nil, err
	}
	e, err := models.NewDiaryEntry(userID, day, in.Body, in.Mood, cleanTags(in.Tags), d.clock.Now())
	if err != nil {
		return nil, err
	}
	if err := d.store.Create(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// Get reads userID's entry id (another client's is models.ErrNotFound).
func (d *Diary) Get(ctx context.Context, userID, id uuid.UUID) (*models.DiaryEntry, error) {
	return d.store.ByID(ctx, userID, id)
}

// Edit replaces userID's entry id with in.
func (d *Diary) Edit(ctx context.Context, userID, id uuid.UUID, in Input) (*models.DiaryEntry, error) {
	day, err := d.check(in)
	if err != nil {
		return nil, err
	}
	var out *models.DiaryEntry
	err = d.store.Update(ctx, userID, id, func(e *models.DiaryEntry) error {
		if err := e.Edit(day, in.Body, in.Mood, cleanTags(in.Tags), d.clock.Now()); err != nil {
			return err
		}
		out = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes userID's entry id for good.
func (d *Diary) Delete(ctx context.Context, userID, id uuid.UUID) error {
	return d.store.Delete(ctx, userID, id)
}

// Query asks for a page of the client's diary. From and To are "YYYY-MM-DD" days (inclusive, no
// bound when empty); Tag keeps the entries with this tag (case-insensitive).
type Query struct {
	From, To, Tag, Cursor string
	// Limit is the page size: 0 means DefaultPageSize, at most MaxPageSize.
	Limit int
}

// ListPage is a page of the diary, the latest day first.
type ListPage struct {
	Items []models.DiaryEntry
	// NextCursor continues the list; empty on the last page.
	NextCursor string
}

// cursor is what an opaque cursor holds: the position of the last entry of a page.
type cursor struct {
	Day       string    `json:"d"`
	CreatedAt time.Time `json:"c"`
	ID        uuid.UUID `json:"i"`
}

func encodeCursor(e *models.DiaryEntry) string {
	b, _ := json.Marshal(cursor{Day: e.EntryDate.UTC().Format(time.DateOnly), CreatedAt: e.CreatedAt.UTC(), ID: e.ID}) // cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*repository.DiaryPosition, error) {
	bad := &models.ValidationError{Field: "cursor", Message: "is not a cursor this API gave"}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 256 {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.ID == uuid.Nil || c.CreatedAt.IsZero() {
		return nil, bad
	}
	day, err := time.Parse(time.DateOnly, c.Day)
	if err != nil {
		return nil, bad
	}
	return &repository.DiaryPosition{EntryDate: day, CreatedAt: c.CreatedAt, ID: c.ID}, nil
}

// period reads an optional from..to; from after to is a *models.ValidationError on "to".
func period(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = ParseDay("from", from); err != nil {
			return f, t, err
		}
	}
	if to != "" {
		if t, err = ParseDay("to", to); err != nil {
			return f, t, err
		}
	}
	if !f.IsZero() && !t.IsZero() && f.After(t) {
		return f, t, &models.ValidationError{Field: "to", Message: "must not be before from"}
	}
	return f, t, nil
}

// List lists userID's entries, the latest day first (entries of one day newest first). A tag
// filter reads only the tags of the entries it passes over, never their bodies. A malformed
// period, tag, cursor or limit is a *models.ValidationError.
func (d *Diary) List(ctx context.Context, userID uuid.UUID, in Query) (*ListPage, error) {
	limit := in.Limit
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 1 || limit > MaxPageSize:
		return nil, &models.ValidationError{Field: "limit", Message: fmt.Sprintf("must be 1 to %d", MaxPageSize)}
	}
	from, to, err := period(in.From, in.To)
	if err != nil {
		return nil, err
	}
	tag := strings.TrimSpace(in.Tag)
	if len([]rune(tag)) > models.DiaryTagMaxChars {
		return nil, &models.ValidationError{Field: "tag", Message: fmt.Sprintf("must be at most %d characters", models.DiaryTagMaxChars)}
	}
	f := repository.DiaryFilter{UserID: userID, From: from, To: to, Limit: limit + 1}
	if in.Cursor != "" {
		if f.After, err = decodeCursor(in.Cursor); err != nil {
			return nil, err
		}
	}
	var items []models.DiaryEntry
	if tag == "" {
		if items, err = d.store.Page(ctx, f); err != nil {
			return nil, err
		}
	} else if items, err = d.tagged(ctx, f, tag); err != nil {
		return nil, err
	}
	page := &ListPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = encodeCursor(&items[limit-1])
	}
	return page, nil
}

// tagged returns up to f.Limit entries with tag: it reads the tags of the diary in batches and
// loads the whole entries of the matches only.
func (d *Diary) tagged(ctx context.Context, f repository.DiaryFilter, tag string) ([]models.DiaryEntry, error) {
	want := f.Limit
	f.Limit = tagScanBatch
	var ids []uuid.UUID
	for len(ids) < want {
		batch, err := d.store.PageTags(ctx, f)
		if err != nil {
			return nil, err
		}
		for i := range batch {
			if hasTag(batch[i].Tags, tag) {
				ids = append(ids, batch[i].ID)
				if len(ids) == want {
					break
				}
			}
		}
		if len(batch) < tagScanBatch {
			break
		}
		last := batch[len(batch)-1]
		f.After = &repository.DiaryPosition{EntryDate: last.EntryDate, CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return d.store.ByIDs(ctx, f.UserID, ids)
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if strings.EqualFold(strings.TrimSpace(t), tag) {
			return true
		}
	}
	return false
}

// Bucket sizes of a mood trend.
const (
	BucketDay  = "day"
	BucketWeek = "week"
)

// TrendQuery asks for the mood trend of a period: From and To are "YYYY-MM-DD" days (inclusive);
// by default the last 30 days (day buckets) or 12 weeks (week buckets) up to today.
type TrendQuery struct {
	From, To, Bucket string
}

// MoodBucket is the average mood of one day or week (weeks start on Monday) and how many entries
// with a mood it holds.
type MoodBucket struct {
	Start   time.Time
	Average float64
	Entries int
}

// Trend is the mood trend of a period; buckets without any mood are left out.
type Trend struct {
	From, To time.Time
	Bucket   string
	Buckets  []MoodBucket
}

// MoodTrend computes the average mood per day or week of userID's entries in the period, from
// the mood column only: no body or tag is read.
func (d *Diary) MoodTrend(ctx context.Context, userID uuid.UUID, in TrendQuery) (*Trend, error) {
	bucket := in.Bucket
	switch bucket {
	case "":
		bucket = BucketDay
	case BucketDay, BucketWeek:
	default:
		return nil, &models.ValidationError{Field: "bucket", Message: "must be day or week"}
	}
	from, to, err := period(in.From, in.To)
	if err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = models.DiaryDate(d.clock.Now().UTC())
		if !from.IsZero() && from.After(to) {
			return nil, &models.ValidationError{Field: "from", Message: "must not be after today"}
		}
	}
	if from.IsZero() {
		if bucket == BucketDay {
			from = to.AddDate(0, 0, 1-defaultDayDays)
		} else {
			from = weekStart(to).AddDate(0, 0, -7*(defaultWeeks-1))
		}
	}
	days := int(to.Sub(from).Hours()/24) + 1
	if bucket == BucketDay && days > MaxDayBuckets {
		return nil, &models.ValidationError{Field: "from", Message: fmt.Sprintf("day buckets cover at most %d days", MaxDayBuckets)}
	}
	if days > MaxTrendDays {
		return nil, &models.ValidationError{Field: "from", Message: fmt.Sprintf("the period covers at most %d days", MaxTrendDays)}
	}
	moods, err := d.store.Moods(ctx, userID, from, to)
	if err != nil {
		return nil, err
	}
	t := &Trend{From: from, To: to, Bucket: bucket, Buckets: []MoodBucket{}}
	sums := []int{}
	for _, m := range moods { // in day order
		start := m.EntryDate
		if bucket == BucketWeek {
			start = weekStart(start)
		}
		if n := len(t.Buckets); n == 0 || !t.Buckets[n-1].Start.Equal(start) {
			t.Buckets = append(t.Buckets, MoodBucket{Start: start})
			sums = append(sums, 0)
		}
		n := len(t.Buckets) - 1
		t.Buckets[n].Entries++
		sums[n] += m.Mood
	}
	for i := range t.Buckets {
		t.Buckets[i].Average = math.Round(float64(sums[i])/float64(t.Buckets[i].Entries)*100) / 100
	}
	return t, nil
}

// weekStart is the Monday of day's week.
func weekStart(day time.Time) time.Time {
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}
