package bus

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// twoNodes opens node A on an embedded server with a client port and node
// B as a client of it (as with nats { url }), both announced, and waits
// until each counts the other.
func twoNodes(t *testing.T, heartbeat, peerTimeout time.Duration) (a, b *Bus) {
	t.Helper()
	nodeOpts := func(o *Options) {
		if heartbeat > 0 {
			o.NATS.Heartbeat, o.NATS.PeerTimeout = hclconf.Duration(heartbeat), hclconf.Duration(peerTimeout)
		}
	}
	a = open(t, func(o *Options) { o.NATS.Listen = "127.0.0.1:-1"; o.NATS.ServerName = "a"; nodeOpts(o) })
	b = open(t, func(o *Options) { o.NATS.URL = a.ns.ClientURL(); o.NATS.ServerName = "b"; nodeOpts(o) })
	for _, n := range []*Bus{a, b} {
		if err := n.Announce(); err != nil {
			t.Fatal(err)
		}
	}
	poll.Until(t, "the two nodes to count each other", func() bool {
		return len(a.Nodes()) == 2 && len(b.Nodes()) == 2
	})
	return a, b
}

// answering subscribes n to control messages of kind, answering each after
// hold returns.
func answering(t *testing.T, n *Bus, kind string, hold func()) {
	t.Helper()
	if err := n.SubscribeControl(kind, func(m *nats.Msg) {
		hold()
		n.Answer(m)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBroadcastReturnsOnceEveryNodeAnswered(t *testing.T) {
	a, b := twoNodes(t, 0, 0)
	answering(t, a, "revoke", func() {})
	got, release := make(chan struct{}), make(chan struct{})
	answering(t, b, "revoke", func() { close(got); <-release })

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done <- a.Broadcast(ctx, "revoke", []byte("x"))
	}()
	<-got // B holds the message; A has answered, or will
	select {
	case err := <-done:
		t.Fatalf("Broadcast returned (%v) before node b answered", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
}

func TestBroadcastFailsNamingTheNodeThatDidNotAnswer(t *testing.T) {
	a, b := twoNodes(t, 0, 0)
	answering(t, a, "revoke", func() {})
	if err := b.SubscribeControl("revoke", func(*nats.Msg) {}); err != nil { // never answers
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := a.Broadcast(ctx, "revoke", []byte("x"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), b.NodeID()) || strings.Contains(err.Error(), a.NodeID()) {
		t.Fatalf("Broadcast = %v; want a deadline error naming only node %s", err, b.NodeID())
	}
}

func TestANodeThatClosesStopsCountingAtOnce(t *testing.T) {
	a, b := twoNodes(t, 0, 0)
	answering(t, a, "revoke", func() {})
	b.Close() // says goodbye
	poll.Until(t, "node a to forget node b", func() bool { return slices.Equal(a.Nodes(), []string{a.NodeID()}) })
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := a.Broadcast(ctx, "revoke", []byte("x")); err != nil {
		t.Fatalf("Broadcast after b left: %v", err)
	}
}

func TestANodeThatDiesStopsCountingAfterPeerTimeout(t *testing.T) {
	const heartbeat, peerTimeout = 50 * time.Millisecond, 400 * time.Millisecond
	a, b := twoNodes(t, heartbeat, peerTimeout)
	answering(t, a, "revoke", func() {})
	if err := b.SubscribeControl("revoke", func(*nats.Msg) {}); err != nil { // never answers
		t.Fatal(err)
	}
	// B dies: its connection drops without a goodbye; its heartbeats stop.
	b.nc.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := a.Broadcast(ctx, "revoke", []byte("x")); err != nil {
		t.Fatalf("Broadcast with a dead peer: %v", err)
	}
	if waited := time.Since(start); waited > peerTimeout+2*time.Second {
		t.Fatalf("Broadcast waited %s for a dead peer; peer_timeout is %s", waited, peerTimeout)
	}
}

func TestExternalServerVersion(t *testing.T) {
	for v, ok := range map[string]bool{"2.9.10": false, "2.10.0": true, "2.10.0-beta.1": true, "2.15.2": true, "3.0.0": true, "1.4.1": false, "v2.11.3": true} {
		if err := checkServerVersion(v); (err == nil) != ok {
			t.Errorf("checkServerVersion(%q) = %v, want ok %v", v, err, ok)
		}
	}
}
