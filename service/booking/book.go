package booking

// This file is the use case of booking a time from the site, over the ports it declares. Its hot
// path is one transaction that reads what it needs in two statements (the service with the
// Idempotency-Key, the client's account and leads; the schedule) and writes the client, the
// appointment, its request, its payment intent and every job row; then one statement records the
// provider's payment. The database refuses a taken time; the answer is built from what is in
// memory. docs/performance.md counts its statements.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/repository"
	"balance/service"
)

// BookingStore is what booking a time reads and writes. Calls made with the context InTx gives
// its function join one transaction.
type BookingStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// BookingContext reads the service of slug with whether key booked already, the account of
	// email and the leads holding email and phone (models.ErrNotFound: no such service); it may
	// read the schedule around the time at too (BookingContext.Schedule, else nil).
	BookingContext(ctx context.Context, slug, key string, email models.Email, phone string, at, now time.Time) (*repository.BookingContext, error)
	// Schedule reads a service's weekly rules and the exceptions touching the days from..to.
	Schedule(ctx context.Context, serviceID uuid.UUID, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error)
	// RecordUser finds the account of u's email or creates u, granting the consents of types it
	// does not hold yet; GrantConsents grants new versions of consents it holds.
	RecordUser(ctx context.Context, u *models.User, consents []models.Consent, now time.Time) (*repository.RecordedUser, error)
	GrantConsents(ctx context.Context, email models.Email, name string, consents []ConsentInput, source string, now time.Time) error
	// CreateLead stores a new lead with its identities; TouchLead records activity on one,
	// linking the account when it has none and adding the identities given.
	CreateLead(ctx context.Context, l *models.Lead) error
	TouchLead(ctx context.Context, leadID uuid.UUID, userID *uuid.UUID, identities []models.LeadIdentity, now time.Time) error
	// CreateAppointment refuses a time an active appointment holds with models.ErrSlotTaken.
	CreateAppointment(ctx context.Context, a *models.Appointment) error
	Appointment(ctx context.Context, id uuid.UUID) (*models.Appointment, error)
	UpdateAppointment(ctx context.Context, id uuid.UUID, fn func(*models.Appointment) error) error
	CreateBookingRequest(ctx context.Context, r *models.BookingRequest) error
	// BookingRequest finds the unexpired request of key (models.ErrNotFound when none).
	BookingRequest(ctx context.Context, key string, now time.Time) (*models.BookingRequest, error)
	ForgetBookingRequest(ctx context.Context, appointmentID uuid.UUID) error
	CreatePayment(ctx context.Context, p *models.Payment) error
	// SavePendingPayment writes what Payment.MarkPending changed (status, the provider's id, the
	// confirmation URL, the time) if p's row still has p's version (else models.ErrConflict), and
	// moves p to the next version.
	SavePendingPayment(ctx context.Context, p *models.Payment) error
	UpdatePayment(ctx context.Context, id uuid.UUID, fn func(*models.Payment) error) error
}

// Booker is the use case of booking a time from the site.
type Booker struct {
	store   BookingStore
	slots   *Slots
	gateway PaymentGateway
	jobs    Scheduler
	clock   service.Clock
	cfg     Config
	log     *slog.Logger
}

// NewBooker wires the booking use case. gateway may be nil: then only free services can be booked.
// slots answers whether a time is on the service's grid and free in the practice's calendar.
func NewBooker(store BookingStore, slots *Slots, gateway PaymentGateway, jobs Scheduler, clock service.Clock, cfg Config, log *slog.Logger) *Booker {
	return &Booker{store: store, slots: slots, gateway: gateway, jobs: jobs, clock: clock, cfg: cfg, log: log}
}

// errReplay ends a booking's transaction when its Idempotency-Key booked already.
var errReplay = errors.New("the idempotency key booked already")

// Book books in.Start of a published service for a client of the site: it records the client
// (account, consents, lead), takes the time (the database refuses a taken one: models.ErrSlotTaken)
// and, for a paid service, holds it until the payment arrives or the hold lapses, creating the
// payment at the provider. A free service is confirmed at once. A request whose Idempotency-Key
// booked already is answered as it was.
func (b *Booker) Book(ctx context.Context, in BookingInput) (*BookingResult, error) {
	if in.IdempotencyKey == "" {
		return b.book(ctx, in)
	}
	if err := models.ValidateIdempotencyKey(in.IdempotencyKey); err != nil {
		return nil, err
	}
	res, err := b.book(ctx, in)
	if err != nil && !errors.Is(err, ErrPaymentUnavailable) {
		// A concurrent request with the same key may have taken the time (or the key) first:
		// answer as it did. (A payment that could not be created was this request's own
		// booking: nothing to replay.)
		if res, rerr := b.replay(ctx, in); !errors.Is(rerr, models.ErrNotFound) {
			return res, rerr
		}
	}
	return res, err
}

func (b *Booker) book(ctx context.Context, in BookingInput) (*BookingResult, error) {
	if err := validateConsents(in.Consents); err != nil {
		return nil, err
	}
	email := in.Client.Email
	if email == "" {
		return nil, &models.ValidationError{Field: "client.email", Message: "must be an email address"}
	}
	token, err := crypto.NewToken()
	if err != nil {
		return nil, err
	}
	var booked *publicBooking
	for attempt := 0; ; attempt++ {
		booked, err = b.takePublic(ctx, in, email, string(in.Client.Phone), token)
		if errors.Is(err, errReplay) {
			res, err := b.answerAgain(ctx, in)
			if errors.Is(err, models.ErrNotFound) && attempt < 2 {
				continue // the booking it made was called off unpaid: book afresh
			}
			return res, err
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

// answerAgain answers a request whose Idempotency-Key booked already, reading the first answer
// in one transaction. When that booking was called off unpaid, its key is forgotten (which
// commits) and models.ErrNotFound returned: the request books afresh.
func (b *Booker) answerAgain(ctx context.Context, in BookingInput) (*BookingResult, error) {
	var res *BookingResult
	var gone error
	err := b.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		res, err = b.replay(ctx, in)
		if errors.Is(err, models.ErrNotFound) {
			gone, err = err, nil
		}
		return err
	})
	if err == nil {
		err = gone
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// publicBooking is what takePublic wrote.
type publicBooking struct {
	svc  *models.Service
	appt *models.Appointment
	pay  *models.Payment
}

// takePublic checks the time against the service's schedule and records the client, the
// appointment (with its request, payment intent and hold) in one transaction.
func (b *Booker) takePublic(ctx context.Context, in BookingInput, email models.Email, phone, token string) (*publicBooking, error) {
	out := &publicBooking{}
	err := b.store.InTx(ctx, func(ctx context.Context) error {
		// Microseconds, as the databases keep times: the answer built from memory is what a later
		// read of the same rows shows.
		now := b.clock.Now().UTC().Truncate(time.Microsecond)
		bc, err := b.store.BookingContext(ctx, in.ServiceSlug, in.IdempotencyKey, email, phone, in.Start, now)
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
		// The domain's rules for a new appointment (a format the service offers, a future whole
		// minute) and the schedule come before any write.
		appt, err := models.NewAppointment(svc, in.Start, in.Timezone, in.Format, &userID, &leadID, in.Metadata, b.cfg.HoldTTL, now)
		if err != nil {
			return requestField(err)
		}
		if svc.PriceMinor > 0 && b.gateway == nil {
			return fmt.Errorf("book %s: %w", svc.Slug, ErrPaymentsDisabled)
		}
		schedule := func(ctx context.Context, from, to time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
			if bc.Schedule != nil { // read with the service, for the days around in.Start
				return bc.Schedule.Rules, bc.Schedule.Exceptions, nil
			}
			return b.store.Schedule(ctx, svc.ID, from, to)
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
		if err := b.store.CreateAppointment(ctx, appt); err != nil {
			return err
		}
		out.appt = appt
		if in.IdempotencyKey != "" {
			req, err := models.NewBookingRequest(in.IdempotencyKey, in.RequestHash, appt.ID, token, b.cfg.IdempotencyTTL, now)
			if err != nil {
				return err
			}
			if err := b.store.CreateBookingRequest(ctx, req); err != nil {
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
func (b *Booker) paymentIntent(ctx context.Context, svc *models.Service, appt *models.Appointment, now time.Time) (*models.Payment, error) {
	amount := svc.Price()
	if svc.DepositMinor != nil && *svc.DepositMinor > 0 {
		amount.Minor = *svc.DepositMinor
	}
	pay, err := models.NewPayment(appt.ID, amount, "pay-"+appt.ID.String(), now)
	if err != nil {
		return nil, err
	}
	if err := b.store.CreatePayment(ctx, pay); err != nil {
		return nil, err
	}
	return pay, nil
}

// recordPublicClient records the client of a public booking: the account of the email (created
// with the client role when new) with the consents given, and the CRM lead of the email (created
// when new) with the phone, unless another lead holds it. It returns the account's and the lead's
// ids. On PostgreSQL each takes one statement.
func (b *Booker) recordPublicClient(ctx context.Context, in BookingInput, bc *repository.BookingContext, email models.Email, phone string, now time.Time) (uuid.UUID, uuid.UUID, error) {
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
	ru, err := b.store.RecordUser(ctx, u, given, now)
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
		if err := b.store.GrantConsents(ctx, email, in.Client.Name, changed, consentSourceBooking, now); err != nil {
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
		if err := b.store.TouchLead(ctx, *bc.EmailLead, &ru.ID, add, now); err != nil {
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
	if err := b.store.CreateLead(ctx, l); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return ru.ID, l.ID, nil
}

// createPayment asks the provider for the payment page. When it cannot, the booking is called
// off (the time is freed at once) and ErrPaymentUnavailable returned.
func (b *Booker) createPayment(ctx context.Context, svc *models.Service, appt *models.Appointment, pay *models.Payment, client ClientInput) error {
	zone, _ := serviceZone(svc) // saved valid; were it not, the zero zone's UTC
	loc := zone.Location()
	req := PaymentRequest{
		Payment: pay.ID, Appointment: appt.ID, Amount: pay.Amount(),
		Description:    fmt.Sprintf("%s, %s", svc.Title, appt.StartAt.In(loc).Format("02.01.2006 15:04")),
		Email:          client.Email,
		Phone:          client.Phone,
		IdempotenceKey: pay.IdempotenceKey,
	}
	// Bounded well inside IntentGrace, so that an intent older than that belongs to no request.
	pctx, cancel := context.WithTimeout(ctx, paymentCreateTimeout)
	remote, err := b.gateway.CreatePayment(pctx, req)
	cancel()
	if err == nil {
		// One statement: the intent written a moment ago is still at its version, unless a job or
		// a webhook touched it meanwhile — then it is loaded again.
		err = pay.MarkPending(remote.ID, remote.ConfirmationURL, b.clock.Now().UTC())
		if err == nil {
			err = b.store.SavePendingPayment(ctx, pay)
		}
		if errors.Is(err, models.ErrConflict) {
			err = b.store.UpdatePayment(ctx, pay.ID, func(p *models.Payment) error {
				if err := p.MarkPending(remote.ID, remote.ConfirmationURL, b.clock.Now().UTC()); err != nil {
					return err
				}
				*pay = *p
				return nil
			})
		}
		if err == nil {
			return nil
		}
	}
	b.log.ErrorContext(ctx, "payment could not be created; booking called off",
		"appointment_id", appt.ID, "payment_id", pay.ID, "error", err.Error())
	// The Idempotency-Key is forgotten with the booking: a retry tries again.
	if _, ferr := b.abandon(context.WithoutCancel(ctx), pay.ID, "provider_unavailable", "the payment could not be created"); ferr != nil {
		// The intent outlives IntentGrace and reconciliation calls it off: log for the operator.
		b.log.ErrorContext(ctx, "calling off the unpaid booking failed; reconciliation will",
			"appointment_id", appt.ID, "error", ferr.Error())
	}
	return fmt.Errorf("book appointment %s: %w: %w", appt.ID, ErrPaymentUnavailable, err)
}

// paymentCreateTimeout bounds the request's wait for the provider to create a payment.
const paymentCreateTimeout = IntentGrace / 2

// errLeftAlone stops an update that finds nothing to do.
var errLeftAlone = errors.New("left alone")

// abandon calls off a booking whose payment the provider never confirmed creating: the payment
// fails with failReason (or, without one, is canceled), the appointment is canceled for why (or
// its hold expires, once lapsed), so the time is free again, and the Idempotency-Key that booked
// it is forgotten, so a retry of that request books afresh. Nobody was ever shown the payment's
// page, so nobody can pay it. A payment that is no longer an intent is left alone: abandon
// reports whether it called the booking off.
func (b *Booker) abandon(ctx context.Context, paymentID uuid.UUID, failReason, why string) (bool, error) {
	var appointmentID uuid.UUID
	err := b.store.InTx(ctx, func(ctx context.Context) error {
		now := b.clock.Now().UTC()
		if err := b.store.UpdatePayment(ctx, paymentID, func(p *models.Payment) error {
			if p.Status != models.PaymentStatusIntent {
				return errLeftAlone
			}
			appointmentID = p.AppointmentID
			if failReason != "" {
				return p.Fail(failReason, now)
			}
			return p.Cancel(now)
		}); err != nil {
			return err
		}
		if err := b.store.UpdateAppointment(ctx, appointmentID, func(a *models.Appointment) error {
			switch {
			case a.Status != models.AppointmentStatusPendingPayment:
				return nil
			case a.HoldExpiresAt != nil && !now.Before(*a.HoldExpiresAt):
				return a.ExpireHold(now)
			}
			return a.Cancel(models.BookingActorSystem, why, now)
		}); err != nil {
			return err
		}
		return b.store.ForgetBookingRequest(ctx, appointmentID)
	})
	if errors.Is(err, errLeftAlone) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("call off the booking of payment %s: %w", paymentID, err)
	}
	return true, nil
}

// CallOffUnpaid calls off the booking of a payment never created at the provider, as a request
// that ended first leaves it (abandon): Payments' UnpaidBookings.
func (b *Booker) CallOffUnpaid(ctx context.Context, paymentID uuid.UUID) (bool, error) {
	return b.abandon(ctx, paymentID, "", reasonAbandoned)
}

// replay answers a request whose Idempotency-Key was seen: models.ErrNotFound when it was not.
func (b *Booker) replay(ctx context.Context, in BookingInput) (*BookingResult, error) {
	req, err := b.store.BookingRequest(ctx, in.IdempotencyKey, b.clock.Now())
	if err != nil {
		return nil, err
	}
	if !crypto.EqualTokens(req.RequestHash, in.RequestHash) {
		return nil, ErrIdempotencyKeyReused
	}
	appt, err := b.store.Appointment(ctx, req.AppointmentID)
	if err != nil {
		return nil, err
	}
	p := lastPayment(appt)
	switch {
	case p != nil && p.Status == models.PaymentStatusIntent:
		if b.clock.Now().Before(p.CreatedAt.Add(IntentGrace)) {
			return nil, ErrIdempotencyInProgress
		}
		// The request that booked ended without creating the payment: the booking is called
		// off (and the key forgotten), then the request is answered from what is left.
		if _, err := b.abandon(ctx, p.ID, "", reasonAbandoned); err != nil {
			return nil, err
		}
		return b.replay(ctx, in)
	case appt.Status == models.AppointmentStatusCanceled && p != nil && p.ProviderPaymentID == nil:
		// Called off before it could be paid: nothing the request asked for exists, so it is
		// made afresh.
		if err := b.store.ForgetBookingRequest(ctx, appt.ID); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("booking request %s: its booking was called off unpaid: %w", appt.ID, models.ErrNotFound)
	}
	if appt.Status == models.AppointmentStatusRescheduled {
		// The manage token moved with the booking; the first answer's id is history.
		return nil, fmt.Errorf("replay booking %s: it was rescheduled: %w", appt.ID, models.ErrConflict)
	}
	return &BookingResult{Appointment: appt, ManageToken: req.ManageToken, Replayed: true}, nil
}

// reasonAbandoned is why a booking whose request ended before creating its payment is canceled.
const reasonAbandoned = "the booking request ended before its payment was created"
