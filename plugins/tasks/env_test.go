package tasks

import (
	"testing"

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
type env struct{ *sdktest.Env }

// eachDB runs fn on SQLite and on PostgreSQL (skipped, with the reason,
// when PostgreSQL is not reachable).
func eachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	sdktest.Each(t, "tasks", New, Config{}, func(t *testing.T, e *sdktest.Env) { fn(t, &env{e}) }, sdktest.WithMembers(members))
}

func newEnv(t *testing.T) *env {
	return &env{sdktest.Start(t, "tasks", New, Config{}, "", sdktest.WithMembers(members))}
}

// result is a response as the core receives it.
type result sdktest.Result

func (e *env) do(method, pattern string, params map[string]string, body any, who *sdk.Principal, hdr ...string) result {
	e.T.Helper()
	var mods []func(*sdk.Request)
	for i := 0; i+1 < len(hdr); i += 2 {
		mods = append(mods, sdktest.Header(hdr[i], hdr[i+1]))
	}
	return result(e.Do(method, pattern, params, body, who, mods...))
}

func (e *env) serve(r *sdk.Request) result {
	e.T.Helper()
	return result(sdktest.Serve(e.T, e.Plugin, r))
}

func (res result) task(t testing.TB) *Task {
	t.Helper()
	return sdktest.Decode[*Task](t, sdktest.Result(res))
}

// create makes a task in project pid as alice.
func (e *env) create(pid string, body any) *Task {
	e.T.Helper()
	res := e.do("POST", "/projects/{id}/tasks", map[string]string{"id": pid}, body, alice)
	if res.Status != 201 {
		e.T.Fatalf("create: %d %s", res.Status, res.Code)
	}
	e.Events()
	return res.task(e.T)
}

func (e *env) patch(id string, body any, who *sdk.Principal, hdr ...string) result {
	e.T.Helper()
	return e.do("PATCH", "/tasks/{id}", map[string]string{"id": id}, body, who, hdr...)
}
