package projects

import (
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// TestPayloadsMatchSchemas keeps each payload struct and its schema in
// step: the same fields, all required, of matching JSON types. (That every
// emitted payload validates is checked by env.events in every test.)
func TestPayloadsMatchSchemas(t *testing.T) {
	for _, p := range []struct {
		payload any
		schema  string
	}{
		{ProjectData{}, projectSchema},
		{MemberData{}, memberSchema},
	} {
		t.Run(reflect.TypeOf(p.payload).Name(), func(t *testing.T) { sdktest.CheckPayload(t, p.payload, []byte(p.schema)) })
	}
}

// TestOwnersUnderConcurrency: two owners demoting each other at once leave
// one owner; changes to a project are serialized.
func TestOwnersUnderConcurrency(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		e.addMember(p.ID, "u2", RoleOwner)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, pair := range [][2]string{{"u1", "u2"}, {"u2", "u1"}} {
			wg.Go(func() {
				statuses[i] = e.do("PATCH", "/projects/{id}/members/{userId}", sdktest.Params("id", p.ID, "userId", pair[1]),
					map[string]any{"role": "member"}, user(pair[0])).Status
			})
		}
		wg.Wait()
		slices.Sort(statuses)
		// One demotion wins; the other is refused, either because its
		// caller is no longer an owner (403) or as the last owner (409).
		if statuses[0] != 200 || (statuses[1] != 403 && statuses[1] != 409) {
			t.Fatalf("statuses %v", statuses)
		}
		if n := len(e.Events()); n != 1 {
			t.Fatalf("%d events", n)
		}
	})
}
