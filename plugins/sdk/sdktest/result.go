package sdktest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// Result is what the core receives for a request: the status, headers
// and body, and for an error ({"error":{"code":…,"message":…}}) its code
// and message.
type Result struct {
	Status  int
	Header  http.Header
	Body    []byte
	Code    string // the error's wire code
	Message string // the error's message
}

// Serve serves r with p through sdk.Call, the code the plugin process
// runs for the core: a nil response is 204, an *sdk.Error its status and
// JSON body, a panic or any other error 500 (which also fails t, with the
// error: the core would only log it).
func Serve(t testing.TB, p sdk.Plugin, r *sdk.Request) Result {
	t.Helper()
	resp, err := sdk.Call(context.Background(), p, r)
	if err != nil {
		t.Errorf("%s %s: internal error: %v", r.Method, r.Pattern, err)
	}
	res := Result{Status: resp.Status, Header: resp.Header, Body: resp.Body}
	if res.Status >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(resp.Body, &e) == nil {
			res.Code, res.Message = e.Error.Code, e.Error.Message
		}
	}
	return res
}

// Want fails t unless r has status, and returns r.
func (r Result) Want(t testing.TB, status int) Result {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d (%s %s%s), want %d", r.Status, r.Code, r.Message, r.Body, status)
	}
	return r
}

// Decode unmarshals r's JSON body into a T, failing t if it cannot.
func Decode[T any](t testing.TB, r Result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return v
}

// Params makes path parameters from key, value pairs.
func Params(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Types lists the types of evs, in order.
func Types(evs []*sdk.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// OneEvent fails t unless evs is exactly one event of type typ, and
// returns it.
func OneEvent(t testing.TB, evs []*sdk.Event, typ string) *sdk.Event {
	t.Helper()
	if len(evs) != 1 || evs[0].Type != typ {
		t.Fatalf("emitted %s, want one %s", Types(evs), typ)
	}
	return evs[0]
}
