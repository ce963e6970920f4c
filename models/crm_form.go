package models

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// This file: what a visitor sends through a contact or subscription form of the site.

// crmTelegramUsernameRe is a Telegram username as Telegram allows it: 5 to 32 characters of
// letters, digits and '_', starting with a letter.
var crmTelegramUsernameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{4,31}$`)

// normalizeTelegramUsername accepts "@Anna_K", "anna_k", "t.me/anna_k" or
// "https://t.me/anna_k" and returns "anna_k": Telegram usernames are case-insensitive.
func normalizeTelegramUsername(value string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(value))
	for _, prefix := range []string{"https://", "http://", "t.me/", "telegram.me/", "@"} {
		v = strings.TrimPrefix(v, prefix)
	}
	if !crmTelegramUsernameRe.MatchString(v) {
		return "", &ValidationError{Field: "telegram", Message: "must be a Telegram username: 5 to 32 letters, digits or '_', starting with a letter"}
	}
	return v, nil
}

// Bounds of a form submission.
const (
	LeadNameMaxChars    = 200
	LeadMessageMaxChars = 5000
	leadConsentsMax     = 5
	leadConsentVerMax   = 64
)

// LeadConsent is a consent given in a form, with the version of the document the visitor saw.
type LeadConsent struct {
	Type    ConsentType `json:"type"`
	Version string      `json:"version"`
}

// LeadSubmission is one contact or subscription form a lead sent: who they said they are, where
// they came from, and their message. The message may describe the person's state, so it is P2:
// stored only as a Fernet token, never in the timeline, events or logs.
type LeadSubmission struct {
	ID     uuid.UUID `gorm:"primaryKey"`
	LeadID uuid.UUID `gorm:"index:lead_submissions_lead_idx,priority:1"`
	Source string
	Name   string
	// Message is P2; nil when the form had none.
	Message *string `gorm:"serializer:fernet"`
	UTM     UTM     `gorm:"column:utm;serializer:json"`
	// Consents are those given in the form; they are recorded on the client's account too when
	// the form named an email.
	Consents  []LeadConsent `gorm:"serializer:json"`
	CreatedAt time.Time     `gorm:"index:lead_submissions_lead_idx,priority:2"`

	Recorder `gorm:"-"`
}

// NewLeadSubmission validates a form sent by lead leadID and records LeadFormSubmitted.
// withEmail says whether the consents also go to a client account (the event then leaves them out).
func NewLeadSubmission(leadID uuid.UUID, source, name, message string, utm UTM, consents []LeadConsent, withEmail bool, now time.Time) (*LeadSubmission, error) {
	if leadID == uuid.Nil {
		return nil, &ValidationError{Field: "lead_id", Message: "is required"}
	}
	source = strings.ToLower(strings.TrimSpace(source))
	if !crmSourceRe.MatchString(source) {
		return nil, &ValidationError{Field: "source", Message: "must be a short tag of a-z, 0-9, '_', '.', '-' (at most 32)"}
	}
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > LeadNameMaxChars {
		return nil, &ValidationError{Field: "name", Message: fmt.Sprintf("must be at most %d characters", LeadNameMaxChars)}
	}
	utm, err := utm.normalized()
	if err != nil {
		return nil, err
	}
	if err := validateLeadConsents(source, consents); err != nil {
		return nil, err
	}
	now = now.UTC()
	s := &LeadSubmission{ID: NewID(), LeadID: leadID, Source: source, Name: name, UTM: utm, Consents: consents, CreatedAt: now}
	if s.Consents == nil {
		s.Consents = []LeadConsent{}
	}
	if message = strings.TrimSpace(message); message != "" {
		// The message is never quoted back: it may be P2.
		if utf8.RuneCountInString(message) > LeadMessageMaxChars {
			return nil, &ValidationError{Field: "message", Message: fmt.Sprintf("must be at most %d characters", LeadMessageMaxChars)}
		}
		s.Message = &message
	}
	e := LeadFormSubmitted{EventMeta: NewEventMeta(s.ID, now), LeadID: leadID, Source: source, HasMessage: s.Message != nil}
	if !withEmail {
		e.Consents = s.Consents
	}
	s.Record(e)
	return s, nil
}

// LeadSourceSubscription is the source of the subscription form: it needs the communications consent.
const LeadSourceSubscription = "subscription"

// validateLeadConsents checks the consents of a form: personal_data (always required) and
// communications (required by a subscription), each once, with a version.
func validateLeadConsents(source string, consents []LeadConsent) error {
	if len(consents) > leadConsentsMax {
		return &ValidationError{Field: "consents", Message: fmt.Sprintf("must have at most %d items", leadConsentsMax)}
	}
	seen := map[ConsentType]bool{}
	for i, c := range consents {
		field := fmt.Sprintf("consents[%d]", i)
		if c.Type != ConsentPersonalData && c.Type != ConsentCommunications {
			return &ValidationError{Field: field + ".type", Message: "must be personal_data or communications"}
		}
		if seen[c.Type] {
			return &ValidationError{Field: field + ".type", Message: "is given twice"}
		}
		seen[c.Type] = true
		if strings.TrimSpace(c.Version) == "" || len(c.Version) > leadConsentVerMax || !visibleASCII(c.Version) {
			return &ValidationError{Field: field + ".version", Message: fmt.Sprintf("is required: 1 to %d visible ASCII characters", leadConsentVerMax)}
		}
	}
	if !seen[ConsentPersonalData] {
		return &ValidationError{Field: "consents", Message: "the personal_data consent is required"}
	}
	if source == LeadSourceSubscription && !seen[ConsentCommunications] {
		return &ValidationError{Field: "consents", Message: "a subscription needs the communications consent"}
	}
	return nil
}

// LeadFormSubmitted: a lead sent a contact or subscription form. It names the submission (its
// aggregate), the lead and the source; never the message. Consents are carried when the form had
// no email, so the timeline keeps them (with an email they are on the client's account).
type LeadFormSubmitted struct {
	EventMeta
	LeadID     uuid.UUID     `json:"lead_id"`
	Source     string        `json:"source"`
	HasMessage bool          `json:"has_message"`
	Consents   []LeadConsent `json:"consents,omitempty"`
}

// EventName implements Event.
func (LeadFormSubmitted) EventName() string { return "lead.form_submitted" }
