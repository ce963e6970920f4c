package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// recorder is a subscriber that remembers which events it saw, and can be told to fail.
type recorder struct {
	mu    sync.Mutex
	seen  map[uuid.UUID]int
	fails map[uuid.UUID]int // remaining failures per event
	done  chan uuid.UUID
}

func newRecorder() *recorder {
	return &recorder{seen: map[uuid.UUID]int{}, fails: map[uuid.UUID]int{}, done: make(chan uuid.UUID, 100)}
}

func (r *recorder) handle(_ context.Context, e models.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fails[e.EventID()] != 0 {
		if r.fails[e.EventID()] > 0 {
			r.fails[e.EventID()]--
		}
		return fmt.Errorf("induced failure for %s", e.EventID())
	}
	r.seen[e.EventID()]++
	r.done <- e.EventID()
	return nil
}

func (r *recorder) count(id uuid.UUID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id]
}

// waitFor blocks until the recorder saw id, or fails the test after a generous bound.
func (r *recorder) waitFor(t *testing.T, id uuid.UUID) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for r.count(id) == 0 {
		select {
		case <-r.done:
		case <-deadline:
			t.Fatalf("subscriber never ran for %s", id)
		}
	}
}

type outboxEnv struct {
	db     *repository.DB
	outbox *events.Outbox
	a, b   *recorder
}

func newOutbox(t *testing.T, db *repository.DB, maxAttempts int) *outboxEnv {
	t.Helper()
	subs := events.NewSubscriptions()
	a, b := newRecorder(), newRecorder()
	for name, r := range map[string]*recorder{"a": a, "b": b} {
		if err := subs.Subscribe("lead.captured", name, r.handle); err != nil {
			t.Fatal(err)
		}
	}
	o, err := events.NewOutbox(db, events.DefaultCatalog(), subs, events.OutboxConfig{
		Workers: 2, MaxAttempts: maxAttempts, RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
	}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	db.SetPublisher(o)
	ctx, cancel := context.WithCancel(context.Background())
	if err := o.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := o.Stop(stopCtx); err != nil {
			t.Errorf("stop: %v", err)
		}
		cancel()
	})
	return &outboxEnv{db: db, outbox: o, a: a, b: b}
}

func newLead(t *testing.T) *models.Lead {
	t.Helper()
	l, err := models.NewLead("site", models.UTM{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func capturedID(t *testing.T, l *models.Lead) uuid.UUID {
	t.Helper()
	for _, e := range l.Events() {
		if e.EventName() == "lead.captured" {
			return e.EventID()
		}
	}
	t.Fatal("lead recorded no lead.captured event")
	return uuid.Nil
}

func jobCount(t *testing.T, db *repository.DB) int {
	t.Helper()
	var n int
	if err := db.Gorm.Raw("SELECT count(*) FROM river_job WHERE kind = 'event'").Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOutboxDeliversCommittedEventsOnce(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		env := newOutbox(t, db, 5)
		ctx := context.Background()
		leads := repository.NewLeads(db)

		l := newLead(t)
		id := capturedID(t, l)
		if err := leads.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		if len(l.Events()) != 0 {
			t.Errorf("events not cleared after commit: %v", l.Events())
		}
		env.a.waitFor(t, id)
		env.b.waitFor(t, id)

		// A rolled-back transaction inserts no job and runs nothing.
		rolled := newLead(t)
		rolledID := capturedID(t, rolled)
		before := jobCount(t, db)
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := leads.Create(ctx, rolled); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
		if err == nil || jobCount(t, db) != before {
			t.Fatalf("rollback: err %v, jobs %d → %d", err, before, jobCount(t, db))
		}
		if len(rolled.Events()) != 1 {
			t.Errorf("a rolled-back aggregate keeps its events for a retry, has %v", rolled.Events())
		}

		// Publishing the same event again (a retried save) is de-duplicated per subscriber.
		err = db.InTx(ctx, func(ctx context.Context) error {
			return env.outbox.Publish(ctx, mustTx(t, ctx), []models.Event{models.LeadCaptured{EventMeta: models.EventMeta{ID: id, Aggregate: l.ID, At: t0}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		// Wait for a later event to pass through both subscribers, then check the counts.
		later := newLead(t)
		laterID := capturedID(t, later)
		if err := leads.Create(ctx, later); err != nil {
			t.Fatal(err)
		}
		env.a.waitFor(t, laterID)
		env.b.waitFor(t, laterID)
		for _, r := range []*recorder{env.a, env.b} {
			if r.count(id) != 1 || r.count(rolledID) != 0 {
				t.Errorf("counts: committed %d (want 1), rolled back %d (want 0)", r.count(id), r.count(rolledID))
			}
		}
	})
}

func mustTx(t *testing.T, ctx context.Context) *repository.Tx {
	t.Helper()
	tx, ok := repository.SQLTx(ctx)
	if !ok {
		t.Fatal("no transaction in context")
	}
	return repository.NewTxForTest(tx)
}

func TestOutboxRetriesAndDiscards(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		env := newOutbox(t, db, 3)
		ctx := context.Background()
		leads := repository.NewLeads(db)

		// Subscriber a fails twice, then succeeds on the third attempt.
		flaky := newLead(t)
		flakyID := capturedID(t, flaky)
		env.a.mu.Lock()
		env.a.fails[flakyID] = 2
		env.a.mu.Unlock()
		// Subscriber b always fails on this one: after 3 attempts it is discarded.
		doomed := newLead(t)
		doomedID := capturedID(t, doomed)
		env.b.mu.Lock()
		env.b.fails[doomedID] = -1
		env.b.mu.Unlock()

		for _, l := range []*models.Lead{flaky, doomed} {
			if err := leads.Create(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		env.a.waitFor(t, flakyID)

		var discarded []events.Job
		deadline := time.Now().Add(30 * time.Second)
		for len(discarded) == 0 && time.Now().Before(deadline) {
			jobs, err := env.outbox.Jobs(ctx, "discarded", 10)
			if err != nil {
				t.Fatal(err)
			}
			discarded = jobs
			time.Sleep(20 * time.Millisecond)
		}
		if len(discarded) != 1 {
			t.Fatalf("discarded jobs = %+v, want b's job for the doomed lead", discarded)
		}
		j := discarded[0]
		if j.Subscriber != "b" || j.Event != "lead.captured" || j.Attempt != 3 || j.LastError == "" {
			t.Errorf("discarded job = %+v", j)
		}
		if env.b.count(doomedID) != 0 {
			t.Fatal("the doomed event reached b")
		}

		// The admin fixes the cause and retries: it runs and succeeds.
		env.b.mu.Lock()
		env.b.fails[doomedID] = 0
		env.b.mu.Unlock()
		if _, err := env.outbox.Retry(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		env.b.waitFor(t, doomedID)
		if _, err := env.outbox.Retry(ctx, 987654321); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("retry of an unknown job: %v", err)
		}
	})
}

func TestOutboxScheduleAndCancel(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		subs := events.NewSubscriptions()
		o, err := events.NewOutbox(db, events.DefaultCatalog(), subs, events.OutboxConfig{
			Workers: 1, PollInterval: 20 * time.Millisecond,
		}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		ran := make(chan string, 10)
		o.Handle("remind", func(_ context.Context, payload json.RawMessage) error {
			ran <- string(payload)
			return nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := o.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer o.Stop(context.Background())

		at := time.Now().Add(300 * time.Millisecond)
		if _, err := o.Schedule(ctx, "remind", "keep", at); err != nil {
			t.Fatal(err)
		}
		canceled, err := o.Schedule(ctx, "remind", "drop", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Cancel(ctx, canceled); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-ran:
			if got != `"keep"` {
				t.Fatalf("ran %s first", got)
			}
			if time.Now().Before(at) {
				t.Error("the task ran before its time")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("scheduled task never ran")
		}
		jobs, err := o.Jobs(ctx, "cancelled", 10)
		if err != nil || len(jobs) != 1 || jobs[0].ID != canceled || jobs[0].Task != "remind" {
			t.Errorf("cancelled jobs = %+v, %v", jobs, err)
		}
		if _, err := o.Schedule(ctx, "unknown", nil, time.Time{}); err == nil {
			t.Error("scheduling an unregistered task succeeded")
		}
	})
}

func TestOutboxSnoozedTaskWaitsWithoutFailing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		o, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{
			Workers: 1, PollInterval: 20 * time.Millisecond, MaxAttempts: 1,
		}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var runs []time.Time
		done := make(chan struct{})
		o.Handle("rate-limited", func(context.Context, json.RawMessage) error {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, time.Now())
			if len(runs) == 1 {
				return events.Snooze(time.Second, errors.New("429 Too Many Requests"))
			}
			close(done)
			return nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := o.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer o.Stop(context.Background())
		if _, err := o.Schedule(ctx, "rate-limited", nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the snoozed task never ran again")
		}
		mu.Lock()
		defer mu.Unlock()
		// MaxAttempts is 1: a failure would have discarded it; a snooze is not a failure.
		if len(runs) != 2 || runs[1].Sub(runs[0]) < time.Second {
			t.Errorf("runs %v: the second must come at least the snooze later", runs)
		}
		var s *events.SnoozeError
		if err := events.Snooze(0, errors.New("x")); !errors.As(err, &s) || s.After != time.Second || s.Error() == "" || errors.Unwrap(err) == nil {
			t.Errorf("Snooze(0) = %v", err)
		}
	})
}

// TestOutboxRescuesOrphanedJobs: a job left `running` by a worker that died is run again once it
// has been running for longer than the default rescue_after — and not before.
func TestOutboxRescuesOrphanedJobs(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		ran := make(chan string, 10)
		task := func(_ context.Context, payload json.RawMessage) error {
			ran <- string(payload)
			return nil
		}
		// Two jobs a crashed worker had taken: one just past the default rescue_after, one not yet.
		producer, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		producer.Handle("orphan", task)
		ages := map[string]time.Duration{
			`"overdue"`: events.DefaultRescueAfter + 30*time.Second,
			`"recent"`:  events.DefaultRescueAfter - 30*time.Second,
		}
		ids := map[string]int64{}
		for payload, age := range ages {
			id, err := producer.Schedule(ctx, "orphan", json.RawMessage(payload), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			ids[payload] = id
			started := time.Now().Add(-age).UTC()
			var at any = started
			if db.Dialect == "sqlite" {
				at = started.Format("2006-01-02 15:04:05.000") // River's SQLite time format
			}
			if err := db.Gorm.Exec("UPDATE river_job SET state = 'running', attempt = 1, attempted_at = ? WHERE id = ?", at, id).Error; err != nil {
				t.Fatal(err)
			}
		}

		// A worker with the default timing comes up: its rescuer hands back the overdue job only.
		o, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{
			Workers: 1, PollInterval: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond,
		}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		o.Handle("orphan", task)
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := o.Start(runCtx); err != nil {
			t.Fatal(err)
		}
		defer o.Stop(context.Background())
		select {
		case got := <-ran:
			if got != `"overdue"` {
				t.Fatalf("ran %s, want the overdue orphan", got)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the overdue orphan was never rescued")
		}
		if j, err := o.Job(ctx, ids[`"recent"`]); err != nil || j.State != "running" {
			t.Errorf("the recent orphan: %+v, %v; want it left running", j, err)
		}
	})
}

// TestOutboxRescueOutlastsTheJobTimeout: a job still running within its timeout is never rescued.
func TestOutboxRescueOutlastsTheJobTimeout(t *testing.T) {
	t.Parallel()
	if events.DefaultRescueAfter <= events.DefaultJobTimeout {
		t.Errorf("default rescue after %s is not longer than the default job timeout %s", events.DefaultRescueAfter, events.DefaultJobTimeout)
	}
	for _, cfg := range []events.OutboxConfig{
		{JobTimeout: time.Minute, RescueAfter: time.Minute},
		{JobTimeout: time.Minute, RescueAfter: 30 * time.Second},
		{RescueAfter: events.DefaultJobTimeout}, // the default timeout with a rescue no longer than it
	} {
		if _, err := events.NewOutbox(nil, events.DefaultCatalog(), events.NewSubscriptions(), cfg, testkit.Logger(t)); err == nil {
			t.Errorf("NewOutbox(%+v) succeeded", cfg)
		}
	}
	for _, cfg := range []events.OutboxConfig{{}, {JobTimeout: time.Second}, {JobTimeout: time.Second, RescueAfter: 2 * time.Second}} {
		if _, err := events.NewOutbox(nil, events.DefaultCatalog(), events.NewSubscriptions(), cfg, testkit.Logger(t)); err != nil {
			t.Errorf("NewOutbox(%+v): %v", cfg, err)
		}
	}
}

// A subscriber that wants only some events of a name gets no job for the others; the rest of the
// event's subscribers get theirs.
func TestOutboxQueuesOnlyWhatASubscriberWants(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		subs := events.NewSubscriptions()
		all, picky := newRecorder(), newRecorder()
		if err := subs.Subscribe("lead.captured", "all", all.handle); err != nil {
			t.Fatal(err)
		}
		wants := func(e models.Event) bool { return e.(models.LeadCaptured).Source == "telegram" }
		if err := subs.SubscribeWhen("lead.captured", "picky", wants, picky.handle); err != nil {
			t.Fatal(err)
		}
		o, err := events.NewOutbox(db, events.DefaultCatalog(), subs, events.OutboxConfig{
			Workers: 2, MaxAttempts: 3, RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		db.SetPublisher(o)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := o.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			if err := o.Stop(stopCtx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}()
		leads := repository.NewLeads(db)
		site := newLead(t) // source "site": not for picky
		bot, err := models.NewLead("telegram", models.UTM{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		siteID, botID := capturedID(t, site), capturedID(t, bot)
		for _, l := range []*models.Lead{site, bot} {
			if err := leads.Create(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		all.waitFor(t, siteID)
		all.waitFor(t, botID)
		picky.waitFor(t, botID)
		var jobs int
		if err := db.Gorm.Raw("SELECT count(*) FROM river_job WHERE kind = 'event'").Row().Scan(&jobs); err != nil {
			t.Fatal(err)
		}
		if jobs != 3 || picky.count(siteID) != 0 {
			t.Errorf("%d event jobs (want 3: two for all, one for picky); picky saw the site's lead %d times", jobs, picky.count(siteID))
		}
	})
}
