package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"balance/api"
	"balance/handlers"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/booking"
)

// catalogueRule is the practitioner's weekly window of the published service: Friday to Monday,
// 10:00–13:00 Moscow time.
var (
	catalogueWeekdays = []time.Weekday{time.Friday, time.Saturday, time.Sunday, time.Monday}
	catalogueFrom     = 10 * 60
	catalogueTo       = 13 * 60
)

// catalogueNow is Friday 2026-03-27 10:45 in Moscow: Friday's 10:00 and 10:30 have passed.
// Berlin leaves winter time on Sunday 2026-03-29.
var catalogueNow = time.Date(2026, 3, 27, 7, 45, 0, 0, time.UTC)

type catalogueEnv struct {
	s        *server
	clock    *testkit.Clock
	svc      *models.Service
	appts    *repository.Appointments
	msk, ber *time.Location
}

func catalogueZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func catalogueIntPtr(i int) *int { return &i }

// catalogueSetup stores a published hybrid service with weekly rules and a draft service, and
// serves the catalogue and slots over them.
func catalogueSetup(t *testing.T, db *repository.DB) *catalogueEnv {
	t.Helper()
	ctx := context.Background()
	clock := testkit.NewClock(catalogueNow)
	services := repository.NewServices(db)
	deposit := int64(150000)
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "individual-session", Title: "Individual session", DescriptionMarkdown: "**Fifty** minutes.",
		Format: models.ServiceFormatHybrid, DurationMinutes: 50, BufferMinutes: 10,
		Price:        models.Money{Minor: 500000, Currency: models.CurrencyRUB},
		DepositMinor: &deposit, CancelFreeHours: catalogueIntPtr(24), RescheduleMinHours: catalogueIntPtr(12),
		Timezone: "Europe/Moscow",
	}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := services.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	draft, err := models.NewService(models.ServiceDetails{
		Slug: "couples-session", Title: "A couples session", Format: models.ServiceFormatOffline,
		DurationMinutes: 80, Price: models.Money{Minor: 800000, Currency: models.CurrencyRUB},
	}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := services.Create(ctx, draft); err != nil {
		t.Fatal(err)
	}
	av := repository.NewAvailability(db)
	for _, s := range []*models.Service{svc, draft} {
		for _, wd := range catalogueWeekdays {
			iso := int(wd)
			if wd == time.Sunday {
				iso = 7
			}
			r, err := models.NewAvailabilityRule(&s.ID, iso, catalogueFrom, catalogueTo, "Europe/Moscow", nil, nil, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := av.CreateRule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	appts := repository.NewAppointments(db)
	s, _ := newServer(t, db, options{
		catalogue: booking.NewCatalogue(services),
		slots:     booking.NewSlots(av, appts, nil, clock),
	})
	return &catalogueEnv{s: s, clock: clock, svc: svc, appts: appts,
		msk: catalogueZone(t, "Europe/Moscow"), ber: catalogueZone(t, "Europe/Berlin")}
}

type catalogueMoney struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	Amount      string `json:"amount"`
}

type catalogueService struct {
	Slug                string          `json:"slug"`
	Title               string          `json:"title"`
	DescriptionMarkdown string          `json:"description_markdown"`
	Formats             []string        `json:"formats"`
	DurationMinutes     int             `json:"duration_minutes"`
	Price               catalogueMoney  `json:"price"`
	Deposit             *catalogueMoney `json:"deposit"`
	Timezone            string          `json:"timezone"`
	CancelFreeHours     *int            `json:"cancel_free_hours"`
	CancelPartialHours  *int            `json:"cancel_partial_hours"`
	RescheduleMinHours  *int            `json:"reschedule_min_hours"`
}

func catalogueCheckService(t *testing.T, got catalogueService) {
	t.Helper()
	if got.Slug != "individual-session" || got.Title != "Individual session" || got.DescriptionMarkdown != "**Fifty** minutes." ||
		got.DurationMinutes != 50 || got.Timezone != "Europe/Moscow" {
		t.Errorf("service = %+v", got)
	}
	if !slices.Equal(got.Formats, []string{"online", "offline"}) {
		t.Errorf("formats = %v, want [online offline]", got.Formats)
	}
	if got.Price != (catalogueMoney{AmountMinor: 500000, Currency: "RUB", Amount: "5000.00"}) {
		t.Errorf("price = %+v", got.Price)
	}
	if got.Deposit == nil || *got.Deposit != (catalogueMoney{AmountMinor: 150000, Currency: "RUB", Amount: "1500.00"}) {
		t.Errorf("deposit = %+v", got.Deposit)
	}
	if got.CancelFreeHours == nil || *got.CancelFreeHours != 24 || got.CancelPartialHours != nil ||
		got.RescheduleMinHours == nil || *got.RescheduleMinHours != 12 {
		t.Errorf("rules = %v %v %v", got.CancelFreeHours, got.CancelPartialHours, got.RescheduleMinHours)
	}
}

func catalogueProblemField(t *testing.T, r *testkit.Response, status int, field string) {
	t.Helper()
	p := r.Problem(t)
	if r.Status != status || p.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if field == "" {
		return
	}
	for _, e := range p.Errors {
		if e.Field == field {
			return
		}
	}
	t.Errorf("problem %s does not name field %q", r.Body, field)
}

func TestPublicServiceCatalogue(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := catalogueSetup(t, db)

		r := e.s.api.Do("GET", "/api/v1/services", nil)
		var list struct {
			Items []catalogueService `json:"items"`
		}
		r.JSON(t, &list)
		if r.Status != http.StatusOK || len(list.Items) != 1 {
			t.Fatalf("list = %d %s, want only the published service", r.Status, r.Body)
		}
		catalogueCheckService(t, list.Items[0])
		if !strings.Contains(string(r.Body), `"cancel_partial_hours":null`) {
			t.Errorf("unset rule is not null: %s", r.Body)
		}

		r = e.s.api.Do("GET", "/api/v1/services?limit=1&offset=1", nil)
		r.JSON(t, &list)
		if r.Status != http.StatusOK || len(list.Items) != 0 {
			t.Errorf("second page = %d %s, want empty", r.Status, r.Body)
		}

		for _, tc := range []struct{ query, field string }{
			{"limit=abc", "limit"}, {"limit=0", "limit"}, {"limit=101", "limit"}, {"offset=-1", "offset"}, {"offset=x", "offset"},
		} {
			t.Run(tc.query, func(t *testing.T) {
				catalogueProblemField(t, e.s.api.Do("GET", "/api/v1/services?"+tc.query, nil), http.StatusUnprocessableEntity, tc.field)
			})
		}

		r = e.s.api.Do("GET", "/api/v1/services/individual-session", nil)
		var one catalogueService
		r.JSON(t, &one)
		if r.Status != http.StatusOK {
			t.Fatalf("detail = %d %s", r.Status, r.Body)
		}
		catalogueCheckService(t, one)
		for _, slug := range []string{"no-such-service", "couples-session"} {
			catalogueProblemField(t, e.s.api.Do("GET", "/api/v1/services/"+slug, nil), http.StatusNotFound, "")
		}
	})
}

type catalogueSlot struct {
	Start      string `json:"start"`
	End        string `json:"end"`
	StartLocal string `json:"start_local"`
	EndLocal   string `json:"end_local"`
}

// catalogueExpected computes, from the rule and the clock alone, the slots from..to (Moscow days):
// every 30 minutes from 10:00 while 50 minutes fit before 13:00, not before now, and whose
// 60 held minutes (50 + 10 buffer) miss every booked start's held hour.
func catalogueExpected(e *catalogueEnv, from, to string, booked ...time.Time) []catalogueSlot {
	first, _ := time.Parse("2006-01-02", from)
	last, _ := time.Parse("2006-01-02", to)
	out := []catalogueSlot{}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if !slices.Contains(catalogueWeekdays, d.Weekday()) {
			continue
		}
	grid:
		for m := catalogueFrom; m+50 <= catalogueTo; m += 30 {
			start := time.Date(d.Year(), d.Month(), d.Day(), 0, m, 0, 0, e.msk)
			if start.Before(e.clock.Now()) {
				continue
			}
			for _, b := range booked {
				if start.Before(b.Add(time.Hour)) && b.Before(start.Add(time.Hour)) {
					continue grid
				}
			}
			end := start.Add(50 * time.Minute)
			out = append(out, catalogueSlot{
				Start: start.UTC().Format(time.RFC3339), End: end.UTC().Format(time.RFC3339),
				StartLocal: start.In(e.ber).Format(time.RFC3339), EndLocal: end.In(e.ber).Format(time.RFC3339),
			})
		}
	}
	return out
}

func catalogueSlots(t *testing.T, e *catalogueEnv, query string) []catalogueSlot {
	t.Helper()
	r := e.s.api.Do("GET", "/api/v1/services/individual-session/slots?"+query, nil)
	var body struct {
		Service  string          `json:"service"`
		Timezone string          `json:"timezone"`
		Slots    []catalogueSlot `json:"slots"`
	}
	r.JSON(t, &body)
	if r.Status != http.StatusOK || body.Service != "individual-session" || body.Timezone != "Europe/Berlin" {
		t.Fatalf("slots = %d %s", r.Status, r.Body)
	}
	return body.Slots
}

func TestPublicServiceSlots(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := catalogueSetup(t, db)
		const query = "from=2026-03-27&to=2026-03-31&tz=Europe/Berlin"

		got := catalogueSlots(t, e, query)
		want := catalogueExpected(e, "2026-03-27", "2026-03-31")
		if !slices.Equal(got, want) {
			t.Fatalf("slots =\n%v\nwant\n%v", got, want)
		}
		// The same instants, stated literally: Friday's first is 11:00 Moscow (10:00 and 10:30
		// passed), Berlin in winter time; Monday's first is 10:00 Moscow, Berlin in summer time.
		if len(got) == 0 || got[0] != (catalogueSlot{
			Start: "2026-03-27T08:00:00Z", End: "2026-03-27T08:50:00Z",
			StartLocal: "2026-03-27T09:00:00+01:00", EndLocal: "2026-03-27T09:50:00+01:00",
		}) {
			t.Errorf("first slot = %+v", got[0:min(1, len(got))])
		}
		monday := slices.IndexFunc(got, func(s catalogueSlot) bool { return strings.HasPrefix(s.Start, "2026-03-30") })
		if monday < 0 || got[monday].Start != "2026-03-30T07:00:00Z" || got[monday].StartLocal != "2026-03-30T09:00:00+02:00" {
			t.Errorf("Monday's first slot is not 07:00Z / 09:00+02:00: %v", got)
		}

		before := len(got)
		// Book Monday 11:00 Moscow: its slot and every slot whose held hour touches it disappear.
		booked := time.Date(2026, 3, 30, 11, 0, 0, 0, e.msk)
		lead := uuid.New()
		a, err := models.NewAppointment(e.svc, booked, models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline,
			nil, &lead, models.AppointmentMetadata{}, 15*time.Minute, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.appts.Create(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		got = catalogueSlots(t, e, query)
		if want := catalogueExpected(e, "2026-03-27", "2026-03-31", booked); !slices.Equal(got, want) {
			t.Fatalf("after booking: slots =\n%v\nwant\n%v", got, want)
		}
		if slices.ContainsFunc(got, func(s catalogueSlot) bool { return s.Start == "2026-03-30T08:00:00Z" }) {
			t.Errorf("the booked slot is still offered: %v", got)
		}
		if removed := before - len(got); removed != 3 {
			t.Errorf("booking one slot removed %d slots, want 3 (10:30, 11:00, 11:30)", removed)
		}
	})
}

func TestPublicServiceSlotsRefuses(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := catalogueSetup(t, db)
		for _, tc := range []struct {
			path   string
			status int
			field  string
		}{
			{"individual-session/slots?to=2026-03-31&tz=Europe/Berlin", 422, "from"},
			{"individual-session/slots?from=27.03.2026&to=2026-03-31&tz=Europe/Berlin", 422, "from"},
			{"individual-session/slots?from=2026-03-27&tz=Europe/Berlin", 422, "to"},
			{"individual-session/slots?from=2026-03-27&to=2026-02-30&tz=Europe/Berlin", 422, "to"},
			{"individual-session/slots?from=2026-03-27&to=2026-03-26&tz=Europe/Berlin", 422, "to"},
			{"individual-session/slots?from=2026-03-27&to=2026-04-27&tz=Europe/Berlin", 422, "to"}, // 32 days
			{"individual-session/slots?from=2026-03-27&to=2026-03-31", 422, "tz"},
			{"individual-session/slots?from=2026-03-27&to=2026-03-31&tz=Mars/Olympus", 422, "tz"},
			{"individual-session/slots?from=2026-03-27&to=2026-03-31&tz=Local", 422, "tz"},
			{"no-such-service/slots?from=2026-03-27&to=2026-03-31&tz=Europe/Berlin", 404, ""},
			{"couples-session/slots?from=2026-03-27&to=2026-03-31&tz=Europe/Berlin", 404, ""},
		} {
			t.Run(tc.path, func(t *testing.T) {
				catalogueProblemField(t, e.s.api.Do("GET", "/api/v1/services/"+tc.path, nil), tc.status, tc.field)
			})
		}
		// 31 days, both included, is the most one request may ask for.
		r := e.s.api.Do("GET", "/api/v1/services/individual-session/slots?from=2026-03-27&to=2026-04-26&tz=Europe/Berlin", nil)
		if r.Status != http.StatusOK {
			t.Errorf("31 days = %d %s", r.Status, r.Body)
		}
	})
}

func TestPublicSlotsNeedCatalogue(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	_, err := handlers.NewRouter(handlers.Deps{
		Log: testkit.Logger(t), Registry: prometheus.NewRegistry(), OpenAPI: api.Spec,
		Slots: booking.NewSlots(repository.NewAvailability(db), repository.NewAppointments(db), nil, testkit.NewClock(catalogueNow)),
	})
	if err == nil {
		t.Fatal("a router with Slots but no Catalogue was built")
	}
}
