package admin_test

import (
	"context"
	"slices"
	"testing"

	"github.com/riverqueue/river/rivertype"

	"balance/models"
	"balance/repository"
	"balance/service/admin"
)

// TestFieldRolesHideAField: a field that names its roles reaches only them — in the fields the
// records are read with and in the schema.
func TestFieldRolesHideAField(t *testing.T) {
	r := sample()
	r.Access[admin.List] = []models.Role{models.RoleOwner, models.RoleAssistant, models.RoleEditor}
	r.Fields = append(r.Fields, admin.Field{Name: "slug", Label: "Адрес", Type: admin.Text, Roles: []models.Role{models.RoleOwner, models.RoleAssistant}})
	reg, err := admin.NewRegistry(r)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := reg.Resource("things")
	for _, tc := range []struct {
		role models.Role
		want []string
	}{
		{models.RoleOwner, []string{"id", "title", "secret", "slug"}},
		{models.RoleAssistant, []string{"id", "title", "slug"}},
		{models.RoleEditor, []string{"id", "title"}},
	} {
		var got, schema []string
		for _, f := range res.FieldsFor([]models.Role{tc.role}) {
			got = append(got, f.Name)
		}
		for _, f := range reg.Schema([]models.Role{tc.role})[0].Fields {
			schema = append(schema, f.Name)
		}
		if !slices.Equal(got, tc.want) || !slices.Equal(schema, tc.want) {
			t.Errorf("%s: fields %v, schema %v, want %v", tc.role, got, schema, tc.want)
		}
	}
}

// TestIntegerIDsAndSortKeys: a resource with integer ids is read-only and its actions run through
// RunInt; a default sort's second key must be sortable too.
func TestIntegerIDsAndSortKeys(t *testing.T) {
	runInt := func(context.Context, *admin.Call, int64) error { return nil }
	jobs := func() admin.Resource {
		return admin.Resource{
			Name: "jobs", Label: "Задачи", Singular: "Задача", Model: &repository.QueueJob{}, IntID: true,
			Access: map[admin.Verb][]models.Role{
				admin.List: {models.RoleOwner}, admin.Show: {models.RoleOwner}, admin.Create: {}, admin.Update: {}, admin.Delete: {},
			},
			Fields:      []admin.Field{{Name: "id", Label: "ID", Type: admin.Integer, Sort: true}, {Name: "state", Label: "Состояние", Type: admin.Text, Sort: true}},
			DefaultSort: "state,-id",
			Actions:     []admin.Action{{Name: "retry", Label: "Повторить", Roles: []models.Role{models.RoleOwner}, RunInt: runInt}},
		}
	}
	if _, err := admin.NewRegistry(jobs()); err != nil {
		t.Fatalf("a valid declaration: %v", err)
	}
	for name, edit := range map[string]func(r *admin.Resource){
		"a writer": func(r *admin.Resource) {
			r.Writer, r.Access[admin.Update] = noWriter{}, []models.Role{models.RoleOwner}
		},
		"a UUID action":               func(r *admin.Resource) { r.Actions[0].RunInt, r.Actions[0].Run = nil, noop },
		"both runs":                   func(r *admin.Resource) { r.Actions[0].Run = noop },
		"an unsortable second key":    func(r *admin.Resource) { r.DefaultSort = "state,-kind" },
		"an empty first key":          func(r *admin.Resource) { r.DefaultSort = ",-id" },
		"a UUID resource with RunInt": func(r *admin.Resource) { r.IntID = false },
		"states without a status":     func(r *admin.Resource) { r.Actions[0].States = []string{"discarded"} },
		"states of an undeclared field": func(r *admin.Resource) {
			r.Actions[0].States, r.StateField = []string{"discarded"}, "phase"
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := jobs()
			edit(&r)
			if _, err := admin.NewRegistry(r); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestJobsResource: the job queue offers every River state (with a Russian label) to filter on;
// its retry applies to the states admin.RetryJob accepts, read from the job's "state" — which the
// schema names, to the owner who may retry, so that the panel shows the button only then.
func TestJobsResource(t *testing.T) {
	reg, err := admin.NewRegistry(admin.Resources()...)
	if err != nil {
		t.Fatal(err)
	}
	res, ok := reg.Resource("jobs")
	if !ok {
		t.Fatal("no jobs resource")
	}
	state, _ := res.Field("state")
	var values []string
	for _, c := range state.Choices {
		if c.Label == "" || c.Label == c.Value {
			t.Errorf("state %s has no Russian label", c.Value)
		}
		values = append(values, c.Value)
	}
	for _, s := range rivertype.JobStates() {
		if !slices.Contains(values, string(s)) {
			t.Errorf("River's state %s is not a choice of jobs.state", s)
		}
	}
	if len(values) != len(rivertype.JobStates()) || !state.Filter || !state.Sort {
		t.Errorf("jobs.state: %+v", state)
	}
	for _, name := range []string{"kind", "event", "subscriber", "task", "scheduled_at", "created_at"} {
		if f, _ := res.Field(name); !f.Filter {
			t.Errorf("jobs.%s is not filterable", name)
		}
	}
	for _, name := range []string{"scheduled_at", "created_at"} {
		if f, _ := res.Field(name); !f.Sort {
			t.Errorf("jobs.%s is not sortable", name)
		}
	}
	if f, ok := res.Field("last_error"); !ok || f.List {
		t.Errorf("jobs.last_error is shown on a job only: %+v", f)
	}
	retry, _ := res.Action("retry")
	if !slices.Equal(retry.States, admin.RetryableJobStates) {
		t.Errorf("retry applies to %v, RetryJob accepts %v", retry.States, admin.RetryableJobStates)
	}

	schema := func(role models.Role) admin.ResourceSchema {
		for _, rs := range reg.Schema([]models.Role{role}) {
			if rs.Name == "jobs" {
				return rs
			}
		}
		t.Fatalf("%s's schema has no jobs", role)
		return admin.ResourceSchema{}
	}
	owner, assistant := schema(models.RoleOwner), schema(models.RoleAssistant)
	if owner.StateField != "state" || len(owner.Actions) != 1 || !slices.Equal(owner.Actions[0].States, admin.RetryableJobStates) {
		t.Errorf("owner's jobs schema: state field %q, actions %+v", owner.StateField, owner.Actions)
	}
	if assistant.StateField != "" || len(assistant.Actions) != 0 {
		t.Errorf("assistant's jobs schema: state field %q, actions %+v", assistant.StateField, assistant.Actions)
	}
	for _, rs := range reg.Schema([]models.Role{models.RoleOwner}) {
		if rs.Name == "appointments" && rs.StateField != "status" {
			t.Errorf("appointments' state field: %q", rs.StateField)
		}
	}
}
