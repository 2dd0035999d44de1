package test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// startCluster starts n nodes whose embedded NATS servers form one
// cluster, with the history stream replicated on all of them; each node's
// config file is hcl.
func startCluster(t *testing.T, n int, hcl string) []*testnode.Node {
	t.Helper()
	ports := testnode.FreePorts(t, n)
	cfgs := make([]*config.Config, n)
	for i := range cfgs {
		cfg := testnode.ConfigHCL(t, hcl)
		var routes []string
		for j, p := range ports {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
			}
		}
		cfg.NATS.ServerName = fmt.Sprintf("n%d", i)
		cfg.NATS.Cluster = &config.Cluster{Name: "sbtest", Listen: fmt.Sprintf("127.0.0.1:%d", ports[i]), Routes: routes}
		cfg.NATS.Replicas = n
		cfgs[i] = cfg
	}
	// JetStream needs a quorum before the history stream exists: start the
	// nodes together.
	servers := make([]*core.Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range n {
		wg.Go(func() { servers[i], errs[i] = core.New(ctx, cfgs[i], testnode.Logger()) })
	}
	wg.Wait()
	nodes := make([]*testnode.Node, n)
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		nodes[i] = testnode.Adopt(t, cfgs[i], s)
	}
	return nodes
}

// TestCluster runs on one three-node cluster (starting one takes seconds).
func TestCluster(t *testing.T) {
	// Every node runs the test plugin (it owns box: rooms, which only
	// "boxer" may join, and revokes on request).
	nodes := startCluster(t, 3, fmt.Sprintf("plugin \"test\" {\n  path = %q\n}\n", bins[testPkg]))
	t.Run("JoinThenPublishElsewhere", func(t *testing.T) { clusterJoinThenPublishElsewhere(t, nodes) })
	t.Run("RevocationIsAppliedEverywhereBeforeItIsAnswered", func(t *testing.T) { clusterRevocation(t, nodes) })
	t.Run("DeliversEverywhereAndResumesOnAnotherNode", func(t *testing.T) { clusterResume(t, nodes) })
}

// An event published on one node reaches members on every node, and a
// client that reconnects to another node resumes with no gap.
func clusterResume(t *testing.T, nodes []*testnode.Node) {
	tok := nodes[0].Token("u1", "w1")
	a, b := nodes[1].DialWS(tok), nodes[2].DialWS(tok)
	a.Join("workspace:w1")
	b.Join("workspace:w1")
	var last uint64
	for i := range 20 {
		seq := nodes[i%3].PublishOK("x.y", i, "workspace:w1")
		for _, c := range []*testnode.WS{a, b} {
			if f := c.NextEvent(); f.Seq != seq {
				t.Fatalf("event %d: got seq %d, want %d", i, f.Seq, seq)
			}
		}
		last = seq
	}
	// a leaves; three events go by; it comes back on another node and gets
	// exactly those, then live ones.
	a.Conn.Close()
	var missed []uint64
	for i := range 3 {
		missed = append(missed, nodes[i].PublishOK("x.missed", i, "workspace:w1"))
	}
	a2 := nodes[0].DialWS(tok)
	if ok := a2.Join("workspace:w1", last); ok.Recovered == nil || !*ok.Recovered {
		t.Fatalf("resume on another node: %+v", ok)
	}
	for _, want := range missed {
		if f := a2.NextEvent(); f.Seq != want {
			t.Fatalf("replayed seq %d, want %d", f.Seq, want)
		}
	}
	live := nodes[2].PublishOK("x.live", 1, "workspace:w1")
	if f := a2.NextEvent(); f.Seq != live {
		t.Fatalf("live after resume: seq %d, want %d", f.Seq, live)
	}
}

// A join on one node is in force cluster-wide when it is acknowledged: an
// event stored right after the ok, through another node, is delivered.
func clusterJoinThenPublishElsewhere(t *testing.T, nodes []*testnode.Node) {
	const rooms = 50
	var ws []string
	for i := range rooms {
		ws = append(ws, fmt.Sprintf("w%d", i))
	}
	c := nodes[1].DialWS(nodes[1].Token("u1", ws...))
	for i, w := range ws {
		// A fresh room each time: its live subscription is new on node 1.
		c.Join("workspace:" + w)
		seq := nodes[i%2*2].PublishOK("x.y", i, "workspace:"+w)
		if f := c.NextEvent(); f.Seq != seq || f.Room != "workspace:"+w {
			t.Fatalf("room %s: got %s seq %d, want seq %d", w, f.Room, f.Seq, seq)
		}
	}
}

// A revocation asked of one node is answered once the user's connections
// on every node have left the room: an event published right after the
// answer, on the node that answered, reaches none of them. Rounds repeat
// it with the user back in the room each time.
func clusterRevocation(t *testing.T, nodes []*testnode.Node) {
	const rounds = 50
	admin := nodes[0].Token("admin")
	var cs []*testnode.WS
	for _, n := range nodes[1:] {
		c := n.DialWS(n.Token("boxer"))
		c.Join("user:boxer")
		cs = append(cs, c)
	}
	for i := range rounds {
		room := "box:revoked"
		for _, c := range cs {
			c.Join(room)
		}
		if st, b := nodes[0].Do("POST", "/v1/test/revoke/boxer/"+room, nil, authz(admin)); st != 204 {
			t.Fatalf("round %d: revoke: %d %s", i, st, b)
		}
		after := fmt.Sprintf("after-%d", i)
		nodes[0].PublishOK("demo.after", map[string]string{"round": after}, room)
		nodes[0].PublishOK("demo.marker", map[string]string{"round": after}, "user:boxer")
		for k, c := range cs {
			revoked := false
			for {
				f := c.Read()
				if f.Op != "event" {
					continue
				}
				ev := f.CloudEvent(t)
				d, _ := ev["data"].(map[string]any)
				if ev["type"] == "access.revoked" && f.Room == room {
					revoked = true
				}
				if d != nil && d["round"] == after && ev["type"] == "demo.after" {
					t.Fatalf("round %d: node %d's connection received an event published after the revocation was answered", i, k+1)
				}
				if d != nil && d["round"] == after && ev["type"] == "demo.marker" {
					break
				}
			}
			if !revoked {
				t.Fatalf("round %d: node %d's connection got no access.revoked before the next event", i, k+1)
			}
		}
	}
}
