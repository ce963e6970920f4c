// Package admin declares the resources staff manage through the admin API: each resource once —
// its model, its fields with Russian labels, who may do what — and the routes, the per-role schema
// the browser panel is generated from, and the role checks all follow from that declaration.
package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// Verb is something a role may do to a resource.
type Verb string

// The verbs of react-admin's data provider.
const (
	List   Verb = "list"
	Show   Verb = "show"
	Create Verb = "create"
	Update Verb = "update"
	Delete Verb = "delete"
)

// Verbs lists every verb; a resource declares who may use each (nobody, when empty).
var Verbs = []Verb{List, Show, Create, Update, Delete}

// FieldType tells the panel how to show and edit a field.
type FieldType string

// Field types.
const (
	Text      FieldType = "text"
	LongText  FieldType = "long_text"
	Markdown  FieldType = "markdown"
	Integer   FieldType = "integer"
	Money     FieldType = "money" // integer minor units; the currency is another field
	Boolean   FieldType = "boolean"
	DateTime  FieldType = "datetime"
	Date      FieldType = "date"
	Enum      FieldType = "enum"
	Reference FieldType = "reference"
	// References is a list of ids of Ref's records kept outside the row (a join table): it is
	// read through the field's Refs and shown on a record, never listed, sorted or filtered.
	References FieldType = "references"
	ID         FieldType = "id"
	JSON       FieldType = "json"
)

// Choice is one value of an enum field with its Russian label.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Field is one column of a resource as staff see it.
type Field struct {
	// Name is the column's name, as in the public API (snake_case).
	Name  string
	Label string
	Type  FieldType
	// List: shown in the list; Sort, Filter, Search: usable there.
	List, Sort, Filter, Search bool
	// Edit: set on create and update; Required: a create must set it.
	Edit, Required bool
	// Choices of an Enum; Ref names the resource a Reference or References points to.
	Choices []Choice
	Ref     string
	// Refs reads a References field: the ids each of the records refers to (absent: none).
	Refs func(ctx context.Context, db *repository.DB, ids []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error)
	// P2 marks sensitive data a client wrote: only the owner sees it, and every read is audited.
	P2 bool
	// Roles, when set, are the only roles that see the field (a client's contact on a record the
	// editor moderates): the others get neither the value nor the field in their schema.
	Roles []models.Role
}

// Resource is one kind of record in the admin API.
type Resource struct {
	// Name is the table's name and the URL segment: /admin/api/<Name>.
	Name string
	// Label is the resource's name in Russian, plural ("Услуги"); Singular is one ("Услуга").
	Label, Singular string
	// Model is a pointer to the row type, e.g. &models.Service{}.
	Model  any
	Fields []Field
	// CreateFields are what a create asks for besides the editable fields, when the record is
	// made from inputs that are not its columns (a booking from a client's name and contact).
	CreateFields []Field
	// Access lists the roles allowed each verb. A verb missing from the map is allowed to nobody;
	// the declaration must still mention every verb (an empty list says "nobody" on purpose).
	Access map[Verb][]models.Role
	// DefaultSort is the list's order when the request names none ("-start_at": descending). A
	// second key after a comma ("-crisis,-created_at") breaks ties whenever the list is sorted by
	// the first.
	DefaultSort string
	// TitleField names the field that stands for a record where another refers to it (a service's
	// title, an appointment's start); empty: the panel takes the first text field.
	TitleField string
	// IntID: the records' ids are positive integers (the job queue's), not UUIDs. Such a resource
	// is read-only; its actions run through RunInt.
	IntID bool
	// StateField names the field whose value an action's States are (a job's "state"); empty
	// means "status".
	StateField string
	// Writer creates, updates and deletes records through the models' rules; nil for a resource
	// nobody may write. Actions are its state transitions (publish, cancel, ...).
	Writer  Writer
	Actions []Action
	// Scope, when set, is a fixed condition every record of the resource meets (SQL over the
	// model's table, written here, never taken from a request): "users" are the users without a
	// staff role. Lists, reads, writes and actions see no record outside it.
	Scope *repository.Condition
}

// Action is a state transition staff start with a button: POST /admin/api/<r>/<id>/actions/<Name>.
type Action struct {
	Name, Label string
	Roles       []models.Role
	// States are the values of the record's state field (Resource.StateField, "status" unless it
	// names another) the action applies to (empty: any); the panel shows the button only then, and
	// the server refuses it otherwise (409).
	States []string
	// Fields are what the action asks for (a reason, an amount, a new time): the body's fields,
	// converted and checked through c.In like a resource's editable fields.
	Fields []Field
	// Run makes the change through the model's rules and the use cases of c.Ports, in the
	// transaction that also writes the audit record.
	Run func(ctx context.Context, c *Call, id uuid.UUID) error
	// RunInt is Run for a resource whose ids are integers (IntID).
	RunInt func(ctx context.Context, c *Call, id int64) error
}

// Allows reports whether a user with roles may start the action.
func (a *Action) Allows(roles []models.Role) bool {
	return slices.ContainsFunc(a.Roles, func(r models.Role) bool { return slices.Contains(roles, r) })
}

// Action returns the named action, if declared.
func (r *Resource) Action(name string) (Action, bool) {
	i := slices.IndexFunc(r.Actions, func(a Action) bool { return a.Name == name })
	if i < 0 {
		return Action{}, false
	}
	return r.Actions[i], true
}

// Allows reports whether a user with roles may use verb on the resource.
func (r *Resource) Allows(v Verb, roles []models.Role) bool {
	for _, allowed := range r.Access[v] {
		if slices.Contains(roles, allowed) {
			return true
		}
	}
	return false
}

// FieldsFor lists the fields a user with roles may see: P2 fields only for the owner, a field
// that names its roles only for them.
func (r *Resource) FieldsFor(roles []models.Role) []Field {
	owner := slices.Contains(roles, models.RoleOwner)
	out := make([]Field, 0, len(r.Fields))
	for _, f := range r.Fields {
		if f.P2 && !owner {
			continue
		}
		if len(f.Roles) > 0 && !slices.ContainsFunc(f.Roles, func(r models.Role) bool { return slices.Contains(roles, r) }) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// scope lists the resource's fixed condition, if any, for the record queries.
func (r *Resource) scope() []repository.Condition {
	if r.Scope == nil {
		return nil
	}
	return []repository.Condition{*r.Scope}
}

// Field returns the named field, if declared.
func (r *Resource) Field(name string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Registry holds the declared resources in declaration order (the panel's menu order).
type Registry struct {
	resources []*Resource
}

// NewRegistry checks and registers resources.
func NewRegistry(resources ...Resource) (*Registry, error) {
	reg := &Registry{}
	seen := map[string]bool{}
	for i := range resources {
		r := resources[i]
		if err := r.check(); err != nil {
			return nil, err
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("admin resource %s declared twice", r.Name)
		}
		seen[r.Name] = true
		reg.resources = append(reg.resources, &r)
	}
	for _, r := range reg.resources {
		for _, f := range slices.Concat(r.Fields, r.CreateFields) {
			if (f.Type == Reference || f.Type == References) && !seen[f.Ref] {
				return nil, fmt.Errorf("admin resource %s: field %s refers to undeclared resource %q", r.Name, f.Name, f.Ref)
			}
		}
	}
	return reg, nil
}

// Resources lists every declared resource.
func (reg *Registry) Resources() []*Resource { return reg.resources }

// Resource returns the named resource, if declared.
func (reg *Registry) Resource(name string) (*Resource, bool) {
	for _, r := range reg.resources {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

func (r *Resource) check() error {
	if r.Name == "" || r.Label == "" || r.Singular == "" || r.Model == nil {
		return fmt.Errorf("admin resource %q: name, labels and model are required", r.Name)
	}
	for _, v := range Verbs {
		if _, ok := r.Access[v]; !ok {
			return fmt.Errorf("admin resource %s: no access declared for %s (an empty list means nobody)", r.Name, v)
		}
	}
	names := map[string]bool{}
	for _, f := range r.Fields {
		switch {
		case f.Name == "" || f.Label == "":
			return fmt.Errorf("admin resource %s: a field without a name or label", r.Name)
		case names[f.Name]:
			return fmt.Errorf("admin resource %s: field %s declared twice", r.Name, f.Name)
		case f.Type == Enum && len(f.Choices) == 0:
			return fmt.Errorf("admin resource %s: enum field %s has no choices", r.Name, f.Name)
		case (f.Type == Reference || f.Type == References) && f.Ref == "":
			return fmt.Errorf("admin resource %s: reference field %s names no resource", r.Name, f.Name)
		case (f.Type == References) != (f.Refs != nil):
			return fmt.Errorf("admin resource %s: field %s: a references field, and only one, reads through Refs", r.Name, f.Name)
		case f.Type == References && (f.List || f.Sort || f.Filter || f.Search || f.P2):
			return fmt.Errorf("admin resource %s: references field %s may be shown on a record only", r.Name, f.Name)
		case f.P2 && (f.List || f.Sort || f.Filter || f.Search || f.Edit):
			// A list would decrypt every row's P2 and leak it through ordering and matching.
			return fmt.Errorf("admin resource %s: P2 field %s may be shown on a record only", r.Name, f.Name)
		}
		names[f.Name] = true
	}
	writes := len(r.Access[Create]) + len(r.Access[Update]) + len(r.Access[Delete])
	if writes > 0 && r.Writer == nil {
		return fmt.Errorf("admin resource %s: roles may write it but it has no Writer", r.Name)
	}
	if len(r.CreateFields) > 0 && len(r.Access[Create]) == 0 {
		return fmt.Errorf("admin resource %s: create fields but nobody may create", r.Name)
	}
	if err := checkInputs(r.CreateFields); err != nil {
		return fmt.Errorf("admin resource %s: create %w", r.Name, err)
	}
	if r.IntID && (writes > 0 || r.Writer != nil) {
		return fmt.Errorf("admin resource %s: a resource with integer ids is read-only (its actions change it)", r.Name)
	}
	for _, a := range r.Actions {
		run := a.Run != nil && a.RunInt == nil
		if r.IntID {
			run = a.Run == nil && a.RunInt != nil
		}
		if a.Name == "" || a.Label == "" || !run || len(a.Roles) == 0 {
			return fmt.Errorf("admin resource %s: action %q needs a name, a label, roles and Run (RunInt for integer ids)", r.Name, a.Name)
		}
		if len(a.States) > 0 && !names[r.stateField()] {
			return fmt.Errorf("admin resource %s: action %s names states but the resource has no %s field", r.Name, a.Name, r.stateField())
		}
		if err := checkInputs(a.Fields); err != nil {
			return fmt.Errorf("admin resource %s: action %s: %w", r.Name, a.Name, err)
		}
	}
	if !names["id"] {
		return fmt.Errorf("admin resource %s: declares no id field", r.Name)
	}
	if r.TitleField != "" {
		if f, ok := r.Field(r.TitleField); !ok || f.P2 || f.Roles != nil {
			return fmt.Errorf("admin resource %s: title field %q is not a field every reader sees", r.Name, r.TitleField)
		}
	}
	if r.DefaultSort != "" {
		first, then := r.defaultSort()
		keys := []string{first}
		if then != "" {
			keys = append(keys, then)
		}
		for _, s := range keys {
			f, ok := r.Field(trimDesc(s))
			if !ok || !f.Sort {
				return fmt.Errorf("admin resource %s: default sort %q is not a sortable field", r.Name, s)
			}
		}
	}
	return nil
}

// checkInputs checks the fields of a form that are not the record's columns (an action's, a
// create's): each named once, labelled, with choices for an enum, never P2.
func checkInputs(fields []Field) error {
	names := map[string]bool{}
	for _, f := range fields {
		if f.Name == "" || f.Label == "" || f.P2 || (f.Type == Enum && len(f.Choices) == 0) || names[f.Name] {
			return fmt.Errorf("field %q needs a name (once), a label (and choices for an enum) and may not be P2", f.Name)
		}
		names[f.Name] = true
	}
	return nil
}

// stateField is the field an action's States are values of.
func (r *Resource) stateField() string {
	if r.StateField == "" {
		return "status"
	}
	return r.StateField
}

// defaultSort splits DefaultSort into its first key and the key that breaks its ties (or "").
func (r *Resource) defaultSort() (first, then string) {
	first, then, _ = strings.Cut(r.DefaultSort, ",")
	return first, then
}

func trimDesc(s string) string {
	if len(s) > 0 && s[0] == '-' {
		return s[1:]
	}
	return s
}

// ErrNotAvailable: the action needs a part this process runs without (a booking service).
var ErrNotAvailable = errors.New("not available in this configuration")

// ErrNoSuchField is a request naming a field the resource does not declare (or the user may
// not see).
var ErrNoSuchField = errors.New("no such field")
