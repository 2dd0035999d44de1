package projects

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

var owner = user("u1", "w1", "w2")

// create makes a project in w1 owned by u1 and forgets its event.
func (e *env) create(name string) ProjectData {
	e.T.Helper()
	r := e.do("POST", "/workspaces/{ws}/projects", sdktest.Params("ws", "w1"), map[string]any{"name": name}, owner).Want(e.T, http.StatusCreated)
	e.Events()
	return sdktest.Decode[ProjectData](e.T, r)
}

func TestCreateProject(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		r := e.do("POST", "/workspaces/{ws}/projects", sdktest.Params("ws", "w1"),
			map[string]any{"name": "  Apollo ", "description": "moon"}, owner).Want(t, http.StatusCreated)
		got := sdktest.Decode[ProjectData](t, r)
		want := ProjectData{ID: got.ID, WorkspaceID: "w1", Name: "Apollo", Description: "moon", CreatedBy: "u1", Version: 1}
		if got != want || !sdk.ValidID(got.ID) {
			t.Fatalf("created %+v, want %+v", got, want)
		}
		ev := e.one(EventProjectCreated)
		if !reflect.DeepEqual(ev.Rooms, []string{"workspace:w1"}) || ev.Data != want || ev.Subject != "project/"+got.ID ||
			ev.Actor != "u1" || ev.CorrelationID != "test-correlation" {
			t.Fatalf("event %+v", ev)
		}
		m := sdktest.Decode[MemberData](t, e.do("GET", "/projects/{id}/members/{userId}", sdktest.Params("id", got.ID, "userId", "u1"), nil, owner).Want(t, 200))
		if m != (MemberData{ProjectID: got.ID, UserID: "u1", Role: RoleOwner}) {
			t.Fatalf("creator membership %+v", m)
		}
	})
}

func TestCreateProjectRefused(t *testing.T) {
	long := make([]byte, maxName+1)
	for i := range long {
		long[i] = 'x'
	}
	cases := []struct {
		name   string
		ws     string
		body   any
		who    *sdk.Principal
		status int
	}{
		{"workspace not in token", "w9", map[string]any{"name": "a"}, owner, 403},
		{"no caller", "w1", map[string]any{"name": "a"}, nil, 401},
		{"bad workspace id", "w 1", map[string]any{"name": "a"}, user("u1", "w 1"), 400},
		{"missing name", "w1", map[string]any{"description": "d"}, owner, 400},
		{"blank name", "w1", map[string]any{"name": "  "}, owner, 400},
		{"long name", "w1", map[string]any{"name": string(long)}, owner, 400},
		{"unknown field", "w1", map[string]any{"name": "a", "color": "red"}, owner, 400},
		{"not JSON", "w1", "{", owner, 400},
		{"wrong type", "w1", map[string]any{"name": 3}, owner, 400},
	}
	backends(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.do("POST", "/workspaces/{ws}/projects", sdktest.Params("ws", c.ws), c.body, c.who).Want(t, c.status)
				if evs := e.Events(); len(evs) != 0 {
					t.Fatalf("emitted %v", sdktest.Types(evs))
				}
			})
		}
	})
}

func TestListProjects(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 3 {
			ids = append(ids, e.create(fmt.Sprintf("p%d", i)).ID)
		}
		// Another user's project in the same workspace is not listed to u1.
		e.do("POST", "/workspaces/{ws}/projects", sdktest.Params("ws", "w1"), map[string]any{"name": "theirs"}, user("u2", "w1")).Want(t, 201)
		// Nor is u1's project in another workspace.
		e.do("POST", "/workspaces/{ws}/projects", sdktest.Params("ws", "w2"), map[string]any{"name": "elsewhere"}, owner).Want(t, 201)

		list := func(q ...string) sdk.List[ProjectData] {
			return sdktest.Decode[sdk.List[ProjectData]](t, e.do("GET", "/workspaces/{ws}/projects", sdktest.Params("ws", "w1"), nil, owner, q...).Want(t, 200))
		}
		first := list("limit", "2")
		if len(first.Items) != 2 || first.Items[0].ID != ids[0] || first.Items[1].ID != ids[1] || first.NextOffset == nil || *first.NextOffset != 2 {
			t.Fatalf("first page %+v", first)
		}
		last := list("limit", "2", "offset", "2")
		if len(last.Items) != 1 || last.Items[0].ID != ids[2] || last.NextOffset != nil {
			t.Fatalf("last page %+v", last)
		}
		if all := list(); len(all.Items) != 3 {
			t.Fatalf("default page %+v", all)
		}
		e.do("GET", "/workspaces/{ws}/projects", sdktest.Params("ws", "w1"), nil, owner, "limit", "0").Want(t, 400)
		e.do("GET", "/workspaces/{ws}/projects", sdktest.Params("ws", "w1"), nil, user("u1", "w2")).Want(t, 403)
		empty := sdktest.Decode[sdk.List[ProjectData]](t, e.do("GET", "/workspaces/{ws}/projects", sdktest.Params("ws", "w1"), nil, user("u3", "w1")).Want(t, 200))
		if len(empty.Items) != 0 || empty.NextOffset != nil {
			t.Fatalf("u3 sees %+v", empty)
		}
	})
}

func TestGetProject(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		if got := sdktest.Decode[ProjectData](t, e.do("GET", "/projects/{id}", sdktest.Params("id", p.ID), nil, owner).Want(t, 200)); got != p {
			t.Fatalf("got %+v, want %+v", got, p)
		}
		if r := e.do("GET", "/projects/{id}", sdktest.Params("id", p.ID), nil, user("u2", "w1")).Want(t, 403); r.Code != "forbidden" {
			t.Fatalf("code %s", r.Code)
		}
		if r := e.do("GET", "/projects/{id}", sdktest.Params("id", "nope"), nil, owner).Want(t, 404); r.Code != "not_found" {
			t.Fatalf("code %s", r.Code)
		}
		e.do("GET", "/projects/{id}", sdktest.Params("id", p.ID), nil, nil).Want(t, 401)
	})
}

func TestPatchProject(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		e.addMember(p.ID, "adm", RoleAdmin)
		e.addMember(p.ID, "mem", RoleMember)
		patch := func(body any, who *sdk.Principal) res {
			return e.do("PATCH", "/projects/{id}", sdktest.Params("id", p.ID), body, who)
		}

		got := sdktest.Decode[ProjectData](t, patch(map[string]any{"name": "Artemis"}, owner).Want(t, 200))
		want := p
		want.Name, want.Version = "Artemis", 2
		if got != want {
			t.Fatalf("patched %+v, want %+v", got, want)
		}
		ev := e.one(EventProjectUpdated)
		if !reflect.DeepEqual(ev.Rooms, []string{"workspace:w1", "project:" + p.ID}) || ev.Data != want {
			t.Fatalf("event %+v", ev)
		}

		got = sdktest.Decode[ProjectData](t, patch(map[string]any{"description": "to the moon"}, user("adm")).Want(t, 200))
		if got.Version != 3 || got.Description != "to the moon" || got.Name != "Artemis" {
			t.Fatalf("admin patch %+v", got)
		}
		e.one(EventProjectUpdated)

		// Nothing changes: no event, same version.
		if got = sdktest.Decode[ProjectData](t, patch(map[string]any{"name": "Artemis"}, owner).Want(t, 200)); got.Version != 3 {
			t.Fatalf("no-op patch %+v", got)
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Fatalf("no-op patch emitted %v", sdktest.Types(evs))
		}

		patch(map[string]any{"name": "x"}, user("mem")).Want(t, 403)
		patch(map[string]any{"name": "x"}, user("stranger", "w1")).Want(t, 403)
		patch(map[string]any{"name": ""}, owner).Want(t, 400)
		patch(map[string]any{"owner": "u2"}, owner).Want(t, 400)
		e.do("PATCH", "/projects/{id}", sdktest.Params("id", "nope"), map[string]any{"name": "x"}, owner).Want(t, 404)
		if evs := e.Events(); len(evs) != 0 {
			t.Fatalf("refused patches emitted %v", sdktest.Types(evs))
		}
	})
}

func TestDeleteProject(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		e.addMember(p.ID, "adm", RoleAdmin)
		del := func(who *sdk.Principal) res {
			return e.do("DELETE", "/projects/{id}", sdktest.Params("id", p.ID), nil, who)
		}

		del(user("adm")).Want(t, 403)
		del(user("stranger")).Want(t, 403)
		if len(e.Host.Revoked()) != 0 || len(e.Events()) != 0 {
			t.Fatal("a refused delete emitted or revoked")
		}
		del(owner).Want(t, 204)
		ev := e.one(EventProjectDeleted)
		want := p
		want.Version = 2
		if !reflect.DeepEqual(ev.Rooms, []string{"workspace:w1", "project:" + p.ID}) || ev.Data != want {
			t.Fatalf("event %+v", ev)
		}
		rv := e.Host.Revoked()
		wantRv := []sdk.Revocation{{Rooms: []string{"project:" + p.ID}, RecheckKinds: []string{"task"}, Reason: "project deleted"}}
		if !reflect.DeepEqual(rv, wantRv) {
			t.Fatalf("revoked %+v, want %+v", rv, wantRv)
		}
		e.do("GET", "/projects/{id}", sdktest.Params("id", p.ID), nil, owner).Want(t, 404)
		del(owner).Want(t, 404)
		err := e.Plugin.(sdk.Authorizer).Authorize(context.Background(), sdk.Principal{User: "adm"}, sdk.ParseRoom("project:"+p.ID))
		if code(err) != "not_found" {
			t.Fatalf("authorize after delete: %v", err)
		}
	})
}

func TestAuthorize(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		e.addMember(p.ID, "u2", RoleMember)
		a := e.Plugin.(sdk.Authorizer)
		cases := []struct {
			user, room, code string
		}{
			{"u1", "project:" + p.ID, ""},
			{"u2", "project:" + p.ID, ""},
			{"u3", "project:" + p.ID, "forbidden"},
			{"", "project:" + p.ID, "forbidden"},
			{"u1", "project:nope", "not_found"},
			{"u1", "task:" + p.ID, "forbidden"},
		}
		for _, c := range cases {
			err := a.Authorize(context.Background(), sdk.Principal{User: c.user}, sdk.ParseRoom(c.room))
			if code(err) != c.code {
				t.Errorf("%s joins %s: %v, want %q", c.user, c.room, err, c.code)
			}
		}
		err := a.Authorize(context.Background(), sdk.Principal{User: "u3"}, sdk.ParseRoom("project:"+p.ID))
		if err.Error() != "forbidden: not a member of project "+p.ID {
			t.Errorf("message %q", err)
		}
	})
}

// TestMigrateTwice: a restarted plugin finds its tables and data.
func TestMigrateTwice(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		again, err := sdk.Start(context.Background(), Config{}, e.Host, New)
		if err != nil {
			t.Fatalf("second New: %v", err)
		}
		e.Plugin = again
		e.do("GET", "/projects/{id}", sdktest.Params("id", p.ID), nil, owner).Want(t, 200)
	})
}

func code(err error) string {
	if err == nil {
		return ""
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return "not an *sdk.Error: " + err.Error()
}
