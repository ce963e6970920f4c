package admin_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/admin"
)

// noWriter stands for a resource's writer where no write runs.
type noWriter struct{}

func (noWriter) Create(context.Context, *admin.Call) (uuid.UUID, error) {
	return uuid.Nil, models.ErrForbidden
}
func (noWriter) Update(context.Context, *admin.Call, uuid.UUID) error { return models.ErrForbidden }
func (noWriter) Delete(context.Context, *admin.Call, uuid.UUID) error { return models.ErrForbidden }

func noop(context.Context, *admin.Call, uuid.UUID) error { return nil }

func sample() admin.Resource {
	return admin.Resource{
		Name: "things", Label: "Вещи", Singular: "Вещь", Model: &models.Service{},
		Access: map[admin.Verb][]models.Role{
			admin.List: {models.RoleOwner, models.RoleAssistant}, admin.Show: {models.RoleOwner, models.RoleAssistant},
			admin.Create: {models.RoleOwner}, admin.Update: {}, admin.Delete: {},
		},
		Fields: []admin.Field{
			{Name: "id", Label: "ID", Type: admin.ID},
			{Name: "title", Label: "Название", Type: admin.Text, List: true, Sort: true},
			{Name: "secret", Label: "Со слов клиента", Type: admin.LongText, P2: true},
		},
		DefaultSort: "-title", Writer: noWriter{},
		Actions: []admin.Action{{Name: "shine", Label: "Начистить", Roles: []models.Role{models.RoleOwner}, Run: noop}},
	}
}

func TestRegistryRefusesIncompleteDeclarations(t *testing.T) {
	for name, edit := range map[string]func(r *admin.Resource){
		"a verb without declared access": func(r *admin.Resource) { delete(r.Access, admin.Delete) },
		"no labels":                      func(r *admin.Resource) { r.Singular = "" },
		"no model":                       func(r *admin.Resource) { r.Model = nil },
		"no id field":                    func(r *admin.Resource) { r.Fields = r.Fields[1:] },
		"a field twice":                  func(r *admin.Resource) { r.Fields = append(r.Fields, r.Fields[1]) },
		"a listed P2 field":              func(r *admin.Resource) { r.Fields[2].List = true },
		"a searchable P2 field":          func(r *admin.Resource) { r.Fields[2].Search = true },
		"an enum without choices":        func(r *admin.Resource) { r.Fields[1].Type = admin.Enum },
		"a reference to nothing":         func(r *admin.Resource) { r.Fields[1].Type, r.Fields[1].Ref = admin.Reference, "ghosts" },
		"a reference without a name":     func(r *admin.Resource) { r.Fields[1].Type = admin.Reference },
		"an unsortable default sort":     func(r *admin.Resource) { r.DefaultSort = "secret" },
		"a title field that is not one":  func(r *admin.Resource) { r.TitleField = "name" },
		"a P2 title field":               func(r *admin.Resource) { r.TitleField = "secret" },
		"writes without a writer":        func(r *admin.Resource) { r.Writer = nil },
		"an editable P2 field":           func(r *admin.Resource) { r.Fields[2].Edit = true },
		"an action without roles":        func(r *admin.Resource) { r.Actions[0].Roles = nil },
		"an action's field twice": func(r *admin.Resource) {
			r.Actions[0].Fields = []admin.Field{{Name: "n", Label: "N", Type: admin.Money}, {Name: "n", Label: "N", Type: admin.Money}}
		},
		"a P2 create field": func(r *admin.Resource) {
			r.CreateFields = []admin.Field{{Name: "note", Label: "Заметка", Type: admin.Text, P2: true}}
		},
		"create fields nobody may use": func(r *admin.Resource) {
			r.CreateFields, r.Access[admin.Create] = []admin.Field{{Name: "note", Label: "Заметка", Type: admin.Text}}, nil
		},
		"a create field referring to nothing": func(r *admin.Resource) {
			r.CreateFields = []admin.Field{{Name: "ghost_id", Label: "Призрак", Type: admin.Reference, Ref: "ghosts"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := sample()
			edit(&r)
			if _, err := admin.NewRegistry(r); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := admin.NewRegistry(sample(), sample()); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a resource declared twice: %v", err)
	}
	if _, err := admin.NewRegistry(admin.Resources()...); err != nil {
		t.Errorf("the product's declarations: %v", err)
	}
}

func TestSchemaAndFieldsFollowTheRoles(t *testing.T) {
	reg, err := admin.NewRegistry(sample())
	if err != nil {
		t.Fatal(err)
	}
	owner := reg.Schema([]models.Role{models.RoleOwner})
	if len(owner) != 1 || !slices.Equal(owner[0].Verbs, []admin.Verb{admin.List, admin.Show, admin.Create}) || len(owner[0].Fields) != 3 ||
		!owner[0].Fields[2].P2 || len(owner[0].Actions) != 1 || owner[0].Actions[0].Label != "Начистить" {
		t.Errorf("owner: %+v", owner)
	}
	if owner[0].CreateFields != nil {
		t.Errorf("create fields of a resource without any: %+v", owner[0].CreateFields)
	}
	withInputs := sample()
	withInputs.CreateFields = []admin.Field{{Name: "note", Label: "Заметка", Type: admin.Text, Required: true}}
	reg2, err := admin.NewRegistry(withInputs)
	if err != nil {
		t.Fatal(err)
	}
	if o := reg2.Schema([]models.Role{models.RoleOwner}); len(o[0].CreateFields) != 1 || !o[0].CreateFields[0].Req {
		t.Errorf("the owner's create fields: %+v", o[0].CreateFields)
	}
	if a := reg2.Schema([]models.Role{models.RoleAssistant}); a[0].CreateFields != nil {
		t.Errorf("create fields for a role that may not create: %+v", a[0].CreateFields)
	}
	assistant := reg.Schema([]models.Role{models.RoleAssistant})
	if len(assistant) != 1 || !slices.Equal(assistant[0].Verbs, []admin.Verb{admin.List, admin.Show}) || len(assistant[0].Fields) != 2 ||
		len(assistant[0].Actions) != 0 {
		t.Errorf("assistant (no P2, no create): %+v", assistant)
	}
	if editor := reg.Schema([]models.Role{models.RoleEditor}); len(editor) != 0 {
		t.Errorf("editor: %+v", editor)
	}
	res, _ := reg.Resource("things")
	if res.Allows(admin.Update, []models.Role{models.RoleOwner}) || !res.Allows(admin.Create, []models.Role{models.RoleEditor, models.RoleOwner}) {
		t.Error("Allows disagrees with the declaration")
	}
	if _, ok := reg.Resource("ghosts"); ok {
		t.Error("an undeclared resource was found")
	}
}
