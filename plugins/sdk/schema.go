package sdk

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Schema is the JSON Schema (draft 2020-12) of the JSON that a struct T
// marshals to, for EventType.Schema: an object with every field (by its
// json name) required and no other, each typed after its Go type (a
// pointer may be null, a time.Time is a date-time string). A field's
// `schema` tag adds constraints, separated by commas: "id" (IDPattern),
// "min=N" (minLength of a string, minimum of a number), "enum=a|b|c" and,
// last since it may hold commas, "pattern=REGEX". Fields with json:"-"
// (such as bun.BaseModel) are left out. It panics if T is not a struct.
func Schema[T any]() []byte {
	t := reflect.TypeFor[T]()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		panic("sdk.Schema: " + t.String() + " is not a struct")
	}
	props := map[string]map[string]any{}
	required := []string{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = property(f.Type, f.Tag.Get("schema"))
		required = append(required, name)
	}
	b, err := json.Marshal(map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"additionalProperties": false, "required": required, "properties": props})
	if err != nil {
		panic("sdk.Schema: " + err.Error())
	}
	return b
}

var timeType = reflect.TypeFor[time.Time]()

// property is the schema of a field of Go type t with schema tag tag.
func property(t reflect.Type, tag string) map[string]any {
	p := map[string]any{}
	null := t.Kind() == reflect.Pointer
	if null {
		t = t.Elem()
	}
	var typ string
	switch t.Kind() {
	case reflect.String:
		typ = "string"
	case reflect.Bool:
		typ = "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		typ = "integer"
	case reflect.Float32, reflect.Float64:
		typ = "number"
	case reflect.Slice, reflect.Array:
		typ = "array"
		if t.Elem().Kind() == reflect.Uint8 {
			typ = "string" // base64
		}
	case reflect.Map:
		typ = "object"
	case reflect.Struct:
		typ = "object"
		if t == timeType {
			typ, p["format"] = "string", "date-time"
		}
	}
	if typ != "" && null {
		p["type"] = []string{typ, "null"}
	} else if typ != "" {
		p["type"] = typ
	}
	for tag != "" {
		var item string
		if strings.HasPrefix(tag, "pattern=") {
			item, tag = tag, ""
		} else {
			item, tag, _ = strings.Cut(tag, ",")
		}
		key, val, _ := strings.Cut(item, "=")
		switch key {
		case "id":
			p["pattern"] = IDPattern
		case "pattern":
			p["pattern"] = val
		case "enum":
			p["enum"] = strings.Split(val, "|")
		case "min":
			n, err := strconv.Atoi(val)
			if err != nil {
				panic("sdk.Schema: min=" + val + " is not an integer")
			}
			if typ == "string" {
				p["minLength"] = n
			} else {
				p["minimum"] = n
			}
		default:
			panic("sdk.Schema: unknown schema tag " + strconv.Quote(item))
		}
	}
	return p
}
