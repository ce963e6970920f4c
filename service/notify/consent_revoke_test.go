package notify_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/identity"
	"balance/service/notify"
)

// TestRevokedConsentStopsQueuedMessages: a message already on its way (its event recorded, its
// job not yet run) is checked against the consents when it is sent, so withdrawing a consent in
// the cabinet (identity.Clients.RevokeConsent) stops it: the communications consent the email
// about an answered question, the telegram consent the Telegram copy of a confirmation (its email
// still goes: it is about the client's own booking).
func TestRevokedConsentStopsQueuedMessages(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := e.st.Users.Update(ctx, e.user.ID, func(u *models.User) error {
			return u.GrantConsent(models.ConsentCommunications, "2026-01", "question_form", now)
		}); err != nil {
			t.Fatal(err)
		}
		q, err := models.NewQuestion(nil, "Как справиться с тревогой?", "anna@example.com", "", false, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewQuestions(db).Create(ctx, q); err != nil {
			t.Fatal(err)
		}
		// Queued: the events happened while the consents held.
		answered := models.ModerationDecided{EventMeta: models.NewEventMeta(models.NewID(), now), Kind: models.ModerationKindQuestion,
			SubjectID: q.ID, From: models.ModerationStatusApproved, To: models.ModerationStatusPublished, ModeratorID: uuid.New()}
		booked := confirmed(e.appointment(t, start))

		svc := identity.New(e.st.Users, repository.NewSessions(db), repository.NewThrottle(db), e.clock, identity.Config{})
		clients := identity.NewClients(svc, repository.NewOneTimeCodes(db), e.outbox, identity.ClientConfig{})
		for _, c := range []models.ConsentType{models.ConsentCommunications, models.ConsentTelegram} {
			if _, err := clients.RevokeConsent(ctx, e.user.ID, c); err != nil {
				t.Fatalf("revoke %s: %v", c, err)
			}
		}

		if err := e.deliver(t, notify.AlertsSubscriber, answered); err != nil {
			t.Fatal(err)
		}
		if n := len(e.smtp.Messages()); n != 0 {
			t.Fatalf("%d emails after the communications consent was withdrawn", n)
		}
		if err := e.deliver(t, notify.MessagesSubscriber, booked); err != nil {
			t.Fatal(err)
		}
		if len(e.tg.Sent()) != 0 || len(e.smtp.Messages()) != 1 {
			t.Fatalf("after withdrawing the telegram consent: %d telegram, %d email", len(e.tg.Sent()), len(e.smtp.Messages()))
		}
		d, _ := e.st.Deliveries.ByDedupKey(ctx, booked.EventID().String()+":booking_confirmed:telegram")
		if d == nil || d.Status != models.DeliverySkipped {
			t.Errorf("telegram delivery %+v", d)
		}
	})
}
