package auth

import (
	"net/http/httptest"
	"testing"
)

func TestKeyScopeMatching(t *testing.T) {
	s := KeyScope{Name: "app", Rooms: []string{"workspace:w1", "project:*"}, Types: []string{"pm.*", "note.added"}}
	for room, want := range map[string]bool{
		"workspace:w1": true, "workspace:w2": false, "project:p1": true, "project:*": true,
		"task:t1": false, "projectx:p1": false, "user:u1": false, "workspace:w1x": false,
	} {
		if got := s.AllowsRoom(room); got != want {
			t.Errorf("AllowsRoom(%q) = %v, want %v", room, got, want)
		}
	}
	for typ, want := range map[string]bool{
		"pm.task.created": true, "pm.x": true, "pm": false, "pmx.a": false,
		"note.added": true, "note.added.more": false, "note.removed": false,
	} {
		if got := s.AllowsType(typ); got != want {
			t.Errorf("AllowsType(%q) = %v, want %v", typ, got, want)
		}
	}
	var open KeyScope
	if open.Scoped() || !open.AllowsRoom("task:t1") || !open.AllowsType("anything") || !s.Scoped() {
		t.Error("the zero KeyScope must allow everything")
	}
}

func TestPatternsValid(t *testing.T) {
	for p, ok := range map[string]bool{
		"workspace:w1": true, "project:*": true, "my_kind:a.b_c-1": true, "my-kind:x": false,
		"project": false, "*:x": false, "project:": false, "project:a*": false, ":x": false, "Project:x": false,
	} {
		if err := ValidRoomPattern(p); (err == nil) != ok {
			t.Errorf("ValidRoomPattern(%q) = %v", p, err)
		}
	}
	for p, ok := range map[string]bool{
		"pm.*": true, "pm.task.created": true, "note": true,
		"*": false, "pm.": false, "pm.*.x": false, ".pm": false, "pm*": false, "a b": false,
	} {
		if err := ValidTypePattern(p); (err == nil) != ok {
			t.Errorf("ValidTypePattern(%q) = %v", p, err)
		}
	}
}

func TestAPIKeyFromRequestGivesTheScope(t *testing.T) {
	scope := KeyScope{Name: "app", Rooms: []string{"project:*"}, Types: []string{"pm.*"}}
	a := newAuth(t, Options{HS256Secret: testSecret, APIKeys: []string{"open-key"},
		ScopedAPIKeys: []ScopedKey{{Key: "app-key", Scope: scope}, {Key: "", Scope: scope}}})
	for key, want := range map[string]struct {
		ok     bool
		scoped bool
	}{
		"open-key": {true, false}, "app-key": {true, true}, "": {false, false}, "app-key ": {false, false},
	} {
		r := httptest.NewRequest("POST", "/v1/publish", nil)
		r.Header.Set("X-Api-Key", key)
		got, ok := a.APIKeyFromRequest(r)
		if ok != want.ok || got.Scoped() != want.scoped || (want.scoped && got.Name != "app") {
			t.Errorf("key %q: %+v %v, want ok %v scoped %v", key, got, ok, want.ok, want.scoped)
		}
		if a.CheckAPIKey(key) != want.ok {
			t.Errorf("CheckAPIKey(%q) != %v", key, want.ok)
		}
	}
}
