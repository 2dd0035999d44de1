package sdk

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

var textCases = []struct {
	body string
	want string // "" decodes; else a substring of the 400's message
}{
	{`{"title":"Write","tags":["a","b"],"n":1,"o":{"x":null}}`, ""},
	{`{"title":"caf\u00e9 \ud83d\ude00 \ufffd �"}`, ""},
	{`{"title":"a\u0000b"}`, `invalid JSON body: NUL character (\u0000) in the string at /title`},
	{"{\"title\":\"caf\xe9\"}", `invalid UTF-8 (or a lone surrogate escape) in the string at /title`},
	{`{"title":"\ud800"}`, `lone surrogate escape) in the string at /title`},
	{`{"tags":["ok",1,{"x":[true,"\u0000"]}]}`, `NUL character (\u0000) in the string at /tags/2/x/1`},
	{`{"o":{"a":1},"tags":["x","\udc00"]}`, `in the string at /tags/1`},
	{"{\"o\":{\"k\xff\":1}}", `invalid UTF-8 (or a lone surrogate escape) in a key of the object at /o`},
	{`{"a/b":{"c~d":"\u0000"}}`, `at /a~1b/c~0d`},
	{`{"title":1`, "invalid JSON body: unexpected EOF"},
	{`{"title":"x"} {}`, "invalid JSON body: trailing data"},
	{`{"nope":"x"}`, `unknown field "nope"`},
	{`{"title":"a","title":"b"}`, `duplicate key "title" at /title`},
	{`{"o":{"x":1,"y":{"x":2},"x":3}}`, `duplicate key "x" at /o/x`},
	{`{"tags":[{"k":1},{"k":2}],"o":{"k":3}}`, ""},
}

type textInput struct {
	Title *string         `json:"title"`
	Tags  []any           `json:"tags"`
	N     int             `json:"n"`
	O     json.RawMessage `json:"o"`
	AB    json.RawMessage `json:"a/b"`
}

func TestDecodeRefusesBadText(t *testing.T) {
	for _, tc := range textCases {
		var in textInput
		err := (&Request{Body: []byte(tc.body)}).Decode(&in)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.body, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Status != http.StatusBadRequest || e.Code != "bad_request" || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%q: got %#v, want a 400 bad_request with %q", tc.body, err, tc.want)
		}
	}
}

// FuzzRequestDecode checks Request.Decode on any body: it never panics,
// its errors are 400s, and what it accepts holds no NUL and no U+FFFD that
// was not sent.
func FuzzRequestDecode(f *testing.F) {
	for _, tc := range textCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		err := (&Request{Body: b}).Decode(&v)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Status != http.StatusBadRequest {
				t.Fatalf("%q: error %#v is not a 400 *Error", b, err)
			}
			return
		}
		out, _ := json.Marshal(v)
		if strings.Contains(string(out), `\u0000`) {
			t.Fatalf("%q: accepted a NUL: %s", b, out)
		}
		if strings.Count(string(out), "\ufffd") > strings.Count(string(b), "\ufffd")+strings.Count(strings.ToLower(string(b)), `\ufffd`) {
			t.Fatalf("%q: accepted text that decodes to made-up U+FFFD: %s", b, out)
		}
	})
}
