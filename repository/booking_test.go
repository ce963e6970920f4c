package repository_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// bookingDay0 is midnight two days after t0: appointments are booked from there, each test on
// days of its own so that their slots never collide.
var bookingDay0 = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

// bookingAt is hour h (UTC) of day d after bookingDay0.
func bookingAt(d, h int) time.Time {
	return bookingDay0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
}

func bookingNewService(t *testing.T, mutate func(*models.ServiceDetails)) *models.Service {
	t.Helper()
	d := models.ServiceDetails{
		Slug: "svc-" + uuid.NewString()[:8], Title: "Консультация " + uuid.NewString()[:4], DescriptionMarkdown: "50 минут",
		Format: models.ServiceFormatHybrid, DurationMinutes: 50, Price: models.Money{Minor: 500000, Currency: "RUB"},
		Timezone: "Europe/Moscow",
	}
	if mutate != nil {
		mutate(&d)
	}
	s, err := models.NewService(d, t0)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return s
}

// bookingCreateService saves a published service.
func bookingCreateService(t *testing.T, db *repository.DB, mutate func(*models.ServiceDetails)) *models.Service {
	t.Helper()
	s := bookingNewService(t, mutate)
	if err := s.Publish(t0); err != nil {
		t.Fatal(err)
	}
	if err := repository.NewServices(db).Create(context.Background(), s); err != nil {
		t.Fatalf("create service: %v", err)
	}
	return s
}

func bookingCreateClient(t *testing.T, db *repository.DB) *models.User {
	t.Helper()
	u := models.NewClientUser(models.Email("client-"+uuid.NewString()[:8]+"@example.org"), "Клиент", t0)
	if err := repository.NewUsers(db).Create(context.Background(), u); err != nil {
		t.Fatalf("create client: %v", err)
	}
	return u
}

// bookingNew books svc at start for client (a new lead when nil), as of t0, with a 15-minute hold.
func bookingNew(t *testing.T, svc *models.Service, start time.Time, client *uuid.UUID) *models.Appointment {
	t.Helper()
	var lead *uuid.UUID
	if client == nil {
		lead = ptr(models.NewID())
	}
	a, err := models.NewAppointment(svc, start, models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, client, lead,
		models.AppointmentMetadata{EntryPoint: "services"}, 15*time.Minute, t0)
	if err != nil {
		t.Fatalf("NewAppointment: %v", err)
	}
	a.ClearEvents()
	return a
}

func bookingCreate(t *testing.T, db *repository.DB, svc *models.Service, start time.Time, client *uuid.UUID) *models.Appointment {
	t.Helper()
	a := bookingNew(t, svc, start, client)
	if err := repository.NewAppointments(db).Create(context.Background(), a); err != nil {
		t.Fatalf("create appointment at %v: %v", start, err)
	}
	return a
}

// bookingAssertSame compares every stored field of got with want, which must be in UTC already.
func bookingAssertSame(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s round trip:\n got %+v\nwant %+v", what, got, want)
	}
}

// bookingStripped is a's stored columns: associations and recorded events dropped.
func bookingStripped(a models.Appointment) models.Appointment {
	a.Service, a.Payments, a.IntakeForm = nil, nil, nil
	a.ClearEvents()
	return a
}

func bookingIDs(as []models.Appointment) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(as))
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func TestBookingServices(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		services := repository.NewServices(db)

		t.Run("round trip of every column", func(t *testing.T) {
			s := bookingNewService(t, func(d *models.ServiceDetails) {
				d.DepositMinor, d.CancelFreeHours, d.CancelPartialHours, d.RescheduleMinHours = ptr[int64](100000), ptr(48), ptr(24), ptr(12)
				d.BufferMinutes, d.MinNoticeMinutes, d.BookingHorizonDays, d.SlotStepMinutes = 15, 180, 45, 20
				d.Format = models.ServiceFormatOffline
			})
			if err := s.Publish(t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := services.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
			got, err := services.ByID(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			assertUTC(t, "CreatedAt", got.CreatedAt, s.CreatedAt)
			assertUTCPtr(t, "PublishedAt", got.PublishedAt, s.PublishedAt)
			bookingAssertSame(t, "service", *got, *s)
			bySlug, err := services.BySlug(ctx, s.Slug)
			if err != nil || bySlug.ID != s.ID {
				t.Errorf("BySlug = %+v, %v", bySlug, err)
			}
			// Optional fields come back nil.
			bare := bookingNewService(t, nil)
			if err := services.Create(ctx, bare); err != nil {
				t.Fatal(err)
			}
			got, err = services.ByID(ctx, bare.ID)
			if err != nil {
				t.Fatal(err)
			}
			bookingAssertSame(t, "bare service", *got, *bare)
		})

		t.Run("errors", func(t *testing.T) {
			s := bookingCreateService(t, db, nil)
			dup := bookingNewService(t, func(d *models.ServiceDetails) { d.Slug = s.Slug })
			assertConstraint(t, services.Create(ctx, dup), models.ErrConflict, byDialect(db, "services_slug_key", "services.slug"))
			if _, err := services.ByID(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ByID unknown: %v", err)
			}
			if _, err := services.BySlug(ctx, "no-such-service"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("BySlug unknown: %v", err)
			}
			if err := services.Update(ctx, models.NewID(), func(*models.Service) error { return nil }); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("Update unknown: %v", err)
			}
			// The database's own checks back the model's.
			bad := bookingNewService(t, nil)
			bad.DurationMinutes = 0
			if err := services.Create(ctx, bad); err == nil {
				t.Error("a service of 0 minutes was stored")
			}
		})

		t.Run("update", func(t *testing.T) {
			s := bookingCreateService(t, db, nil)
			t1 := t0.Add(time.Hour)
			err := services.Update(ctx, s.ID, func(s *models.Service) error {
				d := s.Details()
				d.Title, d.BufferMinutes = "Новое название", 30
				if err := s.Revise(d, t1); err != nil {
					return err
				}
				return s.Archive(t1)
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := services.ByID(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != "Новое название" || got.BufferMinutes != 30 || got.Status != models.PublicationArchived {
				t.Errorf("updated service = %+v", got)
			}
			assertUTC(t, "UpdatedAt", got.UpdatedAt, t1)
			assertUTC(t, "CreatedAt", got.CreatedAt, t0)

			// A failing change leaves the row as it was.
			errBoom := errors.New("boom")
			err = services.Update(ctx, s.ID, func(s *models.Service) error {
				_ = s.Unpublish(t1.Add(time.Hour))
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Errorf("err = %v, want the callback's", err)
			}
			if after, _ := services.ByID(ctx, s.ID); !reflect.DeepEqual(after, got) {
				t.Errorf("failed update changed the row: %+v", after)
			}
			// A change the database rejects is reported and rolled back.
			other := bookingCreateService(t, db, nil)
			err = services.Update(ctx, s.ID, func(s *models.Service) error { s.Slug = other.Slug; return nil })
			assertConstraint(t, err, models.ErrConflict, "")
		})
	})
}

func TestBookingServicesLists(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		services := repository.NewServices(db)
		var want []string
		for _, title := range []string{"В", "А", "Б", "Г"} {
			s := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.Title = title })
			if title == "Г" {
				if err := services.Update(ctx, s.ID, func(s *models.Service) error { return s.Unpublish(t0) }); err != nil {
					t.Fatal(err)
				}
			} else {
				want = append(want, title)
			}
		}
		titles := func(ss []models.Service) []string {
			var out []string
			for _, s := range ss {
				out = append(out, s.Title)
			}
			return out
		}
		tests := []struct {
			name string
			list func(repository.Page) ([]models.Service, error)
			page repository.Page
			want []string
		}{
			{"published", func(p repository.Page) ([]models.Service, error) { return services.ListPublished(ctx, p) }, repository.Page{}, []string{"А", "Б", "В"}},
			{"published page 2", func(p repository.Page) ([]models.Service, error) { return services.ListPublished(ctx, p) }, repository.Page{Limit: 2, Offset: 2}, []string{"В"}},
			{"all", func(p repository.Page) ([]models.Service, error) { return services.List(ctx, p) }, repository.Page{Limit: 3}, []string{"А", "Б", "В"}},
			{"all page 2", func(p repository.Page) ([]models.Service, error) { return services.List(ctx, p) }, repository.Page{Limit: 3, Offset: 3}, []string{"Г"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tt.list(tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(titles(got), tt.want) {
					t.Errorf("titles = %v, want %v", titles(got), tt.want)
				}
			})
		}
	})
}

func TestBookingAvailability(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		avail := repository.NewAvailability(db)
		svc := bookingCreateService(t, db, nil)
		other := bookingCreateService(t, db, nil)
		from, to := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

		mustRule := func(serviceID *uuid.UUID, weekday, start, end int, validFrom, validTo *time.Time) *models.AvailabilityRule {
			t.Helper()
			r, err := models.NewAvailabilityRule(serviceID, weekday, start, end, "Europe/Moscow", validFrom, validTo, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := avail.CreateRule(ctx, r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		tuesday := mustRule(&svc.ID, 2, 600, 1080, &from, &to)
		monday := mustRule(&svc.ID, 1, 540, 720, nil, nil)
		global := mustRule(nil, 1, 720, 900, nil, nil)
		mustRule(&other.ID, 1, 0, 1440, nil, nil)

		t.Run("rules of a service and global ones", func(t *testing.T) {
			got, err := avail.RulesFor(ctx, svc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("rules = %+v, want 3", got)
			}
			for i, want := range []*models.AvailabilityRule{monday, global, tuesday} {
				bookingAssertSame(t, fmt.Sprintf("rule %d", i), got[i], *want)
			}
			assertUTCPtr(t, "ValidFrom", got[2].ValidFrom, &from)
		})

		mustException := func(serviceID *uuid.UUID, kind models.AvailabilityExceptionKind, from, to time.Time, start, end *int) *models.AvailabilityException {
			t.Helper()
			e, err := models.NewAvailabilityException(serviceID, kind, from, to, start, end, "Europe/Moscow", "отпуск", t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := avail.CreateException(ctx, e); err != nil {
				t.Fatal(err)
			}
			return e
		}
		d := func(day int) time.Time { return time.Date(2026, 5, day, 0, 0, 0, 0, time.UTC) }
		vacation := mustException(nil, models.AvailabilityExceptionKindDayOff, d(1), d(10), nil, nil)
		extra := mustException(&svc.ID, models.AvailabilityExceptionKindExtraHours, d(12), d(12), ptr(1080), ptr(1200))
		mustException(&other.ID, models.AvailabilityExceptionKindDayOff, d(11), d(13), nil, nil)
		late := mustException(&svc.ID, models.AvailabilityExceptionKindDayOff, d(20), d(20), ptr(0), ptr(600))

		t.Run("the booking's first read brings the schedule on PostgreSQL", func(t *testing.T) {
			at := d(12).Add(12 * time.Hour)
			bc, err := repository.NewBookingHotPath(db).Context(ctx, svc.Slug, "", "", "", at, t0)
			if err != nil {
				t.Fatal(err)
			}
			if db.Dialect != migrations.Postgres {
				if bc.Schedule != nil {
					t.Errorf("SQLite read a schedule with the service: %+v", bc.Schedule)
				}
				return
			}
			if bc.Schedule == nil {
				t.Fatal("no schedule")
			}
			rules, exceptions, err := avail.ScheduleBetween(ctx, svc.ID, at.AddDate(0, 0, -3), at.AddDate(0, 0, 3))
			if err != nil {
				t.Fatal(err)
			}
			byRule := func(a, b models.AvailabilityRule) int { return strings.Compare(a.ID.String(), b.ID.String()) }
			byException := func(a, b models.AvailabilityException) int { return strings.Compare(a.ID.String(), b.ID.String()) }
			for _, l := range [][]models.AvailabilityRule{rules, bc.Schedule.Rules} {
				slices.SortFunc(l, byRule)
			}
			for _, l := range [][]models.AvailabilityException{exceptions, bc.Schedule.Exceptions} {
				slices.SortFunc(l, byException)
			}
			if len(rules) != 3 || !reflect.DeepEqual(bc.Schedule.Rules, rules) {
				t.Errorf("rules\n%+v\nwant\n%+v", bc.Schedule.Rules, rules)
			}
			if len(exceptions) != 2 || !reflect.DeepEqual(bc.Schedule.Exceptions, exceptions) {
				t.Errorf("exceptions\n%+v\nwant (vacation %s, extra %s)\n%+v", bc.Schedule.Exceptions, vacation.ID, extra.ID, exceptions)
			}
		})

		t.Run("exceptions between dates", func(t *testing.T) {
			tests := []struct {
				name     string
				from, to time.Time
				want     []*models.AvailabilityException
			}{
				{"inside the vacation", d(3), d(4), []*models.AvailabilityException{vacation}},
				{"touching its last day", d(10), d(11), []*models.AvailabilityException{vacation}},
				{"between", d(11), d(11), nil},
				{"a day with extra hours, late in the day", d(12).Add(23 * time.Hour), d(12).Add(23 * time.Hour), []*models.AvailabilityException{extra}},
				{"the whole month", d(1), d(31), []*models.AvailabilityException{vacation, extra, late}},
				{"before", d(1).AddDate(0, 0, -5), d(1).AddDate(0, 0, -1), nil},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := avail.ExceptionsBetween(ctx, svc.ID, tt.from, tt.to)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(tt.want) {
						t.Fatalf("exceptions = %+v, want %d", got, len(tt.want))
					}
					for i, w := range tt.want {
						bookingAssertSame(t, fmt.Sprintf("exception %d", i), got[i], *w)
						assertUTC(t, "DateFrom", got[i].DateFrom, w.DateFrom)
					}
				})
			}
		})

		t.Run("delete", func(t *testing.T) {
			if err := avail.DeleteRule(ctx, monday.ID); err != nil {
				t.Fatal(err)
			}
			if err := avail.DeleteRule(ctx, monday.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("delete twice: %v", err)
			}
			if err := avail.DeleteException(ctx, late.ID); err != nil {
				t.Fatal(err)
			}
			if err := avail.DeleteException(ctx, late.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("delete twice: %v", err)
			}
			rules, _ := avail.RulesFor(ctx, svc.ID)
			exceptions, _ := avail.ExceptionsBetween(ctx, svc.ID, d(1), d(31))
			if len(rules) != 2 || len(exceptions) != 2 {
				t.Errorf("after deletes: %d rules, %d exceptions", len(rules), len(exceptions))
			}
		})

		t.Run("unknown service", func(t *testing.T) {
			r, _ := models.NewAvailabilityRule(ptr(models.NewID()), 3, 0, 60, "UTC", nil, nil, t0)
			assertConstraint(t, avail.CreateRule(ctx, r), models.ErrInvalidReference, "")
			e, _ := models.NewAvailabilityException(ptr(models.NewID()), models.AvailabilityExceptionKindDayOff, d(1), d(1), nil, nil, "UTC", "", t0)
			assertConstraint(t, avail.CreateException(ctx, e), models.ErrInvalidReference, "")
		})

		t.Run("a deleted service takes its schedule along", func(t *testing.T) {
			if err := db.Gorm.Exec("DELETE FROM services WHERE id = ?", other.ID).Error; err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "availability_rules", "service_id = ?", other.ID); n != 0 {
				t.Errorf("%d rules of a deleted service remain", n)
			}
			if n := count(t, db, "availability_exceptions", "service_id = ?", other.ID); n != 0 {
				t.Errorf("%d exceptions of a deleted service remain", n)
			}
		})
	})
}

func TestBookingAppointmentRoundTrip(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.BufferMinutes = 10 })
		client := bookingCreateClient(t, db)
		link, lead := models.NewID(), models.NewID()

		// A confirmed, then rescheduled appointment fills every column.
		first, err := models.NewAppointment(svc, bookingAt(0, 10).In(msk), models.MustTimeZone("Asia/Novosibirsk"), models.AppointmentFormatOffline, &client.ID, &lead,
			models.AppointmentMetadata{EntryPoint: "quiz", TopicCode: "anxiety", DeepLinkID: &link, UTM: map[string]string{"source": "tg", "campaign": "весна"}},
			20*time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		_ = first.SetManageTokenHash("token-hash-1")
		first.SetCalendarEventID("gcal-1", t0)
		first.SetMeetingDetails("https://meet.example.org/1", "Москва, кабинет 5", t0)
		if err := appts.Create(ctx, first); err != nil {
			t.Fatal(err)
		}
		got, err := appts.ByID(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertUTC(t, "StartAt", got.StartAt, bookingAt(0, 10))
		assertUTC(t, "BlockedUntil", got.BlockedUntil, bookingAt(0, 11))
		assertUTCPtr(t, "HoldExpiresAt", got.HoldExpiresAt, ptr(t0.Add(20*time.Minute)))
		first.ClearEvents()
		bookingAssertSame(t, "pending appointment", bookingStripped(*got), *first)
		if got.Service == nil || got.Service.ID != svc.ID || len(got.Payments) != 0 || got.IntakeForm != nil {
			t.Errorf("associations: service %+v, payments %+v, intake form %+v", got.Service, got.Payments, got.IntakeForm)
		}
		byToken, err := appts.ByManageTokenHash(ctx, "token-hash-1")
		if err != nil || byToken.ID != first.ID || byToken.Service == nil {
			t.Errorf("ByManageTokenHash = %+v, %v", byToken, err)
		}

		t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
		if err := appts.Update(ctx, first.ID, func(a *models.Appointment) error { return a.Confirm(t1) }); err != nil {
			t.Fatal(err)
		}
		next, err := appts.Reschedule(ctx, first.ID, func(old *models.Appointment) (*models.Appointment, error) {
			return old.Reschedule(old.Service, bookingAt(1, 10), models.BookingActorClient, t2)
		})
		if err != nil {
			t.Fatal(err)
		}
		old, err := appts.ByID(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if old.Status != models.AppointmentStatusRescheduled || old.ManageTokenHash != nil || old.HoldExpiresAt != nil || old.Version != 3 {
			t.Errorf("old appointment = %+v", old)
		}
		assertUTC(t, "old UpdatedAt", old.UpdatedAt, t2)
		got, err = appts.ByID(ctx, next.ID)
		if err != nil {
			t.Fatal(err)
		}
		next.ClearEvents()
		bookingAssertSame(t, "rescheduled appointment", bookingStripped(*got), *next)
		if *got.RescheduledFromID != first.ID || *got.ManageTokenHash != "token-hash-1" {
			t.Errorf("new appointment: from %v, token %v", got.RescheduledFromID, got.ManageTokenHash)
		}

		// A canceled appointment keeps who, when and why.
		if err := appts.Update(ctx, next.ID, func(a *models.Appointment) error {
			return a.Cancel(models.BookingActorStaff, "болезнь", t2.Add(time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		got, err = appts.ByID(ctx, next.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The reason is P2: stored encrypted, left out (not decrypted) by ByID.
		if got.Status != models.AppointmentStatusCanceled || *got.CanceledBy != models.BookingActorStaff || got.CancelReasonP2 != nil || got.Version != 2 {
			t.Errorf("canceled appointment = %+v", got)
		}
		if c := tokenColumn(appointmentRow(t, db, next.ID), testkit.KeyRing(t, testkit.Key(t)), "болезнь"); c != "cancel_reason_p2" {
			t.Errorf("the reason's Fernet token is in column %q, want cancel_reason_p2", c)
		}
		assertUTCPtr(t, "CanceledAt", got.CanceledAt, ptr(t2.Add(time.Hour)))
	})
}

func TestBookingAppointmentReferences(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, nil)
		client := bookingCreateClient(t, db)

		tests := []struct {
			name  string
			build func() *models.Appointment
			kind  error
		}{
			{"unknown service", func() *models.Appointment {
				ghost := bookingNewService(t, nil)
				return bookingNew(t, ghost, bookingAt(0, 8), &client.ID)
			}, models.ErrInvalidReference},
			{"unknown client", func() *models.Appointment { return bookingNew(t, svc, bookingAt(0, 10), ptr(models.NewID())) }, models.ErrInvalidReference},
			{"unknown rescheduled-from", func() *models.Appointment {
				a := bookingNew(t, svc, bookingAt(0, 12), &client.ID)
				a.RescheduledFromID = ptr(models.NewID())
				return a
			}, models.ErrInvalidReference},
			{"manage token taken", func() *models.Appointment {
				a := bookingNew(t, svc, bookingAt(0, 14), &client.ID)
				_ = a.SetManageTokenHash("taken")
				return a
			}, models.ErrConflict},
		}
		withToken := bookingNew(t, svc, bookingAt(1, 10), &client.ID)
		_ = withToken.SetManageTokenHash("taken")
		if err := appts.Create(ctx, withToken); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assertConstraint(t, appts.Create(ctx, tt.build()), tt.kind, "")
			})
		}
		t.Run("same id", func(t *testing.T) {
			dup := bookingNew(t, svc, bookingAt(2, 10), &client.ID)
			dup.ID = withToken.ID
			assertConstraint(t, appts.Create(ctx, dup), models.ErrConflict, "")
		})

		t.Run("not found", func(t *testing.T) {
			if _, err := appts.ByID(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ByID: %v", err)
			}
			if _, err := appts.ByManageTokenHash(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ByManageTokenHash: %v", err)
			}
			called := false
			err := appts.Update(ctx, models.NewID(), func(*models.Appointment) error { called = true; return nil })
			if !errors.Is(err, models.ErrNotFound) || called {
				t.Errorf("Update: %v, callback called %v", err, called)
			}
			_, err = appts.Reschedule(ctx, models.NewID(), func(*models.Appointment) (*models.Appointment, error) { called = true; return nil, nil })
			if !errors.Is(err, models.ErrNotFound) || called {
				t.Errorf("Reschedule: %v, callback called %v", err, called)
			}
		})

		t.Run("a service with appointments cannot be deleted", func(t *testing.T) {
			if err := db.Gorm.Exec("DELETE FROM services WHERE id = ?", svc.ID).Error; err == nil {
				t.Error("deleted a service that has appointments")
			}
		})

		t.Run("a deleted user's appointments stay, without the user", func(t *testing.T) {
			gone := bookingCreateClient(t, db)
			a := bookingCreate(t, db, svc, bookingAt(3, 10), &gone.ID)
			if err := db.Gorm.Exec("DELETE FROM users WHERE id = ?", gone.ID).Error; err != nil {
				t.Fatal(err)
			}
			got, err := appts.ByID(ctx, a.ID)
			if err != nil || got.ClientUserID != nil {
				t.Errorf("appointment of a deleted user = %+v, %v", got, err)
			}
		})
	})
}

// Fifty clients press "book" for the same or overlapping times at once: the database lets exactly
// one through and tells every other one the slot is taken — no other error, on either database.
func TestBookingConcurrentBookings(t *testing.T) {
	t.Parallel()
	const clients = 50
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.BufferMinutes = 10 })
		base := bookingAt(0, 10)
		var bookings []*models.Appointment
		for i := range clients {
			start := base
			if i%2 == 1 {
				start = base.Add(time.Duration(i) * time.Minute) // overlaps base's 50 minutes + buffer
			}
			bookings = append(bookings, bookingNew(t, svc, start, nil))
		}

		start := make(chan struct{})
		errs := make([]error, clients)
		var wg sync.WaitGroup
		for i, a := range bookings {
			wg.Go(func() {
				<-start
				errs[i] = appts.Create(context.Background(), a)
			})
		}
		close(start)
		wg.Wait()

		var won []int
		for i, err := range errs {
			switch {
			case err == nil:
				won = append(won, i)
			case !errors.Is(err, models.ErrSlotTaken):
				t.Errorf("booking %d: %v, want ErrSlotTaken", i, err)
			}
		}
		if len(won) != 1 {
			t.Fatalf("%d bookings succeeded (%v), want exactly 1", len(won), won)
		}
		if n := count(t, db, "appointments", ""); n != 1 {
			t.Errorf("%d appointments stored, want 1", n)
		}
		got, err := appts.Conflicting(context.Background(), base, base.Add(2*time.Hour))
		if err != nil || len(got) != 1 || got[0].ID != bookings[won[0]].ID {
			t.Errorf("Conflicting = %v, %v; want the winner %s", bookingIDs(got), err, bookings[won[0]].ID)
		}
	})
}

func TestBookingNoDoubleBooking(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		noBuffer := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.DurationMinutes = 60 })
		buffered := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.DurationMinutes = 60; d.BufferMinutes = 15 })
		create := func(svc *models.Service, start time.Time) (*models.Appointment, error) {
			a := bookingNew(t, svc, start, nil)
			return a, appts.Create(ctx, a)
		}

		t.Run("back-to-back without buffer", func(t *testing.T) {
			for _, h := range []int{10, 11, 9} {
				if _, err := create(noBuffer, bookingAt(0, h)); err != nil {
					t.Errorf("%d:00: %v", h, err)
				}
			}
		})
		t.Run("the buffer is held too", func(t *testing.T) {
			if _, err := create(buffered, bookingAt(1, 10)); err != nil {
				t.Fatal(err)
			}
			_, err := create(noBuffer, bookingAt(1, 11))
			assertConstraint(t, err, models.ErrSlotTaken, byDialect(db, "appointments_no_overlap", ""))
			if _, err := create(noBuffer, bookingAt(1, 11).Add(15*time.Minute)); err != nil {
				t.Errorf("right after the buffer: %v", err)
			}
			// The buffered appointment may not start inside another's time either.
			_, err = create(buffered, bookingAt(1, 9).Add(time.Minute))
			assertConstraint(t, err, models.ErrSlotTaken, "")
		})
		t.Run("any two services share the practitioner", func(t *testing.T) {
			if _, err := create(noBuffer, bookingAt(2, 10)); err != nil {
				t.Fatal(err)
			}
			_, err := create(buffered, bookingAt(2, 10).Add(30*time.Minute))
			assertConstraint(t, err, models.ErrSlotTaken, "")
			// Covering it entirely is an overlap as well.
			long := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.DurationMinutes = 240 })
			_, err = create(long, bookingAt(2, 9))
			assertConstraint(t, err, models.ErrSlotTaken, "")
		})
		t.Run("a canceled appointment frees its slot", func(t *testing.T) {
			a, err := create(noBuffer, bookingAt(3, 10))
			if err != nil {
				t.Fatal(err)
			}
			if err := appts.Update(ctx, a.ID, func(a *models.Appointment) error { return a.Cancel(models.BookingActorClient, "", t0) }); err != nil {
				t.Fatal(err)
			}
			if _, err := create(noBuffer, bookingAt(3, 10)); err != nil {
				t.Errorf("book a canceled slot: %v", err)
			}
		})
		t.Run("a lapsed, expired hold frees its slot", func(t *testing.T) {
			a, err := create(noBuffer, bookingAt(4, 10))
			if err != nil {
				t.Fatal(err)
			}
			_, err = create(noBuffer, bookingAt(4, 10))
			assertConstraint(t, err, models.ErrSlotTaken, "")
			if err := appts.Update(ctx, a.ID, func(a *models.Appointment) error { return a.ExpireHold(t0.Add(time.Hour)) }); err != nil {
				t.Fatal(err)
			}
			if _, err := create(noBuffer, bookingAt(4, 10)); err != nil {
				t.Errorf("book an expired hold's slot: %v", err)
			}
		})
		t.Run("an update onto another appointment is refused", func(t *testing.T) {
			a, err := create(noBuffer, bookingAt(5, 10))
			if err != nil {
				t.Fatal(err)
			}
			b, err := create(noBuffer, bookingAt(5, 12))
			if err != nil {
				t.Fatal(err)
			}
			err = appts.Update(ctx, b.ID, func(b *models.Appointment) error {
				b.StartAt, b.EndAt, b.BlockedUntil = a.StartAt.Add(30*time.Minute), a.EndAt.Add(30*time.Minute), a.BlockedUntil.Add(30*time.Minute)
				return nil
			})
			assertConstraint(t, err, models.ErrSlotTaken, "")
			got, err := appts.ByID(ctx, b.ID)
			if err != nil || !got.StartAt.Equal(bookingAt(5, 12)) || got.Version != 1 {
				t.Errorf("refused move left %+v, %v", got, err)
			}
			// Moving within its own time (overlapping only itself) is fine.
			err = appts.Update(ctx, b.ID, func(b *models.Appointment) error {
				b.StartAt, b.EndAt, b.BlockedUntil = b.StartAt.Add(30*time.Minute), b.EndAt.Add(30*time.Minute), b.BlockedUntil.Add(30*time.Minute)
				return nil
			})
			if err != nil {
				t.Errorf("move overlapping only itself: %v", err)
			}
		})
		t.Run("reschedule onto a time overlapping only itself", func(t *testing.T) {
			a, err := create(noBuffer, bookingAt(6, 10))
			if err != nil {
				t.Fatal(err)
			}
			if err := appts.Update(ctx, a.ID, func(a *models.Appointment) error { return a.Confirm(t0) }); err != nil {
				t.Fatal(err)
			}
			next, err := appts.Reschedule(ctx, a.ID, func(old *models.Appointment) (*models.Appointment, error) {
				return old.Reschedule(old.Service, bookingAt(6, 10).Add(30*time.Minute), models.BookingActorStaff, t0)
			})
			if err != nil {
				t.Fatalf("reschedule half an hour later: %v", err)
			}
			if next.Status != models.AppointmentStatusConfirmed {
				t.Errorf("new status %s", next.Status)
			}
			// The new appointment holds its time: the old time's first half is free now, not its second.
			if _, err := create(noBuffer, bookingAt(6, 9).Add(30*time.Minute)); err != nil {
				t.Errorf("book the freed half: %v", err)
			}
			_, err = create(noBuffer, bookingAt(6, 11))
			assertConstraint(t, err, models.ErrSlotTaken, "")
		})
		t.Run("reschedule onto another appointment changes nothing", func(t *testing.T) {
			a, err := create(noBuffer, bookingAt(7, 10))
			if err != nil {
				t.Fatal(err)
			}
			if err := appts.Update(ctx, a.ID, func(a *models.Appointment) error { return a.Confirm(t0) }); err != nil {
				t.Fatal(err)
			}
			if _, err := create(noBuffer, bookingAt(7, 14)); err != nil {
				t.Fatal(err)
			}
			_, err = appts.Reschedule(ctx, a.ID, func(old *models.Appointment) (*models.Appointment, error) {
				return old.Reschedule(old.Service, bookingAt(7, 14), models.BookingActorStaff, t0)
			})
			assertConstraint(t, err, models.ErrSlotTaken, "")
			got, err := appts.ByID(ctx, a.ID)
			if err != nil || got.Status != models.AppointmentStatusConfirmed || got.Version != 2 {
				t.Errorf("old appointment after a refused reschedule = %+v, %v", got, err)
			}
			if n := count(t, db, "appointments", "rescheduled_from_id = ?", a.ID); n != 0 {
				t.Errorf("%d new appointments stored", n)
			}
		})
	})
}

func TestBookingRescheduleCallback(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, nil)
		a := bookingCreate(t, db, svc, bookingAt(0, 10), nil)
		errBoom := errors.New("boom")
		tests := []struct {
			name string
			fn   func(old *models.Appointment) (*models.Appointment, error)
			want error
		}{
			{"callback error", func(old *models.Appointment) (*models.Appointment, error) {
				_ = old.Confirm(t0)
				return nil, errBoom
			}, errBoom},
			{"model refuses: pending cannot be rescheduled", func(old *models.Appointment) (*models.Appointment, error) {
				return old.Reschedule(old.Service, bookingAt(1, 10), models.BookingActorStaff, t0)
			}, models.ErrInvalidTransition},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				next, err := appts.Reschedule(ctx, a.ID, tt.fn)
				if !errors.Is(err, tt.want) || next != nil {
					t.Errorf("Reschedule = %v, %v; want %v", next, err, tt.want)
				}
				got, err := appts.ByID(ctx, a.ID)
				if err != nil || got.Status != models.AppointmentStatusPendingPayment || got.Version != 1 {
					t.Errorf("appointment after a failed reschedule = %+v, %v", got, err)
				}
			})
		}
		t.Run("no new appointment", func(t *testing.T) {
			_, err := appts.Reschedule(ctx, a.ID, func(*models.Appointment) (*models.Appointment, error) { return nil, nil })
			if err == nil || !strings.Contains(err.Error(), "no new appointment") {
				t.Errorf("err = %v", err)
			}
		})
	})
}

func TestBookingAppointmentLists(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.BufferMinutes = 10 })
		client, other := bookingCreateClient(t, db), bookingCreateClient(t, db)

		// Day 0: 08 (client, canceled), 10 (client), 12 (other), 14 (lead). Day 1: 10 (client, confirmed).
		canceled := bookingCreate(t, db, svc, bookingAt(0, 8), &client.ID)
		if err := appts.Update(ctx, canceled.ID, func(a *models.Appointment) error { return a.Cancel(models.BookingActorClient, "", t0) }); err != nil {
			t.Fatal(err)
		}
		c10 := bookingCreate(t, db, svc, bookingAt(0, 10), &client.ID)
		o12 := bookingCreate(t, db, svc, bookingAt(0, 12), &other.ID)
		l14 := bookingCreate(t, db, svc, bookingAt(0, 14), nil)
		c1 := bookingCreate(t, db, svc, bookingAt(1, 10), &client.ID)
		if err := appts.Update(ctx, c1.ID, func(a *models.Appointment) error { return a.Confirm(t0.Add(time.Minute)) }); err != nil {
			t.Fatal(err)
		}

		t.Run("by client, newest first", func(t *testing.T) {
			tests := []struct {
				page repository.Page
				want []uuid.UUID
			}{
				{repository.Page{}, []uuid.UUID{c1.ID, c10.ID, canceled.ID}},
				{repository.Page{Limit: 2}, []uuid.UUID{c1.ID, c10.ID}},
				{repository.Page{Limit: 2, Offset: 2}, []uuid.UUID{canceled.ID}},
			}
			for _, tt := range tests {
				got, err := appts.ByClient(ctx, client.ID, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(bookingIDs(got), tt.want) {
					t.Errorf("page %+v: %v, want %v", tt.page, bookingIDs(got), tt.want)
				}
				for _, a := range got {
					if a.Service == nil || a.Service.ID != svc.ID {
						t.Errorf("service not loaded: %+v", a.Service)
					}
				}
			}
		})

		t.Run("conflicting", func(t *testing.T) {
			tests := []struct {
				name       string
				start, end time.Time
				want       []uuid.UUID
			}{
				{"the canceled time is free", bookingAt(0, 8), bookingAt(0, 9), []uuid.UUID{}},
				{"touching the end of the buffer", bookingAt(0, 11), bookingAt(0, 12), []uuid.UUID{}},
				{"inside the buffer", bookingAt(0, 10).Add(55 * time.Minute), bookingAt(0, 11).Add(30 * time.Minute), []uuid.UUID{c10.ID}},
				{"spanning three", bookingAt(0, 10), bookingAt(0, 15), []uuid.UUID{c10.ID, o12.ID, l14.ID}},
				{"ending at a start", bookingAt(0, 13), bookingAt(0, 14), []uuid.UUID{}},
			}
			for _, tt := range tests {
				got, err := appts.Conflicting(ctx, tt.start, tt.end)
				if err != nil {
					t.Fatal(err)
				}
				if ids := bookingIDs(got); !reflect.DeepEqual(ids, tt.want) {
					t.Errorf("%s: %v, want %v", tt.name, ids, tt.want)
				}
			}
		})

		t.Run("upcoming", func(t *testing.T) {
			tests := []struct {
				name     string
				from, to time.Time
				page     repository.Page
				want     []uuid.UUID
			}{
				{"both days", bookingAt(0, 0), bookingAt(2, 0), repository.Page{}, []uuid.UUID{c10.ID, o12.ID, l14.ID, c1.ID}},
				{"paged", bookingAt(0, 0), bookingAt(2, 0), repository.Page{Limit: 2, Offset: 1}, []uuid.UUID{o12.ID, l14.ID}},
				{"from is inclusive, to exclusive", bookingAt(0, 12), bookingAt(0, 14), repository.Page{}, []uuid.UUID{o12.ID}},
				{"in another zone", bookingAt(1, 0).In(msk), bookingAt(2, 0).In(msk), repository.Page{}, []uuid.UUID{c1.ID}},
			}
			for _, tt := range tests {
				got, err := appts.Upcoming(ctx, tt.from, tt.to, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if ids := bookingIDs(got); !reflect.DeepEqual(ids, tt.want) {
					t.Errorf("%s: %v, want %v", tt.name, ids, tt.want)
				}
			}
		})

		t.Run("expired holds", func(t *testing.T) {
			// Holds lapse at t0+15m; c1 is confirmed and holds nothing.
			tests := []struct {
				now   time.Time
				limit int
				want  []uuid.UUID
			}{
				{t0.Add(15*time.Minute - time.Second), 10, []uuid.UUID{}},
				{t0.Add(15 * time.Minute), 10, []uuid.UUID{c10.ID, o12.ID, l14.ID}},
				{t0.Add(time.Hour), 2, []uuid.UUID{c10.ID, o12.ID}},
			}
			for _, tt := range tests {
				got, err := appts.ExpiredHolds(ctx, tt.now, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				if ids := bookingIDs(got); !reflect.DeepEqual(ids, tt.want) {
					t.Errorf("at %v limit %d: %v, want %v", tt.now, tt.limit, ids, tt.want)
				}
			}
		})
	})
}

// Upcoming loads 100 appointments with their service, payments and intake forms in as many
// queries as 1: no N+1 (the seed's mapper loaded them row by row).
func TestBookingUpcomingConstantQueries(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts, payments, forms := repository.NewAppointments(db), repository.NewPayments(db), repository.NewIntakeForms(db)
		svc := bookingCreateService(t, db, nil)
		client := bookingCreateClient(t, db)
		const n = 100
		err := db.InTx(ctx, func(ctx context.Context) error {
			for i := range n {
				a := bookingNew(t, svc, bookingAt(0, 0).Add(time.Duration(i)*time.Hour), &client.ID)
				if err := appts.Create(ctx, a); err != nil {
					return err
				}
				p, err := models.NewPayment(a.ID, svc.Price(), "upcoming-"+a.ID.String(), t0)
				if err != nil {
					return err
				}
				if err := payments.Create(ctx, p); err != nil {
					return err
				}
				f, err := models.NewIntakeForm(a.ID, models.IntakeAnswers{"n": fmt.Sprint(i)}, t0)
				if err != nil {
					return err
				}
				if err := forms.Save(ctx, f); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		q := testkit.CountQueries(t, db.Gorm)
		load := func(limit int) ([]models.Appointment, int) {
			t.Helper()
			q.Reset()
			got, err := appts.Upcoming(ctx, bookingAt(0, 0), bookingAt(30, 0), repository.Page{Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return got, q.N()
		}
		one, queriesForOne := load(1)
		all, queriesForAll := load(n)
		if len(one) != 1 || len(all) != n {
			t.Fatalf("loaded %d and %d appointments, want 1 and %d", len(one), len(all), n)
		}
		if queriesForOne != queriesForAll {
			t.Errorf("%d queries for 1 appointment, %d for %d: want the same", queriesForOne, queriesForAll, n)
		}
		for i, a := range all {
			// The intake form comes with its status, not its answers (P2, not decrypted).
			if a.Service == nil || len(a.Payments) != 1 || a.Payments[0].AppointmentID != a.ID || a.IntakeForm == nil ||
				a.IntakeForm.AppointmentID != a.ID || a.IntakeForm.Status != models.IntakeFormStatusDraft || a.IntakeForm.Payload != nil ||
				!a.StartAt.Equal(bookingAt(0, 0).Add(time.Duration(i)*time.Hour)) {
				t.Fatalf("appointment %d: service %v, payments %+v, form %+v", i, a.Service, a.Payments, a.IntakeForm)
			}
		}
		// ByClient preloads the service and payments, in a constant number of queries as well.
		q.Reset()
		mine, err := appts.ByClient(ctx, client.ID, repository.Page{Limit: 1})
		queriesForOne = q.N()
		if err != nil {
			t.Fatal(err)
		}
		q.Reset()
		many, err := appts.ByClient(ctx, client.ID, repository.Page{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 1 || len(many) != 20 || q.N() != queriesForOne {
			t.Errorf("ByClient: %d queries for %d, %d for %d", queriesForOne, len(mine), q.N(), len(many))
		}
		for _, a := range many {
			if a.Service == nil || len(a.Payments) != 1 || a.IntakeForm != nil {
				t.Fatalf("ByClient loaded service %v, payments %+v, form %+v", a.Service, a.Payments, a.IntakeForm)
			}
		}
	})
}

func TestBookingAppointmentOptimisticLocking(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, nil)
		a := bookingCreate(t, db, svc, bookingAt(0, 10), nil)

		first, err := appts.ByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		second, err := appts.ByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Confirm(t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := appts.Save(ctx, first); err != nil {
			t.Fatalf("first save: %v", err)
		}
		if first.Version != 2 {
			t.Errorf("version after save = %d, want 2", first.Version)
		}
		if err := second.Cancel(models.BookingActorClient, "", t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, appts.Save(ctx, second), models.ErrConflict, "version")
		if second.Version != 1 {
			t.Errorf("stale aggregate's version = %d, want it kept at 1", second.Version)
		}
		got, err := appts.ByID(ctx, a.ID)
		if err != nil || got.Status != models.AppointmentStatusConfirmed || got.Version != 2 {
			t.Errorf("stored = %+v, %v; want the first save", got, err)
		}

		// Update saves through the same check: it bumps the version it loaded.
		if err := appts.Update(ctx, a.ID, func(a *models.Appointment) error { return a.Complete(a.EndAt) }); err != nil {
			t.Fatal(err)
		}
		assertConstraint(t, appts.Save(ctx, first), models.ErrConflict, "version")
		if got, _ := appts.ByID(ctx, a.ID); got.Version != 3 || got.Status != models.AppointmentStatusCompleted {
			t.Errorf("after Update: %+v", got)
		}
	})
}

func TestBookingIntakeForms(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		forms := repository.NewIntakeForms(db)
		svc := bookingCreateService(t, db, nil)
		a := bookingCreate(t, db, svc, bookingAt(0, 10), nil)
		secret := "мне тревожно по ночам"
		answers := models.IntakeAnswers{"complaint": secret, "first_time": true, "topics": []any{"сон", "работа"}}

		f, err := models.NewIntakeForm(a.ID, answers, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := forms.Save(ctx, f); err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := db.Gorm.Raw("SELECT payload FROM intake_forms WHERE id = ?", f.ID).Scan(&raw).Error; err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, "gAAAAA") {
			t.Errorf("payload is stored as %q, want a Fernet token", raw)
		}
		for _, plain := range []string{secret, "complaint", "first_time", "сон"} {
			if strings.Contains(raw, plain) {
				t.Errorf("the stored payload shows %q", plain)
			}
		}
		got, err := forms.ByAppointment(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertUTC(t, "CreatedAt", got.CreatedAt, t0)
		bookingAssertSame(t, "intake form", *got, *f)

		t.Run("saving again overwrites the appointment's form", func(t *testing.T) {
			t1 := t0.Add(time.Hour)
			again, _ := models.NewIntakeForm(a.ID, models.IntakeAnswers{"complaint": "уже лучше"}, t1)
			if err := forms.Save(ctx, again); err != nil {
				t.Fatal(err)
			}
			if again.ID != f.ID || !again.CreatedAt.Equal(t0) {
				t.Errorf("saved form took id %s, created %v; want the stored form's %s, %v", again.ID, again.CreatedAt, f.ID, t0)
			}
			if n := count(t, db, "intake_forms", "appointment_id = ?", a.ID); n != 1 {
				t.Errorf("%d forms for one appointment", n)
			}
			got, err := forms.ByAppointment(ctx, a.ID)
			if err != nil || got.Payload["complaint"] != "уже лучше" {
				t.Errorf("overwritten form = %+v, %v", got, err)
			}
			assertUTC(t, "UpdatedAt", got.UpdatedAt, t1)
		})

		t.Run("submit, then no more edits", func(t *testing.T) {
			t2 := t0.Add(2 * time.Hour)
			if err := forms.Update(ctx, a.ID, func(f *models.IntakeForm) error { return f.Submit(t2) }); err != nil {
				t.Fatal(err)
			}
			submitted, err := forms.ByAppointment(ctx, a.ID)
			if err != nil || submitted.Status != models.IntakeFormStatusSubmitted {
				t.Fatalf("submitted = %+v, %v", submitted, err)
			}
			assertUTCPtr(t, "SubmittedAt", submitted.SubmittedAt, &t2)
			err = forms.Update(ctx, a.ID, func(f *models.IntakeForm) error {
				return f.UpdatePayload(models.IntakeAnswers{"x": "y"}, t2)
			})
			if !errors.Is(err, models.ErrInvalidTransition) {
				t.Errorf("edit submitted: %v", err)
			}
			if after, _ := forms.ByAppointment(ctx, a.ID); !reflect.DeepEqual(after, submitted) {
				t.Errorf("refused edit changed the form: %+v", after)
			}
		})

		t.Run("errors", func(t *testing.T) {
			orphan, _ := models.NewIntakeForm(models.NewID(), nil, t0)
			assertConstraint(t, forms.Save(ctx, orphan), models.ErrInvalidReference, "")
			if _, err := forms.ByAppointment(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ByAppointment unknown: %v", err)
			}
			if err := forms.Update(ctx, models.NewID(), func(*models.IntakeForm) error { return nil }); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("Update unknown: %v", err)
			}
			// The database's checks refuse what the model would never write.
			err := forms.Update(ctx, a.ID, func(f *models.IntakeForm) error { f.Status = "bogus"; return nil })
			if err == nil || !strings.Contains(err.Error(), "save intake form") {
				t.Errorf("Update to a bogus status: %v", err)
			}
			bogus, _ := models.NewIntakeForm(a.ID, nil, t0)
			bogus.Status = "bogus"
			if err := forms.Save(ctx, bogus); err == nil || !strings.Contains(err.Error(), "save intake form") {
				t.Errorf("Save of a bogus status: %v", err)
			}
		})

		t.Run("without keys P2 is neither written nor read", func(t *testing.T) {
			noKeys := db.WithKeys(nil)
			other := bookingCreate(t, db, svc, bookingAt(1, 10), nil)
			f, _ := models.NewIntakeForm(other.ID, models.IntakeAnswers{"a": "b"}, t0)
			if err := repository.NewIntakeForms(noKeys).Save(ctx, f); !errors.Is(err, repository.ErrNoEncryptionKeys) {
				t.Errorf("Save without keys: %v", err)
			}
			if _, err := repository.NewIntakeForms(noKeys).ByAppointment(ctx, a.ID); !errors.Is(err, repository.ErrNoEncryptionKeys) {
				t.Errorf("ByAppointment without keys: %v", err)
			}
		})
	})
}

func TestBookingWaitlist(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		waitlist := repository.NewWaitlist(db)
		svc, other := bookingCreateService(t, db, nil), bookingCreateService(t, db, nil)
		client := bookingCreateClient(t, db)
		from, to := bookingAt(0, 9).In(msk), bookingAt(3, 18).In(msk)

		entry := func(serviceID uuid.UUID, user *uuid.UUID, email *models.Email, created time.Time) *models.WaitlistEntry {
			t.Helper()
			w, err := models.NewWaitlistEntry(serviceID, user, nil, email, &from, &to, models.MustTimeZone("Europe/Moscow"), created)
			if err != nil {
				t.Fatal(err)
			}
			if err := waitlist.Create(ctx, w); err != nil {
				t.Fatal(err)
			}
			return w
		}
		first := entry(svc.ID, &client.ID, ptr(models.Email("anna@example.org")), t0.Add(2*time.Minute))
		second := entry(svc.ID, nil, ptr(models.Email("boris@example.org")), t0.Add(3*time.Minute))
		earliest := entry(svc.ID, nil, ptr(models.Email("vera@example.org")), t0.Add(time.Minute))
		entry(other.ID, &client.ID, nil, t0)
		notified := entry(svc.ID, nil, ptr(models.Email("gleb@example.org")), t0)
		if err := waitlist.Update(ctx, notified.ID, func(w *models.WaitlistEntry) error { return w.Notify(t0.Add(time.Hour)) }); err != nil {
			t.Fatal(err)
		}

		got, err := waitlist.ByID(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertUTCPtr(t, "PreferredFrom", got.PreferredFrom, &from)
		bookingAssertSame(t, "waitlist entry", *got, *first)
		n, err := waitlist.ByID(ctx, notified.ID)
		if err != nil || n.Status != models.WaitlistStatusNotified {
			t.Fatalf("notified = %+v, %v", n, err)
		}
		assertUTCPtr(t, "NotifiedAt", n.NotifiedAt, ptr(t0.Add(time.Hour)))

		for _, tt := range []struct {
			page repository.Page
			want []uuid.UUID
		}{
			{repository.Page{}, []uuid.UUID{earliest.ID, first.ID, second.ID}},
			{repository.Page{Limit: 1, Offset: 1}, []uuid.UUID{first.ID}},
		} {
			active, err := waitlist.ActiveForService(ctx, svc.ID, tt.page)
			if err != nil {
				t.Fatal(err)
			}
			var ids []uuid.UUID
			for _, w := range active {
				ids = append(ids, w.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("page %+v: %v, want %v", tt.page, ids, tt.want)
			}
		}

		err = waitlist.Update(ctx, notified.ID, func(w *models.WaitlistEntry) error { return w.Notify(t0.Add(2 * time.Hour)) })
		if !errors.Is(err, models.ErrInvalidTransition) {
			t.Errorf("notify twice: %v", err)
		}
		if again, _ := waitlist.ByID(ctx, notified.ID); !reflect.DeepEqual(again, n) {
			t.Errorf("refused notify changed the entry: %+v", again)
		}
		err = waitlist.Update(ctx, first.ID, func(w *models.WaitlistEntry) error { w.Status = "bogus"; return nil })
		if err == nil || !strings.Contains(err.Error(), "save waitlist entry") {
			t.Errorf("save of a bogus status: %v", err)
		}

		ghost, _ := models.NewWaitlistEntry(models.NewID(), &client.ID, nil, nil, nil, nil, models.MustTimeZone("UTC"), t0)
		assertConstraint(t, waitlist.Create(ctx, ghost), models.ErrInvalidReference, "")
		if _, err := waitlist.ByID(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ByID unknown: %v", err)
		}
		if err := waitlist.Update(ctx, models.NewID(), func(*models.WaitlistEntry) error { return nil }); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Update unknown: %v", err)
		}
	})
}

// Every state the models can reach is accepted by the schema's CHECK constraints.
func TestBookingEveryStatePersists(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts, waitlist := repository.NewAppointments(db), repository.NewWaitlist(db)
		for _, f := range []models.ServiceFormat{models.ServiceFormatOnline, models.ServiceFormatOffline, models.ServiceFormatHybrid} {
			s := bookingCreateService(t, db, func(d *models.ServiceDetails) { d.Format = f })
			if got, err := repository.NewServices(db).ByID(ctx, s.ID); err != nil || got.Format != f {
				t.Errorf("service format %s: %+v, %v", f, got, err)
			}
		}
		svc := bookingCreateService(t, db, nil)
		moves := map[models.AppointmentStatus][]func(a *models.Appointment) error{
			models.AppointmentStatusPendingPayment: nil,
			models.AppointmentStatusConfirmed:      {func(a *models.Appointment) error { return a.Confirm(t0) }},
			models.AppointmentStatusCanceled:       {func(a *models.Appointment) error { return a.Cancel(models.BookingActorSystem, "", t0) }},
			models.AppointmentStatusCompleted: {
				func(a *models.Appointment) error { return a.Confirm(t0) },
				func(a *models.Appointment) error { return a.Complete(a.EndAt) },
			},
			models.AppointmentStatusNoShow: {
				func(a *models.Appointment) error { return a.Confirm(t0) },
				func(a *models.Appointment) error { return a.MarkNoShow(a.StartAt) },
			},
		}
		day := 0
		for status, steps := range moves {
			a := bookingCreate(t, db, svc, bookingAt(day, 10), nil)
			day++
			for _, step := range steps {
				if err := appts.Update(ctx, a.ID, step); err != nil {
					t.Fatalf("%s: %v", status, err)
				}
			}
			if got, err := appts.ByID(ctx, a.ID); err != nil || got.Status != status {
				t.Errorf("appointment in %s: %+v, %v", status, got, err)
			}
		}
		// rescheduled: see TestBookingAppointmentRoundTrip.

		for _, status := range []models.WaitlistStatus{models.WaitlistStatusNotified, models.WaitlistStatusBooked, models.WaitlistStatusCanceled} {
			w, _ := models.NewWaitlistEntry(svc.ID, nil, nil, ptr(models.Email("w@example.org")), nil, nil, models.MustTimeZone("UTC"), t0)
			if err := waitlist.Create(ctx, w); err != nil {
				t.Fatal(err)
			}
			err := waitlist.Update(ctx, w.ID, func(w *models.WaitlistEntry) error {
				switch status {
				case models.WaitlistStatusNotified:
					return w.Notify(t0)
				case models.WaitlistStatusBooked:
					return w.MarkBooked(t0)
				}
				return w.Cancel(t0)
			})
			if got, _ := waitlist.ByID(ctx, w.ID); err != nil || got.Status != status {
				t.Errorf("waitlist entry in %s: %+v, %v", status, got, err)
			}
		}
	})
}

func TestBookingAppointmentLeadOf(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, nil)
		client := bookingCreateClient(t, db)
		ofLead := bookingCreate(t, db, svc, bookingAt(50, 10), nil)
		ofClient := bookingCreate(t, db, svc, bookingAt(50, 12), &client.ID)

		if lead, err := appts.LeadOf(ctx, ofLead.ID); err != nil || lead == nil || *lead != *ofLead.LeadID {
			t.Errorf("LeadOf(lead's appointment) = %v, %v; want %v", lead, err, *ofLead.LeadID)
		}
		if lead, err := appts.LeadOf(ctx, ofClient.ID); err != nil || lead != nil {
			t.Errorf("LeadOf(client's appointment) = %v, %v; want nil", lead, err)
		}
		if _, err := appts.LeadOf(ctx, models.NewID()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("LeadOf(unknown) = %v, want ErrNotFound", err)
		}
	})
}
