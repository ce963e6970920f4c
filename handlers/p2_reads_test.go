package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/repository"
)

// TestBookingAnswerLeavesP2Encrypted: the booking's answer to its manage link shows its intake
// form's status and submission time without decrypting the answers, the manage token or the
// cancel reason (P2). Their columns are overwritten with text that is no Fernet token: the booking
// still answers as before, while the intake form's own route, which returns the answers, fails.
func TestBookingAnswerLeavesP2Encrypted(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := bookingSetup(t, db, bookingOpts{})
		b := e.book(t, bookingSlot(0), "p2@example.com")
		id := providerPaymentID(t, b)
		e.yk.Succeed(id)
		if r := e.notify(t, "payment.succeeded", id); r.Status != http.StatusOK {
			t.Fatalf("webhook: %d %s", r.Status, r.Body)
		}
		h := manage(b.ManageToken)
		r := e.s.api.Do("PUT", "/api/v1/bookings/"+b.ID+"/intake-form", map[string]any{"answers": map[string]any{"concern": "sleep"}, "submit": true}, h)
		if r.Status != http.StatusOK {
			t.Fatalf("submit the intake form: %d %s", r.Status, r.Body)
		}
		for _, stmt := range []string{
			"UPDATE intake_forms SET payload = ? WHERE appointment_id = ?",
			"UPDATE appointments SET manage_token = ? WHERE id = ?",
			"UPDATE appointments SET cancel_reason_p2 = ? WHERE id = ?",
		} {
			if err := db.Gorm.Exec(stmt, "not-a-fernet-token", b.ID).Error; err != nil {
				t.Fatal(err)
			}
		}

		r = e.s.api.Do("GET", "/api/v1/bookings/"+b.ID, nil, h)
		if r.Status != http.StatusOK {
			t.Fatalf("booking: %d %s", r.Status, r.Body)
		}
		var got struct {
			ID         string `json:"id"`
			Status     string `json:"status"`
			IntakeForm *struct {
				Status      string     `json:"status"`
				SubmittedAt *time.Time `json:"submitted_at"`
			} `json:"intake_form"`
		}
		r.JSON(t, &got)
		if got.ID != b.ID || got.Status != "confirmed" || got.IntakeForm == nil ||
			got.IntakeForm.Status != "submitted" || got.IntakeForm.SubmittedAt == nil || !got.IntakeForm.SubmittedAt.Equal(bookingNow) {
			t.Errorf("booking: %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("GET", "/api/v1/bookings/"+b.ID+"/intake-form", nil, h); r.Status != http.StatusInternalServerError {
			t.Errorf("intake form with broken answers: %d %s, want 500", r.Status, r.Body)
		}
	})
}
