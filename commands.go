package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/term"

	adminui "balance/admin"
	"balance/api"
	"balance/config"
	"balance/crypto"
	"balance/events"
	"balance/handlers"
	"balance/integrations/telegram"
	"balance/models"
	"balance/repository"
	"balance/service"
	"balance/service/admin"
	"balance/service/booking"
	"balance/service/content"
	"balance/service/diary"
	"balance/service/identity"
)

// configError is an invalid configuration: printed as its one line, exit code 2.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }

// newFlags returns a flag set whose parse errors become usage errors (exit 2).
func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgFile := fs.String("config", "", "read the configuration from `FILE` (default ./balance.yaml when present)")
	return fs, cfgFile
}

// parseFlags parses flags placed anywhere among the arguments ("migrate status --config f") and
// returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{fs: fs}
			}
			return nil, fmt.Errorf("%s: %v: %w", fs.Name(), err, errUsage)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// helpRequest is `balance <command> --help`: print that command's synopsis and flags, exit 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return h.fs.Name() + ": help requested" }

// Unwrap lets callers treat a help request like flag.ErrHelp.
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

// print writes the command's synopsis and its flags with their defaults.
func (h *helpRequest) print(w io.Writer) {
	fmt.Fprintf(w, "Usage: balance %s\n", commandSynopsis[h.fs.Name()])
	flags := 0
	h.fs.VisitAll(func(*flag.Flag) { flags++ })
	if flags == 0 {
		return
	}
	fmt.Fprint(w, "\nFlags:\n")
	h.fs.SetOutput(w)
	h.fs.PrintDefaults()
	h.fs.SetOutput(io.Discard)
}

// commandSynopsis is each command's first usage line, for its --help.
var commandSynopsis = map[string]string{
	"serve":       "serve [flags] — run the HTTP server and job workers",
	"demo":        "demo [flags] — serve with seeded data and a local YooKassa simulator",
	"worker":      "worker [flags] — run only the job workers",
	"migrate":     "migrate up|down|status [flags] — manage the database schema",
	"createadmin": "createadmin --email E [--role owner|assistant|editor] [--name N] [flags] — create a staff account",
	"crypto":      "crypto genkey|rotate [flags] — make a Fernet key, or re-encrypt every P2 value with the first key",
	"telegram":    "telegram set-webhook URL [flags] — register the bot's webhook",
	"totp":        "totp reset --email EMAIL [flags] — remove a staff member's authenticator and end their sessions",
	"healthcheck": "healthcheck [flags] — exit 0 when the server at http.addr answers /healthz, 1 otherwise",
	"version":     "version — print the version",
}

// cmdVersion prints the version; it takes no flags and no arguments.
func cmdVersion(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("version: unexpected argument %q: %w", rest[0], errUsage)
	}
	fmt.Fprintln(stdout, "balance", buildVersion())
	return nil
}

func loadConfig(file string) (config.Config, error) {
	cfg, err := readConfig(file)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &configError{err}
	}
	return cfg, nil
}

// readConfig loads the configuration without validating it. A --config that names a directory
// gets a line of its own: the loader would only say it cannot tell the file's type.
func readConfig(file string) (config.Config, error) {
	if file != "" {
		if info, err := os.Stat(file); err == nil && info.IsDir() {
			return config.Config{}, &configError{fmt.Errorf("config: file %s: is a directory, not a configuration file", file)}
		}
	}
	cfg, err := config.Load(file)
	if err != nil {
		return cfg, &configError{err}
	}
	return cfg, nil
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.SlogLevel()}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func openDB(ctx context.Context, cfg config.Config, keys *crypto.KeyRing, log *slog.Logger, tracer pgx.QueryTracer) (*repository.DB, error) {
	db, err := repository.Open(ctx, cfg.Database.URL, repository.Options{
		MaxOpenConns: cfg.Database.MaxOpenConns, Logger: log, SlowQuery: 200 * time.Millisecond, Keys: keys,
		Tracer: tracer,
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", config.RedactURL(cfg.Database.URL), err)
	}
	return db, nil
}

// identityService wires the identity use cases over db; jobs (nil for the one-off commands)
// queues the emails of staff invitations.
func identityService(db *repository.DB, cfg config.Config, jobs identity.Scheduler) *identity.Service {
	return identity.New(
		repository.NewUsers(db), repository.NewSessions(db), repository.NewThrottle(db),
		service.SystemClock{},
		identity.Config{
			SessionTTL:         cfg.Auth.SessionTTL,
			SessionIdleTimeout: cfg.Auth.SessionIdleTimeout,
			LoginMaxFailures:   cfg.Auth.LoginMaxFailures,
			LoginFailureWindow: cfg.Auth.LoginFailureWindow,
			Password:           crypto.DefaultPasswordParams,
			TOTP:               repository.NewTOTP(db),
			RequireTOTP:        staffRoles(cfg.Auth.TOTPRoles()),
			Audit:              repository.NewAuditLogs(db),
			Tx:                 db,
			Invites:            repository.NewStaffInvites(db),
			Jobs:               jobs,
		})
}

// staffRoles converts role names, already validated by config, to roles.
func staffRoles(names []string) []models.Role {
	roles := make([]models.Role, 0, len(names))
	for _, n := range names {
		roles = append(roles, models.Role(n))
	}
	return roles
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs, cfgFile := newFlags("serve")
	migrate := fs.Bool("migrate", true, "apply pending migrations before serving")
	runWorkers := fs.Bool("workers", true, "also run job workers (false: HTTP only)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve: unexpected argument %q: %w", rest[0], errUsage)
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	log.Info("starting balance", "version", buildVersion(), "config", cfg)

	workers := 0
	if *runWorkers {
		workers = cfg.Jobs.Workers
	}
	a, err := newApp(ctx, cfg, log, *migrate, workers)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.startJobs(ctx); err != nil {
		return err
	}
	defer a.stopJobs(cfg.HTTP.ShutdownTimeout)

	deps := routerDeps(a)
	router, err := handlers.NewRouter(deps)
	if err != nil {
		return err
	}
	stopMetrics, err := a.serveMetrics(ctx, deps.Registry)
	if err != nil {
		return err
	}
	defer stopMetrics()
	srv := newHTTPServer(cfg.HTTP, router, log)
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "job_workers", workers)
	if err := serveHTTP(ctx, srv, ln, cfg.HTTP.ShutdownTimeout); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// routerDeps is what the HTTP router of serve and demo is built from, so the two cannot drift.
func routerDeps(a *app) handlers.Deps {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := handlers.Deps{
		Log:  a.log,
		Auth: a.identity,
		Checks: []handlers.Check{
			{Name: "database", Fn: a.db.Ping},
			{Name: "migrations", Fn: a.migrationsCurrent},
			{Name: "jobs", Fn: a.jobQueueReachable},
		},
		Catalogue:      booking.NewCatalogue(repository.NewServices(a.db)),
		Slots:          a.slots,
		Bookings:       a.bookings,
		Payments:       a.bookings,
		WebhookCIDRs:   a.cfg.YooKassa.WebhookCIDRs,
		Counts:         repository.NewOpsCounts(a.db),
		Registry:       reg,
		OpenAPI:        api.Spec,
		MaxBodyBytes:   a.cfg.HTTP.MaxBodyBytes,
		TrustedProxies: a.cfg.HTTP.TrustedProxies,
		CookieSecure:   a.cfg.Auth.CookieSecure,
		SessionTTL:     a.cfg.Auth.SessionTTL,
		AdminUI:        adminui.Dist(),
	}
	// The public site's contexts.
	// Public library (content).
	d.Library = content.NewLibrary(repository.NewContentItems(a.db), repository.NewTopics(a.db), repository.NewTags(a.db))
	// Self-help tools.
	d.Tools = a.tools()
	// Questions and answers.
	d.Questions = a.questions
	// Leads and consents.
	d.Leads = a.leads
	d.Consents = consentDocuments(a.cfg.Consents)
	// Cross-origin requests and rate limits.
	// Client accounts and the cabinet.
	d.CORSOrigins, d.RateLimits, d.APIDocs = a.cfg.HTTP.CORSOrigins, a.limits, api.Docs
	if a.clients != nil {
		d.ClientAccounts = a.clients
	}
	// Cabinet: My appointments, self-help results and consents.
	if a.clients != nil {
		d.MyBookings = a.bookings
		d.MyRuns = a.myRuns()
		d.MyConsents = a.clients
	}
	// Cabinet: The diary.
	if a.clients != nil {
		d.Diary = diary.New(repository.NewDiaryEntries(a.db), service.SystemClock{})
	}
	// Cabinet: Data export.
	if a.exports != nil && d.ClientAccounts != nil {
		d.DataExports = a.exports
	}
	// Cabinet: Account deletion.
	if del := a.accountDeletion(); del != nil {
		d.AccountDeletion = del
	}
	// end of the public site's contexts.
	d.AdminResources = a.adminResources
	d.AdminRecords = admin.NewRecords(a.adminResources, a.db, admin.Ports{Bookings: a.bookings, Jobs: a.outbox, Accounts: a.identity}, service.SystemClock{})
	if a.telegram != nil { // a nil *bot.Bot in the interface would not read as "off"
		d.Bot, d.BotSecret = a.telegram, a.bot
	}
	return d
}

// newHTTPServer wraps h in a server with the configured timeouts; its errors go to log.
func newHTTPServer(c config.HTTP, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// cmdWorker runs only the job workers: delivery of domain events and scheduled tasks.
func cmdWorker(ctx context.Context, args []string, stderr io.Writer) error {
	fs, cfgFile := newFlags("worker")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("worker: unexpected argument %q: %w", rest[0], errUsage)
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	log.Info("starting balance worker", "version", buildVersion(), "config", cfg)
	a, err := newApp(ctx, cfg, log, false, cfg.Jobs.Workers)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.startJobs(ctx); err != nil {
		return err
	}
	log.Info("working", "job_workers", cfg.Jobs.Workers)
	<-ctx.Done()
	a.stopJobs(cfg.HTTP.ShutdownTimeout)
	log.Info("stopped")
	return nil
}

// serveHTTP serves on ln until ctx ends (SIGTERM/SIGINT), then stops accepting and lets in-flight
// requests finish for up to timeout.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := newFlags("migrate")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("migrate: want one of up, down, status: %w", errUsage)
	}
	action := rest[0]
	if action != "up" && action != "down" && action != "status" {
		return fmt.Errorf("migrate: unknown action %q: %w", action, errUsage)
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	db, err := openDB(ctx, cfg, nil, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Migrator(log)
	if err != nil {
		return err
	}
	switch action {
	case "up":
		res, err := m.Up(ctx)
		if err != nil {
			return err
		}
		for _, r := range res {
			fmt.Fprintf(stdout, "applied  %05d  %s  (%s)\n", r.Source.Version, baseName(r.Source.Path), r.Duration.Round(time.Millisecond))
		}
		fmt.Fprintf(stdout, "%d migration(s) applied\n", len(res))
		river, err := events.Migrate(ctx, db)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "job queue schema: %d migration(s) applied\n", river)
	case "down":
		r, err := m.Down(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rolled back  %05d  %s\n", r.Source.Version, baseName(r.Source.Path))
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			at := "pending"
			if !s.AppliedAt.IsZero() {
				at = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%05d  %-40s  %s\n", s.Source.Version, baseName(s.Source.Path), at)
		}
		queue, err := events.MigrationStatus(ctx, db)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "job queue schema (River):")
		for _, q := range queue {
			at := "pending"
			if q.Applied {
				at = "applied"
			}
			fmt.Fprintf(stdout, "river %03d  %-50s  %s\n", q.Version, q.Name, at)
		}
	}
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func cmdCreateAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, cfgFile := newFlags("createadmin")
	email := fs.String("email", "", "the staff member's `EMAIL` address (required)")
	role := fs.String("role", "owner", "the staff `ROLE`: owner, assistant or editor")
	name := fs.String("name", "", "display `NAME`")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("createadmin: --email is required: %w", errUsage)
	}
	switch models.Role(*role) {
	case models.RoleOwner, models.RoleAssistant, models.RoleEditor:
	default:
		return fmt.Errorf("createadmin: --role: %q is not a staff role; use owner, assistant or editor: %w", *role, errUsage)
	}
	if len(rest) > 0 {
		return fmt.Errorf("createadmin: unexpected argument %q: %w", rest[0], errUsage)
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	db, err := openDB(ctx, cfg, nil, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := requireMigrated(ctx, db, log); err != nil {
		return fmt.Errorf("createadmin: %w", err)
	}
	u, err := identityService(db, cfg, nil).CreateStaff(ctx, *email, *role, *name, password)
	if err != nil {
		return fmt.Errorf("createadmin: %w", err)
	}
	fmt.Fprintf(stdout, "created %s %s (id %s)\n", *role, *u.Email, u.ID)
	return nil
}

// readPassword prompts twice on a terminal; otherwise it takes BALANCE_ADMIN_PASSWORD.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("createadmin: the passwords differ")
		}
		return string(p1), nil
	}
	if p := os.Getenv("BALANCE_ADMIN_PASSWORD"); p != "" {
		return p, nil
	}
	// A piped single line is accepted too, so scripts need not put the password in the environment.
	if stdin != nil {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if p := strings.TrimRight(line, "\r\n"); p != "" && (err == nil || errors.Is(err, io.EOF)) {
			return p, nil
		}
	}
	return "", errors.New("createadmin: no password: run in a terminal, set BALANCE_ADMIN_PASSWORD, or pipe it on stdin")
}

// requireMigrated refuses to work on a database whose schema is behind the binary.
func requireMigrated(ctx context.Context, db *repository.DB, log *slog.Logger) error {
	m, err := db.Migrator(log)
	if err != nil {
		return err
	}
	pending, err := m.Pending(ctx)
	if err != nil {
		return err
	}
	if pending {
		return errors.New("the database has pending migrations; run `balance migrate up` first")
	}
	return nil
}

func cmdCrypto(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := newFlags("crypto")
	batch := fs.Int("batch", 500, "rotate: `N` rows per transaction")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (rest[0] != "genkey" && rest[0] != "rotate") {
		return fmt.Errorf("crypto: want genkey or rotate: %w", errUsage)
	}
	if rest[0] == "genkey" {
		key, err := crypto.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	}
	db, keys, err := openMigrated(ctx, *cfgFile, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.RotateP2(ctx, keys, *batch, func(p repository.RotateProgress) {
		fmt.Fprintf(stdout, "%-24s scanned %6d rows, re-encrypted %6d values\n", p.Table, p.Scanned, p.Rotated)
	})
	if err != nil {
		return fmt.Errorf("crypto rotate (safe to run again; finished rows are skipped): %w", err)
	}
	fmt.Fprintln(stdout, "rotation complete: every P2 value is encrypted with the first key; older keys may now be removed")
	return nil
}

// openMigrated opens the configured database with its keys for a one-off command, and refuses
// one whose schema is not current.
func openMigrated(ctx context.Context, cfgFile string, stderr io.Writer) (*repository.DB, *crypto.KeyRing, error) {
	cfg, err := loadConfig(cfgFile)
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(cfg.Log, stderr)
	keys, err := loadKeyRing(cfg, false, log)
	if err != nil {
		return nil, nil, err
	}
	db, err := openDB(ctx, cfg, keys, log, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := requireMigrated(ctx, db, log); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, keys, nil
}

// cmdTelegram registers the bot's webhook with Telegram: `telegram set-webhook URL`.
func cmdTelegram(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := newFlags("telegram")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 || rest[0] != "set-webhook" {
		return fmt.Errorf("telegram: want set-webhook URL: %w", errUsage)
	}
	cfg, err := loadConfig(*cfgFile)
	if err != nil {
		return err
	}
	if cfg.Telegram.BotToken == "" {
		return &configError{errors.New("config: telegram.bot_token: is required to set the webhook (BALANCE_TELEGRAM_BOT_TOKEN)")}
	}
	client, err := telegram.New(telegram.Config{
		Token: cfg.Telegram.BotToken, APIURL: cfg.Telegram.APIURL, WebhookSecret: cfg.Telegram.WebhookSecret,
	})
	if err != nil {
		return &configError{err}
	}
	if err := client.SetWebhook(ctx, rest[1]); err != nil {
		return fmt.Errorf("telegram set-webhook: %w", err)
	}
	newLogger(cfg.Log, stderr).Info("telegram webhook set", "url", rest[1])
	fmt.Fprintln(stdout, "webhook set:", rest[1])
	return nil
}
