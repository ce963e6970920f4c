package booking

// Unit tests of the managing use case's moves (by the client and by staff) and intake forms over
// in-memory fakes of its ports (memManageStore, in manage_unit_internal_test.go, and the
// practitioner's weekly rules). The database tests (manage_test.go, staff_test.go) run the same
// code over the real stores.

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
)

// memRules is AvailabilityStore in memory: the same weekly rules for every service, no exceptions.
type memRules []models.AvailabilityRule

func (r memRules) RulesFor(context.Context, uuid.UUID) ([]models.AvailabilityRule, error) {
	return r, nil
}

func (r memRules) ExceptionsBetween(context.Context, uuid.UUID, time.Time, time.Time) ([]models.AvailabilityException, error) {
	return nil, nil
}

func (r memRules) ScheduleBetween(context.Context, uuid.UUID, time.Time, time.Time) ([]models.AvailabilityRule, []models.AvailabilityException, error) {
	return r, nil, nil
}

// manageNow is Tuesday 2026-12-01 12:00 in Moscow.
var manageNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// thursday is Thursday 2026-12-03 10:00 in Moscow plus n half-hour steps.
func thursday(n int) time.Time {
	return time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC).Add(time.Duration(n) * 30 * time.Minute)
}

const (
	ownToken     = "the-manage-token"
	anotherToken = "another-manage-token"
)

// manageFixture is a client's paid booking of Thursday 10:00 Moscow with a draft intake form
// (own), and another client's paid booking of Thursday 12:00 (another), of a 50-minute session
// with 10 minutes of buffer that clients may move until 12 hours before, on weekdays 10:00–19:00
// Moscow.
type manageFixture struct {
	store        *memManageStore
	own, another *models.Appointment
	pay          models.Payment
	rules        memRules
}

func newManageFixture(t *testing.T) *manageFixture {
	t.Helper()
	hours := func(h int) *int { return &h }
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "s", Title: "Консультация", Format: models.ServiceFormatHybrid, DurationMinutes: 50, BufferMinutes: 10,
		Price:           models.Money{Minor: 500000, Currency: models.CurrencyRUB},
		CancelFreeHours: hours(24), CancelPartialHours: hours(12), RescheduleMinHours: hours(12),
	}, manageNow)
	if err != nil {
		t.Fatal(err)
	}
	f := &manageFixture{store: &memManageStore{svc: svc, appts: map[uuid.UUID]models.Appointment{},
		pays: map[uuid.UUID][]models.Payment{}, forms: map[uuid.UUID]models.IntakeForm{}}}
	for wd := 1; wd <= 5; wd++ {
		r, err := models.NewAvailabilityRule(&svc.ID, wd, 10*60, 19*60, "Europe/Moscow", nil, nil, manageNow)
		if err != nil {
			t.Fatal(err)
		}
		f.rules = append(f.rules, *r)
	}
	paid := func(start time.Time, client byte, token string) (*models.Appointment, models.Payment) {
		booked := manageNow.Add(-time.Hour)
		a, err := models.NewAppointment(svc, start, models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline, &uuid.UUID{client}, &uuid.UUID{client, 1},
			models.AppointmentMetadata{EntryPoint: "site"}, 15*time.Minute, booked)
		if err != nil {
			t.Fatal(err)
		}
		pay, err := models.NewPayment(a.ID, svc.Price(), "pay-"+token, booked)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{a.SetManageToken(token, crypto.HashToken(token)), pay.MarkPending("pp-"+token, "https://pay.example/"+token, booked),
			pay.Succeed(booked), a.Confirm(booked)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		a.ClearEvents()
		f.store.appts[a.ID], f.store.pays[a.ID] = *a, []models.Payment{*pay}
		return a, *pay
	}
	f.own, f.pay = paid(thursday(0), 1, ownToken)
	f.another, _ = paid(thursday(4), 2, anotherToken)
	form, err := models.NewIntakeForm(f.own.ID, models.IntakeAnswers{"goal": "sleep"}, manageNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.store.forms[f.own.ID] = *form
	return f
}

func (f *manageFixture) manager(now time.Time) *Manager {
	clock := fixedClock{now}
	return NewManager(f.store, NewSlots(f.rules, f.store, nil, clock), &memRefunds{}, &memTaskQueue{}, clock,
		Config{PartialRefundPercent: 50}, slog.New(slog.DiscardHandler))
}

// setStatus puts the stored appointment id in status, as if it had got there.
func (f *manageFixture) setStatus(id uuid.UUID, status models.AppointmentStatus) {
	a := f.store.appts[id]
	a.Status = status
	f.store.appts[id] = a
}

func clientMove(token string, to time.Time) func(m *Manager, f *manageFixture) (*models.Appointment, error) {
	return func(m *Manager, f *manageFixture) (*models.Appointment, error) {
		return m.Reschedule(context.Background(), f.own.ID, token, to)
	}
}

func staffMove(to time.Time) func(m *Manager, f *manageFixture) (*models.Appointment, error) {
	return func(m *Manager, f *manageFixture) (*models.Appointment, error) {
		return m.RescheduleByStaff(context.Background(), f.own.ID, to)
	}
}

func TestManagerRescheduleUnit(t *testing.T) {
	deadline := thursday(0).Add(-12 * time.Hour) // the last instant the client may move it
	tests := []struct {
		name    string
		now     time.Time // manageNow when zero
		arrange func(f *manageFixture)
		move    func(m *Manager, f *manageFixture) (*models.Appointment, error)
		// On success: who moved it, and to when.
		by models.BookingActor
		to time.Time
		// A refusal: the error wanted (errors.Is) or the field of the ValidationError wanted.
		wantErr   error
		wantField string
	}{
		{name: "the client moves it to a free time", move: clientMove(ownToken, thursday(8)),
			by: models.BookingActorClient, to: thursday(8)},
		{name: "half an hour later, over its own time", move: clientMove(ownToken, thursday(1)),
			by: models.BookingActorClient, to: thursday(1)},
		{name: "to end (with its buffer) where another's begins", move: clientMove(ownToken, thursday(2)),
			by: models.BookingActorClient, to: thursday(2)},
		{name: "at the client's deadline itself", now: deadline, move: clientMove(ownToken, thursday(2)),
			by: models.BookingActorClient, to: thursday(2)},
		{name: "a second after the client's deadline", now: deadline.Add(time.Second), move: clientMove(ownToken, thursday(2)),
			wantErr: models.ErrTooLateToReschedule},
		{name: "a wrong token learns nothing", move: clientMove("guessed", thursday(2)), wantErr: models.ErrNotFound},
		{name: "another booking's token learns nothing", move: clientMove(anotherToken, thursday(2)), wantErr: models.ErrNotFound},
		{name: "onto another's time", move: clientMove(ownToken, thursday(4)), wantErr: models.ErrSlotTaken},
		{name: "its buffer into another's time", move: clientMove(ownToken, thursday(3)), wantErr: models.ErrSlotTaken},
		{name: "outside the working hours", move: clientMove(ownToken, thursday(0).Add(13*time.Hour)), wantField: "start"},
		{name: "off the grid", move: clientMove(ownToken, thursday(2).Add(10*time.Minute)), wantField: "start"},
		{name: "to a time already past", move: clientMove(ownToken, thursday(0).Add(-48*time.Hour)), wantField: "start"},
		{name: "to the time it has", move: clientMove(ownToken, thursday(0)), wantField: "start"},
		{
			name:    "a booking waiting for its payment stays",
			arrange: func(f *manageFixture) { f.setStatus(f.own.ID, models.AppointmentStatusPendingPayment) },
			move:    clientMove(ownToken, thursday(2)),
			wantErr: models.ErrInvalidTransition,
		},
		{
			name: "a time taken meanwhile: the store refuses it, nothing moves",
			arrange: func(f *manageFixture) {
				f.store.meanwhile = func(m *memManageStore) {
					x := *f.another
					x.ID, x.StartAt, x.EndAt, x.BlockedUntil = uuid.New(), thursday(2), thursday(2).Add(50*time.Minute), thursday(2).Add(time.Hour)
					x.ManageTokenHash = nil
					m.appts[x.ID] = x
				}
			},
			move:    clientMove(ownToken, thursday(2)),
			wantErr: models.ErrSlotTaken,
		},
		{
			name: "a booking changed meanwhile: nothing moves",
			arrange: func(f *manageFixture) {
				f.store.meanwhile = func(m *memManageStore) {
					a := m.appts[f.own.ID]
					a.Version++
					m.appts[f.own.ID] = a
				}
			},
			move:    clientMove(ownToken, thursday(2)),
			wantErr: models.ErrConflict,
		},
		{name: "staff move it inside the client's deadline", now: deadline.Add(6 * time.Hour), move: staffMove(thursday(8)),
			by: models.BookingActorStaff, to: thursday(8)},
		{name: "staff: onto another's time", move: staffMove(thursday(4)), wantErr: models.ErrSlotTaken},
		{name: "staff: outside the working hours", move: staffMove(thursday(0).Add(13 * time.Hour)), wantField: "start"},
		{
			name: "staff: an unknown booking",
			move: func(m *Manager, _ *manageFixture) (*models.Appointment, error) {
				return m.RescheduleByStaff(context.Background(), uuid.New(), thursday(2))
			},
			wantErr: models.ErrNotFound,
		},
		{
			name:    "staff: a booking moved already stays",
			arrange: func(f *manageFixture) { f.setStatus(f.own.ID, models.AppointmentStatusRescheduled) },
			move:    staffMove(thursday(2)),
			wantErr: models.ErrInvalidTransition,
		},
		{
			name:    "staff: a canceled booking stays",
			arrange: func(f *manageFixture) { f.setStatus(f.own.ID, models.AppointmentStatusCanceled) },
			move:    staffMove(thursday(2)),
			wantErr: models.ErrInvalidTransition,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newManageFixture(t)
			if tc.arrange != nil {
				tc.arrange(f)
			}
			now := tc.now
			if now.IsZero() {
				now = manageNow
			}
			m := f.manager(now)
			next, err := tc.move(m, f)
			if tc.wantErr != nil || tc.wantField != "" {
				if (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || (tc.wantField != "" && !isValidationOf(err, tc.wantField)) {
					t.Fatalf("err = %v, want %v / a validation error of %q", err, tc.wantErr, tc.wantField)
				}
				own := f.store.appts[f.own.ID]
				if next != nil || own.StartAt != f.own.StartAt || own.ManageTokenHash == nil || len(f.store.rescheduled) != 0 ||
					len(f.store.pays[f.own.ID]) != 1 || len(f.store.forms) != 1 || f.store.forms[f.own.ID].ID == uuid.Nil {
					t.Errorf("a refused move changed things: %v; own %s at %s; payments %v; forms %v", next, own.Status, own.StartAt, f.store.pays, f.store.forms)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if next.ID == f.own.ID || next.Status != models.AppointmentStatusConfirmed || !next.StartAt.Equal(tc.to) ||
				!next.BlockedUntil.Equal(tc.to.Add(time.Hour)) || next.RescheduledFromID == nil || *next.RescheduledFromID != f.own.ID ||
				*next.ClientUserID != *f.own.ClientUserID || *next.LeadID != *f.own.LeadID || next.Timezone != "Europe/Berlin" ||
				next.Metadata.EntryPoint != "site" || next.Service == nil {
				t.Errorf("the new booking %+v", next)
			}
			// The payment and the intake form follow it, and come with the answer.
			if len(next.Payments) != 1 || next.Payments[0].ID != f.pay.ID || next.Payments[0].AppointmentID != next.ID || len(f.store.pays[f.own.ID]) != 0 {
				t.Errorf("payments: with the answer %+v; left on the old booking %+v", next.Payments, f.store.pays[f.own.ID])
			}
			if form, ok := f.store.forms[next.ID]; next.IntakeForm == nil || !ok || form.Payload["goal"] != "sleep" || len(f.store.forms) != 1 {
				t.Errorf("intake form: with the answer %+v; stored %+v", next.IntakeForm, f.store.forms)
			}
			old := f.store.appts[f.own.ID]
			if old.Status != models.AppointmentStatusRescheduled || old.ManageTokenHash != nil || len(f.store.appts) != 3 {
				t.Errorf("the old booking %s, token hash %v; %d appointments", old.Status, old.ManageTokenHash, len(f.store.appts))
			}
			if r := f.store.rescheduled; len(r) != 1 || r[0].By != tc.by || r[0].NewAppointmentID != next.ID || r[0].AggregateID() != f.own.ID {
				t.Errorf("moves recorded %+v, want one by %s", r, tc.by)
			}
			if other := f.store.appts[f.another.ID]; other.Status != models.AppointmentStatusConfirmed || !other.StartAt.Equal(thursday(4)) {
				t.Errorf("another's booking: %s at %s", other.Status, other.StartAt)
			}
			// The manage link follows the booking.
			if _, err := m.Manage(context.Background(), f.own.ID, ownToken); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("the old booking is still managed: %v", err)
			}
			if got, err := m.Manage(context.Background(), next.ID, ownToken); err != nil || got.ID != next.ID {
				t.Errorf("the new booking by the token: %v", err)
			}
		})
	}
}

func TestManagerIntakeFormUnit(t *testing.T) {
	earlier := manageNow.Add(-time.Hour) // when the fixture's draft was written
	save := func(token string, answers models.IntakeAnswers, submit bool) func(m *Manager, f *manageFixture) (*models.IntakeForm, error) {
		return func(m *Manager, f *manageFixture) (*models.IntakeForm, error) {
			return m.SaveIntakeForm(context.Background(), f.own.ID, token, answers, submit)
		}
	}
	read := func(token string) func(m *Manager, f *manageFixture) (*models.IntakeForm, error) {
		return func(m *Manager, f *manageFixture) (*models.IntakeForm, error) {
			return m.IntakeForm(context.Background(), f.own.ID, token)
		}
	}
	noForm := func(f *manageFixture) { delete(f.store.forms, f.own.ID) }
	submitted := func(f *manageFixture) {
		form := f.store.forms[f.own.ID]
		if err := form.Submit(earlier); err != nil {
			panic(err)
		}
		form.ClearEvents()
		f.store.forms[f.own.ID] = form
	}
	tests := []struct {
		name    string
		now     time.Time // manageNow when zero
		arrange func(f *manageFixture)
		do      func(m *Manager, f *manageFixture) (*models.IntakeForm, error)
		// On success, the form answered (and stored): its status, an answer and whether it is the
		// fixture's draft (its ID kept).
		status models.IntakeFormStatus
		goal   string
		same   bool
		// A refusal: the error wanted (errors.Is) or the field of the ValidationError wanted.
		wantErr   error
		wantField string
	}{
		{name: "a first draft is kept", arrange: noForm, do: save(ownToken, models.IntakeAnswers{"goal": "calm"}, false),
			status: models.IntakeFormStatusDraft, goal: "calm"},
		{name: "a draft is replaced, the same form", do: save(ownToken, models.IntakeAnswers{"goal": "calm"}, false),
			status: models.IntakeFormStatusDraft, goal: "calm", same: true},
		{name: "a draft is sent to the psychologist", do: save(ownToken, models.IntakeAnswers{"goal": "calm", "sessions_before": float64(2)}, true),
			status: models.IntakeFormStatusSubmitted, goal: "calm", same: true},
		{name: "sent at once, without a draft", arrange: noForm, do: save(ownToken, models.IntakeAnswers{"goal": "calm"}, true),
			status: models.IntakeFormStatusSubmitted, goal: "calm"},
		{
			name:    "a booking waiting for its payment takes a form",
			arrange: func(f *manageFixture) { f.setStatus(f.own.ID, models.AppointmentStatusPendingPayment) },
			do:      save(ownToken, models.IntakeAnswers{"goal": "calm"}, false),
			status:  models.IntakeFormStatusDraft, goal: "calm", same: true,
		},
		{
			// The code refuses a form only to a booking that is no longer active, not to one
			// under way.
			name: "a session under way still takes its form", now: thursday(0).Add(10 * time.Minute),
			do:     save(ownToken, models.IntakeAnswers{"goal": "calm"}, true),
			status: models.IntakeFormStatusSubmitted, goal: "calm", same: true,
		},
		{name: "nothing to send", arrange: noForm, do: save(ownToken, models.IntakeAnswers{}, true), wantField: "payload"},
		{name: "a sent form no longer changes", arrange: submitted, do: save(ownToken, models.IntakeAnswers{"goal": "calm"}, false),
			wantErr: models.ErrInvalidTransition},
		{name: "a sent form is not sent twice", arrange: submitted, do: save(ownToken, models.IntakeAnswers{"goal": "calm"}, true),
			wantErr: models.ErrInvalidTransition},
		{
			name:    "a canceled booking takes none",
			arrange: func(f *manageFixture) { f.setStatus(f.own.ID, models.AppointmentStatusCanceled) },
			do:      save(ownToken, models.IntakeAnswers{"goal": "calm"}, false),
			wantErr: models.ErrInvalidTransition,
		},
		{
			name:    "a session that took place takes none",
			now:     thursday(2),
			arrange: func(f *manageFixture) { f.setStatus(f.own.ID, models.AppointmentStatusCompleted) },
			do:      save(ownToken, models.IntakeAnswers{"goal": "calm"}, false),
			wantErr: models.ErrInvalidTransition,
		},
		{name: "a wrong token writes nothing", do: save("guessed", models.IntakeAnswers{"goal": "calm"}, false), wantErr: models.ErrNotFound},
		{name: "the form is read with its answers", do: read(ownToken), status: models.IntakeFormStatusDraft, goal: "sleep", same: true},
		{name: "no form yet", arrange: noForm, do: read(ownToken), wantErr: models.ErrNotFound},
		{name: "a wrong token reads nothing", do: read(anotherToken), wantErr: models.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newManageFixture(t)
			if tc.arrange != nil {
				tc.arrange(f)
			}
			before := maps.Clone(f.store.forms)
			now := tc.now
			if now.IsZero() {
				now = manageNow
			}
			got, err := tc.do(f.manager(now), f)
			if tc.wantErr != nil || tc.wantField != "" {
				if (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || (tc.wantField != "" && !isValidationOf(err, tc.wantField)) {
					t.Fatalf("err = %v, want %v / a validation error of %q", err, tc.wantErr, tc.wantField)
				}
				stored, had := f.store.forms[f.own.ID], before[f.own.ID]
				if got != nil || len(f.store.forms) != len(before) || stored.Status != had.Status || stored.Payload["goal"] != had.Payload["goal"] ||
					len(f.store.submitted) != 0 {
					t.Errorf("a refusal changed the form: %+v → %+v (answered %+v)", had, stored, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stored, ok := f.store.forms[f.own.ID]
			if !ok || got.ID != stored.ID || got.AppointmentID != f.own.ID || got.Status != tc.status || got.Payload["goal"] != tc.goal ||
				stored.Status != tc.status || stored.Payload["goal"] != tc.goal {
				t.Errorf("answered %+v, stored %+v; want %s with goal %q", got, stored, tc.status, tc.goal)
			}
			if fixture := before[f.own.ID].ID; (got.ID == fixture) != tc.same {
				t.Errorf("form %s, the draft was %s: want the same %t", got.ID, fixture, tc.same)
			}
			if tc.same && !got.CreatedAt.Equal(earlier) {
				t.Errorf("created %s, want the draft's %s", got.CreatedAt, earlier)
			}
			wantSent := 0
			if tc.status == models.IntakeFormStatusSubmitted {
				wantSent = 1
				if got.SubmittedAt == nil || !got.SubmittedAt.Equal(now) {
					t.Errorf("submitted at %v, want %s", got.SubmittedAt, now)
				}
			}
			if len(f.store.submitted) != wantSent || (wantSent == 1 && f.store.submitted[0].AppointmentID != f.own.ID) {
				t.Errorf("intake_form.submitted events %+v, want %d", f.store.submitted, wantSent)
			}
		})
	}
}

// isValidationOf reports whether err is a ValidationError of field.
func isValidationOf(err error, field string) bool {
	var ve *models.ValidationError
	return errors.As(err, &ve) && ve.Field == field
}
