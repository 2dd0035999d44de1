package labels_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

const (
	routerPkg = "github.com/switchboard-rt/switchboard/cmd/switchboard"
	labelsPkg = "github.com/switchboard-rt/switchboard/plugins/examples/labels/cmd/labels"
)

var bins map[string]string

func TestMain(m *testing.M) { testnode.MainWithBinaries(m, &bins, routerPkg, labelsPkg) }

// One block loads the plugin next to the bundled projects and tasks (run
// from the router binary): a member labels a task, and a client in the
// task's room receives pm.label.attached; a non-member is refused.
func TestLabelsInTheRouter(t *testing.T) {
	n := testnode.Start(t, testnode.ConfigHCL(t, fmt.Sprintf(`
plugin "projects" {
  path = %[1]q
  args = ["plugin", "projects"]
}
plugin "tasks" {
  path = %[1]q
  args = ["plugin", "tasks"]
}
plugin "labels" {
  path = %[2]q
}
`, bins[routerPkg], bins[labelsPkg])))
	ann, bob := n.Token("ann", "w1"), n.Token("bob", "w1")
	call := func(tok, method, path string, body any, want int) map[string]any {
		t.Helper()
		st, b := n.Do(method, path, body, map[string]string{"Authorization": "Bearer " + tok})
		if st != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, st, b, want)
		}
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		return v
	}
	pid := call(ann, "POST", "/v1/workspaces/w1/projects", map[string]string{"name": "Apollo"}, 201)["id"].(string)
	tid := call(ann, "POST", "/v1/projects/"+pid+"/tasks", map[string]string{"title": "Spec"}, 201)["id"].(string)
	lid := call(ann, "POST", "/v1/projects/"+pid+"/labels", map[string]string{"name": "bug", "color": "#d62728"}, 201)["id"].(string)
	call(bob, "POST", "/v1/projects/"+pid+"/labels", map[string]string{"name": "x", "color": "#000000"}, 403)

	ws := n.DialWS(ann)
	ws.Join("task:" + tid)
	// The labels plugin learns of the task from pm.task.created, at once
	// but asynchronously: until then the task is not found.
	poll.Until(t, "the task to become labelable", func() bool {
		st, _ := n.Do("PUT", "/v1/tasks/"+tid+"/labels/"+lid, nil, map[string]string{"Authorization": "Bearer " + ann})
		return st == 204
	})
	ev := ws.NextEvent().CloudEvent(t)
	data, _ := ev["data"].(map[string]any)
	if ev["type"] != "pm.label.attached" || data["labelId"] != lid || data["taskId"] != tid || data["projectId"] != pid ||
		ev["source"] != "switchboard/plugins/labels" {
		t.Errorf("event %v", ev)
	}
}
