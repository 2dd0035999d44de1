package comments

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
	"github.com/switchboard-rt/switchboard/plugins/tasks"
)

// status of GET /tasks/{tid}/comments as alice.
func (e *env) listStatus(tid string) int {
	e.T.Helper()
	return e.do("GET", "/tasks/{id}/comments", map[string]string{"id": tid}, nil, alice).Status
}

func TestProjection(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if got := e.listStatus("t1"); got != 404 {
			t.Errorf("task not projected yet: %d, want 404", got)
		}
		if res := e.do("POST", "/tasks/{id}/comments", map[string]string{"id": "t1"}, `{"body":"x"}`, alice); res.Status != 404 {
			t.Errorf("comment on a task not projected yet: %d, want 404", res.Status)
		}
		e.task("t1", "p1")
		e.task("t1", "p1") // redelivery
		e.task("t2", "p1")
		e.task("t3", "p2")
		if got := e.listStatus("t1"); got != 200 {
			t.Fatalf("projected task: %d", got)
		}
		db, _ := e.Host.DB(ctx)
		if n, err := db.NewSelect().Model((*taskRef)(nil)).Count(ctx); err != nil || n != 3 {
			t.Errorf("%d projected tasks (%v), want 3", n, err)
		}

		c1 := e.comment("t1", alice, "one")
		c2 := e.comment("t2", alice, "two")
		c3 := e.comment("t3", alice, "three")

		// pm.task.deleted: the task and its comments go, twice over.
		for range 2 {
			if err := e.deliver(TaskDeleted, map[string]any{"id": "t1", "projectId": "p1", "version": 2}); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.listStatus("t1"); got != 404 {
			t.Errorf("deleted task: %d, want 404", got)
		}
		if res := e.one("GET", c1.ID, nil, alice); res.Status != 404 {
			t.Errorf("comment of a deleted task: %d, want 404", res.Status)
		}
		// A late pm.task.created does not bring it back.
		e.task("t1", "p1")
		if got := e.listStatus("t1"); got != 404 {
			t.Errorf("redelivered create after delete: %d, want 404", got)
		}
		// A delete of a task never seen leaves a tombstone.
		if err := e.deliver(TaskDeleted, map[string]any{"id": "t9", "projectId": "p1", "version": 2}); err != nil {
			t.Fatal(err)
		}
		e.task("t9", "p1")
		if got := e.listStatus("t9"); got != 404 {
			t.Errorf("create after tombstone: %d, want 404", got)
		}

		// pm.project.deleted: all its tasks and comments go, twice over.
		for range 2 {
			if err := e.deliver(ProjectDeleted, map[string]any{"id": "p1", "workspaceId": "w1"}); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.listStatus("t2"); got != 404 {
			t.Errorf("task of a deleted project: %d, want 404", got)
		}
		if res := e.one("GET", c2.ID, nil, alice); res.Status != 404 {
			t.Errorf("comment of a deleted project: %d", res.Status)
		}
		if res := e.one("GET", c3.ID, nil, alice); res.Status != 200 {
			t.Errorf("comment of another project: %d", res.Status)
		}

		// Unreadable or irrelevant events are skipped, not retried forever.
		eh := e.Plugin.(sdk.EventHandler)
		for _, d := range []*sdk.Delivery{
			{ID: "x1", Type: TaskCreated, Data: json.RawMessage(`[1]`)},
			{ID: "x2", Type: TaskCreated, Data: json.RawMessage(`{"id":"t5"}`)},
			{ID: "x3", Type: TaskDeleted, Data: json.RawMessage(`{"projectId":"p2"}`)},
			{ID: "x4", Type: ProjectDeleted, Data: json.RawMessage(`{}`)},
			{ID: "x5", Type: "pm.other", Data: json.RawMessage(`{"id":"p2"}`)},
		} {
			if err := eh.HandleEvent(ctx, d); err != nil {
				t.Errorf("%s: %v", d.ID, err)
			}
		}
		if got := e.listStatus("t3"); got != 200 {
			t.Errorf("unrelated task after skipped events: %d", got)
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Errorf("the projection emitted %d events", len(evs))
		}
	})
}

// The real tasks plugin's events feed the projection.
func TestWithTasksPlugin(t *testing.T) {
	e := newEnv(t)
	te := sdktest.Start(t, "tasks", tasks.New, tasks.Config{}, "", sdktest.WithMembers(members))
	relay := func() {
		t.Helper()
		for _, ev := range te.Events() {
			if err := e.deliver(ev.Type, ev.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	res := te.Do("POST", "/projects/{id}/tasks", sdktest.Params("id", "p1"), `{"title":"t"}`, alice).Want(t, 201)
	task := sdktest.Decode[tasks.Task](t, res)
	relay()
	c := e.comment(task.ID, bob, "hello")
	if c.ProjectID != "p1" || c.TaskID != task.ID {
		t.Errorf("comment = %+v", c)
	}
	te.Do("DELETE", "/tasks/{id}", sdktest.Params("id", task.ID), nil, alice).Want(t, 204)
	relay()
	if res := e.one("GET", c.ID, nil, bob); res.Status != 404 {
		t.Errorf("comment of a deleted task: %d", res.Status)
	}
}
