package booking_test

// Unit tests of the waitlist use case over in-memory fakes of its ports: joining it, and the
// subscriber that offers a freed time to those waiting. The database test (manage_test.go,
// TestWaitlistHearsOfFreedTime) runs the same use case over the real stores.

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// memServices is booking.ServiceStore in memory, for the catalogue.
type memServices map[string]models.Service

func (m memServices) BySlug(_ context.Context, slug string) (*models.Service, error) {
	s, ok := m[slug]
	if !ok {
		return nil, models.ErrNotFound
	}
	return &s, nil
}

func (m memServices) ListPublished(context.Context, repository.Page) ([]models.Service, error) {
	return nil, errors.New("not in these tests")
}

// memWaitlist is booking.WaitlistStore in memory: a failed transaction leaves nothing behind, and
// WaitingFor answers as the repository's query does.
type memWaitlist struct {
	memClients
	entries map[uuid.UUID]models.WaitlistEntry
	appts   map[uuid.UUID]models.Appointment
	// freed are the WaitlistSlotFreed events the entries recorded, in order.
	freed []models.WaitlistSlotFreed
	// limits are what each WaitingFor asked for.
	limits []int
	// fail makes a method (by name) answer this error.
	fail map[string]error
	// meanwhile runs once WaitingFor has answered: what another transaction changes meanwhile.
	meanwhile func(s *memWaitlist)
}

func newMemWaitlist() *memWaitlist {
	return &memWaitlist{memClients: newMemClients(), entries: map[uuid.UUID]models.WaitlistEntry{},
		appts: map[uuid.UUID]models.Appointment{}, fail: map[string]error{}}
}

var _ booking.WaitlistStore = (*memWaitlist)(nil)

func (s *memWaitlist) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	clients, entries := s.memClients.clone(), maps.Clone(s.entries)
	if err := fn(ctx); err != nil {
		s.memClients, s.entries = clients, entries
		return err
	}
	return nil
}

func (s *memWaitlist) CreateWaitlistEntry(_ context.Context, w *models.WaitlistEntry) error {
	if err := s.fail["CreateWaitlistEntry"]; err != nil {
		return err
	}
	s.entries[w.ID] = *w
	return nil
}

// WaitingFor is the repository's query: the active entries of the service whose preferred
// period (if any) contains start, first come first, at most limit.
func (s *memWaitlist) WaitingFor(_ context.Context, serviceID uuid.UUID, start time.Time, limit int) ([]models.WaitlistEntry, error) {
	s.limits = append(s.limits, limit)
	if err := s.fail["WaitingFor"]; err != nil {
		return nil, err
	}
	var out []models.WaitlistEntry
	for _, w := range s.entries {
		if w.ServiceID == serviceID && w.Status == models.WaitlistStatusActive &&
			(w.PreferredFrom == nil || !w.PreferredFrom.After(start)) && (w.PreferredTo == nil || w.PreferredTo.After(start)) {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b models.WaitlistEntry) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if s.meanwhile != nil {
		s.meanwhile(s)
		s.meanwhile = nil
	}
	return out, nil
}

func (s *memWaitlist) UpdateWaitlistEntry(_ context.Context, id uuid.UUID, fn func(*models.WaitlistEntry) error) error {
	if err := s.fail["UpdateWaitlistEntry"]; err != nil {
		return err
	}
	w, ok := s.entries[id]
	if !ok {
		return models.ErrNotFound
	}
	if err := fn(&w); err != nil {
		return err
	}
	for _, e := range w.Events() {
		if f, ok := e.(models.WaitlistSlotFreed); ok {
			s.freed = append(s.freed, f)
		}
	}
	w.ClearEvents()
	s.entries[id] = w
	return nil
}

func (s *memWaitlist) Appointment(_ context.Context, id uuid.UUID) (*models.Appointment, error) {
	if err := s.fail["Appointment"]; err != nil {
		return nil, err
	}
	a, ok := s.appts[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	return &a, nil
}

// moscowMidnight is the start of day d of December 2026 in Moscow.
func moscowMidnight(d int) *time.Time {
	t := time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC).Add(-3 * time.Hour)
	return &t
}

func TestWaitlistJoinUnit(t *testing.T) {
	svc := unitService(t, "individual-session", false)
	draft := unitService(t, "draft-session", true)
	personal := []booking.ConsentInput{{Type: models.ConsentPersonalData, Version: "2026-01"}}
	tests := []struct {
		name    string
		in      func(in *booking.WaitlistInput)
		arrange func(s *memWaitlist)
		// A refusal: the error wanted (errors.Is) or the field of the ValidationError wanted.
		wantErr   error
		wantField string
		check     func(t *testing.T, s *memWaitlist, w *models.WaitlistEntry)
	}{
		{
			name: "a client waits for a day: account, lead and entry are recorded",
			check: func(t *testing.T, s *memWaitlist, w *models.WaitlistEntry) {
				if w.ServiceID != svc.ID || w.Status != models.WaitlistStatusActive || w.Timezone != "Europe/Berlin" ||
					w.Email == nil || *w.Email != "vera@example.com" || !w.CreatedAt.Equal(envNow) {
					t.Errorf("entry %+v", w)
				}
				// Thursday 3 December in the service's zone (Moscow), whatever the client's.
				if w.PreferredFrom == nil || !w.PreferredFrom.Equal(*moscowMidnight(3)) || w.PreferredTo == nil || !w.PreferredTo.Equal(*moscowMidnight(4)) {
					t.Errorf("preferred %v – %v, want Thursday in Moscow", w.PreferredFrom, w.PreferredTo)
				}
				if stored, ok := s.entries[w.ID]; !ok || len(s.entries) != 1 || stored.Status != models.WaitlistStatusActive {
					t.Errorf("stored entries %+v", s.entries)
				}
				account, ok := s.accounts["vera@example.com"]
				if !ok || w.ClientUserID == nil || *w.ClientUserID != account.ID {
					t.Fatalf("entry of user %v, account %+v", w.ClientUserID, account)
				}
				if c := account.ActiveConsent(models.ConsentPersonalData); c == nil || c.Version != "2026-01" || c.Source != "booking_form" {
					t.Errorf("consent %+v", c)
				}
				lead := s.lead(models.LeadIdentityKindEmail, "vera@example.com")
				if lead == nil || w.LeadID == nil || *w.LeadID != lead.ID || len(s.leads) != 1 {
					t.Fatalf("entry of lead %v, the email's lead %+v (%d leads)", w.LeadID, lead, len(s.leads))
				}
				if lead.Source != "booking" || lead.UserID == nil || *lead.UserID != account.ID || !lead.HasIdentity(models.LeadIdentityKindPhone, "+79991234567") {
					t.Errorf("lead %+v", lead)
				}
			},
		},
		{
			name: "no days and no zone: any time, in the service's zone",
			in:   func(in *booking.WaitlistInput) { in.From, in.To, in.Timezone = "", "", models.TimeZone{} },
			check: func(t *testing.T, s *memWaitlist, w *models.WaitlistEntry) {
				if w.PreferredFrom != nil || w.PreferredTo != nil || w.Timezone != "Europe/Moscow" {
					t.Errorf("entry %v – %v in %s", w.PreferredFrom, w.PreferredTo, w.Timezone)
				}
			},
		},
		{
			name: "until today is still in time",
			in:   func(in *booking.WaitlistInput) { in.From, in.To = "", "2026-12-01" },
			check: func(t *testing.T, s *memWaitlist, w *models.WaitlistEntry) {
				if w.PreferredFrom != nil || w.PreferredTo == nil || !w.PreferredTo.Equal(*moscowMidnight(2)) {
					t.Errorf("entry %v – %v", w.PreferredFrom, w.PreferredTo)
				}
			},
		},
		{
			name: "a returning client keeps the account and lead; a new consent version is granted",
			arrange: func(s *memWaitlist) {
				old := []booking.ConsentInput{{Type: models.ConsentPersonalData, Version: "2025-01"}}
				if _, err := s.RecordAccount(context.Background(), "vera@example.com", "Вера", old, "booking_form", envNow.Add(-time.Hour)); err != nil {
					panic(err)
				}
				s.addLead("site", "", envNow.Add(-time.Hour), "email", "vera@example.com")
			},
			check: func(t *testing.T, s *memWaitlist, w *models.WaitlistEntry) {
				lead := s.lead(models.LeadIdentityKindEmail, "vera@example.com")
				if len(s.accounts) != 1 || len(s.leads) != 1 || *w.LeadID != lead.ID || lead.Source != "site" {
					t.Errorf("%d accounts, %d leads; entry of lead %v, the email's %+v", len(s.accounts), len(s.leads), w.LeadID, lead)
				}
				account := s.accounts["vera@example.com"]
				if c := account.ActiveConsent(models.ConsentPersonalData); c == nil || c.Version != "2026-01" {
					t.Errorf("consent in force %+v", c)
				}
			},
		},
		{name: "an unknown service", in: func(in *booking.WaitlistInput) { in.ServiceSlug = "nope" }, wantErr: models.ErrNotFound},
		{name: "an unpublished service", in: func(in *booking.WaitlistInput) { in.ServiceSlug = draft.Slug }, wantErr: models.ErrNotFound},
		{name: "no personal data consent", in: func(in *booking.WaitlistInput) {
			in.Consents = []booking.ConsentInput{{Type: models.ConsentCommunications, Version: "1"}}
		}, wantField: "consents"},
		{name: "an unknown consent", in: func(in *booking.WaitlistInput) {
			in.Consents = append([]booking.ConsentInput{{Type: "marketing", Version: "1"}}, personal...)
		}, wantField: "consents[0].type"},
		{name: "a consent without its version", in: func(in *booking.WaitlistInput) {
			in.Consents = []booking.ConsentInput{{Type: models.ConsentPersonalData}}
		}, wantField: "consents[0].version"},
		{name: "no email", in: func(in *booking.WaitlistInput) { in.Client = contact("Вера", "", "+7 999 123-45-67") }, wantField: "client.email"},
		{name: "a first day that is no date", in: func(in *booking.WaitlistInput) { in.From = "03.12.2026" }, wantField: "from"},
		{name: "a last day that is no date", in: func(in *booking.WaitlistInput) { in.To = "2026-12-32" }, wantField: "to"},
		{name: "the last day before the first", in: func(in *booking.WaitlistInput) { in.From, in.To = "2026-12-04", "2026-12-03" }, wantField: "to"},
		{name: "a last day in the past", in: func(in *booking.WaitlistInput) { in.From, in.To = "", "2026-11-30" }, wantField: "to"},
		{
			name:    "the entry cannot be saved: nothing of the client stays",
			arrange: func(s *memWaitlist) { s.fail["CreateWaitlistEntry"] = errStore },
			wantErr: errStore,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemWaitlist()
			if tc.arrange != nil {
				tc.arrange(s)
			}
			accounts, leads := maps.Clone(s.accounts), maps.Clone(s.leads)
			wl := booking.NewWaitlist(s, booking.NewCatalogue(memServices{svc.Slug: *svc, draft.Slug: *draft}),
				testkit.NewClock(envNow), testkit.Logger(t))
			in := booking.WaitlistInput{
				ServiceSlug: svc.Slug, From: "2026-12-03", To: "2026-12-03", Timezone: models.MustTimeZone("Europe/Berlin"),
				Client: contact("Вера", "vera@example.com", "+7 999 123-45-67"), Consents: personal,
			}
			if tc.in != nil {
				tc.in(&in)
			}
			w, err := wl.JoinWaitlist(context.Background(), in)
			if tc.wantErr == nil && tc.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, s, w)
				return
			}
			if (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || (tc.wantField != "" && !isValidation(err, tc.wantField)) {
				t.Fatalf("err = %v, want %v / a validation error of %q", err, tc.wantErr, tc.wantField)
			}
			if w != nil || len(s.entries) != 0 || !maps.EqualFunc(s.accounts, accounts, sameUser) || !maps.EqualFunc(s.leads, leads, sameLead) {
				t.Errorf("a refused join left %v, %d entries, %d accounts, %d leads", w, len(s.entries), len(s.accounts), len(s.leads))
			}
		})
	}
}

func TestWaitlistOfferFreedTimeUnit(t *testing.T) {
	svc := unitService(t, "individual-session", false)
	other := unitService(t, "couples-session", false)
	// The time freed is Thursday 10:00 in Moscow; the clock stands on Tuesday.
	freedAt := envSlot(0)
	appointment := func(start time.Time, status models.AppointmentStatus) models.Appointment {
		booked := start.Add(-72 * time.Hour)
		a, err := models.NewAppointmentByStaff(svc, start, models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, &uuid.UUID{1}, nil,
			models.AppointmentMetadata{}, booked)
		if err != nil {
			t.Fatal(err)
		}
		switch status {
		case models.AppointmentStatusCanceled:
			err = a.Cancel(models.BookingActorClient, "", booked)
		case models.AppointmentStatusRescheduled:
			_, err = a.Reschedule(svc, start.Add(2*time.Hour), models.BookingActorStaff, booked)
		}
		if err != nil {
			t.Fatal(err)
		}
		a.ClearEvents()
		return *a
	}
	canceled := func(id uuid.UUID) models.Event {
		return models.AppointmentCanceled{EventMeta: models.NewEventMeta(id, envNow), By: models.BookingActorClient, From: models.AppointmentStatusConfirmed}
	}
	tests := []struct {
		name string
		// appt is the appointment the event is about (nil: none is stored).
		appt    func() models.Appointment
		event   func(id uuid.UUID) models.Event
		arrange func(s *memWaitlist)
		// deliveries of the event (at least once); 1 when zero.
		deliveries int
		wantErr    error
		// told are the entries offered the time; the others stay as they were.
		told   []string
		limits []int
		check  func(t *testing.T, s *memWaitlist, ids map[string]uuid.UUID)
	}{
		{
			name:   "a canceled time is offered to those waiting for it, once each",
			appt:   func() models.Appointment { return appointment(freedAt, models.AppointmentStatusCanceled) },
			told:   []string{"Thursday", "any day"},
			limits: []int{50},
		},
		{
			name:       "delivered again, it tells nobody twice",
			appt:       func() models.Appointment { return appointment(freedAt, models.AppointmentStatusCanceled) },
			deliveries: 2,
			told:       []string{"Thursday", "any day"},
			limits:     []int{50, 50},
		},
		{
			name: "the old time of a moved booking is offered too",
			appt: func() models.Appointment { return appointment(freedAt, models.AppointmentStatusRescheduled) },
			event: func(id uuid.UUID) models.Event {
				return models.AppointmentRescheduled{EventMeta: models.NewEventMeta(id, envNow), By: models.BookingActorStaff, NewAppointmentID: uuid.New()}
			},
			told:   []string{"Thursday", "any day"},
			limits: []int{50},
		},
		{
			name: "a Friday time is offered to those waiting for Friday",
			appt: func() models.Appointment {
				return appointment(freedAt.Add(24*time.Hour), models.AppointmentStatusCanceled)
			},
			told:   []string{"any day", "Friday"},
			limits: []int{50},
		},
		{
			name:  "a booking confirmed again (a late payment) frees nothing",
			appt:  func() models.Appointment { return appointment(freedAt, models.AppointmentStatusConfirmed) },
			event: canceled,
		},
		{
			name: "a time that has begun frees nothing",
			appt: func() models.Appointment { return appointment(envNow, models.AppointmentStatusCanceled) },
		},
		{
			name: "an unknown booking frees nothing",
		},
		{
			name: "at most 50 are told of one time, first come first",
			appt: func() models.Appointment { return appointment(freedAt, models.AppointmentStatusCanceled) },
			arrange: func(s *memWaitlist) {
				for i := range 49 {
					w := waitlistEntry(svc, nil, nil, envNow.Add(-time.Hour+time.Duration(i)*time.Second))
					s.entries[w.ID] = *w
				}
			},
			limits: []int{50},
			check: func(t *testing.T, s *memWaitlist, ids map[string]uuid.UUID) {
				var latest models.WaitlistEntry
				active := 0
				for _, w := range s.entries {
					if w.ServiceID == svc.ID && w.Status == models.WaitlistStatusActive && w.PreferredFrom == nil {
						active++
						latest = w
					}
				}
				if len(s.freed) != 50 || active != 1 || !latest.CreatedAt.Equal(envNow.Add(-time.Hour+48*time.Second)) {
					t.Errorf("%d told, %d of those waiting any day still waiting (the last since %s)", len(s.freed), active, latest.CreatedAt)
				}
				if s.entries[ids["Thursday"]].Status != models.WaitlistStatusNotified {
					t.Error("the first to wait was not told")
				}
			},
		},
		{
			name: "one who left the list meanwhile is left alone",
			appt: func() models.Appointment { return appointment(freedAt, models.AppointmentStatusCanceled) },
			arrange: func(s *memWaitlist) {
				s.meanwhile = func(s *memWaitlist) {
					for id, w := range s.entries {
						if w.PreferredFrom != nil && w.PreferredFrom.Equal(*moscowMidnight(3)) {
							if err := w.Cancel(envNow); err != nil {
								panic(err)
							}
							s.entries[id] = w
						}
					}
				}
			},
			limits: []int{50},
			check: func(t *testing.T, s *memWaitlist, ids map[string]uuid.UUID) {
				if st := s.entries[ids["Thursday"]].Status; st != models.WaitlistStatusCanceled {
					t.Errorf("the one who left is %s", st)
				}
				if len(s.freed) != 1 || s.freed[0].AggregateID() != ids["any day"] || s.entries[ids["any day"]].Status != models.WaitlistStatusNotified {
					t.Errorf("offers %+v, want one to the one waiting any day", s.freed)
				}
			},
		},
		{
			name:    "the booking cannot be read: the delivery fails, to be retried",
			appt:    func() models.Appointment { return appointment(freedAt, models.AppointmentStatusCanceled) },
			arrange: func(s *memWaitlist) { s.fail["Appointment"] = errStore },
			wantErr: errStore,
		},
		{
			name:    "the waitlist cannot be read",
			appt:    func() models.Appointment { return appointment(freedAt, models.AppointmentStatusCanceled) },
			arrange: func(s *memWaitlist) { s.fail["WaitingFor"] = errStore },
			wantErr: errStore,
			limits:  []int{50},
		},
		{
			name:    "an entry cannot be written",
			appt:    func() models.Appointment { return appointment(freedAt, models.AppointmentStatusCanceled) },
			arrange: func(s *memWaitlist) { s.fail["UpdateWaitlistEntry"] = errStore },
			wantErr: errStore,
			limits:  []int{50},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemWaitlist()
			ids := map[string]uuid.UUID{}
			for i, e := range []struct {
				name     string
				svc      *models.Service
				from, to *time.Time
				told     bool
			}{
				{"Thursday", svc, moscowMidnight(3), moscowMidnight(4), false},
				{"any day", svc, nil, nil, false},
				{"Friday", svc, moscowMidnight(4), moscowMidnight(5), false},
				{"another service", other, nil, nil, false},
				{"told before", svc, nil, nil, true},
			} {
				w := waitlistEntry(e.svc, e.from, e.to, envNow.Add(time.Duration(i-10)*time.Hour))
				if e.told {
					if err := w.Notify(envNow.Add(-time.Hour)); err != nil {
						t.Fatal(err)
					}
				}
				s.entries[w.ID], ids[e.name] = *w, w.ID
			}
			id := uuid.New()
			if tc.appt != nil {
				a := tc.appt()
				s.appts[a.ID], id = a, a.ID
			}
			if tc.arrange != nil {
				tc.arrange(s)
			}
			before := maps.Clone(s.entries)
			subs := events.NewSubscriptions()
			if err := booking.NewWaitlist(s, nil, testkit.NewClock(envNow), testkit.Logger(t)).RegisterWaitlist(subs); err != nil {
				t.Fatal(err)
			}
			event := canceled
			if tc.event != nil {
				event = tc.event
			}
			e := event(id)
			sub, ok := subs.Get(e.EventName(), booking.WaitlistSubscriber)
			if !ok {
				t.Fatalf("the waitlist does not hear of %s", e.EventName())
			}
			var err error
			for range max(tc.deliveries, 1) {
				if err = sub.Handle(context.Background(), e); err != nil {
					break
				}
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(s.limits, tc.limits) {
				t.Errorf("the waitlist was read with limits %v, want %v", s.limits, tc.limits)
			}
			if tc.check != nil {
				tc.check(t, s, ids)
				return
			}
			var start time.Time
			if a, ok := s.appts[id]; ok {
				start = a.StartAt
			}
			told := map[uuid.UUID]bool{}
			for _, f := range s.freed {
				if told[f.AggregateID()] || f.ServiceID != svc.ID || !f.Start.Equal(start) {
					t.Errorf("offer %+v, want one of %s at %s per entry", f, svc.ID, start)
				}
				told[f.AggregateID()] = true
			}
			for name, id := range ids {
				got, want := s.entries[id], before[id]
				if slices.Contains(tc.told, name) {
					if !told[id] || got.Status != models.WaitlistStatusNotified || got.NotifiedAt == nil || !got.NotifiedAt.Equal(envNow) {
						t.Errorf("%s: %s at %v, told %t; want told now", name, got.Status, got.NotifiedAt, told[id])
					}
					continue
				}
				if told[id] || got.Status != want.Status || !equalTimes(got.NotifiedAt, want.NotifiedAt) {
					t.Errorf("%s: %s at %v, told %t; want it as it was (%s)", name, got.Status, got.NotifiedAt, told[id], want.Status)
				}
			}
			if len(s.freed) != len(tc.told) {
				t.Errorf("%d offers, want %d", len(s.freed), len(tc.told))
			}
		})
	}
}

// waitlistEntry is an entry of a client waiting for svc between from and to (nil: any time).
func waitlistEntry(svc *models.Service, from, to *time.Time, created time.Time) *models.WaitlistEntry {
	email := models.Email("w" + uuid.NewString()[:8] + "@example.com")
	w, err := models.NewWaitlistEntry(svc.ID, nil, nil, &email, from, to, models.MustTimeZone("Europe/Moscow"), created)
	if err != nil {
		panic(err)
	}
	return w
}

func equalTimes(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}
