package events_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/models"
)

func nopHandler(context.Context, models.Event) error { return nil }

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	subs := events.NewSubscriptions()
	for _, s := range []struct{ event, name string }{
		{"lead.captured", "crm"}, {"lead.captured", "audit"}, {"appointment.booked", "crm"},
	} {
		if err := subs.Subscribe(s.event, s.name, nopHandler); err != nil {
			t.Fatalf("Subscribe(%s, %s): %v", s.event, s.name, err)
		}
	}

	t.Run("a name is unique per event", func(t *testing.T) {
		err := subs.Subscribe("lead.captured", "crm", nopHandler)
		if err == nil || !strings.Contains(err.Error(), "lead.captured already has a subscriber named crm") {
			t.Errorf("duplicate subscription: %v", err)
		}
		if got := len(subs.For("lead.captured")); got != 2 {
			t.Errorf("the refused duplicate was added: %d subscriptions", got)
		}
	})
	t.Run("incomplete subscriptions are refused", func(t *testing.T) {
		for _, tc := range []struct {
			event, name string
			h           events.Handler
		}{{"", "x", nopHandler}, {"x.y", "", nopHandler}, {"x.y", "x", nil}} {
			if err := subs.Subscribe(tc.event, tc.name, tc.h); err == nil {
				t.Errorf("Subscribe(%q, %q, handler %v) succeeded", tc.event, tc.name, tc.h != nil)
			}
		}
	})
	t.Run("For lists in subscription order, as a copy", func(t *testing.T) {
		got := subs.For("lead.captured")
		if len(got) != 2 || got[0].Name != "crm" || got[1].Name != "audit" || got[0].Event != "lead.captured" || got[0].Handle == nil {
			t.Fatalf("For = %+v", got)
		}
		got[0].Name = "changed"
		if subs.For("lead.captured")[0].Name != "crm" {
			t.Error("changing For's result changed the subscriptions")
		}
		if got := subs.For("nobody.listens"); len(got) != 0 {
			t.Errorf("For an unsubscribed event = %+v", got)
		}
	})
	t.Run("Get", func(t *testing.T) {
		if s, ok := subs.Get("appointment.booked", "crm"); !ok || s.Name != "crm" || s.Event != "appointment.booked" {
			t.Errorf("Get(appointment.booked, crm) = %+v, %v", s, ok)
		}
		for _, tc := range [][2]string{{"appointment.booked", "audit"}, {"nobody.listens", "crm"}} {
			if _, ok := subs.Get(tc[0], tc[1]); ok {
				t.Errorf("Get(%s, %s) found a subscription", tc[0], tc[1])
			}
		}
	})
}

// fill sets every field of v to a value that is not its zero value, so that a field the JSON
// round trip loses shows as a difference.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch {
	case v.Type() == reflect.TypeOf(time.Time{}):
		v.Set(reflect.ValueOf(time.Date(2026, 3, 29, 2, 30, 15, 123456789, time.UTC)))
		return
	case v.Type() == reflect.TypeOf(uuid.UUID{}):
		v.Set(reflect.ValueOf(models.NewID()))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(t, v.Field(i), path+"."+f.Name)
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	case reflect.String:
		v.SetString("value-of-" + path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-42)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(42)
	default:
		t.Fatalf("fill: %s is a %s; teach fill about it", path, v.Kind())
	}
}

func TestCatalogRoundTripsEveryEvent(t *testing.T) {
	t.Parallel()
	c := events.DefaultCatalog()
	names := c.Names()
	if len(names) == 0 || !slices.IsSorted(names) {
		t.Fatalf("Names = %v, want a sorted, non-empty list", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			zero, err := c.Decode(name, []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			if zero.EventName() != name {
				t.Fatalf("%s decodes to %T named %s", name, zero, zero.EventName())
			}
			ptr := reflect.New(reflect.TypeOf(zero))
			fill(t, ptr.Elem(), reflect.TypeOf(zero).Name())
			want := ptr.Elem().Interface().(models.Event)

			raw, err := c.Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Decode(name, raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip through %s:\n got %#v\nwant %#v", raw, got, want)
			}
			if got.EventID() != want.EventID() || got.AggregateID() != want.AggregateID() || !got.OccurredAt().Equal(want.OccurredAt()) {
				t.Errorf("meta lost: %v %v %v", got.EventID(), got.AggregateID(), got.OccurredAt())
			}
			// A pointer encodes like the value.
			if rawPtr, err := c.Encode(ptr.Interface().(models.Event)); err != nil || string(rawPtr) != string(raw) {
				t.Errorf("Encode(&event) = %s, %v; want %s", rawPtr, err, raw)
			}
		})
	}
}

// strayEvent is an event no catalog knows.
type strayEvent struct{ models.EventMeta }

func (strayEvent) EventName() string { return "stray.happened" }

func TestCatalogRefusesUnknownEvents(t *testing.T) {
	t.Parallel()
	c := events.DefaultCatalog()
	if _, err := c.Encode(strayEvent{}); err == nil || !strings.Contains(err.Error(), `"stray.happened" is not in the catalog`) {
		t.Errorf("Encode(unknown) = %v", err)
	}
	if _, err := c.Decode("stray.happened", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "not in the catalog") {
		t.Errorf("Decode(unknown) = %v", err)
	}
	if _, err := c.Decode("lead.captured", []byte(`{"source": 7}`)); err == nil || !strings.Contains(err.Error(), "decode event lead.captured") {
		t.Errorf("Decode(bad payload) = %v", err)
	}

	// A catalog knows what it was given, pointers included, and decodes to values.
	own := events.NewCatalog(&strayEvent{})
	if got := own.Names(); !slices.Equal(got, []string{"stray.happened"}) {
		t.Errorf("Names = %v", got)
	}
	e, err := own.Decode("stray.happened", []byte(`{"event_id":"0193a1b2-0000-7000-8000-000000000001"}`))
	if _, ok := e.(strayEvent); err != nil || !ok {
		t.Errorf("Decode = %#v, %v; want a strayEvent value", e, err)
	}
}

// modelEventTypes parses the models package's source for every type with an
// `EventName() string` method.
func modelEventTypes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "models", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 || fn.Name.Name != "EventName" {
				continue
			}
			if fn.Type.Params.NumFields() != 0 || fn.Type.Results.NumFields() != 1 {
				continue
			}
			if res, ok := fn.Type.Results.List[0].Type.(*ast.Ident); !ok || res.Name != "string" {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok {
				out = append(out, id.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestDefaultCatalogHasEveryModelEvent(t *testing.T) {
	t.Parallel()
	declared := modelEventTypes(t)
	if len(declared) < 10 || !slices.Contains(declared, "AppointmentBooked") {
		t.Fatalf("the parser found only %v: is the models path right?", declared)
	}
	c := events.DefaultCatalog()
	var catalogued []string
	for _, name := range c.Names() {
		e, err := c.Decode(name, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		typ := reflect.TypeOf(e)
		if typ.PkgPath() != "balance/models" {
			t.Errorf("%s is %s.%s, not a models type", name, typ.PkgPath(), typ.Name())
		}
		catalogued = append(catalogued, typ.Name())
	}
	for _, typ := range declared {
		if !slices.Contains(catalogued, typ) {
			t.Errorf("models.%s is an event (it has EventName) but DefaultCatalog lacks it", typ)
		}
	}
	if len(catalogued) != len(declared) {
		t.Errorf("catalog has %d types, models declare %d events: %v vs %v", len(catalogued), len(declared), catalogued, declared)
	}
}
