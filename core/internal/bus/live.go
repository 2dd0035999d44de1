package bus

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-rt/switchboard/core/room"
)

// live delivers every room subscription of the node through one channel
// and one goroutine, so that events reach the hub in the order the
// connection received them: JetStream republishes in sequence order, so a
// client in several rooms (an SSE stream, whose one Last-Event-ID covers
// them all) sees sequences only grow.
type live struct {
	ch   chan *nats.Msg
	done chan struct{} // closed by stop: run returns
	once sync.Once
	mu   sync.RWMutex
	subs map[*nats.Subscription]*liveSub

	// On a single node (see startWildcard) one subscription to every
	// room's live subject carries them all, and rooms maps each subject to
	// its callback: a NATS subscription per room costs about 1 KiB on the
	// server and the client, a map entry a tenth of that.
	wild  *nats.Subscription
	rooms map[string]*liveSub // live subject → room; guarded by mu
}

type liveSub struct {
	cb   func(*nats.Msg)
	lost func()
}

func newLive(size int) *live {
	if size <= 0 {
		size = 65536
	}
	l := &live{ch: make(chan *nats.Msg, size), done: make(chan struct{}), subs: make(map[*nats.Subscription]*liveSub)}
	go l.run()
	return l
}

func (l *live) run() {
	for {
		select {
		case m := <-l.ch:
			l.mu.RLock()
			var s *liveSub
			if m.Sub == l.wild && l.wild != nil {
				s = l.rooms[m.Subject]
			} else {
				s = l.subs[m.Sub]
			}
			l.mu.RUnlock()
			if s != nil {
				l.deliver(s, m)
			}
		case <-l.done:
			return
		}
	}
}

// deliver runs one callback. A panic in it (the hub's dispatch recovers
// its own; this is the net under the others, such as control messages)
// skips that message, is logged with the stack, and the loop goes on:
// every room of the node depends on this goroutine.
func (l *live) deliver(s *liveSub, m *nats.Msg) {
	defer func() {
		if v := recover(); v != nil {
			slog.Default().Error("panic in a live or control callback; message skipped", "component", "bus",
				"subject", m.Subject, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	s.cb(m)
}

// stop ends run; messages still queued are dropped (the bus is closing).
func (l *live) stop() { l.once.Do(func() { close(l.done) }) }

// LiveBacklog is how many live messages wait to be dispatched.
func (b *Bus) LiveBacklog() int { return len(b.live.ch) }

// slow is called from the connection's error handler when NATS dropped
// messages of sub because the channel was full.
func (l *live) slow(sub *nats.Subscription) {
	l.mu.RLock()
	var lost []func()
	if sub == l.wild && l.wild != nil {
		// Which rooms lost messages is unknown: every room resumes.
		for _, s := range l.rooms {
			if s.lost != nil {
				lost = append(lost, s.lost)
			}
		}
	} else if s := l.subs[sub]; s != nil && s.lost != nil {
		lost = append(lost, s.lost)
	}
	l.mu.RUnlock()
	for _, f := range lost {
		f()
	}
}

// startWildcard subscribes to every room's live subject at once when the
// node is alone: its embedded NATS server has no routes and no client port,
// so every live message is published on this node anyway and the
// subscription draws nothing from elsewhere. In a cluster, or on an
// external NATS, each room keeps its own subscription, so that a node only
// receives the rooms it has members in.
func (b *Bus) startWildcard() error {
	if !b.Alone() {
		return nil
	}
	sub, err := b.nc.ChanSubscribe(room.LiveWildcard, b.live.ch)
	if err != nil {
		return fmt.Errorf("bus: subscribe %s: %w", room.LiveWildcard, err)
	}
	b.live.mu.Lock()
	b.live.wild, b.live.rooms = sub, map[string]*liveSub{}
	b.live.mu.Unlock()
	return b.nc.Flush()
}

// Alone reports whether this node can have no peer: its NATS server is
// embedded, with no cluster routes and no client port, so no other node
// can reach it.
func (b *Bus) Alone() bool {
	return b.ns != nil && b.opts.NATS.Cluster == nil && b.opts.NATS.Listen == ""
}

// roomHandle ends a room's entry in the wildcard's map, unless a newer
// subscription of the same room replaced it.
type roomHandle struct {
	l       *live
	subject string
	s       *liveSub
}

func (h roomHandle) Unsubscribe() error {
	h.l.mu.Lock()
	if h.l.rooms[h.subject] == h.s {
		delete(h.l.rooms, h.subject)
	}
	h.l.mu.Unlock()
	return nil
}

type liveHandle struct {
	l   *live
	sub *nats.Subscription
}

func (h liveHandle) Unsubscribe() error {
	h.l.mu.Lock()
	delete(h.l.subs, h.sub)
	h.l.mu.Unlock()
	return h.sub.Unsubscribe()
}

// SubscribeLive subscribes to r's live subject on this node and waits until
// the server, and in a cluster every peer (see barrier), has registered the
// interest, so that every event stored after SubscribeLive returns is
// delivered to cb. Every room's cb runs on the
// same goroutine, in arrival order. If NATS ever has to drop messages for
// the room (the node cannot keep up), lost is called: the room's members
// must resume with since.
func (b *Bus) SubscribeLive(r room.Room, cb func(*nats.Msg), lost func()) (interface{ Unsubscribe() error }, error) {
	if b.live.wild != nil {
		// The wildcard's interest was registered at Open: an event stored
		// from now on is dispatched to cb (see startWildcard).
		s := &liveSub{cb: cb, lost: lost}
		subj := r.LiveSubject()
		b.live.mu.Lock()
		b.live.rooms[subj] = s
		b.live.mu.Unlock()
		return roomHandle{b.live, subj, s}, nil
	}
	sub, err := b.nc.ChanSubscribe(r.LiveSubject(), b.live.ch)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe %s: %w", r, err)
	}
	b.live.mu.Lock()
	b.live.subs[sub] = &liveSub{cb: cb, lost: lost}
	b.live.mu.Unlock()
	h := liveHandle{b.live, sub}
	if err := b.nc.Flush(); err != nil {
		_ = h.Unsubscribe()
		return nil, fmt.Errorf("bus: subscribe %s: %w", r, err)
	}
	if b.barrier != nil {
		if err := b.barrier.wait(); err != nil {
			// Go on: a known peer stopped answering; its route will drop.
			b.log.Debug("live subscription may not have reached every node yet", "room", r.String(), "err", err)
		}
	}
	return h, nil
}

// asyncError routes slow-consumer reports to the room that lost messages.
func (b *Bus) asyncError(s *nats.Subscription, err error) bool {
	if s != nil && errors.Is(err, nats.ErrSlowConsumer) && b.live != nil {
		b.live.slow(s)
		return true
	}
	return false
}

// controlPrefix carries node-wide control messages (revocations). They go
// through the same ordered queue as live events: a revocation published
// after an event was stored reaches every node after that event.
const controlPrefix = "sb.control."

// SubscribeControl delivers control messages of kind (e.g. "revoke") to cb,
// in order with live events.
func (b *Bus) SubscribeControl(kind string, cb func(*nats.Msg)) error {
	sub, err := b.nc.ChanSubscribe(controlPrefix+kind, b.live.ch)
	if err != nil {
		return fmt.Errorf("bus: subscribe control %s: %w", kind, err)
	}
	b.live.mu.Lock()
	b.live.subs[sub] = &liveSub{cb: cb}
	b.live.mu.Unlock()
	return b.nc.Flush()
}
