package hub

import (
	"sort"
	"strconv"
	"testing"
)

// The set finds, lists and deletes its members the same as a map would,
// while small and after growing into a map.
func TestMemberSet(t *testing.T) {
	var s memberSet
	want := map[string]*member{}
	check := func(when string) {
		t.Helper()
		if s.len() != len(want) {
			t.Fatalf("%s: len %d, want %d", when, s.len(), len(want))
		}
		for n, mb := range want {
			if s.get(n) != mb {
				t.Fatalf("%s: get(%s) is not its member", when, n)
			}
		}
		if s.get("absent") != nil {
			t.Fatalf("%s: get of an absent room found a member", when)
		}
		var got, exp []string
		for _, mb := range s.list() {
			got = append(got, mb.rs.name)
		}
		for n := range want {
			exp = append(exp, n)
		}
		sort.Strings(got)
		sort.Strings(exp)
		if len(got) != len(exp) {
			t.Fatalf("%s: list %v, want %v", when, got, exp)
		}
		for i := range got {
			if got[i] != exp[i] {
				t.Fatalf("%s: list %v, want %v", when, got, exp)
			}
		}
	}
	add := func(i int) {
		mb := &member{rs: &roomState{name: "user:u" + strconv.Itoa(i)}}
		s.put(mb)
		want[mb.rs.name] = mb
	}
	for i := range smallSet {
		add(i)
	}
	check("small")
	s.del("user:u0") // the first one: the last moves into its place
	delete(want, "user:u0")
	check("small after a delete")
	for i := smallSet; i < 3*smallSet; i++ {
		add(i)
	}
	if s.big == nil {
		t.Fatalf("%d rooms still in the slice", s.len())
	}
	check("large")
	for _, mb := range s.list() { // removing while going through the list
		s.del(mb.rs.name)
		delete(want, mb.rs.name)
	}
	check("emptied")
}
