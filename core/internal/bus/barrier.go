package bus

import (
	"fmt"
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
const barrierSubject = controlPrefix + "barrier"

// barrierTimeout bounds the wait for peers; a peer that is starting (not
// answering yet) costs a join this much once.
const barrierTimeout = time.Second

// serveBarrier answers barrier requests, when the embedded server is in a
// cluster.
func (b *Bus) serveBarrier() error {
	if b.ns == nil || b.opts.NATS.Cluster == nil {
		return nil
	}
	id := []byte(b.ns.ID())
	if _, err := b.nc.Subscribe(barrierSubject, func(m *nats.Msg) { _ = m.Respond(id) }); err != nil {
		return fmt.Errorf("bus: barrier: %w", err)
	}
	return nil
}

// barrier returns once every routed peer has seen this connection's
// earlier subscriptions, or after barrierTimeout.
func (b *Bus) barrier() error {
	if b.ns == nil || b.opts.NATS.Cluster == nil {
		return nil
	}
	rz, err := b.ns.Routez(&server.RoutezOptions{})
	if err != nil {
		return fmt.Errorf("bus: barrier: routes: %w", err)
	}
	waiting := map[string]bool{}
	for _, r := range rz.Routes {
		waiting[r.RemoteID] = true
	}
	if len(waiting) == 0 {
		return nil
	}
	inbox := b.nc.NewRespInbox()
	sub, err := b.nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("bus: barrier: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := b.nc.PublishRequest(barrierSubject, inbox, nil); err != nil {
		return fmt.Errorf("bus: barrier: %w", err)
	}
	deadline := time.Now().Add(barrierTimeout)
	for len(waiting) > 0 {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			return fmt.Errorf("bus: barrier: %d peers did not answer: %w", len(waiting), err)
		}
		delete(waiting, string(m.Data))
	}
	return nil
}
