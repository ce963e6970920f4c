package repository_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

const moderationSecret = "Я боюсь, что муж узнает о моей депрессии."

func moderationNewQuestion(t *testing.T, userID *uuid.UUID, now time.Time) *models.Question {
	t.Helper()
	q, err := models.NewQuestion(userID, moderationSecret, "Client@Example.org", "anxiety", true, now)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func moderationCreateQuestion(t *testing.T, db *repository.DB, userID *uuid.UUID, now time.Time) *models.Question {
	t.Helper()
	q := moderationNewQuestion(t, userID, now)
	if err := repository.NewQuestions(db).Create(context.Background(), q); err != nil {
		t.Fatalf("create question: %v", err)
	}
	return q
}

func moderationCreateAnswer(t *testing.T, db *repository.DB, questionID, authorID uuid.UUID, published bool, now time.Time) *models.Answer {
	t.Helper()
	a, err := models.NewAnswer(questionID, authorID, "Ответ от "+now.Format(time.TimeOnly), now)
	if err != nil {
		t.Fatal(err)
	}
	if published {
		if err := a.Publish(now); err != nil {
			t.Fatal(err)
		}
	}
	if err := repository.NewAnswers(db).Create(context.Background(), a); err != nil {
		t.Fatalf("create answer: %v", err)
	}
	return a
}

// moderationCreateItem queues subjectID and brings its item to status.
func moderationCreateItem(t *testing.T, db *repository.DB, kind models.ModerationKind, subjectID uuid.UUID, status models.ModerationStatus, moderatorID uuid.UUID, now time.Time) *models.ModerationItem {
	t.Helper()
	m, err := models.NewModerationItem(kind, subjectID, now)
	if err != nil {
		t.Fatal(err)
	}
	var steps []func() error
	switch status {
	case models.ModerationStatusApproved:
		steps = []func() error{func() error { return m.Approve(moderatorID, now) }}
	case models.ModerationStatusRejected:
		steps = []func() error{func() error { return m.Reject(moderatorID, "personal data", now) }}
	case models.ModerationStatusPublished:
		steps = []func() error{func() error { return m.Approve(moderatorID, now) }, func() error { return m.Publish(moderatorID, now) }}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := repository.NewModerationItems(db).Create(context.Background(), m); err != nil {
		t.Fatalf("create moderation item: %v", err)
	}
	return m
}

func moderationAssertAnswer(t *testing.T, got, want *models.Answer) {
	t.Helper()
	if got.ID != want.ID || got.QuestionID != want.QuestionID || got.AuthorUserID != want.AuthorUserID || got.BodyMarkdown != want.BodyMarkdown {
		t.Errorf("answer = %+v, want %+v", got, want)
	}
	assertUTCPtr(t, "answer PublishedAt", got.PublishedAt, want.PublishedAt)
	assertUTC(t, "answer CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "answer UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func moderationAssertQuestion(t *testing.T, got, want *models.Question) {
	t.Helper()
	if got.ID != want.ID || got.Text != want.Text || got.CrisisFlag != want.CrisisFlag {
		t.Errorf("question = %s %q crisis %v, want %s %q crisis %v", got.ID, got.Text, got.CrisisFlag, want.ID, want.Text, want.CrisisFlag)
	}
	eqPtr(t, "UserID", got.UserID, want.UserID)
	eqPtr(t, "PublicText", got.PublicText, want.PublicText)
	eqPtr(t, "ContactEmail", got.ContactEmail, want.ContactEmail)
	eqPtr(t, "TopicCode", got.TopicCode, want.TopicCode)
	assertUTC(t, "SubmittedAt", got.SubmittedAt, want.SubmittedAt)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if len(got.Answers) != len(want.Answers) {
		t.Fatalf("answers = %d, want %d", len(got.Answers), len(want.Answers))
	}
	for i := range want.Answers {
		moderationAssertAnswer(t, &got.Answers[i], &want.Answers[i])
	}
}

func moderationQuestionIDs(qs []models.Question) []uuid.UUID {
	var out []uuid.UUID
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

func TestQuestionsRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		questions := repository.NewQuestions(db)
		author := createStaff(t, db, t0)
		client := createStaff(t, db, t0)
		tests := []struct {
			name     string
			question func() *models.Question
		}{
			{"every field", func() *models.Question {
				q := moderationNewQuestion(t, &client.ID, at)
				if err := q.SetPublicText("Как рассказать близким о депрессии?", at); err != nil {
					t.Fatal(err)
				}
				q.SubmittedAt, q.CreatedAt, q.UpdatedAt = at, at.Add(time.Second), at.Add(time.Hour)
				return q
			}},
			{"anonymous, nothing optional", func() *models.Question {
				q, err := models.NewQuestion(nil, moderationSecret, "", "", false, at)
				if err != nil {
					t.Fatal(err)
				}
				return q
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.question()
				if err := questions.Create(ctx, q); err != nil {
					t.Fatalf("Create: %v", err)
				}
				// Answers are listed oldest first, published or not.
				a2 := moderationCreateAnswer(t, db, q.ID, author.ID, false, at.Add(2*time.Hour))
				a1 := moderationCreateAnswer(t, db, q.ID, author.ID, true, at.Add(time.Hour))
				q.Answers = []models.Answer{*a1, *a2}
				got, err := questions.ByID(ctx, q.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				moderationAssertQuestion(t, got, q)
				cabinetAssertToken(t, "questions.text", cabinetRaw(t, db, "questions", "text", q.ID), moderationSecret, "депресси")
				if q.PublicText != nil && cabinetRaw(t, db, "questions", "public_text", q.ID) != *q.PublicText {
					t.Error("public_text is not stored as plain text")
				}
			})
		}
		if _, err := questions.ByID(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown id: err = %v, want ErrNotFound", err)
		}
	})
}

func TestQuestionsUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	errBoom := errors.New("boom")
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		questions := repository.NewQuestions(db)
		author := createStaff(t, db, t0)
		tests := []struct {
			name    string
			change  func(q *models.Question) error
			wantErr bool
		}{
			{name: "set public text", change: func(q *models.Question) error {
				// Changing the loaded answers does not save them: answers have their own store.
				q.Answers[0].BodyMarkdown = "changed through the question"
				return q.SetPublicText("Анонимный вопрос о тревоге", t1)
			}},
			{name: "callback error", wantErr: true, change: func(q *models.Question) error {
				_ = q.SetPublicText("half-done", t1)
				return errBoom
			}},
			{name: "invalid public text", wantErr: true, change: func(q *models.Question) error { return q.SetPublicText("", t1) }},
			{name: "database rejects the change", wantErr: true, change: func(q *models.Question) error {
				_ = q.SetPublicText("Анонимный вопрос", t1)
				q.UserID = ptr(models.NewID())
				return nil
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := moderationCreateQuestion(t, db, nil, t0)
				a := moderationCreateAnswer(t, db, q.ID, author.ID, false, t0)
				q.Answers = []models.Answer{*a}
				err := questions.Update(ctx, q.ID, tt.change)
				got, gerr := questions.ByID(ctx, q.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if tt.wantErr {
					if err == nil {
						t.Fatal("Update succeeded")
					}
					moderationAssertQuestion(t, got, q)
					return
				}
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				want := *q
				want.PublicText, want.UpdatedAt = ptr("Анонимный вопрос о тревоге"), t1
				moderationAssertQuestion(t, got, &want)
			})
		}
		if err := questions.Update(ctx, models.NewID(), func(*models.Question) error { return nil }); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown id: err = %v, want ErrNotFound", err)
		}
	})
}

// The public list shows questions whose moderation item is published, newest first, each with its
// published answers only.
func TestQuestionsListPublished(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		questions := repository.NewQuestions(db)
		mod := createStaff(t, db, t0)
		var published []*models.Question
		for i, status := range []models.ModerationStatus{
			models.ModerationStatusPublished, models.ModerationStatusPending, models.ModerationStatusPublished,
			models.ModerationStatusApproved, models.ModerationStatusRejected, models.ModerationStatusPublished,
		} {
			q := moderationCreateQuestion(t, db, nil, t0.Add(time.Duration(i)*time.Hour))
			moderationCreateItem(t, db, models.ModerationKindQuestion, q.ID, status, mod.ID, t0)
			if status == models.ModerationStatusPublished {
				published = append(published, q)
			}
		}
		// A published item of another kind about an unqueued question does not publish it.
		hidden := moderationCreateQuestion(t, db, nil, t0.Add(10*time.Hour))
		moderationCreateItem(t, db, models.ModerationKindAnswer, hidden.ID, models.ModerationStatusPublished, mod.ID, t0)

		newest := published[2]
		pub := moderationCreateAnswer(t, db, newest.ID, mod.ID, true, t0.Add(time.Hour))
		moderationCreateAnswer(t, db, newest.ID, mod.ID, false, t0.Add(2*time.Hour))

		want := []uuid.UUID{published[2].ID, published[1].ID, published[0].ID}
		tests := []struct {
			name string
			page repository.Page
			want []uuid.UUID
		}{
			{"all", repository.Page{}, want},
			{"first page", repository.Page{Limit: 2}, want[:2]},
			{"second page", repository.Page{Limit: 2, Offset: 2}, want[2:]},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := questions.ListPublished(ctx, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if ids := moderationQuestionIDs(got); !slices.Equal(ids, tt.want) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
			})
		}
		got, err := questions.ListPublished(ctx, repository.Page{Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("ListPublished = %v, %v", got, err)
		}
		if len(got[0].Answers) != 1 {
			t.Fatalf("answers = %+v, want only the published one", got[0].Answers)
		}
		moderationAssertAnswer(t, &got[0].Answers[0], pub)
	})
}

// Lists load answers in a constant number of queries, however many questions they hold.
func TestQuestionsListsQueryCount(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		questions := repository.NewQuestions(db)
		mod := createStaff(t, db, t0)
		// Two users: one with 1 question, one with 20, each question published and answered twice.
		small, large := createStaff(t, db, t0), createStaff(t, db, t0)
		var smallIDs, largeIDs []uuid.UUID
		for i := range 21 {
			user := &large.ID
			if i == 0 {
				user = &small.ID
			}
			q := moderationCreateQuestion(t, db, user, t0.Add(time.Duration(i)*time.Minute))
			moderationCreateItem(t, db, models.ModerationKindQuestion, q.ID, models.ModerationStatusPublished, mod.ID, t0)
			moderationCreateAnswer(t, db, q.ID, mod.ID, true, t0)
			moderationCreateAnswer(t, db, q.ID, mod.ID, true, t0.Add(time.Second))
			if i == 0 {
				smallIDs = append(smallIDs, q.ID)
			} else {
				largeIDs = append(largeIDs, q.ID)
			}
		}
		counter := testkit.CountQueries(t, db.Gorm)
		tests := []struct {
			name      string
			one, many func() ([]models.Question, error)
		}{
			{"ListPublished",
				func() ([]models.Question, error) { return questions.ListPublished(ctx, repository.Page{Limit: 1}) },
				func() ([]models.Question, error) { return questions.ListPublished(ctx, repository.Page{Limit: 20}) }},
			{"ListByUser",
				func() ([]models.Question, error) { return questions.ListByUser(ctx, small.ID, repository.Page{}) },
				func() ([]models.Question, error) { return questions.ListByUser(ctx, large.ID, repository.Page{}) }},
			{"ByIDs",
				func() ([]models.Question, error) { return questions.ByIDs(ctx, smallIDs) },
				func() ([]models.Question, error) { return questions.ByIDs(ctx, largeIDs) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				counter.Reset()
				one, err := tt.one()
				if err != nil || len(one) != 1 {
					t.Fatalf("one = %d questions, %v", len(one), err)
				}
				n1 := counter.N()
				counter.Reset()
				twenty, err := tt.many()
				if err != nil || len(twenty) != 20 {
					t.Fatalf("twenty = %d questions, %v", len(twenty), err)
				}
				n20 := counter.N()
				if n1 != n20 || n1 == 0 {
					t.Errorf("queries: %d for 1 question, %d for 20; want the same", n1, n20)
				}
				for _, q := range twenty {
					if len(q.Answers) != 2 {
						t.Errorf("question %s has %d answers loaded, want 2", q.ID, len(q.Answers))
					}
				}
			})
		}
	})
}

func TestQuestionsListByUserAndByIDs(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		questions := repository.NewQuestions(db)
		user, other := createStaff(t, db, t0), createStaff(t, db, t0)
		q1 := moderationCreateQuestion(t, db, &user.ID, t0)
		q2 := moderationCreateQuestion(t, db, &user.ID, t0.Add(time.Hour))
		q3 := moderationCreateQuestion(t, db, &user.ID, t0.Add(2*time.Hour))
		qo := moderationCreateQuestion(t, db, &other.ID, t0.Add(3*time.Hour))

		tests := []struct {
			name string
			list func() ([]models.Question, error)
			want []uuid.UUID
		}{
			{"by user, newest first", func() ([]models.Question, error) { return questions.ListByUser(ctx, user.ID, repository.Page{}) }, []uuid.UUID{q3.ID, q2.ID, q1.ID}},
			{"by user, second page", func() ([]models.Question, error) {
				return questions.ListByUser(ctx, user.ID, repository.Page{Limit: 2, Offset: 2})
			}, []uuid.UUID{q1.ID}},
			{"by ids, oldest first, unknown ids skipped", func() ([]models.Question, error) {
				return questions.ByIDs(ctx, []uuid.UUID{qo.ID, models.NewID(), q1.ID})
			}, []uuid.UUID{q1.ID, qo.ID}},
			{"by no ids", func() ([]models.Question, error) { return questions.ByIDs(ctx, nil) }, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tt.list()
				if err != nil {
					t.Fatal(err)
				}
				if ids := moderationQuestionIDs(got); !slices.Equal(ids, tt.want) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
			})
		}
	})
}

func TestModerationReferences(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		questions := repository.NewQuestions(db)
		answers := repository.NewAnswers(db)
		client, author, moderator := createStaff(t, db, t0), createStaff(t, db, t0), createStaff(t, db, t0)

		// Unknown references.
		assertConstraint(t, questions.Create(ctx, moderationNewQuestion(t, ptr(models.NewID()), t0)), models.ErrInvalidReference, "")
		q := moderationCreateQuestion(t, db, &client.ID, t0)
		orphan, _ := models.NewAnswer(models.NewID(), author.ID, "text", t0)
		assertConstraint(t, answers.Create(ctx, orphan), models.ErrInvalidReference, "")
		noAuthor, _ := models.NewAnswer(q.ID, models.NewID(), "text", t0)
		assertConstraint(t, answers.Create(ctx, noAuthor), models.ErrInvalidReference, "")
		dup := moderationNewQuestion(t, nil, t0)
		dup.ID = q.ID
		assertConstraint(t, questions.Create(ctx, dup), models.ErrConflict, "")

		a := moderationCreateAnswer(t, db, q.ID, author.ID, true, t0)
		item := moderationCreateItem(t, db, models.ModerationKindQuestion, q.ID, models.ModerationStatusApproved, moderator.ID, t0)

		// The client leaves: the question stays, anonymous.
		if err := cabinetDeleteUser(t, db, client.ID); err != nil {
			t.Fatal(err)
		}
		got, err := questions.ByID(ctx, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != nil || got.Text != moderationSecret {
			t.Errorf("after the client was deleted: user %v, text kept %v", got.UserID, got.Text == moderationSecret)
		}
		// The moderator leaves: the decision stays, without its author.
		if err := cabinetDeleteUser(t, db, moderator.ID); err != nil {
			t.Fatal(err)
		}
		gotItem, err := repository.NewModerationItems(db).ByID(ctx, item.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gotItem.ModeratorID != nil || gotItem.Status != models.ModerationStatusApproved {
			t.Errorf("after the moderator was deleted: %+v", gotItem)
		}
		// An answer's author may not be deleted under it.
		if err := cabinetDeleteUser(t, db, author.ID); err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Errorf("deleting an author: err = %v, want a foreign key violation", err)
		}
		if _, err := answers.ByID(ctx, a.ID); err != nil {
			t.Errorf("answer lost: %v", err)
		}
		// Deleting the question deletes its answers.
		if err := db.Gorm.Exec("DELETE FROM questions WHERE id = ?", q.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := answers.ByID(ctx, a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("answer outlived its question: err = %v", err)
		}
	})
}

func TestAnswersUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	tests := []struct {
		name      string
		published bool
		change    func(a *models.Answer) error
		wantErr   error
		check     func(t *testing.T, got *models.Answer)
	}{
		{name: "edit", change: func(a *models.Answer) error { return a.Edit("**Новый** ответ", t1) }, check: func(t *testing.T, got *models.Answer) {
			if got.BodyMarkdown != "**Новый** ответ" {
				t.Errorf("body = %q", got.BodyMarkdown)
			}
			assertUTC(t, "UpdatedAt", got.UpdatedAt, t1)
		}},
		{name: "publish", change: func(a *models.Answer) error { return a.Publish(t1) }, check: func(t *testing.T, got *models.Answer) {
			assertUTCPtr(t, "PublishedAt", got.PublishedAt, &t1)
		}},
		{name: "unpublish", published: true, change: func(a *models.Answer) error { return a.Unpublish(t1) }, check: func(t *testing.T, got *models.Answer) {
			assertUTCPtr(t, "PublishedAt", got.PublishedAt, nil)
		}},
		{name: "publish twice", published: true, change: func(a *models.Answer) error { return a.Publish(t1) }, wantErr: models.ErrInvalidTransition},
		{name: "database rejects the change", wantErr: models.ErrInvalidReference, change: func(a *models.Answer) error {
			_ = a.Edit("moved", t1)
			a.AuthorUserID = models.NewID()
			return nil
		}},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		answers := repository.NewAnswers(db)
		author := createStaff(t, db, t0)
		q := moderationCreateQuestion(t, db, nil, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := moderationCreateAnswer(t, db, q.ID, author.ID, tt.published, t0)
				err := answers.Update(ctx, a.ID, tt.change)
				got, gerr := answers.ByID(ctx, a.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					moderationAssertAnswer(t, got, a)
					return
				}
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				tt.check(t, got)
			})
		}
		if err := answers.Update(ctx, models.NewID(), func(*models.Answer) error { return nil }); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown id: err = %v, want ErrNotFound", err)
		}
	})
}

func moderationAssertItem(t *testing.T, got, want *models.ModerationItem) {
	t.Helper()
	if got.ID != want.ID || got.Kind != want.Kind || got.SubjectID != want.SubjectID || got.Status != want.Status || got.Version != want.Version {
		t.Errorf("item = %s %s/%s %s v%d, want %s %s/%s %s v%d", got.ID, got.Kind, got.SubjectID, got.Status, got.Version,
			want.ID, want.Kind, want.SubjectID, want.Status, want.Version)
	}
	eqPtr(t, "ModeratorID", got.ModeratorID, want.ModeratorID)
	eqPtr(t, "Reason", got.Reason, want.Reason)
	assertUTCPtr(t, "DecidedAt", got.DecidedAt, want.DecidedAt)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func TestModerationItemsRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewModerationItems(db)
		mod := createStaff(t, db, t0)
		for _, status := range []models.ModerationStatus{models.ModerationStatusPending, models.ModerationStatusApproved, models.ModerationStatusRejected, models.ModerationStatusPublished} {
			t.Run(string(status), func(t *testing.T) {
				m := moderationCreateItem(t, db, models.ModerationKindReview, models.NewID(), status, mod.ID, at)
				got, err := items.ByID(ctx, m.ID)
				if err != nil {
					t.Fatalf("ByID: %v", err)
				}
				moderationAssertItem(t, got, m)
				got, err = items.BySubject(ctx, models.ModerationKindReview, m.SubjectID)
				if err != nil {
					t.Fatalf("BySubject: %v", err)
				}
				moderationAssertItem(t, got, m)
			})
		}
		for name, call := range map[string]func() error{
			"ByID": func() error { _, err := items.ByID(ctx, models.NewID()); return err },
			"BySubject unknown": func() error {
				_, err := items.BySubject(ctx, models.ModerationKindQuestion, models.NewID())
				return err
			},
			"Update unknown": func() error {
				return items.Update(ctx, models.NewID(), func(*models.ModerationItem) error { return nil })
			},
			"BySubject of the wrong kind": func() error {
				m := moderationCreateItem(t, db, models.ModerationKindAnswer, models.NewID(), models.ModerationStatusPending, mod.ID, at)
				_, err := items.BySubject(ctx, models.ModerationKindQuestion, m.SubjectID)
				return err
			},
		} {
			if err := call(); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestModerationItemsOnePerSubject(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewModerationItems(db)
		subject := models.NewID()
		moderationCreateItem(t, db, models.ModerationKindQuestion, subject, models.ModerationStatusPending, uuid.Nil, t0)
		again, _ := models.NewModerationItem(models.ModerationKindQuestion, subject, t0)
		assertConstraint(t, items.Create(ctx, again), models.ErrConflict, byDialect(db, "moderation_items_subject_key", "moderation_items.kind, moderation_items.subject_id"))
		// The same id under another kind is another subject.
		other, _ := models.NewModerationItem(models.ModerationKindReview, subject, t0)
		if err := items.Create(ctx, other); err != nil {
			t.Errorf("same subject id, other kind: %v", err)
		}
		// A moderator that does not exist is refused.
		bad, _ := models.NewModerationItem(models.ModerationKindAnswer, subject, t0)
		_ = bad.Approve(models.NewID(), t0)
		assertConstraint(t, items.Create(ctx, bad), models.ErrInvalidReference, "")
	})
}

func TestModerationItemsUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewModerationItems(db)
		mod := createStaff(t, db, t0)
		tests := []struct {
			name    string
			from    models.ModerationStatus
			change  func(m *models.ModerationItem) error
			wantErr error
			want    models.ModerationStatus
		}{
			{name: "approve", from: models.ModerationStatusPending, change: func(m *models.ModerationItem) error { return m.Approve(mod.ID, t1) }, want: models.ModerationStatusApproved},
			{name: "publish", from: models.ModerationStatusApproved, change: func(m *models.ModerationItem) error { return m.Publish(mod.ID, t1) }, want: models.ModerationStatusPublished},
			{name: "take down", from: models.ModerationStatusPublished, change: func(m *models.ModerationItem) error { return m.Reject(mod.ID, "complaint", t1) }, want: models.ModerationStatusRejected},
			{name: "publish pending", from: models.ModerationStatusPending, change: func(m *models.ModerationItem) error { return m.Publish(mod.ID, t1) }, wantErr: models.ErrInvalidTransition},
			{name: "approve rejected", from: models.ModerationStatusRejected, change: func(m *models.ModerationItem) error { return m.Approve(mod.ID, t1) }, wantErr: models.ErrInvalidTransition},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m := moderationCreateItem(t, db, models.ModerationKindQuestion, models.NewID(), tt.from, mod.ID, t0)
				var changed models.ModerationItem
				err := items.Update(ctx, m.ID, func(m *models.ModerationItem) error {
					err := tt.change(m)
					changed = *m
					return err
				})
				got, gerr := items.ByID(ctx, m.ID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					moderationAssertItem(t, got, m)
					return
				}
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				changed.Version = m.Version + 1
				moderationAssertItem(t, got, &changed)
				if got.Status != tt.want {
					t.Errorf("status = %s, want %s", got.Status, tt.want)
				}
			})
		}
	})
}

// Two moderators decide on the same item from the same page: the second decision conflicts.
func TestModerationItemsOptimisticLocking(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewModerationItems(db)
		alice, bob := createStaff(t, db, t0), createStaff(t, db, t0)
		m := moderationCreateItem(t, db, models.ModerationKindQuestion, models.NewID(), models.ModerationStatusPending, uuid.Nil, t0)
		a, err := items.ByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := items.ByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Approve(alice.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := items.Save(ctx, a); err != nil {
			t.Fatalf("first decision: %v", err)
		}
		if err := b.Reject(bob.ID, "spam", t0); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, items.Save(ctx, b), models.ErrConflict, "version")
		if b.Version != m.Version {
			t.Errorf("stale version after the conflict = %d, want %d", b.Version, m.Version)
		}
		got, err := items.ByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		moderationAssertItem(t, got, a)
	})
}

// The CHECK constraints refuse states the methods never produce.
func TestModerationItemsCheckConstraints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		corrupt func(m *models.ModerationItem)
	}{
		{"unknown kind", func(m *models.ModerationItem) { m.Kind = "comment" }},
		{"unknown status", func(m *models.ModerationItem) { m.Status = "hidden" }},
		{"rejected without a reason", func(m *models.ModerationItem) { m.Status, m.DecidedAt = models.ModerationStatusRejected, &t0 }},
		{"decided without a time", func(m *models.ModerationItem) { m.Status = models.ModerationStatusApproved }},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		items := repository.NewModerationItems(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m, _ := models.NewModerationItem(models.ModerationKindQuestion, models.NewID(), t0)
				tt.corrupt(m)
				if err := items.Create(context.Background(), m); err == nil {
					t.Error("Create accepted an impossible state")
				}
			})
		}
	})
}

func TestModerationItemsListByStatus(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		items := repository.NewModerationItems(db)
		mod := createStaff(t, db, t0)
		var pending []uuid.UUID
		for i := range 5 {
			// Queued newest first, to show the list orders by time, not by insertion.
			at := t0.Add(time.Duration(5-i) * time.Minute)
			m := moderationCreateItem(t, db, models.ModerationKindQuestion, models.NewID(), models.ModerationStatusPending, mod.ID, at)
			pending = append([]uuid.UUID{m.ID}, pending...)
		}
		approved := moderationCreateItem(t, db, models.ModerationKindAnswer, models.NewID(), models.ModerationStatusApproved, mod.ID, t0)
		tests := []struct {
			name   string
			status models.ModerationStatus
			page   repository.Page
			want   []uuid.UUID
		}{
			{"pending, oldest first", models.ModerationStatusPending, repository.Page{}, pending},
			{"pending, first page", models.ModerationStatusPending, repository.Page{Limit: 2}, pending[:2]},
			{"pending, last page", models.ModerationStatusPending, repository.Page{Limit: 2, Offset: 4}, pending[4:]},
			{"approved", models.ModerationStatusApproved, repository.Page{}, []uuid.UUID{approved.ID}},
			{"published: none", models.ModerationStatusPublished, repository.Page{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := items.ListByStatus(ctx, tt.status, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				var ids []uuid.UUID
				for _, m := range got {
					ids = append(ids, m.ID)
				}
				if !slices.Equal(ids, tt.want) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
			})
		}
	})
}

// Every moderation store method reports a failing database as an error with context.
func TestModerationStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		questions, answers, items := repository.NewQuestions(db), repository.NewAnswers(db), repository.NewModerationItems(db)
		author := createStaff(t, db, t0)
		q := moderationCreateQuestion(t, db, nil, t0)
		a := moderationCreateAnswer(t, db, q.ID, author.ID, false, t0)
		m := moderationCreateItem(t, db, models.ModerationKindQuestion, q.ID, models.ModerationStatusPending, uuid.Nil, t0)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			call    func() error
			context string
		}{
			{"Questions.Create", func() error { return questions.Create(ctx, moderationNewQuestion(t, nil, t0)) }, "create question"},
			{"Questions.ByID", func() error { _, err := questions.ByID(ctx, q.ID); return err }, "question"},
			{"Questions.ByIDs", func() error { _, err := questions.ByIDs(ctx, []uuid.UUID{q.ID}); return err }, "questions by id"},
			{"Questions.ListByUser", func() error { _, err := questions.ListByUser(ctx, author.ID, repository.Page{}); return err }, "list questions of user"},
			{"Questions.ListPublished", func() error { _, err := questions.ListPublished(ctx, repository.Page{}); return err }, "list published questions"},
			{"Questions.Update", func() error { return questions.Update(ctx, q.ID, func(*models.Question) error { return nil }) }, ""},
			{"Answers.Create", func() error {
				a, _ := models.NewAnswer(q.ID, author.ID, "x", t0)
				return answers.Create(ctx, a)
			}, "create answer"},
			{"Answers.ByID", func() error { _, err := answers.ByID(ctx, a.ID); return err }, "answer"},
			{"Answers.Update", func() error { return answers.Update(ctx, a.ID, func(*models.Answer) error { return nil }) }, ""},
			{"ModerationItems.Create", func() error {
				m, _ := models.NewModerationItem(models.ModerationKindReview, models.NewID(), t0)
				return items.Create(ctx, m)
			}, "create moderation item"},
			{"ModerationItems.ByID", func() error { _, err := items.ByID(ctx, m.ID); return err }, "moderation item"},
			{"ModerationItems.BySubject", func() error { _, err := items.BySubject(ctx, m.Kind, m.SubjectID); return err }, "moderation item of question"},
			{"ModerationItems.ListByStatus", func() error {
				_, err := items.ListByStatus(ctx, models.ModerationStatusPending, repository.Page{})
				return err
			}, "list pending moderation items"},
			{"ModerationItems.Update", func() error { return items.Update(ctx, m.ID, func(*models.ModerationItem) error { return nil }) }, ""},
			{"ModerationItems.Save", func() error { return items.Save(ctx, m) }, "save moderation item"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if err == nil || errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want a database error", err)
				}
				if !strings.Contains(err.Error(), tt.context) {
					t.Errorf("err = %v, want it to mention %q", err, tt.context)
				}
			})
		}
	})
}
