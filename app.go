package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"balance/config"
	"balance/events"
	"balance/handlers"
	"balance/integrations/gcal"
	"balance/integrations/telegram"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service"
	"balance/service/admin"
	"balance/service/booking"
	"balance/service/bot"
	"balance/service/calendar"
	"balance/service/content"
	"balance/service/crm"
	"balance/service/erasure"
	"balance/service/export"
	"balance/service/identity"
	"balance/service/interactive"
	"balance/service/notify"
	"balance/service/questions"
	"balance/service/questions/crisis"
	"balance/service/ratelimit"
)

// botLinkTTL is how long a deep link into the Telegram bot can be used.
const botLinkTTL = 24 * time.Hour

// app is what serve and worker share: the database, the use cases and the job queue.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	db       *repository.DB
	migrator *migrations.Migrator
	outbox   *events.Outbox
	identity *identity.Service
	bookings *booking.Bookings
	slots    *booking.Slots
	notifier *notify.Notifier
	telegram *bot.Bot
	// questions is the public questions API (service/questions).
	questions *questions.Questions
	// adminResources are the resources of the admin API, declared in service/admin.
	adminResources *admin.Registry
	// limits are the rate limits of the public POSTs, counted in the database.
	limits *ratelimit.Limiter
	// leads takes the site's contact and subscription forms.
	leads *crm.Capture

	// The integrations; each nil when its configuration is empty (integrations.go).
	// tracer, when set, sees every PostgreSQL statement (withQueryTracer).
	tracer pgx.QueryTracer

	// provider is the payment provider; the demo replaces it, as it replaces mailer.
	provider booking.PaymentGateway
	mailer   notify.Mailer
	bot      *telegram.Client
	calendar *gcal.Client

	// clients runs client accounts and the cabinet: sign-in by emailed code, client sessions.
	clients *identity.Clients
	// Cabinet: Data export.
	// exports builds, hands out and cleans up the clients' data export archives.
	exports *export.Exports
}

// withMailer makes the app send email through m instead of the configured SMTP server; the demo
// writes them to the log.
func withMailer(m notify.Mailer) appOption {
	return func(a *app) { a.mailer = m }
}

// withQueryTracer makes the database connections report every PostgreSQL statement to tr (tests
// count a request's statements with it).
func withQueryTracer(tr pgx.QueryTracer) appOption {
	return func(a *app) { a.tracer = tr }
}

// appOption adjusts the app before it is wired.
type appOption func(*app)

// withPaymentProvider makes the app take payments through p instead of the YooKassa client the
// configuration describes; the demo passes a client of its local simulator.
func withPaymentProvider(p booking.PaymentGateway) appOption {
	return func(a *app) { a.provider = p }
}

// newApp opens the database (applying migrations when migrate is set, otherwise refusing a
// database that is behind), wires the outbox as the publisher of every store, and registers the
// subscribers and periodic tasks. workers = 0 makes an insert-only job queue.
func newApp(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool, workers int, opts ...appOption) (*app, error) {
	keys, err := loadKeyRing(cfg, true, log)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log}
	for _, opt := range opts {
		opt(a)
	}
	db, err := openDB(ctx, cfg, keys, log, a.tracer)
	if err != nil {
		return nil, err
	}
	a.db = db
	if err := a.init(ctx, migrate, workers); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) init(ctx context.Context, migrate bool, workers int) error {
	if err := a.integrations(ctx); err != nil {
		return err
	}
	var err error
	if a.adminResources, err = admin.NewRegistry(admin.Resources()...); err != nil {
		return err
	}
	if a.migrator, err = a.db.Migrator(a.log); err != nil {
		return err
	}
	if migrate {
		applied, err := a.migrator.Up(ctx)
		if err != nil {
			return err
		}
		river, err := events.Migrate(ctx, a.db)
		if err != nil {
			return err
		}
		a.log.Info("migrations applied", "count", len(applied), "job_queue", river)
	} else if err := requireMigrated(ctx, a.db, a.log); err != nil {
		return err
	}

	subs := events.NewSubscriptions()
	if err := registerSubscribers(subs, a.db, a.log); err != nil {
		return err
	}
	a.outbox, err = events.NewOutbox(a.db, events.DefaultCatalog(), subs, events.OutboxConfig{
		Workers:      workers,
		MaxAttempts:  a.cfg.Jobs.MaxAttempts,
		RetryBase:    a.cfg.Jobs.RetryBase,
		RetryMax:     a.cfg.Jobs.RetryMax,
		JobTimeout:   a.cfg.Jobs.JobTimeout,
		RescueAfter:  a.cfg.Jobs.RescueAfter,
		PollInterval: a.cfg.Jobs.PollInterval,
	}, a.log.With("component", "jobs"))
	if err != nil {
		return err
	}
	a.db.SetPublisher(a.outbox)

	clock := service.SystemClock{}
	var busy booking.Calendar
	if a.calendar != nil {
		busy = calendar.FreeBusy{Source: a.calendar}
		if err := calendar.New(a.calendar, repository.NewAppointments(a.db), clock, a.log.With("component", "calendar")).Register(subs); err != nil {
			return err
		}
	}
	a.slots = booking.NewSlots(repository.NewAvailability(a.db), repository.NewAppointments(a.db), busy, clock)
	a.bookings = booking.NewBookings(a.db, booking.NewStores(a.db), a.slots, a.provider, a.outbox, clock, booking.Config{
		HoldTTL:              a.cfg.Booking.HoldTTL,
		PartialRefundPercent: a.cfg.Booking.PartialRefundPercent,
		ReconcileAfter:       a.cfg.Booking.ReconcileAfter,
		IdempotencyTTL:       a.cfg.Booking.IdempotencyTTL,
	}, a.log.With("component", "booking"))
	if err := a.bookings.RegisterWaitlist(subs); err != nil {
		return err
	}
	for _, t := range a.bookings.Tasks() {
		a.outbox.Handle(t.Name, t.Run)
	}
	a.outbox.Every(booking.TaskReconcile, a.cfg.Booking.ReconcileEvery, func(ctx context.Context, _ json.RawMessage) error {
		return a.bookings.Reconcile(ctx)
	})
	a.outbox.Every(booking.TaskRequestsCleanup, time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		n, err := a.bookings.CleanupRequests(ctx)
		a.log.Debug("booking requests cleanup", "deleted", n)
		return err
	})

	var messenger notify.Messenger
	if a.bot != nil {
		messenger = a.bot
	}
	a.notifier = notify.New(notify.NewStores(a.db), a.mailer, messenger, a.outbox, clock, notify.Config{
		SiteURL: a.cfg.Notify.SiteURL, Reminders: a.cfg.Notify.ReminderOffsets(),
	}, a.log.With("component", "notify"))
	if err := a.notifier.Register(subs); err != nil {
		return err
	}
	a.outbox.Handle(notify.TaskReminder, a.notifier.Remind)
	a.outbox.Handle(notify.TaskReply, a.notifier.Reply)
	if a.bot != nil {
		a.telegram = bot.New(a.db, a.bookings, a.bot, a.outbox, clock, bot.Config{
			LinkTTL: botLinkTTL, SiteURL: a.cfg.Notify.SiteURL,
		}, a.log.With("component", "bot"))
	}
	// Expired deep links are kept a week (the bot can still say "this link has expired"), then
	// removed; this runs with or without the bot, so links made before it was switched off go too.
	links := repository.NewDeepLinks(a.db)
	a.outbox.Every("telegram.cleanup", time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		n, err := links.DeleteExpired(ctx, clock.Now().Add(-deepLinkKeep))
		a.log.Debug("deep links cleanup", "deleted", n)
		return err
	})

	a.identity = identityService(a.db, a.cfg, a.outbox)
	a.outbox.Handle(identity.TaskInviteEmail, notify.NewInviteMailer(a.notifier, a.identity).Send)
	a.outbox.Every("identity.cleanup", 10*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		sessions, hits, err := a.identity.Cleanup(ctx)
		if err != nil {
			return err
		}
		a.log.Debug("identity cleanup", "expired_sessions", sessions, "stale_throttle_hits", hits)
		return nil
	})
	// Drafts scheduled for publication go public within a minute of their time.
	scheduled := content.NewScheduler(a.db, clock, a.log.With("component", "content"))
	a.outbox.Every(content.TaskPublishScheduled, time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		_, err := scheduled.PublishDue(ctx)
		return err
	})
	// The public site's contexts.
	// Public library (content).
	// Self-help tools.
	tools := a.tools()
	a.outbox.Every(interactive.TaskAbandonStale, 10*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		n, err := tools.AbandonStale(ctx)
		a.log.Debug("stale tool runs abandoned", "runs", n)
		return err
	})
	if a.telegram != nil { // plan links carry the run's token, checked by the tools
		a.telegram.UseRuns(tools)
	}
	// Questions and answers.
	detector, err := crisis.New(a.cfg.Questions.Phrases())
	if err != nil {
		return fmt.Errorf("questions.crisis_phrases: %w", err)
	}
	a.questions = questions.New(questions.NewStores(a.db), detector, clock)
	// Leads and consents.
	// Client accounts and the cabinet.
	// Cross-origin requests and rate limits: the counters of past windows are deleted here.
	rules := map[string]models.RateRule{}
	for group, r := range a.cfg.RateLimit.Rates() {
		rules[group] = models.RateRule{Limit: r.Limit, Window: r.Window}
	}
	if a.limits, err = ratelimit.New(repository.NewRateLimits(a.db), clock, rules); err != nil {
		return err
	}
	a.outbox.Every(ratelimit.TaskCleanup, 10*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		n, err := a.limits.Cleanup(ctx)
		a.log.Debug("rate limit cleanup", "deleted", n)
		return err
	})
	a.leads = crm.NewCapture(crm.CaptureStores{
		Tx: a.db, Leads: repository.NewLeads(a.db), Timeline: repository.NewLeadTimeline(a.db),
		Submissions: repository.NewLeadSubmissions(a.db), Users: repository.NewUsers(a.db),
	}, clock)
	a.clients = identity.NewClients(a.identity, repository.NewOneTimeCodes(a.db), a.outbox, identity.ClientConfig{
		SessionTTL: a.cfg.Cabinet.SessionTTL, SessionIdleTimeout: a.cfg.Cabinet.SessionIdleTimeout,
		CodeTTL: a.cfg.Cabinet.CodeTTL, CodesPerEmail: a.cfg.Cabinet.CodesPerEmail,
		CodesPerAddress: a.cfg.Cabinet.CodesPerAddress, CodeWindow: a.cfg.Cabinet.CodeWindow,
	})
	a.outbox.Handle(identity.TaskCodeEmail, notify.NewCodeMailer(a.notifier, a.clients).Send)
	a.notifier.UseTelegramSignIn(a.clients) // the bot's sign-in links (/login)
	a.outbox.Every("identity.client_cleanup", 10*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		codes, hits, err := a.clients.Cleanup(ctx)
		if err != nil {
			return err
		}
		a.log.Debug("client sign-in cleanup", "expired_codes", codes, "stale_throttle_hits", hits)
		return nil
	})
	// Cabinet: My appointments, self-help results and consents.
	// Cabinet: The diary.
	// Cabinet: Data export.
	a.exports = export.New(export.NewStores(a.db), a.outbox, clock)
	a.outbox.Handle(export.TaskBuild, a.exports.Build)
	a.outbox.Handle(export.TaskEmail, notify.NewExportMailer(a.notifier, a.exports).Send)
	a.outbox.Every(export.TaskCleanup, 10*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		n, err := a.exports.Cleanup(ctx)
		a.log.Debug("data export cleanup", "deleted_archives", n)
		return err
	})
	// Cabinet: Account deletion.
	if del := a.accountDeletion(); del != nil {
		a.outbox.Handle(erasure.TaskDeletedEmail, notify.NewDeletedMailer(a.notifier, del).Send)
	}
	// end of the public site's contexts.
	return a.outbox.Init()
}

// tools is the self-help tools' use cases over the app's database.
func (a *app) tools() *interactive.Tools {
	return interactive.NewFromDB(a.db, service.SystemClock{}, interactive.Config{AbandonAfter: a.cfg.Tools.AbandonAfter},
		a.log.With("component", "interactive"))
}

// deepLinkKeep is how long an expired Telegram deep link is kept before it is deleted.
const deepLinkKeep = 7 * 24 * time.Hour

// startJobs runs the job workers until stopJobs.
func (a *app) startJobs(ctx context.Context) error { return a.outbox.Start(ctx) }

// stopJobs lets running jobs finish for up to timeout, then hands them back to the queue.
func (a *app) stopJobs(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := a.outbox.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		a.log.Warn("stopping job workers", "error", err.Error())
	}
}

// readiness lists what /readyz checks.
func (a *app) migrationsCurrent(ctx context.Context) error {
	pending, err := a.migrator.Pending(ctx)
	if err == nil && pending {
		err = errors.New("migrations pending")
	}
	return err
}

func (a *app) jobQueueReachable(ctx context.Context) error {
	if _, err := a.outbox.Jobs(ctx, "discarded", 1); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	return nil
}

// serveMetrics serves reg at GET /metrics on metrics.addr, apart from the public listener, until
// ctx ends or stop is called, then shuts down as gracefully as the public listener. An empty
// metrics.addr serves nothing.
func (a *app) serveMetrics(ctx context.Context, reg *prometheus.Registry) (stop func(), err error) {
	addr := a.cfg.Metrics.Addr
	if addr == "" {
		a.log.Info("metrics off: metrics.addr is empty")
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (metrics.addr): %w", addr, err)
	}
	a.log.Info("metrics listening", "addr", ln.Addr().String())
	srv := newHTTPServer(a.cfg.HTTP, handlers.MetricsHandler(reg, a.log), a.log)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := serveHTTP(ctx, srv, ln, a.cfg.HTTP.ShutdownTimeout); err != nil {
			a.log.Error("metrics listener failed", "error", err.Error())
		}
	}()
	return func() { cancel(); <-done }, nil
}

func (a *app) close() { a.db.Close() }
