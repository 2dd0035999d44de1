package sdktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Schemas are the compiled JSON Schemas of a plugin's event types, as the
// core compiles them from Info().Events; unlike the core they also assert
// "format", so an event that passes here passes there.
type Schemas map[string]*jsonschema.Schema

// CompileSchemas compiles the schema of each event type, failing t on one
// that is not valid JSON Schema.
func CompileSchemas(t testing.TB, types []sdk.EventType) Schemas {
	t.Helper()
	out := Schemas{}
	for _, et := range types {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(et.Schema))
		if err != nil {
			t.Fatalf("%s: schema is not JSON: %v", et.Type, err)
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		url := "urn:switchboard:event:" + et.Type
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("%s: %v", et.Type, err)
		}
		if out[et.Type], err = c.Compile(url); err != nil {
			t.Fatalf("%s: schema: %v", et.Type, err)
		}
	}
	return out
}

// Validate checks data, marshalled to JSON, against the schema of typ.
func (s Schemas) Validate(typ string, data any) error {
	sch := s[typ]
	if sch == nil {
		return fmt.Errorf("event type %s is not declared in Info", typ)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("data %s: %w", b, err)
	}
	return nil
}

// Check reports, on t, each event of evs whose type is not declared or
// whose data does not match its schema, and returns evs.
func (s Schemas) Check(t testing.TB, evs []*sdk.Event) []*sdk.Event {
	t.Helper()
	for _, ev := range evs {
		if err := s.Validate(ev.Type, ev.Data); err != nil {
			t.Errorf("event %s does not match its schema: %v", ev.Type, err)
		}
	}
	return evs
}

// CheckPayloads runs CheckPayload, as a subtest named after the event type,
// for each of types with the payload struct payloads maps it to, and fails
// t for a type without a payload or a payload without a type.
func CheckPayloads(t *testing.T, types []sdk.EventType, payloads map[string]any) {
	t.Helper()
	declared := map[string]bool{}
	for _, et := range types {
		declared[et.Type] = true
		p, ok := payloads[et.Type]
		if !ok {
			t.Errorf("%s: no payload struct", et.Type)
			continue
		}
		t.Run(et.Type, func(t *testing.T) { CheckPayload(t, p, et.Schema) })
	}
	for _, typ := range slices.Sorted(maps.Keys(payloads)) {
		if !declared[typ] {
			t.Errorf("%s: payload for an event type not in Info", typ)
		}
	}
}

// CheckPayload keeps a payload struct and its JSON Schema in step: the
// schema is draft 2020-12 with additionalProperties false, its properties
// and required list exactly the struct's JSON field names, and where a
// property declares a "type" it is the one the Go field marshals to (a
// pointer adds "null").
func CheckPayload(t testing.TB, payload any, schema []byte) {
	t.Helper()
	typ := reflect.TypeOf(payload)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct {
		t.Fatalf("payload %T is not a struct", payload)
	}
	var s struct {
		Schema               string                     `json:"$schema"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Required             []string                   `json:"required"`
		Properties           map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(schema, &s); err != nil {
		t.Fatalf("%s: schema: %v", typ.Name(), err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.AdditionalProperties == nil || *s.AdditionalProperties {
		t.Errorf("%s: schema must be draft 2020-12 with additionalProperties false", typ.Name())
	}
	var fields []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields = append(fields, name)
		raw, ok := s.Properties[name]
		if !ok {
			continue
		}
		var prop struct {
			Type any `json:"type"`
		}
		if err := json.Unmarshal(raw, &prop); err != nil {
			t.Errorf("%s.%s: %v", typ.Name(), name, err)
			continue
		}
		if prop.Type != nil && !matchesType(prop.Type, f.Type) {
			t.Errorf("%s.%s: schema type %v, Go type %s", typ.Name(), name, prop.Type, f.Type)
		}
	}
	props := slices.Sorted(maps.Keys(s.Properties))
	req := slices.Sorted(slices.Values(s.Required))
	slices.Sort(fields)
	if !slices.Equal(fields, props) || !slices.Equal(fields, req) {
		t.Errorf("%s: struct fields %v, schema properties %v, required %v", typ.Name(), fields, props, req)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// nullness says whether a Go type's JSON may be null.
type nullness int

const (
	neverNull nullness = iota // the schema must not allow null
	maybeNull                 // a nil slice or map: either way
	mustNull                  // a pointer: the schema must allow null
)

// jsonType is the JSON Schema type that values of Go type t marshal to
// ("" when there is no single one) and whether they may be null.
func jsonType(t reflect.Type) (string, nullness) {
	if t == timeType {
		return "string", neverNull
	}
	switch t.Kind() {
	case reflect.Pointer:
		base, _ := jsonType(t.Elem())
		return base, mustNull
	case reflect.String:
		return "string", neverNull
	case reflect.Bool:
		return "boolean", neverNull
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer", neverNull
	case reflect.Float32, reflect.Float64:
		return "number", neverNull
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string", maybeNull // []byte marshals as base64
		}
		return "array", maybeNull
	case reflect.Array:
		return "array", neverNull
	case reflect.Map:
		return "object", maybeNull
	case reflect.Struct:
		return "object", neverNull
	}
	return "", maybeNull
}

// matchesType reports whether a schema's "type" (a name or a list of
// names) is the one Go type t marshals to.
func matchesType(schemaType any, t reflect.Type) bool {
	var got []string
	switch v := schemaType.(type) {
	case string:
		got = []string{v}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return false
			}
			got = append(got, s)
		}
	default:
		return false
	}
	base, null := jsonType(t)
	if base == "" {
		return true // an interface or the like: anything goes
	}
	if slices.Contains(got, "null") {
		if null == neverNull {
			return false
		}
		got = slices.DeleteFunc(got, func(s string) bool { return s == "null" })
	} else if null == mustNull {
		return false
	}
	return len(got) == 1 && got[0] == base
}
