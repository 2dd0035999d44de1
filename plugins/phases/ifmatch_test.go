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
		sdktest.CheckIfMatch(t, func(method, ifMatch string, body any) res {
			req := sdktest.Request(method, "/phases/{id}", sdktest.Params("id", ph.ID), body, user("u2"))
			if ifMatch != "" {
				req.Header.Set("If-Match", ifMatch)
			}
			return sdktest.Serve(t, e.Plugin, req)
		}, map[string]any{"name": "Design v2"})
		// Only the PATCH and DELETE that went through emitted events.
		if got := sdktest.Types(e.Events()); !slices.Equal(got, []string{EventPhaseUpdated, EventPhaseDeleted}) {
			t.Fatalf("events %v", got)
		}
	})
}
