package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// Failover tests run the built switchboard binary as separate processes
// (three nodes, replicas 3), kill or stop them while a publisher posts every
// 20 ms, and check what clients that follow docs/PROTOCOL.md §7 receive.

// failoverEvents is how many acknowledged events each step of the failover
// tests waits for (SWITCHBOARD_FAILOVER_EVENTS, default 25: half a second
// of publishing; raise it for a longer run).
func failoverEvents(t *testing.T) int {
	v := os.Getenv("SWITCHBOARD_FAILOVER_EVENTS")
	if v == "" {
		return 25
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("SWITCHBOARD_FAILOVER_EVENTS=%q: want a positive integer", v)
	}
	return n
}

// procCluster is n node processes forming one NATS cluster, and which of
// them are up (the publisher and the clients use only those).
type procCluster struct {
	t     *testing.T
	nodes []*testnode.Proc
	mu    sync.Mutex
	up    []bool
	next  int
}

// startProcCluster starts n nodes together (JetStream needs a quorum before
// the history stream exists) and waits until every one is ready.
func startProcCluster(t *testing.T, n int) *procCluster {
	t.Helper()
	c := &procCluster{t: t, up: make([]bool, n)}
	for _, src := range testnode.ClusterHCL(t, n, "") {
		c.nodes = append(c.nodes, testnode.StartProcess(t, bins[serverPkg], src))
	}
	start := time.Now()
	for i, p := range c.nodes {
		p.WaitReady(60 * time.Second)
		c.setUp(i, true)
	}
	t.Logf("%d node processes ready in %s", n, time.Since(start).Round(time.Millisecond))
	return c
}

func (c *procCluster) setUp(i int, up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.up[i] = up
}

// pick returns the base URL of the next node that is up, other than prev
// when another is up (round robin).
func (c *procCluster) pick(prev string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range 2 * len(c.nodes) {
		i := c.next % len(c.nodes)
		c.next++
		if c.up[i] && (c.nodes[i].URL != prev || c.upCountLocked() == 1) {
			return c.nodes[i].URL
		}
	}
	return c.nodes[0].URL // none up: keep trying
}

func (c *procCluster) upCountLocked() int {
	n := 0
	for _, u := range c.up {
		if u {
			n++
		}
	}
	return n
}

// on returns a pick that starts on node i, then goes to any other node up.
func (c *procCluster) on(i int) func(string) string {
	var once sync.Once
	return func(prev string) string {
		first := ""
		once.Do(func() { first = c.nodes[i].URL })
		if first != "" {
			return first
		}
		return c.pick(prev)
	}
}

// token is a client token for workspaces fo and rr (the two tests' rooms).
func (c *procCluster) token(sub string) string { return c.nodes[0].Node().Token(sub, "fo", "rr") }

// streamLeader asks node p's NATS which server leads the history stream
// ("" while there is none).
func streamLeader(t *testing.T, p *testnode.Proc) string {
	t.Helper()
	nc, err := nats.Connect(p.NATSURL(), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatalf("nats %s: %v", p.NATSURL(), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, p.Cfg.History.Stream)
	if err != nil {
		return ""
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		return ""
	}
	return info.Cluster.Leader
}

// publisher posts one event to its room every 20 ms through the nodes
// that are up, in turn, and records the seq of each acknowledged one (a 200
// with seqs); a failed publish is not retried.
type publisher struct {
	c       *procCluster
	room    string
	mu      sync.Mutex
	acked   []uint64
	failed  []string
	changed chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

func startPublisher(c *procCluster, room string) *publisher {
	ctx, cancel := context.WithCancel(context.Background())
	p := &publisher{c: c, room: room, changed: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go p.run(ctx)
	return p
}

func (p *publisher) run(ctx context.Context) {
	defer close(p.done)
	hc := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		base := p.c.pick("")
		seq, err := publishOnce(ctx, hc, base, p.room, n)
		p.mu.Lock()
		if err != nil {
			p.failed = append(p.failed, fmt.Sprintf("%s: %v", base, err))
		} else {
			p.acked = append(p.acked, seq)
		}
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
}

func publishOnce(ctx context.Context, hc *http.Client, base, room string, n int) (uint64, error) {
	body, _ := json.Marshal(map[string]any{"rooms": []string{room}, "type": "failover.tick", "data": map[string]int{"n": n}})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/publish", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Api-Key", testnode.ProcAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var res struct{ Seqs map[string]uint64 }
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 || res.Seqs[room] == 0 {
		return 0, fmt.Errorf("status %d, seqs %v, %v", resp.StatusCode, res.Seqs, err)
	}
	return res.Seqs[room], nil
}

// waitMore waits up to d until n more events than before were acknowledged.
func (p *publisher) waitMore(t *testing.T, n int, d time.Duration) {
	t.Helper()
	p.mu.Lock()
	want := len(p.acked) + n
	p.mu.Unlock()
	deadline := time.After(d)
	for {
		p.mu.Lock()
		got, ch := len(p.acked), p.changed
		p.mu.Unlock()
		if got >= want {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("publisher: %d acknowledged, want %d within %s; failures: %v", got, want, d, p.failures())
		}
	}
}

func (p *publisher) failures() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.failed)
}

// stop ends publishing and returns the acknowledged seqs.
func (p *publisher) stop() []uint64 {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acked)
}

// checkExactlyOnce checks that a follower received seqs in strictly growing
// order (so none twice) and every acknowledged one.
func checkExactlyOnce(t *testing.T, name string, f *testnode.Follower, acked []uint64) {
	t.Helper()
	got := f.Seqs()
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("%s: seq %d after %d (a duplicate or out of order); ends %v", name, got[i], got[i-1], f.Ends())
		}
	}
	var missing []uint64
	for _, s := range acked {
		if _, ok := slices.BinarySearch(got, s); !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: %d of %d acknowledged events missing: %v; ends %v", name, len(missing), len(acked), missing, f.Ends())
	}
}

// checkHistory replays the room from the start on node p and checks that
// every acknowledged event is there, once.
func checkHistory(t *testing.T, c *procCluster, p *testnode.Proc, room string, acked []uint64) {
	t.Helper()
	n := p.Node()
	ws := n.DialWS(c.token("history"))
	ws.Join(room, 0)
	last := acked[len(acked)-1]
	var got []uint64
	for len(got) == 0 || got[len(got)-1] < last {
		got = append(got, ws.NextEvent().Seq)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("history on %s: seq %d after %d", p.Name(), got[i], got[i-1])
		}
	}
	for _, s := range acked {
		if _, ok := slices.BinarySearch(got, s); !ok {
			t.Fatalf("history on %s: acknowledged seq %d is missing", p.Name(), s)
		}
	}
	if extra := len(got) - len(acked); extra > 0 {
		t.Logf("history on %s: %d events stored whose publish was not acknowledged (allowed)", p.Name(), extra)
	}
}

// waitFollowers waits until every follower has received last.
func waitFollowers(t *testing.T, fs map[string]*testnode.Follower, last uint64) {
	t.Helper()
	for name, f := range fs {
		if !f.WaitSeq(15*time.Second, last) {
			s := f.Seqs()
			t.Errorf("%s: did not receive seq %d in time (%d events, ends %v)", name, last, len(s), f.Ends())
		}
	}
}

// TestFailover runs on one three-node cluster of processes (replicas 3;
// starting one takes most of the test's time): first the node that leads
// the history stream is killed, then, with it back, every node is
// restarted in turn.
func TestFailover(t *testing.T) {
	c := startProcCluster(t, 3)
	events := failoverEvents(t)
	t.Run("StreamLeaderKilled", func(t *testing.T) { failoverLeaderKilled(t, c, events) })
	if t.Failed() {
		return
	}
	t.Run("RollingRestart", func(t *testing.T) { failoverRollingRestart(t, c, events) })
}

// The node that leads the history stream is killed (SIGKILL) while a
// publisher posts every 20 ms: its WebSocket and SSE clients resume on
// another node with since / Last-Event-ID and receive every acknowledged
// event exactly once, as do clients of the surviving nodes; publishing
// through the survivors goes on; the history on each survivor is intact.
// The killed node then starts again on its data dir.
func failoverLeaderKilled(t *testing.T, c *procCluster, events int) {
	const room = "workspace:fo"
	var leader string
	poll.Within(t, 10*time.Second, "a history stream leader", func() bool {
		leader = streamLeader(t, c.nodes[0])
		return leader != ""
	})
	li := slices.IndexFunc(c.nodes, func(p *testnode.Proc) bool { return p.Name() == leader })
	if li < 0 {
		t.Fatalf("stream leader %q is none of the nodes", leader)
	}
	other := (li + 1) % 3
	fs := map[string]*testnode.Follower{
		"ws on the leader":  testnode.Follow(room, c.token("a"), false, c.on(li)),
		"sse on the leader": testnode.Follow(room, c.token("b"), true, c.on(li)),
		"ws on a survivor":  testnode.Follow(room, c.token("c"), false, c.on(other)),
		"sse on a survivor": testnode.Follow(room, c.token("d"), true, c.on(other)),
	}
	waitConnected(t, fs)
	pub := startPublisher(c, room)
	defer pub.stop()
	pub.waitMore(t, events, 10*time.Second)

	killed := time.Now()
	c.nodes[li].Kill()
	c.setUp(li, false)
	var newLeader string
	poll.Within(t, 15*time.Second, "a new stream leader", func() bool {
		newLeader = streamLeader(t, c.nodes[other])
		return newLeader != "" && newLeader != leader
	})
	t.Logf("killed leader %s; %s leads after %s", leader, newLeader, time.Since(killed).Round(time.Millisecond))
	pub.waitMore(t, events, 15*time.Second) // publishing through the survivors goes on
	acked := pub.stop()
	t.Logf("%d events acknowledged, %d publishes failed around the kill: %v", len(acked), len(pub.failures()), pub.failures())
	waitFollowers(t, fs, acked[len(acked)-1])
	for name, f := range fs {
		checkExactlyOnce(t, name, f, acked)
	}
	for _, name := range []string{"ws on the leader", "sse on the leader"} {
		if ends := fs[name].Ends(); len(ends) == 0 || ends[0].Graceful() || fs[name].Connections() < 2 {
			t.Errorf("%s: want a cut connection then a resumed one; ends %v", name, ends)
		}
	}
	for i, p := range c.nodes {
		if i != li {
			checkHistory(t, c, p, room, acked)
		}
	}
	start := time.Now()
	c.nodes[li].Start()
	c.nodes[li].WaitReady(30 * time.Second)
	c.setUp(li, true)
	t.Logf("%s: start after kill to ready %s", leader, time.Since(start).Round(time.Millisecond))
	checkHistory(t, c, c.nodes[li], room, acked)
}

// All three nodes are restarted one by one (SIGTERM, wait for the exit,
// start again on the same data dir) under steady publishing: no
// acknowledged event is lost, and clients that follow along — WebSocket
// clients see close 1001 "shutdown", SSE streams end, both resume on a
// live node with since / Last-Event-ID — see each one exactly once.
func failoverRollingRestart(t *testing.T, c *procCluster, events int) {
	const room = "workspace:rr"
	fs := map[string]*testnode.Follower{}
	for i := range c.nodes {
		fs["ws on n"+strconv.Itoa(i)] = testnode.Follow(room, c.token("w"+strconv.Itoa(i)), false, c.on(i))
		fs["sse on n"+strconv.Itoa(i)] = testnode.Follow(room, c.token("s"+strconv.Itoa(i)), true, c.on(i))
	}
	waitConnected(t, fs)
	pub := startPublisher(c, room)
	defer pub.stop()
	pub.waitMore(t, events, 10*time.Second)
	for i, p := range c.nodes {
		c.setUp(i, false)
		took := p.Term(15 * time.Second)
		start := time.Now()
		p.Start()
		p.WaitReady(30 * time.Second)
		c.setUp(i, true)
		t.Logf("%s: SIGTERM to exit %s, start to ready %s", p.Name(), took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		pub.waitMore(t, events, 15*time.Second)
	}
	acked := pub.stop()
	t.Logf("%d events acknowledged, %d publishes failed: %v", len(acked), len(pub.failures()), pub.failures())
	waitFollowers(t, fs, acked[len(acked)-1])
	for name, f := range fs {
		checkExactlyOnce(t, name, f, acked)
		ends := f.Ends()
		if len(ends) == 0 {
			t.Errorf("%s: never disconnected by a restart", name)
		}
		for _, e := range ends {
			if !e.Graceful() {
				t.Errorf("%s: connection ended without a drain: %v", name, e)
			}
		}
	}
	for _, p := range c.nodes {
		checkHistory(t, c, p, room, acked)
	}
}

// waitConnected waits until every follower has joined once.
func waitConnected(t *testing.T, fs map[string]*testnode.Follower) {
	t.Helper()
	for name, f := range fs {
		t.Cleanup(f.Stop)
		if !f.WaitFor(10*time.Second, func(_ []uint64, n int) bool { return n >= 1 }) {
			fails := f.Failures()
			t.Fatalf("%s: not connected; %d failed attempts, the last: %v", name, len(fails), fails[max(0, len(fails)-3):])
		}
	}
}

// A second process on the data dir of a running node exits at once,
// non-zero, naming the running node's PID; the first one goes on.
func TestSecondProcessOnSameDataDirFails(t *testing.T) {
	ports := testnode.FreePorts(t, 2)
	dir := t.TempDir()
	src := func(port int) string {
		return fmt.Sprintf("server {\n  listen = \"127.0.0.1:%d\"\n  data_dir = %q\n}\nauth {\n  api_keys = [%q]\n}\n", port, dir, testnode.ProcAPIKey)
	}
	first := testnode.StartProcess(t, bins[serverPkg], src(ports[0]))
	first.WaitReady(30 * time.Second)
	start := time.Now()
	second := testnode.StartProcess(t, bins[serverPkg], src(ports[1]))
	select {
	case <-second.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("the second process still runs on the same data_dir")
	}
	took := time.Since(start)
	if second.ExitErr() == nil {
		t.Fatal("the second process exited 0")
	}
	want := fmt.Sprintf("held by switchboard process %d ", first.PID())
	if !strings.Contains(second.Stderr(), want) {
		t.Fatalf("stderr of the second process does not name the first (%q):\n%s", want, second.Stderr())
	}
	if strings.Contains(second.Stderr(), "listening") {
		t.Fatalf("the second process listened:\n%s", second.Stderr())
	}
	t.Logf("second process exited in %s: %s", took.Round(time.Millisecond), strings.TrimSpace(second.Stderr()))
	first.WaitReady(5 * time.Second)
}

// In one process: core.New on a data dir that a running node holds fails
// at once, naming this process; the lock is given back by Shutdown and by
// a New that fails.
func TestSecondNodeOnSameDataDirInProcess(t *testing.T) {
	cfg := testnode.Config(t)
	n := testnode.Start(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	s, err := core.New(ctx, cfg, testnode.Logger())
	if err == nil {
		s.Shutdown(ctx)
		t.Fatal("a second node started on the same data_dir")
	}
	if want := fmt.Sprintf("process %d ", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), cfg.Server.DataDir) {
		t.Fatalf("error %q does not name the holder (%q) and the data dir", err, want)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("refused after %s: it must fail at once", d)
	}
	n.Stop()
	// Released by Shutdown; a New that fails (a plugin that cannot start)
	// releases it too.
	bad := testnode.ConfigHCL(t, "plugin \"ghost\" {\n  path = \"./no-such-plugin\"\n}\n")
	bad.Server.DataDir = cfg.Server.DataDir
	if s, err := core.New(ctx, bad, testnode.Logger()); err == nil || !strings.Contains(err.Error(), "ghost") {
		if s != nil {
			s.Shutdown(ctx)
		}
		t.Fatalf("New with a missing plugin: %v", err)
	}
	s, err = core.New(ctx, cfg, testnode.Logger())
	if err != nil {
		t.Fatalf("New after Shutdown and a failed New: %v", err)
	}
	s.Shutdown(ctx)
}
