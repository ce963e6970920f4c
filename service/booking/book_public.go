package booking

// This file is the public booking's hot path: one transaction that reads what it needs in two
// statements (the service with the Idempotency-Key, the client's account and leads; the
// schedule) and writes the client, the appointment, its request, its payment intent and every job
// row, then one statement that records the provider's payment. The database refuses a taken time;
// the answer is built from what is in memory. docs/performance.md counts its statements.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/repository"
	"balance/service/clients"
)

// errReplay ends a booking's transaction when its Idempotency-Key booked already.
var errReplay = errors.New("the idempotency key booked already")

// bookPublic books for a client of the site (in.staff is nil).
func (b *Bookings) bookPublic(ctx context.Context, in BookingInput) (*BookingResult, error) {
	if err := validateClient(in.Client, in.Consents); err != nil {
		return nil, err
	}
	email, err := models.ParseEmail(in.Client.Email)
	if err != nil {
		return nil, &models.ValidationError{Field: "client.email", Message: "must be an email address"}
	}
	token, err := crypto.NewToken()
	if err != nil {
		return nil, err
	}
	var booked *publicBooking
	for attempt := 0; ; attempt++ {
		booked, err = b.takePublic(ctx, in, email, normalizedPhone(in.Client.Phone), token)
		if errors.Is(err, errReplay) {
			// The first answer is read again in one transaction.
			var res *BookingResult
			var gone error
			err := b.db.InTx(ctx, func(ctx context.Context) error {
				var err error
				res, err = b.replay(ctx, in)
				if errors.Is(err, models.ErrNotFound) {
					// The booking it made was called off unpaid (and its key forgotten): that
					// commits, and the request books afresh.
					gone, err = err, nil
				}
				return err
			})
			if err == nil && gone != nil {
				if attempt < 2 {
					continue
				}
				err = gone
			}
			if err != nil {
				return nil, err
			}
			return res, nil
		}
		if err == nil {
			break
		}
		// Another booking may have created the same client (user or lead) at the same moment; a
		// conflict on the Idempotency-Key is answered by Book.
		if !errors.Is(err, models.ErrConflict) || errors.Is(err, models.ErrSlotTaken) || attempt == 2 || in.IdempotencyKey != "" {
			return nil, err
		}
	}
	appt, svc := booked.appt, booked.svc
	if booked.pay != nil {
		if err := b.createPayment(ctx, svc, appt, booked.pay, in.Client); err != nil {
			return nil, err
		}
		appt.Payments = []models.Payment{*booked.pay}
	}
	appt.Service = svc
	b.log.InfoContext(ctx, "appointment booked", "appointment_id", appt.ID, "service", svc.Slug,
		"start", appt.StartAt, "status", appt.Status)
	return &BookingResult{Appointment: appt, ManageToken: token}, nil
}

// publicBooking is what takePublic wrote.
type publicBooking struct {
	svc  *models.Service
	appt *models.Appointment
	pay  *models.Payment
}

// takePublic checks the time against the service's schedule and records the client, the
// appointment (with its request, payment intent and hold) in one transaction.
func (b *Bookings) takePublic(ctx context.Context, in BookingInput, email models.Email, phone, token string) (*publicBooking, error) {
	out := &publicBooking{}
	err := b.db.InTx(ctx, func(ctx context.Context) error {
		// Microseconds, as the databases keep times: the answer built from memory is what a later
		// read of the same rows shows.
		now := b.clock.Now().UTC().Truncate(time.Microsecond)
		bc, err := b.st.Hot.Context(ctx, in.ServiceSlug, in.IdempotencyKey, email, phone, now)
		if err == nil && !bc.Service.IsPublished() {
			err = models.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("published service %s: %w", in.ServiceSlug, err)
		}
		if bc.Requested {
			return errReplay
		}
		svc := bc.Service
		out.svc = svc
		zone := in.Timezone
		if zone == "" {
			zone = svc.Timezone
		}
		if bc.User != nil && bc.UserStatus != models.UserActive {
			return fmt.Errorf("record a client of a %s account: %w", bc.UserStatus, models.ErrForbidden)
		}
		// The ids the client will have: an existing account and lead keep theirs.
		userID, leadID := models.NewID(), models.NewID()
		if bc.User != nil {
			userID = *bc.User
		}
		if bc.EmailLead != nil {
			leadID = *bc.EmailLead
		}
		// The domain's rules for a new appointment (format, zone, a future whole minute) and the
		// schedule come before any write.
		appt, err := models.NewAppointment(svc, in.Start, zone, in.Format, &userID, &leadID, in.Metadata, b.cfg.HoldTTL, now)
		if err != nil {
			return requestField(err)
		}
		if svc.PriceMinor > 0 && b.provider == nil {
			return fmt.Errorf("book %s: %w", svc.Slug, ErrPaymentsDisabled)
		}
		schedule := func(ctx context.Context, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
			return b.st.Hot.Schedule(ctx, svc.ID, from, to)
		}
		if err := b.slots.onGrid(ctx, svc, in.Start, schedule); err != nil {
			return err
		}
		if err := b.slots.calendarFree(ctx, svc, in.Start, appt.BlockedUntil); err != nil {
			return err
		}
		if userID, leadID, err = b.recordPublicClient(ctx, in, bc, email, phone, now); err != nil {
			return err
		}
		appt.ClientUserID, appt.LeadID = &userID, &leadID
		if err := appt.SetManageToken(token, crypto.HashToken(token)); err != nil {
			return err
		}
		// The database refuses a time another active appointment holds: models.ErrSlotTaken.
		if err := b.st.Appointments.Create(ctx, appt); err != nil {
			return err
		}
		out.appt = appt
		if in.IdempotencyKey != "" {
			req, err := models.NewBookingRequest(in.IdempotencyKey, in.RequestHash, appt.ID, token, b.cfg.IdempotencyTTL, now)
			if err != nil {
				return err
			}
			if err := b.st.Requests.Create(ctx, req); err != nil {
				return err
			}
		}
		if appt.Status != models.AppointmentStatusPendingPayment {
			return nil
		}
		if out.pay, err = b.paymentIntent(ctx, svc, appt, now); err != nil {
			return err
		}
		_, err = b.jobs.Schedule(ctx, TaskExpireHold, appointmentTask{AppointmentID: appt.ID}, *appt.HoldExpiresAt)
		return err
	})
	if err != nil {
		if errors.Is(err, errReplay) {
			return nil, err
		}
		return nil, fmt.Errorf("book %s at %s: %w", in.ServiceSlug, in.Start.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

// paymentIntent records the payment of a held appointment before the provider hears of it: the
// deposit when the service asks one, else the price. Its key is the appointment's id, so a retry
// of its creation cannot pay twice.
func (b *Bookings) paymentIntent(ctx context.Context, svc *models.Service, appt *models.Appointment, now time.Time) (*models.Payment, error) {
	amount := svc.Price()
	if svc.DepositMinor != nil && *svc.DepositMinor > 0 {
		amount.Minor = *svc.DepositMinor
	}
	pay, err := models.NewPayment(appt.ID, amount, "pay-"+appt.ID.String(), now)
	if err != nil {
		return nil, err
	}
	if err := b.st.Payments.Create(ctx, pay); err != nil {
		return nil, err
	}
	return pay, nil
}

// recordPublicClient records the client of a public booking: the account of the email (created
// with the client role when new) with the consents given, and the CRM lead of the email (created
// when new) with the phone, unless another lead holds it. It returns the account's and the lead's
// ids. On PostgreSQL each takes one statement.
func (b *Bookings) recordPublicClient(ctx context.Context, in BookingInput, bc *repository.BookingContext, email models.Email, phone string, now time.Time) (uuid.UUID, uuid.UUID, error) {
	u := models.NewClientUser(email, in.Client.Name, now)
	given := make([]models.Consent, 0, len(in.Consents))
	for _, k := range in.Consents {
		c := models.Consent{ID: models.NewID(), Type: k.Type, Granted: true, Version: k.Version, Source: consentSourceBooking, GrantedAt: now}
		replaced := false
		for i := range given {
			if given[i].Type == k.Type { // the last of a type counts, as granting twice would
				given[i], replaced = c, true
			}
		}
		if !replaced {
			given = append(given, c)
		}
	}
	ru, err := b.st.Hot.RecordUser(ctx, u, given, now)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if ru.Status != models.UserActive {
		return uuid.Nil, uuid.Nil, fmt.Errorf("record a client of a %s account: %w", ru.Status, models.ErrForbidden)
	}
	if len(ru.Changed) > 0 {
		// A new version of a consent the account holds: the old grant is revoked the general way.
		var changed []ConsentInput
		for _, k := range in.Consents {
			for _, t := range ru.Changed {
				if k.Type == t {
					changed = append(changed, k)
				}
			}
		}
		if _, err := clients.Record(ctx, b.st.Users, email, in.Client.Name, changed, consentSourceBooking, now); err != nil {
			return uuid.Nil, uuid.Nil, err
		}
	}

	// A phone that belongs to another lead stays there: leads are merged by staff, not here.
	if phone != "" && bc.PhoneLead != nil && (bc.EmailLead == nil || *bc.PhoneLead != *bc.EmailLead) {
		phone = ""
	}
	if bc.EmailLead != nil {
		var add []models.LeadIdentity
		if phone != "" && bc.PhoneLead == nil {
			add = append(add, models.LeadIdentity{ID: models.NewID(), Kind: models.LeadIdentityKindPhone, Value: phone, CreatedAt: now})
		}
		if err := b.st.Hot.TouchLead(ctx, *bc.EmailLead, &ru.ID, add, now); err != nil {
			return uuid.Nil, uuid.Nil, err
		}
		return ru.ID, *bc.EmailLead, nil
	}
	l, err := models.NewLead("booking", leadUTM(in.Metadata.UTM), now)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if err := l.AddIdentity(models.LeadIdentityKindEmail, string(email), now); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if phone != "" {
		if err := l.AddIdentity(models.LeadIdentityKindPhone, phone, now); err != nil {
			return uuid.Nil, uuid.Nil, err
		}
	}
	if err := l.LinkUser(ru.ID, now); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	l.Touch(now)
	if err := b.st.Hot.CreateLead(ctx, l); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return ru.ID, l.ID, nil
}
