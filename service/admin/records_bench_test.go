package admin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/admin"
)

// BenchmarkAppointmentList reads the admin list of appointments from a table of 100,000 through
// admin.Records, as the panel asks for it: the first page in the default order (newest start
// first), a page 2,000 rows deep, a page deep in the table, and one week of confirmed
// appointments — each with its exact total (Content-Range). On both databases.
// Run with: go test -bench AppointmentList -run '^$' -benchtime 200x ./service/admin/
func BenchmarkAppointmentList(b *testing.B) {
	const rows = 100_000
	for _, d := range []migrations.Dialect{migrations.Postgres, migrations.SQLite} {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := testkit.NewDB(b, d)
			now := time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)
			svc, err := models.NewService(models.ServiceDetails{
				Slug: "individual-session", Title: "Индивидуальная консультация", Format: models.ServiceFormatOnline,
				DurationMinutes: 50, Price: models.Money{Minor: 500000, Currency: models.CurrencyRUB},
			}, now)
			if err != nil {
				b.Fatal(err)
			}
			if err := repository.NewServices(db).Create(ctx, svc); err != nil {
				b.Fatal(err)
			}
			first := fillAppointments(b, db, d, svc, rows, now)
			reg, err := admin.NewRegistry(admin.Resources()...)
			if err != nil {
				b.Fatal(err)
			}
			res, _ := reg.Resource("appointments")
			records := admin.NewRecords(reg, db, admin.Ports{}, testkit.NewClock(now))
			owner := admin.Actor{Roles: []models.Role{models.RoleOwner}}
			week := first.AddDate(0, 0, 7*400).Format(time.DateOnly)
			for _, tc := range []struct {
				name string
				req  admin.ListRequest
			}{
				{"first page", admin.ListRequest{Limit: 25}},
				{"page at 2000", admin.ListRequest{Offset: 2_000, Limit: 25}},
				{"page at 90000", admin.ListRequest{Offset: 90_000, Limit: 25}},
				{"one week confirmed", admin.ListRequest{Limit: 25, Filter: map[string]any{
					"status": "confirmed", "start_at_gte": week, "start_at_lte": first.AddDate(0, 0, 7*400+6).Format(time.DateOnly),
				}}},
			} {
				b.Run(tc.name, func(b *testing.B) {
					var total int64
					for b.Loop() {
						recs, n, err := records.List(ctx, res, owner, tc.req)
						if err != nil {
							b.Fatal(err)
						}
						if len(recs) == 0 {
							b.Fatal("an empty page")
						}
						total = n
					}
					b.ReportMetric(float64(total), "total")
				})
			}
		})
	}
}

// fillAppointments inserts n appointments an hour apart from start (a fifth canceled) in a few
// statements, and returns the first start.
func fillAppointments(b *testing.B, db *repository.DB, d migrations.Dialect, svc *models.Service, n int, start time.Time) time.Time {
	b.Helper()
	var err error
	switch d {
	case migrations.Postgres:
		err = db.Gorm.Exec(`
INSERT INTO appointments (id, service_id, start_at, end_at, blocked_until, timezone, status, format,
                          canceled_at, canceled_by, created_at, updated_at)
SELECT gen_random_uuid(), ?, s, s + interval '50 minutes', s + interval '50 minutes', 'Europe/Moscow',
       CASE WHEN i % 5 = 0 THEN 'canceled' ELSE 'confirmed' END, 'online',
       CASE WHEN i % 5 = 0 THEN now() END, CASE WHEN i % 5 = 0 THEN 'system' END, now(), now()
FROM (SELECT i, ?::timestamptz + i * interval '1 hour' AS s FROM generate_series(0, ? - 1) AS i) AS g`,
			svc.ID, start, n).Error
		if err == nil {
			err = db.Gorm.Exec("ANALYZE appointments").Error
		}
	default:
		// Times as the driver writes them, so that comparisons with bound parameters hold.
		tx := db.Gorm.Begin()
		for i := range n {
			s := start.Add(time.Duration(i) * time.Hour)
			status, canceled, by := "confirmed", any(nil), any(nil)
			if i%5 == 0 {
				status, canceled, by = "canceled", start, "system"
			}
			err = tx.Exec(`INSERT INTO appointments (id, service_id, start_at, end_at, blocked_until, timezone, status, format,
canceled_at, canceled_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'Europe/Moscow', ?, 'online', ?, ?, ?, ?)`,
				models.NewID(), svc.ID, s, s.Add(50*time.Minute), s.Add(50*time.Minute), status, canceled, by, start, start).Error
			if err != nil {
				break
			}
		}
		if err == nil {
			err = tx.Commit().Error
		} else {
			tx.Rollback()
		}
		if err == nil {
			err = db.Gorm.Exec("ANALYZE").Error
		}
	}
	if err != nil {
		b.Fatal(fmt.Errorf("fill appointments: %w", err))
	}
	return start
}
