package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Moderation: questions clients ask the psychologist, her answers, and the moderation queue that
// decides what the public may see.

// Limits of questions and answers.
const (
	QuestionTextMinChars     = 10
	QuestionTextMaxChars     = 5000
	QuestionTopicMaxChars    = 64
	AnswerBodyMaxChars       = 20000
	ModerationReasonMaxChars = 1000
)

// Question is something a client asks. Text is P2 (the client writes about their state) and is
// stored only as a Fernet token; PublicText is the anonymised version a moderator wrote for
// publication, in plain text.
type Question struct {
	ID     uuid.UUID  `gorm:"primaryKey"`
	UserID *uuid.UUID `gorm:"index:questions_user_idx"`
	Text   string     `gorm:"serializer:fernet"`
	// PublicText is shown instead of Text once the question is published.
	PublicText   *string
	ContactEmail *Email
	// TopicCode names a content topic by its code (another context: no foreign key).
	TopicCode   *string `gorm:"index:questions_topic_idx"`
	CrisisFlag  bool
	SubmittedAt time.Time `gorm:"index:questions_submitted_idx"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// StatusTokenHash is the SHA-256 of the token the asker got to see the question's state; nil
	// for questions that did not come from the public form.
	StatusTokenHash *string `gorm:"uniqueIndex:questions_status_token_hash_key"`
	// The versions of the consent texts an asker without an account accepted in the form (an
	// account's consents live with the account): personal data (required by the public form) and
	// communications (required there with a contact email).
	PersonalDataConsentVersion   *string
	CommunicationsConsentVersion *string

	Answers []Answer `gorm:"foreignKey:QuestionID"`

	Recorder `gorm:"-"`
}

// QuestionSubmitted is recorded when a question arrives. It carries ids and the crisis flag (so a
// subscriber can alert the psychologist at once), never the text.
type QuestionSubmitted struct {
	EventMeta
	UserID     *uuid.UUID `json:"user_id,omitempty"`
	CrisisFlag bool       `json:"crisis_flag"`
}

// EventName implements Event.
func (QuestionSubmitted) EventName() string { return "question.submitted" }

// NewQuestion validates and records a question. userID is nil for an anonymous visitor; contact
// (an email, optional) and topic (a topic code, optional) may be empty.
func NewQuestion(userID *uuid.UUID, text, contact, topic string, crisis bool, now time.Time) (*Question, error) {
	if userID != nil && *userID == uuid.Nil {
		return nil, &ValidationError{Field: "user_id", Message: "must be a user id or absent"}
	}
	text, err := moderationText("text", text, QuestionTextMinChars, QuestionTextMaxChars)
	if err != nil {
		return nil, err
	}
	q := &Question{ID: NewID(), Text: text, CrisisFlag: crisis}
	if userID != nil {
		id := *userID
		q.UserID = &id
	}
	if contact = strings.TrimSpace(contact); contact != "" {
		email, err := ParseEmail(contact)
		if err != nil {
			return nil, &ValidationError{Field: "contact_email", Message: "is not a valid email address"}
		}
		q.ContactEmail = &email
	}
	if topic = strings.TrimSpace(topic); topic != "" {
		if !moderationIsCode(topic, QuestionTopicMaxChars) {
			return nil, &ValidationError{Field: "topic_code", Message: fmt.Sprintf("must be 1 to %d lower-case letters, digits, '-' or '_'", QuestionTopicMaxChars)}
		}
		q.TopicCode = &topic
	}
	now = now.UTC()
	q.SubmittedAt, q.CreatedAt, q.UpdatedAt = now, now, now
	q.Record(QuestionSubmitted{EventMeta: NewEventMeta(q.ID, now), UserID: q.UserID, CrisisFlag: crisis})
	return q, nil
}

// SetStatusTokenHash stores the hash of the asker's status token.
func (q *Question) SetStatusTokenHash(hash string) error {
	if hash == "" {
		return &ValidationError{Field: "status_token_hash", Message: "is required"}
	}
	q.StatusTokenHash = &hash
	return nil
}

// QuestionConsentVersionMaxChars bounds the version of a consent text kept on a question.
const QuestionConsentVersionMaxChars = 64

// RecordConsents keeps the consents an asker without an account gave in the form: the version of
// the personal-data consent text (required) and of the communications one (empty when not
// given). A contact email needs the communications consent: the asker agrees to be written to.
func (q *Question) RecordConsents(personalData, communications string) error {
	check := func(field, v string) error {
		if n := utf8.RuneCountInString(v); n > QuestionConsentVersionMaxChars || !utf8.ValidString(v) {
			return &ValidationError{Field: field, Message: fmt.Sprintf("must be at most %d characters", QuestionConsentVersionMaxChars)}
		}
		return nil
	}
	personalData, communications = strings.TrimSpace(personalData), strings.TrimSpace(communications)
	if personalData == "" {
		return &ValidationError{Field: "consents", Message: "the personal_data consent is required"}
	}
	if err := check("consents", personalData); err != nil {
		return err
	}
	if err := check("consents", communications); err != nil {
		return err
	}
	if q.ContactEmail != nil && communications == "" {
		return &ValidationError{Field: "contact_email", Message: "needs the communications consent"}
	}
	q.PersonalDataConsentVersion = &personalData
	q.CommunicationsConsentVersion = nil
	if communications != "" {
		q.CommunicationsConsentVersion = &communications
	}
	return nil
}

// SetPublicText stores the moderator's anonymised wording, shown when the question is published.
func (q *Question) SetPublicText(text string, now time.Time) error {
	text, err := moderationText("public_text", text, 1, QuestionTextMaxChars)
	if err != nil {
		return err
	}
	q.PublicText = &text
	q.UpdatedAt = now.UTC()
	return nil
}

// moderationText trims s and checks its length in characters. Messages never quote s: it may be P2.
func moderationText(field, s string, minChars, maxChars int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", &ValidationError{Field: field, Message: "must be valid UTF-8"}
	}
	if n := utf8.RuneCountInString(s); n < minChars || n > maxChars {
		if s == "" {
			return "", &ValidationError{Field: field, Message: "is required"}
		}
		return "", &ValidationError{Field: field, Message: fmt.Sprintf("must be %d to %d characters", minChars, maxChars)}
	}
	return s, nil
}

// IsQuestionTopicCode reports whether s has the shape of a topic code a question may name.
func IsQuestionTopicCode(s string) bool { return moderationIsCode(s, QuestionTopicMaxChars) }

// moderationIsCode reports whether s is a slug-like code: lower-case ASCII letters, digits, - and _.
func moderationIsCode(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// Answer is the psychologist's (or an editor's) answer to a question, in Markdown.
type Answer struct {
	ID           uuid.UUID `gorm:"primaryKey"`
	QuestionID   uuid.UUID `gorm:"index:answers_question_idx"`
	AuthorUserID uuid.UUID `gorm:"index:answers_author_idx"`
	BodyMarkdown string
	// PublishedAt is set while the answer is public.
	PublishedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewAnswer validates and creates an unpublished answer by authorID to questionID.
func NewAnswer(questionID, authorID uuid.UUID, body string, now time.Time) (*Answer, error) {
	if questionID == uuid.Nil {
		return nil, &ValidationError{Field: "question_id", Message: "is required"}
	}
	if authorID == uuid.Nil {
		return nil, &ValidationError{Field: "author_user_id", Message: "is required"}
	}
	body, err := moderationText("body_markdown", body, 1, AnswerBodyMaxChars)
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	return &Answer{ID: NewID(), QuestionID: questionID, AuthorUserID: authorID, BodyMarkdown: body, CreatedAt: now, UpdatedAt: now}, nil
}

// Edit replaces the answer's text.
func (a *Answer) Edit(body string, now time.Time) error {
	body, err := moderationText("body_markdown", body, 1, AnswerBodyMaxChars)
	if err != nil {
		return err
	}
	a.BodyMarkdown = body
	a.UpdatedAt = now.UTC()
	return nil
}

// Publish makes the answer public.
func (a *Answer) Publish(now time.Time) error {
	if a.PublishedAt != nil {
		return fmt.Errorf("publish published answer: %w", ErrInvalidTransition)
	}
	now = now.UTC()
	a.PublishedAt, a.UpdatedAt = &now, now
	return nil
}

// Unpublish hides a public answer.
func (a *Answer) Unpublish(now time.Time) error {
	if a.PublishedAt == nil {
		return fmt.Errorf("unpublish unpublished answer: %w", ErrInvalidTransition)
	}
	a.PublishedAt, a.UpdatedAt = nil, now.UTC()
	return nil
}

// ModerationKind is what a moderation item is about.
type ModerationKind string

// Moderation kinds. Reviews belong to another context; their items refer to them by id.
const (
	ModerationKindQuestion ModerationKind = "question"
	ModerationKindAnswer   ModerationKind = "answer"
	ModerationKindReview   ModerationKind = "review"
)

// ParseModerationKind validates a moderation kind.
func ParseModerationKind(s string) (ModerationKind, error) {
	switch k := ModerationKind(s); k {
	case ModerationKindQuestion, ModerationKindAnswer, ModerationKindReview:
		return k, nil
	}
	return "", &ValidationError{Field: "kind", Message: fmt.Sprintf("must be question, answer or review; got %q", s)}
}

// ModerationStatus is where an item stands in the moderation queue.
type ModerationStatus string

// Moderation statuses.
const (
	ModerationStatusPending   ModerationStatus = "pending"
	ModerationStatusApproved  ModerationStatus = "approved"
	ModerationStatusRejected  ModerationStatus = "rejected"
	ModerationStatusPublished ModerationStatus = "published"
)

// ParseModerationStatus validates a moderation status.
func ParseModerationStatus(s string) (ModerationStatus, error) {
	switch st := ModerationStatus(s); st {
	case ModerationStatusPending, ModerationStatusApproved, ModerationStatusRejected, ModerationStatusPublished:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be pending, approved, rejected or published; got %q", s)}
}

// moderationTransitions lists the moves a moderator may make: approve or reject what is pending,
// publish or reject what is approved, take down (reject) what is published. Rejection is final.
var moderationTransitions = map[ModerationStatus][]ModerationStatus{
	ModerationStatusPending:   {ModerationStatusApproved, ModerationStatusRejected},
	ModerationStatusApproved:  {ModerationStatusPublished, ModerationStatusRejected},
	ModerationStatusPublished: {ModerationStatusRejected},
}

// ModerationItem is one thing (a question, an answer, a review) awaiting or having had a
// moderator's decision. There is one item per subject.
type ModerationItem struct {
	ID          uuid.UUID        `gorm:"primaryKey"`
	Kind        ModerationKind   `gorm:"uniqueIndex:moderation_items_subject_key,priority:1"`
	SubjectID   uuid.UUID        `gorm:"uniqueIndex:moderation_items_subject_key,priority:2"`
	Status      ModerationStatus `gorm:"index:moderation_items_status_idx,priority:1"`
	ModeratorID *uuid.UUID       `gorm:"index:moderation_items_moderator_idx"`
	DecidedAt   *time.Time
	// Reason says why the item was rejected (required then).
	Reason *string
	// Crisis: the item is about a question whose client wrote of a crisis; the queue shows it first.
	Crisis    bool `gorm:"index:moderation_items_crisis_idx,priority:1"`
	Version   int
	CreatedAt time.Time `gorm:"index:moderation_items_status_idx,priority:2;index:moderation_items_crisis_idx,priority:2"`
	UpdatedAt time.Time

	Recorder `gorm:"-"`
}

// ModerationDecided is recorded on every moderator decision.
type ModerationDecided struct {
	EventMeta
	Kind        ModerationKind   `json:"kind"`
	SubjectID   uuid.UUID        `json:"subject_id"`
	From        ModerationStatus `json:"from"`
	To          ModerationStatus `json:"to"`
	ModeratorID uuid.UUID        `json:"moderator_id"`
}

// EventName implements Event.
func (ModerationDecided) EventName() string { return "moderation.decided" }

// NewModerationItem queues subjectID of kind for moderation.
func NewModerationItem(kind ModerationKind, subjectID uuid.UUID, now time.Time) (*ModerationItem, error) {
	if _, err := ParseModerationKind(string(kind)); err != nil {
		return nil, err
	}
	if subjectID == uuid.Nil {
		return nil, &ValidationError{Field: "subject_id", Message: "is required"}
	}
	now = now.UTC()
	return &ModerationItem{
		ID: NewID(), Kind: kind, SubjectID: subjectID, Status: ModerationStatusPending, Version: 1,
		CreatedAt: now, UpdatedAt: now,
	}, nil
}

// NewQuestionModerationItem queues question q for moderation, first in the queue when its client
// wrote of a crisis.
func NewQuestionModerationItem(q *Question, now time.Time) (*ModerationItem, error) {
	m, err := NewModerationItem(ModerationKindQuestion, q.ID, now)
	if err != nil {
		return nil, err
	}
	m.Crisis = q.CrisisFlag
	return m, nil
}

// Approve accepts a pending item; it is not public until published.
func (m *ModerationItem) Approve(moderatorID uuid.UUID, now time.Time) error {
	return m.decide(ModerationStatusApproved, moderatorID, nil, now)
}

// Publish makes an approved item public.
func (m *ModerationItem) Publish(moderatorID uuid.UUID, now time.Time) error {
	return m.decide(ModerationStatusPublished, moderatorID, nil, now)
}

// Reject refuses a pending or approved item, or takes down a published one, for reason.
func (m *ModerationItem) Reject(moderatorID uuid.UUID, reason string, now time.Time) error {
	reason, err := moderationText("reason", reason, 1, ModerationReasonMaxChars)
	if err != nil {
		return err
	}
	return m.decide(ModerationStatusRejected, moderatorID, &reason, now)
}

func (m *ModerationItem) decide(to ModerationStatus, moderatorID uuid.UUID, reason *string, now time.Time) error {
	allowed := false
	for _, next := range moderationTransitions[m.Status] {
		allowed = allowed || next == to
	}
	if !allowed {
		return fmt.Errorf("moderate %s %s: %s → %s: %w", m.Kind, m.SubjectID, m.Status, to, ErrInvalidTransition)
	}
	if moderatorID == uuid.Nil {
		return &ValidationError{Field: "moderator_id", Message: "is required"}
	}
	now = now.UTC()
	from := m.Status
	m.Status, m.ModeratorID, m.Reason, m.DecidedAt, m.UpdatedAt = to, &moderatorID, reason, &now, now
	m.Record(ModerationDecided{
		EventMeta: NewEventMeta(m.ID, now), Kind: m.Kind, SubjectID: m.SubjectID,
		From: from, To: to, ModeratorID: moderatorID,
	})
	return nil
}
