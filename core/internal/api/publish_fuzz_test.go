package api

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodePublish feeds any body to the publish API's decoding: it
// never panics; what it accepts is valid JSON of one event object or a
// non-empty array of them, with no NUL in any string and valid UTF-8.
func FuzzDecodePublish(f *testing.F) {
	for _, s := range []string{
		`{"rooms":["user:u1"],"type":"x.e","data":1}`,
		`[{"rooms":["user:u1"],"type":"x.e","data":1,"id":"a"},{"rooms":["workspace:w1"],"type":"x.f","data":{"a":[1,2]}}]`,
		`{"rooms":["user:u1"],"type":"x.e","data":1,"rooms":["user:u2"]}`,
		`{"rooms":["user:u1"],"type":"x.e","data":{"t":"a\u0000"}}`,
		"{\"rooms\":[\"user:u1\"],\"type\":\"x\xff\",\"data\":1}",
		`{"rooms":["user:u1"],"type":"x.e","data":"\ud800"}`,
		`{"bogus":1}`, `[]`, ` `, `{`, `null`, `"s"`, `[1]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reqs, batch, err := decodePublish(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !json.Valid(body) || !utf8.Valid(body) || len(reqs) == 0 || (!batch && len(reqs) != 1) {
			t.Fatalf("%q: accepted %d events (batch %v)", body, len(reqs), batch)
		}
		for _, r := range reqs {
			for _, s := range append([]string{r.Type, r.ID, r.Subject, r.Actor}, r.Rooms...) {
				if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
					t.Fatalf("%q: accepted the string %q", body, s)
				}
			}
		}
	})
}
