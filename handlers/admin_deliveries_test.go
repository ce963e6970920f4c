package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

func TestAdminDeliveryLog(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		log := repository.NewDeliveries(db)
		subject := models.NewID()
		for i := range 5 {
			d, err := models.NewNotificationDelivery(fmt.Sprintf("event-%d:booking_confirmed:email", i), models.TemplateChannelEmail,
				"booking_confirmed", nil, "email", &subject, t0.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if d, err = log.Claim(ctx, d); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				err = d.Sent(fmt.Sprintf("<m%d@balance.example>", i), t0)
			} else {
				err = d.Attempted(fmt.Errorf("smtp 550 5.1.1"), true, t0)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := log.Save(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		s, r := newServer(t, db, options{deliveries: log})
		owner, _ := jobsSignIn(t, s, r, models.RoleOwner)

		resp := owner.Do("GET", `/admin/api/notification-deliveries?filter={"status":"failed"}&range=[0,0]`, nil)
		var page []struct {
			Status       string  `json:"status"`
			TemplateKey  string  `json:"template_key"`
			RecipientRef string  `json:"recipient_ref"`
			LastError    *string `json:"last_error"`
		}
		resp.JSON(t, &page)
		if resp.Status != http.StatusOK || len(page) != 1 || page[0].Status != "failed" || page[0].LastError == nil ||
			resp.Header.Get("Content-Range") != "notification-deliveries 0-0/2" {
			t.Fatalf("failed deliveries: %d %s %q", resp.Status, resp.Body, resp.Header.Get("Content-Range"))
		}
		resp = owner.Do("GET", "/admin/api/notification-deliveries", nil)
		resp.JSON(t, &page)
		if len(page) != 5 || resp.Header.Get("X-Total-Count") != "5" {
			t.Errorf("all deliveries: %d, total %q", len(page), resp.Header.Get("X-Total-Count"))
		}
		for _, bad := range []string{`?filter={"status":"lost"}`, `?filter=nope`, `?range=[3,1]`} {
			if resp := owner.Do("GET", "/admin/api/notification-deliveries"+bad, nil); resp.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d", bad, resp.Status)
			}
		}
		editor, _ := jobsSignIn(t, s, r, models.RoleEditor)
		if resp := editor.Do("GET", "/admin/api/notification-deliveries", nil); resp.Status != http.StatusForbidden {
			t.Errorf("editor: %d", resp.Status)
		}
		if resp := testkit.NewAPI(t, r).Do("GET", "/admin/api/notification-deliveries", nil); resp.Status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", resp.Status)
		}
	})
}

// TestAdminDeliveriesInTheRegistry: the registry's notification_deliveries resource serves the same
// log to the owner and the assistant (by status, by day), not to the editor.
func TestAdminDeliveriesInTheRegistry(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		log := repository.NewDeliveries(db)
		for i := range 3 {
			d, err := models.NewNotificationDelivery(fmt.Sprintf("event-%d:booking_confirmed:email", i), models.TemplateChannelEmail,
				"booking_confirmed", nil, "email", nil, t0.Add(time.Duration(i)*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if d, err = log.Claim(ctx, d); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := d.Attempted(fmt.Errorf("smtp 550 5.1.1"), true, t0); err != nil {
					t.Fatal(err)
				}
				if err := log.Save(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		s, r := newServer(t, db, options{deliveries: log, adminResources: true})
		assistant, _ := jobsSignIn(t, s, r, models.RoleAssistant)
		editor, _ := jobsSignIn(t, s, r, models.RoleEditor)
		for _, tc := range []struct {
			filter string
			n      int
		}{
			{`{}`, 3},
			{`{"status":"failed"}`, 1},
			{`{"created_at_gte":"2026-11-26"}`, 2},
			{`{"created_at_gte":"2026-11-26","created_at_lte":"2026-11-26"}`, 1},
		} {
			recs, _ := adminList(t, assistant, "notification_deliveries", adminQuery("filter", tc.filter))
			if len(recs) != tc.n {
				t.Errorf("%s: %d deliveries, want %d", tc.filter, len(recs), tc.n)
			}
		}
		if r := editor.Do("GET", "/admin/api/notification_deliveries", nil); r.Status != http.StatusForbidden {
			t.Errorf("the editor reads the delivery log: %d", r.Status)
		}
		// The older path still answers in its own shape.
		if r := assistant.Do("GET", "/admin/api/notification-deliveries", nil); r.Status != http.StatusOK || r.Header.Get("Content-Range") != "notification-deliveries 0-2/3" {
			t.Errorf("older path: %d %q", r.Status, r.Header.Get("Content-Range"))
		}
	})
}
