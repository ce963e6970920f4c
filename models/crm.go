package models

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// LeadStatus is where a lead stands on the way from first contact to client.
type LeadStatus string

// Lead statuses.
const (
	LeadStatusNew     LeadStatus = "new"
	LeadStatusEngaged LeadStatus = "engaged"
	LeadStatusBooked  LeadStatus = "booked"
	LeadStatusClient  LeadStatus = "client"
	LeadStatusLost    LeadStatus = "lost"
)

// LeadStatuses lists every lead status in funnel order.
var LeadStatuses = []LeadStatus{LeadStatusNew, LeadStatusEngaged, LeadStatusBooked, LeadStatusClient, LeadStatusLost}

// leadTransitions is the lead's state machine: from → the statuses it may move to.
//
//	new     → engaged | booked | lost
//	engaged → booked | lost
//	booked  → client (came to a session) | engaged (the booking was canceled) | lost
//	client  → lost
//	lost    → engaged (re-engaged) | booked (came back straight to a booking)
//
// Staying in the same status is not a transition.
var leadTransitions = map[LeadStatus][]LeadStatus{
	LeadStatusNew:     {LeadStatusEngaged, LeadStatusBooked, LeadStatusLost},
	LeadStatusEngaged: {LeadStatusBooked, LeadStatusLost},
	LeadStatusBooked:  {LeadStatusClient, LeadStatusEngaged, LeadStatusLost},
	LeadStatusClient:  {LeadStatusLost},
	LeadStatusLost:    {LeadStatusEngaged, LeadStatusBooked},
}

// ParseLeadStatus validates a lead status name.
func ParseLeadStatus(s string) (LeadStatus, error) {
	if st := LeadStatus(s); slices.Contains(LeadStatuses, st) {
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be one of new, engaged, booked, client, lost; got %q", s)}
}

// CanMoveTo reports whether the state machine allows s → to.
func (s LeadStatus) CanMoveTo(to LeadStatus) bool {
	return slices.Contains(leadTransitions[s], to)
}

// UTM holds the campaign parameters of the visit that brought the lead.
type UTM struct {
	Source   string `json:"source,omitempty"`
	Medium   string `json:"medium,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Content  string `json:"content,omitempty"`
	Term     string `json:"term,omitempty"`
}

// crmUTMMaxLen bounds each UTM parameter; they come from URLs anyone can craft.
const crmUTMMaxLen = 256

func (u UTM) normalized() (UTM, error) {
	fields := []struct {
		name string
		v    *string
	}{
		{"utm.source", &u.Source}, {"utm.medium", &u.Medium}, {"utm.campaign", &u.Campaign},
		{"utm.content", &u.Content}, {"utm.term", &u.Term},
	}
	for _, f := range fields {
		*f.v = strings.TrimSpace(*f.v)
		if len(*f.v) > crmUTMMaxLen {
			return UTM{}, &ValidationError{Field: f.name, Message: fmt.Sprintf("must be at most %d bytes", crmUTMMaxLen)}
		}
	}
	return u, nil
}

// crmSourceRe is a lead source: a short machine tag such as "site", "telegram" or "booking".
var crmSourceRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

// crmNotesMaxLen bounds the staff notes of one lead.
const crmNotesMaxLen = 10000

// Lead is the CRM aggregate: one prospective or actual client, recognised by identities (email,
// phone, Telegram id, the site's anonymous id) before and after they sign up.
type Lead struct {
	ID     uuid.UUID  `gorm:"primaryKey"`
	Status LeadStatus `gorm:"index:leads_status_activity_idx,priority:1"`
	// Source is where the lead came from: site, telegram, interactive, booking, admin, ...
	Source string
	UTM    UTM `gorm:"column:utm;serializer:json"`
	// Notes are the staff's plain-text notes. Clients never write here, so this is not P2.
	Notes          string
	UserID         *uuid.UUID `gorm:"index:leads_user_idx"`
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastActivityAt time.Time `gorm:"index:leads_status_activity_idx,priority:2"`

	Identities []LeadIdentity `gorm:"foreignKey:LeadID"`

	Recorder `gorm:"-"`
}

// NewLead captures a new lead from source with the visit's UTM parameters.
func NewLead(source string, utm UTM, now time.Time) (*Lead, error) {
	source = strings.ToLower(strings.TrimSpace(source))
	if source == "" {
		return nil, &ValidationError{Field: "source", Message: "is required"}
	}
	if !crmSourceRe.MatchString(source) {
		return nil, &ValidationError{Field: "source", Message: "must be a short tag of a-z, 0-9, '_', '.', '-' (at most 32)"}
	}
	utm, err := utm.normalized()
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	l := &Lead{
		ID: NewID(), Status: LeadStatusNew, Source: source, UTM: utm, Version: 1,
		CreatedAt: now, UpdatedAt: now, LastActivityAt: now,
	}
	l.Record(LeadCaptured{EventMeta: NewEventMeta(l.ID, now), Source: source})
	return l, nil
}

// HasIdentity reports whether the lead already carries the (normalized) identity.
func (l *Lead) HasIdentity(kind LeadIdentityKind, value string) bool {
	return slices.ContainsFunc(l.Identities, func(i LeadIdentity) bool { return i.Kind == kind && i.Value == value })
}

// AddIdentity attaches an email, phone, Telegram user id or anonymous id to the lead, normalized.
// Adding one the lead already has changes nothing. That no other lead holds it is for the
// database to say, when the lead is saved.
func (l *Lead) AddIdentity(kind LeadIdentityKind, value string, now time.Time) error {
	norm, err := NormalizeLeadIdentity(kind, value)
	if err != nil {
		return err
	}
	if l.HasIdentity(kind, norm) {
		return nil
	}
	now = now.UTC()
	id := LeadIdentity{ID: NewID(), LeadID: l.ID, Kind: kind, Value: norm, CreatedAt: now}
	l.Identities = append(l.Identities, id)
	l.UpdatedAt = now
	l.Record(LeadIdentityAdded{EventMeta: NewEventMeta(l.ID, now), IdentityID: id.ID, Kind: kind})
	return nil
}

// MoveTo moves the lead along its state machine; a status change is activity too.
func (l *Lead) MoveTo(to LeadStatus, now time.Time) error {
	if _, err := ParseLeadStatus(string(to)); err != nil {
		return err
	}
	if !l.Status.CanMoveTo(to) {
		return fmt.Errorf("move lead %s from %s to %s: %w", l.ID, l.Status, to, ErrInvalidTransition)
	}
	now = now.UTC()
	from := l.Status
	l.Status = to
	l.UpdatedAt = now
	l.touch(now)
	l.Record(LeadStatusChanged{EventMeta: NewEventMeta(l.ID, now), From: from, To: to})
	return nil
}

// LinkUser ties the lead to the site account the person signed up with. Linking the same user
// again changes nothing; a lead is one person, so another user is refused.
func (l *Lead) LinkUser(userID uuid.UUID, now time.Time) error {
	if userID == uuid.Nil {
		return &ValidationError{Field: "user_id", Message: "is required"}
	}
	if l.UserID != nil {
		if *l.UserID == userID {
			return nil
		}
		return fmt.Errorf("link lead %s to user %s: already linked to user %s: %w", l.ID, userID, *l.UserID, ErrInvalidTransition)
	}
	now = now.UTC()
	l.UserID = &userID
	l.UpdatedAt = now
	l.Record(LeadUserLinked{EventMeta: NewEventMeta(l.ID, now), UserID: userID})
	return nil
}

// SetNotes replaces the staff notes.
func (l *Lead) SetNotes(notes string, now time.Time) error {
	notes = strings.TrimSpace(notes)
	if len(notes) > crmNotesMaxLen {
		return &ValidationError{Field: "notes", Message: fmt.Sprintf("must be at most %d bytes", crmNotesMaxLen)}
	}
	if notes == l.Notes {
		return nil
	}
	l.Notes = notes
	l.UpdatedAt = now.UTC()
	return nil
}

// Touch records activity of the lead (a visit, a message, a payment). Activity reported late,
// older than what is known, does not move LastActivityAt back.
func (l *Lead) Touch(now time.Time) {
	now = now.UTC()
	if l.touch(now) {
		l.UpdatedAt = now
	}
}

func (l *Lead) touch(now time.Time) bool {
	if !now.After(l.LastActivityAt) {
		return false
	}
	l.LastActivityAt = now
	return true
}

// LeadIdentityKind is how a lead is recognised.
type LeadIdentityKind string

// Lead identity kinds.
const (
	LeadIdentityKindEmail       LeadIdentityKind = "email"
	LeadIdentityKindPhone       LeadIdentityKind = "phone"
	LeadIdentityKindTelegram    LeadIdentityKind = "telegram"
	LeadIdentityKindAnonymousID LeadIdentityKind = "anonymous_id"
	// LeadIdentityKindTelegramUsername is the @username a visitor gives in a site form: a contact,
	// unlike LeadIdentityKindTelegram (the numeric user id the bot sees).
	LeadIdentityKindTelegramUsername LeadIdentityKind = "telegram_username"
)

// ParseLeadIdentityKind validates an identity kind name.
func ParseLeadIdentityKind(s string) (LeadIdentityKind, error) {
	switch k := LeadIdentityKind(s); k {
	case LeadIdentityKindEmail, LeadIdentityKindPhone, LeadIdentityKindTelegram, LeadIdentityKindAnonymousID,
		LeadIdentityKindTelegramUsername:
		return k, nil
	}
	return "", &ValidationError{Field: "kind", Message: fmt.Sprintf("must be one of email, phone, telegram, anonymous_id, telegram_username; got %q", s)}
}

// crmAnonymousIDMaxLen bounds the site's opaque visitor id.
const crmAnonymousIDMaxLen = 128

// NormalizeLeadIdentity validates value as an identity of kind and returns its one stored
// spelling: emails lower-cased, phones in E.164, Telegram user ids as plain decimals, anonymous
// ids unchanged (1..128 visible ASCII characters), Telegram usernames lower-cased without "@" or
// "t.me/". Lookups normalize the same way.
func NormalizeLeadIdentity(kind LeadIdentityKind, value string) (string, error) {
	switch kind {
	case LeadIdentityKindEmail:
		e, err := ParseEmail(value)
		return string(e), err
	case LeadIdentityKindPhone:
		p, err := ParsePhone(value)
		return string(p), err
	case LeadIdentityKindTelegram:
		v := strings.TrimSpace(value)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || strings.HasPrefix(v, "+") {
			return "", &ValidationError{Field: "telegram", Message: "must be a positive decimal Telegram user id"}
		}
		return strconv.FormatInt(n, 10), nil
	case LeadIdentityKindAnonymousID:
		if value == "" || len(value) > crmAnonymousIDMaxLen {
			return "", &ValidationError{Field: "anonymous_id", Message: fmt.Sprintf("must be 1 to %d characters", crmAnonymousIDMaxLen)}
		}
		if !visibleASCII(value) {
			return "", &ValidationError{Field: "anonymous_id", Message: "may contain only visible ASCII characters"}
		}
		return value, nil
	case LeadIdentityKindTelegramUsername:
		return normalizeTelegramUsername(value)
	}
	_, err := ParseLeadIdentityKind(string(kind))
	return "", err
}

// LeadIdentity is one way to recognise a lead. A (kind, value) pair belongs to one lead only.
type LeadIdentity struct {
	ID        uuid.UUID        `gorm:"primaryKey"`
	LeadID    uuid.UUID        `gorm:"index:lead_identities_lead_idx"`
	Kind      LeadIdentityKind `gorm:"uniqueIndex:lead_identities_kind_value_key,priority:1"`
	Value     string           `gorm:"uniqueIndex:lead_identities_kind_value_key,priority:2"`
	CreatedAt time.Time
}

// LeadTimelineKindNote is the timeline kind of a staff note; other kinds are domain event names
// such as "lead.captured" or "appointment.booked".
const LeadTimelineKindNote = "note"

// crmTimelineKindRe is a dotted lower-case name: "note", "payment.succeeded".
var crmTimelineKindRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// crmTimelineKindMaxLen bounds a timeline kind.
const crmTimelineKindMaxLen = 64

// LeadTimelineEvent is one entry of a lead's history, as staff see it in the CRM. Entries are
// appended, never changed. Data holds facts that are not P2 (IDs, statuses, amounts).
type LeadTimelineEvent struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	LeadID     uuid.UUID `gorm:"index:lead_timeline_events_lead_idx,priority:1"`
	Kind       string
	OccurredAt time.Time `gorm:"index:lead_timeline_events_lead_idx,priority:2"`
	// SourceEventID is the domain event the entry was made from; it makes appending idempotent.
	SourceEventID *uuid.UUID     `gorm:"uniqueIndex:lead_timeline_events_source_event_key"`
	Data          map[string]any `gorm:"serializer:json"`
	CreatedAt     time.Time
}

// NewLeadTimelineEvent makes an entry of kind about leadID that happened at occurredAt.
// sourceEventID may be nil (e.g. a staff note).
func NewLeadTimelineEvent(leadID uuid.UUID, kind string, occurredAt time.Time, sourceEventID *uuid.UUID, data map[string]any, now time.Time) (*LeadTimelineEvent, error) {
	if leadID == uuid.Nil {
		return nil, &ValidationError{Field: "lead_id", Message: "is required"}
	}
	if len(kind) > crmTimelineKindMaxLen || !crmTimelineKindRe.MatchString(kind) {
		return nil, &ValidationError{Field: "kind", Message: fmt.Sprintf("must be a dotted lower-case name of at most %d characters, like payment.succeeded; got %q", crmTimelineKindMaxLen, kind)}
	}
	if occurredAt.IsZero() {
		return nil, &ValidationError{Field: "occurred_at", Message: "is required"}
	}
	if sourceEventID != nil && *sourceEventID == uuid.Nil {
		return nil, &ValidationError{Field: "source_event_id", Message: "must not be the nil UUID"}
	}
	if data == nil {
		data = map[string]any{}
	}
	return &LeadTimelineEvent{
		ID: NewID(), LeadID: leadID, Kind: kind, OccurredAt: occurredAt.UTC(),
		SourceEventID: sourceEventID, Data: data, CreatedAt: now.UTC(),
	}, nil
}

// NewLeadTimelineEventFrom makes the entry for domain event e: its name is the kind, its time the
// occurrence, its ID the source, so a subscriber that runs twice appends it once.
func NewLeadTimelineEventFrom(leadID uuid.UUID, e Event, data map[string]any, now time.Time) (*LeadTimelineEvent, error) {
	id := e.EventID()
	return NewLeadTimelineEvent(leadID, e.EventName(), e.OccurredAt(), &id, data, now)
}

// LeadCaptured: a new lead entered the CRM.
type LeadCaptured struct {
	EventMeta
	Source string `json:"source"`
}

// EventName implements Event.
func (LeadCaptured) EventName() string { return "lead.captured" }

// LeadStatusChanged: the lead moved along its state machine.
type LeadStatusChanged struct {
	EventMeta
	From LeadStatus `json:"from"`
	To   LeadStatus `json:"to"`
}

// EventName implements Event.
func (LeadStatusChanged) EventName() string { return "lead.status_changed" }

// LeadIdentityAdded: the lead can now be recognised by one more identity. The value itself (an
// email, a phone) stays out of the event.
type LeadIdentityAdded struct {
	EventMeta
	IdentityID uuid.UUID        `json:"identity_id"`
	Kind       LeadIdentityKind `json:"kind"`
}

// EventName implements Event.
func (LeadIdentityAdded) EventName() string { return "lead.identity_added" }

// LeadUserLinked: the lead signed up, or was matched to an existing account.
type LeadUserLinked struct {
	EventMeta
	UserID uuid.UUID `json:"user_id"`
}

// EventName implements Event.
func (LeadUserLinked) EventName() string { return "lead.user_linked" }
