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

// TestAdminDeliveryLog: the delivery log is the registry's notification_deliveries resource; its
// older URL, GET /admin/api/notification-deliveries, is the same list (the same handler, the same
// conventions, the same answer). Owner and assistant read it, newest first, by status; the editor
// and strangers may not.
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
		s, r := newServer(t, db, options{adminResources: true})
		owner, _ := jobsSignIn(t, s, r, models.RoleOwner)
		assistant, _ := jobsSignIn(t, s, r, models.RoleAssistant)
		editor, _ := jobsSignIn(t, s, r, models.RoleEditor)

		type delivery struct {
			Status       string  `json:"status"`
			TemplateKey  string  `json:"template_key"`
			RecipientRef string  `json:"recipient_ref"`
			LastError    *string `json:"last_error"`
			CreatedAt    string  `json:"created_at"`
		}
		for _, tc := range []struct {
			query, contentRange string
			n                   int
		}{
			{adminQuery("filter", `{"status":"failed"}`, "range", "[0,0]"), "notification_deliveries 0-0/2", 1},
			{adminQuery("filter", `{"status":["failed","sent"]}`), "notification_deliveries 0-4/5", 5},
			{"", "notification_deliveries 0-4/5", 5},
			{adminQuery("range", "[3,9]"), "notification_deliveries 3-4/5", 2},
			{adminQuery("filter", `{"status":"skipped"}`), "notification_deliveries */0", 0},
		} {
			var bodies [2]string
			for i, path := range []string{"/admin/api/notification-deliveries", "/admin/api/notification_deliveries"} {
				resp := owner.Do("GET", path+tc.query, nil)
				var page []delivery
				resp.JSON(t, &page)
				if resp.Status != http.StatusOK || len(page) != tc.n || resp.Header.Get("Content-Range") != tc.contentRange {
					t.Errorf("%s%s: %d, %d deliveries, %q; want %d, %q", path, tc.query, resp.Status, len(page), resp.Header.Get("Content-Range"), tc.n, tc.contentRange)
				}
				for j := 1; j < len(page); j++ {
					if page[j-1].CreatedAt < page[j].CreatedAt {
						t.Errorf("%s%s: not newest first: %+v", path, tc.query, page)
					}
				}
				for _, d := range page {
					if d.TemplateKey != "booking_confirmed" || d.RecipientRef != "email" || (d.Status == "failed") != (d.LastError != nil) {
						t.Errorf("%s%s: delivery %+v", path, tc.query, d)
					}
				}
				bodies[i] = string(resp.Body)
			}
			if bodies[0] != bodies[1] {
				t.Errorf("%s: the older URL answers %s, the resource %s", tc.query, bodies[0], bodies[1])
			}
		}
		if r := assistant.Do("GET", "/admin/api/notification-deliveries", nil); r.Status != http.StatusOK || r.Header.Get("X-Total-Count") != "5" {
			t.Errorf("assistant: %d, total %q", r.Status, r.Header.Get("X-Total-Count"))
		}

		for _, tc := range []struct{ query, field string }{
			{adminQuery("filter", `{"status":"lost"}`), "filter.status"},
			{adminQuery("filter", "nope"), "filter"},
			{adminQuery("range", "[3,1]"), "range"},
			{adminQuery("sort", `["recipient_ref","ASC"]`), "sort"},
		} {
			resp := owner.Do("GET", "/admin/api/notification-deliveries"+tc.query, nil)
			if p := resp.Problem(t); resp.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Errorf("%s: %d %s, want 422 on %s", tc.query, resp.Status, resp.Body, tc.field)
			}
		}
		if resp := editor.Do("GET", "/admin/api/notification-deliveries", nil); resp.Status != http.StatusForbidden {
			t.Errorf("editor: %d", resp.Status)
		}
		if resp := testkit.NewAPI(t, r).Do("GET", "/admin/api/notification-deliveries", nil); resp.Status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", resp.Status)
		}
	})
}

// TestAdminDeliveriesInTheRegistry: the registry's notification_deliveries resource serves the
// log to the owner and the assistant by status and by day, not to the editor.
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
		s, r := newServer(t, db, options{adminResources: true})
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
	})
}
