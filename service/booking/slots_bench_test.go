package booking_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// BenchmarkSlots finds 30 days of slots through the real PostgreSQL stores with 2,000 and with
// 200,000 appointments in the table. Both tables hold the same appointments around the window
// (one every two hours, a fifth of them canceled); the larger one spreads the rest over decades,
// so the difference between the two is what reading the table, not the window, would cost.
// Run with: go test -bench Slots -run '^$' ./service/booking/ (add -v for the query plans).
func BenchmarkSlots(b *testing.B) {
	for _, n := range []int{2_000, 200_000} {
		b.Run(fmt.Sprintf("appointments=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db := testkit.NewDB(b, migrations.Postgres)
			now := time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)
			svc, err := models.NewService(models.ServiceDetails{
				Slug: "individual-session", Title: "Individual session", Format: models.ServiceFormatHybrid,
				DurationMinutes: 50, BufferMinutes: 10, BookingHorizonDays: 365,
				Price: models.Money{Minor: 500000, Currency: models.CurrencyRUB},
			}, now)
			if err != nil {
				b.Fatal(err)
			}
			if err := repository.NewServices(db).Create(ctx, svc); err != nil {
				b.Fatal(err)
			}
			av := repository.NewAvailability(db)
			for wd := 1; wd <= 7; wd++ {
				r, err := models.NewAvailabilityRule(&svc.ID, wd, 10*60, 19*60, "Europe/Moscow", nil, nil, now)
				if err != nil {
					b.Fatal(err)
				}
				if err := av.CreateRule(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
			insertAppointments(b, db, svc, n, time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC))
			explainWindow(b, db, time.Date(2026, 5, 31, 21, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 22, 0, 0, 0, time.UTC))

			slots := booking.NewSlots(av, repository.NewAppointments(db), nil, testkit.NewClock(now))
			var found int
			for b.Loop() {
				got, err := slots.Find(ctx, svc, "2026-06-01", "2026-06-30", models.MustTimeZone("Europe/Berlin"))
				if err != nil {
					b.Fatal(err)
				}
				found = len(got)
			}
			b.ReportMetric(float64(found), "slots")
		})
	}
}

// insertAppointments inserts n non-overlapping appointments two hours apart, centred on center,
// in batches of INSERT … SELECT generate_series.
func insertAppointments(b *testing.B, db *repository.DB, svc *models.Service, n int, center time.Time) {
	b.Helper()
	const batch = 50_000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n) - 1
		err := db.Gorm.Exec(`
INSERT INTO appointments (id, service_id, start_at, end_at, blocked_until, timezone, status, format,
                          canceled_at, canceled_by, created_at, updated_at)
SELECT gen_random_uuid(), ?, s, s + interval '50 minutes', s + interval '60 minutes', 'Europe/Moscow',
       CASE WHEN i % 5 = 0 THEN 'canceled' ELSE 'confirmed' END, 'online',
       CASE WHEN i % 5 = 0 THEN now() END, CASE WHEN i % 5 = 0 THEN 'system' END, now(), now()
FROM (SELECT i, ?::timestamptz + (i - ?) * interval '2 hours' AS s FROM generate_series(?::int, ?::int) AS i) AS g`,
			svc.ID, center, n/2, lo, hi).Error
		if err != nil {
			b.Fatalf("insert appointments: %v", err)
		}
	}
	if err := db.Gorm.Exec("ANALYZE appointments").Error; err != nil {
		b.Fatal(err)
	}
}

// explainWindow logs the plan of the window query Appointments.Conflicting runs and, for
// comparison, of the same question asked as a range overlap, which the exclusion constraint's
// GiST index can answer.
func explainWindow(b *testing.B, db *repository.DB, from, to time.Time) {
	b.Helper()
	explain(b, db, "Conflicting", `SELECT * FROM appointments
WHERE status IN ('pending_payment', 'confirmed') AND blocked_until > $1 AND start_at < $2 ORDER BY start_at, id`, from, to)
	explain(b, db, "range overlap", `SELECT * FROM appointments
WHERE status IN ('pending_payment', 'confirmed') AND tstzrange(start_at, blocked_until, '[)') && tstzrange($1, $2, '[)')
ORDER BY start_at, id`, from, to)
}

func explain(b *testing.B, db *repository.DB, name, query string, from, to time.Time) {
	b.Helper()
	rows, err := db.SQL.Query("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) "+query, from, to)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s query plan:\n%s", name, strings.Join(plan, "\n"))
}
