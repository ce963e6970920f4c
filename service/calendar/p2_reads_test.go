package calendar_test

import (
	"context"
	"errors"
	"testing"

	"balance/integrations/gcal"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// TestCalendarSyncLeavesTheIntakeFormEncrypted: syncing an appointment to the calendar never
// decrypts its intake form's answers (P2). Their column is overwritten with text that is no Fernet
// token: the sync still makes and removes the event, while reading the answers fails.
func TestCalendarSyncLeavesTheIntakeFormEncrypted(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		lead := models.NewID()
		a, err := models.NewAppointment(e.svc, start, models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline, nil, &lead, models.AppointmentMetadata{}, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.appts.Create(ctx, a); err != nil {
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
		if err := db.Gorm.Exec("UPDATE intake_forms SET payload = ? WHERE appointment_id = ?", "not-a-fernet-token", a.ID).Error; err != nil {
			t.Fatal(err)
		}

		e.deliver(t, models.AppointmentConfirmed{EventMeta: models.NewEventMeta(a.ID, now)})
		id := gcal.EventID(a.ID)
		if _, ok := e.fake.Events()[id]; !ok {
			t.Fatalf("no calendar event %s", id)
		}
		if err := e.appts.Update(ctx, a.ID, func(x *models.Appointment) error {
			return x.Cancel(models.BookingActorClient, "", now)
		}); err != nil {
			t.Fatal(err)
		}
		e.deliver(t, models.AppointmentCanceled{EventMeta: models.NewEventMeta(a.ID, now), From: models.AppointmentStatusConfirmed})
		if !e.fake.Deleted(id) {
			t.Error("the event was not deleted")
		}
		if got, err := forms.ByAppointment(ctx, a.ID); err == nil || errors.Is(err, models.ErrNotFound) {
			t.Errorf("IntakeForms.ByAppointment = %+v, %v; want a decryption error", got, err)
		}
	})
}
