package test

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// postOutbox runs n commands that each emit one event through the outbox.
func postOutbox(t *testing.T, n *testnode.Node, tok string, from, count int) {
	t.Helper()
	for i := from; i < from+count; i++ {
		if st, b := n.Do("POST", "/v1/test/outbox/user:u1", map[string]int{"n": i}, authz(tok)); st != 202 {
			t.Fatalf("command %d: %d %s", i, st, b)
		}
	}
}

// expectInOrder reads events until it has seen n = 0..count-1 in order,
// failing on a gap or a duplicate.
func expectInOrder(t *testing.T, c *testnode.WS, count int) {
	t.Helper()
	for i := 0; i < count; i++ {
		var d struct{ N int }
		f := c.NextEvent()
		if err := json.Unmarshal(mustData(t, f), &d); err != nil {
			t.Fatal(err)
		}
		if d.N != i {
			t.Fatalf("event %d: got n=%d (gap or duplicate) at seq %d", i, d.N, f.Seq)
		}
	}
	// Nothing more: a ping comes back before any other event.
	c.Send(`{"op":"ping","ref":"end"}`)
	for {
		f := c.Read()
		if f.Op == "pong" {
			return
		}
		if f.Op == "event" && f.Seq > 0 {
			t.Fatalf("extra event after the %d expected: %s", count, f.Event)
		}
	}
}

// outageNode is a node with the plugins, on an external NATS the test can
// stop and restart.
func outageNode(t *testing.T) (*testnode.Node, *testnode.NATS) {
	js := testnode.StartNATS(t)
	n := pluginNode(t, fmt.Sprintf("nats {\n  url = %q\n}\n", js.URL()))
	return n, js
}

// NATS stops while commands run: they still succeed, and once it is back
// every event arrives, in order, exactly once.
func TestOutboxSurvivesNATSOutage(t *testing.T) {
	n, js := outageNode(t)
	tok := n.Token("u1")
	c := n.DialWS(tok)
	c.Join("user:u1")
	postOutbox(t, n, tok, 0, 5)
	expectInOrder(t, c, 5)

	js.Stop()
	postOutbox(t, n, tok, 5, 10) // the commands succeed: events wait in the outbox
	if st, _ := n.Do("GET", "/readyz", nil, nil); st != 503 {
		t.Fatalf("readyz with NATS down: %d", st)
	}
	js.Restart()
	for i := 5; i < 15; i++ {
		var d struct{ N int }
		if err := json.Unmarshal(mustData(t, c.NextEvent()), &d); err != nil || d.N != i {
			t.Fatalf("after recovery, event %d: n=%d %v", i, d.N, err)
		}
	}
}

// The plugin is killed with events in its outbox: the restarted plugin
// relays them, and nothing is lost or doubled.
func TestOutboxSurvivesPluginKill(t *testing.T) {
	n, js := outageNode(t)
	tok := n.Token("u1")
	_, b := n.Do("GET", "/v1/test/pid", nil, authz(tok))
	var pid struct{ Pid int }
	if err := json.Unmarshal(b, &pid); err != nil {
		t.Fatal(err)
	}
	js.Stop() // events pile up in the outbox
	postOutbox(t, n, tok, 0, 10)
	if err := syscall.Kill(pid.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	js.Restart()
	c := n.DialWS(tok)
	c.Join("user:u1", 0)
	expectInOrder(t, c, 10)
}

// The core stops with events in a plugin's outbox; the next node on the
// same data dir delivers them.
func TestOutboxSurvivesCoreRestart(t *testing.T) {
	js := testnode.StartNATS(t)
	cfg := testnode.ConfigHCL(t, fmt.Sprintf("nats {\n  url = %q\n}\nplugin \"test\" {\n  path = %q\n}\n", js.URL(), bins[testPkg]))
	n := testnode.Start(t, cfg)
	tok := n.Token("u1")
	js.Stop()
	postOutbox(t, n, tok, 0, 5)
	n.Stop()
	js.Restart()

	cfg2 := *cfg
	n2 := testnode.Start(t, &cfg2)
	c := n2.DialWS(n2.Token("u1"))
	c.Join("user:u1", 0)
	expectInOrder(t, c, 5)
}
