package phases

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

var u1 = user("u1", "w1")

func ptr(s string) *string { return &s }

// create adds a phase to p1 as u1 and forgets its event.
func (e *env) create(body map[string]any) PhaseData {
	e.T.Helper()
	r := e.do("POST", "/projects/{id}/phases", sdktest.Params("id", "p1"), body, u1).Want(e.T, http.StatusCreated)
	e.Events()
	e.rooms()
	return sdktest.Decode[PhaseData](e.T, r)
}

func TestCreatePhase(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		r := e.do("POST", "/projects/{id}/phases", sdktest.Params("id", "p1"),
			map[string]any{"name": " Design ", "startsOn": "2026-01-05", "endsOn": "2026-02-01"}, u1).Want(t, 201)
		got := sdktest.Decode[PhaseData](t, r)
		want := PhaseData{ID: got.ID, ProjectID: "p1", Name: "Design", Status: StatusPlanned,
			StartsOn: ptr("2026-01-05"), EndsOn: ptr("2026-02-01"), Version: 1}
		if !reflect.DeepEqual(got, want) || !sdk.ValidID(got.ID) {
			t.Fatalf("created %+v, want %+v", got, want)
		}
		if rooms := e.rooms(); !reflect.DeepEqual(rooms, []string{"project:p1"}) {
			t.Fatalf("asked about %v", rooms)
		}
		ev := e.one(EventPhaseCreated)
		if !reflect.DeepEqual(ev.Rooms, []string{"project:p1"}) || !reflect.DeepEqual(ev.Data, want) ||
			ev.Subject != "phase/"+got.ID || ev.Actor != "u1" || ev.CorrelationID != "test-correlation" {
			t.Fatalf("event %+v", ev)
		}
		// Without dates they are null.
		bare := sdktest.Decode[PhaseData](t, e.do("POST", "/projects/{id}/phases", sdktest.Params("id", "p1"), map[string]any{"name": "Build"}, u1).Want(t, 201))
		if bare.StartsOn != nil || bare.EndsOn != nil {
			t.Fatalf("bare phase %+v", bare)
		}
		raw := sdktest.Decode[map[string]any](t, e.do("GET", "/phases/{id}", sdktest.Params("id", bare.ID), nil, u1).Want(t, 200))
		wantRaw := map[string]any{"id": bare.ID, "projectId": "p1", "name": "Build", "status": "planned",
			"startsOn": nil, "endsOn": nil, "version": float64(1)}
		if !reflect.DeepEqual(raw, wantRaw) {
			t.Fatalf("bare phase JSON %v, want %v", raw, wantRaw)
		}
		e.one(EventPhaseCreated)
	})
}

func TestCreatePhaseRefused(t *testing.T) {
	cases := []struct {
		name   string
		pid    string
		body   any
		who    *sdk.Principal
		status int
		code   string
	}{
		{"non-member", "p2", map[string]any{"name": "a"}, u1, 403, "forbidden"},
		{"unknown project", "p9", map[string]any{"name": "a"}, u1, 404, "not_found"},
		{"malformed project id", "p 1", map[string]any{"name": "a"}, u1, 404, "not_found"},
		{"no caller", "p1", map[string]any{"name": "a"}, nil, 401, "unauthorized"},
		{"missing name", "p1", map[string]any{"startsOn": "2026-01-01"}, u1, 400, "bad_request"},
		{"blank name", "p1", map[string]any{"name": " "}, u1, 400, "bad_request"},
		{"unknown field", "p1", map[string]any{"name": "a", "status": "active"}, u1, 400, "bad_request"},
		{"bad date", "p1", map[string]any{"name": "a", "startsOn": "2026-13-01"}, u1, 400, "bad_request"},
		{"date with time", "p1", map[string]any{"name": "a", "endsOn": "2026-01-01T00:00:00Z"}, u1, 400, "bad_request"},
		{"ends before it starts", "p1", map[string]any{"name": "a", "startsOn": "2026-02-01", "endsOn": "2026-01-01"}, u1, 400, "bad_request"},
		{"not JSON", "p1", "{", u1, 400, "bad_request"},
	}
	backends(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if r := e.do("POST", "/projects/{id}/phases", sdktest.Params("id", c.pid), c.body, c.who).Want(t, c.status); r.Code != c.code {
					t.Fatalf("code %s, want %s", r.Code, c.code)
				}
				if evs := e.Events(); len(evs) != 0 {
					t.Fatalf("emitted %v", sdktest.Types(evs))
				}
			})
		}
	})
}

func TestListPhases(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		var ids []string
		for _, n := range []string{"a", "b", "c"} {
			ids = append(ids, e.create(map[string]any{"name": n}).ID)
		}
		e.members["p2"] = append(e.members["p2"], "u1")
		e.do("POST", "/projects/{id}/phases", sdktest.Params("id", "p2"), map[string]any{"name": "other"}, u1).Want(t, 201)
		e.Events()

		list := func(who *sdk.Principal, q ...string) res {
			return e.do("GET", "/projects/{id}/phases", sdktest.Params("id", "p1"), nil, who, q...)
		}
		first := sdktest.Decode[sdk.List[PhaseData]](t, list(user("u2"), "limit", "2").Want(t, 200))
		if len(first.Items) != 2 || first.Items[0].ID != ids[0] || first.Items[1].ID != ids[1] || first.NextOffset == nil || *first.NextOffset != 2 {
			t.Fatalf("first page %+v", first)
		}
		last := sdktest.Decode[sdk.List[PhaseData]](t, list(u1, "limit", "2", "offset", "2").Want(t, 200))
		if len(last.Items) != 1 || last.Items[0].ID != ids[2] || last.NextOffset != nil {
			t.Fatalf("last page %+v", last)
		}
		if all := sdktest.Decode[sdk.List[PhaseData]](t, list(u1).Want(t, 200)); len(all.Items) != 3 {
			t.Fatalf("all %+v", all)
		}
		list(user("u3")).Want(t, 403)
		list(u1, "limit", "x").Want(t, 400)
		e.do("GET", "/projects/{id}/phases", sdktest.Params("id", "p9"), nil, u1).Want(t, 404)
	})
}

func TestGetPhase(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ph := e.create(map[string]any{"name": "Design"})
		got := sdktest.Decode[PhaseData](t, e.do("GET", "/phases/{id}", sdktest.Params("id", ph.ID), nil, user("u2")).Want(t, 200))
		if !reflect.DeepEqual(got, ph) {
			t.Fatalf("got %+v, want %+v", got, ph)
		}
		if rooms := e.rooms(); !reflect.DeepEqual(rooms, []string{"project:p1"}) {
			t.Fatalf("asked about %v", rooms)
		}
		e.do("GET", "/phases/{id}", sdktest.Params("id", ph.ID), nil, user("u3")).Want(t, 403)
		e.do("GET", "/phases/{id}", sdktest.Params("id", "nope"), nil, u1).Want(t, 404)
		e.do("GET", "/phases/{id}", sdktest.Params("id", ph.ID), nil, nil).Want(t, 401)
		// A phase whose project is gone is not found.
		delete(e.members, "p1")
		e.do("GET", "/phases/{id}", sdktest.Params("id", ph.ID), nil, u1).Want(t, 404)
	})
}

func TestDeletePhase(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ph := e.create(map[string]any{"name": "Design", "startsOn": "2026-01-05"})
		del := func(who *sdk.Principal) res {
			return e.do("DELETE", "/phases/{id}", sdktest.Params("id", ph.ID), nil, who)
		}
		del(user("u3")).Want(t, 403)
		if evs := e.Events(); len(evs) != 0 {
			t.Fatalf("refused delete emitted %v", sdktest.Types(evs))
		}
		del(user("u2")).Want(t, 204)
		ev := e.one(EventPhaseDeleted)
		want := ph
		want.Version = 2
		if !reflect.DeepEqual(ev.Rooms, []string{"project:p1"}) || !reflect.DeepEqual(ev.Data, want) || ev.Actor != "u2" {
			t.Fatalf("event %+v", ev)
		}
		e.do("GET", "/phases/{id}", sdktest.Params("id", ph.ID), nil, u1).Want(t, 404)
		del(u1).Want(t, 404)
	})
}

// TestMigrateTwice: a restarted plugin finds its table and data.
func TestMigrateTwice(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ph := e.create(map[string]any{"name": "Design"})
		again, err := sdk.Start(context.Background(), Config{}, e.Host, New)
		if err != nil {
			t.Fatalf("second New: %v", err)
		}
		e.Plugin = again
		e.do("GET", "/phases/{id}", sdktest.Params("id", ph.ID), nil, u1).Want(t, 200)
	})
}

// Deleting a project removes its phases; a redelivery is harmless, and
// other projects' phases stay.
func TestProjectDeletedRemovesPhases(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		gone := sdktest.Decode[PhaseData](t, e.do("POST", "/projects/{id}/phases", sdktest.Params("id", "p1"), map[string]any{"name": "A"}, u1).Want(t, 201))
		e.one(EventPhaseCreated)
		kept := sdktest.Decode[PhaseData](t, e.do("POST", "/projects/{id}/phases", sdktest.Params("id", "p2"), map[string]any{"name": "B"}, user("u3", "w1")).Want(t, 201))
		e.one(EventPhaseCreated)
		h, ok := e.Plugin.(sdk.EventHandler)
		if !ok {
			t.Fatal("phases does not handle events")
		}
		d := &sdk.Delivery{ID: "ev1", Type: "pm.project.deleted", Data: []byte(`{"id":"p1","workspaceId":"w1"}`)}
		for i := 0; i < 2; i++ {
			if err := h.HandleEvent(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		var err error
		if n, err = e.Host.CountRows(t, "phases_phases", "id = ?", gone.ID); err != nil || n != 0 {
			t.Fatalf("phase of the deleted project: %d rows, %v", n, err)
		}
		if n, err = e.Host.CountRows(t, "phases_phases", "id = ?", kept.ID); err != nil || n != 1 {
			t.Fatalf("other project's phase: %d rows, %v", n, err)
		}
	})
}
