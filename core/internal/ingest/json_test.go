package ingest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var jsonCases = []struct {
	in   string
	want string // "" accepts
}{
	{`{"a":1,"b":[1,{"a":2}],"c":{"a":3}}`, ""},
	{`[1,"x",null,true,{"k":[]}]`, ""},
	{` "s" `, ""},
	{`{"rooms":["a"],"rooms":["b"]}`, `duplicate key "rooms" at /rooms`},
	{`[{"x":1},{"y":{"z":1,"z":2}}]`, `duplicate key "z" at /1/y/z`},
	{`{"a":1,"\u0061":2}`, `duplicate key "a" at /a`},
	{`{"a/b":{"c~d":1,"c~d":1}}`, `duplicate key "c~d" at /a~1b/c~0d`},
	{`{`, "invalid JSON: unexpected end of input"},
	{`{"a" 1}`, "invalid JSON"},
	{`{1:2}`, "invalid JSON"},
	{`[1,]`, "invalid JSON"},
	{`1 2`, "invalid JSON: trailing data after the value"},
	{``, "invalid JSON: unexpected end of input"},
	{`{"title":"a\u0000b"}`, `NUL character (\u0000) in the string at /title`},
	{`[{"a\u0000":1}]`, `NUL character (\u0000) in a key of the object at /0`},
	{"{\"data\":{\"title\":\"caf\xe9\"}}", `invalid UTF-8 (or a lone surrogate escape) in the string at /data/title`},
	{"{\"t\xff\":1}", `invalid UTF-8 (or a lone surrogate escape) in a key of the object at /`},
	{`{"s":"\ud800x"}`, `invalid UTF-8 (or a lone surrogate escape) in the string at /s`},
	{`{"s":"\uDFFF"}`, `lone surrogate escape) in the string at /s`},
	{`{"s":"\ufffd \uFFFD � \ud83d\ude00 é"}`, ""},
	{`{"s":"\u0001 tab\t"}`, ""},
	{strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), "nested deeper than"},
}

// badEscape matches an escape that decodes to NUL or to half a surrogate
// pair (a loose test: it may match where none is).
var badEscape = regexp.MustCompile(`(?i)\\u(0000|d[89a-f])`)

func TestCheckJSON(t *testing.T) {
	for _, tc := range jsonCases {
		err := CheckJSON([]byte(tc.in))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%.40s: %v", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%.40s: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzDecodeJSON checks the duplicate-key decoder against encoding/json:
// what it accepts is valid JSON and decodes to the same value; valid JSON
// it refuses has a key twice.
func FuzzDecodeJSON(f *testing.F) {
	for _, tc := range jsonCases {
		if len(tc.in) < 1000 {
			f.Add([]byte(tc.in))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeJSON(b, true)
		valid := json.Valid(b)
		if err == nil {
			if !valid {
				t.Fatalf("accepted invalid JSON %q", b)
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var want any
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: got %#v, want %#v", b, got, want)
			}
			return
		}
		switch msg := err.Error(); {
		case !valid, strings.Contains(msg, "duplicate key"), strings.Contains(msg, "nested deeper"):
		case strings.Contains(msg, "NUL character"), strings.Contains(msg, "invalid UTF-8"):
			if utf8.Valid(b) && !badEscape.Match(b) {
				t.Fatalf("refused %q, which has neither invalid UTF-8 nor a NUL or surrogate escape: %v", b, err)
			}
		default:
			t.Fatalf("refused valid JSON %q: %v", b, err)
		}
	})
}
