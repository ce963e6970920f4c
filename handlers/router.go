// Package handlers serves Balance over HTTP with Gin: the public API under /api/v1, the admin API
// under /admin/api, webhooks and health; and, on a listener of their own, the metrics. Handlers
// decode and validate, call one use case, and map its error to an RFC 9457 problem response.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"balance/models"
	"balance/service/admin"
)

// Check is one readiness condition, e.g. "database" or "migrations".
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Deps is everything the router needs.
type Deps struct {
	Log            *slog.Logger
	Auth           Authenticator
	Checks         []Check
	Registry       *prometheus.Registry
	OpenAPI        []byte
	MaxBodyBytes   int64
	TrustedProxies []string
	CookieSecure   bool
	SessionTTL     time.Duration
	// Catalogue enables the public service catalogue (GET /api/v1/services, .../{slug}).
	Catalogue Catalogue
	// Slots enables GET /api/v1/services/{slug}/slots; it needs Catalogue.
	Slots SlotFinder
	// Bookings enables the booking API (/api/v1/bookings…, /api/v1/waitlist).
	Bookings Bookings
	// Payments enables the YooKassa webhook (/webhooks/yookassa), accepting notifications only
	// from WebhookCIDRs (IPs or CIDRs).
	Payments     PaymentNotifications
	WebhookCIDRs []string
	// Bot enables the Telegram webhook (/webhooks/telegram, checked with BotSecret) and deep links
	// (POST /api/v1/telegram/deep-links).
	Bot       Bot
	BotSecret SecretChecker
	// AdminResources enables the declared admin resources (/admin/api/schema, /admin/api/<name>…),
	// read through AdminRecords; the job queue (jobs) and the delivery log
	// (notification_deliveries) among them.
	AdminResources *admin.Registry
	AdminRecords   AdminRecords
	// AdminUI enables the admin panel at /admin/: the built files of admin/ (adminui.Dist()).
	AdminUI fs.FS
	// The public site's other contexts, each enabled when set.
	// Public library (content).
	// Library enables the public library (GET /api/v1/topics, /tags, /articles, /articles/{slug}).
	Library Library
	// Self-help tools.
	// Tools enables the self-help tools (/api/v1/tools…): the catalogue, runs and their results.
	Tools Tools
	// Questions and answers.
	// Questions enables anonymous questions (POST /api/v1/questions, GET .../{id}) and the
	// published answers (GET /api/v1/answers).
	Questions Questions
	// Leads and consents.
	// Leads enables the site's contact and subscription forms (POST /api/v1/leads).
	Leads Leads
	// Consents enables GET /api/v1/consents/current: the documents the forms ask agreement to.
	Consents []ConsentDocument
	// Cross-origin requests and rate limits.
	// Client accounts and the cabinet.
	// CORSOrigins are the origins (scheme://host[:port]) whose pages may call /api/v1 with
	// credentials; none by default.
	CORSOrigins []string
	// RateLimits enables the rate limits of the public POSTs, per group of routes and client address.
	RateLimits RateLimiter
	// APIDocs enables the OpenAPI viewer at /api/docs: Redoc's bundle (api.Docs).
	APIDocs fs.FS
	// ClientAccounts enables client sign-in by emailed code (/api/v1/auth/...) and the cabinet
	// (/api/v1/me...), behind the client-session middleware.
	ClientAccounts ClientAccounts
	// Cabinet: My appointments, self-help results and consents.
	// MyBookings enables /api/v1/me/appointments...: the client's bookings, managed as the
	// manage link manages them. MyRuns enables GET /api/v1/me/tool-runs; MyConsents
	// /api/v1/me/consents.... Each needs ClientAccounts.
	MyBookings MyBookings
	MyRuns     MyRuns
	MyConsents MyConsents
	// Cabinet: The diary.
	// Diary enables the client's private diary (/api/v1/me/diary...) in the cabinet.
	Diary Diary
	// Cabinet: Data export.
	// DataExports enables the client's data export (/api/v1/me/export...); it needs ClientAccounts.
	DataExports DataExports
	// Cabinet: Account deletion.
	// AccountDeletion enables the deletion of the client's account (POST /api/v1/me/delete/code,
	// DELETE /api/v1/me); it needs ClientAccounts.
	AccountDeletion AccountDeletion
	// end of the cabinet.
	// end of the public site's contexts.

	// Counts adds the job queue, failed deliveries, appointments and payments to the metrics,
	// read from the database at each scrape.
	Counts OpsCounter
}

// Router is the HTTP handler: the Gin engine, answering HEAD on every GET route.
type Router struct{ *gin.Engine }

// headKey marks (in the request's context) a HEAD request served as GET.
type headKey struct{}

// ServeHTTP serves a HEAD request as the GET of the same URL; net/http then sends the status and
// headers, Content-Length included, and drops the body, because the request it holds is still HEAD.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodHead {
		get := req.WithContext(context.WithValue(req.Context(), headKey{}, true))
		get.Method = http.MethodGet
		req = get
	}
	r.Engine.ServeHTTP(w, req)
}

// method is the request's method as the client sent it (HEAD for a HEAD served as GET).
func method(c *gin.Context) string {
	if head, _ := c.Request.Context().Value(headKey{}).(bool); head {
		return http.MethodHead
	}
	return c.Request.Method
}

func init() { gin.SetMode(gin.ReleaseMode) }

// NewRouter builds the HTTP handler with all routes and middleware.
func NewRouter(d Deps) (*Router, error) {
	if d.Bot != nil && d.BotSecret == nil {
		return nil, errors.New("router: the Telegram webhook needs BotSecret, so that only Telegram can call it")
	}
	if d.AdminResources != nil && d.AdminRecords == nil {
		return nil, errors.New("router: the admin resources need AdminRecords to read them")
	}
	if d.Slots != nil && d.Catalogue == nil {
		return nil, errors.New("router: the slots API needs Catalogue, so that only published services are offered")
	}
	allowed, err := ParseCIDRs(d.WebhookCIDRs)
	if err != nil {
		return nil, fmt.Errorf("router: webhook addresses: %w", err)
	}
	metrics, err := NewMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	if d.Counts != nil {
		if err := d.Registry.Register(newOpsCollector(d.Counts)); err != nil {
			return nil, fmt.Errorf("register database metrics: %w", err)
		}
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	r.Use(securityHeaders(), requestID(d.Log), accessLog(), metrics.middleware(), recovery(), cors(d.CORSOrigins), bodyLimit(d.MaxBodyBytes), rejectBadText())
	// limits.group(name) is the middleware of a route whose requests count in the named group.
	limits := rateLimits{limiter: d.RateLimits}
	var ui *adminUI
	if d.AdminUI != nil {
		if ui, err = newAdminUI(d.AdminUI); err != nil {
			return nil, fmt.Errorf("router: the admin panel's files: %w", err)
		}
		ui.mount(r)
	}
	r.NoRoute(func(c *gin.Context) {
		if ui != nil && deepLink(c) { // a page of the panel, e.g. /admin/appointments/<id>/show
			ui.serveIndex(c)
			return
		}
		problem(c, http.StatusNotFound, "not-found", "no such endpoint")
	})
	r.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, "method-not-allowed", "this endpoint does not accept "+method(c))
	})

	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(d.Checks))
	r.GET("/api/openapi.yaml", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/yaml", d.OpenAPI)
	})
	if d.APIDocs != nil {
		docs, err := newAPIDocs(d.APIDocs)
		if err != nil {
			return nil, fmt.Errorf("router: the OpenAPI viewer's files: %w", err)
		}
		docs.mount(r)
	}

	v1 := r.Group("/api/v1")
	if d.Catalogue != nil {
		pub := &publicServices{catalogue: d.Catalogue, slots: d.Slots}
		v1.GET("/services", pub.list)
		v1.GET("/services/:slug", pub.get)
		if d.Slots != nil {
			v1.GET("/services/:slug/slots", pub.freeSlots)
		}
	}
	if d.Bookings != nil {
		b := &publicBookings{bookings: d.Bookings}
		limited := limits.group("bookings")
		v1.POST("/bookings", limited, b.book)
		v1.GET("/bookings/:id", b.get)
		v1.POST("/bookings/:id/cancel", limited, b.cancel)
		v1.POST("/bookings/:id/reschedule", limited, b.reschedule)
		v1.GET("/bookings/:id/intake-form", b.getIntake)
		v1.PUT("/bookings/:id/intake-form", limited, b.putIntake)
		v1.POST("/waitlist", limited, b.joinWaitlist)
	}
	if d.Bot != nil {
		tg := &telegramHandlers{bot: d.Bot, secret: d.BotSecret}
		v1.POST("/telegram/deep-links", limits.group("deep_links"), tg.createDeepLink)
		r.POST("/webhooks/telegram", tg.webhook)
	}
	// The public library.
	if d.Library != nil {
		lib := &publicContent{library: d.Library}
		v1.GET("/topics", lib.topics)
		v1.GET("/tags", lib.tags)
		v1.GET("/articles", lib.articles)
		v1.GET("/articles/:slug", lib.article)
	}
	// The self-help tools.
	if d.Tools != nil {
		tools := &publicTools{tools: d.Tools}
		v1.GET("/tools", tools.list)
		v1.GET("/tools/:slug", tools.get)
		// A signed-in client's runs are theirs (the cabinet lists them); anyone else's anonymous.
		signedInOrNot := func(c *gin.Context) { c.Next() }
		if d.ClientAccounts != nil {
			signedInOrNot = (&clientAuth{accounts: d.ClientAccounts}).optionalClient()
		}
		v1.POST("/tools/:slug/runs", limits.group("tool_runs"), signedInOrNot, tools.start)
		v1.GET("/tools/runs/:id", tools.getRun)
		v1.POST("/tools/runs/:id/answers", limits.group("tool_runs"), tools.answer)
	}
	// Questions and answers.
	if d.Questions != nil {
		qa := &publicQuestions{questions: d.Questions}
		v1.POST("/questions", limits.group("questions"), qa.ask)
		v1.GET("/questions/:id", qa.follow)
		v1.GET("/answers", qa.answers)
	}
	// Leads and consents.
	if d.Leads != nil || d.Consents != nil {
		pl := &publicLeads{leads: d.Leads, consents: d.Consents}
		if d.Leads != nil {
			v1.POST("/leads", limits.group("leads"), pl.submit)
		}
		if d.Consents != nil {
			v1.GET("/consents/current", pl.current)
		}
	}
	// The client cabinet.
	if d.ClientAccounts != nil {
		ca := &clientAuth{accounts: d.ClientAccounts, secure: d.CookieSecure}
		v1.POST("/auth/code", rejectCrossSite(), ca.requestCode)
		v1.POST("/auth/verify", rejectCrossSite(), ca.verify)
		v1.POST("/auth/logout", rejectCrossSite(), ca.logout)
		v1.POST("/auth/telegram", rejectCrossSite(), ca.telegramSignIn)
		me := v1.Group("/me", ca.cabinet())
		me.GET("", ca.me)
		me.PATCH("", ca.patchMe)
		me.POST("/email", ca.changeEmail)
		me.POST("/email/confirm", ca.confirmEmail)
		// My appointments, self-help results and consents.
		my := &myCabinet{bookings: d.MyBookings, runs: d.MyRuns, consents: d.MyConsents}
		if d.MyBookings != nil {
			me.GET("/appointments", my.appointments)
			me.POST("/appointments/:id/cancel", my.cancel)
			me.POST("/appointments/:id/reschedule", my.reschedule)
			me.GET("/appointments/:id/intake-form", my.getIntake)
			me.PUT("/appointments/:id/intake-form", my.putIntake)
		}
		if d.MyRuns != nil {
			me.GET("/tool-runs", my.toolRuns)
		}
		if d.MyConsents != nil {
			me.GET("/consents", my.listConsents)
			me.POST("/consents/:type/revoke", my.revokeConsent)
		}
		// The diary.
		if d.Diary != nil {
			dy := &cabinetDiary{diary: d.Diary}
			me.POST("/diary", dy.write)
			me.GET("/diary", dy.list)
			me.GET("/diary/mood", dy.mood)
			me.GET("/diary/:id", dy.get)
			me.PUT("/diary/:id", dy.edit)
			me.DELETE("/diary/:id", dy.remove)
		}
		// Data export.
		if d.DataExports != nil {
			ex := &cabinetExports{exports: d.DataExports}
			me.POST("/export", ex.request)
			me.GET("/export", ex.latest)
			me.GET("/export/download", ex.download)
		}
		// Account deletion.
		if d.AccountDeletion != nil {
			del := &accountDeletion{del: d.AccountDeletion, auth: ca}
			me.POST("/delete/code", del.requestCode)
			me.DELETE("", del.deleteAccount)
		}
		// end of the cabinet.
	}
	// end of the public site's contexts.
	if d.Payments != nil {
		wh := &yookassaWebhook{notifications: d.Payments, allowed: allowed}
		r.POST("/webhooks/yookassa", wh.receive)
	}

	admin := r.Group("/admin/api")
	auth := &adminAuth{auth: d.Auth, secure: d.CookieSecure, ttl: d.SessionTTL}
	admin.POST("/auth/login", rejectCrossSite(), auth.login)
	admin.POST("/auth/invite/accept", rejectCrossSite(), auth.acceptInvite)
	signedIn := admin.Group("", auth.session(), csrf())
	signedIn.GET("/auth/me", auth.me)
	signedIn.POST("/auth/logout", auth.logout)
	// The steps of a two-factor sign-in take a pending session (enrolment also a full one).
	secondFactor := admin.Group("/auth/totp", auth.anySession(), csrf())
	secondFactor.POST("", auth.verifyTOTP)
	secondFactor.POST("/enrol", auth.enrolTOTP)
	secondFactor.POST("/enrol/confirm", auth.confirmTOTP)
	if d.AdminResources != nil {
		res := &adminResources{reg: d.AdminResources, records: d.AdminRecords}
		res.mount(signedIn.Group("", RequireRole(models.StaffRoles...)))
		mountPreviews(signedIn.Group("", RequireRole(models.StaffRoles...)), d.AdminRecords)
	}
	return &Router{r}, nil
}
