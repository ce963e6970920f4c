package booking

// This file composes the booking use cases (Bookings) and holds what they share: errors, task
// names, inputs, and recording a client.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service"
	"balance/service/clients"
)

// Booking errors the HTTP layer answers with their own problem types.
var (
	// ErrIdempotencyKeyReused: the Idempotency-Key was used with another request body.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused with another request")
	// ErrIdempotencyInProgress: the first request with this Idempotency-Key has not finished yet.
	ErrIdempotencyInProgress = errors.New("a request with this idempotency key is in progress")
	// ErrPaymentsDisabled: the service costs money and no payment provider is configured.
	ErrPaymentsDisabled = errors.New("payments are not configured")
	// ErrPaymentUnavailable: the payment provider refused or could not be reached; nothing is booked.
	ErrPaymentUnavailable = errors.New("the payment provider is unavailable")
)

// Task names, as stored in job rows: keep them stable.
const (
	TaskExpireHold      = "booking.expire_hold"
	TaskRefund          = "booking.refund"
	TaskCancelPayment   = "booking.cancel_payment"
	TaskReconcile       = "booking.reconcile"
	TaskRequestsCleanup = "booking.requests_cleanup"
)

// Consent source recorded for consents given in a booking or waitlist form.
const consentSourceBooking = "booking_form"

// Scheduler runs a named task later, inside the transaction carried by ctx; *events.Outbox is one.
type Scheduler interface {
	Schedule(ctx context.Context, name string, payload any, at time.Time) (int64, error)
}

// Config holds the booking rules that are not per service.
type Config struct {
	// HoldTTL is how long an unpaid booking holds its time.
	HoldTTL time.Duration
	// PartialRefundPercent is the share refunded inside a service's partial cancellation window.
	PartialRefundPercent int
	// ReconcileAfter is when a still pending payment is re-read from the provider.
	ReconcileAfter time.Duration
	// IdempotencyTTL is how long an Idempotency-Key is remembered.
	IdempotencyTTL time.Duration
}

// Stores are the tables booking works with.
type Stores struct {
	Services      *repository.Services
	Appointments  *repository.Appointments
	Payments      *repository.Payments
	Refunds       *repository.Refunds
	Notifications *repository.PaymentNotifications
	IntakeForms   *repository.IntakeForms
	Waitlist      *repository.Waitlist
	Requests      *repository.BookingRequests
	Users         *repository.Users
	Leads         *repository.Leads
	// Hot reads and writes what a public booking needs in few statements.
	Hot *repository.BookingHotPath
}

// NewStores returns every store booking needs over db.
func NewStores(db *repository.DB) Stores {
	return Stores{
		Services: repository.NewServices(db), Appointments: repository.NewAppointments(db),
		Payments: repository.NewPayments(db), Refunds: repository.NewRefunds(db),
		Notifications: repository.NewPaymentNotifications(db), IntakeForms: repository.NewIntakeForms(db),
		Waitlist: repository.NewWaitlist(db), Requests: repository.NewBookingRequests(db),
		Users: repository.NewUsers(db), Leads: repository.NewLeads(db), Hot: repository.NewBookingHotPath(db),
	}
}

// Bookings holds the booking use cases: book (Booker, StaffBooker), pay (Payments), manage
// (Manager), wait (Waitlist). It only composes them: their methods are its methods.
type Bookings struct {
	*Payments
	*Manager
	*Waitlist
	*StaffBooker
	booker   *Booker
	requests *repository.BookingRequests
	clock    service.Clock
}

// NewBookings wires the booking use cases over the database. provider may be nil: then only free
// services can be booked and paid ones answer ErrPaymentsDisabled.
func NewBookings(db *repository.DB, st Stores, slots *Slots, provider PaymentGateway, jobs Scheduler, clock service.Clock, cfg Config, log *slog.Logger) *Bookings {
	booker := NewBooker(storesForBooking{db: db, st: st}, slots, provider, jobs, clock, cfg, log)
	payments := NewPayments(storesForPayments{db: db, st: st}, provider, jobs, booker, clock, cfg, log)
	clients := storesForClients{st: st}
	return &Bookings{
		Payments:    payments,
		Manager:     NewManager(storesForManaging{db: db, st: st}, slots, payments, jobs, clock, cfg, log),
		Waitlist:    NewWaitlist(storesForWaitlist{storesForClients: clients, db: db}, NewCatalogue(st.Services), clock, log),
		StaffBooker: NewStaffBooker(storesForStaffBooking{storesForClients: clients, db: db}, slots, clock, log),
		booker:      booker, requests: st.Requests, clock: clock,
	}
}

// ClientInput is who books, parsed where the request came in (models.ParseClientContact).
type ClientInput = models.ClientContact

// ConsentInput is one consent given in the form, with the version of the text the client saw.
type ConsentInput = clients.Consent

// BookingInput is a booking request.
type BookingInput struct {
	ServiceSlug string
	Start       time.Time
	// Timezone is the client's zone; the zero TimeZone means the service's.
	Timezone models.TimeZone
	// Format is parsed where the request came in (models.ParseAppointmentFormat).
	Format   models.AppointmentFormat
	Client   ClientInput
	Consents []ConsentInput
	Metadata models.AppointmentMetadata
	// IdempotencyKey, when set, makes the request safe to send again; RequestHash identifies
	// its body, so the same key with another body is refused.
	IdempotencyKey string
	RequestHash    string
}

// staffBooking is what differs when staff book for a client: no consents asked; an email or a
// phone; confirmed at once, without an online payment; a note with the comment for the client's
// lead.
type staffBooking struct {
	comment string
	// note is what the lead's notes get (leadNote).
	note string
}

// BookingResult is a booking made (or found again for a repeated request).
type BookingResult struct {
	// Appointment comes with its service and payments.
	Appointment *models.Appointment
	// ManageToken is the secret of the client's manage link; only its hash is stored with the
	// appointment.
	ManageToken string
	// Replayed is set when an earlier request with the same Idempotency-Key made the booking.
	Replayed bool
}

// Book books in.Start of a published service for a client of the site (Booker.Book).
func (b *Bookings) Book(ctx context.Context, in BookingInput) (*BookingResult, error) {
	return b.booker.Book(ctx, in)
}

// CleanupRequests deletes the Idempotency-Keys that expired.
func (b *Bookings) CleanupRequests(ctx context.Context) (int64, error) {
	return b.requests.DeleteExpired(ctx, b.clock.Now())
}

// requestField names a model's field as the request does: the API's "start" is the model's start_at.
func requestField(err error) error {
	var ve *models.ValidationError
	if errors.As(err, &ve) && ve.Field == "start_at" {
		return &models.ValidationError{Field: "start", Message: ve.Message}
	}
	return err
}

// lastPayment is the appointment's newest payment, nil when it has none.
func lastPayment(a *models.Appointment) *models.Payment {
	if len(a.Payments) == 0 {
		return nil
	}
	return &a.Payments[len(a.Payments)-1]
}

// consentVersionMaxLen bounds the version of a consent's text.
const consentVersionMaxLen = 64

// validateConsents checks the consents of a form: known types, a version each, and the
// personal-data consent among them. (The contact came parsed.)
func validateConsents(consents []ConsentInput) error {
	personal := false
	for i, k := range consents {
		field := fmt.Sprintf("consents[%d]", i)
		switch k.Type {
		case models.ConsentPersonalData:
			personal = true
		case models.ConsentCommunications:
		default:
			return &models.ValidationError{Field: field + ".type", Message: "must be personal_data or communications"}
		}
		if k.Version == "" || len(k.Version) > consentVersionMaxLen {
			return &models.ValidationError{Field: field + ".version", Message: "is required, at most 64 characters"}
		}
	}
	if !personal {
		return &models.ValidationError{Field: "consents", Message: "the personal_data consent is required"}
	}
	return nil
}

// ClientStore is what recording a client reads and writes: the account with its consents, the
// CRM lead with its contacts.
type ClientStore interface {
	// RecordAccount finds or creates the account of email, granting the consents given.
	RecordAccount(ctx context.Context, email models.Email, name string, consents []ConsentInput, source string, now time.Time) (*models.User, error)
	// LeadByIdentity finds the lead holding a contact (models.ErrNotFound when none).
	LeadByIdentity(ctx context.Context, kind models.LeadIdentityKind, value string) (*models.Lead, error)
	CreateLead(ctx context.Context, l *models.Lead) error
	UpdateLead(ctx context.Context, id uuid.UUID, fn func(*models.Lead) error) error
}

// recordClient finds or creates the client's user (with the consents given) and CRM lead. A
// booking staff make may name only a phone: then there is a lead and no user (nil).
func recordClient(ctx context.Context, store ClientStore, log *slog.Logger, c ClientInput, consents []ConsentInput, utm map[string]string, staff *staffBooking, now time.Time) (userID *uuid.UUID, leadID uuid.UUID, err error) {
	var u *models.User
	var email models.Email
	if c.Email != "" || staff == nil {
		email = c.Email
		if u, err = store.RecordAccount(ctx, email, c.Name, consents, consentSourceBooking, now); err != nil {
			return nil, uuid.Nil, err
		}
		userID = &u.ID
	}

	phone := string(c.Phone)
	if phone != "" && email != "" {
		// A phone that belongs to another lead stays there: leads are merged by staff, not here.
		if other, err := store.LeadByIdentity(ctx, models.LeadIdentityKindPhone, phone); err == nil {
			if l, lerr := store.LeadByIdentity(ctx, models.LeadIdentityKindEmail, string(email)); lerr != nil || l.ID != other.ID {
				phone = ""
			}
		} else if !errors.Is(err, models.ErrNotFound) {
			return nil, uuid.Nil, err
		}
	}
	fill := func(l *models.Lead) error {
		if email != "" {
			if err := l.AddIdentity(models.LeadIdentityKindEmail, string(email), now); err != nil {
				return err
			}
		}
		if phone != "" {
			if err := l.AddIdentity(models.LeadIdentityKindPhone, phone, now); err != nil {
				return err
			}
		}
		if l.UserID == nil && u != nil {
			if err := l.LinkUser(u.ID, now); err != nil {
				return err
			}
		}
		if staff != nil && staff.note != "" {
			// Notes that are full stay as they are: the booking matters more than its note.
			if err := l.SetNotes(strings.TrimSpace(l.Notes+"\n\n"+staff.note), now); err != nil {
				log.WarnContext(ctx, "the lead's notes are full; the staff booking's note is not added", "lead_id", l.ID)
			}
		}
		l.Touch(now)
		return nil
	}
	// The lead is found by the email when there is one, else by the phone.
	kind, key, source := models.LeadIdentityKindEmail, string(email), "booking"
	if email == "" {
		kind, key = models.LeadIdentityKindPhone, phone
	}
	if staff != nil {
		source = "admin"
	}
	l, err := store.LeadByIdentity(ctx, kind, key)
	switch {
	case errors.Is(err, models.ErrNotFound):
		if l, err = models.NewLead(source, leadUTM(utm), now); err != nil {
			return nil, uuid.Nil, err
		}
		if err := fill(l); err != nil {
			return nil, uuid.Nil, err
		}
		if err := store.CreateLead(ctx, l); err != nil {
			return nil, uuid.Nil, err
		}
	case err != nil:
		return nil, uuid.Nil, err
	default:
		if err := store.UpdateLead(ctx, l.ID, fill); err != nil {
			return nil, uuid.Nil, err
		}
	}
	return userID, l.ID, nil
}

func leadUTM(m map[string]string) models.UTM {
	return models.UTM{Source: m["source"], Medium: m["medium"], Campaign: m["campaign"], Content: m["content"], Term: m["term"]}
}

// appointmentTask is the payload of tasks about one appointment.
type appointmentTask struct {
	AppointmentID uuid.UUID `json:"appointment_id"`
}

// paymentTask is the payload of tasks about one payment.
type paymentTask struct {
	PaymentID uuid.UUID `json:"payment_id"`
}

// refundTask is the payload of tasks about one refund.
type refundTask struct {
	RefundID uuid.UUID `json:"refund_id"`
}
