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

// moderationT0 is the fixed moment the moderation tests stand at.
var moderationT0 = time.Date(2026, time.March, 29, 0, 30, 0, 0, time.UTC)

const moderationQuestionText = "Как справиться с тревогой перед сном?"

func TestNewQuestion(t *testing.T) {
	t.Parallel()
	user := models.NewID()
	tests := []struct {
		name      string
		user      *uuid.UUID
		text      string
		contact   string
		topic     string
		crisis    bool
		wantField string
		check     func(t *testing.T, q *models.Question)
	}{
		{
			name: "signed-in client with every field", user: &user, text: "  " + moderationQuestionText + "\n", contact: " Anna@Example.ORG ", topic: "anxiety", crisis: true,
			check: func(t *testing.T, q *models.Question) {
				if q.UserID == nil || *q.UserID != user {
					t.Errorf("UserID = %v", q.UserID)
				}
				if q.Text != moderationQuestionText {
					t.Errorf("Text = %q, want it trimmed", q.Text)
				}
				if q.ContactEmail == nil || *q.ContactEmail != "anna@example.org" {
					t.Errorf("ContactEmail = %v, want it normalized", q.ContactEmail)
				}
				if q.TopicCode == nil || *q.TopicCode != "anxiety" || !q.CrisisFlag {
					t.Errorf("TopicCode %v, CrisisFlag %v", q.TopicCode, q.CrisisFlag)
				}
			},
		},
		{
			name: "anonymous visitor", text: moderationQuestionText,
			check: func(t *testing.T, q *models.Question) {
				if q.UserID != nil || q.ContactEmail != nil || q.TopicCode != nil || q.PublicText != nil || q.CrisisFlag {
					t.Errorf("optional fields set: %+v", q)
				}
			},
		},
		{name: "shortest text", text: strings.Repeat("я", models.QuestionTextMinChars)},
		{name: "longest text", text: strings.Repeat("я", models.QuestionTextMaxChars)},
		{name: "text too short", text: strings.Repeat("я", models.QuestionTextMinChars-1), wantField: "text"},
		{name: "text only spaces", text: strings.Repeat(" ", 20), wantField: "text"},
		{name: "text too long", text: strings.Repeat("я", models.QuestionTextMaxChars+1), wantField: "text"},
		{name: "text not UTF-8", text: "\xff" + moderationQuestionText, wantField: "text"},
		{name: "bad contact", text: moderationQuestionText, contact: "anna at example", wantField: "contact_email"},
		{name: "bad topic", text: moderationQuestionText, topic: "Anxiety Now", wantField: "topic_code"},
		{name: "topic too long", text: moderationQuestionText, topic: strings.Repeat("a", models.QuestionTopicMaxChars+1), wantField: "topic_code"},
		{name: "nil user id", user: &uuid.UUID{}, text: moderationQuestionText, wantField: "user_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := models.NewQuestion(tt.user, tt.text, tt.contact, tt.topic, tt.crisis, moderationT0.In(cabinetMSK))
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				if q != nil {
					t.Errorf("question = %+v, want nil", q)
				}
				if err != nil && strings.Contains(err.Error(), "тревог") {
					t.Errorf("error %q quotes the P2 text", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewQuestion: %v", err)
			}
			if q.ID.Version() != 7 {
				t.Errorf("ID = %s, want a UUID v7", q.ID)
			}
			for name, at := range map[string]time.Time{"SubmittedAt": q.SubmittedAt, "CreatedAt": q.CreatedAt, "UpdatedAt": q.UpdatedAt} {
				if !at.Equal(moderationT0) || at.Location() != time.UTC {
					t.Errorf("%s = %v, want %v in UTC", name, at, moderationT0)
				}
			}
			events := q.Events()
			if len(events) != 1 {
				t.Fatalf("events = %+v", events)
			}
			e, ok := events[0].(models.QuestionSubmitted)
			if !ok || e.EventName() != "question.submitted" || e.AggregateID() != q.ID || e.CrisisFlag != tt.crisis || !reflect.DeepEqual(e.UserID, q.UserID) {
				t.Errorf("event = %+v", events[0])
			}
			cabinetAssertNoPlaintext(t, events, q.Text)
			if tt.check != nil {
				tt.check(t, q)
			}
		})
	}
}

// The question keeps its own copy of the user id.
func TestNewQuestionCopiesUserID(t *testing.T) {
	t.Parallel()
	id := models.NewID()
	want := id
	q, err := models.NewQuestion(&id, moderationQuestionText, "", "", false, moderationT0)
	if err != nil {
		t.Fatal(err)
	}
	id = models.NewID()
	if *q.UserID != want || *q.UserID == id {
		t.Errorf("UserID changed with the caller's variable")
	}
}

func moderationQuestion(t *testing.T) *models.Question {
	t.Helper()
	q, err := models.NewQuestion(nil, moderationQuestionText, "", "", false, moderationT0)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestQuestionSetPublicText(t *testing.T) {
	t.Parallel()
	t1 := moderationT0.Add(time.Hour)
	tests := []struct {
		name      string
		text      string
		wantField string
	}{
		{name: "anonymised wording", text: " Как справиться с тревогой? "},
		{name: "empty", text: "   ", wantField: "public_text"},
		{name: "too long", text: strings.Repeat("я", models.QuestionTextMaxChars+1), wantField: "public_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := moderationQuestion(t)
			before := *q
			err := q.SetPublicText(tt.text, t1)
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				if !reflect.DeepEqual(*q, before) {
					t.Errorf("rejected text changed the question")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.PublicText == nil || *q.PublicText != strings.TrimSpace(tt.text) || !q.UpdatedAt.Equal(t1) {
				t.Errorf("PublicText %v, UpdatedAt %v", q.PublicText, q.UpdatedAt)
			}
			if q.Text != before.Text {
				t.Error("SetPublicText changed the client's own text")
			}
		})
	}
}

func TestNewAnswer(t *testing.T) {
	t.Parallel()
	question, author := models.NewID(), models.NewID()
	tests := []struct {
		name             string
		question, author uuid.UUID
		body             string
		wantField        string
	}{
		{name: "valid", question: question, author: author, body: "**Попробуйте** дыхание 4-7-8."},
		{name: "no question", author: author, body: "x", wantField: "question_id"},
		{name: "no author", question: question, body: "x", wantField: "author_user_id"},
		{name: "empty body", question: question, author: author, body: " ", wantField: "body_markdown"},
		{name: "body too long", question: question, author: author, body: strings.Repeat("a", models.AnswerBodyMaxChars+1), wantField: "body_markdown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := models.NewAnswer(tt.question, tt.author, tt.body, moderationT0.In(cabinetMSK))
			if tt.wantField != "" {
				cabinetAssertValidation(t, err, tt.wantField)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.ID.Version() != 7 || a.QuestionID != question || a.AuthorUserID != author || a.BodyMarkdown != tt.body || a.PublishedAt != nil {
				t.Errorf("answer = %+v", a)
			}
			if !a.CreatedAt.Equal(moderationT0) || a.CreatedAt.Location() != time.UTC || !a.UpdatedAt.Equal(moderationT0) {
				t.Errorf("CreatedAt %v, UpdatedAt %v", a.CreatedAt, a.UpdatedAt)
			}
		})
	}
}

func moderationAnswer(t *testing.T, published bool) *models.Answer {
	t.Helper()
	a, err := models.NewAnswer(models.NewID(), models.NewID(), "answer", moderationT0)
	if err != nil {
		t.Fatal(err)
	}
	if published {
		if err := a.Publish(moderationT0); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func TestAnswerMethods(t *testing.T) {
	t.Parallel()
	t1 := moderationT0.Add(time.Hour)
	tests := []struct {
		name      string
		published bool
		do        func(a *models.Answer) error
		wantErr   error // ErrInvalidTransition, or nil
		wantField string
		check     func(t *testing.T, a *models.Answer)
	}{
		{
			name: "edit", do: func(a *models.Answer) error { return a.Edit("new text", t1) },
			check: func(t *testing.T, a *models.Answer) {
				if a.BodyMarkdown != "new text" || !a.UpdatedAt.Equal(t1) {
					t.Errorf("answer = %+v", a)
				}
			},
		},
		{name: "edit to empty", do: func(a *models.Answer) error { return a.Edit("", t1) }, wantField: "body_markdown"},
		{
			name: "publish", do: func(a *models.Answer) error { return a.Publish(t1) },
			check: func(t *testing.T, a *models.Answer) {
				if a.PublishedAt == nil || !a.PublishedAt.Equal(t1) || !a.UpdatedAt.Equal(t1) {
					t.Errorf("PublishedAt %v, UpdatedAt %v", a.PublishedAt, a.UpdatedAt)
				}
			},
		},
		{name: "publish twice", published: true, do: func(a *models.Answer) error { return a.Publish(t1) }, wantErr: models.ErrInvalidTransition},
		{
			name: "unpublish", published: true, do: func(a *models.Answer) error { return a.Unpublish(t1) },
			check: func(t *testing.T, a *models.Answer) {
				if a.PublishedAt != nil || !a.UpdatedAt.Equal(t1) {
					t.Errorf("PublishedAt %v, UpdatedAt %v", a.PublishedAt, a.UpdatedAt)
				}
			},
		},
		{name: "unpublish unpublished", do: func(a *models.Answer) error { return a.Unpublish(t1) }, wantErr: models.ErrInvalidTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := moderationAnswer(t, tt.published)
			before := *a
			err := tt.do(a)
			switch {
			case tt.wantField != "":
				cabinetAssertValidation(t, err, tt.wantField)
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, a)
				return
			}
			if !reflect.DeepEqual(*a, before) {
				t.Errorf("failed call changed the answer:\n got %+v\nwant %+v", *a, before)
			}
		})
	}
}

func TestParseModerationKindAndStatus(t *testing.T) {
	t.Parallel()
	for _, k := range []models.ModerationKind{models.ModerationKindQuestion, models.ModerationKindAnswer, models.ModerationKindReview} {
		if got, err := models.ParseModerationKind(string(k)); err != nil || got != k {
			t.Errorf("ParseModerationKind(%q) = %q, %v", k, got, err)
		}
	}
	_, err := models.ParseModerationKind("comment")
	cabinetAssertValidation(t, err, "kind")
	for _, s := range []models.ModerationStatus{models.ModerationStatusPending, models.ModerationStatusApproved, models.ModerationStatusRejected, models.ModerationStatusPublished} {
		if got, err := models.ParseModerationStatus(string(s)); err != nil || got != s {
			t.Errorf("ParseModerationStatus(%q) = %q, %v", s, got, err)
		}
	}
	_, err = models.ParseModerationStatus("hidden")
	cabinetAssertValidation(t, err, "status")
}

func TestNewModerationItem(t *testing.T) {
	t.Parallel()
	subject := models.NewID()
	m, err := models.NewModerationItem(models.ModerationKindReview, subject, moderationT0.In(cabinetMSK))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID.Version() != 7 || m.Kind != models.ModerationKindReview || m.SubjectID != subject || m.Status != models.ModerationStatusPending || m.Version != 1 {
		t.Errorf("item = %+v", m)
	}
	if m.ModeratorID != nil || m.DecidedAt != nil || m.Reason != nil || len(m.Events()) != 0 {
		t.Errorf("new item carries a decision: %+v", m)
	}
	if !m.CreatedAt.Equal(moderationT0) || m.CreatedAt.Location() != time.UTC || !m.UpdatedAt.Equal(moderationT0) {
		t.Errorf("CreatedAt %v, UpdatedAt %v", m.CreatedAt, m.UpdatedAt)
	}

	_, err = models.NewModerationItem("comment", subject, moderationT0)
	cabinetAssertValidation(t, err, "kind")
	_, err = models.NewModerationItem(models.ModerationKindQuestion, uuid.Nil, moderationT0)
	cabinetAssertValidation(t, err, "subject_id")
}

// moderationItemIn returns a question's item brought to status through its methods, without events.
func moderationItemIn(t *testing.T, status models.ModerationStatus) *models.ModerationItem {
	t.Helper()
	m, err := models.NewModerationItem(models.ModerationKindQuestion, models.NewID(), moderationT0)
	if err != nil {
		t.Fatal(err)
	}
	mod := models.NewID()
	steps := map[models.ModerationStatus][]func() error{
		models.ModerationStatusApproved: {func() error { return m.Approve(mod, moderationT0) }},
		models.ModerationStatusRejected: {func() error { return m.Reject(mod, "spam", moderationT0) }},
		models.ModerationStatusPublished: {
			func() error { return m.Approve(mod, moderationT0) },
			func() error { return m.Publish(mod, moderationT0) },
		},
	}
	for _, step := range steps[status] {
		if err := step(); err != nil {
			t.Fatalf("bring item to %s: %v", status, err)
		}
	}
	m.ClearEvents()
	return m
}

func TestModerationItemTransitions(t *testing.T) {
	t.Parallel()
	t1 := moderationT0.Add(time.Hour)
	moderator := models.NewID()
	all := []models.ModerationStatus{models.ModerationStatusPending, models.ModerationStatusApproved, models.ModerationStatusRejected, models.ModerationStatusPublished}
	actions := []struct {
		name   string
		to     models.ModerationStatus
		legal  []models.ModerationStatus
		do     func(m *models.ModerationItem) error
		reason *string
	}{
		{name: "approve", to: models.ModerationStatusApproved, legal: []models.ModerationStatus{models.ModerationStatusPending},
			do: func(m *models.ModerationItem) error { return m.Approve(moderator, t1) }},
		{name: "publish", to: models.ModerationStatusPublished, legal: []models.ModerationStatus{models.ModerationStatusApproved},
			do: func(m *models.ModerationItem) error { return m.Publish(moderator, t1) }},
		{name: "reject", to: models.ModerationStatusRejected,
			legal:  []models.ModerationStatus{models.ModerationStatusPending, models.ModerationStatusApproved, models.ModerationStatusPublished},
			do:     func(m *models.ModerationItem) error { return m.Reject(moderator, " contains a phone number ", t1) },
			reason: cabinetPtr("contains a phone number")},
	}
	for _, a := range actions {
		for _, from := range all {
			t.Run(a.name+" from "+string(from), func(t *testing.T) {
				m := moderationItemIn(t, from)
				before := *m
				err := a.do(m)
				legal := false
				for _, l := range a.legal {
					legal = legal || l == from
				}
				if !legal {
					if !errors.Is(err, models.ErrInvalidTransition) {
						t.Fatalf("err = %v, want ErrInvalidTransition", err)
					}
					if !reflect.DeepEqual(*m, before) {
						t.Errorf("illegal %s changed the item:\n got %+v\nwant %+v", a.name, *m, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", a.name, err)
				}
				if m.Status != a.to || m.ModeratorID == nil || *m.ModeratorID != moderator || m.DecidedAt == nil || !m.DecidedAt.Equal(t1) || !m.UpdatedAt.Equal(t1) {
					t.Errorf("item = %+v", m)
				}
				if !reflect.DeepEqual(m.Reason, a.reason) {
					t.Errorf("Reason = %v, want %v", m.Reason, a.reason)
				}
				if m.Version != before.Version {
					t.Errorf("version = %d, want %d (the store bumps it)", m.Version, before.Version)
				}
				events := m.Events()
				if len(events) != 1 {
					t.Fatalf("events = %+v", events)
				}
				want := models.ModerationDecided{
					EventMeta: events[0].(models.ModerationDecided).EventMeta,
					Kind:      m.Kind, SubjectID: m.SubjectID, From: from, To: a.to, ModeratorID: moderator,
				}
				if events[0] != want || events[0].EventName() != "moderation.decided" || events[0].AggregateID() != m.ID || !events[0].OccurredAt().Equal(t1) {
					t.Errorf("event = %+v, want %+v", events[0], want)
				}
			})
		}
	}
}

func TestModerationItemRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		do    func(m *models.ModerationItem) error
		field string
	}{
		{"reject without a reason", func(m *models.ModerationItem) error { return m.Reject(models.NewID(), "  ", moderationT0) }, "reason"},
		{"reason too long", func(m *models.ModerationItem) error {
			return m.Reject(models.NewID(), strings.Repeat("r", models.ModerationReasonMaxChars+1), moderationT0)
		}, "reason"},
		{"approve without a moderator", func(m *models.ModerationItem) error { return m.Approve(uuid.Nil, moderationT0) }, "moderator_id"},
		{"reject without a moderator", func(m *models.ModerationItem) error { return m.Reject(uuid.Nil, "spam", moderationT0) }, "moderator_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := moderationItemIn(t, models.ModerationStatusPending)
			before := *m
			cabinetAssertValidation(t, tt.do(m), tt.field)
			if !reflect.DeepEqual(*m, before) {
				t.Errorf("rejected input changed the item")
			}
		})
	}
}
