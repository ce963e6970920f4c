package admin

import "balance/models"

// ResourceSchema is a resource as one user's roles let them see it: the panel builds its screens
// from it and shows nothing the server would refuse.
type ResourceSchema struct {
	Name        string        `json:"name"`
	Label       string        `json:"label"`
	Singular    string        `json:"singular"`
	Verbs       []Verb        `json:"verbs"`
	DefaultSort string        `json:"default_sort,omitempty"`
	TitleField  string        `json:"title_field,omitempty"`
	Fields      []FieldSchema `json:"fields"`
	// CreateFields are what a create asks for besides the editable fields (when the user may
	// create, and the resource has such inputs).
	CreateFields []FieldSchema  `json:"create_fields,omitempty"`
	Actions      []ActionSchema `json:"actions"`
	// StateField is the field whose value the actions' States are ("status", a job's "state");
	// present when some action the user may start names states.
	StateField string `json:"state_field,omitempty"`
}

// ActionSchema is an action the user's roles may start: on records whose state field
// (ResourceSchema.StateField) holds one of States (any, when empty), with a form of Fields (none:
// a plain button).
type ActionSchema struct {
	Name   string        `json:"name"`
	Label  string        `json:"label"`
	States []string      `json:"states"`
	Fields []FieldSchema `json:"fields"`
}

// FieldSchema is one field of a ResourceSchema.
type FieldSchema struct {
	Name    string    `json:"name"`
	Label   string    `json:"label"`
	Type    FieldType `json:"type"`
	List    bool      `json:"list"`
	Sort    bool      `json:"sortable"`
	Filter  bool      `json:"filterable"`
	Search  bool      `json:"searchable"`
	Edit    bool      `json:"editable"`
	Req     bool      `json:"required"`
	Choices []Choice  `json:"choices,omitempty"`
	Ref     string    `json:"reference,omitempty"`
	P2      bool      `json:"p2"`
}

// Schema lists the resources a user with roles may list or show, with the verbs and fields
// those roles allow.
func (reg *Registry) Schema(roles []models.Role) []ResourceSchema {
	out := []ResourceSchema{}
	for _, r := range reg.resources {
		var verbs []Verb
		for _, v := range Verbs {
			if r.Allows(v, roles) {
				verbs = append(verbs, v)
			}
		}
		if len(verbs) == 0 {
			continue
		}
		rs := ResourceSchema{Name: r.Name, Label: r.Label, Singular: r.Singular, Verbs: verbs, DefaultSort: r.DefaultSort, TitleField: r.TitleField}
		rs.Fields = fieldSchemas(r.FieldsFor(roles))
		if len(r.CreateFields) > 0 && r.Allows(Create, roles) {
			rs.CreateFields = fieldSchemas(r.CreateFields)
		}
		rs.Actions = []ActionSchema{}
		for _, a := range r.Actions {
			if a.Allows(roles) {
				states := a.States
				if states == nil {
					states = []string{}
				}
				rs.Actions = append(rs.Actions, ActionSchema{Name: a.Name, Label: a.Label, States: states, Fields: fieldSchemas(a.Fields)})
				if len(states) > 0 {
					rs.StateField = r.stateField()
				}
			}
		}
		out = append(out, rs)
	}
	return out
}

func fieldSchemas(fields []Field) []FieldSchema {
	out := make([]FieldSchema, 0, len(fields))
	for _, f := range fields {
		out = append(out, FieldSchema{
			Name: f.Name, Label: f.Label, Type: f.Type, List: f.List, Sort: f.Sort, Filter: f.Filter,
			Search: f.Search, Edit: f.Edit, Req: f.Required, Choices: f.Choices, Ref: f.Ref, P2: f.P2,
		})
	}
	return out
}
