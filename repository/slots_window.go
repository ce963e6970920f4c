package repository

// This file holds the lean reads of the slot computation: the columns it uses and nothing else,
// scanned without reflection, because the public slots API asks them on every request.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

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

// SlotWindow is everything one slot computation reads: the service of a slug with the columns
// the computation uses (a zero ID when no service has the slug), its schedule (as
// ScheduleBetween) and the busy time of [busyFrom, busyTo) (as BusyBetween).
type SlotWindow struct {
	// Service holds ID, Slug, Status, Timezone and the minutes and days of its timing; the rest
	// of the row is not read.
	Service    models.Service
	Rules      []models.AvailabilityRule
	Exceptions []models.AvailabilityException
	Busy       []BusyTime
}

// slotServiceColumns are the columns of a service a slot computation uses.
var slotServiceColumns = []string{"id", "slug", "status", "timezone", "duration_minutes", "buffer_minutes",
	"min_notice_minutes", "slot_step_minutes", "booking_horizon_days"}

// SlotWindow reads the slot window of the service of slug: in one statement on PostgreSQL, in
// three on SQLite.
func (r *Availability) SlotWindow(ctx context.Context, slug string, from, to, busyFrom, busyTo time.Time) (*SlotWindow, error) {
	if r.db.Dialect != migrations.Postgres {
		return r.slotWindowGenerally(ctx, slug, from, to, busyFrom, busyTo)
	}
	rows, err := r.db.conn(ctx).Raw(`
WITH s AS (SELECT `+strings.Join(slotServiceColumns, ", ")+` FROM services WHERE slug = @slug)
SELECT 'service' AS what, id, 0 AS weekday, NULL::int AS start_minute, NULL::int AS end_minute, timezone,
       NULL::date AS day_from, NULL::date AS day_to, NULL::timestamptz AS busy_from, NULL::timestamptz AS busy_to,
       status, duration_minutes, buffer_minutes, min_notice_minutes, slot_step_minutes, booking_horizon_days, 0 AS part
FROM s
UNION ALL
SELECT 'rule', id, weekday, start_minute, end_minute, timezone, valid_from, valid_to, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1
FROM availability_rules WHERE service_id = (SELECT id FROM s) OR service_id IS NULL
UNION ALL
SELECT kind, id, 0, start_minute, end_minute, timezone, date_from, date_to, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2
FROM availability_exceptions
WHERE (service_id = (SELECT id FROM s) OR service_id IS NULL) AND date_from <= @to AND date_to >= @from
UNION ALL
SELECT 'busy', NULL, 0, NULL, NULL, '', NULL, NULL, start_at, blocked_until, NULL, NULL, NULL, NULL, NULL, NULL, 3
FROM appointments
WHERE status IN @active AND tstzrange(start_at, blocked_until, '[)') && tstzrange(@busy_from, @busy_to, '[)')
ORDER BY part, weekday, day_from, start_minute, busy_from, id`,
		map[string]any{"slug": slug, "from": bookingDay(from), "to": bookingDay(to), "active": models.ActiveAppointmentStatuses,
			"busy_from": busyFrom.UTC(), "busy_to": busyTo.UTC()}).Rows()
	if err != nil {
		return nil, fmt.Errorf("slot window of service %s: %w", slug, translate(err))
	}
	defer rows.Close()
	w := &SlotWindow{}
	for rows.Next() {
		var (
			what, zone                              string
			id                                      uuid.NullUUID
			weekday, part                           int
			startMinute, endMinute                  sql.NullInt64
			dayFrom, dayTo                          sql.NullTime
			busyStart, busyEnd                      sql.NullTime
			status                                  sql.NullString
			duration, buffer, notice, step, horizon sql.NullInt64
		)
		if err := rows.Scan(&what, &id, &weekday, &startMinute, &endMinute, &zone, &dayFrom, &dayTo, &busyStart, &busyEnd,
			&status, &duration, &buffer, &notice, &step, &horizon, &part); err != nil {
			return nil, fmt.Errorf("slot window of service %s: %w", slug, translate(err))
		}
		switch what {
		case "service":
			w.Service = models.Service{ID: id.UUID, Slug: slug, Timezone: zone, DurationMinutes: int(duration.Int64),
				BufferMinutes: int(buffer.Int64), MinNoticeMinutes: int(notice.Int64), SlotStepMinutes: int(step.Int64),
				BookingHorizonDays: int(horizon.Int64), Publication: models.Publication{Status: models.PublicationStatus(status.String)}}
		case "busy":
			w.Busy = append(w.Busy, BusyTime{StartAt: busyStart.Time.UTC(), BlockedUntil: busyEnd.Time.UTC()})
		case "rule":
			w.Rules = append(w.Rules, models.AvailabilityRule{ID: id.UUID, Weekday: weekday, StartMinute: int(startMinute.Int64),
				EndMinute: int(endMinute.Int64), Timezone: zone, ValidFrom: nullDate(dayFrom), ValidTo: nullDate(dayTo)})
		default:
			e := models.AvailabilityException{ID: id.UUID, Kind: models.AvailabilityExceptionKind(what), DateFrom: dayFrom.Time.UTC(),
				DateTo: dayTo.Time.UTC(), Timezone: zone}
			if startMinute.Valid {
				s, en := int(startMinute.Int64), int(endMinute.Int64)
				e.StartMinute, e.EndMinute = &s, &en
			}
			w.Exceptions = append(w.Exceptions, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("slot window of service %s: %w", slug, translate(err))
	}
	if w.Service.ID == uuid.Nil {
		// No such service: the rules and busy time of every service mean nothing here.
		return &SlotWindow{}, nil
	}
	return w, nil
}

// slotWindowGenerally is SlotWindow in three statements, for SQLite.
func (r *Availability) slotWindowGenerally(ctx context.Context, slug string, from, to, busyFrom, busyTo time.Time) (*SlotWindow, error) {
	w := &SlotWindow{}
	err := r.db.conn(ctx).Select(slotServiceColumns).Where("slug = ?", slug).Take(&w.Service).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &SlotWindow{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("slot window of service %s: %w", slug, translate(err))
	}
	if w.Rules, w.Exceptions, err = r.ScheduleBetween(ctx, w.Service.ID, from, to); err != nil {
		return nil, err
	}
	if w.Busy, err = NewAppointments(r.db).BusyBetween(ctx, busyFrom, busyTo); err != nil {
		return nil, err
	}
	return w, nil
}
