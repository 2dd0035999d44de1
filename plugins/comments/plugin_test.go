package comments

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

func TestInfo(t *testing.T) {
	e := newEnv(t)
	in := e.Info()
	if in.Name != "comments" || in.APIVersion != sdk.APIVersion1 || len(in.RoomKinds) != 0 || len(in.Routes) != 5 ||
		!slices.Equal(in.Subscriptions, []string{TaskCreated, TaskDeleted, ProjectDeleted}) {
		t.Errorf("info = %+v", in)
	}
	// Starting again on an existing database keeps its tables and rows.
	e.task("t1", "p1")
	c := e.comment("t1", alice, "x")
	p2, err := sdk.Start(context.Background(), Config{}, e.Host, New)
	if err != nil {
		t.Fatal(err)
	}
	e.Plugin = p2
	if res := e.one("GET", c.ID, nil, alice); res.Status != 200 {
		t.Errorf("after a second New: %d", res.Status)
	}
}

// Each payload struct and its schema list the same fields, all required,
// and the schemas refuse what they should.
func TestSchemas(t *testing.T) {
	schemas := sdktest.CompileSchemas(t, EventTypes())
	payloads := map[string]any{CommentCreated: Comment{}, CommentUpdated: Comment{}, CommentDeleted: Deleted{}}
	sdktest.CheckPayloads(t, EventTypes(), payloads)
	ts := time.Now().UTC()
	good := &Comment{ID: "c1", TaskID: "t1", ProjectID: "p1", AuthorID: "u", Body: "b", Version: 1, CreatedAt: ts, UpdatedAt: ts}
	if err := schemas.Validate(CommentCreated, good); err != nil {
		t.Errorf("valid comment: %v", err)
	}
	for name, bad := range map[string]any{
		"extra field": map[string]any{"id": "c1", "taskId": "t1", "projectId": "p1", "version": 2, "body": "x"},
		"missing":     map[string]any{"id": "c1", "taskId": "t1", "version": 2},
		"version 1":   map[string]any{"id": "c1", "taskId": "t1", "projectId": "p1", "version": 1},
	} {
		if schemas.Validate(CommentDeleted, bad) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	empty := *good
	empty.Body = ""
	if schemas.Validate(CommentUpdated, &empty) == nil {
		t.Errorf("empty body accepted")
	}
}

func TestConfig(t *testing.T) {
	bad := Config{MaxBodyLength: -1}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "max_body_length") {
		t.Errorf("negative limit: %v", err)
	}
	e := &env{sdktest.Start(t, "comments", New, Config{MaxBodyLength: 3}, "", sdktest.WithMembers(members))}
	e.task("t1", "p1")
	for body, want := range map[string]int{`{"body":"abc"}`: 201, `{"body":"abcd"}`: 400, `{"body":" é€x "}`: 201} {
		if res := e.do("POST", "/tasks/{id}/comments", map[string]string{"id": "t1"}, body, alice); res.Status != want {
			t.Errorf("%s: %d, want %d", body, res.Status, want)
		}
	}
	e.Events()
}
