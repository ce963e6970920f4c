package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// LeadMerger is what merging needs of lead persistence; *repository.Leads is one.
type LeadMerger interface {
	// Merge locks both leads, lets fn apply the rules, moves everything of other to into and
	// deletes other, in one transaction.
	Merge(ctx context.Context, intoID, otherID uuid.UUID, now time.Time, fn func(into, other *models.Lead) error) error
}

// Merge errors; both are models.ErrConflict.
var (
	// ErrMergeSelf: a lead cannot be merged into itself.
	ErrMergeSelf = fmt.Errorf("merge a lead into itself: %w", models.ErrConflict)
	// ErrMergeUsers: the two leads are linked to different site accounts, so they are two people.
	ErrMergeUsers = fmt.Errorf("merge leads of two different users: %w", models.ErrConflict)
)

// MergedKind is the timeline kind of the entry that records a merge.
const MergedKind = "lead.merged"

// MergeLeads folds lead otherID into lead intoID — the same person, recognised twice: the kept
// lead gains the other's identities, timeline, site account, appointments and notes, keeps its
// own status, and its timeline records the merge; the other lead is deleted. Two leads linked to
// different users are two people (ErrMergeUsers). Call it in a transaction (the admin action's),
// so that the merge and its timeline entry commit together.
func MergeLeads(ctx context.Context, leads LeadMerger, entries Timeline, intoID, otherID uuid.UUID, now time.Time) error {
	if intoID == otherID {
		return ErrMergeSelf
	}
	now = now.UTC()
	err := leads.Merge(ctx, intoID, otherID, now, func(into, other *models.Lead) error {
		if into.UserID != nil && other.UserID != nil && *into.UserID != *other.UserID {
			return ErrMergeUsers
		}
		if other.UserID != nil {
			if err := into.LinkUser(*other.UserID, now); err != nil {
				return err
			}
		}
		if other.Notes != "" {
			notes := other.Notes
			if into.Notes != "" {
				notes = into.Notes + "\n\n" + other.Notes
			}
			if err := into.SetNotes(notes, now); err != nil {
				return err
			}
		}
		into.Touch(other.LastActivityAt)
		return nil
	})
	if err != nil {
		return err
	}
	entry, err := models.NewLeadTimelineEvent(intoID, MergedKind, now, nil, map[string]any{"merged_lead_id": otherID.String()}, now)
	if err != nil {
		return fmt.Errorf("merge leads: %w", err)
	}
	if err := entries.Append(ctx, entry); err != nil {
		return fmt.Errorf("merge leads: %w", err)
	}
	return nil
}
