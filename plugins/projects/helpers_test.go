package projects

import (
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// backends runs fn on SQLite and on PostgreSQL (skipped if unreachable).
func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	sdktest.Each(t, Name, New, Config{}, func(t *testing.T, se *sdktest.Env) { fn(t, &env{se}) })
}

// env is the plugin on a test host; every event it emits is checked
// against the schema its type declares.
type env struct{ *sdktest.Env }

// res is a handler's answer: a status and a JSON body.
type res = sdktest.Result

func (e *env) do(method, pattern string, params map[string]string, body any, who *sdk.Principal, query ...string) res {
	e.T.Helper()
	var mods []func(*sdk.Request)
	for i := 0; i+1 < len(query); i += 2 {
		mods = append(mods, sdktest.Query(query[i], query[i+1]))
	}
	return e.Do(method, pattern, params, body, who, mods...)
}

func user(id string, ws ...string) *sdk.Principal { return &sdk.Principal{User: id, Workspaces: ws} }

// one fails unless exactly one event was emitted, and returns it.
func (e *env) one(typ string) *sdk.Event {
	e.T.Helper()
	return e.One(typ)
}
