package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// OutboxConfig tunes the durable bus.
type OutboxConfig struct {
	// Workers is how many jobs this process runs at once; 0 makes an insert-only outbox (an HTTP
	// process whose jobs other processes run).
	Workers int
	// MaxAttempts is how often a job runs before it is discarded (and listed for the admin).
	MaxAttempts int
	// RetryBase is the first retry delay; each further retry doubles it, up to RetryMax.
	RetryBase time.Duration
	RetryMax  time.Duration
	// RescueAfter hands a job back to the queue when its worker died while running it; it must be
	// longer than JobTimeout, or a job still running would be run a second time.
	RescueAfter time.Duration
	// PollInterval is how often idle workers look for due jobs.
	PollInterval time.Duration
	// JobTimeout bounds one run of one job: its context is then cancelled and the run fails.
	JobTimeout time.Duration
}

// Default timing of jobs (config.Keys has the same values for jobs.job_timeout and
// jobs.rescue_after; docs/events.md explains them).
const (
	// DefaultJobTimeout fits the longest single step a job takes: one YooKassa operation with the
	// client's retries (4 attempts of at most 30 s each, 3.5 s of backoff between them: 2m03.5s),
	// as in booking.refund, booking.cancel_payment and booking.expire_hold.
	DefaultJobTimeout = 2*time.Minute + 30*time.Second
	// DefaultRescueAfter leaves a run that hit its timeout a minute to wind down and be recorded
	// before its job counts as orphaned.
	DefaultRescueAfter = DefaultJobTimeout + time.Minute
)

func (c *OutboxConfig) defaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.RetryBase <= 0 {
		c.RetryBase = time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Hour
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = c.JobTimeout + (DefaultRescueAfter - DefaultJobTimeout)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
}

// TaskFunc runs a scheduled or periodic task with the payload it was scheduled with.
type TaskFunc func(ctx context.Context, payload json.RawMessage) error

// Outbox is the durable bus: Publish writes one job row per (event, subscriber) in the
// publishing transaction; River workers — in this process or any other against the same database
// — run them with retries and exponential backoff, de-duplicated by (event id, subscriber), and
// discard a job after MaxAttempts, keeping it visible. It also schedules one-off and periodic
// tasks on the same machinery.
type Outbox struct {
	db      *repository.DB
	catalog *Catalog
	subs    *Subscriptions
	log     *slog.Logger
	cfg     OutboxConfig
	client  *river.Client[*sql.Tx]

	mu       sync.Mutex
	tasks    map[string]TaskFunc
	periodic []*river.PeriodicJob
	started  bool
}

// eventJob is the job of delivering one event to one subscriber.
type eventJob struct {
	EventID    uuid.UUID   `json:"event_id" river:"unique"`
	Event      string      `json:"event"`
	Subscriber string      `json:"subscriber" river:"unique"`
	Payload    payloadText `json:"payload"`
}

func (eventJob) Kind() string { return "event" }

// payloadText is an event's encoded payload, kept in its jobs' arguments as one JSON string rather
// than an object. The job table indexes every key and value of the arguments (a GIN index), and a
// payload is only ever read whole, by the worker: as a string it is one entry of that index instead
// of two for each of its fields, for each subscriber's row. Rows that hold the payload as an object
// (written before) are read as well.
type payloadText json.RawMessage

// MarshalJSON writes the payload as a JSON string.
func (p payloadText) MarshalJSON() ([]byte, error) { return json.Marshal(string(p)) }

// UnmarshalJSON reads the payload from a JSON string, or as it is from an object.
func (p *payloadText) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = payloadText(s)
		return nil
	}
	*p = append((*p)[:0], b...)
	return nil
}

// taskJob runs a named task.
type taskJob struct {
	Task    string          `json:"task"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (taskJob) Kind() string { return "task" }

// NewOutbox prepares the durable bus over db. Register tasks (Handle, Every) before Start.
func NewOutbox(db *repository.DB, catalog *Catalog, subs *Subscriptions, cfg OutboxConfig, log *slog.Logger) (*Outbox, error) {
	cfg.defaults()
	if cfg.RescueAfter <= cfg.JobTimeout {
		return nil, fmt.Errorf("job queue: rescue after %s must be longer than the job timeout %s", cfg.RescueAfter, cfg.JobTimeout)
	}
	o := &Outbox{db: db, catalog: catalog, subs: subs, log: log, cfg: cfg, tasks: map[string]TaskFunc{}}
	return o, nil
}

func driver(db *repository.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect == migrations.SQLite {
		return riversqlite.New(db.SQL)
	}
	return riverdatabasesql.New(db.SQL)
}

// Migrate applies River's own schema migrations (its job table) to db.
func Migrate(ctx context.Context, db *repository.DB) (int, error) {
	m, err := rivermigrate.New(driver(db), nil)
	if err != nil {
		return 0, fmt.Errorf("river migrator: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("river migrate: %w", err)
	}
	return len(res.Versions), nil
}

// QueueMigration is one of the job queue's (River's) schema migrations and whether db has it.
type QueueMigration struct {
	Version int
	Name    string
	Applied bool
}

// MigrationStatus lists the job queue's schema migrations, applied or not.
func MigrationStatus(ctx context.Context, db *repository.DB) ([]QueueMigration, error) {
	m, err := rivermigrate.New(driver(db), nil)
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("river migration status: %w", err)
	}
	applied := make(map[int]bool, len(existing))
	for _, e := range existing {
		applied[e.Version] = true
	}
	var out []QueueMigration
	for _, v := range m.AllVersions() {
		out = append(out, QueueMigration{Version: v.Version, Name: v.Name, Applied: applied[v.Version]})
	}
	return out, nil
}

// Handle registers a task that Schedule can run later.
func (o *Outbox) Handle(name string, fn TaskFunc) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tasks[name] = fn
}

// Every registers a task to run at each interval (once across all processes: River's elected
// leader enqueues it).
func (o *Outbox) Every(name string, interval time.Duration, fn TaskFunc) {
	o.Handle(name, fn)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.periodic = append(o.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return taskJob{Task: name}, nil },
		&river.PeriodicJobOpts{ID: name}))
}

// Init builds the River client. Call it after registering tasks; Start runs the workers.
func (o *Outbox) Init() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.client != nil {
		return nil
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &eventWorker{o: o})
	river.AddWorker(workers, &taskWorker{o: o})
	cfg := &river.Config{
		Logger:               o.log,
		MaxAttempts:          o.cfg.MaxAttempts,
		RetryPolicy:          backoff{base: o.cfg.RetryBase, max: o.cfg.RetryMax},
		RescueStuckJobsAfter: o.cfg.RescueAfter,
		FetchPollInterval:    o.cfg.PollInterval,
		FetchCooldown:        min(o.cfg.PollInterval, 100*time.Millisecond),
		JobTimeout:           o.cfg.JobTimeout,
		Workers:              workers,
	}
	if o.cfg.Workers > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.cfg.Workers}}
		cfg.PeriodicJobs = o.periodic
	}
	client, err := river.NewClient(driver(o.db), cfg)
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	o.client = client
	return nil
}

// Start runs the workers until Stop (a no-op for an insert-only outbox).
func (o *Outbox) Start(ctx context.Context) error {
	if err := o.Init(); err != nil {
		return err
	}
	if o.cfg.Workers == 0 {
		return nil
	}
	if err := o.client.Start(ctx); err != nil {
		return fmt.Errorf("start job workers: %w", err)
	}
	o.mu.Lock()
	o.started = true
	o.mu.Unlock()
	return nil
}

// Stop lets running jobs finish until ctx ends, then cancels them; River hands unfinished jobs
// back to the queue for another worker.
func (o *Outbox) Stop(ctx context.Context) error {
	o.mu.Lock()
	started := o.started
	o.mu.Unlock()
	if !started {
		return nil
	}
	if err := o.client.Stop(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return o.client.StopAndCancel(context.WithoutCancel(ctx))
		}
		return err
	}
	return nil
}

// Publish implements repository.Publisher: one job per (event, subscriber), in tx.
func (o *Outbox) Publish(ctx context.Context, tx *repository.Tx, events []models.Event) error {
	if err := o.Init(); err != nil {
		return err
	}
	var params []river.InsertManyParams
	for _, e := range events {
		subs := slices.DeleteFunc(o.subs.For(e.EventName()), func(s Subscription) bool { return !s.Follows(e) })
		if len(subs) == 0 {
			continue
		}
		payload, err := o.catalog.Encode(e)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			params = append(params, river.InsertManyParams{
				Args:       eventJob{EventID: e.EventID(), Event: e.EventName(), Subscriber: sub.Name, Payload: payloadText(payload)},
				InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}},
			})
		}
	}
	if len(params) == 0 {
		return nil
	}
	if !tx.Gathers() {
		if _, err := o.client.InsertManyTx(ctx, tx.SQL, params); err != nil {
			return fmt.Errorf("queue event jobs: %w", err)
		}
		return nil
	}
	b := o.batch(tx)
	b.params = append(b.params, params...)
	return nil
}

// jobBatch gathers the job rows of one transaction: they are inserted together, in one
// statement, just before it commits.
type jobBatch struct {
	params []river.InsertManyParams
}

// batch returns the job rows tx inserts at commit.
func (o *Outbox) batch(tx *repository.Tx) *jobBatch {
	return tx.Value(o, func() any {
		b := &jobBatch{}
		tx.BeforeCommit(func(ctx context.Context, sqlTx *sql.Tx) error {
			if len(b.params) == 0 {
				return nil
			}
			if _, err := o.client.InsertManyTx(ctx, sqlTx, b.params); err != nil {
				return fmt.Errorf("queue jobs: %w", err)
			}
			return nil
		})
		return b
	}).(*jobBatch)
}

// Schedule queues task name to run at time at (now when zero) with payload, inside the
// transaction carried by ctx when there is one. It returns the job id for Cancel; inside a
// transaction of repository.DB.InTx the job is inserted at commit with the transaction's other job
// rows, and the id is 0.
func (o *Outbox) Schedule(ctx context.Context, name string, payload any, at time.Time) (int64, error) {
	if err := o.Init(); err != nil {
		return 0, err
	}
	o.mu.Lock()
	_, known := o.tasks[name]
	o.mu.Unlock()
	if !known {
		return 0, fmt.Errorf("schedule %s: no such task", name)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("schedule %s: %w", name, err)
	}
	args := taskJob{Task: name, Payload: raw}
	opts := &river.InsertOpts{ScheduledAt: at}
	if tx, ok := repository.CurrentTx(ctx); ok {
		b := o.batch(tx)
		b.params = append(b.params, river.InsertManyParams{Args: args, InsertOpts: opts})
		return 0, nil
	}
	var res *rivertype.JobInsertResult
	if tx, ok := repository.SQLTx(ctx); ok {
		res, err = o.client.InsertTx(ctx, tx, args, opts)
	} else {
		res, err = o.client.Insert(ctx, args, opts)
	}
	if err != nil {
		return 0, fmt.Errorf("schedule %s: %w", name, err)
	}
	return res.Job.ID, nil
}

// Cancel stops a scheduled job from running; a job that already finished is left as it is.
func (o *Outbox) Cancel(ctx context.Context, id int64) error {
	if err := o.Init(); err != nil {
		return err
	}
	if _, err := o.client.JobCancel(ctx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	return nil
}

// Job is a job as the admin panel shows it.
type Job struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Event       string    `json:"event,omitempty"`
	Subscriber  string    `json:"subscriber,omitempty"`
	Task        string    `json:"task,omitempty"`
	Attempt     int       `json:"attempt"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ScheduledAt time.Time `json:"scheduled_at"`
}

// Jobs lists up to limit jobs in state, newest first.
func (o *Outbox) Jobs(ctx context.Context, state string, limit int) ([]Job, error) {
	if err := o.Init(); err != nil {
		return nil, err
	}
	params := river.NewJobListParams().States(rivertype.JobState(state)).First(max(1, min(limit, 1000))).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc)
	res, err := o.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	out := make([]Job, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		out = append(out, jobView(j))
	}
	return out, nil
}

// Job loads one job, inside the transaction carried by ctx when there is one; an unknown id is
// models.ErrNotFound.
func (o *Outbox) Job(ctx context.Context, id int64) (Job, error) {
	if err := o.Init(); err != nil {
		return Job{}, err
	}
	var (
		j   *rivertype.JobRow
		err error
	)
	if tx, ok := repository.SQLTx(ctx); ok {
		j, err = o.client.JobGetTx(ctx, tx, id)
	} else {
		j, err = o.client.JobGet(ctx, id)
	}
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, fmt.Errorf("job %d: %w", id, models.ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job %d: %w", id, err)
	}
	return jobView(j), nil
}

// Retry makes a discarded (or any finished) job run again at once, inside the transaction carried
// by ctx when there is one (so that, e.g., its audit record commits or rolls back with it). A
// running job is left as it is: the job returned is then still "running".
func (o *Outbox) Retry(ctx context.Context, id int64) (Job, error) {
	if err := o.Init(); err != nil {
		return Job{}, err
	}
	var (
		j   *rivertype.JobRow
		err error
	)
	if tx, ok := repository.SQLTx(ctx); ok {
		j, err = o.client.JobRetryTx(ctx, tx, id)
	} else {
		j, err = o.client.JobRetry(ctx, id)
	}
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, fmt.Errorf("job %d: %w", id, models.ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("retry job %d: %w", id, err)
	}
	return jobView(j), nil
}

func jobView(j *rivertype.JobRow) Job {
	v := Job{
		ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt.UTC(), ScheduledAt: j.ScheduledAt.UTC(),
	}
	if n := len(j.Errors); n > 0 {
		v.LastError = j.Errors[n-1].Error
	}
	switch j.Kind {
	case eventJob{}.Kind():
		var a eventJob
		if json.Unmarshal(j.EncodedArgs, &a) == nil {
			v.Event, v.Subscriber = a.Event, a.Subscriber
		}
	case taskJob{}.Kind():
		var a taskJob
		if json.Unmarshal(j.EncodedArgs, &a) == nil {
			v.Task = a.Task
		}
	}
	return v
}

// backoff is exponential: base, 2·base, 4·base, … capped at max.
type backoff struct{ base, max time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.delay(job.Attempt))
}

func (b backoff) delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := float64(b.base) * math.Pow(2, float64(attempt-1))
	if d > float64(b.max) {
		return b.max
	}
	return time.Duration(d)
}

type eventWorker struct {
	river.WorkerDefaults[eventJob]
	o *Outbox
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[eventJob]) error {
	a := job.Args
	sub, ok := w.o.subs.Get(a.Event, a.Subscriber)
	if !ok {
		return river.JobCancel(fmt.Errorf("no subscriber %s for %s any more", a.Subscriber, a.Event))
	}
	e, err := w.o.catalog.Decode(a.Event, json.RawMessage(a.Payload))
	if err != nil {
		return river.JobCancel(err)
	}
	if err := sub.Handle(ctx, e); err != nil {
		if snooze, ok := asSnooze(err); ok {
			w.o.log.InfoContext(ctx, "event subscriber asked to wait", "event", a.Event, "event_id", a.EventID.String(),
				"subscriber", a.Subscriber, "after", snooze.After.String(), "reason", snooze.Err.Error())
			return river.JobSnooze(snooze.After)
		}
		w.o.log.WarnContext(ctx, "event subscriber failed; will retry",
			"event", a.Event, "event_id", a.EventID.String(), "subscriber", a.Subscriber,
			"attempt", job.Attempt, "max_attempts", job.MaxAttempts, "error", err.Error())
		return err
	}
	return nil
}

type taskWorker struct {
	river.WorkerDefaults[taskJob]
	o *Outbox
}

func (w *taskWorker) Work(ctx context.Context, job *river.Job[taskJob]) error {
	w.o.mu.Lock()
	fn, ok := w.o.tasks[job.Args.Task]
	w.o.mu.Unlock()
	if !ok {
		return river.JobCancel(fmt.Errorf("no task %s registered", job.Args.Task))
	}
	if err := fn(ctx, job.Args.Payload); err != nil {
		if snooze, ok := asSnooze(err); ok {
			w.o.log.InfoContext(ctx, "task asked to wait", "task", job.Args.Task, "after", snooze.After.String(),
				"reason", snooze.Err.Error())
			return river.JobSnooze(snooze.After)
		}
		w.o.log.WarnContext(ctx, "task failed; will retry", "task", job.Args.Task,
			"attempt", job.Attempt, "max_attempts", job.MaxAttempts, "error", err.Error())
		return err
	}
	return nil
}

// SnoozeError asks the job queue to run a job again after After — e.g. a provider's 429 with its
// retry_after — instead of the exponential backoff, and without counting a failure.
type SnoozeError struct {
	After time.Duration
	Err   error
}

func (e *SnoozeError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }

func (e *SnoozeError) Unwrap() error { return e.Err }

// Snooze wraps err so that the job that returned it runs again after d (at least a second).
func Snooze(d time.Duration, err error) error {
	return &SnoozeError{After: max(d, time.Second), Err: err}
}

func asSnooze(err error) (*SnoozeError, bool) {
	var s *SnoozeError
	ok := errors.As(err, &s)
	return s, ok
}
