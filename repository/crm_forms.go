package repository

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"balance/models"
)

// LeadSubmissions stores the forms leads sent from the site; their messages are P2.
type LeadSubmissions struct{ db *DB }

// NewLeadSubmissions returns the form submission store.
func NewLeadSubmissions(db *DB) *LeadSubmissions { return &LeadSubmissions{db: db} }

// Create inserts a submission (publishing its LeadFormSubmitted).
func (r *LeadSubmissions) Create(ctx context.Context, s *models.LeadSubmission) error {
	if err := r.db.conn(ctx).Create(s).Error; err != nil {
		return fmt.Errorf("create lead submission: %w", translate(err))
	}
	return nil
}

// Summary loads a submission without its message: what a notification about it may say.
func (r *LeadSubmissions) Summary(ctx context.Context, id uuid.UUID) (*models.LeadSubmission, error) {
	var s models.LeadSubmission
	err := r.db.conn(ctx).Omit("message").First(&s, "id = ?", id).Error
	if err != nil {
		return nil, notFound("lead submission", id, err)
	}
	return &s, nil
}

// ByLead lists a lead's submissions, oldest first, messages decrypted (for the owner).
func (r *LeadSubmissions) ByLead(ctx context.Context, leadID uuid.UUID) ([]models.LeadSubmission, error) {
	var out []models.LeadSubmission
	if err := r.db.conn(ctx).Where("lead_id = ?", leadID).Order("created_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("lead %s submissions: %w", leadID, translate(err))
	}
	return out, nil
}

// ActiveOwnerAccounts loads the active owners with their consents, for alerts. Unlike
// ActiveOwners it locks nothing: an alert must not hold up staff changes.
func (r *Users) ActiveOwnerAccounts(ctx context.Context) ([]models.User, error) {
	var users []models.User
	err := r.withAssociations(ctx).
		Where("status = ? AND id IN (?)", models.UserActive,
			r.db.conn(ctx).Table("user_roles").Select("user_id").Where("role = ?", models.RoleOwner)).
		Order("id").Find(&users).Error
	if err != nil {
		return nil, fmt.Errorf("active owners: %w", translate(err))
	}
	return users, nil
}

// Contact loads what telling an asker about their question needs — its id, user and contact
// email — without decrypting its text.
func (r *Questions) Contact(ctx context.Context, id uuid.UUID) (*models.Question, error) {
	var q models.Question
	err := r.db.conn(ctx).Select("id", "user_id", "contact_email").First(&q, "id = ?", id).Error
	if err != nil {
		return nil, notFound("question", id, err)
	}
	return &q, nil
}
