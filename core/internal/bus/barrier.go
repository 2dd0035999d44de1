package bus

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// In a cluster, a subscription reaches the other servers asynchronously,
// over the routes. A room's events are republished by the server that
// leads the history stream, which may be another node: until that server
// has the new subscription, events stored there would not come to this
// node, and a member that just joined would miss them.
//
// The barrier closes that gap. Every node answers requests on
// barrierSubject with its server id. Routes keep their order, so when a
// peer's answer to a request sent after the subscription arrives, that
// peer had registered the subscription first.
//
// Rounds are shared: a caller waits for the first round that starts after
// it asked, so a burst of joins costs a few round trips, not one each. A
// round waits only for routed peers known to answer (any answer, even a
// late one, makes a peer known), so a peer that never answers (an older
// version, or a NATS server without a switchboard node) costs nothing.
const barrierSubject = controlPrefix + "barrier"

// barrierTimeout bounds a round: a known peer that stops answering (while
// its route still stands) delays joins by this much.
const barrierTimeout = time.Second

type barrier struct {
	b      *Bus
	prefix string // reply subjects are prefix + round token

	mu      sync.Mutex
	known   map[string]bool        // ids of peers that answer
	rounds  map[string]chan string // round token → ids answering it
	next    *round                 // the round callers now wait for
	running bool                   // a goroutine runs rounds
	seq     uint64
}

type round struct {
	done chan struct{}
	err  error
}

// startBarrier answers barrier requests and prepares this node's own, when
// the embedded server is in a cluster; b.barrier stays nil otherwise.
func (b *Bus) startBarrier() error {
	if b.ns == nil || b.opts.NATS.Cluster == nil {
		return nil
	}
	id := []byte(b.ns.ID())
	if _, err := b.nc.Subscribe(barrierSubject, func(m *nats.Msg) { _ = m.Respond(id) }); err != nil {
		return fmt.Errorf("bus: barrier: %w", err)
	}
	br := &barrier{b: b, prefix: b.nc.NewInbox() + ".", known: map[string]bool{}, rounds: map[string]chan string{}}
	if _, err := b.nc.Subscribe(br.prefix+"*", br.answer); err != nil {
		return fmt.Errorf("bus: barrier: %w", err)
	}
	b.barrier = br
	return nil
}

func (br *barrier) answer(m *nats.Msg) {
	token := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	id := string(m.Data)
	br.mu.Lock()
	br.known[id] = true
	ch := br.rounds[token]
	br.mu.Unlock()
	if ch != nil {
		select {
		case ch <- id:
		default:
		}
	}
}

// wait returns once every known routed peer has seen the subscriptions
// this connection made before the call, or after barrierTimeout.
func (br *barrier) wait() error {
	br.mu.Lock()
	if br.next == nil {
		br.next = &round{done: make(chan struct{})}
	}
	r := br.next
	if !br.running {
		br.running = true
		go br.run()
	}
	br.mu.Unlock()
	<-r.done
	return r.err
}

// run runs rounds while callers wait for one. A round's request is sent
// after every caller of that round asked, hence after their subscriptions.
func (br *barrier) run() {
	for {
		br.mu.Lock()
		r := br.next
		br.next = nil
		if r == nil {
			br.running = false
			br.mu.Unlock()
			return
		}
		br.mu.Unlock()
		r.err = br.roundTrip(false)
		close(r.done)
	}
}

// roundTrip sends one barrier request and waits for the routed peers known
// to answer, or with all for every routed peer (to learn who answers).
func (br *barrier) roundTrip(all bool) error {
	rz, err := br.b.ns.Routez(&server.RoutezOptions{})
	if err != nil {
		return fmt.Errorf("bus: barrier: routes: %w", err)
	}
	br.mu.Lock()
	br.seq++
	token := fmt.Sprint(br.seq)
	want := map[string]bool{}
	for _, rt := range rz.Routes {
		if all || br.known[rt.RemoteID] {
			want[rt.RemoteID] = true
		}
	}
	ch := make(chan string, len(rz.Routes)+1)
	br.rounds[token] = ch
	br.mu.Unlock()
	defer func() {
		br.mu.Lock()
		delete(br.rounds, token)
		br.mu.Unlock()
	}()
	// Sent even when no peer is known yet: the answers make them known.
	if err := br.b.nc.PublishRequest(barrierSubject, br.prefix+token, nil); err != nil {
		return fmt.Errorf("bus: barrier: %w", err)
	}
	timer := time.NewTimer(barrierTimeout)
	defer timer.Stop()
	for len(want) > 0 {
		select {
		case id := <-ch:
			delete(want, id)
		case <-timer.C:
			return fmt.Errorf("bus: barrier: %d peers did not answer in %v", len(want), barrierTimeout)
		}
	}
	return nil
}

// warmUp learns which routed peers answer, waiting up to barrierTimeout
// for all of them: the first joins after a start are covered too.
func (br *barrier) warmUp() {
	if err := br.roundTrip(true); err != nil {
		br.b.log.Debug("not every routed peer answered the first barrier", "err", err)
	}
}
