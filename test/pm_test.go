package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// The bundled project-management plugins, in load order.
var pmPlugins = []string{"projects", "phases", "tasks", "comments"}

// pmNode starts a node with the four PM plugins on their default database
// (SQLite under the node's data dir), each run from the switchboard binary
// TestMain built, as `switchboard plugin NAME`: the test binary cannot run
// them itself, so the blocks give that binary as path.
func pmNode(t *testing.T, extra ...string) *testnode.Node {
	t.Helper()
	var b strings.Builder
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	for _, p := range pmPlugins {
		fmt.Fprintf(&b, "plugin %q {\n  path = %q\n  args = [\"plugin\", %q]\n}\n", p, bins[serverPkg], p)
	}
	return testnode.Start(t, testnode.ConfigHCL(t, b.String()))
}

type kv = map[string]any

var corrSeq atomic.Int64

// call sends an HTTP request as the holder of tok with a fresh
// X-Correlation-Id, fails unless the answer has status want, and returns
// the correlation id and the decoded JSON answer (nil when empty).
func call(t *testing.T, n *testnode.Node, tok, method, path string, body any, want int, hdr ...string) (string, kv) {
	t.Helper()
	corr := fmt.Sprintf("c-%d", corrSeq.Add(1))
	h := authz(tok)
	h["X-Correlation-Id"] = corr
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	st, b := n.Do(method, path, body, h)
	if st != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, st, b, want)
	}
	var out kv
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
	return corr, out
}

// at is a WebSocket connection joined to room.
type at struct {
	room string
	c    *testnode.WS
}

// expectEvent reads the next event on each connection and checks that it
// is typ, delivered in that connection's room, emitted by plugin for actor
// during the request with correlation id corr, and that its data has the
// fields of want (nil for JSON null). It returns the data.
func expectEvent(t *testing.T, typ, plugin, actor, corr string, want kv, to ...at) kv {
	t.Helper()
	var data kv
	for _, a := range to {
		f := a.c.NextEvent()
		ev := f.CloudEvent(t)
		if f.Room != a.room || ev["type"] != typ {
			t.Fatalf("waiting for %s in %s: got %v in %s: %s", typ, a.room, ev["type"], f.Room, f.Event)
		}
		checkEnvelope(t, ev, plugin, actor, corr, want)
		data = ev["data"].(kv)
	}
	return data
}

func checkEnvelope(t *testing.T, ev kv, plugin, actor, corr string, want kv) {
	t.Helper()
	if ev["specversion"] != "1.0" || ev["source"] != "switchboard/plugins/"+plugin || ev["actor"] != actor || ev["correlationid"] != corr {
		t.Fatalf("%v: want source switchboard/plugins/%s, actor %s, correlationid %s; got %v", ev["type"], plugin, actor, corr, ev)
	}
	d, _ := ev["data"].(kv)
	for k, v := range want {
		if fmt.Sprint(d[k]) != fmt.Sprint(v) {
			t.Fatalf("%v: data.%s = %v, want %v (data %v)", ev["type"], k, d[k], v, d)
		}
	}
}

// expectSSE reads the next stored event of s and checks it as expectEvent does.
func expectSSE(t *testing.T, s *testnode.SSE, room, typ, plugin, actor, corr string, want kv) {
	t.Helper()
	e := s.NextEvent()
	f := e.Payload(t)
	ev := f.CloudEvent(t)
	if e.Event != typ || f.Room != room || ev["type"] != typ || e.ID != fmt.Sprint(f.Seq) {
		t.Fatalf("sse: waiting for %s in %s: got id %s event %s %s", typ, room, e.ID, e.Event, e.Data)
	}
	checkEnvelope(t, ev, plugin, actor, corr, want)
}

// quiet checks that nothing more is waiting on the connections: a ping
// comes back before any other stored event.
func quiet(t *testing.T, cs ...*testnode.WS) {
	t.Helper()
	for _, c := range cs {
		c.Send(`{"op":"ping","ref":"quiet"}`)
		for f := c.Read(); f.Op != "pong"; f = c.Read() {
			if f.Op == "event" && f.Seq > 0 {
				t.Fatalf("unexpected event in %s: %s", f.Room, f.Event)
			}
		}
	}
}

// dial connects as user (in workspaces) and joins room, from the start of
// its history when it is a room that did not exist before.
func dial(t *testing.T, n *testnode.Node, user, room string, fromStart bool, workspaces ...string) at {
	t.Helper()
	c := n.DialWS(n.Token(user, workspaces...))
	if fromStart {
		c.Join(room, 0)
	} else {
		c.Join(room)
	}
	return at{room, c}
}

// The whole PM flow over HTTP, each event checked in every room it is
// addressed to (one connection per room, so each sees exactly its events,
// in order), plus the project events over SSE and the catalogue.
func TestPMFlowEmitsEveryEventToItsRooms(t *testing.T) {
	n := pmNode(t)
	u1 := n.Token("u1", "w1")
	ws := dial(t, n, "u1", "workspace:w1", false, "w1")
	u2 := dial(t, n, "u2", "user:u2", false)
	sse, _, body := n.DialSSE(n.SSEURL("workspace:w1"), authz(u1))
	if sse == nil {
		t.Fatalf("sse: %s", body)
	}

	// Projects and members.
	corr, p := call(t, n, u1, "POST", "/v1/workspaces/w1/projects", kv{"name": "Apollo"}, 201)
	pid := p["id"].(string)
	created := kv{"id": pid, "workspaceId": "w1", "name": "Apollo", "createdBy": "u1", "version": 1}
	expectEvent(t, "pm.project.created", "projects", "u1", corr, created, ws)
	expectSSE(t, sse, "workspace:w1", "pm.project.created", "projects", "u1", corr, created)
	pr := dial(t, n, "u1", "project:"+pid, true, "w1")

	corr, _ = call(t, n, u1, "POST", "/v1/projects/"+pid+"/members", kv{"userId": "u2", "role": "member"}, 201)
	expectEvent(t, "pm.team.member_added", "projects", "u1", corr, kv{"projectId": pid, "userId": "u2", "role": "member"}, pr, u2)
	corr, _ = call(t, n, u1, "PATCH", "/v1/projects/"+pid+"/members/u2", kv{"role": "admin"}, 200)
	expectEvent(t, "pm.team.member_updated", "projects", "u1", corr, kv{"projectId": pid, "userId": "u2", "role": "admin"}, pr, u2)
	corr, _ = call(t, n, u1, "PATCH", "/v1/projects/"+pid, kv{"name": "Apollo 2"}, 200)
	updated := kv{"id": pid, "workspaceId": "w1", "name": "Apollo 2", "version": 2}
	expectEvent(t, "pm.project.updated", "projects", "u1", corr, updated, ws, pr)
	expectSSE(t, sse, "workspace:w1", "pm.project.updated", "projects", "u1", corr, updated)

	// Phases: planned → active → completed, renamed, deleted.
	corr, ph := call(t, n, u1, "POST", "/v1/projects/"+pid+"/phases", kv{"name": "Design", "startsOn": "2026-01-05"}, 201)
	phid := ph["id"].(string)
	expectEvent(t, "pm.phase.created", "phases", "u1", corr, kv{"id": phid, "projectId": pid, "name": "Design", "status": "planned", "startsOn": "2026-01-05", "endsOn": nil, "version": 1}, pr)
	corr, _ = call(t, n, u1, "PATCH", "/v1/phases/"+phid, kv{"status": "active"}, 200)
	expectEvent(t, "pm.phase.updated", "phases", "u1", corr, kv{"id": phid, "status": "active", "version": 2}, pr)
	expectEvent(t, "pm.phase.started", "phases", "u1", corr, kv{"id": phid, "projectId": pid, "status": "active", "version": 2}, pr)
	corr, _ = call(t, n, u1, "PATCH", "/v1/phases/"+phid, kv{"status": "completed"}, 200)
	expectEvent(t, "pm.phase.updated", "phases", "u1", corr, kv{"id": phid, "status": "completed", "version": 3}, pr)
	expectEvent(t, "pm.phase.completed", "phases", "u1", corr, kv{"id": phid, "status": "completed", "version": 3}, pr)
	corr, _ = call(t, n, u1, "PATCH", "/v1/phases/"+phid, kv{"name": "Design (done)", "endsOn": "2026-02-01"}, 200)
	expectEvent(t, "pm.phase.updated", "phases", "u1", corr, kv{"id": phid, "name": "Design (done)", "endsOn": "2026-02-01", "version": 4}, pr)
	corr, _ = call(t, n, u1, "DELETE", "/v1/phases/"+phid, nil, 204)
	expectEvent(t, "pm.phase.deleted", "phases", "u1", corr, kv{"id": phid, "projectId": pid, "version": 5}, pr)

	// Tasks: created, then one PATCH that changes status and assignee.
	corr, tk := call(t, n, u1, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": "Write the spec"}, 201)
	tid := tk["id"].(string)
	newTask := kv{"id": tid, "projectId": pid, "title": "Write the spec", "status": "todo", "assigneeId": nil, "phaseId": nil, "createdBy": "u1", "version": 1}
	expectEvent(t, "pm.task.created", "tasks", "u1", corr, newTask, pr)
	tr := dial(t, n, "u1", "task:"+tid, true, "w1") // replays pm.task.created from history
	expectEvent(t, "pm.task.created", "tasks", "u1", corr, newTask, tr)

	corr, tk = call(t, n, u1, "PATCH", "/v1/tasks/"+tid, kv{"status": "in_progress", "assigneeId": "u2"}, 200, "If-Match", `"1"`)
	if tk["version"] != 2.0 {
		t.Fatalf("patched task %v", tk)
	}
	expectEvent(t, "pm.task.updated", "tasks", "u1", corr, kv{"id": tid, "projectId": pid, "status": "in_progress", "assigneeId": "u2", "version": 2}, pr, tr)
	expectEvent(t, "pm.task.status_changed", "tasks", "u1", corr, kv{"id": tid, "projectId": pid, "from": "todo", "to": "in_progress", "version": 2}, pr, tr)
	expectEvent(t, "pm.task.assigned", "tasks", "u1", corr, kv{"id": tid, "projectId": pid, "assigneeId": "u2", "previousAssigneeId": nil, "version": 2}, pr, tr, u2)
	// A stale If-Match changes nothing and emits nothing (quiet below).
	call(t, n, u1, "PATCH", "/v1/tasks/"+tid, kv{"title": "Stale"}, 412, "If-Match", `"1"`)

	// Comments, once the comments plugin has seen the task (its projection
	// of pm.task.created: no signal to wait on).
	poll.Until(t, "the comments plugin to learn of the task", func() bool {
		st, _ := n.Do("GET", "/v1/tasks/"+tid+"/comments", nil, authz(u1))
		return st == 200
	})
	corr, cm := call(t, n, u1, "POST", "/v1/tasks/"+tid+"/comments", kv{"body": "Draft is up"}, 201)
	cid := cm["id"].(string)
	expectEvent(t, "pm.comment.created", "comments", "u1", corr, kv{"id": cid, "taskId": tid, "projectId": pid, "authorId": "u1", "body": "Draft is up", "version": 1}, pr, tr)
	corr, _ = call(t, n, u1, "PATCH", "/v1/comments/"+cid, kv{"body": "Draft v2 is up"}, 200)
	expectEvent(t, "pm.comment.updated", "comments", "u1", corr, kv{"id": cid, "body": "Draft v2 is up", "version": 2}, pr, tr)
	corr, _ = call(t, n, u1, "DELETE", "/v1/comments/"+cid, nil, 204)
	expectEvent(t, "pm.comment.deleted", "comments", "u1", corr, kv{"id": cid, "taskId": tid, "projectId": pid, "version": 3}, pr, tr)

	corr, _ = call(t, n, u1, "DELETE", "/v1/tasks/"+tid, nil, 204)
	expectEvent(t, "pm.task.deleted", "tasks", "u1", corr, kv{"id": tid, "projectId": pid, "version": 3}, pr, tr)
	corr, _ = call(t, n, u1, "DELETE", "/v1/projects/"+pid+"/members/u2", nil, 204)
	expectEvent(t, "pm.team.member_removed", "projects", "u1", corr, kv{"projectId": pid, "userId": "u2", "role": "admin"}, pr, u2)
	quiet(t, ws.c, pr.c, tr.c, u2.c)

	corr, _ = call(t, n, u1, "DELETE", "/v1/projects/"+pid, nil, 204)
	deleted := kv{"id": pid, "name": "Apollo 2", "version": 3}
	expectEvent(t, "pm.project.deleted", "projects", "u1", corr, deleted, ws)
	// The project's room gets the deletion, then its members are made to
	// leave it: the revocation travels behind the event.
	before := revokedFrom(t, pr.c, pr.room)
	if len(before) != 1 {
		t.Fatalf("%d events before access.revoked, want pm.project.deleted alone", len(before))
	}
	if ev := before[0].CloudEvent(t); ev["type"] != "pm.project.deleted" || before[0].Room != pr.room {
		t.Fatalf("before access.revoked: %s in %s", before[0].Event, before[0].Room)
	} else {
		checkEnvelope(t, ev, "projects", "u1", corr, deleted)
	}
	expectSSE(t, sse, "workspace:w1", "pm.project.deleted", "projects", "u1", corr, deleted)

	// The catalogue lists every event type of the four plugins.
	st, cat := n.Do("GET", "/v1/catalog", nil, nil)
	if st != 200 {
		t.Fatalf("catalog: %d %s", st, cat)
	}
	for _, typ := range []string{
		"pm.project.created", "pm.project.updated", "pm.project.deleted",
		"pm.team.member_added", "pm.team.member_updated", "pm.team.member_removed",
		"pm.phase.created", "pm.phase.updated", "pm.phase.started", "pm.phase.completed", "pm.phase.deleted",
		"pm.task.created", "pm.task.updated", "pm.task.status_changed", "pm.task.assigned", "pm.task.deleted",
		"pm.comment.created", "pm.comment.updated", "pm.comment.deleted",
	} {
		if !strings.Contains(string(cat), "name: "+typ+"\n") {
			t.Errorf("catalog lacks %s", typ)
		}
	}
	for _, p := range []string{"projects", "phases", "tasks", "comments"} {
		if !strings.Contains(string(cat), "x-source: switchboard/plugins/"+p+"\n") {
			t.Errorf("catalog lacks source %s", p)
		}
	}
}
