package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// maxDepth bounds the nesting of a JSON document, as encoding/json does.
const maxDepth = 10000

// CheckJSON reports whether b is one JSON value in which no object has a
// key twice (at any depth) and no string (key or value) holds a NUL
// character or anything but UTF-8. Its errors name the JSON pointer: of the
// second occurrence of a key (`duplicate key "rooms" at /rooms`), or of the
// bad string (`invalid UTF-8 in the string at /data/title`). Encoding/json
// keeps the last of two equal keys silently, and silently replaces invalid
// UTF-8 (and lone surrogate escapes) with U+FFFD; a publisher who sends
// either meant something else, and we cannot know what. NUL is refused
// because databases refuse it in text (PostgreSQL) and C-string consumers
// truncate at it.
func CheckJSON(b []byte) error {
	_, err := decodeJSON(b, false)
	return err
}

// decodeJSON parses b, refusing duplicate keys; with build it returns the
// value as jsonschema wants it (objects as map[string]any, numbers as
// json.Number).
func decodeJSON(b []byte, build bool) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	d := &jsonDecoder{dec: dec, build: build, src: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: trailing data after the value")
	}
	return v, nil
}

type jsonDecoder struct {
	dec   *json.Decoder
	build bool
	path  []string // the pointer of the value being read
	src   []byte   // the whole input, to check strings as they were sent
	end   int64    // the input offset after the last token read
	raw   []byte   // the last token as sent, with the separators before it
}

func (d *jsonDecoder) pointer() string {
	if len(d.path) == 0 {
		return "/"
	}
	var sb strings.Builder
	for _, p := range d.path {
		sb.WriteByte('/')
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return sb.String()
}

func (d *jsonDecoder) token() (json.Token, error) {
	t, err := d.dec.Token()
	if err == io.EOF {
		return nil, errors.New("invalid JSON: unexpected end of input")
	}
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	start := d.end
	d.end = d.dec.InputOffset()
	d.raw = d.src[start:d.end]
	return t, nil
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("invalid JSON: nested deeper than %d at %s", maxDepth, d.pointer())
	}
	t, err := d.token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		return d.object(depth)
	case json.Delim('['):
		return d.array(depth)
	}
	if s, ok := t.(string); ok {
		if err := wire.CheckText(s, d.raw); err != nil {
			return nil, fmt.Errorf("%w in the string at %s", err, d.pointer())
		}
	}
	return t, nil // string, json.Number, bool or nil
}

func (d *jsonDecoder) object(depth int) (any, error) {
	seen := map[string]bool{}
	var obj map[string]any
	if d.build {
		obj = map[string]any{}
	}
	for d.dec.More() {
		t, err := d.token()
		if err != nil {
			return nil, err
		}
		key := t.(string) // the decoder only yields string keys inside an object
		if err := wire.CheckText(key, d.raw); err != nil {
			return nil, fmt.Errorf("%w in a key of the object at %s", err, d.pointer())
		}
		d.path = append(d.path, key)
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q at %s", key, d.pointer())
		}
		seen[key] = true
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.path = d.path[:len(d.path)-1]
		if d.build {
			obj[key] = v
		}
	}
	if _, err := d.token(); err != nil { // '}'
		return nil, err
	}
	if !d.build {
		return nil, nil
	}
	return obj, nil
}

func (d *jsonDecoder) array(depth int) (any, error) {
	var arr []any
	if d.build {
		arr = []any{}
	}
	for i := 0; d.dec.More(); i++ {
		d.path = append(d.path, strconv.Itoa(i))
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.path = d.path[:len(d.path)-1]
		if d.build {
			arr = append(arr, v)
		}
	}
	if _, err := d.token(); err != nil { // ']'
		return nil, err
	}
	if !d.build {
		return nil, nil
	}
	return arr, nil
}
