package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/crypto"
	"balance/events"
	"balance/integrations/email"
	"balance/integrations/email/emailtest"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/identity"
	"balance/service/notify"
)

// do sends an unsafe admin request with the role's CSRF token.
func (e *adminEnv) do(role, method, path string, body any) *testkit.Response {
	return e.clients[role].Do(method, path, body, jobsCSRF(e.csrf[role]))
}

// wantConflict checks a 409 whose errors name field with a Russian message.
func wantConflict(t *testing.T, r *testkit.Response, field string) {
	t.Helper()
	p := r.Problem(t)
	if r.Status != http.StatusConflict || len(p.Errors) != 1 || p.Errors[0].Field != field || !cyrillic(p.Errors[0].Message) {
		t.Errorf("want 409 naming %s in Russian, got %d %s", field, r.Status, r.Body)
	}
}

// wantInvalid checks a 422 of the admin form shape naming field.
func wantInvalid(t *testing.T, r *testkit.Response, field string) {
	t.Helper()
	var p struct {
		Errors map[string]string `json:"errors"`
	}
	r.JSON(t, &p)
	if r.Status != http.StatusUnprocessableEntity || !cyrillic(p.Errors[field]) {
		t.Errorf("want 422 naming %s in Russian, got %d %s", field, r.Status, r.Body)
	}
}

func cyrillic(s string) bool { return regexp.MustCompile(`\p{Cyrillic}`).MatchString(s) }

// auditActions lists the audit rows of resource (and of record id, when not empty), newest first.
func auditRows(t *testing.T, db *repository.DB, resource, id string) []models.AuditLog {
	t.Helper()
	rows, err := repository.NewAuditLogs(db).List(context.Background(), repository.AuditLogFilter{Resource: resource, ResourceID: id}, repository.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestAdminLeadActions: staff move a lead along its funnel, add dated notes and merge two leads of
// one person (identities, timeline, user link and appointments move; the other lead goes); the
// funnel's refusals and impossible merges are 409s with a Russian message; the editor may not.
func TestAdminLeadActions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := adminSetup(t, db)
		leadID := e.ids["leads"]
		path := "/admin/api/leads/" + leadID + "/actions/"

		if r := e.do("editor", "POST", path+"set_status", map[string]any{"status": "engaged"}); r.Status != http.StatusForbidden {
			t.Errorf("the editor moved a lead: %d", r.Status)
		}
		r := e.do("assistant", "POST", path+"set_status", map[string]any{"status": "engaged", "version": 1})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"engaged"`) {
			t.Fatalf("new → engaged: %d %s", r.Status, r.Body)
		}
		wantConflict(t, e.do("assistant", "POST", path+"set_status", map[string]any{"status": "client"}), "status")
		wantConflict(t, e.do("owner", "POST", path+"set_status", map[string]any{"status": "engaged"}), "status")
		wantInvalid(t, e.do("owner", "POST", path+"set_status", map[string]any{"status": "vip"}), "status")
		wantInvalid(t, e.do("owner", "POST", path+"set_status", map[string]any{}), "status")
		if r := e.do("owner", "POST", path+"set_status", map[string]any{"status": "booked", "version": 1}); r.Status != http.StatusConflict ||
			!strings.HasSuffix(r.Problem(t).Type, "/version-conflict") {
			t.Errorf("a stale version: %d %s", r.Status, r.Body)
		}

		for _, note := range []string{"Позвонить после праздников", "  Перезвонила, ждёт слот  "} {
			if r := e.do("assistant", "POST", path+"add_note", map[string]any{"note": note}); r.Status != http.StatusOK {
				t.Fatalf("add_note: %d %s", r.Status, r.Body)
			}
		}
		var lead map[string]any
		e.clients["owner"].Do("GET", "/admin/api/leads/"+leadID, nil).JSON(t, &lead)
		if want := "[25.11.2026] Позвонить после праздников\n\n[25.11.2026] Перезвонила, ждёт слот"; lead["notes"] != want {
			t.Errorf("notes %q, want %q", lead["notes"], want)
		}
		wantInvalid(t, e.do("owner", "POST", path+"add_note", map[string]any{"note": "   "}), "note")
		wantInvalid(t, e.do("owner", "POST", path+"add_note", map[string]any{"note": strings.Repeat("я", 6000)}), "note")

		// The other lead: the same person, who came through Telegram, signed up and booked.
		users, leads := repository.NewUsers(db), repository.NewLeads(db)
		now := e.s.clock.Now()
		other, err := models.NewLead("telegram", models.UTM{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.AddIdentity(models.LeadIdentityKindPhone, "+7 999 123-45-67", now); err != nil {
			t.Fatal(err)
		}
		client, err := users.ByID(ctx, uuid.MustParse(e.ids["users"]))
		if err != nil {
			t.Fatal(err)
		}
		if err := other.LinkUser(client.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := other.SetNotes("Пришла из бота", now); err != nil {
			t.Fatal(err)
		}
		if err := leads.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		entry, err := models.NewLeadTimelineEvent(other.ID, "appointment.booked", now, nil, map[string]any{"status": "confirmed"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewLeadTimeline(db).Append(ctx, entry); err != nil {
			t.Fatal(err)
		}
		appt, err := models.NewAppointment(e.svc, t0.Add(120*time.Hour), models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, &client.ID, &other.ID, models.AppointmentMetadata{}, 15*time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := repository.NewAppointments(db).Create(ctx, appt); err != nil {
			t.Fatal(err)
		}

		wantConflict(t, e.do("owner", "POST", path+"merge", map[string]any{"other_id": leadID}), "other_id")
		wantInvalid(t, e.do("owner", "POST", path+"merge", map[string]any{"other_id": uuid.NewString()}), "other_id")
		wantInvalid(t, e.do("owner", "POST", path+"merge", map[string]any{"other_id": "nope"}), "other_id")
		// A lead linked to another user is another person.
		second := models.NewClientUser("second@example.com", "Ольга", now)
		if err := users.Create(ctx, second); err != nil {
			t.Fatal(err)
		}
		third, err := models.NewLead("site", models.UTM{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := third.LinkUser(second.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := leads.Create(ctx, third); err != nil {
			t.Fatal(err)
		}
		wantConflict(t, e.do("owner", "POST", "/admin/api/leads/"+other.ID.String()+"/actions/merge", map[string]any{"other_id": third.ID.String()}), "other_id")

		if r := e.do("editor", "POST", path+"merge", map[string]any{"other_id": other.ID.String()}); r.Status != http.StatusForbidden {
			t.Errorf("the editor merged: %d", r.Status)
		}
		r = e.do("assistant", "POST", path+"merge", map[string]any{"other_id": other.ID.String()})
		var merged map[string]any
		r.JSON(t, &merged)
		if r.Status != http.StatusOK || merged["user_id"] != client.ID.String() || merged["status"] != "engaged" ||
			!strings.HasSuffix(merged["notes"].(string), "\n\nПришла из бота") {
			t.Fatalf("merge: %d %s", r.Status, r.Body)
		}
		if r := e.clients["owner"].Do("GET", "/admin/api/leads/"+other.ID.String(), nil); r.Status != http.StatusNotFound {
			t.Errorf("the merged lead is still there: %d", r.Status)
		}
		ids, _ := adminList(t, e.clients["assistant"], "lead_identities", adminQuery("filter", `{"lead_id":"`+leadID+`"}`, "sort", `["created_at","ASC"]`))
		if len(ids) != 2 || ids[0]["value"] != "lead@example.com" || ids[1]["value"] != "+79991234567" || ids[1]["kind"] != "phone" {
			t.Errorf("identities after the merge: %v", ids)
		}
		timeline, _ := adminList(t, e.clients["assistant"], "lead_timeline_events", adminQuery("filter", `{"lead_id":"`+leadID+`"}`))
		var kinds []string
		for _, ev := range timeline {
			kinds = append(kinds, ev["kind"].(string))
		}
		slices.Sort(kinds)
		if !slices.Equal(kinds, []string{"appointment.booked", "lead.captured", "lead.merged"}) {
			t.Errorf("timeline after the merge: %v", timeline)
		}
		if moved, err := repository.NewAppointments(db).LeadOf(ctx, appt.ID); err != nil || moved == nil || moved.String() != leadID {
			t.Errorf("the appointment's lead: %v (%v)", moved, err)
		}
		rows := auditRows(t, db, "leads", leadID)
		var audited []string
		for _, row := range rows {
			for k := range row.Changes {
				if strings.HasPrefix(k, "action:") {
					audited = append(audited, k)
				}
			}
			for k, v := range row.Changes {
				if v.From != nil || v.To != nil {
					t.Errorf("audit row carries values: %s=%+v", k, v)
				}
			}
		}
		slices.Sort(audited)
		if !slices.Equal(audited, []string{"action:add_note", "action:add_note", "action:merge", "action:set_status"}) {
			t.Errorf("audited lead actions: %v", audited)
		}
		// Nothing of the refused merges stuck.
		if _, err := leads.ByID(ctx, third.ID); err != nil {
			t.Errorf("a refused merge deleted a lead: %v", err)
		}
	})
}

// TestAdminClientsAndConsents: "users" are the clients only; the owner blocks and unblocks one
// (blocking ends their sessions), the assistant and the editor may not; a client's consent history
// is a filter away.
func TestAdminClientsAndConsents(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := adminSetup(t, db)
		clientID := e.ids["users"]

		recs, cr := adminList(t, e.clients["assistant"], "users", "")
		if len(recs) != 1 || recs[0]["id"] != clientID || cr != "users 0-0/1" {
			t.Fatalf("users are the clients only: %v %q", recs, cr)
		}
		staff, _ := adminList(t, e.clients["assistant"], "staff", "")
		if len(staff) != 3 {
			t.Fatalf("staff: %v", staff)
		}
		ownerID := ""
		for _, m := range staff {
			if m["role"] == "owner" {
				ownerID = m["id"].(string)
			}
			if m["id"] == clientID || m["password_set"] != true || m["status"] != "active" {
				t.Errorf("staff member %v", m)
			}
		}
		if r := e.clients["owner"].Do("GET", "/admin/api/users/"+ownerID, nil); r.Status != http.StatusNotFound {
			t.Errorf("a staff member through users: %d", r.Status)
		}
		if r := e.do("owner", "POST", "/admin/api/users/"+ownerID+"/actions/block", nil); r.Status != http.StatusNotFound {
			t.Errorf("blocking a staff member through users: %d", r.Status)
		}

		// A session of the client (as the cabinet will have): blocking ends it.
		sessions := repository.NewSessions(db)
		if err := sessions.Create(ctx, models.NewSession(uuid.MustParse(clientID), crypto.HashToken("client-token"), time.Hour, "ua", "127.0.0.1", t0)); err != nil {
			t.Fatal(err)
		}
		block := "/admin/api/users/" + clientID + "/actions/block"
		for _, role := range []string{"assistant", "editor"} {
			if r := e.do(role, "POST", block, nil); r.Status != http.StatusForbidden {
				t.Errorf("the %s blocked a client: %d", role, r.Status)
			}
		}
		r := e.do("owner", "POST", block, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"blocked"`) {
			t.Fatalf("block: %d %s", r.Status, r.Body)
		}
		if s, err := sessions.ByTokenHash(ctx, crypto.HashToken("client-token")); err != nil || s.RevokedAt == nil {
			t.Errorf("the client's session after the block: %+v (%v)", s, err)
		}
		if r := e.do("owner", "POST", block, nil); r.Status != http.StatusConflict {
			t.Errorf("block twice: %d", r.Status)
		}
		if r := e.do("owner", "POST", "/admin/api/users/"+clientID+"/actions/unblock", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"active"`) {
			t.Errorf("unblock: %d %s", r.Status, r.Body)
		}
		rows := auditRows(t, db, "users", clientID)
		if len(rows) != 2 || rows[0].ActorRole != "owner" {
			t.Errorf("audit of block and unblock: %+v", rows)
		}

		// The consent history of one client.
		users := repository.NewUsers(db)
		if err := users.Update(ctx, uuid.MustParse(clientID), func(u *models.User) error {
			if err := u.GrantConsent(models.ConsentCommunications, "v2", "cabinet", t0.Add(time.Hour)); err != nil {
				return err
			}
			return u.RevokeConsent(models.ConsentCommunications, t0.Add(2*time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		consents, cr := adminList(t, e.clients["assistant"], "consents", adminQuery("filter", `{"user_id":"`+clientID+`"}`))
		if len(consents) != 2 || cr != "consents 0-1/2" {
			t.Fatalf("consents of the client: %v %q", consents, cr)
		}
		c := consents[0] // newest first
		if c["consent_type"] != "communications" || c["version"] != "v2" || c["source"] != "cabinet" || c["granted"] != true ||
			c["revoked_at"] != t0.Add(2*time.Hour).Format(time.RFC3339) {
			t.Errorf("consent row %v", c)
		}
		if r := e.clients["editor"].Do("GET", "/admin/api/consents", nil); r.Status != http.StatusForbidden {
			t.Errorf("the editor read consents: %d", r.Status)
		}
	})
}

// inviteEnv is a server whose invitations are emailed through the real notification path: the
// job queue (insert only: the test runs the job), the template, the delivery log and SMTP.
type inviteEnv struct {
	s      *server
	r      *gin.Engine
	db     *repository.DB
	outbox *events.Outbox
	smtp   *emailtest.Server
	mailer *notify.InviteMailer
}

func newInviteEnv(t *testing.T, db *repository.DB) *inviteEnv {
	t.Helper()
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	e := &inviteEnv{db: db, outbox: outbox, smtp: emailtest.New(t, emailtest.Options{Username: "mailer", Password: "smtp-secret"})}
	e.s, e.r = newServer(t, db, options{adminResources: true, invites: outbox})
	mail, err := email.New(email.Config{
		Host: e.smtp.Host(), Port: e.smtp.Port(), Username: "mailer", Password: "smtp-secret",
		From: "hello@balance.example", TLSConfig: e.smtp.ClientTLSConfig(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(notify.NewStores(db), mail, nil, outbox, e.s.clock, notify.Config{SiteURL: "https://balance.example"}, testkit.Logger(t))
	e.mailer = notify.NewInviteMailer(n, e.s.svc)
	outbox.Handle(identity.TaskInviteEmail, e.mailer.Send)
	if err := outbox.Init(); err != nil {
		t.Fatal(err)
	}
	return e
}

// runInvites runs the queued invitation jobs as a worker would (each twice: a retried job must
// send nothing more) and returns the tokens of the emails that went out, in order.
func (e *inviteEnv) runInvites(t *testing.T, userID uuid.UUID) []string {
	t.Helper()
	ctx := context.Background()
	invites, err := repository.NewStaffInvites(e.db).ByUser(ctx, userID)
	if err != nil || len(invites) == 0 {
		t.Fatalf("no invitation of %s (%v)", userID, err)
	}
	before := len(e.smtp.Messages())
	for _, inv := range invites { // newest first; the older ones are revoked and send nothing
		raw, _ := json.Marshal(identity.InviteEmailTask{InviteID: inv.ID})
		for range 2 {
			if err := e.mailer.Send(ctx, raw); err != nil {
				t.Fatalf("invitation job: %v", err)
			}
		}
	}
	var tokens []string
	for _, m := range e.smtp.Messages()[before:] {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		link := regexp.MustCompile(`https://balance\.example/admin/accept-invite\?token=(\S+)`).FindStringSubmatch(p.Text)
		if link == nil || !strings.Contains(p.Subject, "Приглашение") || !strings.Contains(p.HTML, "accept-invite?token=") {
			t.Fatalf("invitation email: %q\n%s", p.Subject, p.Text)
		}
		token, err := url.QueryUnescape(link[1])
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, token)
	}
	return tokens
}

func (e *inviteEnv) accept(token, pw string) *testkit.Response {
	return e.s.api.Do("POST", "/admin/api/auth/invite/accept", map[string]string{"token": token, "password": pw})
}

// TestAdminStaffInvitation: the owner invites an editor; the invitation job emails a one-time
// link (only the token's hash is stored, and the job queue never holds the token); the link sets
// the password once, then signs in nothing more; a second use, a replaced link and an expired one
// are refused. The assistant sees the staff but may not invite; the editor sees nothing.
func TestAdminStaffInvitation(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := newInviteEnv(t, db)
		owner, ownerCSRF := jobsSignIn(t, e.s, e.r, models.RoleOwner)
		assistant, assistantCSRF := jobsSignIn(t, e.s, e.r, models.RoleAssistant)
		editor, editorCSRF := jobsSignIn(t, e.s, e.r, models.RoleEditor)
		body := map[string]any{"email": "New.Editor@example.org", "display_name": "Мария", "role": "editor"}

		if r := assistant.Do("POST", "/admin/api/staff", body, jobsCSRF(assistantCSRF)); r.Status != http.StatusForbidden {
			t.Errorf("the assistant invited: %d", r.Status)
		}
		if r := editor.Do("GET", "/admin/api/staff", nil, jobsCSRF(editorCSRF)); r.Status != http.StatusForbidden {
			t.Errorf("the editor listed staff: %d", r.Status)
		}
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"email": "not-an-email", "display_name": "М", "role": "editor"}, "email"},
			{map[string]any{"email": "m@example.org", "display_name": "М", "role": "client"}, "role"},
			{map[string]any{"email": "m@example.org", "role": "editor"}, "display_name"},
			{map[string]any{"email": "owner@example.org", "display_name": "Двойник", "role": "editor"}, "email"},
		} {
			wantInvalid(t, owner.Do("POST", "/admin/api/staff", bad.body, jobsCSRF(ownerCSRF)), bad.field)
		}

		r := owner.Do("POST", "/admin/api/staff", body, jobsCSRF(ownerCSRF))
		var member map[string]any
		r.JSON(t, &member)
		if r.Status != http.StatusCreated || member["email"] != "new.editor@example.org" || member["role"] != "editor" ||
			member["password_set"] != false || member["status"] != "active" {
			t.Fatalf("invite: %d %s", r.Status, r.Body)
		}
		memberID := uuid.MustParse(member["id"].(string))
		jobs, err := e.outbox.Jobs(ctx, "available", 10)
		if err != nil || len(jobs) != 1 || jobs[0].Task != identity.TaskInviteEmail {
			t.Fatalf("queued jobs %+v (%v), want the invitation email", jobs, err)
		}
		if r := e.s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "new.editor@example.org", "password": password}); r.Status != http.StatusUnauthorized {
			t.Errorf("an invited member without a password signed in: %d", r.Status)
		}

		tokens := e.runInvites(t, memberID)
		if len(tokens) != 1 {
			t.Fatalf("%d invitation emails, want 1", len(tokens))
		}
		token := tokens[0]
		invites, err := repository.NewStaffInvites(db).ByUser(ctx, memberID)
		if err != nil || len(invites) != 1 || invites[0].TokenHash == nil || *invites[0].TokenHash == token || strings.Contains(*invites[0].TokenHash, token) {
			t.Fatalf("stored invitation %+v (%v): only a hash of the token", invites, err)
		}

		wantProblem(t, e.accept(token, "short"), http.StatusUnprocessableEntity, "validation")
		wantProblem(t, e.accept("forged-token", password), http.StatusUnprocessableEntity, "invite-invalid")
		if r := e.s.api.Do("POST", "/admin/api/auth/invite/accept", map[string]string{"token": token, "password": password}, http.Header{"Sec-Fetch-Site": {"cross-site"}}); r.Status != http.StatusForbidden {
			t.Errorf("a cross-site accept: %d", r.Status)
		}
		if r := e.accept(token, "new editor password"); r.Status != http.StatusNoContent {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		p := e.accept(token, "another password!").Problem(t)
		if p.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "token" || !cyrillic(p.Errors[0].Message) {
			t.Errorf("the link used twice: %+v", p)
		}
		r = e.s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "new.editor@example.org", "password": "new editor password"})
		var me meAnswer
		r.JSON(t, &me)
		if r.Status != http.StatusOK || len(me.Roles) != 1 || me.Roles[0] != "editor" {
			t.Errorf("sign-in with the new password: %d %s", r.Status, r.Body)
		}
		owner.Do("GET", "/admin/api/staff/"+memberID.String(), nil).JSON(t, &member)
		if member["password_set"] != true {
			t.Errorf("after accepting: %v", member)
		}
		accepted := auditRows(t, db, "staff", memberID.String())
		if len(accepted) != 2 || accepted[0].ActorUserID == nil || *accepted[0].ActorUserID != memberID || accepted[1].ActorRole != "owner" {
			t.Errorf("audit of the invitation and its acceptance: %+v", accepted)
		}
		if r := owner.Do("POST", "/admin/api/staff/"+memberID.String()+"/actions/resend_invite", nil, jobsCSRF(ownerCSRF)); r.Status != http.StatusConflict {
			t.Errorf("inviting again someone with a password: %d %s", r.Status, r.Body)
		}

		// A second member: the first link is replaced by a resent one, which then expires.
		r = owner.Do("POST", "/admin/api/staff", map[string]any{"email": "late@example.org", "display_name": "Пётр", "role": "assistant"}, jobsCSRF(ownerCSRF))
		r.JSON(t, &member)
		lateID := uuid.MustParse(member["id"].(string))
		first := e.runInvites(t, lateID)
		if r := owner.Do("POST", "/admin/api/staff/"+lateID.String()+"/actions/resend_invite", nil, jobsCSRF(ownerCSRF)); r.Status != http.StatusOK {
			t.Fatalf("resend: %d %s", r.Status, r.Body)
		}
		second := e.runInvites(t, lateID)
		if len(first) != 1 || len(second) != 1 || first[0] == second[0] {
			t.Fatalf("tokens %v then %v", first, second)
		}
		wantProblem(t, e.accept(first[0], "late assistant password"), http.StatusUnprocessableEntity, "invite-invalid")
		e.s.clock.Advance(models.StaffInviteTTL + time.Second)
		wantProblem(t, e.accept(second[0], "late assistant password"), http.StatusUnprocessableEntity, "invite-invalid")
	})
}

// TestAdminStaffRolesAndAccess: the owner changes roles, but never leaves the practice without an
// active owner; disabling a member ends their sessions at once; sessions are listed without their
// secrets and the owner may end one.
func TestAdminStaffRolesAndAccess(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		staff, _ := adminList(t, e.clients["owner"], "staff", adminQuery("sort", `["role","ASC"]`))
		byRole := map[string]string{}
		for _, m := range staff {
			byRole[m["role"].(string)] = m["id"].(string)
		}
		ownerPath, assistantPath := "/admin/api/staff/"+byRole["owner"], "/admin/api/staff/"+byRole["assistant"]

		wantConflict(t, e.do("owner", "PUT", ownerPath, map[string]any{"role": "assistant"}), "role")
		wantConflict(t, e.do("owner", "POST", ownerPath+"/actions/disable", nil), "status")
		wantInvalid(t, e.do("owner", "PUT", assistantPath, map[string]any{"role": "client"}), "role")
		if r := e.do("assistant", "PUT", assistantPath, map[string]any{"role": "owner"}); r.Status != http.StatusForbidden {
			t.Errorf("the assistant made themselves owner: %d", r.Status)
		}
		if r := e.do("assistant", "POST", assistantPath+"/actions/disable", nil); r.Status != http.StatusForbidden {
			t.Errorf("the assistant disabled someone: %d", r.Status)
		}
		if r := e.do("owner", "PUT", "/admin/api/staff/"+e.ids["users"], map[string]any{"role": "editor"}); r.Status != http.StatusNotFound {
			t.Errorf("a client made staff through PUT: %d %s", r.Status, r.Body)
		}

		// Two owners: now the first may step down.
		r := e.do("owner", "PUT", assistantPath, map[string]any{"role": "owner", "email": "ignored@example.org"})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"role":"owner"`) || strings.Contains(string(r.Body), "ignored@") {
			t.Fatalf("promote: %d %s", r.Status, r.Body)
		}
		r = e.do("owner", "PUT", ownerPath, map[string]any{"role": "assistant"})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"role":"assistant"`) {
			t.Fatalf("step down: %d %s", r.Status, r.Body)
		}
		// The former owner's session now carries the assistant's rights.
		if r := e.do("owner", "PUT", assistantPath, map[string]any{"role": "editor"}); r.Status != http.StatusForbidden {
			t.Errorf("a former owner changed a role: %d", r.Status)
		}
		newOwner := e.clients["assistant"]
		newOwnerCSRF := e.csrf["assistant"]
		wantConflict(t, newOwner.Do("PUT", assistantPath, map[string]any{"role": "editor"}, jobsCSRF(newOwnerCSRF)), "role")

		// Sessions: listed without secrets; the owner ends one, the assistant may not.
		sessions, _ := adminList(t, e.clients["assistant"], "sessions", adminQuery("filter", `{"user_id":"`+byRole["editor"]+`"}`))
		if len(sessions) != 1 || sessions[0]["ip"] == nil || sessions[0]["user_agent"] == nil || sessions[0]["revoked_at"] != nil {
			t.Fatalf("the editor's sessions: %v", sessions)
		}
		if raw := e.clients["owner"].Do("GET", "/admin/api/sessions", nil).Body; strings.Contains(string(raw), "token") {
			t.Errorf("sessions carry a token: %s", raw)
		}
		revoke := "/admin/api/sessions/" + sessions[0]["id"].(string) + "/actions/revoke"
		if r := e.do("owner", "POST", revoke, nil); r.Status != http.StatusForbidden {
			t.Errorf("a former owner (now assistant) ended a session: %d", r.Status)
		}
		r = newOwner.Do("POST", revoke, nil, jobsCSRF(newOwnerCSRF))
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"revoked_at":"`) {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := e.clients["editor"].Do("GET", "/admin/api/auth/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("the editor's ended session: %d", r.Status)
		}
		wantConflict(t, newOwner.Do("POST", revoke, nil, jobsCSRF(newOwnerCSRF)), "revoked_at")

		// Disabling the former owner ends their session; enabling lets them sign in again.
		r = newOwner.Do("POST", ownerPath+"/actions/disable", nil, jobsCSRF(newOwnerCSRF))
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"blocked"`) {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		if r := e.clients["owner"].Do("GET", "/admin/api/auth/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("a disabled member's session: %d", r.Status)
		}
		if r := e.s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": password}); r.Status != http.StatusUnauthorized {
			t.Errorf("a disabled member signed in: %d", r.Status)
		}
		if r := newOwner.Do("POST", ownerPath+"/actions/enable", nil, jobsCSRF(newOwnerCSRF)); r.Status != http.StatusOK {
			t.Errorf("enable: %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "owner@example.org", "password": password}); r.Status != http.StatusOK {
			t.Errorf("an enabled member's sign-in: %d", r.Status)
		}
	})
}

// TestAdminSignInIsAudited: sign-ins, failed sign-ins (with the account's user when the email
// names one, never the password), sign-outs and every second-factor step leave an audit row.
func TestAdminSignInIsAudited(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{requireTOTP: []models.Role{models.RoleOwner}})
		s.staff(t, "editor@example.org", models.RoleEditor)
		s.staff(t, "owner@example.org", models.RoleOwner)
		editor, err := s.users.ByEmail(context.Background(), "editor@example.org")
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			action, role, steps string
			user                bool
		}
		seen := 0
		want := func(rows ...row) {
			t.Helper()
			all := auditRows(t, db, identity.AuditResource, "")
			all = append(all, auditRows(t, db, identity.TOTPAuditResource, "")...)
			// UUID v7 ids follow the order the rows were made in (the test clock barely moves).
			slices.SortFunc(all, func(a, b models.AuditLog) int { return strings.Compare(a.ID.String(), b.ID.String()) })
			fresh := all[seen:]
			seen = len(all)
			if len(fresh) != len(rows) {
				t.Fatalf("%d new audit rows %+v, want %d", len(fresh), fresh, len(rows))
			}
			for i, w := range rows {
				got := fresh[i]
				steps := slices.Sorted(func(yield func(string) bool) {
					for k := range got.Changes {
						if !yield(k) {
							return
						}
					}
				})
				if string(got.Action) != w.action || got.ActorRole != w.role || strings.Join(steps, " ") != w.steps ||
					(got.ActorUserID != nil) != w.user || got.IP == "" {
					t.Errorf("audit row %d: %s %s %v user=%v ip=%q, want %+v", i, got.Action, got.ActorRole, steps, got.ActorUserID != nil, got.IP, w)
				}
				raw, _ := json.Marshal(got)
				if strings.Contains(string(raw), password) || strings.Contains(string(raw), "wrong password") {
					t.Errorf("an audit row holds the password: %s", raw)
				}
			}
		}

		wrong := map[string]string{"email": "editor@example.org", "password": "wrong password!!"}
		s.api.Do("POST", "/admin/api/auth/login", wrong)
		s.api.Do("POST", "/admin/api/auth/login", map[string]string{"email": "ghost@example.org", "password": "wrong password!!"})
		want(row{"login_failed", "editor", "step:password", true}, row{"login_failed", "anonymous", "step:password", false})
		failed := auditRows(t, db, identity.AuditResource, "")
		if *failed[1].ActorUserID != editor.ID {
			t.Errorf("the failed sign-in names %v, want the editor", failed[1].ActorUserID)
		}

		me := wantSignedIn(t, login(t, s, "editor@example.org"), "editor@example.org")
		want(row{"login", "editor", "step:password", true})
		logout(t, s, me.CSRFToken)
		want(row{"logout", "editor", "", true})

		// The owner enrols an authenticator at the first sign-in (one wrong code first).
		p := loginPending(t, s, "owner@example.org", true)
		want(row{"login", "owner", "pending:totp_enrolment step:password", true})
		secret, conf := enrol(t, s, p.CSRFToken)
		want(row{"login_failed", "owner", "step:totp_enrolment", true}, row{"create", "owner", "step:totp_enrolment", true},
			row{"login", "owner", "step:totp_enrolment", true})
		logout(t, s, conf.Me.CSRFToken)
		want(row{"logout", "owner", "", true})

		// Then a wrong code, a right one; later a recovery code.
		p = loginPending(t, s, "owner@example.org", false)
		r := s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": wrongCode(t, s, secret)}, csrfHeader(p.CSRFToken))
		wantProblem(t, r, http.StatusUnauthorized, "invalid-code")
		s.clock.Advance(time.Minute)
		me = wantSignedIn(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"code": code(t, s, secret)}, csrfHeader(p.CSRFToken)), "owner@example.org")
		want(row{"login", "owner", "pending:totp step:password", true}, row{"login_failed", "owner", "step:totp", true},
			row{"login", "owner", "step:totp", true})
		logout(t, s, me.CSRFToken)
		p = loginPending(t, s, "owner@example.org", false)
		wantSignedIn(t, s.api.Do("POST", "/admin/api/auth/totp", map[string]string{"recovery_code": conf.RecoveryCodes[0]}, csrfHeader(p.CSRFToken)), "owner@example.org")
		want(row{"logout", "owner", "", true}, row{"login", "owner", "pending:totp step:password", true},
			row{"login", "owner", "step:recovery_code", true})
	})
}
