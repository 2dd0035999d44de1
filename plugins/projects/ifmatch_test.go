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
		sdktest.CheckIfMatch(t, func(method, ifMatch string, body any) res {
			req := sdktest.Request(method, "/projects/{id}", sdktest.Params("id", p.ID), body, owner)
			if ifMatch != "" {
				req.Header.Set("If-Match", ifMatch)
			}
			return sdktest.Serve(t, e.Plugin, req)
		}, map[string]any{"name": "Artemis"})
		// Only the PATCH and DELETE that went through emitted events.
		if got := sdktest.Types(e.Events()); !slices.Equal(got, []string{EventProjectUpdated, EventProjectDeleted}) {
			t.Fatalf("events %v", got)
		}
	})
}
