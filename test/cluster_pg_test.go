package test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/plugins/sdk/sdktest"
)

// pmClusterHCL is the config of a cluster node running the four PM plugins
// on one PostgreSQL database (dsn), as every node of a cluster must.
func pmClusterHCL(dsn string) string {
	var b strings.Builder
	for _, p := range pmPlugins {
		fmt.Fprintf(&b, "plugin %q {\n  path = %q\n  args = [\"plugin\", %q]\n  database = %q\n}\n", p, bins[serverPkg], p, dsn)
	}
	return b.String()
}

// pgStarts is how many times TestClusterStartsTogetherOnFreshPostgres
// starts a cluster: $SB_PG_STARTS, else 2 (`make cluster-pg-soak` runs 20:
// a start takes 8–20 s on 2 busy cores).
func pgStarts(t *testing.T) int {
	s := os.Getenv("SB_PG_STARTS")
	if s == "" {
		return 2
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("SB_PG_STARTS=%q: want a count > 0", s)
	}
	return n
}

// Three nodes started at the same moment on a fresh PostgreSQL schema all
// come up, time after time: their plugins (four each, so twelve processes)
// set up the same tables at once (issue 8: they used to fail with
// "duplicate key value violates unique constraint pg_type_typname_nsp_index"
// or "relation sb_outbox_… already exists").
func TestClusterStartsTogetherOnFreshPostgres(t *testing.T) {
	n := pgStarts(t)
	for i := range n {
		t.Run(fmt.Sprintf("start%d", i+1), func(t *testing.T) {
			dsn := sdktest.Postgres(t) // a fresh schema each time
			began := time.Now()
			nodes := startCluster(t, 3, pmClusterHCL(dsn))
			t.Logf("3 nodes up in %v", time.Since(began).Round(time.Millisecond))
			// Every node serves the plugins: a project made on one is
			// read on the next.
			tok := nodes[0].Token("u1", "w1")
			_, p := call(t, nodes[i%3], tok, "POST", "/v1/workspaces/w1/projects", kv{"name": "Apollo"}, 201)
			call(t, nodes[(i+1)%3], tok, "GET", "/v1/projects/"+p["id"].(string), nil, 200)
		})
	}
}

// The PM flow across three nodes on one PostgreSQL: a project created via
// node A, a member added via node B; that member's client on node C
// receives each task event once (three relays share the outbox) and, when
// removed via node C, access.revoked and nothing more from the project.
func TestClusterPMOnPostgres(t *testing.T) {
	dsn := sdktest.Postgres(t)
	nodes := startCluster(t, 3, pmClusterHCL(dsn))
	a, b, c := nodes[0], nodes[1], nodes[2]
	u1 := a.Token("u1", "w1")

	_, p := call(t, a, u1, "POST", "/v1/workspaces/w1/projects", kv{"name": "Apollo"}, 201)
	pid := p["id"].(string)
	proom := "project:" + pid
	owner := dial(t, a, "u1", proom, true, "w1")
	corr, _ := call(t, b, u1, "POST", "/v1/projects/"+pid+"/members", kv{"userId": "u2", "role": "member"}, 201)
	expectEvent(t, "pm.team.member_added", "projects", "u1", corr, kv{"userId": "u2"}, owner)

	// u2 joins on C: C's projects plugin finds the membership B wrote.
	c2 := c.DialWS(c.Token("u2"))
	c2.Join("user:u2")
	c2.Join(proom)
	member := at{proom, c2}
	for i, n := range nodes { // each node's tasks plugin writes to the one outbox
		corr, tk := call(t, n, u1, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": fmt.Sprintf("task %d", i)}, 201)
		expectEvent(t, "pm.task.created", "tasks", "u1", corr, kv{"id": tk["id"], "title": fmt.Sprintf("task %d", i)}, owner, member)
		corr, _ = call(t, nodes[(i+1)%3], u1, "PATCH", "/v1/tasks/"+tk["id"].(string), kv{"title": fmt.Sprintf("task %d'", i)}, 200, "If-Match", `"1"`)
		expectEvent(t, "pm.task.updated", "tasks", "u1", corr, kv{"id": tk["id"], "version": 2}, owner, member)
	}
	quiet(t, c2) // no second copy of any of them

	rmCorr, _ := call(t, c, u1, "DELETE", "/v1/projects/"+pid+"/members/u2", nil, 204)
	for _, f := range revokedFrom(t, c2, proom) {
		ev := f.CloudEvent(t)
		if ev["type"] != "pm.team.member_removed" {
			t.Fatalf("u2 received %v in %s while being removed", ev["type"], f.Room)
		}
		checkEnvelope(t, ev, "projects", "u1", rmCorr, kv{"userId": "u2"})
	}
	// Nothing more from the project: a task made after the removal reaches
	// the owner, then a marker in user:u2 reaches u2 with nothing before it.
	expectEvent(t, "pm.team.member_removed", "projects", "u1", rmCorr, kv{"userId": "u2"}, owner)
	corr, _ = call(t, b, u1, "POST", "/v1/projects/"+pid+"/tasks", kv{"title": "after"}, 201)
	expectEvent(t, "pm.task.created", "tasks", "u1", corr, kv{"title": "after"}, owner)
	a.PublishOK("demo.marker", map[string]string{"after": "removal"}, "user:u2")
	for {
		f := c2.Read()
		if f.Op != "event" || f.Seq == 0 {
			continue
		}
		ev := f.CloudEvent(t)
		if ev["type"] == "demo.marker" {
			break
		}
		if f.Room != "user:u2" || ev["type"] != "pm.team.member_removed" {
			t.Fatalf("u2 received %v in %s after the removal", ev["type"], f.Room)
		}
	}
}
