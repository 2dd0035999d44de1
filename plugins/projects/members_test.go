package projects

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

// addMember adds user with role to project pid as u1 and forgets the event.
func (e *env) addMember(pid, uid, role string) {
	e.T.Helper()
	e.do("POST", "/projects/{id}/members", sdktest.Params("id", pid), map[string]any{"userId": uid, "role": role}, owner).Want(e.T, http.StatusCreated)
	e.Events()
}

func TestAddMember(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		add := func(body any, who *sdk.Principal) res {
			return e.do("POST", "/projects/{id}/members", sdktest.Params("id", p.ID), body, who)
		}
		got := sdktest.Decode[MemberData](t, add(map[string]any{"userId": "u2", "role": "admin"}, owner).Want(t, 201))
		want := MemberData{ProjectID: p.ID, UserID: "u2", Role: RoleAdmin}
		if got != want {
			t.Fatalf("added %+v", got)
		}
		ev := e.one(EventMemberAdded)
		if !reflect.DeepEqual(ev.Rooms, []string{"project:" + p.ID, "user:u2"}) || ev.Data != want ||
			ev.Subject != "project/"+p.ID+"/members/u2" || ev.Actor != "u1" {
			t.Fatalf("event %+v", ev)
		}
		// An admin adds members and admins, but not owners.
		add(map[string]any{"userId": "u3", "role": "member"}, user("u2")).Want(t, 201)
		e.one(EventMemberAdded)
		add(map[string]any{"userId": "u4", "role": "owner"}, user("u2")).Want(t, 403)

		cases := []struct {
			name   string
			body   any
			who    *sdk.Principal
			status int
		}{
			{"already a member", map[string]any{"userId": "u2", "role": "member"}, owner, 409},
			{"bad role", map[string]any{"userId": "u5", "role": "boss"}, owner, 400},
			{"missing role", map[string]any{"userId": "u5"}, owner, 400},
			{"missing userId", map[string]any{"role": "member"}, owner, 400},
			{"bad userId", map[string]any{"userId": "u 5", "role": "member"}, owner, 400},
			{"unknown field", map[string]any{"userId": "u5", "role": "member", "x": 1}, owner, 400},
			{"plain member", map[string]any{"userId": "u5", "role": "member"}, user("u3"), 403},
			{"stranger", map[string]any{"userId": "u5", "role": "member"}, user("u9"), 403},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { add(c.body, c.who).Want(t, c.status) })
		}
		e.do("POST", "/projects/{id}/members", sdktest.Params("id", "nope"), map[string]any{"userId": "u5", "role": "member"}, owner).Want(t, 404)
		if evs := e.Events(); len(evs) != 0 {
			t.Fatalf("refused adds emitted %v", sdktest.Types(evs))
		}
	})
}

func TestListAndGetMembers(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		e.addMember(p.ID, "u2", RoleMember)
		e.addMember(p.ID, "u3", RoleAdmin)
		list := func(who *sdk.Principal, q ...string) res {
			return e.do("GET", "/projects/{id}/members", sdktest.Params("id", p.ID), nil, who, q...)
		}
		first := sdktest.Decode[sdk.List[MemberData]](t, list(user("u2"), "limit", "2").Want(t, 200))
		if len(first.Items) != 2 || first.Items[0].UserID != "u1" || first.Items[1].UserID != "u2" || first.NextOffset == nil || *first.NextOffset != 2 {
			t.Fatalf("first page %+v", first)
		}
		last := sdktest.Decode[sdk.List[MemberData]](t, list(owner, "limit", "2", "offset", "2").Want(t, 200))
		if len(last.Items) != 1 || last.Items[0] != (MemberData{ProjectID: p.ID, UserID: "u3", Role: RoleAdmin}) || last.NextOffset != nil {
			t.Fatalf("last page %+v", last)
		}
		list(user("u9")).Want(t, 403)
		list(owner, "offset", "-1").Want(t, 400)
		e.do("GET", "/projects/{id}/members", sdktest.Params("id", "nope"), nil, owner).Want(t, 404)

		get := func(uid string, who *sdk.Principal) res {
			return e.do("GET", "/projects/{id}/members/{userId}", sdktest.Params("id", p.ID, "userId", uid), nil, who)
		}
		if m := sdktest.Decode[MemberData](t, get("u2", user("u3")).Want(t, 200)); m.Role != RoleMember {
			t.Fatalf("member %+v", m)
		}
		get("u9", owner).Want(t, 404)
		get("u2", user("u9")).Want(t, 403)
	})
}

func TestPatchMember(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		e.addMember(p.ID, "u2", RoleMember)
		e.addMember(p.ID, "u3", RoleAdmin)
		patch := func(uid string, body any, who *sdk.Principal) res {
			return e.do("PATCH", "/projects/{id}/members/{userId}", sdktest.Params("id", p.ID, "userId", uid), body, who)
		}
		got := sdktest.Decode[MemberData](t, patch("u2", map[string]any{"role": "admin"}, user("u3")).Want(t, 200))
		want := MemberData{ProjectID: p.ID, UserID: "u2", Role: RoleAdmin}
		if got != want {
			t.Fatalf("patched %+v", got)
		}
		ev := e.one(EventMemberUpdated)
		if !reflect.DeepEqual(ev.Rooms, []string{"project:" + p.ID, "user:u2"}) || ev.Data != want {
			t.Fatalf("event %+v", ev)
		}
		// Same role: nothing happens.
		patch("u2", map[string]any{"role": "admin"}, owner).Want(t, 200)
		if evs := e.Events(); len(evs) != 0 {
			t.Fatalf("no-op emitted %v", sdktest.Types(evs))
		}

		patch("u1", map[string]any{"role": "admin"}, owner).Want(t, 409)       // the last owner
		patch("u1", map[string]any{"role": "member"}, user("u3")).Want(t, 403) // admins do not touch owners
		patch("u2", map[string]any{"role": "owner"}, user("u3")).Want(t, 403)  // nor make them
		patch("u2", map[string]any{"role": "boss"}, owner).Want(t, 400)
		patch("u2", map[string]any{"role": "member", "x": 1}, owner).Want(t, 400)
		patch("u9", map[string]any{"role": "member"}, owner).Want(t, 404)
		patch("u2", map[string]any{"role": "member"}, user("u9")).Want(t, 403)
		if evs := e.Events(); len(evs) != 0 {
			t.Fatalf("refused patches emitted %v", sdktest.Types(evs))
		}

		// With a second owner, the first may step down.
		patch("u2", map[string]any{"role": "owner"}, owner).Want(t, 200)
		patch("u1", map[string]any{"role": "member"}, owner).Want(t, 200)
		if evs := e.Events(); len(evs) != 2 {
			t.Fatalf("emitted %v", sdktest.Types(evs))
		}
		patch("u2", map[string]any{"role": "admin"}, user("u2")).Want(t, 409)
	})
}

func TestRemoveMember(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		e.addMember(p.ID, "u2", RoleMember)
		e.addMember(p.ID, "u3", RoleAdmin)
		e.addMember(p.ID, "u4", RoleMember)
		remove := func(uid string, who *sdk.Principal) res {
			return e.do("DELETE", "/projects/{id}/members/{userId}", sdktest.Params("id", p.ID, "userId", uid), nil, who)
		}
		remove("u4", user("u2")).Want(t, 403) // a plain member removes only themself
		remove("u1", user("u3")).Want(t, 403) // admins do not remove owners
		remove("u1", owner).Want(t, 409)      // the last owner stays
		remove("u9", owner).Want(t, 404)
		remove("u2", user("u9")).Want(t, 403)
		if len(e.Events()) != 0 || len(e.Host.Revoked()) != 0 {
			t.Fatal("a refused removal emitted or revoked")
		}

		remove("u2", user("u3")).Want(t, 204)
		ev := e.one(EventMemberRemoved)
		if !reflect.DeepEqual(ev.Rooms, []string{"project:" + p.ID, "user:u2"}) ||
			ev.Data != (MemberData{ProjectID: p.ID, UserID: "u2", Role: RoleMember}) || ev.Actor != "u3" {
			t.Fatalf("event %+v", ev)
		}
		want := []sdk.Revocation{{User: "u2", Rooms: []string{"project:" + p.ID}, RecheckKinds: []string{"task"}, Reason: "removed from project"}}
		if rv := e.Host.Revoked(); !reflect.DeepEqual(rv, want) {
			t.Fatalf("revoked %+v, want %+v", rv, want)
		}
		e.do("GET", "/projects/{id}", sdktest.Params("id", p.ID), nil, user("u2")).Want(t, 403)

		remove("u4", user("u4")).Want(t, 204) // leaving
		if ev := e.one(EventMemberRemoved); ev.Actor != "u4" {
			t.Fatalf("event %+v", ev)
		}
		if rv := e.Host.Revoked(); len(rv) != 1 || rv[0].User != "u4" {
			t.Fatalf("revoked %+v", rv)
		}
	})
}
