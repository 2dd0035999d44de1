package tasks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

func TestCreate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		res := e.do("POST", "/projects/{id}/tasks", map[string]string{"id": "p1"},
			map[string]any{"title": "  Write docs ", "description": "all of them"}, alice)
		if res.Status != 201 {
			t.Fatalf("status %d %s", res.Status, res.Code)
		}
		got := res.task(t)
		if got.Title != "Write docs" || got.Description != "all of them" || got.Status != StatusTodo ||
			got.PhaseID != nil || got.AssigneeID != nil || got.Version != 1 || got.ProjectID != "p1" ||
			got.CreatedBy != "alice" || got.CreatedAt.IsZero() || !got.CreatedAt.Equal(got.UpdatedAt) {
			t.Errorf("task = %+v", got)
		}
		if et := res.Header["Etag"]; !slices.Equal(et, []string{`"1"`}) {
			t.Errorf("ETag = %q", et)
		}
		evs := e.Events()
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		ev := evs[0]
		if ev.Type != TaskCreated || !slices.Equal(ev.Rooms, []string{"project:p1", "task:" + got.ID}) ||
			ev.Subject != "task/"+got.ID || ev.Actor != "alice" || ev.CorrelationID != "test-correlation" {
			t.Errorf("event = %+v", ev)
		}
		if data := ev.Data.(*Task); !sameTask(data, got) {
			t.Errorf("event data = %+v, want %+v", data, got)
		}

		// Every field given; the row reads back the same.
		full := e.create("p1", map[string]any{"title": "t", "phaseId": "ph1", "assigneeId": "bob", "status": "in_progress"})
		if *full.PhaseID != "ph1" || *full.AssigneeID != "bob" || full.Status != StatusInProgress {
			t.Errorf("task = %+v", full)
		}
		res = e.do("GET", "/tasks/{id}", map[string]string{"id": full.ID}, nil, bob)
		if back := res.task(t); res.Status != 200 || !sameTask(back, full) {
			t.Errorf("GET = %d %+v, want %+v", res.Status, back, full)
		}
		// Empty phaseId/assigneeId mean none.
		none := e.create("p1", map[string]any{"title": "t", "phaseId": "", "assigneeId": nil})
		if none.PhaseID != nil || none.AssigneeID != nil {
			t.Errorf("task = %+v", none)
		}
	})
}

// A task created with an assignee also tells the assignee, in their user
// room; only project members can be assigned.
func TestCreateAssigned(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		res := e.do("POST", "/projects/{id}/tasks", map[string]string{"id": "p1"},
			map[string]any{"title": "t", "assigneeId": "bob"}, alice)
		if res.Status != 201 {
			t.Fatalf("status %d %s", res.Status, res.Code)
		}
		got := res.task(t)
		evs := e.Events()
		if !slices.Equal(sdktest.Types(evs), []string{TaskCreated, TaskAssigned}) {
			t.Fatalf("events %v", sdktest.Types(evs))
		}
		a := evs[1].Data.(*Assigned)
		if !slices.Equal(evs[1].Rooms, []string{"project:p1", "task:" + got.ID, "user:bob"}) ||
			a.ID != got.ID || *a.AssigneeID != "bob" || a.PreviousAssigneeID != nil || a.Version != 1 {
			t.Errorf("assigned to rooms %v: %+v", evs[1].Rooms, a)
		}

		// mallory is not a member of p1: not assignable, on create or patch.
		res = e.do("POST", "/projects/{id}/tasks", map[string]string{"id": "p1"},
			map[string]any{"title": "t", "assigneeId": "mallory"}, alice)
		if res.Status != 400 || !strings.Contains(res.Message, "not a member") {
			t.Errorf("create assigned to a non-member: %d %s", res.Status, res.Message)
		}
		if res := e.patch(got.ID, `{"assigneeId":"mallory"}`, alice); res.Status != 400 {
			t.Errorf("patch assigned to a non-member: %d %s", res.Status, res.Message)
		}
		if len(e.Events()) != 0 {
			t.Error("refused assignments emitted events")
		}
	})
}

func sameTask(a, b *Task) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestInvalidInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		task := e.create("p1", map[string]any{"title": "t"})
		long := strings.Repeat("x", 201)
		for _, body := range []string{
			``, `not json`, `[]`, `{"title":"t"} {}`,
			`{"title":"t","color":"red"}`, `{}`, `{"title":""}`, `{"title":"   "}`, `{"title":null}`,
			`{"title":"` + long + `"}`, `{"title":"t","status":"blocked"}`, `{"title":"t","status":""}`,
			`{"title":"t","assigneeId":"a b"}`, `{"title":"t","phaseId":"x/y"}`, `{"title":1}`,
		} {
			res := e.do("POST", "/projects/{id}/tasks", map[string]string{"id": "p1"}, body, alice)
			if res.Status != 400 || res.Code != "bad_request" {
				t.Errorf("POST %s: %d %s, want 400", body, res.Status, res.Code)
			}
		}
		for _, body := range []string{
			``, `{"title":"t","color":"red"}`, `{"title":""}`, `{"title":null}`, `{"status":null}`,
			`{"status":"blocked"}`, `{"assigneeId":"a b"}`, `{"title":"` + long + `"}`, `{"version":3}`,
		} {
			if res := e.patch(task.ID, body, alice); res.Status != 400 {
				t.Errorf("PATCH %s: %d %s, want 400", body, res.Status, res.Code)
			}
		}
		for _, h := range []string{"abc", `"x"`, "0", "-1", `"1", "2"`} {
			if res := e.patch(task.ID, `{"title":"n"}`, alice, "If-Match", h); res.Status != 400 {
				t.Errorf("If-Match %s: %d, want 400", h, res.Status)
			}
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Errorf("invalid input emitted %d events", len(evs))
		}
		if res := e.do("GET", "/tasks/{id}", map[string]string{"id": task.ID}, nil, alice); res.task(t).Version != 1 {
			t.Errorf("invalid input changed the task")
		}
	})
}

func TestAccess(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		p1 := e.create("p1", map[string]any{"title": "t"})
		p2 := e.create("p2", map[string]any{"title": "t"})
		type call struct {
			method, pattern, id string
			who                 *sdk.Principal
			want                int
		}
		for _, c := range []call{
			{"POST", "/projects/{id}/tasks", "p1", mallory, 403},
			{"POST", "/projects/{id}/tasks", "nope", alice, 404},
			{"POST", "/projects/{id}/tasks", "bad id", alice, 404},
			{"POST", "/projects/{id}/tasks", "p1", nil, 401},
			{"GET", "/projects/{id}/tasks", "p1", mallory, 403},
			{"GET", "/projects/{id}/tasks", "p2", bob, 403},
			{"GET", "/projects/{id}/tasks", "nope", alice, 404},
			{"GET", "/tasks/{id}", p1.ID, mallory, 403},
			{"GET", "/tasks/{id}", p2.ID, bob, 403},
			{"GET", "/tasks/{id}", "nope", alice, 404},
			{"GET", "/tasks/{id}", "bad id", alice, 404},
			{"GET", "/tasks/{id}", p1.ID, nil, 401},
			{"PATCH", "/tasks/{id}", p2.ID, bob, 403},
			{"PATCH", "/tasks/{id}", "nope", alice, 404},
			{"DELETE", "/tasks/{id}", p2.ID, bob, 403},
			{"DELETE", "/tasks/{id}", p1.ID, mallory, 403},
			{"DELETE", "/tasks/{id}", "nope", alice, 404},
		} {
			res := e.do(c.method, c.pattern, map[string]string{"id": c.id}, `{"title":"x"}`, c.who)
			if res.Status != c.want {
				who := "nobody"
				if c.who != nil {
					who = c.who.User
				}
				t.Errorf("%s %s (%s) as %s: %d %s, want %d", c.method, c.pattern, c.id, who, res.Status, res.Code, c.want)
			}
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Errorf("refused calls emitted %d events", len(evs))
		}
	})
}

func TestList(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 7 {
			body := map[string]any{"title": fmt.Sprint("t", i)}
			if i%2 == 0 {
				body["status"] = StatusDone
			}
			if i%3 == 0 {
				body["assigneeId"] = "bob"
			}
			ids = append(ids, e.create("p1", body).ID)
		}
		e.create("p2", map[string]any{"title": "elsewhere"})

		list := func(query string) (sdk.List[Task], int) {
			r := sdktest.Request("GET", "/projects/{id}/tasks", map[string]string{"id": "p1"}, nil, bob)
			r.Query, _ = url.ParseQuery(query)
			res := e.serve(r)
			return decodeList(t, res.Body), res.Status
		}
		all, status := list("")
		if status != 200 || len(all.Items) != 7 || all.NextOffset != nil {
			t.Fatalf("list: %d, %d items, next %v", status, len(all.Items), all.NextOffset)
		}
		var got []string
		for off := 0; ; {
			page, _ := list(fmt.Sprintf("limit=3&offset=%d", off))
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			if page.NextOffset == nil {
				break
			}
			off = *page.NextOffset
		}
		if !slices.Equal(got, ids) {
			t.Errorf("pages = %v, want %v (creation order)", got, ids)
		}
		if done, _ := list("status=done"); len(done.Items) != 4 {
			t.Errorf("status=done: %d items", len(done.Items))
		}
		if mine, _ := list("assigneeId=bob&status=done"); len(mine.Items) != 2 {
			t.Errorf("assigneeId=bob&status=done: %d items", len(mine.Items))
		}
		for _, q := range []string{"status=blocked", "limit=0", "limit=x", "offset=-1"} {
			if _, status := list(q); status != 400 {
				t.Errorf("%s: %d, want 400", q, status)
			}
		}
	})
}

func decodeList(t *testing.T, b []byte) sdk.List[Task] {
	t.Helper()
	var l sdk.List[Task]
	if len(b) > 0 {
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
	}
	return l
}
