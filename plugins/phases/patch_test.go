package phases

import (
	"reflect"
	"slices"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
)

func TestPatchPhase(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ph := e.create(map[string]any{"name": "Design", "startsOn": "2026-01-05"})
		patch := func(body any, who *sdk.Principal) res {
			return e.do("PATCH", "/phases/{id}", sdktest.Params("id", ph.ID), body, who)
		}
		check := func(got PhaseData, name, status string, startsOn, endsOn *string, version int64) {
			t.Helper()
			want := PhaseData{ID: ph.ID, ProjectID: "p1", Name: name, Status: status, StartsOn: startsOn, EndsOn: endsOn, Version: version}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("phase %+v, want %+v", got, want)
			}
		}
		// expect checks the events of one change: their types, in order,
		// each to project:p1 with the phase as data.
		expect := func(data PhaseData, typs ...string) {
			t.Helper()
			evs := e.Events()
			if !slices.Equal(sdktest.Types(evs), typs) {
				t.Fatalf("emitted %v, want %v", sdktest.Types(evs), typs)
			}
			for _, ev := range evs {
				if !reflect.DeepEqual(ev.Rooms, []string{"project:p1"}) || !reflect.DeepEqual(ev.Data, data) || ev.Subject != "phase/"+ph.ID {
					t.Fatalf("event %+v", ev)
				}
			}
		}

		got := sdktest.Decode[PhaseData](t, patch(map[string]any{"name": "Design v2", "endsOn": "2026-03-01"}, user("u2")).Want(t, 200))
		check(got, "Design v2", StatusPlanned, ptr("2026-01-05"), ptr("2026-03-01"), 2)
		expect(got, EventPhaseUpdated)
		if rooms := e.rooms(); !reflect.DeepEqual(rooms, []string{"project:p1"}) {
			t.Fatalf("asked about %v", rooms)
		}

		got = sdktest.Decode[PhaseData](t, patch(map[string]any{"startsOn": nil}, u1).Want(t, 200))
		check(got, "Design v2", StatusPlanned, nil, ptr("2026-03-01"), 3)
		expect(got, EventPhaseUpdated)

		// Nothing changes: no event, same version.
		got = sdktest.Decode[PhaseData](t, patch(map[string]any{"name": "Design v2", "status": "planned", "startsOn": nil}, u1).Want(t, 200))
		check(got, "Design v2", StatusPlanned, nil, ptr("2026-03-01"), 3)
		expect(got)

		patch(map[string]any{"status": "completed"}, u1).Want(t, 409) // planned → completed skips active

		got = sdktest.Decode[PhaseData](t, patch(map[string]any{"status": "active"}, u1).Want(t, 200))
		check(got, "Design v2", StatusActive, nil, ptr("2026-03-01"), 4)
		expect(got, EventPhaseUpdated, EventPhaseStarted)

		patch(map[string]any{"status": "planned"}, u1).Want(t, 409)

		got = sdktest.Decode[PhaseData](t, patch(map[string]any{"status": "completed", "name": "Designed"}, u1).Want(t, 200))
		check(got, "Designed", StatusCompleted, nil, ptr("2026-03-01"), 5)
		expect(got, EventPhaseUpdated, EventPhaseCompleted)

		patch(map[string]any{"status": "active"}, u1).Want(t, 409)
		patch(map[string]any{"status": "planned"}, u1).Want(t, 409)
		expect(got)
	})
}

func TestPatchPhaseRefused(t *testing.T) {
	cases := []struct {
		name   string
		body   any
		who    *sdk.Principal
		status int
	}{
		{"non-member", map[string]any{"name": "x"}, user("u3"), 403},
		{"no caller", map[string]any{"name": "x"}, nil, 401},
		{"unknown field", map[string]any{"name": "x", "projectId": "p2"}, u1, 400},
		{"blank name", map[string]any{"name": ""}, u1, 400},
		{"bad status", map[string]any{"status": "done"}, u1, 400},
		{"bad date", map[string]any{"endsOn": "soon"}, u1, 400},
		{"date not a string", map[string]any{"endsOn": 20260101}, u1, 400},
		{"ends before it starts", map[string]any{"endsOn": "2026-01-01"}, u1, 400},
		{"empty body", "", u1, 400},
	}
	backends(t, func(t *testing.T, e *env) {
		ph := e.create(map[string]any{"name": "Design", "startsOn": "2026-01-05"})
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.do("PATCH", "/phases/{id}", sdktest.Params("id", ph.ID), c.body, c.who).Want(t, c.status)
			})
		}
		e.do("PATCH", "/phases/{id}", sdktest.Params("id", "nope"), map[string]any{"name": "x"}, u1).Want(t, 404)
		if evs := e.Events(); len(evs) != 0 {
			t.Fatalf("refused patches emitted %v", sdktest.Types(evs))
		}
		got := sdktest.Decode[PhaseData](t, e.do("GET", "/phases/{id}", sdktest.Params("id", ph.ID), nil, u1).Want(t, 200))
		if got.Version != 1 || got.Name != "Design" {
			t.Fatalf("phase changed: %+v", got)
		}
	})
}
