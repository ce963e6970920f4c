package questions_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"balance/events"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/questions"
	"balance/service/questions/crisis"
)

// failingQueue refuses every new moderation item, after the question was inserted.
type failingQueue struct{ questions.ModerationQueue }

var errQueueDown = errors.New("queue down")

func (failingQueue) Create(context.Context, *models.ModerationItem) error { return errQueueDown }

// The question, its moderation item and its event are one transaction: when the item cannot be
// queued, no question is kept and no event goes out (no alert for a question nobody can see).
func TestAskIsOneTransaction(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		outbox, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		pub := testkit.CountEvents(outbox)
		db.SetPublisher(pub)
		detector, err := crisis.New([]string{"суицид"})
		if err != nil {
			t.Fatal(err)
		}
		st := questions.NewStores(db)
		st.Queue = failingQueue{st.Queue}
		svc := questions.New(st, detector, testkit.NewClock(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)))
		_, err = svc.Ask(context.Background(), questions.AskInput{
			Text:     "Меня пугают мысли про суицид, с кем поговорить?",
			Consents: []questions.ConsentInput{{Type: models.ConsentPersonalData, Version: "1"}},
		})
		if !errors.Is(err, errQueueDown) {
			t.Fatalf("Ask = %v, want the queue's error", err)
		}
		var n int64
		if err := db.Gorm.Model(&models.Question{}).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("%d questions kept (%v), want none", n, err)
		}
		if c := pub.Count("question.submitted"); c != 0 {
			t.Errorf("%d question.submitted events committed, want none", c)
		}
	})
}
