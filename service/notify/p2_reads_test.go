package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/notify"
)

// TestMessagesDecryptOnlyTheManageToken: a message about an appointment decrypts the manage token
// its link carries and no other P2. The intake form's answers and the cancel reason are
// overwritten with text that is no Fernet token: the confirmation, the reminders' scheduling and a
// reminder still go out, the confirmation with its manage link, while reading the answers fails.
func TestMessagesDecryptOnlyTheManageToken(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a, err := models.NewAppointment(e.svc, start, models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline, &e.user.ID, nil, models.AppointmentMetadata{}, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetManageToken("manage-token-p2", "manage-hash-p2"); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Appointments.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		forms := repository.NewIntakeForms(db)
		f, err := models.NewIntakeForm(a.ID, models.IntakeAnswers{"concern": "sleep"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := forms.Save(ctx, f); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{
			"UPDATE intake_forms SET payload = ? WHERE appointment_id = ?",
			"UPDATE appointments SET cancel_reason_p2 = ? WHERE id = ?",
		} {
			if err := db.Gorm.Exec(stmt, "not-a-fernet-token", a.ID).Error; err != nil {
				t.Fatal(err)
			}
		}

		if err := e.deliver(t, notify.MessagesSubscriber, confirmed(a)); err != nil {
			t.Fatalf("confirmation: %v", err)
		}
		if err := e.deliver(t, notify.RemindersSubscriber, confirmed(a)); err != nil {
			t.Fatalf("reminders: %v", err)
		}
		if n := len(e.reminderJobs(t)); n != 2 {
			t.Errorf("%d reminders scheduled, want 2", n)
		}
		if err := e.n.Remind(ctx, reminderPayload(a, 24*time.Hour)); err != nil {
			t.Fatalf("reminder: %v", err)
		}
		link := notify.ManageLink("https://balance.example", a.ID, "manage-token-p2")
		msgs := e.smtp.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d emails, want the confirmation and a reminder", len(msgs))
		}
		// The confirmation carries the manage link (the reminder's template has none).
		if p, err := msgs[0].Parse(); err != nil || !strings.HasPrefix(p.Subject, "Запись подтверждена") || !strings.Contains(p.Text, link) {
			t.Errorf("confirmation %q has no manage link (%v):\n%s", p.Subject, err, p.Text)
		}
		if got, err := forms.ByAppointment(ctx, a.ID); err == nil || errors.Is(err, models.ErrNotFound) {
			t.Errorf("IntakeForms.ByAppointment = %+v, %v; want a decryption error", got, err)
		}
	})
}
