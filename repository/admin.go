package repository

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"balance/models"
)

// adminModels are the persisted models of the admin context.
var adminModels = []any{&models.AuditLog{}, &models.MessageTemplate{}}

// AuditLogs stores the audit trail. It only appends: rows are never updated (a trigger refuses it
// on both databases) and the store offers no way to.
type AuditLogs struct{ db *DB }

// NewAuditLogs returns the audit log store.
func NewAuditLogs(db *DB) *AuditLogs { return &AuditLogs{db: db} }

// Append inserts an audit record; call it in the transaction of the change it records.
func (r *AuditLogs) Append(ctx context.Context, l *models.AuditLog) error {
	if err := r.db.conn(ctx).Create(l).Error; err != nil {
		return fmt.Errorf("append audit log: %w", translate(err))
	}
	return nil
}

// AppendForEvent inserts the audit record of a domain event (l.EventID) unless the event already
// has one, and reports whether it inserted. The unique event_id decides, so two runs at the same
// time for one event still write one row.
func (r *AuditLogs) AppendForEvent(ctx context.Context, l *models.AuditLog) (bool, error) {
	if l.EventID == nil || *l.EventID == uuid.Nil {
		return false, fmt.Errorf("append audit log for an event: %w", &models.ValidationError{Field: "event_id", Message: "is required"})
	}
	res := r.db.conn(ctx).
		Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "event_id"}}, DoNothing: true}).
		Create(l)
	if res.Error != nil {
		return false, fmt.Errorf("append audit log for event %s: %w", *l.EventID, translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// AuditLogFilter narrows an audit log listing; zero fields do not filter.
type AuditLogFilter struct {
	ActorID    *uuid.UUID
	Resource   string
	ResourceID string
}

// List lists the audit records matching f, newest first.
func (r *AuditLogs) List(ctx context.Context, f AuditLogFilter, p Page) ([]models.AuditLog, error) {
	q := r.db.conn(ctx).Order("at DESC, id DESC")
	if f.ActorID != nil {
		q = q.Where("actor_user_id = ?", *f.ActorID)
	}
	if f.Resource != "" {
		q = q.Where("resource = ?", f.Resource)
	}
	if f.ResourceID != "" {
		q = q.Where("resource_id = ?", f.ResourceID)
	}
	var out []models.AuditLog
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list audit logs: %w", translate(err))
	}
	return out, nil
}

// MessageTemplates stores editable message templates.
type MessageTemplates struct{ db *DB }

// NewMessageTemplates returns the message template store.
func NewMessageTemplates(db *DB) *MessageTemplates { return &MessageTemplates{db: db} }

// Create inserts a template; another one with the same key, channel and locale is ErrConflict.
func (r *MessageTemplates) Create(ctx context.Context, m *models.MessageTemplate) error {
	if err := r.db.conn(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("create message template: %w", translate(err))
	}
	return nil
}

// ByID loads a template.
func (r *MessageTemplates) ByID(ctx context.Context, id uuid.UUID) (*models.MessageTemplate, error) {
	var m models.MessageTemplate
	if err := r.db.conn(ctx).First(&m, "id = ?", id).Error; err != nil {
		return nil, notFound("message template", id, err)
	}
	return &m, nil
}

// ByKey loads the template of key for channel in locale.
func (r *MessageTemplates) ByKey(ctx context.Context, key string, channel models.TemplateChannel, locale string) (*models.MessageTemplate, error) {
	var m models.MessageTemplate
	err := r.db.conn(ctx).First(&m, "key = ? AND channel = ? AND locale = ?", key, channel, locale).Error
	if err != nil {
		return nil, notFound("message template", key+"/"+string(channel)+"/"+locale, err)
	}
	return &m, nil
}

// List lists templates by key, channel and locale.
func (r *MessageTemplates) List(ctx context.Context, p Page) ([]models.MessageTemplate, error) {
	var out []models.MessageTemplate
	q := r.db.conn(ctx).Order("key, channel, locale")
	if err := p.apply(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list message templates: %w", translate(err))
	}
	return out, nil
}

// Update loads the template inside a transaction (locking its row on PostgreSQL), lets fn change it
// through its methods and saves it if its version is unchanged.
func (r *MessageTemplates) Update(ctx context.Context, id uuid.UUID, fn func(*models.MessageTemplate) error) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := forUpdate(r.db, r.db.conn(ctx), "message_templates")
		var m models.MessageTemplate
		if err := q.First(&m, "id = ?", id).Error; err != nil {
			return notFound("message template", id, err)
		}
		if err := fn(&m); err != nil {
			return err
		}
		return r.Save(ctx, &m)
	})
}

// Save stores a template an editor loaded earlier at m.Version; if someone saved it since, nothing
// is written and the error is ErrConflict. On success m.Version is the new content version.
func (r *MessageTemplates) Save(ctx context.Context, m *models.MessageTemplate) error {
	if err := saveVersioned(r.db.conn(ctx), m, &m.Version); err != nil {
		return fmt.Errorf("save message template %s: %w", m.ID, err)
	}
	return nil
}
