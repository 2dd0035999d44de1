package tasks

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

func TestPatch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		task := e.create("p1", map[string]any{"title": "t", "description": "d", "phaseId": "ph1"})
		step := func(body string, wantVersion int64, wantTypes ...string) (*Task, []*sdk.Event) {
			t.Helper()
			res := e.patch(task.ID, body, bob)
			if res.Status != 200 {
				t.Fatalf("PATCH %s: %d %s", body, res.Status, res.Code)
			}
			got := res.task(t)
			if got.Version != wantVersion || !slices.Equal(res.Header["Etag"], []string{fmt.Sprintf(`"%d"`, wantVersion)}) {
				t.Errorf("PATCH %s: version %d, ETag %v; want %d", body, got.Version, res.Header["Etag"], wantVersion)
			}
			evs := e.Events()
			if !slices.Equal(sdktest.Types(evs), wantTypes) {
				t.Fatalf("PATCH %s: events %v, want %v", body, sdktest.Types(evs), wantTypes)
			}
			for _, ev := range evs {
				if ev.Rooms[0] != "project:p1" || ev.Rooms[1] != "task:"+task.ID || ev.Actor != "bob" || ev.Subject != "task/"+task.ID {
					t.Errorf("%s: rooms %v actor %s subject %s", ev.Type, ev.Rooms, ev.Actor, ev.Subject)
				}
			}
			if len(evs) > 0 && !sameTask(evs[0].Data.(*Task), got) {
				t.Errorf("updated data %+v, want %+v", evs[0].Data, got)
			}
			return got, evs
		}

		got, _ := step(`{"title":"new title"}`, 2, TaskUpdated)
		if got.Title != "new title" || got.Description != "d" || *got.PhaseID != "ph1" || got.UpdatedAt.Before(got.CreatedAt) {
			t.Errorf("task = %+v", got)
		}

		// Nothing changes: 200, no event, same version.
		step(`{}`, 2)
		step(`{"title":"new title","status":"todo","phaseId":"ph1"}`, 2)

		_, evs := step(`{"status":"in_progress"}`, 3, TaskUpdated, TaskStatusChanged)
		if sc := evs[1].Data.(*StatusChanged); *sc != (StatusChanged{ID: task.ID, ProjectID: "p1", From: "todo", To: "in_progress", Version: 3}) {
			t.Errorf("status_changed = %+v", sc)
		}
		if len(evs[1].Rooms) != 2 {
			t.Errorf("status_changed rooms %v", evs[1].Rooms)
		}

		_, evs = step(`{"assigneeId":"bob"}`, 4, TaskUpdated, TaskAssigned)
		a := evs[1].Data.(*Assigned)
		if a.ID != task.ID || a.ProjectID != "p1" || *a.AssigneeID != "bob" || a.PreviousAssigneeID != nil || a.Version != 4 {
			t.Errorf("assigned = %+v", a)
		}
		if !slices.Equal(evs[1].Rooms, []string{"project:p1", "task:" + task.ID, "user:bob"}) {
			t.Errorf("assigned rooms %v", evs[1].Rooms)
		}

		// Both at once: updated, then status_changed, then assigned.
		_, evs = step(`{"assigneeId":"alice","status":"done","description":null}`, 5, TaskUpdated, TaskStatusChanged, TaskAssigned)
		if evs[0].Data.(*Task).Description != "" {
			t.Errorf("null description was not cleared")
		}
		if a := evs[2].Data.(*Assigned); *a.AssigneeID != "alice" || *a.PreviousAssigneeID != "bob" || a.Version != 5 {
			t.Errorf("assigned = %+v", a)
		}

		// Unassigning: assigneeId null, no user room.
		got, evs = step(`{"assigneeId":null,"phaseId":null}`, 6, TaskUpdated, TaskAssigned)
		if a := evs[1].Data.(*Assigned); a.AssigneeID != nil || *a.PreviousAssigneeID != "alice" {
			t.Errorf("assigned = %+v", a)
		}
		if len(evs[1].Rooms) != 2 || got.AssigneeID != nil || got.PhaseID != nil {
			t.Errorf("rooms %v, task %+v", evs[1].Rooms, got)
		}
	})
}

func TestIfMatch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		task := e.create("p1", map[string]any{"title": "t"})
		for i, c := range []struct {
			ifMatch string
			want    int
		}{
			{"2", 412}, {"1", 200}, {"1", 412}, {`"2"`, 200}, {`W/"3"`, 200}, {`"9"`, 412}, {"*", 200}, {"", 200},
		} {
			res := e.patch(task.ID, fmt.Sprintf(`{"title":"v%d"}`, i), alice, "If-Match", c.ifMatch)
			if res.Status != c.want {
				t.Errorf("If-Match %q: %d %s, want %d", c.ifMatch, res.Status, res.Code, c.want)
			}
			if n := len(e.Events()); c.want == 412 && (n != 0 || res.Code != "precondition_failed") {
				t.Errorf("If-Match %q: %s and %d events", c.ifMatch, res.Code, n)
			}
		}
		// A no-op PATCH still checks the precondition.
		if res := e.patch(task.ID, `{}`, alice, "If-Match", "1"); res.Status != 412 {
			t.Errorf("no-op with stale If-Match: %d", res.Status)
		}
		if res := e.do("DELETE", "/tasks/{id}", map[string]string{"id": task.ID}, nil, alice, "If-Match", "1"); res.Status != 412 {
			t.Errorf("DELETE with stale If-Match: %d", res.Status)
		}
		if res := e.do("DELETE", "/tasks/{id}", map[string]string{"id": task.ID}, nil, alice, "If-Match", `"6"`); res.Status != 204 {
			t.Errorf("DELETE with current If-Match: %d", res.Status)
		}
	})
}

func TestDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		task := e.create("p1", map[string]any{"title": "t"})
		e.patch(task.ID, `{"title":"u"}`, alice)
		e.Events()
		params := map[string]string{"id": task.ID}
		if res := e.do("DELETE", "/tasks/{id}", params, nil, bob); res.Status != 204 {
			t.Fatalf("DELETE: %d %s", res.Status, res.Code)
		}
		evs := e.Events()
		if len(evs) != 1 || evs[0].Type != TaskDeleted || !slices.Equal(evs[0].Rooms, []string{"project:p1", "task:" + task.ID}) {
			t.Fatalf("events %v", evs)
		}
		if d := evs[0].Data.(*Deleted); *d != (Deleted{ID: task.ID, ProjectID: "p1", Version: 3}) {
			t.Errorf("deleted = %+v", d)
		}
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			if res := e.do(m, "/tasks/{id}", params, `{"title":"x"}`, alice); res.Status != 404 {
				t.Errorf("%s after delete: %d", m, res.Status)
			}
		}
	})
}

// Many PATCHes with the same If-Match at once: exactly one wins.
func TestConcurrentPatch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		task := e.create("p1", map[string]any{"title": "t"})
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				res := e.patch(task.ID, fmt.Sprintf(`{"title":"writer %d","status":"done"}`, i), alice, "If-Match", `"1"`)
				statuses[i] = res.Status
			})
		}
		wg.Wait()
		won := 0
		for _, s := range statuses {
			switch s {
			case 200:
				won++
			case 412:
			default:
				t.Errorf("status %d", s)
			}
		}
		if won != 1 {
			t.Errorf("%d PATCHes won, want 1 (%v)", won, statuses)
		}
		if evs := e.Events(); !slices.Equal(sdktest.Types(evs), []string{TaskUpdated, TaskStatusChanged}) {
			t.Errorf("events %v", sdktest.Types(evs))
		}
		res := e.do("GET", "/tasks/{id}", map[string]string{"id": task.ID}, nil, alice)
		if got := res.task(t); got.Version != 2 {
			t.Errorf("version %d, want 2", got.Version)
		}
	})
}
