package models

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// DeliveryStatus is where one outgoing message stands.
type DeliveryStatus string

// Delivery statuses: pending (not sent yet, or failed and retried), sent, failed (given up, or a
// template that does not render: the admin sees why), skipped (nobody to send it to, or no consent).
const (
	DeliveryPending DeliveryStatus = "pending"
	DeliverySent    DeliveryStatus = "sent"
	DeliveryFailed  DeliveryStatus = "failed"
	DeliverySkipped DeliveryStatus = "skipped"
)

// Bounds of a delivery's texts.
const (
	deliveryKeyMaxLen   = 200
	deliveryErrorMaxLen = 1000
)

// NotificationDelivery is one message that should go out through one channel: the delivery log the
// admin panel shows. It names the recipient by reference (a user id, "email:…" masked, a chat), never
// the text. Its DedupKey is unique, so a retried job finds the row and sends nothing twice.
type NotificationDelivery struct {
	ID              uuid.UUID `gorm:"primaryKey"`
	DedupKey        string    `gorm:"uniqueIndex:notification_deliveries_dedup_key"`
	Channel         TemplateChannel
	TemplateKey     string
	RecipientUserID *uuid.UUID `gorm:"index:notification_deliveries_recipient_idx,priority:1"`
	RecipientRef    string
	// SubjectID is what the message is about, e.g. the appointment.
	SubjectID         *uuid.UUID     `gorm:"index:notification_deliveries_subject_idx"`
	Status            DeliveryStatus `gorm:"index:notification_deliveries_status_idx,priority:1"`
	Attempts          int
	LastError         *string
	ProviderMessageID *string
	SentAt            *time.Time
	CreatedAt         time.Time `gorm:"index:notification_deliveries_status_idx,priority:2;index:notification_deliveries_recipient_idx,priority:2"`
	UpdatedAt         time.Time
}

// NewNotificationDelivery records a message to send.
func NewNotificationDelivery(dedupKey string, channel TemplateChannel, templateKey string, recipientUserID *uuid.UUID, recipientRef string, subjectID *uuid.UUID, now time.Time) (*NotificationDelivery, error) {
	if dedupKey == "" || len(dedupKey) > deliveryKeyMaxLen {
		return nil, &ValidationError{Field: "dedup_key", Message: "is required, at most 200 bytes"}
	}
	if _, err := ParseTemplateChannel(string(channel)); err != nil {
		return nil, err
	}
	if templateKey == "" || recipientRef == "" {
		return nil, &ValidationError{Field: "template_key", Message: "the template and the recipient are required"}
	}
	return &NotificationDelivery{
		ID: NewID(), DedupKey: dedupKey, Channel: channel, TemplateKey: templateKey,
		RecipientUserID: recipientUserID, RecipientRef: recipientRef, SubjectID: subjectID,
		Status: DeliveryPending, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// Done reports whether nothing more will be attempted.
func (d *NotificationDelivery) Done() bool { return d.Status != DeliveryPending }

// Attempted counts one try that failed with err (kept short and without the message text); the
// delivery stays pending for the next try unless final.
func (d *NotificationDelivery) Attempted(err error, final bool, now time.Time) error {
	if d.Done() {
		return fmt.Errorf("record an attempt of %s delivery %s: %w", d.Status, d.ID, ErrInvalidTransition)
	}
	msg := err.Error()
	if utf8.RuneCountInString(msg) > deliveryErrorMaxLen {
		msg = string([]rune(msg)[:deliveryErrorMaxLen])
	}
	d.Attempts++
	d.LastError, d.UpdatedAt = &msg, now
	if final {
		d.Status = DeliveryFailed
	}
	return nil
}

// Sent records that the provider accepted the message, with its id there.
func (d *NotificationDelivery) Sent(providerMessageID string, now time.Time) error {
	if d.Done() {
		return fmt.Errorf("mark %s delivery %s sent: %w", d.Status, d.ID, ErrInvalidTransition)
	}
	d.Attempts++
	d.Status, d.SentAt, d.UpdatedAt = DeliverySent, &now, now
	if providerMessageID != "" {
		d.ProviderMessageID = &providerMessageID
	}
	return nil
}

// Skip records that the message will not go out, and why (no address, no consent, blocked bot).
func (d *NotificationDelivery) Skip(reason string, now time.Time) error {
	if d.Done() {
		return fmt.Errorf("skip %s delivery %s: %w", d.Status, d.ID, ErrInvalidTransition)
	}
	d.Status, d.LastError, d.UpdatedAt = DeliverySkipped, &reason, now
	return nil
}
