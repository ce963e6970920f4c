package models

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Deep-link errors, for the bot to answer /start with the right message.
var (
	// ErrDeepLinkExpired means the link's time is up.
	ErrDeepLinkExpired = errors.New("deep link expired")
	// ErrDeepLinkUsedUp means the link was already used as many times as it allows.
	ErrDeepLinkUsedUp = errors.New("deep link used up")
)

// DeepLinkPurpose is what a deep link opens in the bot.
type DeepLinkPurpose string

// Deep-link purposes.
const (
	// DeepLinkPurposePlan delivers the plan of a completed interactive run.
	DeepLinkPurposePlan DeepLinkPurpose = "plan"
	// DeepLinkPurposeBooking connects a booking to the chat for confirmations and reminders.
	DeepLinkPurposeBooking DeepLinkPurpose = "booking"
	// DeepLinkPurposeSubscribe subscribes the chat to the practice's news.
	DeepLinkPurposeSubscribe DeepLinkPurpose = "subscribe"
)

// ParseDeepLinkPurpose validates a deep-link purpose name.
func ParseDeepLinkPurpose(s string) (DeepLinkPurpose, error) {
	switch p := DeepLinkPurpose(s); p {
	case DeepLinkPurposePlan, DeepLinkPurposeBooking, DeepLinkPurposeSubscribe:
		return p, nil
	}
	return "", &ValidationError{Field: "purpose", Message: fmt.Sprintf("must be one of plan, booking, subscribe; got %q", s)}
}

// telegramCodeRe is a deep-link code: Telegram allows [A-Za-z0-9_-] up to 64 characters in a
// /start parameter; at least 16 keep codes unguessable.
var telegramCodeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// IsDeepLinkCode reports whether s has the form of a deep-link code (whether or not one exists).
func IsDeepLinkCode(s string) bool { return telegramCodeRe.MatchString(s) }

// Bounds of what a deep link carries.
const (
	telegramPayloadMaxKeys     = 16
	telegramPayloadKeyMaxLen   = 64
	telegramPayloadValueMaxLen = 512
	telegramEntryPointMaxLen   = 128
)

// DeepLink is a one-time (or few-times) code that carries a site visitor into the bot with
// /start <code>, with the context they came from. Its payload holds IDs, never P2 data.
type DeepLink struct {
	ID      uuid.UUID `gorm:"primaryKey"`
	Code    string    `gorm:"uniqueIndex:deep_links_code_key"`
	Purpose DeepLinkPurpose
	// Payload is what the bot needs to act, e.g. {"run_id": "..."}.
	Payload map[string]string `gorm:"serializer:json"`
	// EntryPoint names the place on the site the link was offered.
	EntryPoint string
	// LeadID refers to the CRM lead of the visitor (another context: by ID only).
	LeadID    *uuid.UUID `gorm:"index:deep_links_lead_idx"`
	UserID    *uuid.UUID `gorm:"index:deep_links_user_idx"`
	ExpiresAt time.Time  `gorm:"index:deep_links_expires_idx"`
	// UsedAt is the first use.
	UsedAt    *time.Time
	Uses      int
	MaxUses   int
	CreatedAt time.Time
	// RunToken, on a plan link, is the token of the interactive run in Payload["run_id"], for the
	// bot's link to the plan page. Stored only as a Fernet token; nil on other links.
	RunToken *string `gorm:"serializer:fernet"`

	Recorder `gorm:"-"`
}

// NewDeepLink validates a generated code and the link's context; the link may be used maxUses
// times until now+ttl.
func NewDeepLink(code string, purpose DeepLinkPurpose, payload map[string]string, entryPoint string, ttl time.Duration, maxUses int, now time.Time) (*DeepLink, error) {
	if !telegramCodeRe.MatchString(code) {
		return nil, &ValidationError{Field: "code", Message: "must be 16 to 64 characters of A-Z, a-z, 0-9, '_' and '-'"}
	}
	if _, err := ParseDeepLinkPurpose(string(purpose)); err != nil {
		return nil, err
	}
	if len(payload) > telegramPayloadMaxKeys {
		return nil, &ValidationError{Field: "payload", Message: fmt.Sprintf("must have at most %d keys", telegramPayloadMaxKeys)}
	}
	clean := make(map[string]string, len(payload))
	for k, v := range payload {
		if k == "" || len(k) > telegramPayloadKeyMaxLen {
			return nil, &ValidationError{Field: "payload", Message: fmt.Sprintf("keys must be 1 to %d bytes", telegramPayloadKeyMaxLen)}
		}
		if len(v) > telegramPayloadValueMaxLen {
			return nil, &ValidationError{Field: "payload." + k, Message: fmt.Sprintf("must be at most %d bytes", telegramPayloadValueMaxLen)}
		}
		clean[k] = v
	}
	entryPoint = strings.TrimSpace(entryPoint)
	if len(entryPoint) > telegramEntryPointMaxLen {
		return nil, &ValidationError{Field: "entry_point", Message: fmt.Sprintf("must be at most %d bytes", telegramEntryPointMaxLen)}
	}
	if ttl <= 0 {
		return nil, &ValidationError{Field: "ttl", Message: "must be positive"}
	}
	if maxUses < 1 {
		return nil, &ValidationError{Field: "max_uses", Message: "must be at least 1"}
	}
	now = now.UTC()
	return &DeepLink{
		ID: NewID(), Code: code, Purpose: purpose, Payload: clean, EntryPoint: entryPoint,
		ExpiresAt: now.Add(ttl), MaxUses: maxUses, CreatedAt: now,
	}, nil
}

// AttachLead says which CRM lead the link was issued to. Attaching the same lead again changes
// nothing; another lead is refused.
func (d *DeepLink) AttachLead(leadID uuid.UUID) error {
	return telegramAttach(&d.LeadID, leadID, "lead_id", "attach deep link "+d.ID.String()+" to lead")
}

// AttachUser says which signed-in user the link was issued to. Attaching the same user again
// changes nothing; another user is refused.
func (d *DeepLink) AttachUser(userID uuid.UUID) error {
	return telegramAttach(&d.UserID, userID, "user_id", "attach deep link "+d.ID.String()+" to user")
}

// AttachRunToken keeps the token of the plan's run (a plan link only), checked by the caller.
func (d *DeepLink) AttachRunToken(token string) error {
	if d.Purpose != DeepLinkPurposePlan {
		return &ValidationError{Field: "purpose", Message: "only a plan link carries a run"}
	}
	if token == "" {
		return &ValidationError{Field: "run_token", Message: "is required"}
	}
	d.RunToken = &token
	return nil
}

// Expired reports whether the link can no longer be used because of its age.
func (d *DeepLink) Expired(now time.Time) bool { return !now.Before(d.ExpiresAt) }

// UsedUp reports whether the link was used as many times as it allows.
func (d *DeepLink) UsedUp() bool { return d.Uses >= d.MaxUses }

// Use spends one use of the link: /start <code> arrived at now.
func (d *DeepLink) Use(now time.Time) error {
	if d.Expired(now) {
		return fmt.Errorf("use deep link %s: %w", d.ID, ErrDeepLinkExpired)
	}
	if d.UsedUp() {
		return fmt.Errorf("use deep link %s: %w", d.ID, ErrDeepLinkUsedUp)
	}
	now = now.UTC()
	d.Uses++
	if d.UsedAt == nil {
		d.UsedAt = &now
	}
	d.Record(DeepLinkUsed{EventMeta: NewEventMeta(d.ID, now), Purpose: d.Purpose, LeadID: telegramCopyID(d.LeadID), UserID: telegramCopyID(d.UserID), Uses: d.Uses})
	return nil
}

// telegramUsernameRe is a Telegram username without its "@".
var telegramUsernameRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// TelegramAccount is a Telegram user who talks to the bot: the chat to write to, and the site user
// and CRM lead they turned out to be.
type TelegramAccount struct {
	ID             uuid.UUID `gorm:"primaryKey"`
	TelegramUserID int64     `gorm:"uniqueIndex:telegram_accounts_telegram_user_id_key"`
	// Username is without "@"; Telegram users may have none.
	Username *string
	ChatID   int64
	// UserID is the site account; one Telegram account per user.
	UserID *uuid.UUID `gorm:"uniqueIndex:telegram_accounts_user_id_key"`
	// LeadID refers to the CRM lead (another context: by ID only).
	LeadID *uuid.UUID `gorm:"index:telegram_accounts_lead_idx"`
	// Blocked means the user blocked the bot: messages to the chat fail until they return.
	Blocked   bool
	BlockedAt *time.Time
	// LinkedAt is when the account was linked to a site user.
	LinkedAt  *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time

	Recorder `gorm:"-"`
}

// NewTelegramAccount registers the Telegram user tgUserID who wrote to the bot from chatID.
func NewTelegramAccount(tgUserID int64, username string, chatID int64, now time.Time) (*TelegramAccount, error) {
	if tgUserID <= 0 {
		return nil, &ValidationError{Field: "telegram_user_id", Message: "must be positive"}
	}
	if chatID == 0 {
		return nil, &ValidationError{Field: "chat_id", Message: "is required"}
	}
	name, err := telegramUsername(username)
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	return &TelegramAccount{
		ID: NewID(), TelegramUserID: tgUserID, Username: name, ChatID: chatID,
		CreatedAt: now, UpdatedAt: now,
	}, nil
}

func telegramUsername(s string) (*string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	if s == "" {
		return nil, nil
	}
	if !telegramUsernameRe.MatchString(s) {
		return nil, &ValidationError{Field: "username", Message: "must be up to 32 characters of A-Z, a-z, 0-9 and '_'"}
	}
	return &s, nil
}

// UpdateProfile stores the username and chat the latest update came with; Telegram users may
// rename themselves at any time.
func (a *TelegramAccount) UpdateProfile(username string, chatID int64, now time.Time) error {
	if chatID == 0 {
		return &ValidationError{Field: "chat_id", Message: "is required"}
	}
	name, err := telegramUsername(username)
	if err != nil {
		return err
	}
	if a.ChatID == chatID && telegramSameName(a.Username, name) {
		return nil
	}
	a.Username, a.ChatID = name, chatID
	a.UpdatedAt = now.UTC()
	return nil
}

func telegramSameName(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// LinkUser ties the account to a site user. Linking the same user again changes nothing; another
// user is refused (unlinking is a decision for staff, not for a /start).
func (a *TelegramAccount) LinkUser(userID uuid.UUID, now time.Time) error {
	if a.UserID != nil && *a.UserID == userID {
		return nil
	}
	if err := telegramAttach(&a.UserID, userID, "user_id", "link telegram account "+a.ID.String()+" to user"); err != nil {
		return err
	}
	now = now.UTC()
	a.LinkedAt = &now
	a.UpdatedAt = now
	a.Record(TelegramAccountLinked{EventMeta: NewEventMeta(a.ID, now), TelegramUserID: a.TelegramUserID, UserID: telegramCopyID(a.UserID), LeadID: telegramCopyID(a.LeadID)})
	return nil
}

// LinkLead ties the account to the CRM lead it belongs to. Linking the same lead again changes
// nothing; another lead is refused.
func (a *TelegramAccount) LinkLead(leadID uuid.UUID, now time.Time) error {
	if a.LeadID != nil && *a.LeadID == leadID {
		return nil
	}
	if err := telegramAttach(&a.LeadID, leadID, "lead_id", "link telegram account "+a.ID.String()+" to lead"); err != nil {
		return err
	}
	now = now.UTC()
	a.UpdatedAt = now
	a.Record(TelegramAccountLinked{EventMeta: NewEventMeta(a.ID, now), TelegramUserID: a.TelegramUserID, UserID: telegramCopyID(a.UserID), LeadID: telegramCopyID(a.LeadID)})
	return nil
}

// MarkBlocked records that the user blocked the bot (Telegram answered 403). Marking a blocked
// account again changes nothing.
func (a *TelegramAccount) MarkBlocked(now time.Time) {
	if a.Blocked {
		return
	}
	now = now.UTC()
	a.Blocked, a.BlockedAt = true, &now
	a.UpdatedAt = now
	a.Record(TelegramAccountBlocked{EventMeta: NewEventMeta(a.ID, now), TelegramUserID: a.TelegramUserID})
}

// Unblock records that the user is back (wrote to the bot again).
func (a *TelegramAccount) Unblock(now time.Time) error {
	if !a.Blocked {
		return fmt.Errorf("unblock telegram account %s that is not blocked: %w", a.ID, ErrInvalidTransition)
	}
	now = now.UTC()
	a.Blocked, a.BlockedAt = false, nil
	a.UpdatedAt = now
	a.Record(TelegramAccountUnblocked{EventMeta: NewEventMeta(a.ID, now), TelegramUserID: a.TelegramUserID})
	return nil
}

// telegramAttach sets *ref to id once: the same id again is a no-op, another one is refused.
func telegramAttach(ref **uuid.UUID, id uuid.UUID, field, what string) error {
	if id == uuid.Nil {
		return &ValidationError{Field: field, Message: "is required"}
	}
	if *ref != nil {
		if **ref == id {
			return nil
		}
		return fmt.Errorf("%s %s: already set to %s: %w", what, id, **ref, ErrInvalidTransition)
	}
	*ref = &id
	return nil
}

// telegramCopyID copies an optional ID, so an event does not share memory with its aggregate.
func telegramCopyID(id *uuid.UUID) *uuid.UUID {
	if id == nil {
		return nil
	}
	c := *id
	return &c
}

// DeepLinkUsed: a deep link was opened in the bot.
type DeepLinkUsed struct {
	EventMeta
	Purpose DeepLinkPurpose `json:"purpose"`
	LeadID  *uuid.UUID      `json:"lead_id,omitempty"`
	UserID  *uuid.UUID      `json:"user_id,omitempty"`
	Uses    int             `json:"uses"`
}

// EventName implements Event.
func (DeepLinkUsed) EventName() string { return "deep_link.used" }

// TelegramAccountLinked: a Telegram account was linked to a site user or a CRM lead.
type TelegramAccountLinked struct {
	EventMeta
	TelegramUserID int64      `json:"telegram_user_id"`
	UserID         *uuid.UUID `json:"user_id,omitempty"`
	LeadID         *uuid.UUID `json:"lead_id,omitempty"`
}

// EventName implements Event.
func (TelegramAccountLinked) EventName() string { return "telegram_account.linked" }

// TelegramAccountBlocked: the user blocked the bot; notifications must use another channel.
type TelegramAccountBlocked struct {
	EventMeta
	TelegramUserID int64 `json:"telegram_user_id"`
}

// EventName implements Event.
func (TelegramAccountBlocked) EventName() string { return "telegram_account.blocked" }

// TelegramAccountUnblocked: the user came back to the bot.
type TelegramAccountUnblocked struct {
	EventMeta
	TelegramUserID int64 `json:"telegram_user_id"`
}

// EventName implements Event.
func (TelegramAccountUnblocked) EventName() string { return "telegram_account.unblocked" }
