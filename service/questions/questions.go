// Package questions is the public side of the moderated questions: a visitor asks the
// psychologist a question (anonymously, with an optional email to be told of the answer), follows
// it with a status token, and everyone reads the questions moderators published with their
// answers. Moderating and answering are the admin panel's (service/admin).
package questions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/repository"
	"balance/service"
)

// QuestionStore keeps the questions; *repository.Questions is one.
type QuestionStore interface {
	Create(ctx context.Context, q *models.Question) error
	ByStatusTokenHash(ctx context.Context, hash string) (*models.Question, error)
	ListPublic(ctx context.Context, f repository.PublicQuestionFilter) ([]repository.PublishedQuestion, error)
}

// ModerationQueue is the moderation queue; *repository.ModerationItems is one.
type ModerationQueue interface {
	Create(ctx context.Context, m *models.ModerationItem) error
	BySubject(ctx context.Context, kind models.ModerationKind, subjectID uuid.UUID) (*models.ModerationItem, error)
}

// Topics finds a content topic by its code; *repository.Topics is one.
type Topics interface {
	ByCode(ctx context.Context, code string) (*models.Topic, error)
}

// Transactor runs fn in one transaction; *repository.DB is one.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// CrisisDetector tells whether a text speaks of a crisis; *crisis.Detector is one.
type CrisisDetector interface {
	Detect(text string) bool
}

// Stores are what the use case works with.
type Stores struct {
	Questions QuestionStore
	Queue     ModerationQueue
	Topics    Topics
	Tx        Transactor
}

// NewStores returns the stores over db.
func NewStores(db *repository.DB) Stores {
	return Stores{
		Questions: repository.NewQuestions(db), Queue: repository.NewModerationItems(db),
		Topics: repository.NewTopics(db), Tx: db,
	}
}

// Questions holds the public question use cases: ask, follow, read the published ones.
type Questions struct {
	st     Stores
	crisis CrisisDetector
	clock  service.Clock
}

// New wires the use cases.
func New(st Stores, crisis CrisisDetector, clock service.Clock) *Questions {
	return &Questions{st: st, crisis: crisis, clock: clock}
}

// Status is a question's state in the asker's terms.
type Status string

// Statuses of a question for its asker: waiting for the moderators (an approved question not yet
// published is still pending), public, or not to be published.
const (
	StatusPending   Status = "pending"
	StatusPublished Status = "published"
	StatusRejected  Status = "rejected"
)

func statusOf(m *models.ModerationItem) Status {
	switch m.Status {
	case models.ModerationStatusPublished:
		return StatusPublished
	case models.ModerationStatusRejected:
		return StatusRejected
	}
	return StatusPending
}

// ConsentInput is one consent given in the form, with the version of the text the asker saw.
type ConsentInput struct {
	Type    models.ConsentType
	Version string
}

// AskInput is a question from the public form.
type AskInput struct {
	// Text is the question (P2).
	Text string
	// Topic is a content topic's code (optional).
	Topic string
	// ContactEmail is where to tell the asker of the answer (optional; needs the communications
	// consent).
	ContactEmail string
	Consents     []ConsentInput
}

// Asked is a question just asked.
type Asked struct {
	Question *models.Question
	Status   Status
	// StatusToken is the secret the asker follows the question with; only its hash is stored.
	StatusToken string
	// CrisisHelp is set when the question speaks of a crisis: helplines to show at once.
	CrisisHelp *models.CrisisHelp
}

// consentVersionMaxChars is the longest consent version accepted.
const consentVersionMaxChars = 64

// consents checks the form's consents and returns the versions of the two the form takes.
func consents(in []ConsentInput) (personalData, communications string, err error) {
	for i, k := range in {
		field := fmt.Sprintf("consents[%d]", i)
		v := strings.TrimSpace(k.Version)
		if v == "" || len([]rune(v)) > consentVersionMaxChars {
			return "", "", &models.ValidationError{Field: field + ".version", Message: "is required, at most 64 characters"}
		}
		switch k.Type {
		case models.ConsentPersonalData:
			personalData = v
		case models.ConsentCommunications:
			communications = v
		default:
			return "", "", &models.ValidationError{Field: field + ".type", Message: "must be personal_data or communications"}
		}
	}
	if personalData == "" {
		return "", "", &models.ValidationError{Field: "consents", Message: "the personal_data consent is required"}
	}
	return personalData, communications, nil
}

// Ask records a question and queues it for moderation, in one transaction that also publishes
// its QuestionSubmitted event (through the outbox: the owner is alerted of a crisis). A question
// whose text holds a crisis phrase is flagged, and its moderation item comes first in the queue.
// An unknown topic, a missing personal-data consent or an email without the communications
// consent is a *models.ValidationError.
func (s *Questions) Ask(ctx context.Context, in AskInput) (*Asked, error) {
	personalData, communications, err := consents(in.Consents)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	q, err := models.NewQuestion(nil, in.Text, in.ContactEmail, in.Topic, s.crisis.Detect(in.Text), now)
	if err != nil {
		var ve *models.ValidationError
		if errors.As(err, &ve) && ve.Field == "topic_code" {
			ve.Field = "topic" // the form's name for it
		}
		return nil, err
	}
	if err := q.RecordConsents(personalData, communications); err != nil {
		return nil, err
	}
	if q.TopicCode != nil {
		if _, err := s.st.Topics.ByCode(ctx, *q.TopicCode); errors.Is(err, models.ErrNotFound) {
			return nil, &models.ValidationError{Field: "topic", Message: "is not a known topic"}
		} else if err != nil {
			return nil, err
		}
	}
	token, err := crypto.NewToken()
	if err != nil {
		return nil, err
	}
	if err := q.SetStatusTokenHash(crypto.HashToken(token)); err != nil {
		return nil, err
	}
	item, err := models.NewQuestionModerationItem(q, now)
	if err != nil {
		return nil, err
	}
	err = s.st.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.Questions.Create(ctx, q); err != nil {
			return err
		}
		return s.st.Queue.Create(ctx, item)
	})
	if err != nil {
		return nil, fmt.Errorf("ask a question: %w", err)
	}
	out := &Asked{Question: q, Status: statusOf(item), StatusToken: token}
	if q.CrisisFlag {
		help := models.NewCrisisHelp(crisisMessage)
		out.CrisisHelp = &help
	}
	return out, nil
}

// Followed is a question as its asker sees it.
type Followed struct {
	// Question has no text (it is not read) and only its published answers.
	Question *models.Question
	Status   Status
}

// Follow loads the question id for the holder of its status token. A missing or wrong token, or
// an unknown id, is models.ErrNotFound alike, so that a guess learns nothing.
func (s *Questions) Follow(ctx context.Context, id uuid.UUID, token string) (*Followed, error) {
	if token == "" {
		return nil, fmt.Errorf("question %s: no status token: %w", id, models.ErrNotFound)
	}
	q, err := s.st.Questions.ByStatusTokenHash(ctx, crypto.HashToken(token))
	if errors.Is(err, models.ErrNotFound) || (err == nil && q.ID != id) {
		return nil, fmt.Errorf("question %s: %w", id, models.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	item, err := s.st.Queue.BySubject(ctx, models.ModerationKindQuestion, q.ID)
	if err != nil {
		return nil, err
	}
	out := &Followed{Question: q, Status: statusOf(item)}
	if out.Status != StatusPublished {
		// What is not public yet stays with the moderators: neither their wording nor answers.
		q.PublicText, q.Answers = nil, nil
	}
	return out, nil
}

// Page limits of the published questions.
const (
	DefaultPageSize = 20
	MaxPageSize     = 50
)

// PublishedQuery asks for a page of the published questions.
type PublishedQuery struct {
	// Topic keeps one topic's questions (a topic code; all when empty).
	Topic string
	// Cursor is the NextCursor of the previous page (the first page when empty).
	Cursor string
	// Limit is the page size: 0 means DefaultPageSize, at most MaxPageSize.
	Limit int
}

// PublishedPage is a page of the published questions, newest publication first.
type PublishedPage struct {
	Items []repository.PublishedQuestion
	// NextCursor continues the list; empty on the last page.
	NextCursor string
}

// cursor is what an opaque cursor holds: the position of the last question of a page.
type cursor struct {
	PublishedAt time.Time `json:"p"`
	ID          uuid.UUID `json:"i"`
}

func encodeCursor(q repository.PublishedQuestion) string {
	b, _ := json.Marshal(cursor{PublishedAt: q.PublishedAt.UTC(), ID: q.Question.ID}) // cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*repository.PublicQuestionPosition, error) {
	bad := &models.ValidationError{Field: "cursor", Message: "is not a cursor this API gave"}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 256 {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.ID == uuid.Nil || c.PublishedAt.IsZero() {
		return nil, bad
	}
	return &repository.PublicQuestionPosition{PublishedAt: c.PublishedAt, ID: c.ID}, nil
}

// Published lists the questions moderators published (in their public wording, never the asker's
// own text) with their published answers, newest publication first. A malformed topic, cursor or
// limit is a *models.ValidationError; an unknown topic simply has no questions.
func (s *Questions) Published(ctx context.Context, in PublishedQuery) (*PublishedPage, error) {
	limit := in.Limit
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 1 || limit > MaxPageSize:
		return nil, &models.ValidationError{Field: "limit", Message: fmt.Sprintf("must be 1 to %d", MaxPageSize)}
	}
	f := repository.PublicQuestionFilter{TopicCode: in.Topic, Limit: limit + 1}
	if in.Topic != "" && !models.IsQuestionTopicCode(in.Topic) {
		return nil, &models.ValidationError{Field: "topic", Message: "must be a topic code: lower-case letters, digits, '-' or '_'"}
	}
	if in.Cursor != "" {
		after, err := decodeCursor(in.Cursor)
		if err != nil {
			return nil, err
		}
		f.After = after
	}
	items, err := s.st.Questions.ListPublic(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &PublishedPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = encodeCursor(items[limit-1])
	}
	return page, nil
}
