package admin_test

import (
	"context"
	"slices"
	"testing"

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
