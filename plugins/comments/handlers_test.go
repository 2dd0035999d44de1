package comments

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk"
	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

func TestCreate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.task("t1", "p1")
		res := e.do("POST", "/tasks/{id}/comments", map[string]string{"id": "t1"}, `{"body":"  looks good\n"}`, bob)
		if res.Status != 201 {
			t.Fatalf("status %d %s", res.Status, res.Code)
		}
		c := res.comment(t)
		if c.Body != "looks good" || c.TaskID != "t1" || c.ProjectID != "p1" || c.AuthorID != "bob" || c.Version != 1 ||
			c.CreatedAt.IsZero() || !c.CreatedAt.Equal(c.UpdatedAt) {
			t.Errorf("comment = %+v", c)
		}
		if !slices.Equal(res.Header["Etag"], []string{`"1"`}) || res.Header.Get("Location") != "/v1/comments/"+c.ID {
			t.Errorf("headers %v", res.Header)
		}
		evs := e.Events()
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		ev := evs[0]
		if ev.Type != CommentCreated || !slices.Equal(ev.Rooms, []string{"project:p1", "task:t1"}) ||
			ev.Subject != "comment/"+c.ID || ev.Actor != "bob" || ev.CorrelationID != "test-correlation" || !same(ev.Data, c) {
			t.Errorf("event = %+v", ev)
		}
		res = e.one("GET", c.ID, nil, alice)
		if res.Status != 200 || !same(res.comment(t), c) || !slices.Equal(res.Header["Etag"], []string{`"1"`}) {
			t.Errorf("GET = %d %s", res.Status, res.Body)
		}
	})
}

func same(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestInvalidInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.task("t1", "p1")
		c := e.comment("t1", alice, "x")
		long := strings.Repeat("é", 10001)
		for _, body := range []string{
			``, `nope`, `{}`, `{"body":null}`, `{"body":""}`, `{"body":" \n\t"}`, `{"body":1}`,
			`{"body":"x","taskId":"t2"}`, `{"body":"` + long + `"}`, `{"body":"x"} {"body":"y"}`,
		} {
			if res := e.do("POST", "/tasks/{id}/comments", map[string]string{"id": "t1"}, body, alice); res.Status != 400 {
				t.Errorf("POST %.40s: %d %s, want 400", body, res.Status, res.Code)
			}
			if res := e.one("PATCH", c.ID, body, alice); res.Status != 400 {
				t.Errorf("PATCH %.40s: %d %s, want 400", body, res.Status, res.Code)
			}
		}
		if res := e.one("PATCH", c.ID, `{"body":"y"}`, alice, "If-Match", "v1"); res.Status != 400 {
			t.Errorf("bad If-Match: %d", res.Status)
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Errorf("invalid input emitted %d events", len(evs))
		}
	})
}

func TestAccess(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.task("t1", "p1")
		e.task("t2", "p2")
		e.task("t3", "gone") // a project the projects plugin does not know
		c1 := e.comment("t1", alice, "by alice")
		c2 := e.comment("t2", alice, "in p2")
		for _, c := range []struct {
			method, pattern, id string
			who                 *sdk.Principal
			want                int
		}{
			{"POST", "/tasks/{id}/comments", "t1", mallory, 403},
			{"POST", "/tasks/{id}/comments", "t2", bob, 403},
			{"POST", "/tasks/{id}/comments", "t3", alice, 404},
			{"POST", "/tasks/{id}/comments", "nope", alice, 404},
			{"POST", "/tasks/{id}/comments", "bad id", alice, 404},
			{"POST", "/tasks/{id}/comments", "t1", nil, 401},
			{"GET", "/tasks/{id}/comments", "t1", mallory, 403},
			{"GET", "/tasks/{id}/comments", "t2", bob, 403},
			{"GET", "/tasks/{id}/comments", "nope", alice, 404},
			{"GET", "/comments/{id}", c1.ID, mallory, 403},
			{"GET", "/comments/{id}", c2.ID, bob, 403},
			{"GET", "/comments/{id}", "nope", alice, 404},
			{"GET", "/comments/{id}", c1.ID, nil, 401},
			{"PATCH", "/comments/{id}", c1.ID, bob, 403}, // a member, not the author
			{"PATCH", "/comments/{id}", c1.ID, mallory, 403},
			{"PATCH", "/comments/{id}", "nope", alice, 404},
			{"DELETE", "/comments/{id}", c1.ID, bob, 403},
			{"DELETE", "/comments/{id}", c2.ID, mallory, 403},
			{"DELETE", "/comments/{id}", "nope", alice, 404},
		} {
			res := e.do(c.method, c.pattern, map[string]string{"id": c.id}, `{"body":"x"}`, c.who)
			if res.Status != c.want {
				t.Errorf("%s %s (%s) as %v: %d %s, want %d", c.method, c.pattern, c.id, c.who, res.Status, res.Code, c.want)
			}
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Errorf("refused calls emitted %d events", len(evs))
		}
	})
}

func TestPatchAndDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.task("t1", "p1")
		c := e.comment("t1", bob, "first")
		res := e.one("PATCH", c.ID, `{"body":"second"}`, bob, "If-Match", "1")
		got := res.comment(t)
		if res.Status != 200 || got.Body != "second" || got.Version != 2 || got.CreatedAt != c.CreatedAt ||
			!slices.Equal(res.Header["Etag"], []string{`"2"`}) {
			t.Errorf("PATCH = %d %+v", res.Status, got)
		}
		evs := e.Events()
		if len(evs) != 1 || evs[0].Type != CommentUpdated || !slices.Equal(evs[0].Rooms, []string{"project:p1", "task:t1"}) ||
			!same(evs[0].Data, got) {
			t.Fatalf("events %+v", evs)
		}
		// Same body: 200, no event, same version.
		if res := e.one("PATCH", c.ID, `{"body":" second "}`, bob); res.Status != 200 || res.comment(t).Version != 2 {
			t.Errorf("no-op PATCH: %d %s", res.Status, res.Body)
		}
		if res := e.one("PATCH", c.ID, `{"body":"third"}`, bob, "If-Match", `"1"`); res.Status != 412 || res.Code != "precondition_failed" {
			t.Errorf("stale If-Match: %d %s", res.Status, res.Code)
		}
		if res := e.one("DELETE", c.ID, nil, bob, "If-Match", `"1"`); res.Status != 412 {
			t.Errorf("stale If-Match on DELETE: %d", res.Status)
		}
		if evs := e.Events(); len(evs) != 0 {
			t.Errorf("no-op and refused PATCHes emitted %d events", len(evs))
		}
		if res := e.one("DELETE", c.ID, nil, bob, "If-Match", `"2"`); res.Status != 204 {
			t.Fatalf("DELETE: %d %s", res.Status, res.Code)
		}
		evs = e.Events()
		if len(evs) != 1 || evs[0].Type != CommentDeleted || !slices.Equal(evs[0].Rooms, []string{"project:p1", "task:t1"}) ||
			evs[0].Subject != "comment/"+c.ID {
			t.Fatalf("events %+v", evs)
		}
		if d := evs[0].Data.(*Deleted); *d != (Deleted{ID: c.ID, TaskID: "t1", ProjectID: "p1", Version: 3}) {
			t.Errorf("deleted = %+v", d)
		}
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			if res := e.one(m, c.ID, `{"body":"x"}`, bob); res.Status != 404 {
				t.Errorf("%s after delete: %d", m, res.Status)
			}
		}
	})
}

func TestList(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.task("t1", "p1")
		e.task("t2", "p1")
		var ids []string
		for i := range 5 {
			ids = append(ids, e.comment("t1", alice, fmt.Sprint("c", i)).ID)
			e.comment("t2", bob, "other task")
		}
		list := func(query string) (sdk.List[Comment], int) {
			r := sdktest.Request("GET", "/tasks/{id}/comments", map[string]string{"id": "t1"}, nil, bob)
			r.Query, _ = url.ParseQuery(query)
			res := e.serve(r)
			var l sdk.List[Comment]
			if res.Status == 200 {
				if err := json.Unmarshal(res.Body, &l); err != nil {
					t.Fatal(err)
				}
			}
			return l, res.Status
		}
		var got []string
		for off := 0; ; {
			page, status := list(fmt.Sprintf("limit=2&offset=%d", off))
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			for _, c := range page.Items {
				got = append(got, c.ID)
			}
			if page.NextOffset == nil {
				break
			}
			off = *page.NextOffset
		}
		if !slices.Equal(got, ids) {
			t.Errorf("pages = %v, want %v (oldest first)", got, ids)
		}
		if all, _ := list(""); len(all.Items) != 5 || all.NextOffset != nil {
			t.Errorf("default page: %d items", len(all.Items))
		}
		for _, q := range []string{"limit=0", "limit=501", "offset=x"} {
			if _, status := list(q); status != 400 {
				t.Errorf("%s: %d, want 400", q, status)
			}
		}
	})
}

// Many PATCHes with the same If-Match at once: exactly one wins.
func TestConcurrentPatch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.task("t1", "p1")
		c := e.comment("t1", alice, "v1")
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				statuses[i] = e.one("PATCH", c.ID, fmt.Sprintf(`{"body":"writer %d"}`, i), alice, "If-Match", "1").Status
			})
		}
		wg.Wait()
		if slices.Index(statuses, 200) < 0 || slices.IndexFunc(statuses, func(s int) bool { return s != 200 && s != 412 }) >= 0 ||
			len(slices.DeleteFunc(slices.Clone(statuses), func(s int) bool { return s != 200 })) != 1 {
			t.Errorf("statuses %v, want one 200 and the rest 412", statuses)
		}
		if evs := e.Events(); len(evs) != 1 {
			t.Errorf("%d events, want 1", len(evs))
		}
	})
}
