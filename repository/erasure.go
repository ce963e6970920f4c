package repository

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/models"
	"balance/service/erasure"
)

// This file: client accounts and the cabinet — the erasure of a client's account: what they wrote
// about their state deleted, what names them anonymised, payments and refunds kept.

// Erasure deletes and anonymises a client's data across the contexts.
type Erasure struct{ db *DB }

// NewErasure returns the erasure store.
func NewErasure(db *DB) *Erasure { return &Erasure{db: db} }

// UpcomingAppointments lists the client's active appointments that have not started at now.
func (r *Erasure) UpcomingAppointments(ctx context.Context, userID uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.db.conn(ctx).Model(&models.Appointment{}).
		Where("client_user_id = ? AND status IN ? AND start_at > ?", userID,
			[]models.AppointmentStatus{models.AppointmentStatusPendingPayment, models.AppointmentStatusConfirmed}, now).
		Order("start_at").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("upcoming appointments of %s: %w", userID, translate(err))
	}
	return ids, nil
}

// Erase deletes the client's P2 data and anonymises the rest that names them, in one transaction
// (the caller's, if any). The user row itself is the caller's (models.User.Erase).
func (r *Erasure) Erase(ctx context.Context, p erasure.Plan) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		tx := r.db.conn(ctx)
		leads, err := r.leadsOf(tx, p)
		if err != nil {
			return err
		}
		var chats []int64
		tg := tx.Model(&models.TelegramAccount{}).Where("user_id = ?", p.UserID)
		if len(leads) > 0 {
			tg = tg.Or("lead_id IN ?", leads)
		}
		if err := tg.Pluck("chat_id", &chats).Error; err != nil {
			return fmt.Errorf("erase: telegram chats: %w", translate(err))
		}
		// oldEmail matches rows that name the address without a link to the account ("(none)",
		// never an address, when there is none).
		oldEmail := "(none)"
		if p.Email != nil {
			oldEmail = string(*p.Email)
		}
		refs := []string{}
		for _, c := range chats {
			refs = append(refs, "telegram:"+strconv.FormatInt(c, 10))
		}
		appts := tx.Model(&models.Appointment{}).Select("id").Where("client_user_id = ?", p.UserID)
		if len(leads) > 0 {
			appts = appts.Or("lead_id IN ?", leads)
		}
		// The client's questions: asked signed in, or anonymously with the account's address to
		// answer to.
		questions := tx.Model(&models.Question{}).Select("id").Where("user_id = ?", p.UserID)
		if p.Email != nil {
			questions = questions.Or("contact_email = ?", string(*p.Email))
		}
		answers := tx.Model(&models.Answer{}).Select("id").Where("question_id IN (?)", questions)
		steps := []struct {
			what string
			q    *gorm.DB
		}{
			// P2: deleted.
			{"diary entries", tx.Where("user_id = ?", p.UserID).Delete(&models.DiaryEntry{})},
			{"intake forms", tx.Where("appointment_id IN (?)", appts).Delete(&models.IntakeForm{})},
			{"moderation of answers", tx.Where("kind = ? AND subject_id IN (?)", "answer", answers).Delete(&models.ModerationItem{})},
			{"moderation of questions", tx.Where("kind = ? AND subject_id IN (?)", "question", questions).Delete(&models.ModerationItem{})},
			{"answers", tx.Where("question_id IN (?)", questions).Delete(&models.Answer{})},
			{"questions", tx.Where("id IN (?)", questions).Delete(&models.Question{})},
			{"self-help runs", tx.Where("user_id = ?", p.UserID).Delete(&models.InteractiveRun{})},
			{"data exports", tx.Where("user_id = ?", p.UserID).Delete(&models.DataExportRequest{})},
			{"cancel reasons", tx.Model(&models.Appointment{}).Where("id IN (?)", appts).
				Updates(map[string]any{"cancel_reason_p2": nil, "manage_token": nil, "manage_token_hash": nil})},
			{"booking requests", tx.Where("appointment_id IN (?)", appts).Delete(&models.BookingRequest{})},
			// P1: the ways to reach or recognise the person.
			{"telegram accounts", deleteTelegram(tx, p.UserID, leads)},
			{"deep links", deleteWhereUserOrLead(tx, "user_id", p.UserID, leads).Delete(&models.DeepLink{})},
			{"waitlist", deleteWhereUserOrLead(tx, "client_user_id", p.UserID, leads).Or("email = ?", oldEmail).Delete(&models.WaitlistEntry{})},
			{"sessions", tx.Model(&models.Session{}).Where("user_id = ?", p.UserID).
				Updates(map[string]any{"revoked_at": gorm.Expr("COALESCE(revoked_at, ?)", p.Now), "ip": "", "user_agent": ""})},
			{"codes", tx.Where("(user_id = ? AND id <> ?) OR (purpose = ? AND key = ?)", p.UserID, p.KeepCode,
				models.CodeSignIn, p.SignInKey).Delete(&models.OneTimeCode{})},
			{"kept code", tx.Model(&models.OneTimeCode{}).Where("id = ?", p.KeepCode).Update("expires_at", p.KeepUntil)},
			{"code throttle", tx.Where("scope = ? AND key = ?", models.ThrottleCodeEmail, p.SignInKey).Delete(&models.ThrottleHit{})},
			{"deliveries", tx.Model(&models.NotificationDelivery{}).Where("recipient_user_id = ? OR recipient_ref IN ?", p.UserID, append(refs, oldEmail)).
				Update("recipient_ref", "erased")},
		}
		if len(leads) > 0 {
			steps = append(steps, []struct {
				what string
				q    *gorm.DB
			}{
				{"lead messages", tx.Where("lead_id IN ?", leads).Delete(&models.LeadSubmission{})},
				{"lead identities", tx.Where("lead_id IN ?", leads).Delete(&models.LeadIdentity{})},
				{"lead notes", tx.Where("lead_id IN ? AND kind = ?", leads, models.LeadTimelineKindNote).Delete(&models.LeadTimelineEvent{})},
				{"leads", tx.Model(&models.Lead{}).Where("id IN ?", leads).Update("notes", "")},
			}...)
		}
		for _, s := range steps {
			if s.q.Error != nil {
				return fmt.Errorf("erase %s of %s: %w", s.what, p.UserID, translate(s.q.Error))
			}
		}
		return nil
	})
}

// leadsOf finds the CRM leads of the client: linked to the account, booked with it, or known by
// the account's address, phone or Telegram account.
func (r *Erasure) leadsOf(tx *gorm.DB, p erasure.Plan) ([]uuid.UUID, error) {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	add := func(q *gorm.DB) error {
		var ids []uuid.UUID
		if err := q.Pluck("lead_id", &ids).Error; err != nil {
			return fmt.Errorf("erase: leads of %s: %w", p.UserID, translate(err))
		}
		for _, id := range ids {
			if id != uuid.Nil && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return nil
	}
	if err := add(tx.Model(&models.Lead{}).Select("id AS lead_id").Where("user_id = ?", p.UserID)); err != nil {
		return nil, err
	}
	if err := add(tx.Model(&models.Appointment{}).Where("client_user_id = ? AND lead_id IS NOT NULL", p.UserID)); err != nil {
		return nil, err
	}
	if err := add(tx.Model(&models.TelegramAccount{}).Where("user_id = ? AND lead_id IS NOT NULL", p.UserID)); err != nil {
		return nil, err
	}
	if p.Email != nil {
		if err := add(tx.Model(&models.LeadIdentity{}).Where("kind = ? AND value = ?", models.LeadIdentityKindEmail, string(*p.Email))); err != nil {
			return nil, err
		}
	}
	if p.Phone != nil {
		if err := add(tx.Model(&models.LeadIdentity{}).Where("kind = ? AND value = ?", models.LeadIdentityKindPhone, string(*p.Phone))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func deleteWhereUserOrLead(tx *gorm.DB, column string, userID uuid.UUID, leads []uuid.UUID) *gorm.DB {
	q := tx.Where(column+" = ?", userID)
	if len(leads) > 0 {
		q = q.Or("lead_id IN ?", leads)
	}
	return q
}

func deleteTelegram(tx *gorm.DB, userID uuid.UUID, leads []uuid.UUID) *gorm.DB {
	return deleteWhereUserOrLead(tx, "user_id", userID, leads).Delete(&models.TelegramAccount{})
}

// KeptAddress is the old address kept (encrypted) in the used deletion code codeID.
func (r *Erasure) KeptAddress(ctx context.Context, codeID uuid.UUID) (string, error) {
	var c models.OneTimeCode
	if err := r.db.conn(ctx).First(&c, "id = ? AND purpose = ?", codeID, models.CodeDeleteAccount).Error; err != nil {
		return "", fmt.Errorf("deletion code %s: %w", codeID, translate(err))
	}
	return c.Email, nil
}

// ForgetAddress deletes the used deletion code codeID, and with it the old address.
func (r *Erasure) ForgetAddress(ctx context.Context, codeID uuid.UUID) error {
	if err := r.db.conn(ctx).Where("id = ? AND purpose = ?", codeID, models.CodeDeleteAccount).Delete(&models.OneTimeCode{}).Error; err != nil {
		return fmt.Errorf("forget deletion code %s: %w", codeID, translate(err))
	}
	return nil
}
