package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// checkText walks a JSON document and refuses a key that comes twice in
// one object (encoding/json would keep the last one silently: what is
// stored would not be what the client meant), and a string (key or value)
// that holds a NUL character, invalid UTF-8 or a lone surrogate escape. Text
// columns refuse NUL (PostgreSQL: "invalid byte sequence"), and
// encoding/json silently replaces the others with U+FFFD, so what would be
// stored is not what was sent. The error names the string's JSON pointer.
// Syntax errors are left to the decoder that follows: checkText returns
// nil for them.
func checkText(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var (
		path  []string          // pointer of the value being read
		stack []int             // per open container: -1 object, else next array index
		seen  []map[string]bool // per open container: an object's keys so far
		key   bool              // the next string in the current object is a key
		end   int64
	)
	for {
		t, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return nil // a syntax error: the decoder reports it
		}
		start := end
		end = dec.InputOffset()
		inObject := len(stack) > 0 && stack[len(stack)-1] == -1
		switch t := t.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if !inObject && len(stack) > 0 {
					path = append(path, fmt.Sprint(stack[len(stack)-1]))
					stack[len(stack)-1]++
				}
				if t == '{' {
					stack = append(stack, -1)
					seen = append(seen, map[string]bool{})
					key = true
				} else {
					stack = append(stack, 0)
					seen = append(seen, nil)
				}
				continue
			default: // '}' or ']'
				stack = stack[:len(stack)-1]
				seen = seen[:len(seen)-1]
				if len(stack) > 0 {
					path = path[:len(path)-1] // the container's own segment
				}
				key = len(stack) > 0 && stack[len(stack)-1] == -1
				continue
			}
		case string:
			if inObject && key {
				if err := wire.CheckText(t, b[start:end]); err != nil {
					return fmt.Errorf("%w in a key of the object at %s", err, pointer(path))
				}
				if keys := seen[len(seen)-1]; keys[t] {
					return fmt.Errorf("duplicate key %q at %s", t, pointer(append(path, t)))
				} else {
					keys[t] = true
				}
				path = append(path, t)
				key = false
				continue
			}
			if !inObject && len(stack) > 0 {
				path = append(path, fmt.Sprint(stack[len(stack)-1]))
				stack[len(stack)-1]++
			}
			if err := wire.CheckText(t, b[start:end]); err != nil {
				return fmt.Errorf("%w in the string at %s", err, pointer(path))
			}
		default: // number, bool, null
			if !inObject && len(stack) > 0 {
				path = append(path, fmt.Sprint(stack[len(stack)-1]))
				stack[len(stack)-1]++
			}
		}
		// A scalar value is done: drop its segment.
		if len(stack) > 0 {
			path = path[:len(path)-1]
			key = stack[len(stack)-1] == -1
		}
	}
}

// pointer is the JSON pointer (RFC 6901) of path.
func pointer(path []string) string {
	if len(path) == 0 {
		return "/"
	}
	var sb strings.Builder
	for _, p := range path {
		sb.WriteByte('/')
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return sb.String()
}
