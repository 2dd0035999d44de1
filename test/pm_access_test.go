package test

import (
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// pmProject creates, as u1 in w1, a project with a phase, a task and a
// comment, and returns their ids.
func pmProject(t *testing.T, n *testnode.Node) (pid, phid, tid, cid string) {
	t.Helper()
	u1 := n.Token("u1", "w1")
	_, p := call(t, n, u1, "POST", "/v1/workspaces/w1/projects", kv{"name": "Apollo"}, 201)
	pid = p["id"].(string)
	_, ph := call(t, n, u1, "POST", "/v1/projects/"+pid+"/phases", kv{"name": "Design"}, 201)
	_, tk := call(t, n, u1, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": "Write the spec"}, 201)
	tid = tk["id"].(string)
	poll.Until(t, "the comments plugin to learn of the task", func() bool {
		st, _ := n.Do("GET", "/v1/tasks/"+tid+"/comments", nil, authz(u1))
		return st == 200
	})
	_, cm := call(t, n, u1, "POST", "/v1/tasks/"+tid+"/comments", kv{"body": "First"}, 201)
	// The plugins relay their events after answering: wait until the
	// comment's event (the last one) is in history, so that a test's later
	// joins do not receive it as if it were new.
	w := n.DialWS(u1)
	defer w.Conn.Close()
	w.Join("project:"+pid, 0)
	for f := w.NextEvent(); f.CloudEvent(t)["type"] != "pm.comment.created"; f = w.NextEvent() {
	}
	return pid, ph["id"].(string), tid, cm["id"].(string)
}

// refused sends a join and checks the error code.
func refused(t *testing.T, c *testnode.WS, room, code string) {
	t.Helper()
	c.Send(kv{"op": "join", "room": room, "ref": "r"})
	if f := c.Reply(); f.Op != "error" || string(f.Code) != code {
		t.Fatalf("join %s: got %+v, want error %s", room, f, code)
	}
}

// left checks that the connection is no longer in room.
func left(t *testing.T, c *testnode.WS, room string) {
	t.Helper()
	c.Send(kv{"op": "leave", "room": room, "ref": "l"})
	if f := c.Reply(); f.Op != "error" || f.Code != "not_found" {
		t.Fatalf("leave %s: got %+v, want not_found (still in the room)", room, f)
	}
}

// revokedFrom reads c until it has had access.revoked for each of rooms,
// and returns the stored events that came meanwhile.
func revokedFrom(t *testing.T, c *testnode.WS, rooms ...string) []testnode.Frame {
	t.Helper()
	want := map[string]bool{}
	for _, r := range rooms {
		want[r] = true
	}
	var other []testnode.Frame
	for len(want) > 0 {
		f := c.Read()
		switch {
		case f.Op == "event" && f.Seq > 0:
			other = append(other, f)
		case f.Op == "event" && f.CloudEvent(t)["type"] == "access.revoked":
			ev := f.CloudEvent(t)
			if !want[f.Room] || ev["source"] != "switchboard" || ev["data"].(kv)["room"] != f.Room {
				t.Fatalf("unexpected revocation %s", f.Event)
			}
			delete(want, f.Room)
		case f.Op == "error":
			t.Fatalf("error frame %+v", f)
		}
	}
	return other
}

// sseRevokedFrom is revokedFrom for an SSE stream.
func sseRevokedFrom(t *testing.T, s *testnode.SSE, rooms ...string) []testnode.SSEEvent {
	t.Helper()
	want := map[string]bool{}
	for _, r := range rooms {
		want[r] = true
	}
	var other []testnode.SSEEvent
	for len(want) > 0 {
		e, err := s.Next(testnode.Timeout)
		if err != nil {
			t.Fatalf("sse: %v (still waiting for access.revoked in %v)", err, want)
		}
		switch {
		case e.Event == "access.revoked":
			f := e.Payload(t)
			if !want[f.Room] || e.ID != "" {
				t.Fatalf("sse: unexpected revocation %+v", e)
			}
			delete(want, f.Room)
		case e.ID != "" && e.Data != "":
			other = append(other, e)
		}
	}
	return other
}

// A non-member of a project is refused its data over HTTP and its rooms;
// a member is let in once added; a token without the workspace cannot
// create projects in it.
func TestPMNonMemberIsRefused(t *testing.T) {
	n := pmNode(t)
	pid, phid, tid, cid := pmProject(t, n)
	u3 := n.Token("u3", "w1")
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/projects/" + pid, nil},
		{"PATCH", "/v1/projects/" + pid, kv{"name": "Mine"}},
		{"DELETE", "/v1/projects/" + pid, nil},
		{"GET", "/v1/projects/" + pid + "/members", nil},
		{"POST", "/v1/projects/" + pid + "/members", kv{"userId": "u3", "role": "owner"}},
		{"GET", "/v1/projects/" + pid + "/phases", nil},
		{"POST", "/v1/projects/" + pid + "/phases", kv{"name": "Mine"}},
		{"GET", "/v1/phases/" + phid, nil},
		{"PATCH", "/v1/phases/" + phid, kv{"name": "Mine"}},
		{"DELETE", "/v1/phases/" + phid, nil},
		{"GET", "/v1/projects/" + pid + "/tasks", nil},
		{"POST", "/v1/projects/" + pid + "/tasks", kv{"title": "Mine"}},
		{"GET", "/v1/tasks/" + tid, nil},
		{"PATCH", "/v1/tasks/" + tid, kv{"title": "Mine"}},
		{"DELETE", "/v1/tasks/" + tid, nil},
		{"GET", "/v1/tasks/" + tid + "/comments", nil},
		{"POST", "/v1/tasks/" + tid + "/comments", kv{"body": "Mine"}},
		{"GET", "/v1/comments/" + cid, nil},
		{"PATCH", "/v1/comments/" + cid, kv{"body": "Mine"}},
		{"DELETE", "/v1/comments/" + cid, nil},
	} {
		st, b := n.Do(r.method, r.path, r.body, authz(u3))
		if st != 403 || !strings.Contains(string(b), `"code":"forbidden"`) {
			t.Errorf("u3 %s %s: %d %s, want 403 forbidden", r.method, r.path, st, b)
		}
	}
	// The workspace's project list does not show it either.
	if _, l := call(t, n, u3, "GET", "/v1/workspaces/w1/projects", nil, 200); len(l["items"].([]any)) != 0 {
		t.Errorf("u3 lists %v", l)
	}
	c3 := n.DialWS(u3)
	refused(t, c3, "project:"+pid, "forbidden")
	refused(t, c3, "task:"+tid, "forbidden")
	if s, resp, b := n.DialSSE(n.SSEURL("task:"+tid), authz(u3)); s != nil || resp.StatusCode != 403 {
		t.Errorf("u3 sse task:%s: %d %s", tid, resp.StatusCode, b)
	}
	// Rooms that do not exist are refused the same way: a join does not
	// tell whether a project or task exists.
	refused(t, c3, "project:nope", "forbidden")
	refused(t, c3, "task:nope", "forbidden")
	if s, resp, b := n.DialSSE(n.SSEURL("project:nope"), authz(u3)); s != nil || resp.StatusCode != 403 {
		t.Errorf("u3 sse project:nope: %d %s", resp.StatusCode, b)
	}

	// u2 is refused until added, then let in.
	u2 := n.Token("u2")
	c2 := n.DialWS(u2)
	refused(t, c2, "project:"+pid, "forbidden")
	refused(t, c2, "task:"+tid, "forbidden")
	call(t, n, n.Token("u1", "w1"), "POST", "/v1/projects/"+pid+"/members", kv{"userId": "u2", "role": "member"}, 201)
	c2.Join("project:" + pid)
	c2.Join("task:" + tid)
	call(t, n, u2, "GET", "/v1/tasks/"+tid+"/comments", nil, 200)

	// Nothing u3 tried changed anything.
	if _, tk := call(t, n, u2, "GET", "/v1/tasks/"+tid, nil, 200); tk["version"] != 1.0 || tk["title"] != "Write the spec" {
		t.Errorf("task after u3's attempts: %v", tk)
	}

	// Creating a project needs the workspace in the token.
	for _, tok := range []string{n.Token("u4", "w2"), n.Token("u4")} {
		if st, b := n.Do("POST", "/v1/workspaces/w1/projects", kv{"name": "Intruder"}, authz(tok)); st != 403 {
			t.Errorf("create in w1 without w1 in the token: %d %s", st, b)
		}
	}
	if st, b := n.Do("POST", "/v1/workspaces/w1/projects", kv{"name": "Anonymous"}, nil); st != 401 {
		t.Errorf("create without a token: %d %s", st, b)
	}
}

// Removing a member makes their connections (WebSocket and SSE) leave the
// project's and its tasks' rooms at once; deleting the project makes
// everyone leave.
func TestPMRevocationIsLive(t *testing.T) {
	n := pmNode(t)
	pid, _, tid, _ := pmProject(t, n)
	proom, troom := "project:"+pid, "task:"+tid
	u1 := n.Token("u1", "w1")
	owner := dial(t, n, "u1", proom, false, "w1")
	// Events are relayed after the commands return: wait for both here so
	// that they are not mistaken for later ones.
	for _, u := range []string{"u2", "u5"} {
		corr, _ := call(t, n, u1, "POST", "/v1/projects/"+pid+"/members", kv{"userId": u, "role": "member"}, 201)
		expectEvent(t, "pm.team.member_added", "projects", "u1", corr, kv{"userId": u}, owner)
	}

	u2 := n.Token("u2")
	c2 := n.DialWS(u2)
	for _, r := range []string{"user:u2", proom, troom} {
		c2.Join(r)
	}
	s2, _, b := n.DialSSE(n.SSEURL(proom, troom, "user:u2"), authz(u2))
	if s2 == nil {
		t.Fatalf("u2 sse: %s", b)
	}
	c5 := n.DialWS(n.Token("u5"))
	c5.Join(proom)
	c5.Join(troom)

	rmCorr, _ := call(t, n, u1, "DELETE", "/v1/projects/"+pid+"/members/u2", nil, 204)
	removed := kv{"projectId": pid, "userId": "u2", "role": "member"}
	expectEvent(t, "pm.team.member_removed", "projects", "u1", rmCorr, removed, owner)
	// u2 gets the removal in project:P before it is made to leave the
	// project and task rooms (and in user:u2), then access.revoked.
	inUser, inProject := false, false
	for _, f := range revokedFrom(t, c2, proom, troom) {
		checkEnvelope(t, f.CloudEvent(t), "projects", "u1", rmCorr, removed)
		inUser = inUser || f.Room == "user:u2"
		inProject = inProject || f.Room == proom
	}
	if !inProject {
		t.Fatal("u2 was made to leave project:P before receiving pm.team.member_removed there")
	}
	if !inUser {
		expectEvent(t, "pm.team.member_removed", "projects", "u1", rmCorr, removed, at{"user:u2", c2})
	}
	inUser = false
	for _, e := range sseRevokedFrom(t, s2, proom, troom) {
		checkEnvelope(t, e.Payload(t).CloudEvent(t), "projects", "u1", rmCorr, removed)
		inUser = inUser || e.Payload(t).Room == "user:u2"
	}
	if !inUser {
		expectSSE(t, s2, "user:u2", "pm.team.member_removed", "projects", "u1", rmCorr, removed)
	}
	left(t, c2, proom)
	left(t, c2, troom)
	refused(t, c2, proom, "forbidden")
	refused(t, c2, troom, "forbidden")
	if st, b := n.Do("GET", "/v1/tasks/"+tid, nil, authz(u2)); st != 403 {
		t.Fatalf("removed member reads the task: %d %s", st, b)
	}

	// u2 can no longer be assigned the project's tasks, and later task
	// events reach u2 in no room.
	call(t, n, u1, "PATCH", "/v1/tasks/"+tid, kv{"assigneeId": "u2"}, 400)
	corr, _ := call(t, n, u1, "PATCH", "/v1/tasks/"+tid, kv{"assigneeId": "u5"}, 200)
	assigned := kv{"id": tid, "assigneeId": "u5", "version": 2}
	expectEvent(t, "pm.task.updated", "tasks", "u1", corr, kv{"id": tid, "version": 2}, owner)
	expectEvent(t, "pm.task.assigned", "tasks", "u1", corr, assigned, owner)
	quiet(t, c2)
	// u5, still a member, got the removal and then both task events in both rooms.
	expectEvent(t, "pm.team.member_removed", "projects", "u1", rmCorr, removed, at{proom, c5})
	for i := 0; i < 4; i++ {
		if f := c5.NextEvent(); !strings.HasPrefix(f.CloudEvent(t)["type"].(string), "pm.task.") {
			t.Fatalf("u5: %s", f.Event)
		}
	}

	// Deleting the project makes every member's connections leave its room
	// and its tasks' rooms.
	corr, _ = call(t, n, u1, "DELETE", "/v1/projects/"+pid, nil, 204)
	for _, m := range []struct {
		c     *testnode.WS
		rooms []string
	}{{owner.c, []string{proom}}, {c5, []string{proom, troom}}} {
		c := m.c
		before := revokedFrom(t, c, m.rooms...)
		if len(before) != 1 {
			t.Fatalf("%d events before access.revoked, want pm.project.deleted alone", len(before))
		}
		for _, f := range before {
			if f.Room != proom || f.CloudEvent(t)["type"] != "pm.project.deleted" {
				t.Fatalf("before access.revoked: %s in %s", f.Event, f.Room)
			}
			checkEnvelope(t, f.CloudEvent(t), "projects", "u1", corr, kv{"id": pid})
		}
		c.Send(kv{"op": "join", "room": proom, "ref": "again"})
		// The project is gone: forbidden, as for any room one may not join.
		if f := c.Reply(); f.Op != "error" || f.Code != "forbidden" {
			t.Fatalf("join %s after deletion: %+v", proom, f)
		}
	}
	quiet(t, c2, c5)
}
