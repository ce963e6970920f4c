package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// moderationText reads a required text field of an action and checks its length, with messages
// in Russian for the moderator (the model checks again, in its own words, as a backstop).
func moderationText(in *Input, name string, maxChars int) string {
	in.Require(name)
	s := strings.TrimSpace(in.String(name))
	switch n := utf8.RuneCountInString(s); {
	case in.Has(name) && n == 0:
		in.fail(name, "обязательное поле")
	case n > maxChars:
		in.fail(name, fmt.Sprintf("не длиннее %d символов", maxChars))
	}
	return s
}

// moderate is approve or publish: one decision of the actor's on a moderation item, refused when
// the item changed since the moderator saw it (the body's version).
func moderate(decide func(*models.ModerationItem, uuid.UUID, time.Time) error) func(context.Context, *Call, uuid.UUID) error {
	return func(ctx context.Context, c *Call, id uuid.UUID) error {
		return repository.NewModerationItems(c.DB).Update(ctx, id, func(m *models.ModerationItem) error {
			if err := c.In.CheckVersion(m.Version); err != nil {
				return err
			}
			return decide(m, c.Actor.UserID, c.Now)
		})
	}
}

// publishItem publishes an approved item. A question goes public in the moderator's anonymised
// wording, never the client's own: without a public text it is refused.
func publishItem(ctx context.Context, c *Call, id uuid.UUID) error {
	return repository.NewModerationItems(c.DB).Update(ctx, id, func(m *models.ModerationItem) error {
		if err := c.In.CheckVersion(m.Version); err != nil {
			return err
		}
		if m.Kind == models.ModerationKindQuestion {
			// Only the public text is read: the question's own text (P2) stays encrypted.
			q, err := c.DB.RecordByID(ctx, &models.Question{}, []string{"public_text"}, m.SubjectID)
			if errors.Is(err, models.ErrNotFound) {
				return fmt.Errorf("publish moderation item %s: its question %s is gone: %w", id, m.SubjectID, models.ErrConflict)
			}
			if err != nil {
				return err
			}
			if q["public_text"] == nil {
				return &models.ValidationError{Field: "public_text", Message: "сначала задайте вопросу текст для публикации"}
			}
		}
		return m.Publish(c.Actor.UserID, c.Now)
	})
}

// rejectItem refuses an item (or takes a published one down) for the reason the moderator gives.
func rejectItem(ctx context.Context, c *Call, id uuid.UUID) error {
	reason := moderationText(c.In, "reason", models.ModerationReasonMaxChars)
	if err := c.In.Err(); err != nil {
		return err
	}
	return moderate(func(m *models.ModerationItem, by uuid.UUID, now time.Time) error {
		return m.Reject(by, reason, now)
	})(ctx, c, id)
}

// setPublicText stores the moderator's anonymised wording of a question.
func setPublicText(ctx context.Context, c *Call, id uuid.UUID) error {
	text := moderationText(c.In, "public_text", models.QuestionTextMaxChars)
	if err := c.In.Err(); err != nil {
		return err
	}
	return repository.NewQuestions(c.DB).Update(ctx, id, func(q *models.Question) error {
		return q.SetPublicText(text, c.Now)
	})
}

// answerQuestion adds an unpublished answer by the actor to a question.
func answerQuestion(ctx context.Context, c *Call, id uuid.UUID) error {
	body := moderationText(c.In, "body_markdown", models.AnswerBodyMaxChars)
	if err := c.In.Err(); err != nil {
		return err
	}
	if _, err := c.DB.RecordByID(ctx, &models.Question{}, []string{"id"}, id); err != nil {
		return err // an unknown question: 404
	}
	a, err := models.NewAnswer(id, c.Actor.UserID, body, c.Now)
	if err != nil {
		return err
	}
	return repository.NewAnswers(c.DB).Create(ctx, a)
}

// answerChange is an answer's publish or unpublish.
func answerChange(change func(*models.Answer, time.Time) error) func(context.Context, *Call, uuid.UUID) error {
	return func(ctx context.Context, c *Call, id uuid.UUID) error {
		return repository.NewAnswers(c.DB).Update(ctx, id, func(a *models.Answer) error { return change(a, c.Now) })
	}
}

// answerWriter edits an answer's text. Answers are created through their question's answer
// action (authored by the actor) and never deleted: they are unpublished.
type answerWriter struct{}

func (answerWriter) Create(context.Context, *Call) (uuid.UUID, error) {
	return uuid.Nil, models.ErrForbidden
}

func (answerWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	edit := c.In.Has("body_markdown")
	var body string
	if edit {
		body = moderationText(c.In, "body_markdown", models.AnswerBodyMaxChars)
	}
	if err := c.In.Err(); err != nil {
		return err
	}
	return repository.NewAnswers(c.DB).Update(ctx, id, func(a *models.Answer) error {
		if !edit {
			return nil
		}
		return a.Edit(body, c.Now)
	})
}

func (answerWriter) Delete(context.Context, *Call, uuid.UUID) error { return models.ErrForbidden }
