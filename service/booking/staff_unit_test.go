package booking_test

// Unit tests of booking by staff over in-memory fakes of its ports: the store, and the slot
// checks' schedule and appointments. The database test (staff_test.go, TestBookByStaff) runs the
// same use case over the real stores.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/internal/testkit"
	"balance/models"
	"balance/service/booking"
)

// memStaffStore is booking.StaffBookingStore in memory: no two active appointments overlap, and
// a failed transaction leaves nothing behind.
type memStaffStore struct {
	memClients
	services   map[uuid.UUID]models.Service
	appts      map[uuid.UUID]models.Appointment
	serviceErr error
}

var _ booking.StaffBookingStore = (*memStaffStore)(nil)

func (s *memStaffStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	clients, appts := s.memClients.clone(), maps.Clone(s.appts)
	if err := fn(ctx); err != nil {
		s.memClients, s.appts = clients, appts
		return err
	}
	return nil
}

func (s *memStaffStore) Service(_ context.Context, id uuid.UUID) (*models.Service, error) {
	if s.serviceErr != nil {
		return nil, s.serviceErr
	}
	svc, ok := s.services[id]
	if !ok {
		return nil, fmt.Errorf("service %s: %w", id, models.ErrNotFound)
	}
	return &svc, nil
}

func (s *memStaffStore) CreateAppointment(_ context.Context, a *models.Appointment) error {
	for _, x := range s.appts {
		if x.IsActive() && x.StartAt.Before(a.BlockedUntil) && a.StartAt.Before(x.BlockedUntil) {
			return fmt.Errorf("create appointment: %w", models.ErrSlotTaken)
		}
	}
	s.appts[a.ID] = *a
	return nil
}

// weekdayRules are working hours of 10:00–19:00 in Moscow, Monday to Friday, for svc.
func weekdayRules(t *testing.T, svc *models.Service) []models.AvailabilityRule {
	t.Helper()
	var rules []models.AvailabilityRule
	for wd := 1; wd <= 5; wd++ {
		r, err := models.NewAvailabilityRule(&svc.ID, wd, 10*60, 19*60, "Europe/Moscow", nil, nil, envNow)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, *r)
	}
	return rules
}

func TestStaffBookerUnit(t *testing.T) {
	svc := unitService(t, "individual-session", false)
	draft := unitService(t, "draft-session", true)
	rules := weekdayRules(t, svc)
	// another is someone else's booking of Thursday 12:00 Moscow.
	another, err := models.NewAppointmentByStaff(svc, envSlot(4), models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline,
		&uuid.UUID{7}, nil, models.AppointmentMetadata{}, envNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	const note = "Запись сотрудником на 03.12.2026 10:00: Индивидуальная консультация, Ольга. Просила перезвонить накануне"
	type fixture struct {
		store  *memStaffStore
		window *fakeAppointments
	}
	tests := []struct {
		name    string
		in      func(in *booking.StaffBookingInput)
		arrange func(f *fixture)
		// A refusal: the error wanted (errors.Is) or the field of the ValidationError wanted.
		wantErr   error
		wantField string
		// check looks at the booking made, or at a refusal's traces.
		check func(t *testing.T, f *fixture, a *models.Appointment)
	}{
		{
			name: "a client with an email: an account, a lead with the note, confirmed at once",
			check: func(t *testing.T, f *fixture, a *models.Appointment) {
				if a.Status != models.AppointmentStatusConfirmed || a.HoldExpiresAt != nil || len(a.Payments) != 0 ||
					a.Metadata.EntryPoint != "staff" || !a.StartAt.Equal(envSlot(0)) || a.Format != models.AppointmentFormatOffline ||
					a.Timezone != "Europe/Moscow" || a.Service == nil || a.Service.ID != svc.ID {
					t.Errorf("appointment %+v", a)
				}
				if a.ManageToken == nil || a.ManageTokenHash == nil || *a.ManageTokenHash != crypto.HashToken(*a.ManageToken) {
					t.Errorf("manage token %v, hash %v", a.ManageToken, a.ManageTokenHash)
				}
				if names := eventNames(a.Events()); names != "appointment.booked appointment.confirmed" {
					t.Errorf("events %s", names)
				}
				if stored, ok := f.store.appts[a.ID]; !ok || stored.Status != models.AppointmentStatusConfirmed || len(f.store.appts) != 1 {
					t.Errorf("stored appointments %+v", f.store.appts)
				}
				account, ok := f.store.accounts["olga@example.com"]
				if !ok || a.ClientUserID == nil || *a.ClientUserID != account.ID || len(account.Consents) != 0 || account.DisplayName != "Ольга" {
					t.Errorf("booked for %v; account %+v", a.ClientUserID, account)
				}
				lead := f.store.lead(models.LeadIdentityKindEmail, "olga@example.com")
				if lead == nil || a.LeadID == nil || *a.LeadID != lead.ID {
					t.Fatalf("booked for lead %v; the email's lead %+v", a.LeadID, lead)
				}
				if lead.Source != "admin" || lead.UserID == nil || *lead.UserID != account.ID ||
					!lead.HasIdentity(models.LeadIdentityKindPhone, "+79990001122") || lead.Notes != note {
					t.Errorf("lead %+v", lead)
				}
			},
		},
		{
			name: "a client known by phone only: a lead keeps the name, no account",
			in: func(in *booking.StaffBookingInput) {
				in.Client, in.Comment = contact("Пётр", "", "+7 999 333-44-55"), ""
			},
			check: func(t *testing.T, f *fixture, a *models.Appointment) {
				if a.ClientUserID != nil || len(f.store.accounts) != 0 {
					t.Errorf("booked for user %v; %d accounts", a.ClientUserID, len(f.store.accounts))
				}
				lead := f.store.lead(models.LeadIdentityKindPhone, "+79993334455")
				if lead == nil || a.LeadID == nil || *a.LeadID != lead.ID || lead.UserID != nil || lead.Source != "admin" ||
					lead.Notes != "Запись сотрудником на 03.12.2026 10:00: Индивидуальная консультация, Пётр." {
					t.Errorf("booked for lead %v; the phone's lead %+v", a.LeadID, lead)
				}
			},
		},
		{
			name: "a caller known before: the note is added to their lead's notes",
			in:   func(in *booking.StaffBookingInput) { in.Client = contact("Ольга", "", "+7 999 000-11-22") },
			arrange: func(f *fixture) {
				f.store.addLead("site", "Звонила в ноябре", envNow.Add(-time.Hour), "phone", "+79990001122")
			},
			check: func(t *testing.T, f *fixture, a *models.Appointment) {
				lead := f.store.lead(models.LeadIdentityKindPhone, "+79990001122")
				if len(f.store.leads) != 1 || *a.LeadID != lead.ID || lead.Source != "site" || lead.Notes != "Звонила в ноябре\n\n"+note {
					t.Errorf("%d leads; booked for %v; lead %+v", len(f.store.leads), a.LeadID, lead)
				}
				if !lead.LastActivityAt.Equal(envNow) {
					t.Errorf("the lead's last activity %s, want now", lead.LastActivityAt)
				}
			},
		},
		{
			name: "a phone another lead holds stays there",
			arrange: func(f *fixture) {
				f.store.addLead("site", "", envNow.Add(-time.Hour), "phone", "+79990001122")
			},
			check: func(t *testing.T, f *fixture, a *models.Appointment) {
				byEmail, byPhone := f.store.lead(models.LeadIdentityKindEmail, "olga@example.com"), f.store.lead(models.LeadIdentityKindPhone, "+79990001122")
				if len(f.store.leads) != 2 || byEmail == nil || byPhone == nil || byEmail.ID == byPhone.ID || *a.LeadID != byEmail.ID {
					t.Errorf("%d leads; booked for %v; by email %+v, by phone %+v", len(f.store.leads), a.LeadID, byEmail, byPhone)
				}
			},
		},
		{
			name: "notes that are full: booked all the same, the note left out",
			arrange: func(f *fixture) {
				f.store.addLead("site", strings.Repeat("n", 9990), envNow.Add(-time.Hour), "email", "olga@example.com")
			},
			check: func(t *testing.T, f *fixture, a *models.Appointment) {
				if lead := f.store.lead(models.LeadIdentityKindEmail, "olga@example.com"); *a.LeadID != lead.ID || lead.Notes != strings.Repeat("n", 9990) {
					t.Errorf("booked for %v; notes of %d bytes", a.LeadID, len(lead.Notes))
				}
			},
		},
		{
			name: "a comment of 2000 characters is taken",
			in:   func(in *booking.StaffBookingInput) { in.Comment = strings.Repeat("я", 2000) },
			check: func(t *testing.T, f *fixture, a *models.Appointment) {
				if lead := f.store.leads[*a.LeadID]; !strings.HasSuffix(lead.Notes, ". "+strings.Repeat("я", 2000)) {
					t.Errorf("notes %q…", lead.Notes[:80])
				}
			},
		},
		{name: "a comment of 2001 characters", in: func(in *booking.StaffBookingInput) { in.Comment = strings.Repeat("я", 2001) }, wantField: "comment"},
		{name: "an unknown service", in: func(in *booking.StaffBookingInput) { in.ServiceID = uuid.New() }, wantField: "service_id"},
		{name: "an unpublished service", in: func(in *booking.StaffBookingInput) { in.ServiceID = draft.ID }, wantField: "service_id"},
		{
			name:    "the services cannot be read",
			arrange: func(f *fixture) { f.store.serviceErr = errStore },
			wantErr: errStore,
		},
		{name: "outside the working hours", in: func(in *booking.StaffBookingInput) { in.Start = envSlot(0).Add(13 * time.Hour) }, wantField: "start"},
		{name: "off the grid", in: func(in *booking.StaffBookingInput) { in.Start = envSlot(0).Add(10 * time.Minute) }, wantField: "start"},
		{name: "in the past", in: func(in *booking.StaffBookingInput) { in.Start = envNow.Add(-time.Hour) }, wantField: "start"},
		{name: "no time", in: func(in *booking.StaffBookingInput) { in.Start = time.Time{} }, wantField: "start"},
		{
			name:    "a time another booking holds",
			in:      func(in *booking.StaffBookingInput) { in.Start = envSlot(3) }, // its buffer would reach into another's
			arrange: func(f *fixture) { f.window.appts = []models.Appointment{*another} },
			wantErr: models.ErrSlotTaken,
			check: func(t *testing.T, f *fixture, _ *models.Appointment) {
				// The time asked about is the session with its buffer.
				if !f.window.start.Equal(envSlot(3)) || !f.window.end.Equal(envSlot(5)) {
					t.Errorf("asked for the appointments of %s – %s", f.window.start, f.window.end)
				}
			},
		},
		{
			name:    "a time taken meanwhile: refused by the store, nothing of the client stays",
			arrange: func(f *fixture) { f.store.appts[another.ID] = *another },
			in:      func(in *booking.StaffBookingInput) { in.Start = envSlot(4) },
			wantErr: models.ErrSlotTaken,
		},
		{
			name:      "a format that does not exist: nothing of the client stays",
			in:        func(in *booking.StaffBookingInput) { in.Format = "phone" },
			wantField: "format",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fixture{
				store: &memStaffStore{memClients: newMemClients(), services: map[uuid.UUID]models.Service{svc.ID: *svc, draft.ID: *draft},
					appts: map[uuid.UUID]models.Appointment{}},
				window: &fakeAppointments{},
			}
			if tc.arrange != nil {
				tc.arrange(f)
			}
			leads, appts := maps.Clone(f.store.leads), maps.Clone(f.store.appts)
			clock := testkit.NewClock(envNow)
			sb := booking.NewStaffBooker(f.store, booking.NewSlots(&fakeAvailability{rules: rules}, f.window, nil, clock), clock, testkit.Logger(t))
			in := booking.StaffBookingInput{
				ServiceID: svc.ID, Start: envSlot(0), Format: models.AppointmentFormatOffline,
				Client: contact("Ольга", "olga@example.com", "+7 999 000-11-22"), Comment: "Просила перезвонить накануне",
			}
			if tc.in != nil {
				tc.in(&in)
			}
			a, err := sb.BookByStaff(context.Background(), in)
			if tc.wantErr == nil && tc.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, f, a)
				return
			}
			if (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || (tc.wantField != "" && !isValidation(err, tc.wantField)) {
				t.Fatalf("err = %v, want %v / a validation error of %q", err, tc.wantErr, tc.wantField)
			}
			if a != nil || len(f.store.accounts) != 0 || !maps.EqualFunc(f.store.leads, leads, sameLead) || len(f.store.appts) != len(appts) {
				t.Errorf("a refused booking left %v, %d accounts, %d leads, %d appointments", a, len(f.store.accounts), len(f.store.leads), len(f.store.appts))
			}
			if tc.check != nil {
				tc.check(t, f, a)
			}
		})
	}
}

// eventNames lists the names of events, space-separated.
func eventNames(events []models.Event) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = e.EventName()
	}
	return strings.Join(names, " ")
}
