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
type env struct{ *sdktest.Env }

// eachDB runs fn on SQLite and on PostgreSQL (skipped, with the reason,
// when PostgreSQL is not reachable).
func eachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	sdktest.Each(t, "comments", New, Config{}, func(t *testing.T, e *sdktest.Env) { fn(t, &env{e}) }, sdktest.WithMembers(members))
}

func newEnv(t *testing.T) *env {
	return &env{sdktest.Start(t, "comments", New, Config{}, "", sdktest.WithMembers(members))}
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

func (res result) comment(t testing.TB) *Comment {
	t.Helper()
	return sdktest.Decode[*Comment](t, sdktest.Result(res))
}

// deliver hands the plugin a subscribed event, as the core would.
func (e *env) deliver(typ string, data any) error {
	e.T.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		e.T.Fatal(err)
	}
	d := &sdk.Delivery{ID: ulid.Make().String(), Type: typ, Source: "switchboard/plugins/tasks", Data: b}
	return e.Plugin.(sdk.EventHandler).HandleEvent(context.Background(), d)
}

// task puts task tid of project pid into the projection.
func (e *env) task(tid, pid string) {
	e.T.Helper()
	if err := e.deliver(TaskCreated, map[string]any{"id": tid, "projectId": pid, "title": "t", "version": 1}); err != nil {
		e.T.Fatal(err)
	}
}

// comment adds a comment to task tid.
func (e *env) comment(tid string, who *sdk.Principal, body string) *Comment {
	e.T.Helper()
	res := e.do("POST", "/tasks/{id}/comments", map[string]string{"id": tid}, map[string]string{"body": body}, who)
	if res.Status != 201 {
		e.T.Fatalf("comment: %d %s", res.Status, res.Code)
	}
	e.Events()
	return res.comment(e.T)
}

func (e *env) one(method, id string, body any, who *sdk.Principal, hdr ...string) result {
	e.T.Helper()
	return e.do(method, "/comments/{id}", map[string]string{"id": id}, body, who, hdr...)
}
