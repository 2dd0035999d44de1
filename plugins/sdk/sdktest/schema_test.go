package sdktest

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.failures = append(r.failures, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...) }

type payload struct {
	ID      string    `json:"id"`
	Version int64     `json:"version"`
	Note    *string   `json:"note"`
	At      time.Time `json:"at"`
}

const head = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,`

func TestCheckPayload(t *testing.T) {
	for schema, fails := range map[string]bool{
		head + `"required":["id","version","note","at"],"properties":{"id":{"type":"string"},"version":{"type":"integer"},"note":{"type":["string","null"]},"at":{"type":"string","format":"date-time"}}}`: false,
		head + `"required":["id","version","note","at"],"properties":{"id":{},"version":{},"note":{},"at":{}}}`:                                                                                            false,
		head + `"required":["id","version","note"],"properties":{"id":{},"version":{},"note":{},"at":{}}}`:                                                                                                 true,
		head + `"required":["id","version","note","at"],"properties":{"id":{},"version":{},"note":{}}}`:                                                                                                    true,
		head + `"required":["id","version","note","at"],"properties":{"id":{},"version":{"type":"string"},"note":{},"at":{}}}`:                                                                             true,
		head + `"required":["id","version","note","at"],"properties":{"id":{},"version":{},"note":{"type":"string"},"at":{}}}`:                                                                             true,
		`{"$schema":"https://json-schema.org/draft/2020-12/schema","required":["id","version","note","at"],"properties":{"id":{},"version":{},"note":{},"at":{}}}`:                                         true,
	} {
		r := &recorder{TB: t}
		CheckPayload(r, payload{}, []byte(schema))
		if (len(r.failures) > 0) != fails {
			t.Errorf("%s: failures %q", schema, r.failures)
		}
	}
}

func TestSchemas(t *testing.T) {
	s := CompileSchemas(t, []sdk.EventType{{Type: "x.created", Schema: []byte(head +
		`"required":["id","at"],"properties":{"id":{"type":"string","minLength":1},"at":{"type":"string","format":"date-time"}}}`)}})
	if err := s.Validate("x.created", map[string]any{"id": "a", "at": time.Now()}); err != nil {
		t.Errorf("valid: %v", err)
	}
	for _, bad := range []map[string]any{{"id": "", "at": time.Now()}, {"id": "a"}, {"id": "a", "at": "yesterday"}} {
		if s.Validate("x.created", bad) == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	r := &recorder{TB: t}
	s.Check(r, []*sdk.Event{{Type: "x.created", Data: map[string]any{"id": "a", "at": time.Now()}}, {Type: "x.other", Data: map[string]any{}}})
	if len(r.failures) != 1 {
		t.Errorf("Check: %q", r.failures)
	}
}
