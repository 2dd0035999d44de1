package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

func TestAuthorizeTaskRoom(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		task := e.create("p2", map[string]any{"title": "t"})
		a := e.Plugin.(sdk.Authorizer)
		ctx := context.Background()
		for _, c := range []struct {
			who  string
			room string
			want string
		}{
			{"alice", "task:" + task.ID, ""},
			{"bob", "task:" + task.ID, "forbidden"},
			{"alice", "task:nope", "not_found"},
			{"alice", "project:p2", "forbidden"},
		} {
			err := a.Authorize(ctx, sdk.Principal{User: c.who}, sdk.ParseRoom(c.room))
			if code(err) != c.want {
				t.Errorf("%s joins %s: %v, want %q", c.who, c.room, err, c.want)
			}
		}
	})
}

func TestProjectDeleted(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		gone1 := e.create("p1", map[string]any{"title": "a"})
		gone2 := e.create("p1", map[string]any{"title": "b"})
		kept := e.create("p2", map[string]any{"title": "c"})
		eh := e.Plugin.(sdk.EventHandler)
		d := &sdk.Delivery{ID: "e1", Type: ProjectDeleted, Data: json.RawMessage(`{"id":"p1","workspaceId":"w1"}`), Seq: 7}
		for i := range 2 { // the second is a redelivery
			d.Redelivered = i == 1
			if err := eh.HandleEvent(context.Background(), d); err != nil {
				t.Fatalf("delivery %d: %v", i, err)
			}
		}
		for _, id := range []string{gone1.ID, gone2.ID} {
			if _, err := e.Plugin.(*plugin).find(context.Background(), id); code(err) != "not_found" {
				t.Errorf("task %s of a deleted project: %v", id, err)
			}
		}
		if _, err := e.Plugin.(*plugin).find(context.Background(), kept.ID); err != nil {
			t.Errorf("task of another project: %v", err)
		}
		// Unreadable or irrelevant events are skipped, not retried forever.
		for _, bad := range []*sdk.Delivery{
			{ID: "e2", Type: ProjectDeleted, Data: json.RawMessage(`"nope"`)},
			{ID: "e3", Type: ProjectDeleted, Data: json.RawMessage(`{}`)},
			{ID: "e4", Type: "pm.other", Data: json.RawMessage(`{"id":"p2"}`)},
		} {
			if err := eh.HandleEvent(context.Background(), bad); err != nil {
				t.Errorf("%s: %v", bad.ID, err)
			}
		}
		if _, err := e.Plugin.(*plugin).find(context.Background(), kept.ID); err != nil {
			t.Errorf("task of another project: %v", err)
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Errorf("project deletion emitted %v", sdktest.Types(evs))
		}
	})
}

func code(err error) string {
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func TestInfo(t *testing.T) {
	e := newEnv(t)
	in := e.Info()
	if in.Name != "tasks" || in.APIVersion != sdk.APIVersion1 || !slices.Equal(in.RoomKinds, []string{"task"}) ||
		!slices.Equal(in.Subscriptions, []string{ProjectDeleted}) || len(in.Routes) != 5 {
		t.Errorf("info = %+v", in)
	}
	var names []string
	for _, et := range in.Events {
		names = append(names, et.Type)
	}
	if !slices.Equal(names, []string{TaskCreated, TaskUpdated, TaskStatusChanged, TaskAssigned, TaskDeleted}) {
		t.Errorf("events %v", names)
	}
	// Starting again on an existing database keeps its tables and rows.
	task := e.create("p1", map[string]any{"title": "t"})
	p2, err := sdk.Start(context.Background(), Config{}, e.Host, New)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.(*plugin).find(context.Background(), task.ID); err != nil {
		t.Errorf("after a second New: %v", err)
	}
}

// Each payload struct and its schema list the same fields, all required,
// and the schemas refuse what they should.
func TestSchemas(t *testing.T) {
	schemas := sdktest.CompileSchemas(t, EventTypes())
	payloads := map[string]any{TaskCreated: Task{}, TaskUpdated: Task{}, TaskStatusChanged: StatusChanged{},
		TaskAssigned: Assigned{}, TaskDeleted: Deleted{}}
	sdktest.CheckPayloads(t, EventTypes(), payloads)
	ts := time.Now().UTC()
	good := &Task{ID: "t1", ProjectID: "p1", Title: "x", Status: "todo", Version: 1, CreatedBy: "u", CreatedAt: ts, UpdatedAt: ts}
	if err := schemas.Validate(TaskCreated, good); err != nil {
		t.Errorf("valid task: %v", err)
	}
	for name, bad := range map[string]any{
		"extra field":  map[string]any{"id": "t1", "projectId": "p1", "version": 2, "extra": 1},
		"missing":      map[string]any{"id": "t1", "version": 2},
		"version type": map[string]any{"id": "t1", "projectId": "p1", "version": "2"},
	} {
		if schemas.Validate(TaskDeleted, bad) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	badStatus := *good
	badStatus.Status = "blocked"
	if schemas.Validate(TaskUpdated, &badStatus) == nil {
		t.Errorf("bad status accepted")
	}
}

func TestConfig(t *testing.T) {
	bad := Config{MaxTitleLength: -1, MaxDescriptionLength: -2}
	if err := bad.Validate(); err == nil ||
		!strings.Contains(err.Error(), "max_title_length") || !strings.Contains(err.Error(), "max_description_length") {
		t.Errorf("negative limits: %v", err)
	}
	e := &env{sdktest.Start(t, "tasks", New, Config{MaxTitleLength: 3, MaxDescriptionLength: 4}, "", sdktest.WithMembers(members))}
	for body, want := range map[string]int{
		`{"title":"abc","description":"abcd"}`: 201, `{"title":"abcd"}`: 400, `{"title":"é€x"}`: 201,
		`{"title":"a","description":"abcde"}`: 400,
	} {
		if res := e.do("POST", "/projects/{id}/tasks", map[string]string{"id": "p1"}, body, alice); res.Status != want {
			t.Errorf("%s: %d, want %d", body, res.Status, want)
		}
	}
	e.Events()
}
