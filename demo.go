package main

// The demo command: the real server on a local database, with one bookable service and a YooKassa
// simulator mounted beside the API, so that a newcomer can book and "pay" end to end with curl.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"balance/config"
	"balance/crypto"
	"balance/handlers"
	"balance/integrations/email"
	"balance/integrations/yookassa"
	"balance/integrations/yookassa/yookassasim"
	"balance/models"
	"balance/repository"
	"balance/service"
)

const (
	demoServiceSlug = "individual-session"
	demoZone        = "Europe/Moscow"
	// The simulator accepts these credentials and no others; they protect nothing real.
	demoShopID    = "demo-shop"
	demoSecretKey = "demo-secret-key"
	// demoSimPath is where the simulator is mounted: its API under /v3, its checkout page under
	// /checkout/{id}.
	demoSimPath = "/demo/yookassa"
	// demoPaidPath is the return URL: where the checkout page sends the payer afterwards.
	demoPaidPath = "/demo/paid"
)

// demoWebhookCIDRs are where the simulator's notifications come from: this machine.
var demoWebhookCIDRs = []string{"127.0.0.1/32", "::1/128"}

// cmdDemo serves the normal router with seeded data, the simulator under /demo/yookassa/ and the
// job workers, until ctx ends.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := newFlags("demo")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address `HOST:PORT` (port 0 picks a free port)")
	dbURL := fs.String("db", "sqlite:./data/demo.db", "database `URL`: sqlite:<path> or postgres://...")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("demo: unexpected argument %q: %w", rest[0], errUsage)
	}
	cfg, err := demoConfig(*cfgFile, *addr, *dbURL)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)

	// Listen first: the payment URLs must name the real port, which --addr :0 leaves open.
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	defer ln.Close() // serveHTTP closes it too; this covers the early returns
	base, host := demoBaseURL(ln.Addr())
	cfg.HTTP.Addr = ln.Addr().String()
	// Email goes to the log; Telegram and Google Calendar stay off, whatever the configuration says.
	cfg.SMTP.Host, cfg.Telegram.BotToken, cfg.GCal.CredentialsFile = "", "", ""
	cfg.Notify.SiteURL = base
	cfg.YooKassa.ShopID, cfg.YooKassa.SecretKey = demoShopID, demoSecretKey
	cfg.YooKassa.APIURL, cfg.YooKassa.ReturnURL = base+demoSimPath+"/v3", base+demoPaidPath
	if !host.IsLoopback() {
		// Bound to one outside address, the server reaches itself from that address.
		cfg.YooKassa.WebhookCIDRs = append(cfg.YooKassa.WebhookCIDRs, host.String())
	}
	log.Info("starting balance demo", "version", buildVersion(), "config", cfg)
	log.Info("demo: emails are written to this log instead of SMTP; Telegram and Google Calendar are off")

	// Our real YooKassa client, talking to the simulator over HTTP like to the real API.
	provider, err := yookassa.New(yookassa.Config{
		ShopID: cfg.YooKassa.ShopID, SecretKey: cfg.YooKassa.SecretKey,
		APIURL: cfg.YooKassa.APIURL, ReturnURL: cfg.YooKassa.ReturnURL,
	})
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, log, true, cfg.Jobs.Workers, withPaymentProvider(yookassa.Gateway{Client: provider}),
		withMailer(email.LogSender{Log: log.With("component", "email")}))
	if err != nil {
		return err
	}
	defer a.close()
	if err := seedDemo(ctx, a.db, service.SystemClock{}.Now(), log); err != nil {
		return err
	}
	staff, err := seedDemoStaff(ctx, a.db, service.SystemClock{}.Now(), log)
	if err != nil {
		return err
	}
	if err := seedDemoSite(ctx, a.db, service.SystemClock{}.Now(), log); err != nil {
		return err
	}
	if err := a.startJobs(ctx); err != nil {
		return err
	}
	defer a.stopJobs(cfg.HTTP.ShutdownTimeout)

	router, err := handlers.NewRouter(routerDeps(a))
	if err != nil {
		return err
	}
	sim := yookassasim.New(yookassasim.Config{
		ShopID: demoShopID, SecretKey: demoSecretKey,
		BaseURL:   base + demoSimPath,
		NotifyURL: base + "/webhooks/yookassa",
		Log:       log.With("component", "yookassasim"),
	})
	defer sim.Close() // whatever is still queued once the server has stopped cannot be delivered
	router.Any(demoSimPath+"/*path", gin.WrapH(http.StripPrefix(demoSimPath, sim)))
	router.GET(demoPaidPath, demoPaidPage(base))

	log.Info("demo ready", "url", base,
		"services", base+"/api/v1/services",
		"bookings", base+"/api/v1/bookings",
		"checkout", base+demoSimPath+"/checkout/{payment_id}",
		"webhook", base+"/webhooks/yookassa",
		"return_url", base+demoPaidPath,
		"job_workers", cfg.Jobs.Workers)
	// The walk-through is for the person at the terminal: plain text on stdout, apart from the
	// JSON log lines on stderr.
	fmt.Fprint(stdout, demoWalkthrough(base, time.Now()))
	fmt.Fprint(stdout, demoStaffText(base, staff))
	// The server goes on listening after ctx ends until the simulator has delivered the
	// notifications it owes (within the shutdown timeout): they are only in its memory.
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	go func() {
		select {
		case <-ctx.Done():
		case <-serveCtx.Done():
			return
		}
		flushCtx, cancel := context.WithTimeout(serveCtx, cfg.HTTP.ShutdownTimeout)
		defer cancel()
		if err := sim.Flush(flushCtx); err != nil {
			log.Warn("demo: stopping with payment notifications undelivered", "error", err.Error())
		}
		stopServing()
	}()
	if err := serveHTTP(serveCtx, newHTTPServer(cfg.HTTP, router, log), ln, cfg.HTTP.ShutdownTimeout); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// demoConfig is the configuration as serve loads it, with what the demo decides overridden: its
// database and address, a session cookie usable over plain http, sign-in with a password alone,
// and payments through the local simulator (its URLs are filled in once the port is known).
func demoConfig(file, addr, dbURL string) (config.Config, error) {
	cfg, err := readConfig(file)
	if err != nil {
		return cfg, err
	}
	cfg.HTTP.Addr = addr
	cfg.Database.URL = dbURL
	cfg.Auth.CookieSecure = false
	cfg.Auth.RequireTOTP = []string{"none"}
	cfg.YooKassa = config.YooKassa{APIURL: yookassa.DefaultAPIURL, WebhookCIDRs: demoWebhookCIDRs}
	if err := cfg.Validate(); err != nil {
		return cfg, &configError{err}
	}
	return cfg, nil
}

// demoBaseURL is the root URL the demo reaches itself at, and the address in it: the listening
// address, or loopback when listening on every address.
func demoBaseURL(addr net.Addr) (string, netip.Addr) {
	ap, err := netip.ParseAddrPort(addr.String())
	host := ap.Addr().Unmap()
	if err != nil || host.IsUnspecified() {
		host = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return "http://" + netip.AddrPortFrom(host, ap.Port()).String(), host
}

// demoServiceDetails describe the demo's one service.
func demoServiceDetails() models.ServiceDetails {
	hours := func(h int) *int { return &h }
	return models.ServiceDetails{
		Slug:  demoServiceSlug,
		Title: "Индивидуальная консультация",
		DescriptionMarkdown: "Демонстрационная услуга: 50 минут онлайн или очно. Оплата проходит через " +
			"локальный симулятор ЮKassa, деньги не списываются.",
		Format:             models.ServiceFormatHybrid,
		DurationMinutes:    50,
		BufferMinutes:      10,
		Price:              models.Money{Minor: 500000, Currency: models.CurrencyRUB},
		CancelFreeHours:    hours(24),
		CancelPartialHours: hours(12),
		RescheduleMinHours: hours(12),
		Timezone:           demoZone,
	}
}

// seedDemo creates the published demo service with its hours, Monday to Friday 10:00–19:00
// Moscow time, unless a service with its slug exists: a second run changes nothing, and neither
// does a service the user has edited since.
func seedDemo(ctx context.Context, db *repository.DB, now time.Time, log *slog.Logger) error {
	services, availability := repository.NewServices(db), repository.NewAvailability(db)
	var existing *models.Service
	err := db.InTx(ctx, func(ctx context.Context) error {
		var err error
		existing, err = services.BySlug(ctx, demoServiceSlug)
		if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		svc, err := models.NewService(demoServiceDetails(), now)
		if err != nil {
			return err
		}
		if err := svc.Publish(now); err != nil {
			return err
		}
		if err := services.Create(ctx, svc); err != nil {
			return err
		}
		for weekday := 1; weekday <= 5; weekday++ {
			rule, err := models.NewAvailabilityRule(&svc.ID, weekday, 10*60, 19*60, demoZone, nil, nil, now)
			if err != nil {
				return err
			}
			if err := availability.CreateRule(ctx, rule); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	if existing != nil {
		log.Info("demo data already present, left as it is", "service", existing.Slug, "status", existing.Status)
		return nil
	}
	log.Info("demo data seeded", "service", demoServiceSlug, "formats", "online, offline",
		"duration_minutes", 50, "buffer_minutes", 10, "price", "5000.00 RUB",
		"hours", "Monday–Friday 10:00–19:00 "+demoZone, "status", models.PublicationPublished)
	return nil
}

// demoAccount is a staff account of the demo, with the password it got at this start.
type demoAccount struct {
	Email    string
	Role     models.Role
	Password string
}

// demoStaffEmails are the demo's staff accounts, one per role (the demo signs in without TOTP).
var demoStaffEmails = []struct {
	email string
	role  models.Role
	name  string
}{
	{"owner@example.com", models.RoleOwner, "Психолог (демо)"},
	{"assistant@example.com", models.RoleAssistant, "Ассистент (демо)"},
	{"editor@example.com", models.RoleEditor, "Редактор (демо)"},
}

// seedDemoStaff makes sure the demo's owner, assistant and editor exist and gives each a fresh
// random password at every start. The passwords go to the terminal only (never to the log), and
// the previous start's stop working.
func seedDemoStaff(ctx context.Context, db *repository.DB, now time.Time, log *slog.Logger) ([]demoAccount, error) {
	users := repository.NewUsers(db)
	out := make([]demoAccount, 0, len(demoStaffEmails))
	for _, s := range demoStaffEmails {
		email, err := models.ParseEmail(s.email)
		if err != nil {
			return nil, err
		}
		password := demoPassword()
		hash, err := crypto.HashPassword(password, crypto.DefaultPasswordParams)
		if err != nil {
			return nil, fmt.Errorf("demo staff %s: %w", s.role, err)
		}
		existing, err := users.ByEmail(ctx, email)
		switch {
		case errors.Is(err, models.ErrNotFound):
			u, err := models.NewStaffUser(email, s.name, s.role, hash, now)
			if err == nil {
				err = users.Create(ctx, u)
			}
			if err != nil {
				return nil, fmt.Errorf("demo staff %s: %w", s.role, err)
			}
		case err != nil:
			return nil, fmt.Errorf("demo staff %s: %w", s.role, err)
		default:
			err := users.Update(ctx, existing.ID, func(u *models.User) error { return u.SetPasswordHash(hash, now) })
			if err != nil {
				return nil, fmt.Errorf("demo staff %s: %w", s.role, err)
			}
		}
		out = append(out, demoAccount{Email: s.email, Role: s.role, Password: password})
	}
	log.Info("demo staff accounts ready; their passwords are printed on the terminal", "owner", demoStaffEmails[0].email,
		"assistant", demoStaffEmails[1].email, "editor", demoStaffEmails[2].email)
	return out, nil
}

// demoPassword is a random password of three groups of four letters and digits (about 62 bits).
func demoPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 14)
	for i := range b {
		if i == 4 || i == 9 {
			b[i] = '-'
			continue
		}
		var r [1]byte
		for {
			_, _ = rand.Read(r[:]) // crypto/rand.Read never fails
			if int(r[0]) < 256-256%len(alphabet) {
				break
			}
		}
		b[i] = alphabet[int(r[0])%len(alphabet)]
	}
	return string(b)
}

// demoStaffText tells the person at the terminal how to open the admin panel.
func demoStaffText(base string, staff []demoAccount) string {
	var b strings.Builder
	b.WriteString("Admin panel: " + base + "/admin/ — sign in as (passwords are new at every start):\n\n")
	for _, a := range staff {
		fmt.Fprintf(&b, "  %-10s %-24s %s\n", a.Role, a.Email, a.Password)
	}
	b.WriteString("\n")
	return b.String()
}

// demoPaidPage is the return URL: the checkout page sends the payer back here whether they paid or
// gave up, as YooKassa does, so the page tells how to look at the booking rather than guess.
func demoPaidPage(base string) gin.HandlerFunc {
	text := "Balance demo: back from the payment page (simulated, no money moved).\n\n" +
		"The simulator has told " + base + "/webhooks/yookassa what happened: a paid booking is now\n" +
		"confirmed, a declined one canceled. See it with the id and manage_token of the booking's answer:\n\n" +
		"  curl -H 'X-Manage-Token: <manage_token>' " + base + "/api/v1/bookings/<id>\n"
	return func(c *gin.Context) { c.String(http.StatusOK, text) }
}

// demoWalkthrough is the README's curl walk-through, printed at start with this run's address and
// a date range that holds working days at least a day ahead (cancelling those refunds in full).
func demoWalkthrough(base string, now time.Time) string {
	loc, err := time.LoadLocation(demoZone)
	if err != nil {
		loc = time.UTC
	}
	from := now.In(loc).AddDate(0, 0, 2)
	r := strings.NewReplacer("BASE", base,
		"FROMDATE", from.Format(time.DateOnly), "TODATE", from.AddDate(0, 0, 6).Format(time.DateOnly),
		"TODAY", now.UTC().Format(time.DateOnly))
	return r.Replace(`
Balance demo at BASE — book and "pay" with curl (README.md, "Try it: the demo", explains each step):

  # 1. the published services
  curl BASE/api/v1/services

  # 2. free slots (hours are Monday–Friday 10:00–19:00 Moscow time), shown in Berlin time
  curl 'BASE/api/v1/services/individual-session/slots?from=FROMDATE&to=TODATE&tz=Europe/Berlin'

  # 3. book one: put a slot's "start" below; the answer has id, manage_token and payment.confirmation_url
  curl -X POST BASE/api/v1/bookings -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \
    -d '{"service_slug":"individual-session","start":"<slot start>","format":"online",
         "client":{"name":"Анна","email":"anna@example.com"},
         "consents":[{"type":"personal_data","version":"2026-01"}]}'

  # 4. pay (or open the confirmation_url in a browser)
  curl -X POST -H 'Accept: application/json' '<confirmation_url>/pay'

  # 5. the booking is confirmed
  curl -H 'X-Manage-Token: <manage_token>' BASE/api/v1/bookings/<id>

  # 6. cancel it: the answer shows the refund
  curl -X POST -H 'X-Manage-Token: <manage_token>' BASE/api/v1/bookings/<id>/cancel

  # 7. open the admin panel and sign in as the owner below: the booking is on the dashboard
  #    («Новые записи») and in the calendar
  BASE/admin/

  # 8. the library: articles found by a Russian word, one article as safe HTML
  curl -G BASE/api/v1/articles --data-urlencode 'q=тревожность'
  curl BASE/api/v1/articles/kak-spravitsya-s-trevozhnostyu

  # 9. a self-help tool: start a run (run_id, run_token), then send the answers to get the result
  curl -X POST BASE/api/v1/tools/trevoga-samoproverka/runs -H 'Content-Type: application/json' -d '{}'
  curl -X POST BASE/api/v1/tools/runs/<run_id>/answers -H 'Content-Type: application/json' -H 'X-Run-Token: <run_token>' \
    -d '{"answers":{"nervous":"nervous-2","worry":"worry-1","relax":"relax-2","sleep":"sleep-1","harm":"harm-no"}}'

  # 10. published answers to questions; 11. a contact form (the owner's email goes to this log)
  curl BASE/api/v1/answers
  curl -X POST BASE/api/v1/leads -H 'Content-Type: application/json' \
    -d '{"name":"Мария","email":"maria@example.com","source":"contact_form","consents":[{"type":"personal_data","version":"2026-01"}]}'

  # 12. sign in as a client: the code is in this log («Код для входа: …»)
  curl -X POST BASE/api/v1/auth/code -H 'Content-Type: application/json' -d '{"email":"maria@example.com"}'
  curl -X POST BASE/api/v1/auth/verify -H 'Content-Type: application/json' -d '{"email":"maria@example.com","code":"<code>","session":"token"}'
  curl -H 'Authorization: Bearer <token>' BASE/api/v1/me

  # 13. the cabinet: a private diary entry, the diary, a data export (its link comes by email, here the log)
  curl -X POST BASE/api/v1/me/diary -H 'Authorization: Bearer <token>' -H 'Content-Type: application/json' \
    -d '{"date":"TODAY","body":"Спокойный день","mood":7,"tags":["сон"]}'
  curl -H 'Authorization: Bearer <token>' BASE/api/v1/me/diary
  curl -X POST -H 'Authorization: Bearer <token>' BASE/api/v1/me/export

  # the whole API, browsable: BASE/api/docs

`)
}
