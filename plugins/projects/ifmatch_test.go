package projects

import (
	"slices"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// A project's version is its ETag; If-Match guards PATCH and DELETE.
func TestProjectIfMatch(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		p := e.create("Apollo")
		call := func(method, ifMatch string, body any) res {
			t.Helper()
			req := sdktest.Request(method, "/projects/{id}", sdktest.Params("id", p.ID), body, owner)
			if ifMatch != "" {
				req.Header.Set("If-Match", ifMatch)
			}
			return sdktest.Serve(t, e.p, req)
		}
		etag := func(r res, want string) {
			t.Helper()
			if got := r.Header["Etag"]; !slices.Equal(got, []string{want}) {
				t.Fatalf("ETag %q, want %q", got, want)
			}
		}
		etag(call("GET", "", nil).Want(t, 200), `"1"`)
		etag(call("PATCH", `"1"`, map[string]any{"name": "Artemis"}).Want(t, 200), `"2"`)
		e.one(EventProjectUpdated)
		call("PATCH", `"1"`, map[string]any{"name": "Gemini"}).Want(t, 412)
		call("PATCH", "one", map[string]any{"name": "Gemini"}).Want(t, 400)
		call("DELETE", `W/"1"`, nil).Want(t, 412)
		if evs := e.events(); len(evs) != 0 {
			t.Fatalf("refused calls emitted %v", sdktest.Types(evs))
		}
		call("DELETE", "2", nil).Want(t, 204)
	})
}
