package repository

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"balance/migrations"
)

// RecordQuery asks for a page of one table's rows as records (column name → value), for the
// admin API's generated screens. Column names come from a resource declaration; Records refuses
// any the model does not map, so nothing from a request reaches SQL unchecked.
type RecordQuery struct {
	// Columns are the columns each record carries ("id" is always included).
	Columns []string
	// Equal keeps rows whose column equals one of the values.
	Equal map[string][]any
	// Bounds keep rows whose column lies within them (a date range, a minimum amount).
	Bounds []Bound
	// Where are fixed conditions of the resource (its scope), written in code, never taken from
	// a request.
	Where []Condition
	// Term, when set, keeps rows where any of the Search columns contains it (case-insensitive).
	Term   string
	Search []string
	// Sort orders by a column, then by ThenSort (when set), then by id for a stable page; empty
	// sorts by id.
	Sort, ThenSort string
	Desc, ThenDesc bool
	// Offset and Limit select the page (Limit 0: no rows, only the total).
	Offset, Limit int
}

// Bound keeps rows whose Column is at least (Upper false) or below (Upper true) Value. An upper
// bound is exclusive, so that consecutive ranges do not overlap.
type Bound struct {
	Column string
	Upper  bool
	Value  any
}

// Condition is a fixed SQL condition over a model's table with its arguments, e.g. "the users
// that hold no staff role". Its SQL comes from code, never from a request.
type Condition struct {
	SQL  string
	Args []any
}

// Record is one row as column → value: times in UTC, NULL as nil.
type Record map[string]any

var recordSchemas sync.Map

func (db *DB) parse(model any) (*schema.Schema, error) {
	return schema.Parse(model, &recordSchemas, db.Gorm.NamingStrategy)
}

// checkColumns reports the first column s does not map.
func checkColumns(s *schema.Schema, cols ...string) error {
	for _, c := range cols {
		if _, ok := s.FieldsByDBName[c]; !ok {
			return fmt.Errorf("records of %s: no column %q", s.Table, c)
		}
	}
	return nil
}

// Records returns a page of model's table (model is a pointer to the row type, e.g.
// &models.Service{}) and the exact number of rows that match. Only the asked columns are read, so
// encrypted columns nobody asked for are never decrypted.
func (db *DB) Records(ctx context.Context, model any, q RecordQuery) ([]Record, int64, error) {
	s, err := db.parse(model)
	if err != nil {
		return nil, 0, err
	}
	cols := withID(q.Columns)
	if err := checkColumns(s, cols...); err != nil {
		return nil, 0, err
	}
	if err := checkColumns(s, q.Search...); err != nil {
		return nil, 0, err
	}
	var exprs map[string]string // computed columns: filtered through their expressions
	if c, ok := model.(computedColumns); ok {
		exprs = c.computedColumns(db.Dialect)
	}
	where := func(tx *gorm.DB) *gorm.DB {
		for _, c := range q.Where {
			tx = tx.Where(c.SQL, c.Args...)
		}
		for col, vals := range q.Equal {
			if e, computed := exprs[col]; computed {
				tx = tx.Where(clauseIn("("+e+")"), vals)
				continue
			}
			tx = tx.Where(clauseIn(col), vals)
		}
		for _, b := range q.Bounds {
			op := " >= ?"
			if b.Upper {
				op = " < ?"
			}
			tx = tx.Where(b.Column+op, b.Value)
		}
		if q.Term != "" && len(q.Search) > 0 {
			like := "%" + escapeLike(strings.ToLower(q.Term)) + "%"
			parts := make([]string, len(q.Search))
			args := make([]any, len(q.Search))
			for i, col := range q.Search {
				parts[i] = "LOWER(" + col + ") LIKE ? ESCAPE '\\'"
				args[i] = like
			}
			tx = tx.Where("("+strings.Join(parts, " OR ")+")", args...)
		}
		return tx
	}
	for col := range q.Equal {
		if err := checkColumns(s, col); err != nil {
			return nil, 0, err
		}
	}
	for _, b := range q.Bounds {
		if err := checkColumns(s, b.Column); err != nil {
			return nil, 0, err
		}
	}
	// A computed column is read, and filtered by equality (a scan: no index serves it), but it
	// orders, bounds and matches nothing.
	used := append([]string{q.Sort, q.ThenSort}, q.Search...)
	for _, b := range q.Bounds {
		used = append(used, b.Column)
	}
	for _, col := range used {
		if _, computed := exprs[col]; computed {
			return nil, 0, fmt.Errorf("records of %s: computed column %q cannot be sorted, bounded or searched", s.Table, col)
		}
	}
	var total int64
	if err := where(db.conn(ctx).Model(model)).Count(&total).Error; err != nil {
		return nil, 0, translate(err)
	}
	if q.Limit <= 0 {
		return []Record{}, total, nil
	}
	// The id breaks ties in the same direction, so that an index on the sort column serves the
	// order scanned either way.
	dir := direction(q.Desc)
	order := "id" + dir
	if q.Sort != "" && q.Sort != "id" {
		if err := checkColumns(s, q.Sort); err != nil {
			return nil, 0, err
		}
		order = q.Sort + dir
		if q.ThenSort != "" && q.ThenSort != q.Sort {
			if err := checkColumns(s, q.ThenSort); err != nil {
				return nil, 0, err
			}
			order += ", " + q.ThenSort + direction(q.ThenDesc)
		}
		order += ", id" + dir
	}
	// A deep page walks past Offset rows: walk them reading ids only (an index, where one serves
	// the order), then read the page's rows by id.
	ids := reflect.New(reflect.SliceOf(s.FieldsByDBName["id"].FieldType))
	if err := where(db.conn(ctx).Model(model)).Order(order).Offset(q.Offset).Limit(q.Limit).Pluck("id", ids.Interface()).Error; err != nil {
		return nil, 0, translate(err)
	}
	if ids.Elem().Len() == 0 {
		return []Record{}, total, nil
	}
	rows := reflect.New(reflect.SliceOf(reflect.TypeOf(model).Elem()))
	if err := db.conn(ctx).Model(model).Select(db.selects(model, cols)).Where(clauseIn("id"), ids.Elem().Interface()).Find(rows.Interface()).Error; err != nil {
		return nil, 0, translate(err)
	}
	byID := make(map[any]Record, rows.Elem().Len())
	for i := range rows.Elem().Len() {
		rec := toRecord(s, rows.Elem().Index(i), cols)
		byID[rec["id"]] = rec
	}
	out := make([]Record, 0, ids.Elem().Len())
	for i := range ids.Elem().Len() {
		if rec, ok := byID[ids.Elem().Index(i).Interface()]; ok { // gone between the two reads: skipped
			out = append(out, rec)
		}
	}
	return out, total, nil
}

func direction(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}

// computedColumns is a model some of whose columns are SQL expressions over its table (per
// dialect), read-only: a job's last error, out of River's JSON.
type computedColumns interface {
	computedColumns(d migrations.Dialect) map[string]string
}

// selects are the select list reading cols of model: a computed column as its expression.
func (db *DB) selects(model any, cols []string) []string {
	c, ok := model.(computedColumns)
	if !ok {
		return cols
	}
	exprs := c.computedColumns(db.Dialect)
	out := make([]string, len(cols))
	for i, col := range cols {
		out[i] = col
		if e, ok := exprs[col]; ok {
			out[i] = "(" + e + ") AS " + col
		}
	}
	return out
}

// RecordByID returns one row of model's table as a record: models.ErrNotFound when there is none
// (or none that meets the conditions where). id is the row's id: a uuid.UUID, or an int64 for a
// table with integer ids.
func (db *DB) RecordByID(ctx context.Context, model any, columns []string, id any, where ...Condition) (Record, error) {
	s, err := db.parse(model)
	if err != nil {
		return nil, err
	}
	cols := withID(columns)
	if err := checkColumns(s, cols...); err != nil {
		return nil, err
	}
	row := reflect.New(reflect.TypeOf(model).Elem())
	tx := db.conn(ctx).Model(model).Select(db.selects(model, cols)).Where("id = ?", id)
	for _, c := range where {
		tx = tx.Where(c.SQL, c.Args...)
	}
	if err := tx.Take(row.Interface()).Error; err != nil {
		return nil, translate(err)
	}
	return toRecord(s, row.Elem(), cols), nil
}

func withID(cols []string) []string {
	for _, c := range cols {
		if c == "id" {
			return cols
		}
	}
	return append([]string{"id"}, cols...)
}

func clauseIn(col string) string { return col + " IN ?" }

// escapeLike makes a search term match literally in LIKE … ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// toRecord reads cols of one row from its struct fields (a serializer's field, once loaded, holds
// the decoded value): pointers dereferenced (nil for NULL), times in UTC.
func toRecord(s *schema.Schema, row reflect.Value, cols []string) Record {
	rec := make(Record, len(cols))
	for _, col := range cols {
		v, err := row.FieldByIndexErr(s.FieldsByDBName[col].StructField.Index)
		if err != nil { // a nil embedded pointer: no value
			rec[col] = nil
			continue
		}
		rec[col] = plain(v)
	}
	return rec
}

func plain(v reflect.Value) any {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if t, ok := v.Interface().(time.Time); ok {
		return t.UTC()
	}
	return v.Interface()
}
