package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// TestAdminAuditLogFilters: the audit log is read by who acted, on what, which action and when
// (a date or a time range), and nobody writes it.
func TestAdminAuditLogFilters(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		ctx := context.Background()
		owner := e.clients["owner"]
		var staff []uuid.UUID
		for _, email := range []string{"owner@example.org", "assistant@example.org"} {
			addr, err := models.ParseEmail(email)
			if err != nil {
				t.Fatal(err)
			}
			u, err := e.s.users.ByEmail(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			staff = append(staff, u.ID)
		}
		// Four rows on resource "probe": two days, two actors, two actions.
		rows := map[string]string{}
		for i, tc := range []struct {
			actor  int
			action models.AuditAction
			at     time.Time
		}{
			{0, models.AuditActionUpdate, time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)},
			{1, models.AuditActionUpdate, time.Date(2026, 10, 1, 23, 59, 0, 0, time.UTC)},
			{1, models.AuditActionDelete, time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)},
			{0, models.AuditActionCreate, time.Date(2026, 10, 3, 12, 0, 0, 0, time.UTC)},
		} {
			row, err := models.NewAuditLog(models.AuditActor{UserID: &staff[tc.actor], Role: "owner"}, tc.action, "probe",
				fmt.Sprintf("record-%d", i), map[string]models.AuditChange{"title": {}}, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if err := repository.NewAuditLogs(db).Append(ctx, row); err != nil {
				t.Fatal(err)
			}
			rows[fmt.Sprint(i)] = row.ID.String()
		}
		ids := func(idx ...int) []string {
			var out []string
			for _, i := range idx {
				out = append(out, rows[fmt.Sprint(i)])
			}
			return out
		}
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			{`{"resource":"probe"}`, ids(3, 2, 1, 0)}, // newest first
			{fmt.Sprintf(`{"resource":"probe","actor_user_id":%q}`, staff[1]), ids(2, 1)},
			{`{"resource":"probe","action":"update"}`, ids(1, 0)},
			{`{"resource":"probe","resource_id":"record-2"}`, ids(2)},
			{`{"resource":"probe","at_gte":"2026-10-01","at_lte":"2026-10-01"}`, ids(1, 0)},
			{`{"resource":"probe","at_gte":"2026-10-01T12:00:00Z","at_lte":"2026-10-02T00:00:00Z"}`, ids(2, 1)},
			{`{"resource":"probe","at_gte":"2026-10-02"}`, ids(3, 2)},
			{`{"resource":"probe","at_lte":"2026-09-30"}`, nil},
		} {
			recs, _ := adminList(t, owner, "audit_logs", adminQuery("filter", tc.filter))
			if got := recordIDs(recs); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
			}
		}
		catalogueProblemField(t, owner.Do("GET", "/admin/api/audit_logs"+adminQuery("filter", `{"at_gte":"yesterday"}`), nil),
			http.StatusUnprocessableEntity, "filter.at_gte")

		// Nobody writes the log; the editor does not read it.
		h := jobsCSRF(e.csrf["owner"])
		for _, m := range []string{"POST", "PUT", "DELETE"} {
			path := "/admin/api/audit_logs/" + rows["0"]
			if m == "POST" {
				path = "/admin/api/audit_logs"
			}
			if r := owner.Do(m, path, map[string]any{"resource": "x"}, h); r.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d", m, path, r.Status)
			}
		}
		if r := e.clients["editor"].Do("GET", "/admin/api/audit_logs", nil); r.Status != http.StatusForbidden {
			t.Errorf("the editor reads the audit log: %d", r.Status)
		}
	})
}

// TestAdminDataExportRequests: the owner and the assistant see each request's status and find
// them by status and by user.
func TestAdminDataExportRequests(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		ctx := context.Background()
		email, err := models.ParseEmail("second@example.com")
		if err != nil {
			t.Fatal(err)
		}
		other := models.NewClientUser(email, "Олег", t0)
		if err := repository.NewUsers(db).Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		failed, err := models.NewDataExportRequest(other.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := failed.Start(t0); err != nil {
			t.Fatal(err)
		}
		if err := failed.Fail("storage unavailable", t0); err != nil {
			t.Fatal(err)
		}
		if err := repository.NewDataExportRequests(db).Create(ctx, failed); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			{`{"status":"failed"}`, []string{failed.ID.String()}},
			{`{"status":"requested"}`, []string{e.ids["data_export_requests"]}},
			{fmt.Sprintf(`{"user_id":%q}`, other.ID), []string{failed.ID.String()}},
			{fmt.Sprintf(`{"user_id":%q,"status":"requested"}`, other.ID), nil},
		} {
			recs, _ := adminList(t, e.clients["assistant"], "data_export_requests", adminQuery("filter", tc.filter))
			if got := recordIDs(recs); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
			}
			for _, rec := range recs {
				if rec["status"] == nil {
					t.Errorf("%s: no status in %v", tc.filter, rec)
				}
			}
		}
		if r := e.clients["editor"].Do("GET", "/admin/api/data_export_requests", nil); r.Status != http.StatusForbidden {
			t.Errorf("the editor lists data exports: %d", r.Status)
		}
	})
}

// TestAdminWaitlistCancel: the owner or the assistant takes a client off the waitlist through the
// model (once: a canceled entry cannot be canceled again); the editor may not; it is audited.
func TestAdminWaitlistCancel(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		id := e.ids["waitlist_entries"]
		path := "/admin/api/waitlist_entries/" + id + "/actions/cancel"
		recs, _ := adminList(t, e.clients["owner"], "waitlist_entries", adminQuery("filter", fmt.Sprintf(`{"service_id":%q,"status":"active"}`, e.svc.ID)))
		if !slices.Equal(recordIDs(recs), []string{id}) {
			t.Fatalf("active entries of the service: %v", recs)
		}
		for _, step := range []struct {
			role   string
			status int
		}{
			{"editor", http.StatusForbidden},
			{"assistant", http.StatusOK},
			{"owner", http.StatusConflict},
		} {
			r := e.clients[step.role].Do("POST", path, nil, jobsCSRF(e.csrf[step.role]))
			if r.Status != step.status {
				t.Errorf("%s cancels: %d %s, want %d", step.role, r.Status, r.Body, step.status)
			}
			if r.Status == http.StatusOK {
				var rec map[string]any
				r.JSON(t, &rec)
				if rec["status"] != "canceled" {
					t.Errorf("after cancel: %v", rec)
				}
			}
		}
		logs, err := repository.NewAuditLogs(db).List(context.Background(),
			repository.AuditLogFilter{Resource: "waitlist_entries", ResourceID: id}, repository.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) != 1 || logs[0].ActorRole != "assistant" {
			t.Errorf("audit rows: %+v", logs)
		}
		if _, ok := logs[0].Changes["action:cancel"]; !ok {
			t.Errorf("audit row changes: %v", logs[0].Changes)
		}
	})
}
