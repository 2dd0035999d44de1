package test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// freePorts finds n distinct loopback ports that are free now: the
// cluster's route URLs must be known before the nodes start. The
// listeners stay open until all are picked, so no port comes twice.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// startCluster starts n nodes whose embedded NATS servers form one
// cluster, with the history stream replicated on all of them.
func startCluster(t *testing.T, n int) []*testnode.Node {
	t.Helper()
	ports := freePorts(t, n)
	cfgs := make([]*config.Config, n)
	for i := range cfgs {
		cfg := testnode.Config(t)
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
	nodes := startCluster(t, 3)
	t.Run("JoinThenPublishElsewhere", func(t *testing.T) { clusterJoinThenPublishElsewhere(t, nodes) })
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
