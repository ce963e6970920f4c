package admin

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service"
)

// Store reads records of any declared model; *repository.DB is one.
type Store interface {
	Records(ctx context.Context, model any, q repository.RecordQuery) ([]repository.Record, int64, error)
	RecordByID(ctx context.Context, model any, columns []string, id any, where ...repository.Condition) (repository.Record, error)
}

// Auditor appends audit records; *repository.AuditLogs is one.
type Auditor interface {
	Append(ctx context.Context, l *models.AuditLog) error
}

// Transactor runs fn in one transaction that the stores called with fn's ctx join.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Actor is the signed-in staff member a request acts for.
type Actor struct {
	UserID        uuid.UUID
	Roles         []models.Role
	IP, UserAgent string
}

// auditActor names the actor in the first of their roles by rank (owner, assistant, editor).
func (a Actor) auditActor() models.AuditActor {
	out := models.AuditActor{UserID: &a.UserID, IP: a.IP, UserAgent: a.UserAgent}
	for _, r := range models.StaffRoles {
		if slices.Contains(a.Roles, r) {
			out.Role = string(r)
			break
		}
	}
	return out
}

// Records serves the declared resources' records to staff, within what their roles allow. A read
// that returns P2 fields is audited in the same transaction.
type Records struct {
	reg    *Registry
	store  Store
	stores Stores
	tx     Transactor
	audit  Auditor
	clock  service.Clock
}

// NewRecords serves reg's resources from db: reads, writes through the resources' writers and
// the use cases of ports (a nil port leaves its actions unavailable), and their audit records.
func NewRecords(reg *Registry, db *repository.DB, ports Ports, clock service.Clock) *Records {
	return &Records{reg: reg, store: db, stores: NewStores(db, ports), tx: db, audit: repository.NewAuditLogs(db), clock: clock}
}

// MaxPage is the largest page one list request returns.
const MaxPage = 200

// ListRequest is a list screen's request, already decoded from react-admin's simple REST
// parameters (sort, range, filter).
type ListRequest struct {
	// Sort is a field name; Desc orders descending. Empty: the resource's default.
	Sort string
	Desc bool
	// Offset and Limit are the range [Offset, Offset+Limit-1].
	Offset, Limit int
	// Filter: "q" searches the searchable fields, "id" (a list) fetches those records,
	// "<field>_gte" and "<field>_lte" bound a filterable date, time or number (both inclusive; a
	// date bound on a time field covers that whole UTC day), any other key a filterable field
	// equal to the value (or to one of a list of values).
	Filter map[string]any
}

// List returns a page of res's records that roles may see and the exact total.
func (s *Records) List(ctx context.Context, res *Resource, actor Actor, req ListRequest) ([]repository.Record, int64, error) {
	roles := actor.Roles
	if !res.Allows(List, roles) {
		return nil, 0, models.ErrForbidden
	}
	fields := res.FieldsFor(roles)
	q := repository.RecordQuery{Columns: listColumns(fields), Offset: req.Offset, Limit: min(req.Limit, MaxPage), Equal: map[string][]any{}, Where: res.scope()}
	sort, desc := req.Sort, req.Desc
	first, then := res.defaultSort()
	if sort == "" && first != "" {
		sort, desc = trimDesc(first), first[0] == '-'
	}
	if then != "" && sort == trimDesc(first) {
		q.ThenSort, q.ThenDesc = trimDesc(then), then[0] == '-'
	}
	if sort != "" && sort != "id" {
		f, ok := fieldNamed(fields, sort)
		if !ok || !f.Sort {
			return nil, 0, &models.ValidationError{Field: "sort", Message: fmt.Sprintf("%q is not a sortable field", sort)}
		}
	}
	q.Sort, q.Desc = sort, desc
	for key, raw := range req.Filter {
		switch key {
		case "q":
			term, ok := raw.(string)
			if !ok {
				return nil, 0, &models.ValidationError{Field: "filter.q", Message: "must be a string"}
			}
			q.Term = term
			for _, f := range fields {
				if f.Search {
					q.Search = append(q.Search, f.Name)
				}
			}
		case "id":
			idField := Field{Name: "id", Type: ID}
			if res.IntID {
				idField.Type = Integer
			}
			ids, err := filterValues(idField, raw)
			if err != nil {
				return nil, 0, err
			}
			q.Equal["id"] = ids
		default:
			if rangeKey(fields, key) {
				b, err := bound(fields, key, raw)
				if err != nil {
					return nil, 0, err
				}
				q.Bounds = append(q.Bounds, b)
				continue
			}
			f, ok := fieldNamed(fields, key)
			if !ok || !f.Filter {
				return nil, 0, &models.ValidationError{Field: "filter." + key, Message: "is not a filterable field"}
			}
			vals, err := filterValues(f, raw)
			if err != nil {
				return nil, 0, err
			}
			q.Equal[f.Name] = vals
		}
	}
	return s.store.Records(ctx, res.Model, q)
}

// Get returns one of res's records with the fields the actor's roles may see. When those include
// P2 fields (the owner reading what a client wrote), the read and its audit record (who, when,
// which record — never the values) commit together, or the answer is an error.
func (s *Records) Get(ctx context.Context, res *Resource, actor Actor, id uuid.UUID) (repository.Record, error) {
	return s.get(ctx, res, actor, id, id.String())
}

// GetInt is Get for a resource whose ids are integers (IntID).
func (s *Records) GetInt(ctx context.Context, res *Resource, actor Actor, id int64) (repository.Record, error) {
	if !res.IntID {
		return nil, models.ErrNotFound
	}
	return s.get(ctx, res, actor, id, strconv.FormatInt(id, 10))
}

// get reads the record whose id is key (named name in an audit record).
func (s *Records) get(ctx context.Context, res *Resource, actor Actor, key any, name string) (repository.Record, error) {
	if !res.Allows(Show, actor.Roles) {
		return nil, models.ErrForbidden
	}
	fields := res.FieldsFor(actor.Roles)
	cols := make([]string, 0, len(fields))
	p2 := false
	for _, f := range fields {
		if f.Type != References {
			cols = append(cols, f.Name)
		}
		p2 = p2 || f.P2
	}
	if !p2 {
		rec, err := s.store.RecordByID(ctx, res.Model, cols, key, res.scope()...)
		if err != nil {
			return nil, err
		}
		return rec, s.references(ctx, fields, key, rec)
	}
	var rec repository.Record
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if rec, err = s.store.RecordByID(ctx, res.Model, cols, key, res.scope()...); err != nil {
			return err
		}
		entry, err := models.NewAuditLog(actor.auditActor(), models.AuditActionRead, res.Name, name, nil, s.clock.Now())
		if err != nil { // a bug of ours, not of the request: %v keeps it from becoming a 422
			return fmt.Errorf("audit the read of %s %s: %v", res.Name, name, err)
		}
		return s.audit.Append(ctx, entry)
	})
	if err != nil {
		return nil, err
	}
	return rec, s.references(ctx, fields, key, rec)
}

// references adds the References fields of a record: each a list of ids, empty when none. (Only
// records with UUID ids have them.)
func (s *Records) references(ctx context.Context, fields []Field, key any, rec repository.Record) error {
	id, ok := key.(uuid.UUID)
	if !ok {
		return nil
	}
	for _, f := range fields {
		if f.Type != References {
			continue
		}
		refs, err := f.Refs(ctx, s.stores.DB, []uuid.UUID{id})
		if err != nil {
			return err
		}
		ids := refs[id]
		if ids == nil {
			ids = []uuid.UUID{}
		}
		rec[f.Name] = ids
	}
	return nil
}

// rangeKey reports whether key is "<field>_gte" or "<field>_lte" of a filterable field that has
// an order (a date, a time or a number) and is not itself a field.
func rangeKey(fields []Field, key string) bool {
	if _, isField := fieldNamed(fields, key); isField {
		return false
	}
	base, ok := strings.CutSuffix(key, "_gte")
	if !ok {
		if base, ok = strings.CutSuffix(key, "_lte"); !ok {
			return false
		}
	}
	f, ok := fieldNamed(fields, base)
	return ok && f.Filter && ordered(f.Type)
}

func ordered(t FieldType) bool {
	return t == DateTime || t == Date || t == Integer || t == Money
}

// bound turns a range filter into a query bound: "_gte" a lower one, "_lte" an upper one just past
// the value (the next day for a date, the next microsecond for a time, the next integer).
func bound(fields []Field, key string, raw any) (repository.Bound, error) {
	base, upper := strings.CutSuffix(key, "_lte")
	if !upper {
		base = strings.TrimSuffix(key, "_gte")
	}
	f, _ := fieldNamed(fields, base)
	bad := func(msg string) error { return &models.ValidationError{Field: "filter." + key, Message: msg} }
	b := repository.Bound{Column: f.Name, Upper: upper}
	switch f.Type {
	case Integer, Money:
		n, ok := raw.(float64)
		if !ok || n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return b, bad("must be an integer")
		}
		if upper {
			n++
		}
		b.Value = int64(n)
		return b, nil
	default:
		s, _ := raw.(string)
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			if upper {
				d = d.AddDate(0, 0, 1)
			}
			b.Value = d
			return b, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || f.Type == Date {
			return b, bad("must be a date YYYY-MM-DD or, for a time, an RFC 3339 time")
		}
		t = t.UTC()
		if upper {
			t = t.Add(time.Microsecond)
		}
		b.Value = t
		return b, nil
	}
}

// listColumns are the columns a list reads: the fields that may be listed, sorted or filtered
// (never P2 — the declaration forbids it).
func listColumns(fields []Field) []string {
	cols := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.List || f.Sort || f.Filter {
			cols = append(cols, f.Name)
		}
	}
	return cols
}

func fieldNamed(fields []Field, name string) (Field, bool) {
	i := slices.IndexFunc(fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return fields[i], true
}

// filterValues checks a filter's value (one, or a list) against the field's type.
func filterValues(f Field, raw any) ([]any, error) {
	list, isList := raw.([]any)
	if !isList {
		list = []any{raw}
	}
	if len(list) == 0 || len(list) > MaxPage {
		return nil, &models.ValidationError{Field: "filter." + f.Name, Message: fmt.Sprintf("must hold 1 to %d values", MaxPage)}
	}
	out := make([]any, 0, len(list))
	for _, v := range list {
		c, err := filterValue(f, v)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func filterValue(f Field, v any) (any, error) {
	bad := func(msg string) error { return &models.ValidationError{Field: "filter." + f.Name, Message: msg} }
	switch f.Type {
	case ID, Reference:
		s, ok := v.(string)
		id, err := uuid.Parse(s)
		if !ok || err != nil {
			return nil, bad("must be an id (UUID)")
		}
		return id, nil
	case Enum:
		s, ok := v.(string)
		if !ok || !slices.ContainsFunc(f.Choices, func(c Choice) bool { return c.Value == s }) {
			return nil, bad("must be one of the field's choices")
		}
		return s, nil
	case Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, bad("must be true or false")
		}
		return b, nil
	case Integer, Money:
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) {
			return nil, bad("must be an integer")
		}
		return int64(n), nil
	default:
		s, ok := v.(string)
		if !ok {
			return nil, bad("must be a string")
		}
		return s, nil
	}
}
