package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/events"
	"balance/handlers"
	"balance/integrations/email"
	"balance/integrations/email/emailtest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/crm"
	"balance/service/notify"
)

// leadsMessage is what a visitor writes about their state: P2, so it must be found nowhere in
// plain text.
const leadsMessage = "Мне тревожно по ночам, не сплю третью неделю"

type leadsEnv struct {
	s      *server
	r      *gin.Engine
	db     *repository.DB
	outbox *events.Outbox
	smtp   *emailtest.Server
	leads  *repository.Leads
}

// leadsSetup serves the lead form over db. With workers, the job queue runs the owner's email
// (through the real notifier, to a fake SMTP server) and the timeline; without, jobs are only
// queued.
func leadsSetup(t *testing.T, db *repository.DB, workers int) *leadsEnv {
	t.Helper()
	e := &leadsEnv{db: db, leads: repository.NewLeads(db)}
	clock := testkit.NewClock(t0)
	e.outbox, e.smtp = notifyingOutbox(t, db, workers, clock)
	capture := crm.NewCapture(crm.CaptureStores{
		Tx: db, Leads: e.leads, Timeline: repository.NewLeadTimeline(db),
		Submissions: repository.NewLeadSubmissions(db), Users: repository.NewUsers(db),
	}, clock)
	e.s, e.r = newServer(t, db, options{adminResources: true, leads: capture, consents: []handlers.ConsentDocument{
		{Type: models.ConsentPersonalData, Version: "2026-01", URL: "/documents/personal-data", Required: true},
		{Type: models.ConsentCommunications, Version: "2026-02", URL: "/documents/communications"},
	}})
	e.s.staff(t, "owner@example.org", models.RoleOwner)
	return e
}

// notifyingOutbox makes the durable outbox db's publisher, with the real notifier (sending to a
// fake SMTP server, which it returns) and the CRM timeline subscribed. With workers, the job queue
// runs; without, jobs are only queued.
func notifyingOutbox(t *testing.T, db *repository.DB, workers int, clock *testkit.Clock) (*events.Outbox, *emailtest.Server) {
	t.Helper()
	smtp := emailtest.New(t, emailtest.Options{Username: "mailer", Password: "smtp-secret"})
	mail, err := email.New(email.Config{
		Host: smtp.Host(), Port: smtp.Port(), Username: "mailer", Password: "smtp-secret",
		From: "hello@balance.example", TLSConfig: smtp.ClientTLSConfig(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	subs := events.NewSubscriptions()
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), subs, events.OutboxConfig{
		Workers: workers, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, PollInterval: 20 * time.Millisecond,
	}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(notify.NewStores(db), mail, nil, outbox, clock, notify.Config{SiteURL: "https://balance.example"}, testkit.Logger(t))
	if err := n.Register(subs); err != nil {
		t.Fatal(err)
	}
	if err := crm.Register(subs, repository.NewLeadTimeline(db), repository.NewAppointments(db), repository.NewPayments(db), clock); err != nil {
		t.Fatal(err)
	}
	db.SetPublisher(outbox)
	if err := outbox.Init(); err != nil {
		t.Fatal(err)
	}
	if workers > 0 {
		runCtx, cancel := context.WithCancel(context.Background())
		if err := outbox.Start(runCtx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cancel()
			outbox.Stop(context.Background())
		})
	}
	return outbox, smtp
}

var leadsConsents = []map[string]string{{"type": "personal_data", "version": "2026-01"}}

// submit sends a form and returns the lead's id.
func (e *leadsEnv) submit(t *testing.T, body map[string]any) uuid.UUID {
	t.Helper()
	if _, ok := body["consents"]; !ok {
		body["consents"] = leadsConsents
	}
	r := e.s.api.Do("POST", "/api/v1/leads", body)
	var out struct {
		ID uuid.UUID `json:"id"`
	}
	r.JSON(t, &out)
	if r.Status != http.StatusCreated || out.ID == uuid.Nil || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("submit %v = %d %s", body, r.Status, r.Body)
	}
	return out.ID
}

// identities lists a lead's identities as kind:value.
func (e *leadsEnv) identities(t *testing.T, id uuid.UUID) map[string]bool {
	t.Helper()
	l, err := e.leads.ByID(context.Background(), id)
	if err != nil {
		t.Fatalf("lead %s: %v", id, err)
	}
	out := map[string]bool{}
	for _, i := range l.Identities {
		out[string(i.Kind)+":"+i.Value] = true
	}
	return out
}

func (e *leadsEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Gorm.Raw(sql, args...).Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLeadFormMergesIdentities: a phone, then the phone and an email, then the email alone land on
// one lead; a lead known by a phone and another known by an email become one when a form names
// both; two leads of two client accounts stay apart. The answer is the lead's id every time; each
// form is in the timeline (with its source, without its message), its message stored only
// encrypted; consents go to the email's client account, or without an email to the timeline.
func TestLeadFormMergesIdentities(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := leadsSetup(t, db, 0)

		steps := []struct {
			name string
			body map[string]any
			lead string // the lead the form must land on: a new one the first time a name appears
			has  []string
		}{
			{"phone only", map[string]any{"name": "Анна", "phone": "8 (999) 123-45-67", "message": leadsMessage}, "A", []string{"phone:+79991234567"}},
			{"phone and email", map[string]any{"phone": "+7 999 123 45 67", "email": "Anna@Example.org", "source": "contact_form"}, "A",
				[]string{"phone:+79991234567", "email:anna@example.org"}},
			{"email only", map[string]any{"email": "anna@example.org", "telegram": "@Anna_K"}, "A",
				[]string{"phone:+79991234567", "email:anna@example.org", "telegram_username:anna_k"}},
			{"another phone", map[string]any{"phone": "+79990000001"}, "L1", []string{"phone:+79990000001"}},
			{"another email", map[string]any{"email": "boris@example.org", "source": "subscription",
				"consents": []map[string]string{{"type": "personal_data", "version": "2026-01"}, {"type": "communications", "version": "2026-02"}}},
				"L2", []string{"email:boris@example.org"}},
			{"phone of L1, email of L2", map[string]any{"phone": "+79990000001", "email": "boris@example.org"}, "L1",
				[]string{"phone:+79990000001", "email:boris@example.org"}},
			{"emails of two accounts", map[string]any{"email": "anna@example.org", "phone": "+79990000001"}, "A",
				[]string{"phone:+79991234567", "email:anna@example.org", "telegram_username:anna_k"}},
		}
		leads := map[string]uuid.UUID{}
		for _, st := range steps {
			id := e.submit(t, st.body)
			if want, ok := leads[st.lead]; ok && id != want {
				t.Fatalf("%s: lead %s, want %s (%s)", st.name, id, st.lead, want)
			} else if !ok {
				for name, other := range leads {
					if other == id {
						t.Fatalf("%s: joined lead %s, want a new one", st.name, name)
					}
				}
				leads[st.lead] = id
			}
			got := e.identities(t, id)
			for _, h := range st.has {
				if !got[h] {
					t.Errorf("%s: lead lacks %s: %v", st.name, h, got)
				}
			}
			if len(got) != len(st.has) {
				t.Errorf("%s: identities %v, want %v", st.name, got, st.has)
			}
		}
		first := leads["A"]
		if _, err := e.leads.ByID(ctx, leads["L2"]); err == nil {
			t.Error("the merged lead still exists")
		}
		if n := e.count(t, "SELECT count(*) FROM leads"); n != 2 {
			t.Errorf("%d leads, want two", n)
		}

		// Every form is in its lead's history, with its source and never its message; the first
		// (no email) keeps its consents there.
		timeline := repository.NewLeadTimeline(db)
		forms := func(id uuid.UUID) []models.LeadTimelineEvent {
			entries, err := timeline.ListByLead(ctx, id, repository.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var out []models.LeadTimelineEvent
			for _, en := range entries {
				if en.Kind == "lead.form_submitted" {
					out = append(out, en)
				}
			}
			return out
		}
		a, l1 := forms(first), forms(leads["L1"])
		if len(a) != 4 || len(l1) != 3 {
			t.Fatalf("form entries: %d on A, %d on L1; want 4 and 3", len(a), len(l1))
		}
		if a[0].Data["source"] != "contact_form" || a[0].Data["consents"] == nil || a[1].Data["consents"] != nil {
			t.Errorf("timeline entries %+v / %+v", a[0].Data, a[1].Data)
		}
		if n := e.count(t, "SELECT count(*) FROM lead_timeline_events WHERE kind = 'lead.merged'"); n != 1 {
			t.Errorf("%d merge entries", n)
		}

		// The message: a Fernet token in the table, plain for the owner through the store, and in
		// no other table or job.
		var stored string
		if err := db.Gorm.Raw("SELECT message FROM lead_submissions WHERE message IS NOT NULL").Row().Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "gAAAAA") || strings.Contains(stored, "тревожно") {
			t.Errorf("message stored as %q", stored)
		}
		subs, err := repository.NewLeadSubmissions(db).ByLead(ctx, first)
		if moved, err := repository.NewLeadSubmissions(db).ByLead(ctx, leads["L1"]); err != nil || len(moved) != 3 {
			t.Errorf("the merged lead's forms did not move: %d (%v)", len(moved), err)
		}
		if err != nil || len(subs) != 4 || subs[0].Message == nil || *subs[0].Message != leadsMessage || subs[0].Name != "Анна" {
			t.Fatalf("submissions %+v (%v)", subs, err)
		}
		for _, q := range []string{
			"SELECT count(*) FROM lead_timeline_events WHERE CAST(data AS TEXT) LIKE ?",
			"SELECT count(*) FROM river_job WHERE CAST(args AS TEXT) LIKE ?",
			"SELECT count(*) FROM leads WHERE notes LIKE ?",
		} {
			if n := e.count(t, q, "%тревожно%"); n != 0 {
				t.Errorf("%s: the message is there in plain text", q)
			}
		}

		// Consents: on the client account of each email, with the form as source.
		users := repository.NewUsers(db)
		for _, tc := range []struct {
			email   models.Email
			comms   bool
			persona string
		}{{"anna@example.org", false, "2026-01"}, {"boris@example.org", true, "2026-01"}} {
			u, err := users.ByEmail(ctx, tc.email)
			if err != nil {
				t.Fatalf("%s: %v", tc.email, err)
			}
			c := u.ActiveConsent(models.ConsentPersonalData)
			if c == nil || c.Version != tc.persona || !strings.HasPrefix(c.Source, "site_form:") {
				t.Errorf("%s: personal data consent %+v", tc.email, c)
			}
			if (u.ActiveConsent(models.ConsentCommunications) != nil) != tc.comms {
				t.Errorf("%s: communications consent %v", tc.email, u.ActiveConsent(models.ConsentCommunications))
			}
		}
		// Each lead is its email's account's.
		for lead, mail := range map[string]models.Email{"A": "anna@example.org", "L1": "boris@example.org"} {
			l, _ := e.leads.ByID(ctx, leads[lead])
			if u, _ := users.ByEmail(ctx, mail); l.UserID == nil || *l.UserID != u.ID {
				t.Errorf("lead %s user %v", lead, l.UserID)
			}
		}

		// The owner's email is queued once per form.
		jobs, err := e.outbox.Jobs(ctx, "available", 100)
		if err != nil {
			t.Fatal(err)
		}
		alerts := 0
		for _, j := range jobs {
			if j.Event == "lead.form_submitted" && j.Subscriber == notify.AlertsSubscriber {
				alerts++
			}
		}
		if alerts != len(steps) {
			t.Errorf("%d owner alert jobs, want %d", alerts, len(steps))
		}
	})
}

// TestLeadOwnerEmailThroughTheJobQueue: the owner's email about a form goes through the job queue
// and SMTP, names the person and their contacts and links to the lead's page — never the message.
func TestLeadOwnerEmailThroughTheJobQueue(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := leadsSetup(t, db, 2)
		id := e.submit(t, map[string]any{"name": "Анна <b>", "email": "anna@example.org", "phone": "+79991234567", "message": leadsMessage})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		msgs, err := e.smtp.Wait(ctx, 1)
		if err != nil {
			t.Fatalf("the owner's email never arrived: %v", err)
		}
		p, err := msgs[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if msgs[0].To[0] != "owner@example.org" || p.Subject != "Новая заявка с сайта: Анна <b>" {
			t.Errorf("to %v subject %q", msgs[0].To, p.Subject)
		}
		for _, want := range []string{"Анна <b>", "email anna@example.org, телефон +79991234567", "форма обратной связи",
			"https://balance.example/admin/leads/" + id.String() + "/show"} {
			if !strings.Contains(p.Text, want) {
				t.Errorf("text lacks %q:\n%s", want, p.Text)
			}
		}
		if strings.Contains(string(msgs[0].Raw), "тревожно") || strings.Contains(p.Text, "тревожно") || strings.Contains(p.HTML, "<b>") {
			t.Errorf("the email carries the message or unescaped HTML:\n%s", p.HTML)
		}
	})
}

// TestLeadFormRejects: hostile or incomplete forms answer 4xx problems naming the field, never 500,
// and change nothing.
func TestLeadFormRejects(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := leadsSetup(t, db, 0)
		personal := []map[string]string{{"type": "personal_data", "version": "2026-01"}}
		for _, tc := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"no contact", map[string]any{"name": "Анна", "consents": personal}, 422, "contact"},
			{"bad email", map[string]any{"email": "anna@", "consents": personal}, 422, "email"},
			{"bad phone", map[string]any{"phone": "call me", "consents": personal}, 422, "phone"},
			{"bad telegram", map[string]any{"telegram": "@a b", "consents": personal}, 422, "telegram"},
			{"no consents", map[string]any{"email": "a@example.org"}, 422, "consents"},
			{"no personal data consent", map[string]any{"email": "a@example.org", "consents": []map[string]string{{"type": "communications", "version": "1"}}}, 422, "consents"},
			{"subscription without communications", map[string]any{"email": "a@example.org", "source": "subscription", "consents": personal}, 422, "consents"},
			{"consent twice", map[string]any{"email": "a@example.org", "consents": []map[string]string{personal[0], personal[0]}}, 422, "consents[1].type"},
			{"unknown consent", map[string]any{"email": "a@example.org", "consents": []map[string]string{{"type": "telegram", "version": "1"}}}, 422, "consents[0].type"},
			{"bad source", map[string]any{"email": "a@example.org", "source": "Bad Source!", "consents": personal}, 422, "source"},
			{"long message", map[string]any{"email": "a@example.org", "message": strings.Repeat("я", 5001), "consents": personal}, 422, "message"},
			{"long utm", map[string]any{"email": "a@example.org", "utm": map[string]string{"source": strings.Repeat("x", 257)}, "consents": personal}, 422, "utm.source"},
			{"unknown field", map[string]any{"email": "a@example.org", "admin": true, "consents": personal}, 422, "admin"},
			{"name of the wrong type", map[string]any{"name": 42, "email": "a@example.org", "consents": personal}, 422, "name"},
			{"NUL in the message", `{"email":"a@example.org","message":"a\u0000b","consents":[{"type":"personal_data","version":"1"}]}`, 422, ""},
			{"malformed JSON", `{"email":`, 400, ""},
			{"two JSON values", `{} {}`, 400, ""},
			{"array", `[]`, 422, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.s.api.Do("POST", "/api/v1/leads", tc.body)
				p := r.Problem(t)
				if r.Status != tc.status || p.Status != tc.status {
					t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
				}
				if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
					t.Errorf("errors %+v, want %s", p.Errors, tc.field)
				}
			})
		}
		r := e.s.api.Do("POST", "/api/v1/leads", nil, http.Header{"Content-Type": {"text/plain"}})
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("no body: %d", r.Status)
		}
		if n := e.count(t, "SELECT count(*) FROM leads"); n != 0 {
			t.Errorf("%d leads after rejected forms", n)
		}
		if n := e.count(t, "SELECT count(*) FROM users WHERE email LIKE 'a@%'"); n != 0 {
			t.Errorf("%d users after rejected forms", n)
		}
	})
}

// TestCurrentConsents: the configured documents, cacheable.
func TestCurrentConsents(t *testing.T) {
	t.Parallel()
	e := leadsSetup(t, testkit.NewDB(t, "sqlite"), 0)
	r := e.s.api.Do("GET", "/api/v1/consents/current", nil)
	var out struct {
		Documents []handlers.ConsentDocument `json:"documents"`
	}
	r.JSON(t, &out)
	if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
	}
	if len(out.Documents) != 2 || out.Documents[0].Type != models.ConsentPersonalData || !out.Documents[0].Required ||
		out.Documents[1].Version != "2026-02" || out.Documents[1].URL != "/documents/communications" || out.Documents[1].Required {
		t.Errorf("documents %+v", out.Documents)
	}
	if r := e.s.api.Do("HEAD", "/api/v1/consents/current", nil); r.Status != http.StatusOK {
		t.Errorf("HEAD %d", r.Status)
	}
}

// TestLeadMessageIsTheOwnersInTheAdmin: in the admin panel the form's message is the owner's alone
// (each read audited); the assistant sees the form without it, and no list carries it.
func TestLeadMessageIsTheOwnersInTheAdmin(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := leadsSetup(t, db, 0)
		lead := e.submit(t, map[string]any{"name": "Анна", "phone": "+79991234567", "message": leadsMessage})
		owner := testkit.NewAPI(t, e.r)
		if r := owner.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": password}); r.Status != http.StatusOK {
			t.Fatalf("owner login %d", r.Status)
		}
		assistant, _ := jobsSignIn(t, e.s, e.r, models.RoleAssistant)
		for _, c := range []*testkit.API{owner, assistant} {
			recs, _ := adminList(t, c, "lead_submissions", adminQuery("filter", `{"lead_id":"`+lead.String()+`"}`))
			if len(recs) != 1 || recs[0]["name"] != "Анна" || recs[0]["message"] != nil {
				t.Fatalf("list %v", recs)
			}
		}
		subs, err := repository.NewLeadSubmissions(db).ByLead(context.Background(), lead)
		if err != nil || len(subs) != 1 {
			t.Fatal(subs, err)
		}
		path := "/admin/api/lead_submissions/" + subs[0].ID.String()
		var rec map[string]any
		r := owner.Do("GET", path, nil)
		r.JSON(t, &rec)
		if r.Status != http.StatusOK || rec["message"] != leadsMessage {
			t.Errorf("owner reads %d %v", r.Status, rec)
		}
		rec = nil
		r = assistant.Do("GET", path, nil)
		r.JSON(t, &rec)
		if _, ok := rec["message"]; r.Status != http.StatusOK || ok {
			t.Errorf("assistant reads %d %v", r.Status, rec)
		}
		if n := e.count(t, "SELECT count(*) FROM audit_logs WHERE resource = 'lead_submissions' AND action = 'read'"); n != 1 {
			t.Errorf("%d audited reads, want the owner's one", n)
		}
	})
}
