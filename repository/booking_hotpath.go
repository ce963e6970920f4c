package repository

// The public booking's hot path: what it reads before writing, in one statement, and on
// PostgreSQL the client's rows (user, role, consents; lead and its identities) in one statement
// each. docs/performance.md counts the statements of one booking.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/migrations"
	"balance/models"
)

// BookingHotPath reads and writes what a public booking needs in as few statements as it can.
type BookingHotPath struct{ db *DB }

// NewBookingHotPath returns the booking hot path's store.
func NewBookingHotPath(db *DB) *BookingHotPath { return &BookingHotPath{db: db} }

// BookingContext is what a public booking learns in one statement before it writes.
type BookingContext struct {
	// Service is the service of the slug (published or not: the caller decides).
	Service *models.Service
	// Requested is set when an unexpired booking request holds the Idempotency-Key.
	Requested bool
	// User is the id of the account of the email, nil when none; UserStatus its status.
	User       *uuid.UUID
	UserStatus models.UserStatus
	// EmailLead and PhoneLead are the CRM leads that hold the email and the phone, nil when none.
	EmailLead, PhoneLead *uuid.UUID
	// Schedule is the service's schedule around the asked time, read in the same statement on
	// PostgreSQL; nil on SQLite, where Schedule reads it.
	Schedule *Schedule
}

// Schedule is the weekly rules of a service (and of every service) and its exceptions that touch
// some calendar days.
type Schedule struct {
	Rules      []models.AvailabilityRule
	Exceptions []models.AvailabilityException
}

type bookingContextRow struct {
	models.Service `gorm:"embedded"`
	Requested      bool
	UserID         *uuid.UUID
	UserStatus     *string
	EmailLead      *uuid.UUID
	PhoneLead      *uuid.UUID
	Rules          []byte
	Exceptions     []byte
}

// scheduleReach is how far around the asked time Context reads the schedule: the calendar days
// of the UTC day three days before to three days after, which holds the two days either side of
// the asked time's day in any zone that the slot check looks at.
const scheduleReach = 3 * 24 * time.Hour

// Context loads the service of slug with, in the same statement, whether key (when not empty)
// holds an unexpired booking request, the account of email and the leads holding email and phone
// (each may be empty), and on PostgreSQL the service's schedule around the time at. An unknown slug
// is models.ErrNotFound.
func (r *BookingHotPath) Context(ctx context.Context, slug, key string, email models.Email, phone string, at, now time.Time) (*BookingContext, error) {
	var row bookingContextRow
	columns := `services.*,
		EXISTS (SELECT 1 FROM booking_requests WHERE key = ? AND expires_at > ?) AS requested,
		(SELECT id FROM users WHERE email = ? AND deleted_at IS NULL) AS user_id,
		(SELECT status FROM users WHERE email = ? AND deleted_at IS NULL) AS user_status,
		(SELECT lead_id FROM lead_identities WHERE kind = ? AND value = ?) AS email_lead,
		(SELECT lead_id FROM lead_identities WHERE kind = ? AND value = ?) AS phone_lead`
	args := []any{key, now.UTC(), string(email), string(email),
		models.LeadIdentityKindEmail, string(email), models.LeadIdentityKindPhone, phone}
	pg := r.db.Dialect == migrations.Postgres
	if pg {
		columns += `,
		(SELECT json_agg(json_build_array(id, weekday, start_minute, end_minute, timezone, valid_from, valid_to))
			FROM availability_rules WHERE service_id = services.id OR service_id IS NULL) AS rules,
		(SELECT json_agg(json_build_array(id, kind, start_minute, end_minute, timezone, date_from, date_to))
			FROM availability_exceptions WHERE (service_id = services.id OR service_id IS NULL)
			AND date_from <= ? AND date_to >= ?) AS exceptions`
		args = append(args, bookingDay(at.Add(scheduleReach)), bookingDay(at.Add(-scheduleReach)))
	}
	err := r.db.conn(ctx).Model(&models.Service{}).Select(columns, args...).Where("services.slug = ?", slug).Take(&row).Error
	if err != nil {
		return nil, notFound("service", slug, err)
	}
	svc := row.Service
	out := &BookingContext{Service: &svc, Requested: row.Requested && key != "", User: row.UserID,
		EmailLead: row.EmailLead, PhoneLead: row.PhoneLead}
	if pg {
		if out.Schedule, err = decodeSchedule(row.Rules, row.Exceptions); err != nil {
			return nil, fmt.Errorf("schedule of service %s: %w", slug, err)
		}
	}
	if row.UserStatus != nil {
		out.UserStatus = models.UserStatus(*row.UserStatus)
	}
	if email == "" {
		out.User, out.EmailLead = nil, nil
	}
	if phone == "" {
		out.PhoneLead = nil
	}
	return out, nil
}

// decodeSchedule reads the rules and exceptions Context aggregated as JSON arrays of
// [id, weekday, start_minute, end_minute, timezone, valid_from, valid_to] and
// [id, kind, start_minute, end_minute, timezone, date_from, date_to] (NULL when there are none).
func decodeSchedule(rules, exceptions []byte) (*Schedule, error) {
	type row struct {
		id                  uuid.UUID
		weekdayOrKind       json.RawMessage
		startMinute, endMin *int
		zone                string
		dayFrom, dayTo      *string
	}
	parse := func(raw []byte) ([]row, error) {
		if len(raw) == 0 {
			return nil, nil
		}
		var items [][7]json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		out := make([]row, len(items))
		for i, it := range items {
			r := &out[i]
			r.weekdayOrKind = it[1]
			for _, f := range []struct {
				raw json.RawMessage
				to  any
			}{{it[0], &r.id}, {it[2], &r.startMinute}, {it[3], &r.endMin}, {it[4], &r.zone}, {it[5], &r.dayFrom}, {it[6], &r.dayTo}} {
				if err := json.Unmarshal(f.raw, f.to); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	day := func(s *string) (*time.Time, error) {
		if s == nil {
			return nil, nil
		}
		d, err := time.Parse(time.DateOnly, *s)
		return &d, err
	}
	out := &Schedule{}
	rs, err := parse(rules)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	for _, r := range rs {
		rule := models.AvailabilityRule{ID: r.id, Timezone: r.zone}
		if err := json.Unmarshal(r.weekdayOrKind, &rule.Weekday); err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if r.startMinute == nil || r.endMin == nil {
			return nil, fmt.Errorf("rule %s: no hours", r.id)
		}
		rule.StartMinute, rule.EndMinute = *r.startMinute, *r.endMin
		if rule.ValidFrom, err = day(r.dayFrom); err == nil {
			rule.ValidTo, err = day(r.dayTo)
		}
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.id, err)
		}
		out.Rules = append(out.Rules, rule)
	}
	es, err := parse(exceptions)
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	for _, r := range es {
		e := models.AvailabilityException{ID: r.id, Timezone: r.zone, StartMinute: r.startMinute, EndMinute: r.endMin}
		if err := json.Unmarshal(r.weekdayOrKind, &e.Kind); err != nil {
			return nil, fmt.Errorf("exceptions: %w", err)
		}
		from, err := day(r.dayFrom)
		if err == nil && from != nil {
			var to *time.Time
			if to, err = day(r.dayTo); err == nil && to != nil {
				e.DateFrom, e.DateTo = *from, *to
			}
		}
		if err != nil || e.DateFrom.IsZero() || e.DateTo.IsZero() {
			return nil, fmt.Errorf("exception %s: bad days (%v)", r.id, err)
		}
		out.Exceptions = append(out.Exceptions, e)
	}
	return out, nil
}

// Schedule returns the weekly rules of a service (and of every service) and its exceptions that
// touch the calendar days from..to, in one statement (Availability.ScheduleBetween).
func (r *BookingHotPath) Schedule(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
	return NewAvailability(r.db).ScheduleBetween(ctx, serviceID, from, to)
}

// RecordedUser is the account a booking recorded its client in.
type RecordedUser struct {
	ID      uuid.UUID
	Status  models.UserStatus
	Created bool
	// Changed lists the consent types the account holds in another version than the one given:
	// they are left to the caller (revoking the old grant needs a statement of its own).
	Changed []models.ConsentType
}

// RecordUser finds the client account of u's email or creates u (with the client role), and
// grants the consents of types the account does not hold yet — in one statement, inside the
// transaction of ctx. The ConsentChanged events of what it granted join the transaction's events.
func (r *BookingHotPath) RecordUser(ctx context.Context, u *models.User, consents []models.Consent, now time.Time) (*RecordedUser, error) {
	if u.Email == nil {
		return nil, fmt.Errorf("record user: no email")
	}
	now = now.UTC()
	if r.db.Dialect != migrations.Postgres {
		return r.recordUserGenerally(ctx, u, consents, now)
	}
	var (
		values []string
		args   = []any{u.ID, string(*u.Email), u.DisplayName, models.UserActive, now, now}
	)
	for _, c := range consents {
		values = append(values, "(CAST(? AS uuid), CAST(? AS text), CAST(? AS text), CAST(? AS text))")
		args = append(args, c.ID, string(c.Type), c.Version, c.Source)
	}
	if len(values) == 0 {
		values = append(values, "(NULL::uuid, NULL::text, NULL::text, NULL::text)")
	}
	args = append(args, now, now)
	var row struct {
		ID      uuid.UUID
		Status  string
		Created bool
		Granted *string
		Changed *string
	}
	err := r.db.conn(ctx).Raw(`
		WITH u AS (
			INSERT INTO users (id, email, display_name, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (email) WHERE deleted_at IS NULL DO UPDATE SET updated_at = users.updated_at
			RETURNING id, status, (xmax = 0) AS created
		), g (id, consent_type, version, source) AS (VALUES `+strings.Join(values, ", ")+`),
		ro AS (
			INSERT INTO user_roles (user_id, role, granted_at) SELECT id, 'client', ? FROM u WHERE created
		),
		ins AS (
			INSERT INTO consents (id, user_id, consent_type, granted, version, source, granted_at)
			SELECT g.id, u.id, g.consent_type, true, g.version, g.source, ? FROM u, g
			WHERE g.id IS NOT NULL AND u.status = 'active'
			ON CONFLICT (user_id, consent_type) WHERE granted AND revoked_at IS NULL DO NOTHING
			RETURNING consent_type
		)
		SELECT u.id, u.status, u.created,
			(SELECT string_agg(consent_type, ',') FROM ins) AS granted,
			(SELECT string_agg(c.consent_type, ',') FROM consents c, g WHERE c.user_id = u.id
				AND c.consent_type = g.consent_type AND c.granted AND c.revoked_at IS NULL
				AND c.version <> g.version) AS changed
		FROM u`, args...).Scan(&row).Error
	if err != nil {
		return nil, fmt.Errorf("record client %s: %w", u.ID, translate(err))
	}
	if row.ID == uuid.Nil {
		return nil, fmt.Errorf("record client: %w", models.ErrConflict)
	}
	out := &RecordedUser{ID: row.ID, Status: models.UserStatus(row.Status), Created: row.Created}
	if row.Changed != nil {
		for _, t := range strings.Split(*row.Changed, ",") {
			out.Changed = append(out.Changed, models.ConsentType(t))
		}
	}
	if row.Granted != nil {
		granted := &models.User{ID: row.ID}
		for _, t := range strings.Split(*row.Granted, ",") {
			for _, c := range consents {
				if string(c.Type) == t {
					granted.Record(models.ConsentChanged{EventMeta: models.NewEventMeta(row.ID, now), Type: c.Type,
						Granted: true, Version: c.Version, Source: c.Source})
				}
			}
		}
		if err := RecordEvents(ctx, granted); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateLead inserts a new lead with its identities in one statement, inside the transaction of
// ctx; its events join the transaction's. A contact another lead holds is models.ErrConflict.
func (r *BookingHotPath) CreateLead(ctx context.Context, l *models.Lead) error {
	if r.db.Dialect != migrations.Postgres {
		return NewLeads(r.db).Create(ctx, l)
	}
	utm, err := json.Marshal(l.UTM)
	if err != nil {
		return fmt.Errorf("create lead: %w", err)
	}
	args := []any{l.ID, l.Status, l.Source, string(utm), l.Notes, l.UserID, l.Version, l.CreatedAt.UTC(), l.UpdatedAt.UTC(), l.LastActivityAt.UTC()}
	sql := `INSERT INTO leads (id, status, source, utm, notes, user_id, version, created_at, updated_at, last_activity_at)
		VALUES (?, ?, ?, CAST(? AS jsonb), ?, ?, ?, ?, ?, ?)`
	if len(l.Identities) > 0 {
		var values []string
		for _, id := range l.Identities {
			values = append(values, "(?, ?, ?, ?, ?)")
			args = append(args, id.ID, id.LeadID, id.Kind, id.Value, id.CreatedAt.UTC())
		}
		sql = `WITH l AS (` + sql + ` RETURNING id)
			INSERT INTO lead_identities (id, lead_id, kind, value, created_at)
			SELECT * FROM (VALUES ` + strings.Join(values, ", ") + `) AS v (id, lead_id, kind, value, created_at)
			WHERE EXISTS (SELECT 1 FROM l)`
		sql = strings.Replace(sql, "(?, ?, ?, ?, ?)", "(CAST(? AS uuid), CAST(? AS uuid), CAST(? AS text), CAST(? AS text), CAST(? AS timestamptz))", -1)
	}
	if err := r.db.conn(ctx).Exec(sql, args...).Error; err != nil {
		return fmt.Errorf("create lead %s: %w", l.ID, translate(err))
	}
	return RecordEvents(ctx, l)
}

// TouchLead records a booking's activity on an existing lead in one statement: it links the user
// when the lead has none, adds the identities it lacks (a contact another lead holds stays
// there) and moves its last activity. The lead's events (user linked, identities added) join the
// transaction's.
func (r *BookingHotPath) TouchLead(ctx context.Context, leadID uuid.UUID, userID *uuid.UUID, identities []models.LeadIdentity, now time.Time) error {
	now = now.UTC()
	if r.db.Dialect != migrations.Postgres {
		return NewLeads(r.db).Update(ctx, leadID, func(l *models.Lead) error {
			for _, id := range identities {
				if err := l.AddIdentity(id.Kind, id.Value, now); err != nil {
					return err
				}
			}
			if l.UserID == nil && userID != nil {
				if err := l.LinkUser(*userID, now); err != nil {
					return err
				}
			}
			l.Touch(now)
			return nil
		})
	}
	update := `UPDATE leads AS l SET user_id = COALESCE(l.user_id, CAST(? AS uuid)),
			last_activity_at = GREATEST(l.last_activity_at, ?), updated_at = ?, version = l.version + 1
		FROM (SELECT id, user_id AS old_user FROM leads WHERE id = ?) AS o WHERE l.id = o.id AND l.id = ?
		RETURNING o.old_user`
	args := []any{userID, now, now, leadID, leadID}
	var sql string
	if len(identities) == 0 {
		sql = `WITH up AS (` + update + `) SELECT (SELECT old_user FROM up) AS old_user,
			EXISTS (SELECT 1 FROM up) AS found, NULL::text AS added`
	} else {
		var values []string
		for _, id := range identities {
			values = append(values, "(CAST(? AS uuid), CAST(? AS uuid), CAST(? AS text), CAST(? AS text), CAST(? AS timestamptz))")
			args = append(args, id.ID, leadID, id.Kind, id.Value, now)
		}
		sql = `WITH up AS (` + update + `),
			ins AS (INSERT INTO lead_identities (id, lead_id, kind, value, created_at)
				SELECT * FROM (VALUES ` + strings.Join(values, ", ") + `) AS v (id, lead_id, kind, value, created_at)
				WHERE EXISTS (SELECT 1 FROM up)
				ON CONFLICT (kind, value) DO NOTHING RETURNING id, kind)
			SELECT (SELECT old_user FROM up) AS old_user, EXISTS (SELECT 1 FROM up) AS found,
				(SELECT string_agg(kind || ' ' || id::text, ',') FROM ins) AS added`
	}
	var row struct {
		OldUser *uuid.UUID
		Found   bool
		Added   *string
	}
	if err := r.db.conn(ctx).Raw(sql, args...).Scan(&row).Error; err != nil {
		return fmt.Errorf("touch lead %s: %w", leadID, translate(err))
	}
	if !row.Found {
		return fmt.Errorf("touch lead %s: %w", leadID, models.ErrNotFound)
	}
	l := &models.Lead{ID: leadID}
	if userID != nil && row.OldUser == nil {
		l.Record(models.LeadUserLinked{EventMeta: models.NewEventMeta(leadID, now), UserID: *userID})
	}
	if row.Added != nil {
		for _, a := range strings.Split(*row.Added, ",") {
			kind, id, _ := strings.Cut(a, " ")
			iid, err := uuid.Parse(id)
			if err != nil {
				return fmt.Errorf("touch lead %s: %w", leadID, err)
			}
			l.Record(models.LeadIdentityAdded{EventMeta: models.NewEventMeta(leadID, now), IdentityID: iid, Kind: models.LeadIdentityKind(kind)})
		}
	}
	return RecordEvents(ctx, l)
}

// recordUserGenerally is RecordUser in several statements, for SQLite (one writer at a time, so
// no statement can come between them): the account is read, then created or granted what is new.
func (r *BookingHotPath) recordUserGenerally(ctx context.Context, u *models.User, consents []models.Consent, now time.Time) (*RecordedUser, error) {
	users := NewUsers(r.db)
	grant := func(x *models.User) error {
		for _, c := range consents {
			if err := x.GrantConsent(c.Type, c.Version, c.Source, now); err != nil {
				return err
			}
		}
		return nil
	}
	existing, err := users.ByEmail(ctx, *u.Email)
	switch {
	case errors.Is(err, models.ErrNotFound):
		if err := grant(u); err != nil {
			return nil, err
		}
		if err := users.Create(ctx, u); err != nil {
			return nil, err
		}
		return &RecordedUser{ID: u.ID, Status: u.Status, Created: true}, nil
	case err != nil:
		return nil, err
	case existing.Status != models.UserActive:
		return &RecordedUser{ID: existing.ID, Status: existing.Status}, nil
	}
	if err := users.Update(ctx, existing.ID, grant); err != nil {
		return nil, err
	}
	return &RecordedUser{ID: existing.ID, Status: existing.Status}, nil
}

// SavePendingPayment writes what models.Payment.MarkPending changed — the status, the provider's
// payment id, the confirmation URL and the time — in one UPDATE of those columns, if the row still
// has p's version (else models.ErrConflict), and moves p to the next version. MarkPending records
// no event, so there is none to publish.
func (r *BookingHotPath) SavePendingPayment(ctx context.Context, p *models.Payment) error {
	res := r.db.conn(ctx).Exec(`UPDATE payments SET status = ?, provider_payment_id = ?, confirmation_url = ?,
		updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		p.Status, p.ProviderPaymentID, p.ConfirmationURL, p.UpdatedAt, p.ID, p.Version)
	if res.Error != nil {
		return fmt.Errorf("save pending payment %s: %w", p.ID, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("save pending payment %s: %w", p.ID, &models.ConstraintError{Kind: models.ErrConflict, Constraint: "version"})
	}
	p.Version++
	return nil
}
