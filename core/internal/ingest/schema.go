package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Types is the catalogue as one source sees it: the event types it knows,
// each with the compiled JSON Schema of its data.
type Types interface {
	// Schema returns the schema of typ (nil: any data), or false when typ
	// is not known.
	Schema(typ string) (*jsonschema.Schema, bool)
}

// TypesFunc adapts a function to Types.
type TypesFunc func(typ string) (*jsonschema.Schema, bool)

// Schema calls f.
func (f TypesFunc) Schema(typ string) (*jsonschema.Schema, bool) { return f(typ) }

// NoTypes is an empty catalogue.
var NoTypes Types = TypesFunc(func(string) (*jsonschema.Schema, bool) { return nil, false })

// Compile compiles the JSON Schema of an event type's data.
func Compile(typ string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schema)))
	if err != nil {
		return nil, fmt.Errorf("event %s: schema is not JSON: %w", typ, err)
	}
	c := jsonschema.NewCompiler()
	url := "urn:switchboard:event:" + typ
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("event %s: schema: %w", typ, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("event %s: schema: %w", typ, err)
	}
	return s, nil
}

// schemaError describes what in data broke the schema: one "at POINTER:
// reason" per failing keyword, the pointer counted from the event (so
// /data/title), joined with "; ".
func schemaError(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		if _, ok := e.ErrorKind.(*kind.Schema); ok {
			return
		}
		msg := e.Error() // a leaf prints "at '/ptr': reason"
		if out := e.BasicOutput(); out.Error != nil {
			msg = out.Error.String()
		}
		ptr := "/data"
		for _, tok := range e.InstanceLocation {
			ptr += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
		}
		parts = append(parts, "at "+ptr+": "+msg)
	}
	walk(ve)
	if len(parts) == 0 {
		return ve.Error()
	}
	return strings.Join(parts, "; ")
}
