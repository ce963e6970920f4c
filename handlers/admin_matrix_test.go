package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/handlers"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/admin"
	"balance/service/identity"
)

// adminWriteMatrix is the write side of the role matrix of docs/architecture.md, written out
// independently of the declarations: for each resource, the roles ("o" owner, "a" assistant, "e"
// editor) that may create, update and delete its records, and those that may start each of its
// actions. A resource or an action declared without a row here fails TestAdminVerbRoleMatrix.
var adminWriteMatrix = map[string]struct {
	create, update, delete string
	actions                map[string]string
}{
	"services":                {create: "oa", update: "oa", actions: map[string]string{"publish": "oa", "unpublish": "oa", "archive": "oa"}},
	"availability_rules":      {create: "oa", delete: "oa"},
	"availability_exceptions": {create: "oa", delete: "oa"},
	"appointments": {create: "oa", update: "oa", actions: map[string]string{
		"cancel": "oa", "complete": "oa", "no_show": "oa", "reschedule": "oa", "confirm": "oa",
	}},
	"intake_forms":            {},
	"waitlist_entries":        {actions: map[string]string{"cancel": "oa"}},
	"payments":                {actions: map[string]string{"refund": "oa"}},
	"refunds":                 {},
	"leads":                   {actions: map[string]string{"set_status": "oa", "add_note": "oa", "merge": "oa"}},
	"lead_identities":         {},
	"lead_timeline_events":    {},
	"lead_submissions":        {},
	"questions":               {actions: map[string]string{"set_public_text": "oae", "answer": "oae"}},
	"answers":                 {update: "oae", actions: map[string]string{"publish": "oae", "unpublish": "oae"}},
	"moderation_items":        {actions: map[string]string{"approve": "oae", "publish": "oae", "reject": "oae"}},
	"content_items":           {create: "oe", update: "oe", delete: "oe", actions: map[string]string{"publish": "oe", "unpublish": "oe", "archive": "oe"}},
	"topics":                  {create: "oe", update: "oe", delete: "oe"},
	"tags":                    {create: "oe", update: "oe", delete: "oe"},
	"interactive_definitions": {create: "oe", update: "oe", actions: map[string]string{"publish": "oe", "unpublish": "oe", "archive": "oe"}},
	"interactive_runs":        {},
	"message_templates":       {update: "oe"},
	"notification_deliveries": {},
	"users":                   {actions: map[string]string{"block": "o", "unblock": "o"}},
	"consents":                {},
	"staff":                   {create: "o", update: "o", actions: map[string]string{"disable": "o", "enable": "o", "resend_invite": "o"}},
	"sessions":                {actions: map[string]string{"revoke": "o"}},
	"data_export_requests":    {},
	"telegram_accounts":       {},
	"deep_links":              {},
	"audit_logs":              {},
	"jobs":                    {actions: map[string]string{"retry": "o"}},
}

// matrixRoles are the callers of the matrix: the three staff roles, a client who holds a session
// and no staff role, and someone not signed in.
var matrixRoles = []string{"owner", "assistant", "editor", "client", "anonymous"}

// clientSession gives c the session cookie of a client (a user without a staff role) and returns
// the CSRF token that goes with it: the admin API must still refuse them — such a session is no
// staff session, so the answer is 401 as for someone not signed in.
func clientSession(t *testing.T, db *repository.DB, c *testkit.API) string {
	t.Helper()
	ctx := context.Background()
	email, err := models.ParseEmail("matrix-client@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u := models.NewClientUser(email, "Клиент", time.Now())
	if err := repository.NewUsers(db).Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	token := "client-session-token-" + uuid.NewString()
	if err := repository.NewSessions(db).Create(ctx, models.NewSession(u.ID, crypto.HashToken(token), time.Hour, "test", "127.0.0.1", t0)); err != nil {
		t.Fatal(err)
	}
	c.Header = http.Header{"Cookie": {handlers.SessionCookie + "=" + token}}
	return identity.CSRFToken(token)
}

// TestAdminVerbRoleMatrix runs every resource × verb (list, show, create, update, delete and each
// action) × role (owner, assistant, editor, client, anonymous) and checks the status: 401 for
// someone not signed in or signed in as a client, 403 for a role the matrix does not allow (asked about a record that
// exists, so that the 403 is the role's), and for an allowed role anything but 401, 403 and 5xx
// (asked about an unknown record or with an empty body, so that nothing changes). The schema each
// role gets shows exactly the verbs and actions the matrix allows.
func TestAdminVerbRoleMatrix(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := adminSetup(t, db)
		e.clients["client"] = testkit.NewAPI(t, e.r)
		e.csrf["client"] = clientSession(t, db, e.clients["client"])
		schemas := map[string]map[string]admin.ResourceSchema{}
		for _, role := range matrixRoles[:4] {
			var body struct {
				Resources []admin.ResourceSchema `json:"resources"`
			}
			r := e.clients[role].Do("GET", "/admin/api/schema", nil)
			if role == "client" {
				if r.Status != http.StatusUnauthorized {
					t.Errorf("a client's schema: %d, want 401", r.Status)
				}
				continue
			}
			r.JSON(t, &body)
			schemas[role] = map[string]admin.ResourceSchema{}
			for _, rs := range body.Resources {
				schemas[role][rs.Name] = rs
			}
		}

		for _, res := range admin.Resources() {
			want, ok := adminWriteMatrix[res.Name]
			read, readOK := adminRoleMatrix[res.Name]
			if !ok || !readOK {
				t.Errorf("resource %s has no row in the role matrix tests", res.Name)
				continue
			}
			for _, a := range res.Actions {
				if _, ok := want.actions[a.Name]; !ok {
					t.Errorf("action %s of %s has no row in adminWriteMatrix", a.Name, res.Name)
				}
			}
			for name := range want.actions {
				if _, ok := res.Action(name); !ok {
					t.Errorf("adminWriteMatrix names action %s that %s does not declare", name, res.Name)
				}
			}
			existing := e.ids[res.Name]
			if existing == "" {
				if recs, _ := adminList(t, e.clients["owner"], res.Name, ""); len(recs) > 0 {
					existing = recs[0]["id"].(string)
				} else {
					existing = uuid.NewString()
				}
			}
			unknown := uuid.NewString()
			if res.IntID { // a queue's job: any number is an id
				if _, err := uuid.Parse(existing); err == nil {
					existing = "900000001"
				}
				unknown = "900000002"
			}
			base := "/admin/api/" + res.Name
			type call struct {
				verb, method, path string
				allowed            string
				body               any
				routed             bool // some role may: the route exists
			}
			letters := map[string]string{}
			for _, r := range []string{"owner", "assistant", "editor"} {
				if read[r] == http.StatusOK {
					letters["read"] += r[:1]
				}
			}
			calls := []call{
				{verb: "list", method: "GET", path: base, allowed: letters["read"], routed: true},
				{verb: "show", method: "GET", path: base + "/{id}", allowed: letters["read"], routed: true},
				{verb: "create", method: "POST", path: base, allowed: want.create, body: map[string]any{}, routed: want.create != ""},
				{verb: "update", method: "PUT", path: base + "/{id}", allowed: want.update, body: map[string]any{}, routed: want.update != ""},
				{verb: "delete", method: "DELETE", path: base + "/{id}", allowed: want.delete, routed: want.delete != ""},
			}
			for name, roles := range want.actions {
				calls = append(calls, call{verb: "action:" + name, method: "POST", path: base + "/{id}/actions/" + name, allowed: roles, body: map[string]any{}, routed: true})
			}
			for _, c := range calls {
				for _, role := range matrixRoles {
					allowed := role != "client" && role != "anonymous" && strings.Contains(c.allowed, role[:1])
					id := existing
					if allowed && c.method != "GET" {
						id = unknown // nothing changes
					}
					path := strings.Replace(c.path, "{id}", id, 1)
					r := e.clients[role].Do(c.method, path, c.body, jobsCSRF(e.csrf[role]))
					switch {
					case !c.routed:
						if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
							t.Errorf("%s %s %s (nobody may): %d, want 404 or 405", role, c.method, path, r.Status)
						}
					case role == "anonymous" || role == "client":
						if r.Status != http.StatusUnauthorized {
							t.Errorf("%s %s %s: %d, want 401", role, c.method, path, r.Status)
						}
					case !allowed:
						if r.Status != http.StatusForbidden {
							t.Errorf("%s %s %s: %d, want 403 (%s)", role, c.method, path, r.Status, r.Body)
						}
					default:
						// 503 not-available: allowed, and the part it needs is not running here.
						notRunning := r.Status == http.StatusServiceUnavailable && strings.Contains(string(r.Body), "/not-available")
						if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || (r.Status >= 500 && !notRunning) {
							t.Errorf("%s %s %s (allowed): %d %s", role, c.method, path, r.Status, r.Body)
						}
					}
					if ct := r.Header.Get("Content-Type"); r.Status >= 400 && !strings.HasPrefix(ct, handlers.ProblemContentType) {
						t.Errorf("%s %s %s: %d as %q, want problem+json", role, c.method, path, r.Status, ct)
					}
					if role == "client" || role == "anonymous" {
						continue
					}
					rs, shown := schemas[role][res.Name]
					var inSchema bool
					if name, isAction := strings.CutPrefix(c.verb, "action:"); isAction {
						inSchema = shown && slices.ContainsFunc(rs.Actions, func(a admin.ActionSchema) bool { return a.Name == name })
					} else {
						inSchema = shown && slices.Contains(rs.Verbs, admin.Verb(c.verb))
					}
					if inSchema != allowed {
						t.Errorf("%s's schema shows %s of %s: %v, the matrix says %v", role, c.verb, res.Name, inSchema, allowed)
					}
				}
			}
		}
	})
}
