package repository

// This file holds the lean reads of the slot computation: the columns it uses and nothing else,
// scanned without reflection, because the public slots API asks them on every request.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/migrations"
	"balance/models"
)

// BusyTime is the time an active appointment holds: [StartAt, BlockedUntil), its buffer included.
type BusyTime struct {
	StartAt, BlockedUntil time.Time
}

// BusyBetween lists the held time of the active appointments (of every service) that overlaps
// [from, to), by start: the question Conflicting answers, reading two columns instead of whole
// appointments (metadata, encrypted fields).
func (r *Appointments) BusyBetween(ctx context.Context, from, to time.Time) ([]BusyTime, error) {
	// The same conditions as Conflicting: on PostgreSQL a range overlap, served by the GiST index
	// of the exclusion constraint appointments_no_overlap (docs/performance.md).
	where := "blocked_until > ? AND start_at < ?"
	if r.db.Dialect == migrations.Postgres {
		where = "tstzrange(start_at, blocked_until, '[)') && tstzrange(?, ?, '[)')"
	}
	rows, err := r.db.conn(ctx).Raw(`SELECT start_at, blocked_until FROM appointments
WHERE status IN ? AND `+where+` ORDER BY start_at`, models.ActiveAppointmentStatuses, from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, fmt.Errorf("busy time between %s and %s: %w", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), translate(err))
	}
	defer rows.Close()
	var out []BusyTime
	for rows.Next() {
		var b BusyTime
		if err := rows.Scan(&b.StartAt, &b.BlockedUntil); err != nil {
			return nil, fmt.Errorf("busy time: %w", translate(err))
		}
		b.StartAt, b.BlockedUntil = b.StartAt.UTC(), b.BlockedUntil.UTC()
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("busy time: %w", translate(err))
	}
	return out, nil
}

// ScheduleBetween reads, in one round trip, what RulesFor and ExceptionsBetween return for the
// same arguments: the weekly rules of the service and of every service (by weekday), and their
// exceptions touching the calendar days from..to (inclusive; only the dates count; by first day).
// It reads only the columns a slot computation uses: CreatedAt, ServiceID and an exception's
// Reason stay zero.
func (r *Availability) ScheduleBetween(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
	// One UNION ALL with a discriminating first column: 'rule' or the exception's kind. The rules
	// come first so that SQLite reports the date columns' declared type (DATE) and the driver
	// returns them as times.
	rows, err := r.db.conn(ctx).Raw(`
SELECT 'rule' AS what, id, weekday, start_minute, end_minute, timezone, valid_from AS day_from, valid_to AS day_to, 0 AS part
FROM availability_rules WHERE service_id = ? OR service_id IS NULL
UNION ALL
SELECT kind, id, 0, start_minute, end_minute, timezone, date_from, date_to, 1
FROM availability_exceptions WHERE (service_id = ? OR service_id IS NULL) AND date_from <= ? AND date_to >= ?
ORDER BY part, weekday, day_from, start_minute, id`, serviceID, serviceID, bookingDay(to), bookingDay(from)).Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("schedule of service %s: %w", serviceID, translate(err))
	}
	defer rows.Close()
	var (
		rules      []models.AvailabilityRule
		exceptions []models.AvailabilityException
	)
	for rows.Next() {
		var (
			what, zone             string
			id                     uuid.UUID
			weekday, part          int
			startMinute, endMinute sql.NullInt64
			dayFrom, dayTo         sql.NullTime
		)
		if err := rows.Scan(&what, &id, &weekday, &startMinute, &endMinute, &zone, &dayFrom, &dayTo, &part); err != nil {
			return nil, nil, fmt.Errorf("schedule of service %s: %w", serviceID, translate(err))
		}
		if what == "rule" {
			rules = append(rules, models.AvailabilityRule{ID: id, Weekday: weekday, StartMinute: int(startMinute.Int64),
				EndMinute: int(endMinute.Int64), Timezone: zone, ValidFrom: nullDate(dayFrom), ValidTo: nullDate(dayTo)})
			continue
		}
		e := models.AvailabilityException{ID: id, Kind: models.AvailabilityExceptionKind(what), DateFrom: dayFrom.Time.UTC(),
			DateTo: dayTo.Time.UTC(), Timezone: zone}
		if startMinute.Valid {
			s, en := int(startMinute.Int64), int(endMinute.Int64)
			e.StartMinute, e.EndMinute = &s, &en
		}
		exceptions = append(exceptions, e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("schedule of service %s: %w", serviceID, translate(err))
	}
	return rules, exceptions, nil
}

func nullDate(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	d := t.Time.UTC()
	return &d
}
