package admin

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// Input is a create or update body: the editable fields of a resource, as decoded JSON. Its
// getters convert and collect one message per bad field; Err reports them all at once.
type Input struct {
	values map[string]any
	errs   map[string]string
	// version is the record's version the form was filled from (optimistic locking), when the
	// resource has one and the body says it.
	version *int
}

// NewInput keeps the editable fields of res that body sets. Other keys (react-admin sends the
// whole record on update: id, timestamps) are ignored.
func NewInput(res *Resource, body map[string]any) *Input {
	_, versioned := res.Field("version")
	editable := slices.DeleteFunc(slices.Clone(res.Fields), func(f Field) bool { return !f.Edit })
	return newInput(editable, body, versioned)
}

// NewCreateInput keeps what a create may set: the editable fields of res and its create fields.
func NewCreateInput(res *Resource, body map[string]any) *Input {
	in := NewInput(res, body)
	for _, f := range res.CreateFields {
		if v, ok := body[f.Name]; ok {
			in.values[f.Name] = v
		}
	}
	return in
}

// NewActionInput keeps the fields of body that the action declares, and the record's version when
// res has one and the body says it.
func NewActionInput(res *Resource, a Action, body map[string]any) *Input {
	_, versioned := res.Field("version")
	return newInput(a.Fields, body, versioned)
}

// newInput keeps the values of body that fields name.
func newInput(fields []Field, body map[string]any, versioned bool) *Input {
	in := &Input{values: map[string]any{}, errs: map[string]string{}}
	for _, f := range fields {
		if v, ok := body[f.Name]; ok {
			in.values[f.Name] = v
		}
	}
	if versioned {
		if v, ok := body["version"].(float64); ok && v == math.Trunc(v) && v >= 0 && v < math.MaxInt32 {
			n := int(v)
			in.version = &n
		}
	}
	return in
}

// CheckVersion refuses a change to a record that changed since the form was filled: a
// *VersionConflict naming the current version. A body without a version is not checked.
func (in *Input) CheckVersion(current int) error {
	if in.version != nil && *in.version != current {
		return &VersionConflict{Current: current}
	}
	return nil
}

// VersionConflict: another staff member changed the record first; reload it (version Current)
// and edit again.
type VersionConflict struct{ Current int }

func (e *VersionConflict) Error() string {
	return fmt.Sprintf("the record changed meanwhile (now version %d)", e.Current)
}

// Unwrap makes a VersionConflict a models.ErrConflict.
func (e *VersionConflict) Unwrap() error { return models.ErrConflict }

// Has reports whether the body sets name.
func (in *Input) Has(name string) bool { _, ok := in.values[name]; return ok }

// Names lists the fields the body sets, for the audit record.
func (in *Input) Names() []string {
	out := make([]string, 0, len(in.values))
	for k := range in.values {
		out = append(out, k)
	}
	return out
}

func (in *Input) fail(name, msg string) {
	if _, ok := in.errs[name]; !ok {
		in.errs[name] = msg
	}
}

// String is a text field ("" when absent or null).
func (in *Input) String(name string) string {
	switch v := in.values[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		in.fail(name, "должно быть строкой")
		return ""
	}
}

// OptString is a text field that may be empty (nil when absent, null or "").
func (in *Input) OptString(name string) *string {
	if s := in.String(name); s != "" {
		return &s
	}
	return nil
}

// OptInt64 is an integer field that may be empty (nil when absent or null).
func (in *Input) OptInt64(name string) *int64 {
	switch v := in.values[name].(type) {
	case nil:
		return nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			in.fail(name, "должно быть целым числом")
			return nil
		}
		n := int64(v)
		return &n
	default:
		in.fail(name, "должно быть целым числом")
		return nil
	}
}

// Int64 is an integer field (0 when absent).
func (in *Input) Int64(name string) int64 {
	if n := in.OptInt64(name); n != nil {
		return *n
	}
	return 0
}

// OptInt is OptInt64 for int fields.
func (in *Input) OptInt(name string) *int {
	n := in.OptInt64(name)
	if n == nil {
		return nil
	}
	if *n > math.MaxInt32 || *n < math.MinInt32 {
		in.fail(name, "слишком большое число")
		return nil
	}
	i := int(*n)
	return &i
}

// Int is an int field (0 when absent).
func (in *Input) Int(name string) int {
	if n := in.OptInt(name); n != nil {
		return *n
	}
	return 0
}

// OptDate is a calendar date "YYYY-MM-DD" (or an RFC 3339 time, whose day counts), as midnight UTC.
func (in *Input) OptDate(name string) *time.Time {
	s := in.String(name)
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, err2 := time.Parse(time.RFC3339, s)
		if err2 != nil {
			in.fail(name, "должно быть датой ГГГГ-ММ-ДД")
			return nil
		}
		d = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return &d
}

// OptTime is a moment, RFC 3339 with its offset (nil when absent, null or ""), in UTC.
func (in *Input) OptTime(name string) *time.Time {
	s := in.String(name)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		in.fail(name, "должно быть датой и временем (RFC 3339, например 2026-12-01T09:00:00+03:00)")
		return nil
	}
	t = t.UTC()
	return &t
}

// OptID is a reference (nil when absent or null).
func (in *Input) OptID(name string) *uuid.UUID {
	s := in.String(name)
	if s == "" {
		return nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		in.fail(name, "должно быть идентификатором (UUID)")
		return nil
	}
	return &id
}

// IDs is a list of references (nil when absent or null; a repeated id counts once).
func (in *Input) IDs(name string) []uuid.UUID {
	var raw []any
	switch v := in.values[name].(type) {
	case nil:
		return nil
	case []any:
		raw = v
	default:
		in.fail(name, "должно быть списком идентификаторов")
		return nil
	}
	if len(raw) > MaxPage {
		in.fail(name, fmt.Sprintf("не больше %d значений", MaxPage))
		return nil
	}
	out := make([]uuid.UUID, 0, len(raw))
	for _, v := range raw {
		s, _ := v.(string)
		id, err := uuid.Parse(s)
		if err != nil {
			in.fail(name, "должно быть списком идентификаторов (UUID)")
			return nil
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Require records that name must be set.
func (in *Input) Require(names ...string) {
	for _, n := range names {
		if v, ok := in.values[n]; !ok || v == nil || v == "" {
			in.fail(n, "обязательное поле")
		}
	}
}

// Err is the collected field errors, or nil.
func (in *Input) Err() error {
	if len(in.errs) == 0 {
		return nil
	}
	return &InputError{Fields: in.errs}
}

// InputError lists the fields of a create or update body that are wrong, each with a message for
// the person who filled the form (Russian).
type InputError struct{ Fields map[string]string }

func (e *InputError) Error() string { return "invalid fields" }

// inputError turns a model's validation error into an InputError on the same field, so that the
// form shows it beside the field; other errors pass through.
func inputError(err error) error {
	var ve *models.ValidationError
	if errors.As(inRussian(err), &ve) {
		return &InputError{Fields: map[string]string{ve.Field: ve.Message}}
	}
	return err
}
