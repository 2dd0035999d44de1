package comments

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/oklog/ulid/v2"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

var (
	alice   = &sdk.Principal{User: "alice"} // member of p1 and p2
	bob     = &sdk.Principal{User: "bob"}   // member of p1
	mallory = &sdk.Principal{User: "mallory"}
)

// members of the projects the fake projects plugin knows.
var members = map[string][]string{"p1": {"alice", "bob"}, "p2": {"alice"}}

// env is the plugin on a test host with a fake projects plugin.
type env struct {
	t       *testing.T
	h       *sdktest.Host
	p       sdk.Plugin
	schemas sdktest.Schemas
}

// eachDB runs fn once on SQLite and once on PostgreSQL (skipped, with the
// reason, when PostgreSQL is not reachable).
func eachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	sdktest.Backends(t, func(t *testing.T, dsn string) { fn(t, newEnv(t, dsn)) })
}

func newEnv(t *testing.T, dsn ...string) *env {
	t.Helper()
	h := sdktest.NewHost(t, "comments", dsn...)
	h.AuthorizeFunc = sdktest.Projects(members)
	p, err := New(Config{}, h)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: h, p: p, schemas: sdktest.CompileSchemas(t, p.Info().Events)}
	t.Cleanup(func() { e.events() }) // whatever is left is validated too
	return e
}

// events returns the events emitted since the last call, each checked
// against its schema.
func (e *env) events() []*sdk.Event {
	e.t.Helper()
	return e.schemas.Check(e.t, e.h.Emitted())
}

// result is a response, or the error a handler returned as the core
// would show it.
type result sdktest.Result

func (e *env) do(method, pattern string, params map[string]string, body any, who *sdk.Principal, hdr ...string) result {
	e.t.Helper()
	r := sdktest.Request(method, pattern, params, body, who)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return e.serve(r)
}

func (e *env) serve(r *sdk.Request) result {
	e.t.Helper()
	return result(sdktest.Serve(e.t, e.p, r))
}

func (res result) comment(t *testing.T) *Comment {
	t.Helper()
	return sdktest.Decode[*Comment](t, sdktest.Result(res))
}

// deliver hands the plugin a subscribed event, as the core would.
func (e *env) deliver(typ string, data any) error {
	e.t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		e.t.Fatal(err)
	}
	d := &sdk.Delivery{ID: ulid.Make().String(), Type: typ, Source: "switchboard/plugins/tasks", Data: b}
	return e.p.(sdk.EventHandler).HandleEvent(context.Background(), d)
}

// task puts task tid of project pid into the projection.
func (e *env) task(tid, pid string) {
	e.t.Helper()
	if err := e.deliver(TaskCreated, map[string]any{"id": tid, "projectId": pid, "title": "t", "version": 1}); err != nil {
		e.t.Fatal(err)
	}
}

// comment adds a comment to task tid.
func (e *env) comment(tid string, who *sdk.Principal, body string) *Comment {
	e.t.Helper()
	res := e.do("POST", "/tasks/{id}/comments", map[string]string{"id": tid}, map[string]string{"body": body}, who)
	if res.Status != 201 {
		e.t.Fatalf("comment: %d %s", res.Status, res.Code)
	}
	e.events()
	return res.comment(e.t)
}

func (e *env) one(method, id string, body any, who *sdk.Principal, hdr ...string) result {
	e.t.Helper()
	return e.do(method, "/comments/{id}", map[string]string{"id": id}, body, who, hdr...)
}
