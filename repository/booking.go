package repository

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/migrations"
	"balance/models"
)

// bookingModels are the persisted models of the booking context (booking and payments).
var bookingModels = []any{
	&models.Service{}, &models.AvailabilityRule{}, &models.AvailabilityException{},
	&models.Appointment{}, &models.IntakeForm{}, &models.WaitlistEntry{},
	&models.Payment{}, &models.Refund{}, &models.PaymentNotification{}, &models.BookingRequest{},
}

// bookingSave writes every column of an unversioned model loaded earlier, but not its
// associations. SkipHooks keeps the UpdatedAt the domain set from its injected clock.
func bookingSave(tx *gorm.DB, model any) error {
	return translate(tx.Session(&gorm.Session{SkipHooks: true}).Model(model).
		Select("*").Omit(clause.Associations).Updates(model).Error)
}

// bookingDay is the calendar day of t (in t's zone) as midnight UTC, the way DATE columns hold it.
func bookingDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Services stores the consultations clients can book.
type Services struct{ db *DB }

// NewServices returns the service store.
func NewServices(db *DB) *Services { return &Services{db: db} }

// Create inserts a service; a taken slug is ErrConflict.
func (r *Services) Create(ctx context.Context, s *models.Service) error {
	if err := r.db.conn(ctx).Create(s).Error; err != nil {
		return fmt.Errorf("create service %s: %w", s.Slug, translate(err))
	}
	return nil
}

// ByID loads a service.
func (r *Services) ByID(ctx context.Context, id uuid.UUID) (*models.Service, error) {
	var s models.Service
	if err := r.db.conn(ctx).First(&s, "id = ?", id).Error; err != nil {
		return nil, notFound("service", id, err)
	}
	return &s, nil
}

// BySlug loads the service with this slug.
func (r *Services) BySlug(ctx context.Context, slug string) (*models.Service, error) {
	var s models.Service
	if err := r.db.conn(ctx).First(&s, "slug = ?", slug).Error; err != nil {
		return nil, notFound("service", slug, err)
	}
	return &s, nil
}

// ListPublished lists the services the public may book, by title.
func (r *Services) ListPublished(ctx context.Context, page Page) ([]models.Service, error) {
	var out []models.Service
	q := r.db.conn(ctx).Where("status = ?", models.PublicationPublished).Order("title, id")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list published services: %w", translate(err))
	}
	return out, nil
}

// List lists every service, whatever its status, by title.
func (r *Services) List(ctx context.Context, page Page) ([]models.Service, error) {
	var out []models.Service
	if err := page.apply(r.db.conn(ctx).Order("title, id")).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list services: %w", translate(err))
	}
	return out, nil
}

// Update loads the service inside a transaction (its row locked on PostgreSQL), lets fn change it
// and saves it.
func (r *Services) Update(ctx context.Context, id uuid.UUID, fn func(*models.Service) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		var s models.Service
		if err := forUpdate(r.db, r.db.conn(ctx), "services").First(&s, "id = ?", id).Error; err != nil {
			return notFound("service", id, err)
		}
		if err := fn(&s); err != nil {
			return err
		}
		if err := bookingSave(r.db.conn(ctx), &s); err != nil {
			return fmt.Errorf("save service %s: %w", id, err)
		}
		return nil
	})
}

// Availability stores the practitioner's weekly working windows and their exceptions.
type Availability struct{ db *DB }

// NewAvailability returns the availability store.
func NewAvailability(db *DB) *Availability { return &Availability{db: db} }

// CreateRule inserts a weekly window.
func (r *Availability) CreateRule(ctx context.Context, rule *models.AvailabilityRule) error {
	if err := r.db.conn(ctx).Create(rule).Error; err != nil {
		return fmt.Errorf("create availability rule: %w", translate(err))
	}
	return nil
}

// CreateException inserts a day off or extra hours.
func (r *Availability) CreateException(ctx context.Context, e *models.AvailabilityException) error {
	if err := r.db.conn(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("create availability exception: %w", translate(err))
	}
	return nil
}

// RulesFor lists the rules of a service and the rules of every service, by weekday and time.
func (r *Availability) RulesFor(ctx context.Context, serviceID uuid.UUID) ([]models.AvailabilityRule, error) {
	var out []models.AvailabilityRule
	err := r.db.conn(ctx).Where("service_id = ? OR service_id IS NULL", serviceID).
		Order("weekday, start_minute, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("availability rules of service %s: %w", serviceID, translate(err))
	}
	return out, nil
}

// ExceptionsBetween lists the exceptions of a service and of every service that touch the
// calendar days from..to (inclusive; only the dates of the arguments count).
func (r *Availability) ExceptionsBetween(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityException, error) {
	var out []models.AvailabilityException
	err := r.db.conn(ctx).Where("(service_id = ? OR service_id IS NULL) AND date_from <= ? AND date_to >= ?",
		serviceID, bookingDay(to), bookingDay(from)).
		Order("date_from, start_minute, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("availability exceptions of service %s: %w", serviceID, translate(err))
	}
	return out, nil
}

// DeleteRule removes a weekly window.
func (r *Availability) DeleteRule(ctx context.Context, id uuid.UUID) error {
	return bookingDelete(r.db.conn(ctx), &models.AvailabilityRule{}, "availability rule", id)
}

// DeleteException removes an exception.
func (r *Availability) DeleteException(ctx context.Context, id uuid.UUID) error {
	return bookingDelete(r.db.conn(ctx), &models.AvailabilityException{}, "availability exception", id)
}

func bookingDelete(tx *gorm.DB, model any, what string, id uuid.UUID) error {
	res := tx.Where("id = ?", id).Delete(model)
	if res.Error != nil {
		return fmt.Errorf("delete %s %s: %w", what, id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete %s %s: %w", what, id, models.ErrNotFound)
	}
	return nil
}

// Appointments stores the booking aggregate. The database refuses two active appointments that
// overlap (ErrSlotTaken), whatever path writes them.
type Appointments struct{ db *DB }

// NewAppointments returns the appointment store.
func NewAppointments(db *DB) *Appointments { return &Appointments{db: db} }

// Create inserts an appointment (not its associations). An overlap with an active appointment is
// ErrSlotTaken.
func (r *Appointments) Create(ctx context.Context, a *models.Appointment) error {
	if err := r.db.conn(ctx).Omit(clause.Associations).Create(a).Error; err != nil {
		return fmt.Errorf("create appointment: %w", translate(err))
	}
	return nil
}

// lean reads appointments without their P2 columns (the manage token, the cancel reason): no read
// of an appointment decrypts them; ManageTokenOf does, for the one use that needs it. Update loads
// every column, since it writes them all back.
func (r *Appointments) lean(ctx context.Context) *gorm.DB {
	return omitP2(r.db.conn(ctx), &models.Appointment{})
}

// intakeSummary preloads an appointment's intake form without its answers (P2, not decrypted):
// its status and times. IntakeForms.ByAppointment reads the answers.
func intakeSummary(db *gorm.DB) *gorm.DB { return omitP2(db, &models.IntakeForm{}) }

// withDetails preloads what an appointment's page shows: its service, payments and the status of
// its intake form.
func (r *Appointments) withDetails(ctx context.Context) *gorm.DB {
	return r.lean(ctx).Preload("Service").
		Preload("Payments", func(db *gorm.DB) *gorm.DB { return db.Order("created_at, id") }).
		Preload("IntakeForm", intakeSummary)
}

// ByID loads an appointment with its service, payments and the status of its intake form; no P2
// (see lean).
func (r *Appointments) ByID(ctx context.Context, id uuid.UUID) (*models.Appointment, error) {
	var a models.Appointment
	if err := r.withDetails(ctx).First(&a, "id = ?", id).Error; err != nil {
		return nil, notFound("appointment", id, err)
	}
	return &a, nil
}

// LeadOf returns the CRM lead of an appointment (nil when it has none) without loading its
// details, so that a caller that needs only the lead never decrypts the intake form.
func (r *Appointments) LeadOf(ctx context.Context, id uuid.UUID) (*uuid.UUID, error) {
	var a models.Appointment
	if err := r.db.conn(ctx).Select("id", "lead_id").First(&a, "id = ?", id).Error; err != nil {
		return nil, notFound("appointment", id, err)
	}
	return a.LeadID, nil
}

// ManageTokenOf decrypts the manage token of an appointment (nil when it has none), for the
// messages that carry the client's manage link; the other reads of an appointment leave it out.
func (r *Appointments) ManageTokenOf(ctx context.Context, id uuid.UUID) (*string, error) {
	var a models.Appointment
	if err := r.db.conn(ctx).Select("id", "manage_token").First(&a, "id = ?", id).Error; err != nil {
		return nil, notFound("manage token of appointment", id, err)
	}
	return a.ManageToken, nil
}

// ByManageTokenHash loads the appointment of a client's manage link, with its service, payments
// and the status of its intake form; no P2 (see lean).
func (r *Appointments) ByManageTokenHash(ctx context.Context, hash string) (*models.Appointment, error) {
	var a models.Appointment
	if err := r.withDetails(ctx).First(&a, "manage_token_hash = ?", hash).Error; err != nil {
		return nil, fmt.Errorf("appointment by manage token: %w", translate(err))
	}
	return &a, nil
}

// ByClient lists a client's appointments, newest first, with their service and payments (no P2:
// neither the intake forms nor the appointments' own P2 columns are decrypted for a list).
func (r *Appointments) ByClient(ctx context.Context, userID uuid.UUID, page Page) ([]models.Appointment, error) {
	var out []models.Appointment
	q := r.lean(ctx).Preload("Service").
		Preload("Payments", func(db *gorm.DB) *gorm.DB { return db.Order("created_at, id") }).
		Where("client_user_id = ?", userID).Order("start_at DESC, id DESC")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("appointments of client %s: %w", userID, translate(err))
	}
	return out, nil
}

// Conflicting lists the active appointments whose held time overlaps [start, blockedUntil): a
// friendly check before booking. The database stays the guarantee.
func (r *Appointments) Conflicting(ctx context.Context, start, blockedUntil time.Time) ([]models.Appointment, error) {
	var out []models.Appointment
	q := r.lean(ctx).Where("status IN ?", models.ActiveAppointmentStatuses)
	if r.db.Dialect == migrations.Postgres {
		// Asked as a range overlap, the window is served by the GiST index of the exclusion
		// constraint appointments_no_overlap, whatever the size of the table (docs/performance.md).
		q = q.Where("tstzrange(start_at, blocked_until, '[)') && tstzrange(?, ?, '[)')", start.UTC(), blockedUntil.UTC())
	} else {
		q = q.Where("blocked_until > ? AND start_at < ?", start.UTC(), blockedUntil.UTC())
	}
	err := q.Order("start_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("conflicting appointments: %w", translate(err))
	}
	return out, nil
}

// Upcoming lists the active appointments starting in [from, to), by start, with their service,
// payments and the status of their intake forms, in a constant number of queries; no P2.
func (r *Appointments) Upcoming(ctx context.Context, from, to time.Time, page Page) ([]models.Appointment, error) {
	var out []models.Appointment
	q := r.withDetails(ctx).Where("status IN ? AND start_at >= ? AND start_at < ?", models.ActiveAppointmentStatuses, from.UTC(), to.UTC()).
		Order("start_at, id")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("upcoming appointments: %w", translate(err))
	}
	return out, nil
}

// ExpiredHolds lists up to limit pending appointments whose payment hold lapsed by now, oldest first.
func (r *Appointments) ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]models.Appointment, error) {
	var out []models.Appointment
	q := r.lean(ctx).Where("status = ? AND hold_expires_at <= ?", models.AppointmentStatusPendingPayment, now.UTC()).
		Order("hold_expires_at, id")
	if err := (Page{Limit: limit}).apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("expired appointment holds: %w", translate(err))
	}
	return out, nil
}

// lockedByID loads an appointment with its service inside the transaction of ctx, locking the
// appointment's row on PostgreSQL.
func (r *Appointments) lockedByID(ctx context.Context, id uuid.UUID) (*models.Appointment, error) {
	var a models.Appointment
	q := forUpdate(r.db, r.db.conn(ctx).Preload("Service"), "appointments")
	if err := q.First(&a, "id = ?", id).Error; err != nil {
		return nil, notFound("appointment", id, err)
	}
	return &a, nil
}

// Update loads the appointment (with its service) inside a transaction, lets fn change it through
// its methods and saves it if nobody else did meanwhile (else ErrConflict). Moving an active
// appointment onto another's time is ErrSlotTaken.
func (r *Appointments) Update(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		a, err := r.lockedByID(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		return r.Save(ctx, a)
	})
}

// Save writes an appointment loaded earlier (not its associations) if its row still has the
// version it was loaded with; otherwise ErrConflict. Moving it onto another's time is ErrSlotTaken.
func (r *Appointments) Save(ctx context.Context, a *models.Appointment) error {
	if err := saveVersioned(r.db.conn(ctx), a, &a.Version); err != nil {
		return fmt.Errorf("save appointment %s: %w", a.ID, err)
	}
	return nil
}

// Reschedule loads the appointment (with its service) inside a transaction; fn moves it (usually
// with old.Reschedule) and returns the new appointment. The old one is saved first, so that the
// new time may overlap the old one's, then the new one is inserted — both or neither.
func (r *Appointments) Reschedule(ctx context.Context, id uuid.UUID, fn func(old *models.Appointment) (*models.Appointment, error)) (*models.Appointment, error) {
	var next *models.Appointment
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		old, err := r.lockedByID(ctx, id)
		if err != nil {
			return err
		}
		if next, err = fn(old); err != nil {
			return err
		}
		if next == nil {
			return errors.New("reschedule: no new appointment")
		}
		if err := r.Save(ctx, old); err != nil {
			return err
		}
		return r.Create(ctx, next)
	})
	if err != nil {
		return nil, fmt.Errorf("reschedule appointment %s: %w", id, err)
	}
	return next, nil
}

// IntakeForms stores the clients' intake forms; the payload column holds only a Fernet token.
type IntakeForms struct{ db *DB }

// NewIntakeForms returns the intake form store.
func NewIntakeForms(db *DB) *IntakeForms { return &IntakeForms{db: db} }

// Save inserts the form of its appointment or, when the appointment has one, overwrites it (the
// form takes the stored form's ID and creation time).
func (r *IntakeForms) Save(ctx context.Context, f *models.IntakeForm) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		var existing models.IntakeForm
		err := forUpdate(r.db, r.db.conn(ctx), "intake_forms").Select("id", "created_at").
			First(&existing, "appointment_id = ?", f.AppointmentID).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if err := r.db.conn(ctx).Create(f).Error; err != nil {
				return fmt.Errorf("create intake form: %w", translate(err))
			}
			return nil
		case err != nil:
			return fmt.Errorf("intake form of appointment %s: %w", f.AppointmentID, translate(err))
		}
		f.ID, f.CreatedAt = existing.ID, existing.CreatedAt
		if err := bookingSave(r.db.conn(ctx), f); err != nil {
			return fmt.Errorf("save intake form %s: %w", f.ID, err)
		}
		return nil
	})
}

// ByAppointment loads (and decrypts) the intake form of an appointment.
func (r *IntakeForms) ByAppointment(ctx context.Context, appointmentID uuid.UUID) (*models.IntakeForm, error) {
	var f models.IntakeForm
	if err := r.db.conn(ctx).First(&f, "appointment_id = ?", appointmentID).Error; err != nil {
		return nil, notFound("intake form of appointment", appointmentID, err)
	}
	return &f, nil
}

// Update loads the intake form of an appointment inside a transaction (its row locked on
// PostgreSQL), lets fn change it and saves it.
func (r *IntakeForms) Update(ctx context.Context, appointmentID uuid.UUID, fn func(*models.IntakeForm) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		var f models.IntakeForm
		q := forUpdate(r.db, r.db.conn(ctx), "intake_forms")
		if err := q.First(&f, "appointment_id = ?", appointmentID).Error; err != nil {
			return notFound("intake form of appointment", appointmentID, err)
		}
		if err := fn(&f); err != nil {
			return err
		}
		if err := bookingSave(r.db.conn(ctx), &f); err != nil {
			return fmt.Errorf("save intake form %s: %w", f.ID, err)
		}
		return nil
	})
}

// Waitlist stores clients waiting for a time to free up.
type Waitlist struct{ db *DB }

// NewWaitlist returns the waitlist store.
func NewWaitlist(db *DB) *Waitlist { return &Waitlist{db: db} }

// Create inserts a waitlist entry.
func (r *Waitlist) Create(ctx context.Context, w *models.WaitlistEntry) error {
	if err := r.db.conn(ctx).Create(w).Error; err != nil {
		return fmt.Errorf("create waitlist entry: %w", translate(err))
	}
	return nil
}

// ByID loads a waitlist entry.
func (r *Waitlist) ByID(ctx context.Context, id uuid.UUID) (*models.WaitlistEntry, error) {
	var w models.WaitlistEntry
	if err := r.db.conn(ctx).First(&w, "id = ?", id).Error; err != nil {
		return nil, notFound("waitlist entry", id, err)
	}
	return &w, nil
}

// ActiveForService lists the clients still waiting for a service, first come first.
func (r *Waitlist) ActiveForService(ctx context.Context, serviceID uuid.UUID, page Page) ([]models.WaitlistEntry, error) {
	var out []models.WaitlistEntry
	q := r.db.conn(ctx).Where("service_id = ? AND status = ?", serviceID, models.WaitlistStatusActive).
		Order("created_at, id")
	if err := page.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("waitlist of service %s: %w", serviceID, translate(err))
	}
	return out, nil
}

// Update loads a waitlist entry inside a transaction (its row locked on PostgreSQL), lets fn
// change it and saves it.
func (r *Waitlist) Update(ctx context.Context, id uuid.UUID, fn func(*models.WaitlistEntry) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		var w models.WaitlistEntry
		if err := forUpdate(r.db, r.db.conn(ctx), "waitlist_entries").First(&w, "id = ?", id).Error; err != nil {
			return notFound("waitlist entry", id, err)
		}
		if err := fn(&w); err != nil {
			return err
		}
		if err := bookingSave(r.db.conn(ctx), &w); err != nil {
			return fmt.Errorf("save waitlist entry %s: %w", id, err)
		}
		return nil
	})
}

// Reassign moves the intake form of appointment from to appointment to (a rescheduled booking
// keeps its form), inside the transaction of ctx when there is one.
func (r *IntakeForms) Reassign(ctx context.Context, from, to uuid.UUID, now time.Time) error {
	err := r.db.conn(ctx).Model(&models.IntakeForm{}).Where("appointment_id = ?", from).
		Updates(map[string]any{"appointment_id": to, "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("move intake form of appointment %s to %s: %w", from, to, translate(err))
	}
	return nil
}

// Waiting lists the active entries of a service whose preferred period (if any) contains start,
// first come first.
func (r *Waitlist) Waiting(ctx context.Context, serviceID uuid.UUID, start time.Time, limit int) ([]models.WaitlistEntry, error) {
	var out []models.WaitlistEntry
	q := r.db.conn(ctx).Where("service_id = ? AND status = ?", serviceID, models.WaitlistStatusActive).
		Where("(preferred_from IS NULL OR preferred_from <= ?) AND (preferred_to IS NULL OR preferred_to > ?)", start.UTC(), start.UTC()).
		Order("created_at, id")
	if err := (Page{Limit: limit}).apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("waitlist of service %s at %s: %w", serviceID, start.Format(time.RFC3339), translate(err))
	}
	return out, nil
}
