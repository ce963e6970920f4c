package events_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// memoryEnv is a database publishing to an in-memory bus.
type memoryEnv struct {
	db    *repository.DB
	bus   *events.Memory
	subs  *events.Subscriptions
	leads *repository.Leads
}

func newMemory(t *testing.T, db *repository.DB, subscribe func(subs *events.Subscriptions)) *memoryEnv {
	t.Helper()
	subs := events.NewSubscriptions()
	subscribe(subs)
	bus := events.NewMemory(subs, testkit.Logger(t))
	db.SetPublisher(bus)
	return &memoryEnv{db: db, bus: bus, subs: subs, leads: repository.NewLeads(db)}
}

func mustSubscribe(t *testing.T, subs *events.Subscriptions, event, name string, h events.Handler) {
	t.Helper()
	if err := subs.Subscribe(event, name, h); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryDeliversAfterCommitOnly(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		var (
			mu   sync.Mutex
			seen []uuid.UUID
		)
		var env *memoryEnv
		env = newMemory(t, db, func(subs *events.Subscriptions) {
			mustSubscribe(t, subs, "lead.captured", "reader", func(ctx context.Context, e models.Event) error {
				// Delivery follows the commit: the handler, on a connection of its own, sees the row.
				if _, err := env.leads.ByID(ctx, e.AggregateID()); err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, e.EventID())
				return nil
			})
		})
		count := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(seen)
		}

		committed := newLead(t)
		committedID := capturedID(t, committed)
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := env.leads.Create(ctx, committed); err != nil {
				return err
			}
			// Give an eager bus every chance to deliver before the commit.
			time.Sleep(20 * time.Millisecond)
			if n := count(); n != 0 {
				t.Errorf("%d deliveries before the commit", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.bus.Drain(); err != nil {
			t.Fatalf("Drain: %v", err)
		}
		if n := count(); n != 1 || seen[0] != committedID {
			t.Fatalf("after commit: seen %v, want [%s]", seen, committedID)
		}
		if len(committed.Events()) != 0 {
			t.Errorf("events not cleared after commit: %v", committed.Events())
		}

		// A rollback delivers nothing, and the aggregate keeps its events for a retry.
		rolled := newLead(t)
		err = db.InTx(ctx, func(ctx context.Context) error {
			if err := env.leads.Create(ctx, rolled); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
		if err == nil {
			t.Fatal("the transaction did not fail")
		}
		if err := env.bus.Drain(); err != nil {
			t.Fatalf("Drain: %v", err)
		}
		if n := count(); n != 1 {
			t.Errorf("a rolled-back event was delivered: seen %v", seen)
		}
		if len(rolled.Events()) != 1 {
			t.Errorf("rolled-back aggregate has events %v, want its lead.captured", rolled.Events())
		}
	})
}

func TestMemoryDrainReportsFailuresAndPanics(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		errBoom := errors.New("boom")
		var fine atomic.Int32
		env := newMemory(t, db, func(subs *events.Subscriptions) {
			mustSubscribe(t, subs, "lead.captured", "fails", func(context.Context, models.Event) error { return errBoom })
			mustSubscribe(t, subs, "lead.captured", "panics", func(context.Context, models.Event) error { panic("kaboom") })
			mustSubscribe(t, subs, "lead.captured", "fine", func(context.Context, models.Event) error {
				fine.Add(1)
				return nil
			})
		})
		if err := env.leads.Create(ctx, newLead(t)); err != nil {
			t.Fatalf("a failing subscriber must not fail the save: %v", err)
		}
		err := env.bus.Drain()
		if err == nil {
			t.Fatal("Drain reported no error")
		}
		if !errors.Is(err, errBoom) {
			t.Errorf("Drain = %v; want it to wrap the handler's error", err)
		}
		for _, want := range []string{"lead.captured → fails: boom", "lead.captured → panics: panic: kaboom"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Drain = %q; want it to mention %q", err, want)
			}
		}
		if fine.Load() != 1 {
			t.Errorf("the healthy subscriber ran %d times, want 1: a failing one must not stop the others", fine.Load())
		}
		if err := env.bus.Drain(); err != nil {
			t.Errorf("second Drain = %v; errors are reported once", err)
		}
	})
}

func TestMemoryStop(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		release := make(chan struct{})
		started := make(chan struct{}, 1)
		var done atomic.Int32
		env := newMemory(t, db, func(subs *events.Subscriptions) {
			mustSubscribe(t, subs, "lead.captured", "slow", func(context.Context, models.Event) error {
				started <- struct{}{}
				<-release
				done.Add(1)
				return nil
			})
		})
		if err := env.leads.Create(ctx, newLead(t)); err != nil {
			t.Fatal(err)
		}
		<-started

		// Stop waits for what was committed before it.
		stopped := make(chan error, 1)
		go func() { stopped <- env.bus.Stop() }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned (%v) while a delivery was running", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		select {
		case err := <-stopped:
			if err != nil {
				t.Fatalf("Stop: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Stop never returned")
		}
		if done.Load() != 1 {
			t.Fatalf("Stop returned before the queued delivery finished")
		}

		// A stopped bus refuses new events, and so the save that publishes them fails whole.
		late := newLead(t)
		err := env.leads.Create(ctx, late)
		if !errors.Is(err, events.ErrStopped) {
			t.Fatalf("save after Stop = %v, want ErrStopped", err)
		}
		if _, err := env.leads.ByID(ctx, late.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("the refused lead was stored: %v", err)
		}
		if err := env.bus.Publish(ctx, nil, []models.Event{models.LeadCaptured{}}); !errors.Is(err, events.ErrStopped) {
			t.Errorf("Publish after Stop = %v, want ErrStopped", err)
		}
	})
}

// A handler's own writes publish their events too, whether it saves in a transaction of its own
// or through a store that writes in GORM's implicit one — the transaction that published the
// event it handles is over and must not swallow them.
func TestMemoryHandlersPublish(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		svc := createService(t, db)
		appointments := repository.NewAppointments(db)
		booked := make(chan uuid.UUID, 10)
		env := newMemory(t, db, func(subs *events.Subscriptions) {
			mustSubscribe(t, subs, "lead.captured", "book", func(ctx context.Context, e models.Event) error {
				lead := e.AggregateID()
				a, err := models.NewAppointment(svc, t0.Add(48*time.Hour), models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline,
					nil, &lead, models.AppointmentMetadata{}, 15*time.Minute, t0)
				if err != nil {
					return err
				}
				return appointments.Create(ctx, a) // no InTx: GORM's implicit transaction
			})
			mustSubscribe(t, subs, "appointment.booked", "record", func(_ context.Context, e models.Event) error {
				booked <- e.AggregateID()
				return nil
			})
		})
		l := newLead(t)
		if err := db.InTx(ctx, func(ctx context.Context) error { return env.leads.Create(ctx, l) }); err != nil {
			t.Fatal(err)
		}
		if err := env.bus.Drain(); err != nil {
			t.Fatalf("Drain: %v", err)
		}
		select {
		case id := <-booked:
			lead, err := appointments.LeadOf(ctx, id)
			if err != nil || lead == nil || *lead != l.ID {
				t.Errorf("booked appointment's lead = %v, %v; want %s", lead, err, l.ID)
			}
		default:
			t.Fatal("the appointment the handler booked published no appointment.booked")
		}
	})
}

// createService saves a published, paid service.
func createService(t *testing.T, db *repository.DB) *models.Service {
	t.Helper()
	s, err := models.NewService(models.ServiceDetails{
		Slug: "svc-" + uuid.NewString()[:8], Title: "Консультация", DescriptionMarkdown: "50 минут",
		Format: models.ServiceFormatHybrid, DurationMinutes: 50, Price: models.Money{Minor: 500000, Currency: "RUB"},
		Timezone: "Europe/Moscow",
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(t0); err != nil {
		t.Fatal(err)
	}
	if err := repository.NewServices(db).Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// The in-memory bus, like the outbox, delivers to a subscriber only the events it wants.
func TestMemoryDeliversOnlyWhatASubscriberWants(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, migrations.SQLite)
	var mu sync.Mutex
	got := map[string]int{}
	count := func(name string) events.Handler {
		return func(context.Context, models.Event) error {
			mu.Lock()
			defer mu.Unlock()
			got[name]++
			return nil
		}
	}
	env := newMemory(t, db, func(subs *events.Subscriptions) {
		mustSubscribe(t, subs, "lead.captured", "all", count("all"))
		wants := func(e models.Event) bool { return e.(models.LeadCaptured).Source == "telegram" }
		if err := subs.SubscribeWhen("lead.captured", "picky", wants, count("picky")); err != nil {
			t.Fatal(err)
		}
	})
	ctx := context.Background()
	bot, err := models.NewLead("telegram", models.UTM{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*models.Lead{newLead(t), bot} {
		if err := env.leads.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.bus.Drain(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["all"] != 2 || got["picky"] != 1 {
		t.Errorf("deliveries %v, want all 2, picky 1", got)
	}
}
