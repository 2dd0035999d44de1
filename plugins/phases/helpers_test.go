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
	sdktest.Backends(t, func(t *testing.T, dsn string) { fn(t, newEnv(t, sdktest.NewHost(t, Name, dsn))) })
}

// env is a plugin on a test host. Every event it emits is checked against
// the schema its type declares. The host answers Authorize for project
// rooms from members, as the projects plugin would, and records the rooms
// asked about.
type env struct {
	t       *testing.T
	h       *sdktest.Host
	p       sdk.Plugin
	schemas sdktest.Schemas

	mu      sync.Mutex
	members map[string][]string // project id → member user ids
	asked   []string            // rooms passed to Authorize
}

func newEnv(t *testing.T, h *sdktest.Host) *env {
	t.Helper()
	p, err := New(Config{}, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{t: t, h: h, p: p, schemas: sdktest.CompileSchemas(t, p.Info().Events),
		members: map[string][]string{"p1": {"u1", "u2"}, "p2": {"u3"}}}
	h.AuthorizeFunc = e.authorize
	t.Cleanup(func() { e.events() })
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

// events returns the events emitted since the last call, after checking
// each against its declared schema, as the core does.
func (e *env) events() []*sdk.Event {
	e.t.Helper()
	return e.schemas.Check(e.t, e.h.Emitted())
}

// res is a handler's answer: a status and a JSON body.
type res = sdktest.Result

func (e *env) do(method, pattern string, params map[string]string, body any, who *sdk.Principal, query ...string) res {
	e.t.Helper()
	req := sdktest.Request(method, pattern, params, body, who)
	for i := 0; i+1 < len(query); i += 2 {
		req.Query.Set(query[i], query[i+1])
	}
	return sdktest.Serve(e.t, e.p, req)
}

func user(id string, ws ...string) *sdk.Principal { return &sdk.Principal{User: id, Workspaces: ws} }

// one fails unless exactly one event was emitted, and returns it.
func (e *env) one(typ string) *sdk.Event {
	e.t.Helper()
	return sdktest.OneEvent(e.t, e.events(), typ)
}
