package bus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/switchboard-rt/switchboard/core/config"
)

// The nodes sharing one NATS (an embedded cluster, or an external one)
// know each other by heartbeats: every node publishes "+ID" on nodesSubject
// every Heartbeat, and "-ID" when it closes. A node that has not been heard
// for PeerTimeout (it was killed) no longer counts. Broadcast uses the set
// to know whose answers to wait for.
const nodesSubject = controlPrefix + "node"

type nodes struct {
	b       *Bus
	id      string
	every   time.Duration
	timeout time.Duration

	mu   sync.Mutex
	seen map[string]time.Time // peers (not this node) by last heartbeat
	stop chan struct{}
	done chan struct{}
}

func newNodes(b *Bus, o config.NATS) *nodes {
	every, timeout := time.Duration(o.Heartbeat), time.Duration(o.PeerTimeout)
	if every <= 0 {
		every = time.Second
	}
	if timeout <= every {
		timeout = 5 * every
	}
	id := nuid.Next()
	if o.ServerName != "" {
		id = o.ServerName + "-" + id
	}
	return &nodes{b: b, id: id, every: every, timeout: timeout, seen: map[string]time.Time{}}
}

// Announce starts this node's heartbeats and the tracking of its peers. It
// is called once the node answers control messages (Server subscribes
// them first): a peer that hears of this node waits for its answers.
func (b *Bus) Announce() error {
	n := b.nodes
	if _, err := b.nc.Subscribe(nodesSubject, n.heard); err != nil {
		return fmt.Errorf("bus: nodes: %w", err)
	}
	// A hello asks every peer to announce itself at once (see heard), so a
	// node that just started knows its peers before their next heartbeat.
	if err := b.nc.PublishMsg(&nats.Msg{Subject: nodesSubject, Data: []byte("?" + n.id)}); err != nil {
		return fmt.Errorf("bus: nodes: %w", err)
	}
	n.stop, n.done = make(chan struct{}), make(chan struct{})
	go n.run()
	return b.nc.Flush()
}

func (n *nodes) run() {
	defer close(n.done)
	t := time.NewTicker(n.every)
	defer t.Stop()
	for {
		_ = n.b.nc.Publish(nodesSubject, []byte("+"+n.id))
		select {
		case <-t.C:
		case <-n.stop:
			_ = n.b.nc.Publish(nodesSubject, []byte("-"+n.id))
			_ = n.b.nc.Flush()
			return
		}
	}
}

// heard records a peer's heartbeat, hello or goodbye.
func (n *nodes) heard(m *nats.Msg) {
	if len(m.Data) < 2 {
		return
	}
	op, id := m.Data[0], string(m.Data[1:])
	if id == n.id {
		return
	}
	n.mu.Lock()
	switch op {
	case '+', '?':
		n.seen[id] = time.Now()
	case '-':
		delete(n.seen, id)
	}
	n.mu.Unlock()
	if op == '?' {
		_ = n.b.nc.Publish(nodesSubject, []byte("+"+n.id))
	}
}

// alive returns the ids of this node and of the peers heard within timeout.
func (n *nodes) alive() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	ids := []string{n.id}
	for id, t := range n.seen {
		if time.Since(t) < n.timeout {
			ids = append(ids, id)
		} else {
			delete(n.seen, id)
		}
	}
	return ids
}

func (n *nodes) close() {
	if n.stop != nil {
		close(n.stop)
		<-n.done
		n.stop = nil
	}
}

// NodeID is this node's id among the nodes sharing NATS.
func (b *Bus) NodeID() string { return b.nodes.id }

// Nodes returns the ids of the nodes now counted as alive, this one first.
func (b *Bus) Nodes() []string { return b.nodes.alive() }

// Broadcast sends a control message of kind to every node, where it runs
// in order with live events (SubscribeControl), and returns once every
// node counted alive has answered it (Answer): this one, and each peer
// until it answers or stops counting (PeerTimeout after its last
// heartbeat). It fails when ctx ends first, naming the nodes that did not
// answer; the message may then have run on some nodes, so control messages
// must be safe to apply twice.
func (b *Bus) Broadcast(ctx context.Context, kind string, data []byte) error {
	inbox := b.nc.NewInbox()
	replies := make(chan *nats.Msg, 16)
	sub, err := b.nc.ChanSubscribe(inbox, replies)
	if err != nil {
		return fmt.Errorf("bus: control %s: %w", kind, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := b.nc.PublishMsg(&nats.Msg{Subject: controlPrefix + kind, Reply: inbox, Data: data}); err != nil {
		return fmt.Errorf("bus: control %s: %w", kind, err)
	}
	if err := b.nc.Flush(); err != nil {
		return fmt.Errorf("bus: control %s: %w", kind, err)
	}
	answered := map[string]bool{}
	tick := time.NewTicker(b.nodes.every)
	defer tick.Stop()
	for {
		var missing []string
		for _, id := range b.nodes.alive() {
			if !answered[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case m := <-replies:
			answered[string(m.Data)] = true
		case <-tick.C:
		case <-ctx.Done():
			slices.Sort(missing)
			return fmt.Errorf("bus: control %s: no answer from node(s) %s: %w", kind, strings.Join(missing, ", "), ctx.Err())
		}
	}
}

// Answer tells the sender of a broadcast control message that this node
// has applied it.
func (b *Bus) Answer(m *nats.Msg) {
	if m.Reply != "" {
		_ = b.nc.Publish(m.Reply, []byte(b.nodes.id))
	}
}
