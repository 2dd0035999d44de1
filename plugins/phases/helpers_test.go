package phases

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// backends runs fn on SQLite and on PostgreSQL (skipped if unreachable).
func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	sdktest.Each(t, Name, New, Config{}, func(t *testing.T, se *sdktest.Env) { fn(t, newEnv(se)) })
}

// env is the plugin on a test host (every event it emits is checked
// against the schema its type declares). The host answers Authorize for
// project rooms from members, as the projects plugin would, and records
// the rooms asked about.
type env struct {
	*sdktest.Env

	mu      sync.Mutex
	members map[string][]string // project id → member user ids
	asked   []string            // rooms passed to Authorize
}

func newEnv(se *sdktest.Env) *env {
	e := &env{Env: se, members: map[string][]string{"p1": {"u1", "u2"}, "p2": {"u3"}}}
	se.Host.AuthorizeFunc = e.authorize
	return e
}

func (e *env) authorize(ctx context.Context, p sdk.Principal, room string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.asked = append(e.asked, room)
	if !strings.HasPrefix(room, "project:") {
		return sdk.Forbidden("unexpected room %s", room)
	}
	return sdktest.Projects(e.members)(ctx, p, room)
}

// rooms returns and forgets the rooms passed to Authorize.
func (e *env) rooms() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.asked
	e.asked = nil
	return out
}

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
