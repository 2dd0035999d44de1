package phases

import (
	"slices"
	"testing"

	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// A phase's version is its ETag; If-Match guards PATCH and DELETE.
func TestPhaseIfMatch(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ph := e.create(map[string]any{"name": "Design"})
		call := func(method, ifMatch string, body any) res {
			t.Helper()
			req := sdktest.Request(method, "/phases/{id}", sdktest.Params("id", ph.ID), body, user("u2"))
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
		etag(call("PATCH", `"1"`, map[string]any{"name": "Design v2"}).Want(t, 200), `"2"`)
		e.one(EventPhaseUpdated)
		call("PATCH", `"1"`, map[string]any{"name": "Design v3"}).Want(t, 412)
		call("PATCH", "one", map[string]any{"name": "Design v3"}).Want(t, 400)
		call("DELETE", `W/"1"`, nil).Want(t, 412)
		if evs := e.events(); len(evs) != 0 {
			t.Fatalf("refused calls emitted %v", sdktest.Types(evs))
		}
		call("DELETE", "2", nil).Want(t, 204)
		e.one(EventPhaseDeleted)
	})
}
