package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/models"
)

// crmModels are the persisted models of the crm context.
var crmModels = []any{&models.Lead{}, &models.LeadIdentity{}, &models.LeadTimelineEvent{}, &models.LeadSubmission{}}

// Leads stores the lead aggregate with its identities.
type Leads struct{ db *DB }

// NewLeads returns the lead store.
func NewLeads(db *DB) *Leads { return &Leads{db: db} }

// Create inserts a new lead with its identities. An identity another lead holds is ErrConflict.
func (r *Leads) Create(ctx context.Context, l *models.Lead) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		if err := tx.Omit(clause.Associations).Create(l).Error; err != nil {
			return fmt.Errorf("create lead: %w", translate(err))
		}
		if len(l.Identities) > 0 {
			if err := tx.Create(&l.Identities).Error; err != nil {
				return fmt.Errorf("create lead identities: %w", translate(err))
			}
		}
		return nil
	})
}

func (r *Leads) withIdentities(ctx context.Context) *gorm.DB {
	return r.db.conn(ctx).Preload("Identities", func(db *gorm.DB) *gorm.DB { return db.Order("created_at, id") })
}

// ByID loads a lead with its identities.
func (r *Leads) ByID(ctx context.Context, id uuid.UUID) (*models.Lead, error) {
	var l models.Lead
	if err := r.withIdentities(ctx).First(&l, "id = ?", id).Error; err != nil {
		return nil, notFound("lead", id, err)
	}
	return &l, nil
}

// ByIdentity loads the lead that holds the identity, given in any spelling its kind accepts
// (" Anna@Example.org", "8 999 123-45-67"). A value that is no valid identity of kind is a
// *models.ValidationError.
func (r *Leads) ByIdentity(ctx context.Context, kind models.LeadIdentityKind, value string) (*models.Lead, error) {
	norm, err := models.NormalizeLeadIdentity(kind, value)
	if err != nil {
		return nil, fmt.Errorf("lead by %s: %w", kind, err)
	}
	var l models.Lead
	err = r.withIdentities(ctx).
		Where("id IN (?)", r.db.conn(ctx).Model(&models.LeadIdentity{}).Select("lead_id").Where("kind = ? AND value = ?", kind, norm)).
		First(&l).Error
	if err != nil {
		// The value is personal data: the error names the kind only.
		return nil, fmt.Errorf("lead by %s: %w", kind, translate(err))
	}
	return &l, nil
}

// ListByStatus lists the leads in status, most recently active first, with their identities
// (two queries, whatever the page size).
func (r *Leads) ListByStatus(ctx context.Context, status models.LeadStatus, page Page) ([]models.Lead, error) {
	var leads []models.Lead
	q := r.withIdentities(ctx).Where("status = ?", status).Order("last_activity_at DESC, id DESC")
	if err := page.apply(q).Find(&leads).Error; err != nil {
		return nil, fmt.Errorf("list %s leads: %w", status, translate(err))
	}
	return leads, nil
}

// Save writes a lead loaded earlier, unless someone saved it since (ErrConflict, and l keeps its
// version), and inserts the identities it gained. An identity another lead holds is ErrConflict.
func (r *Leads) Save(ctx context.Context, l *models.Lead) error {
	old := l.Version
	err := r.db.InTx(ctx, func(ctx context.Context) error { return r.save(ctx, l) })
	if err != nil {
		l.Version = old
	}
	return err
}

// Update loads the lead inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods, and saves it with the identities it gained.
func (r *Leads) Update(ctx context.Context, id uuid.UUID, fn func(*models.Lead) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.withIdentities(ctx), "leads")
		var l models.Lead
		if err := q.First(&l, "id = ?", id).Error; err != nil {
			return notFound("lead", id, err)
		}
		if err := fn(&l); err != nil {
			return err
		}
		return r.save(ctx, &l)
	})
}

// save runs inside a transaction. Identities are never removed by the domain, so only the new
// ones are written.
func (r *Leads) save(ctx context.Context, l *models.Lead) error {
	tx := r.db.conn(ctx)
	if err := saveVersioned(tx, l, &l.Version); err != nil {
		return fmt.Errorf("save lead %s: %w", l.ID, err)
	}
	var stored []uuid.UUID
	if err := tx.Model(&models.LeadIdentity{}).Where("lead_id = ?", l.ID).Pluck("id", &stored).Error; err != nil {
		return fmt.Errorf("lead %s identities: %w", l.ID, translate(err))
	}
	known := make(map[uuid.UUID]bool, len(stored))
	for _, id := range stored {
		known[id] = true
	}
	var added []models.LeadIdentity
	for _, i := range l.Identities {
		if !known[i.ID] {
			added = append(added, i)
		}
	}
	if len(added) > 0 {
		if err := tx.Create(&added).Error; err != nil {
			return fmt.Errorf("add lead %s identity: %w", l.ID, translate(err))
		}
	}
	return nil
}

// LeadTimeline stores the append-only history of leads.
type LeadTimeline struct{ db *DB }

// NewLeadTimeline returns the lead timeline store.
func NewLeadTimeline(db *DB) *LeadTimeline { return &LeadTimeline{db: db} }

// Append adds an entry. An entry whose source event is already in the timeline is not added
// again, and that is no error: subscribers may run twice for one event.
func (r *LeadTimeline) Append(ctx context.Context, e *models.LeadTimelineEvent) error {
	err := r.db.conn(ctx).
		Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "source_event_id"}}, DoNothing: true}).
		Create(e).Error
	if err != nil {
		return fmt.Errorf("append %s to lead %s timeline: %w", e.Kind, e.LeadID, translate(err))
	}
	return nil
}

// ListByLead lists a lead's timeline, oldest first.
func (r *LeadTimeline) ListByLead(ctx context.Context, leadID uuid.UUID, page Page) ([]models.LeadTimelineEvent, error) {
	var events []models.LeadTimelineEvent
	q := r.db.conn(ctx).Where("lead_id = ?", leadID).Order("occurred_at, id")
	if err := page.apply(q).Find(&events).Error; err != nil {
		return nil, fmt.Errorf("lead %s timeline: %w", leadID, translate(err))
	}
	return events, nil
}

// Merge folds lead otherID into lead intoID in one transaction: both rows are locked (in id order,
// on PostgreSQL), fn applies the domain's rules to both, and then everything that refers to the
// other lead — its identities, its timeline, and the appointments, waitlist entries, Telegram
// accounts and deep links of other contexts — refers to intoID; the other lead is deleted and the
// kept one saved (ErrConflict when someone saved it meanwhile).
func (r *Leads) Merge(ctx context.Context, intoID, otherID uuid.UUID, now time.Time, fn func(into, other *models.Lead) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		var both []models.Lead
		q := forUpdate(r.db, r.withIdentities(ctx), "leads")
		if err := q.Where("id IN ?", []uuid.UUID{intoID, otherID}).Order("id").Find(&both).Error; err != nil {
			return fmt.Errorf("merge leads: %w", translate(err))
		}
		var into, other *models.Lead
		for i := range both {
			switch both[i].ID {
			case intoID:
				into = &both[i]
			case otherID:
				other = &both[i]
			}
		}
		if into == nil {
			return notFound("lead", intoID, gorm.ErrRecordNotFound)
		}
		if other == nil {
			return notFound("lead", otherID, gorm.ErrRecordNotFound)
		}
		if err := fn(into, other); err != nil {
			return err
		}
		tx := r.db.conn(ctx)
		if err := tx.Model(&models.LeadIdentity{}).Where("lead_id = ?", otherID).Update("lead_id", intoID).Error; err != nil {
			return fmt.Errorf("move lead %s identities: %w", otherID, translate(err))
		}
		// The timeline is append-only (no UPDATE): its entries move by delete and insert, ids and
		// source events kept.
		var entries []models.LeadTimelineEvent
		if err := tx.Where("lead_id = ?", otherID).Find(&entries).Error; err != nil {
			return fmt.Errorf("lead %s timeline: %w", otherID, translate(err))
		}
		if len(entries) > 0 {
			if err := tx.Where("lead_id = ?", otherID).Delete(&models.LeadTimelineEvent{}).Error; err != nil {
				return fmt.Errorf("move lead %s timeline: %w", otherID, translate(err))
			}
			for i := range entries {
				entries[i].LeadID = intoID
			}
			if err := tx.Create(&entries).Error; err != nil {
				return fmt.Errorf("move lead %s timeline: %w", otherID, translate(err))
			}
		}
		for _, stmt := range []string{
			"UPDATE appointments SET lead_id = ?, version = version + 1, updated_at = ? WHERE lead_id = ?",
			"UPDATE waitlist_entries SET lead_id = ?, updated_at = ? WHERE lead_id = ?",
			"UPDATE telegram_accounts SET lead_id = ?, updated_at = ? WHERE lead_id = ?",
		} {
			if err := tx.Exec(stmt, intoID, now.UTC(), otherID).Error; err != nil {
				return fmt.Errorf("move lead %s references: %w", otherID, translate(err))
			}
		}
		if err := tx.Exec("UPDATE deep_links SET lead_id = ? WHERE lead_id = ?", intoID, otherID).Error; err != nil {
			return fmt.Errorf("move lead %s deep links: %w", otherID, translate(err))
		}
		if err := tx.Exec("UPDATE lead_submissions SET lead_id = ? WHERE lead_id = ?", intoID, otherID).Error; err != nil {
			return fmt.Errorf("move lead %s form submissions: %w", otherID, translate(err))
		}
		if err := tx.Delete(&models.Lead{}, "id = ?", otherID).Error; err != nil {
			return fmt.Errorf("delete merged lead %s: %w", otherID, translate(err))
		}
		return r.save(ctx, into)
	})
}
