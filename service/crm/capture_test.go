package crm_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/crm"
)

func newCapture(db *repository.DB) *crm.Capture {
	return crm.NewCapture(crm.CaptureStores{
		Tx: db, Leads: repository.NewLeads(db), Timeline: repository.NewLeadTimeline(db),
		Submissions: repository.NewLeadSubmissions(db), Users: repository.NewUsers(db),
	}, testkit.NewClock(t0))
}

// TestCaptureConcurrentFormsLandOnOneLead: forms sent at once with the same new contacts all land
// on one lead and one client account (the loser of the race retries and finds the winner's).
func TestCaptureConcurrentFormsLandOnOneLead(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		c := newCapture(db)
		const n = 4
		ids := make([]uuid.UUID, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ids[i], errs[i] = c.Submit(context.Background(), crm.Form{
					Email: "anna@example.org", Phone: "+79991234567", Source: "contact_form",
					Consents: []models.LeadConsent{{Type: models.ConsentPersonalData, Version: "2026-01"}},
				})
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("form %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Errorf("form %d landed on lead %s, form 0 on %s", i, ids[i], ids[0])
			}
		}
		for table, want := range map[string]int{"leads": 1, "users": 1, "lead_submissions": n, "lead_identities": 2} {
			var got int
			if err := db.Gorm.Raw("SELECT count(*) FROM " + table).Row().Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%d rows in %s, want %d", got, table, want)
			}
		}
	})
}

// TestCaptureNeedsAContact: a form without email, phone or Telegram writes nothing.
func TestCaptureNeedsAContact(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	_, err := newCapture(db).Submit(context.Background(), crm.Form{Name: "Анна", Source: "contact_form",
		Consents: []models.LeadConsent{{Type: models.ConsentPersonalData, Version: "1"}}})
	if ve, ok := err.(*models.ValidationError); !ok || ve.Field != "contact" {
		t.Fatalf("no contact: %v", err)
	}
}
