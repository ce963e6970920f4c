package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/api"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/admin"
)

// adminRoleMatrix is the role matrix of docs/architecture.md for the declared resources, written
// out independently of the declarations: status of list and show per role. A resource declared
// without a row here fails TestAdminResourceRoleMatrix.
var adminRoleMatrix = map[string]map[string]int{
	"services":                {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"availability_rules":      {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"availability_exceptions": {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"appointments":            {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"intake_forms":            {"owner": 200, "assistant": 403, "editor": 403, "anonymous": 401},
	"waitlist_entries":        {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"payments":                {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"refunds":                 {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"leads":                   {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"lead_identities":         {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"lead_timeline_events":    {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"lead_submissions":        {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"questions":               {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"answers":                 {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"moderation_items":        {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"content_items":           {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"topics":                  {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"tags":                    {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"interactive_definitions": {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"interactive_runs":        {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"message_templates":       {"owner": 200, "assistant": 200, "editor": 200, "anonymous": 401},
	"notification_deliveries": {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"users":                   {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"consents":                {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"staff":                   {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"sessions":                {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"data_export_requests":    {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"telegram_accounts":       {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"deep_links":              {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"audit_logs":              {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
	"jobs":                    {"owner": 200, "assistant": 200, "editor": 403, "anonymous": 401},
}

type adminEnv struct {
	s       *server
	r       *gin.Engine
	clients map[string]*testkit.API
	svc     *models.Service
	draft   *models.Service
	appts   []*models.Appointment
	form    *models.IntakeForm
	db      *repository.DB
	csrf    map[string]string
	// ids holds one stored record of each resource the setup creates.
	ids map[string]string
}

// adminSetup stores two services (one published), a weekly rule, a day off, a client with a
// consent and three appointments, and one record of every other declared resource, and signs in
// an owner, an assistant and an editor.
func adminSetup(t *testing.T, db *repository.DB) *adminEnv {
	t.Helper()
	ctx := context.Background()
	s, r := newServer(t, db, options{adminResources: true})
	e := &adminEnv{s: s, r: r, db: db, csrf: map[string]string{}, clients: map[string]*testkit.API{"anonymous": testkit.NewAPI(t, r)}}
	now := t0
	services := repository.NewServices(db)
	for i, slug := range []string{"individual-session", "couples-session"} {
		svc, err := models.NewService(models.ServiceDetails{
			Slug: slug, Title: []string{"Индивидуальная консультация", "Семейная консультация"}[i],
			Format: models.ServiceFormatOnline, DurationMinutes: 50 + 30*i,
			Price: models.Money{Minor: int64(500000 + 300000*i), Currency: models.CurrencyRUB}, Timezone: "Europe/Moscow",
		}, now)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := svc.Publish(now); err != nil {
				t.Fatal(err)
			}
			e.svc = svc
		} else {
			e.draft = svc
		}
		if err := services.Create(ctx, svc); err != nil {
			t.Fatal(err)
		}
	}
	av := repository.NewAvailability(db)
	rule, err := models.NewAvailabilityRule(&e.svc.ID, 1, 10*60, 19*60, "Europe/Moscow", nil, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := av.CreateRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	off, err := models.NewAvailabilityException(&e.svc.ID, models.AvailabilityExceptionKindDayOff, day, day, nil, nil, "Europe/Moscow", "Новый год", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := av.CreateException(ctx, off); err != nil {
		t.Fatal(err)
	}
	email, err := models.ParseEmail("client@example.com")
	if err != nil {
		t.Fatal(err)
	}
	client := models.NewClientUser(email, "Анна", now)
	if err := client.GrantConsent(models.ConsentPersonalData, "v1", "site", now); err != nil {
		t.Fatal(err)
	}
	if err := repository.NewUsers(db).Create(ctx, client); err != nil {
		t.Fatal(err)
	}
	appts := repository.NewAppointments(db)
	for i := range 3 {
		a, err := models.NewAppointment(e.svc, now.Add(time.Duration(48+i*24)*time.Hour), models.MustTimeZone("Europe/Berlin"), models.AppointmentFormatOnline, &client.ID, nil, models.AppointmentMetadata{}, 15*time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := appts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		e.appts = append(e.appts, a)
	}
	form, err := models.NewIntakeForm(e.appts[0].ID, models.IntakeAnswers{"concern": "бессонница"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := repository.NewIntakeForms(db).Save(ctx, form); err != nil {
		t.Fatal(err)
	}
	e.form = form
	e.ids = adminRecords(t, db, e.svc, client, e.appts[0])
	for _, role := range []models.Role{models.RoleOwner, models.RoleAssistant, models.RoleEditor} {
		e.clients[string(role)], e.csrf[string(role)] = jobsSignIn(t, s, r, role)
	}
	return e
}

// adminRecords stores one record of each resource beyond the schedule and returns their ids.
func adminRecords(t *testing.T, db *repository.DB, svc *models.Service, client *models.User, appt *models.Appointment) map[string]string {
	t.Helper()
	ctx, now := context.Background(), t0
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{
		"services": svc.ID.String(), "appointments": appt.ID.String(), "users": client.ID.String(),
		"consents": client.Consents[0].ID.String(),
	}
	wait, err := models.NewWaitlistEntry(svc.ID, &client.ID, nil, nil, nil, nil, models.MustTimeZone("Europe/Moscow"), now)
	must(err)
	must(repository.NewWaitlist(db).Create(ctx, wait))
	ids["waitlist_entries"] = wait.ID.String()

	pay, err := models.NewPayment(appt.ID, svc.Price(), "pay-admin-test", now)
	must(err)
	must(repository.NewPayments(db).Create(ctx, pay))
	refund, err := models.NewRefund(pay.ID, svc.Price(), "refund-admin-test", "canceled by the client", now)
	must(err)
	must(repository.NewRefunds(db).Create(ctx, refund))
	ids["payments"], ids["refunds"] = pay.ID.String(), refund.ID.String()

	lead, err := models.NewLead("site", models.UTM{Source: "yandex"}, now)
	must(err)
	must(lead.AddIdentity(models.LeadIdentityKindEmail, "lead@example.com", now))
	must(repository.NewLeads(db).Create(ctx, lead))
	entry, err := models.NewLeadTimelineEvent(lead.ID, "lead.captured", now, nil, map[string]any{"source": "site"}, now)
	must(err)
	must(repository.NewLeadTimeline(db).Append(ctx, entry))
	ids["leads"], ids["lead_identities"], ids["lead_timeline_events"] = lead.ID.String(), lead.Identities[0].ID.String(), entry.ID.String()

	q, err := models.NewQuestion(&client.ID, "Как справиться с тревогой перед сном?", "", "anxiety", false, now)
	must(err)
	must(repository.NewQuestions(db).Create(ctx, q))
	ans, err := models.NewAnswer(q.ID, client.ID, "Попробуйте дыхание 4-7-8.", now)
	must(err)
	must(repository.NewAnswers(db).Create(ctx, ans))
	item, err := models.NewModerationItem(models.ModerationKindQuestion, q.ID, now)
	must(err)
	must(repository.NewModerationItems(db).Create(ctx, item))
	ids["questions"], ids["answers"], ids["moderation_items"] = q.ID.String(), ans.ID.String(), item.ID.String()

	topic, err := models.NewTopic("anxiety", "Тревога", "", 1, now)
	must(err)
	must(repository.NewTopics(db).Create(ctx, topic))
	tag, err := models.NewTag("breathing", "Дыхание", now)
	must(err)
	must(repository.NewTags(db).Create(ctx, tag))
	content, err := models.NewContentItem(models.ContentFields{Type: models.ContentTypeArticle, Slug: "sleep", Title: "Сон", TopicID: &topic.ID}, now)
	must(err)
	must(repository.NewContentItems(db).Create(ctx, content))
	ids["topics"], ids["tags"], ids["content_items"] = topic.ID.String(), tag.ID.String(), content.ID.String()

	def, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
		Type: models.InteractiveTypeNavigator, Slug: "where-to-start", Title: "С чего начать",
		Config: models.InteractiveConfig{Questions: []models.InteractiveQuestion{{ID: "q1", Text: "Что беспокоит?", Options: []models.InteractiveOption{
			{ID: "a", Text: "Сон", Profile: "sleep"}, {ID: "b", Text: "Тревога", Profile: "anxiety"},
		}}}},
	}, now)
	must(err)
	must(def.Publish(now))
	must(repository.NewInteractiveDefinitions(db).Create(ctx, def))
	run, err := models.NewInteractiveRun(def, &client.ID, nil, models.InteractiveRunMetadata{EntryPoint: "home"}, now)
	must(err)
	_, err = run.Complete(def, map[string]string{"q1": "a"}, now.Add(time.Minute))
	must(err)
	must(repository.NewInteractiveRuns(db).Create(ctx, run))
	ids["interactive_definitions"], ids["interactive_runs"] = def.ID.String(), run.ID.String()

	tpl, err := models.NewMessageTemplate("admin_test_probe", models.TemplateChannelTelegram, "ru", "", "Здравствуйте!", nil, nil, now)
	must(err)
	must(repository.NewMessageTemplates(db).Create(ctx, tpl))
	delivery, err := models.NewNotificationDelivery("admin-test:probe:email", models.TemplateChannelEmail, "booking_confirmed", &client.ID, "email:c***@example.com", &appt.ID, now)
	must(err)
	must(repository.NewDeliveries(db).Save(ctx, delivery))
	ids["message_templates"], ids["notification_deliveries"] = tpl.ID.String(), delivery.ID.String()

	export, err := models.NewDataExportRequest(client.ID, now)
	must(err)
	must(repository.NewDataExportRequests(db).Create(ctx, export))
	ids["data_export_requests"] = export.ID.String()

	account, err := models.NewTelegramAccount(424242, "anna", 424242, now)
	must(err)
	must(repository.NewTelegramAccounts(db).Create(ctx, account))
	link, err := models.NewDeepLink("admin-test-code-0123456789", models.DeepLinkPurposeSubscribe, nil, "footer", time.Hour, 1, now)
	must(err)
	must(repository.NewDeepLinks(db).Create(ctx, link))
	ids["telegram_accounts"], ids["deep_links"] = account.ID.String(), link.ID.String()

	audit, err := models.NewAuditLog(models.AuditActor{Role: "owner"}, models.AuditActionUpdate, "services", svc.ID.String(),
		map[string]models.AuditChange{"title": {From: "Старое", To: "Новое"}}, now)
	must(err)
	must(repository.NewAuditLogs(db).Append(ctx, audit))
	ids["audit_logs"] = audit.ID.String()
	return ids
}

// adminList gets a list and decodes it with its total.
func adminList(t *testing.T, c *testkit.API, resource, query string) ([]map[string]any, string) {
	t.Helper()
	r := c.Do("GET", "/admin/api/"+resource+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list %s%s: %d %s", resource, query, r.Status, r.Body)
	}
	var out []map[string]any
	r.JSON(t, &out)
	return out, r.Header.Get("Content-Range")
}

func adminQuery(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return "?" + v.Encode()
}

func TestAdminResourceRoleMatrix(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		for _, res := range admin.Resources() {
			want, ok := adminRoleMatrix[res.Name]
			if !ok {
				t.Errorf("resource %s has no row in the role matrix test", res.Name)
				continue
			}
			id, stored := e.ids[res.Name], true
			if id == "" { // any record of the resource will do; with none, an unknown id
				recs, _ := adminList(t, e.clients["owner"], res.Name, "")
				if len(recs) > 0 {
					id = fmt.Sprint(recs[0]["id"]) // a UUID, or a job's integer
				} else {
					id, stored = uuid.NewString(), false
				}
			}
			for role, status := range want {
				for i, path := range []string{"/admin/api/" + res.Name, "/admin/api/" + res.Name + "/" + id} {
					if i == 1 && !stored && status == http.StatusOK {
						status = http.StatusNotFound
					}
					r := e.clients[role].Do("GET", path, nil)
					if r.Status != status {
						t.Errorf("%s GET %s: %d, want %d (%s)", role, path, r.Status, status, r.Body)
					}
					if status != http.StatusOK {
						r.Problem(t)
					} else if i == 1 && !strings.Contains(string(r.Body), id) {
						t.Errorf("%s GET %s: not the record: %s", role, path, r.Body)
					}
				}
			}
		}
	})
}

func TestAdminSchemaFollowsTheRole(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		type schema struct {
			Resources []struct {
				Name       string   `json:"name"`
				Label      string   `json:"label"`
				Verbs      []string `json:"verbs"`
				StateField string   `json:"state_field"`
				TitleField string   `json:"title_field"`
				Fields     []struct {
					Name    string `json:"name"`
					Type    string `json:"type"`
					Choices []struct {
						Value, Label string
					} `json:"choices"`
				} `json:"fields"`
			} `json:"resources"`
		}
		get := func(role string) schema {
			r := e.clients[role].Do("GET", "/admin/api/schema", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s schema: %d %s", role, r.Status, r.Body)
			}
			var s schema
			r.JSON(t, &s)
			return s
		}
		owner := get("owner")
		var names []string
		wantVerbs := map[string][]string{
			"services":                {"list", "show", "create", "update"},
			"availability_rules":      {"list", "show", "create", "delete"},
			"availability_exceptions": {"list", "show", "create", "delete"},
			"appointments":            {"list", "show", "create", "update"},
			"content_items":           {"list", "show", "create", "update", "delete"},
			"topics":                  {"list", "show", "create", "update", "delete"},
			"tags":                    {"list", "show", "create", "update", "delete"},
			"interactive_definitions": {"list", "show", "create", "update"},
			"message_templates":       {"list", "show", "update"},
			"answers":                 {"list", "show", "update"},
			"staff":                   {"list", "show", "create", "update"},
		}
		for _, r := range owner.Resources {
			names = append(names, r.Name)
			want, ok := wantVerbs[r.Name]
			if !ok {
				want = []string{"list", "show"}
			}
			if !slices.Equal(r.Verbs, want) {
				t.Errorf("%s verbs %v, want %v", r.Name, r.Verbs, want)
			}
		}
		if want := []string{
			"services", "availability_rules", "availability_exceptions", "appointments", "intake_forms", "waitlist_entries",
			"payments", "refunds", "leads", "lead_identities", "lead_timeline_events", "lead_submissions", "questions", "answers",
			"moderation_items", "content_items", "topics", "tags", "interactive_definitions", "interactive_runs",
			"message_templates", "notification_deliveries", "users", "consents", "staff", "sessions",
			"data_export_requests", "telegram_accounts", "deep_links", "audit_logs", "jobs",
		}; !slices.Equal(names, want) {
			t.Errorf("owner's resources (menu order) %v, want %v", names, want)
		}
		if owner.Resources[0].Label != "Услуги" || owner.Resources[3].Fields[7].Name != "status" ||
			owner.Resources[3].Fields[7].Choices[1].Label != "Подтверждена" {
			t.Errorf("labels: %+v", owner.Resources[3])
		}
		var editor []string
		for _, r := range get("editor").Resources {
			editor = append(editor, r.Name)
		}
		if want := []string{
			"questions", "answers", "moderation_items", "content_items", "topics", "tags", "interactive_definitions", "message_templates",
		}; !slices.Equal(editor, want) {
			t.Errorf("the editor sees %v, want %v (no client data)", editor, want)
		}
		// A service stands for itself by its title where an appointment refers to it.
		for _, r := range owner.Resources {
			want := map[string]string{"services": "title", "appointments": "start_at", "audit_logs": ""}
			if w, ok := want[r.Name]; ok && r.TitleField != w {
				t.Errorf("%s's title field %q, want %q", r.Name, r.TitleField, w)
			}
		}
		// The actions' states are values of the state field the schema names: a job's "state".
		for _, r := range owner.Resources {
			want := map[string]string{"jobs": "state", "appointments": "status", "audit_logs": ""}
			if w, ok := want[r.Name]; ok && r.StateField != w {
				t.Errorf("%s's state field %q, want %q", r.Name, r.StateField, w)
			}
		}
		for _, r := range get("assistant").Resources {
			if r.Name == "intake_forms" {
				t.Error("the assistant's schema shows intake forms")
			}
			if r.Name == "jobs" && r.StateField != "" {
				t.Errorf("the assistant, who may not retry, gets the jobs' state field %q", r.StateField)
			}
		}
		if r := e.clients["anonymous"].Do("GET", "/admin/api/schema", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("anonymous schema: %d", r.Status)
		}
	})
}

func TestAdminListConventions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		c := e.clients["assistant"]

		// Default order (title), then explicit sort, range and totals.
		recs, cr := adminList(t, c, "services", "")
		if len(recs) != 2 || recs[0]["slug"] != "individual-session" || cr != "services 0-1/2" {
			t.Fatalf("services: %v %q", recs, cr)
		}
		recs, cr = adminList(t, c, "services", adminQuery("sort", `["price_minor","DESC"]`, "range", "[1,1]"))
		if len(recs) != 1 || recs[0]["slug"] != "individual-session" || cr != "services 1-1/2" {
			t.Errorf("sorted page: %v %q", recs, cr)
		}
		if recs[0]["price_minor"] != float64(500000) || recs[0]["status"] != "published" {
			t.Errorf("fields: %v", recs[0])
		}
		if _, listed := recs[0]["description_markdown"]; listed {
			t.Error("a field not declared for the list was listed")
		}
		recs, cr = adminList(t, c, "services", adminQuery("range", "[5,9]"))
		if len(recs) != 0 || cr != "services */2" {
			t.Errorf("past the end: %v %q", recs, cr)
		}

		// Filters: a field, a search (case-insensitive, Cyrillic on PostgreSQL), several ids.
		recs, _ = adminList(t, c, "services", adminQuery("filter", `{"status":"draft"}`))
		if len(recs) != 1 || recs[0]["slug"] != "couples-session" {
			t.Errorf("draft filter: %v", recs)
		}
		recs, _ = adminList(t, c, "services", adminQuery("filter", `{"q":"COUPLES"}`))
		if len(recs) != 1 || recs[0]["slug"] != "couples-session" {
			t.Errorf("search: %v", recs)
		}
		recs, _ = adminList(t, c, "services", adminQuery("filter", `{"q":"50%"}`))
		if len(recs) != 0 {
			t.Errorf("a LIKE wildcard in the term matched: %v", recs)
		}
		ids := `{"id":["` + e.appts[0].ID.String() + `","` + e.appts[2].ID.String() + `"]}`
		recs, cr = adminList(t, c, "appointments", adminQuery("filter", ids))
		if len(recs) != 2 || cr != "appointments 0-1/2" || recs[0]["id"] != e.appts[2].ID.String() {
			t.Errorf("getMany (newest start first): %v %q", recs, cr)
		}
		recs, _ = adminList(t, c, "appointments", adminQuery("filter", `{"status":["pending_payment","confirmed"],"service_id":"`+e.svc.ID.String()+`"}`))
		if len(recs) != 3 {
			t.Errorf("status in a list: %d records", len(recs))
		}
		if start, _ := recs[0]["start_at"].(string); start != e.appts[2].StartAt.UTC().Format(time.RFC3339) {
			t.Errorf("start_at %q, want UTC RFC 3339 %s", start, e.appts[2].StartAt.UTC().Format(time.RFC3339))
		}
		// Ranges: a day (a date bound covers the whole UTC day), a time, a number.
		day := e.appts[1].StartAt.UTC().Format(time.DateOnly)
		recs, cr = adminList(t, c, "appointments", adminQuery("filter", `{"start_at_gte":"`+day+`","start_at_lte":"`+day+`"}`))
		if len(recs) != 1 || recs[0]["id"] != e.appts[1].ID.String() || cr != "appointments 0-0/1" {
			t.Errorf("one day: %v %q", recs, cr)
		}
		from := e.appts[1].StartAt.UTC().Format(time.RFC3339)
		recs, _ = adminList(t, c, "appointments", adminQuery("filter", `{"start_at_gte":"`+from+`"}`))
		if len(recs) != 2 {
			t.Errorf("from the second start on: %d records, want 2", len(recs))
		}
		recs, _ = adminList(t, c, "appointments", adminQuery("filter", `{"start_at_lte":"`+from+`"}`))
		if len(recs) != 2 {
			t.Errorf("up to the second start, inclusive: %d records, want 2", len(recs))
		}
		recs, _ = adminList(t, c, "availability_rules", adminQuery("filter", `{"weekday_gte":1,"weekday_lte":1}`))
		if len(recs) != 1 {
			t.Errorf("weekday 1..1: %v", recs)
		}
		for _, f := range []string{`{"start_at_gte":"soon"}`, `{"start_at_lte":5}`, `{"title_gte":"a"}`, `{"weekday_lte":"x"}`} {
			field := "filter." + strings.Split(strings.Trim(f, `{"`), `"`)[0]
			catalogueProblemField(t, c.Do("GET", "/admin/api/appointments"+adminQuery("filter", f), nil), http.StatusUnprocessableEntity, field)
		}

		recs, _ = adminList(t, c, "availability_rules", adminQuery("filter", `{"weekday":1}`))
		if len(recs) != 1 || recs[0]["start_minute"] != float64(600) {
			t.Errorf("rules: %v", recs)
		}

		// One record, with its full fields.
		r := c.Do("GET", "/admin/api/services/"+e.draft.ID.String(), nil)
		var one map[string]any
		r.JSON(t, &one)
		if r.Status != http.StatusOK || one["slug"] != "couples-session" || one["description_markdown"] != "" || one["published_at"] != nil {
			t.Errorf("show: %d %s", r.Status, r.Body)
		}
		for _, path := range []string{"/admin/api/services/" + e.appts[0].ID.String(), "/admin/api/services/not-an-id"} {
			if r := c.Do("GET", path, nil); r.Status != http.StatusNotFound || r.Problem(t).Status != 404 {
				t.Errorf("GET %s: %d", path, r.Status)
			}
		}

		// Bad parameters: 422 naming what is wrong.
		for _, tc := range []struct{ query, field string }{
			{adminQuery("sort", `["description_markdown","ASC"]`), "sort"},
			{adminQuery("sort", `["title","UP"]`), "sort"},
			{adminQuery("sort", `title`), "sort"},
			{adminQuery("range", `[3,1]`), "range"},
			{adminQuery("range", `[-1,5]`), "range"},
			{adminQuery("filter", `[1]`), "filter"},
			{adminQuery("filter", `{"title":"x"}`), "filter.title"},
			{adminQuery("filter", `{"status":"gone"}`), "filter.status"},
			{adminQuery("filter", `{"status":[]}`), "filter.status"},
			{adminQuery("filter", `{"q":5}`), "filter.q"},
			{adminQuery("filter", `{"id":["x"]}`), "filter.id"},
			{adminQuery("filter", `{"duration_minutes":"long"}`), "filter.duration_minutes"},
		} {
			catalogueProblemField(t, c.Do("GET", "/admin/api/services"+tc.query, nil), http.StatusUnprocessableEntity, tc.field)
		}
		if r := c.Do("GET", "/admin/api/availability_rules"+adminQuery("filter", `{"weekday":1.5}`), nil); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("a fractional weekday: %d", r.Status)
		}
		if !strings.Contains(string(c.Do("GET", "/admin/api/services", nil).Header.Get("Cache-Control")), "no-store") {
			t.Error("records may be cached")
		}
	})
}

// TestAdminResourcesAreInTheContract: every declared resource's routes are in api/openapi.yaml.
func TestAdminResourcesAreInTheContract(t *testing.T) {
	spec := string(api.Spec)
	for _, res := range admin.Resources() {
		paths := []string{"/admin/api/" + res.Name, "/admin/api/" + res.Name + "/{id}"}
		if len(res.Actions) > 0 {
			paths = append(paths, "/admin/api/"+res.Name+"/{id}/actions/{action}")
		}
		for _, path := range paths {
			if !strings.Contains(spec, "\n  "+path+":\n") {
				t.Errorf("%s is not in api/openapi.yaml", path)
			}
		}
	}
}

// TestAdminIntakeFormIsTheOwnersAndAudited: only the owner reads an intake form's answers; each
// read writes an audit row (who, which form — never the answers) with it; a list shows no answers
// and is not a P2 read.
func TestAdminIntakeFormIsTheOwnersAndAudited(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		ctx := context.Background()
		audits := repository.NewAuditLogs(db)
		reads := func() []models.AuditLog {
			t.Helper()
			rows, err := audits.List(ctx, repository.AuditLogFilter{Resource: "intake_forms"}, repository.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		path := "/admin/api/intake_forms/" + e.form.ID.String()

		recs, _ := adminList(t, e.clients["owner"], "intake_forms", "")
		if len(recs) != 1 || recs[0]["status"] != "draft" || recs[0]["appointment_id"] != e.appts[0].ID.String() {
			t.Fatalf("list: %v", recs)
		}
		if _, ok := recs[0]["payload"]; ok {
			t.Error("the list carries the answers")
		}
		for _, role := range []string{"assistant", "editor", "anonymous"} {
			if r := e.clients[role].Do("GET", path, nil); r.Status == http.StatusOK || strings.Contains(string(r.Body), "бессонница") {
				t.Errorf("%s read the form: %d", role, r.Status)
			}
		}
		if n := len(reads()); n != 0 {
			t.Fatalf("%d audit rows before the owner read anything", n)
		}

		for i := 1; i <= 2; i++ {
			r := e.clients["owner"].Do("GET", path, nil)
			var form struct {
				Payload map[string]any `json:"payload"`
			}
			r.JSON(t, &form)
			if r.Status != http.StatusOK || form.Payload["concern"] != "бессонница" {
				t.Fatalf("owner's read: %d %s", r.Status, r.Body)
			}
			rows := reads()
			if len(rows) != i {
				t.Fatalf("after %d reads, %d audit rows", i, len(rows))
			}
			row := rows[0]
			if row.Action != models.AuditActionRead || row.ResourceID != e.form.ID.String() || row.ActorRole != "owner" ||
				row.ActorUserID == nil || len(row.Changes) != 0 {
				t.Errorf("audit row %+v", row)
			}
		}
		if r := e.clients["owner"].Do("GET", "/admin/api/intake_forms/"+e.appts[0].ID.String(), nil); r.Status != http.StatusNotFound {
			t.Errorf("a form that does not exist: %d", r.Status)
		}
		if n := len(reads()); n != 2 {
			t.Errorf("a failed read was audited: %d rows", n)
		}
	})
}

// TestAdminBadInputIsNever500: every admin route of every declared resource answers malformed
// parameters and bodies with a 4xx problem.
func TestAdminBadInputIsNever500(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		c, h := e.clients["owner"], jobsCSRF(e.csrf["owner"])
		bodies := []any{"", "null", "[1]", `"x"`, "{", `{"slug":{"a":1},"weekday":"x","date_from":5,"service_id":"nope","kind":[],"version":"v"}`,
			`{"meeting_url":"http://` + strings.Repeat("a", 3000) + `"}`, `{"price_minor":1e300,"duration_minutes":-1e20}`}
		queries := []string{"?sort=%5B", "?range=%5B0%5D", "?filter=%7B%22id%22%3A5%7D", "?filter=%7B%22q%22%3A%5B%5D%7D", "?range=%5B0%2C99999999999999999999%5D"}
		for _, res := range admin.Resources() {
			base := "/admin/api/" + res.Name
			for _, q := range queries {
				if res.IntID { // 5 is a job's id: a text one is not
					q = strings.Replace(q, "%3A5%7D", "%3A%22x%22%7D", 1)
				}
				if r := c.Do("GET", base+q, nil); r.Status >= 500 || r.Status < 400 {
					t.Errorf("GET %s%s: %d %s", base, q, r.Status, r.Body)
				}
			}
			for _, id := range []string{"x", uuid.NewString()} {
				for _, body := range bodies {
					for _, m := range []string{"POST", "PUT", "DELETE"} {
						path := base + "/" + id
						if m == "POST" {
							path = base
						}
						if r := c.Do(m, path, body, h); r.Status >= 500 || r.Status < 400 && r.Status != 201 {
							t.Errorf("%s %s %.60s: %d %s", m, path, body, r.Status, r.Body)
						}
					}
				}
				for _, action := range []string{"cancel", "publish", "nope"} {
					r := c.Do("POST", base+"/"+id+"/actions/"+action, nil, h)
					if r.Status == http.StatusServiceUnavailable && strings.Contains(string(r.Body), "/not-available") {
						continue // this test serves no booking service for the cancel action
					}
					if r.Status >= 500 || r.Status < 400 {
						t.Errorf("action %s on %s/%s: %d %s", action, base, id, r.Status, r.Body)
					}
				}
			}
		}
	})
}

// TestAdminHostileFieldsAreNever500 sends every action's and every create and update's own fields
// with values of the wrong type, out of range or far too long, against stored records: whatever
// the answer (a 422 naming the field, a 409, or a 200 when the value happens to be acceptable), it
// is never a 5xx.
func TestAdminHostileFieldsAreNever500(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		c, h := e.clients["owner"], jobsCSRF(e.csrf["owner"])
		hostile := []any{map[string]any{"a": 1}, []any{1, "x"}, 1e300, -1, "x", strings.Repeat("я", 5000), true, "2026-13-45T25:61:00Z", "\u202e"}
		check := func(method, path string, body map[string]any) {
			t.Helper()
			r := c.Do(method, path, body, h)
			if r.Status >= 500 && !(r.Status == http.StatusServiceUnavailable && strings.Contains(string(r.Body), "/not-available")) {
				t.Errorf("%s %s %.80v: %d %s", method, path, body, r.Status, r.Body)
			}
		}
		for _, res := range admin.Resources() {
			id := e.ids[res.Name]
			if id == "" {
				id = uuid.NewString()
			}
			base := "/admin/api/" + res.Name
			for _, v := range hostile {
				if len(res.Access[admin.Create]) > 0 {
					body := map[string]any{}
					for _, f := range slices.Concat(res.Fields, res.CreateFields) {
						body[f.Name] = v
					}
					check("POST", base, body)
				}
				if len(res.Access[admin.Update]) > 0 {
					body := map[string]any{}
					for _, f := range res.Fields {
						if f.Edit {
							body[f.Name] = v
						}
					}
					check("PUT", base+"/"+id, body)
				}
				for _, a := range res.Actions {
					body := map[string]any{"version": v}
					for _, f := range a.Fields {
						body[f.Name] = v
					}
					check("POST", base+"/"+id+"/actions/"+a.Name, body)
				}
			}
		}
	})
}
