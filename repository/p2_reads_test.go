package repository_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// notAFernetToken replaces a P2 column's token in the tests that prove a read never decrypts it:
// decrypting it fails, so a read that does fails with it.
const notAFernetToken = "not-a-fernet-token"

// TestAppointmentReadsLeaveP2Encrypted: an appointment read by id, by its manage link or in a list
// decrypts none of the P2 it does not return — the intake form's answers (only the form's status
// and submission time come along), the manage token, the cancel reason. Their columns are
// overwritten with text that is no Fernet token: a read that decrypted any of them would fail.
// The reads that do return them (IntakeForms.ByAppointment, ManageTokenOf) do fail.
func TestAppointmentReadsLeaveP2Encrypted(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts, forms := repository.NewAppointments(db), repository.NewIntakeForms(db)
		svc := bookingCreateService(t, db, nil)
		client := bookingCreateClient(t, db)
		a := bookingNew(t, svc, bookingAt(80, 10), &client.ID)
		if err := a.SetManageToken("manage-token-80", "manage-hash-80"); err != nil {
			t.Fatal(err)
		}
		if err := appts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		f, err := models.NewIntakeForm(a.ID, models.IntakeAnswers{"concern": "sleep"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		submitted := t0.Add(time.Minute)
		if err := f.Submit(submitted); err != nil {
			t.Fatal(err)
		}
		if err := forms.Save(ctx, f); err != nil {
			t.Fatal(err)
		}
		if tok, err := appts.ManageTokenOf(ctx, a.ID); err != nil || tok == nil || *tok != "manage-token-80" {
			t.Fatalf("ManageTokenOf before = %v, %v", tok, err)
		}
		if _, err := appts.ManageTokenOf(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ManageTokenOf(unknown) = %v, want ErrNotFound", err)
		}

		for _, stmt := range []string{
			"UPDATE intake_forms SET payload = ? WHERE appointment_id = ?",
			"UPDATE appointments SET manage_token = ? WHERE id = ?",
			"UPDATE appointments SET cancel_reason_p2 = ? WHERE id = ?",
		} {
			if err := db.Gorm.Exec(stmt, notAFernetToken, a.ID).Error; err != nil {
				t.Fatal(err)
			}
		}

		one := func(get func() (*models.Appointment, error)) func() ([]models.Appointment, error) {
			return func() ([]models.Appointment, error) {
				x, err := get()
				if err != nil {
					return nil, err
				}
				return []models.Appointment{*x}, nil
			}
		}
		page := repository.Page{Limit: 10}
		tests := []struct {
			name string
			load func() ([]models.Appointment, error)
			// form: the read brings the intake form's status along.
			form bool
		}{
			{"ByID", one(func() (*models.Appointment, error) { return appts.ByID(ctx, a.ID) }), true},
			{"ByManageTokenHash", one(func() (*models.Appointment, error) { return appts.ByManageTokenHash(ctx, "manage-hash-80") }), true},
			{"Upcoming", func() ([]models.Appointment, error) {
				return appts.Upcoming(ctx, bookingAt(80, 0), bookingAt(81, 0), page)
			}, true},
			{"OfClient", func() ([]models.Appointment, error) { return appts.OfClient(ctx, client.ID, true, t0, page) }, true},
			{"ByClient", func() ([]models.Appointment, error) { return appts.ByClient(ctx, client.ID, page) }, false},
			{"Conflicting", func() ([]models.Appointment, error) {
				return appts.Conflicting(ctx, bookingAt(80, 10), bookingAt(80, 11))
			}, false},
			{"ExpiredHolds", func() ([]models.Appointment, error) { return appts.ExpiredHolds(ctx, t0.Add(time.Hour), 10) }, false},
		}
		for _, tt := range tests {
			got, err := tt.load()
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			i := slices.IndexFunc(got, func(x models.Appointment) bool { return x.ID == a.ID })
			if i < 0 {
				t.Errorf("%s: the appointment is not among %v", tt.name, bookingIDs(got))
				continue
			}
			x := got[i]
			if x.ManageToken != nil || x.CancelReasonP2 != nil || x.ManageTokenHash == nil || *x.ManageTokenHash != "manage-hash-80" {
				t.Errorf("%s: manage token %v, cancel reason %v, hash %v", tt.name, x.ManageToken, x.CancelReasonP2, x.ManageTokenHash)
			}
			switch {
			case !tt.form && x.IntakeForm != nil:
				t.Errorf("%s loaded the intake form: %+v", tt.name, x.IntakeForm)
			case tt.form && (x.IntakeForm == nil || x.IntakeForm.ID != f.ID || x.IntakeForm.Status != models.IntakeFormStatusSubmitted ||
				x.IntakeForm.SubmittedAt == nil || !x.IntakeForm.SubmittedAt.Equal(submitted) || x.IntakeForm.Payload != nil):
				t.Errorf("%s: intake form %+v, want its status and submission time without answers", tt.name, x.IntakeForm)
			}
		}

		// The reads that return the P2 decrypt it, and so fail here: the test can tell.
		if got, err := forms.ByAppointment(ctx, a.ID); err == nil || errors.Is(err, models.ErrNotFound) {
			t.Errorf("IntakeForms.ByAppointment = %+v, %v; want a decryption error", got, err)
		}
		if tok, err := appts.ManageTokenOf(ctx, a.ID); err == nil || errors.Is(err, models.ErrNotFound) {
			t.Errorf("ManageTokenOf = %v, %v; want a decryption error", tok, err)
		}
		// An update loads (and writes back) every column: the broken tokens fail it too.
		if err := appts.Update(ctx, a.ID, func(*models.Appointment) error { return nil }); err == nil {
			t.Error("Update of an appointment with broken tokens succeeded")
		}
	})
}
