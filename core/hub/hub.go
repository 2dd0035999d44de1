package hub

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/metrics"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Broker is what the hub needs from the bus (implemented by *bus.Bus).
type Broker interface {
	SubscribeLive(r room.Room, cb func(*nats.Msg), lost func()) (interface{ Unsubscribe() error }, error)
	PublishLive(r room.Room, typ string, data []byte) error
	Position(ctx context.Context) (bus.Position, error)
	Replay(ctx context.Context, rooms []room.Room, since, until uint64, fn func(bus.Live) error) (uint64, error)
}

var _ Broker = (*bus.Bus)(nil)

// Options configure New.
type Options struct {
	Broker     Broker
	Authorizer Authorizer       // nil: NewAuthorizer() with the built-in kinds
	Metrics    *metrics.Metrics // nil: a private set
	Logger     *slog.Logger     // nil: slog.Default()
	Shards     int              // power of two; 0 means 64
	// Presence turns presence.join/leave on; PresenceMaxMembers (0 = no
	// limit) skips them in rooms with more members on this node.
	Presence           bool
	PresenceMaxMembers int
	// PresenceFlush is how long a presence event may wait in a client's
	// queue for other frames to be written with it (lazy.go;
	// hub.presence_flush); 0 writes each at once.
	PresenceFlush time.Duration
	// DirectWrites is how many members of a room the dispatcher may write
	// to directly per event (see DirectWriter); 0 is none
	// (hub.direct_writes, whose default is 128).
	DirectWrites int
	// ExpiryGrace is how long a connection outlives its token's exp
	// (auth.expiry_grace); 0 ends it at exp.
	ExpiryGrace time.Duration
	// AutoJoin lists the kinds of rooms joined on connect from the token
	// (hub.auto_join): "user", "workspace"; empty: none (see AutoRooms).
	AutoJoin []string
	// Tracer, when set, records a span per event per node around its
	// dispatch, continuing the trace the message's headers carry
	// (core/telemetry); nil: no tracing.
	Tracer trace.Tracer
}

// Hub holds the rooms that have members on this node.
type Hub struct {
	broker  Broker
	authz   Authorizer
	metrics *metrics.Metrics
	log     *slog.Logger
	shards  []shard
	mask    uint32

	presenceOn   bool
	presenceMax  int
	presenceSink PresenceSink
	lazy         lazyFlusher
	expiries     expiryQueue // the clients' token deadlines (expiry.go)

	autoJoin  []string      // Options.AutoJoin
	grace     time.Duration // ExpiryGrace
	directMax int           // clients per event the dispatcher may write to directly
	backlog   func() int    // live messages waiting behind the one dispatched; nil: unknown

	formats   []format
	delivered [MaxFormats]prometheus.Counter
	slow      [MaxFormats]prometheus.Counter
	conns     [MaxFormats]prometheus.Gauge
	toWrite   [MaxFormats]prometheus.Observer // publish → write (latency.go)
	joined    [MaxFormats]prometheus.Observer // join_seconds{result="ok"}
	tracer    trace.Tracer                    // nil: tracing off

	clients clientSet // every open client, for Shutdown and Revoke
	nextID  atomic.Uint64
	arrived uint64 // live events dispatched; only the dispatcher touches it
	closed  atomic.Bool
}

type shard struct {
	mu    sync.Mutex
	rooms map[string]*roomState
}

// New makes a hub.
func New(o Options) *Hub {
	if o.Authorizer == nil {
		o.Authorizer = NewAuthorizer()
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	n := o.Shards
	if n <= 0 || n&(n-1) != 0 {
		n = 64
	}
	h := &Hub{broker: o.Broker, authz: o.Authorizer, metrics: o.Metrics,
		log: o.Logger.With("component", "hub"), shards: make([]shard, n), mask: uint32(n - 1),
		presenceOn: o.Presence, presenceMax: o.PresenceMaxMembers, directMax: o.DirectWrites, grace: o.ExpiryGrace,
		autoJoin: slices.Clone(o.AutoJoin), tracer: o.Tracer}
	if b, ok := o.Broker.(interface{ LiveBacklog() int }); ok {
		h.backlog = b.LiveBacklog
	}
	h.lazy.delay = o.PresenceFlush
	for i := range h.shards {
		h.shards[i].rooms = make(map[string]*roomState)
	}
	return h
}

// RegisterFormat adds a wire format and returns its id. Call it before
// serving; it panics on a duplicate name or past MaxFormats.
func (h *Hub) RegisterFormat(name string, enc Encoder) Format {
	for _, f := range h.formats {
		if f.name == name {
			panic("hub: duplicate format " + name)
		}
	}
	if len(h.formats) == MaxFormats {
		panic("hub: too many formats")
	}
	f := Format(len(h.formats))
	h.formats = append(h.formats, format{name: name, enc: enc})
	h.delivered[f] = h.metrics.Delivered.WithLabelValues(name)
	h.slow[f] = h.metrics.SlowConsumers.WithLabelValues(name)
	h.conns[f] = h.metrics.Connections.WithLabelValues(name)
	h.toWrite[f] = h.metrics.PublishToWrite.WithLabelValues(name)
	h.joined[f] = h.metrics.Join.WithLabelValues(name, "ok")
	return f
}

// Metrics returns the hub's collectors.
func (h *Hub) Metrics() *metrics.Metrics { return h.metrics }

// Authorize asks whether p may join r, with the answer a client sees: a
// room that does not exist is refused as forbidden, like one p may not
// join, so a join never tells whether a room exists (docs/PROTOCOL.md §2).
func (h *Hub) Authorize(ctx context.Context, p *auth.Principal, r room.Room) error {
	err := h.authz.Authorize(ctx, p, r)
	var e *wire.Error
	if errors.As(err, &e) && e.Code == wire.NotFound {
		return wire.Errorf(wire.Forbidden, "may not join %s", r)
	}
	return err
}

// AskOwner is Authorize with the room owner's own answer (not_found for a
// room that does not exist), for plugins asking about another plugin's
// rooms.
func (h *Hub) AskOwner(ctx context.Context, p *auth.Principal, r room.Room) error {
	return h.authz.Authorize(ctx, p, r)
}

func (h *Hub) shard(name string) *shard {
	f := fnv.New32a()
	_, _ = f.Write([]byte(name))
	return &h.shards[f.Sum32()&h.mask]
}

// acquire returns the state of room r with a reference taken, subscribing
// to the room's live subject if this node had no member in it.
func (h *Hub) acquire(r room.Room) (*roomState, error) {
	name := r.String()
	sh := h.shard(name)
	sh.mu.Lock()
	rs := sh.rooms[name]
	if rs != nil {
		rs.refs++
		sh.mu.Unlock()
		<-rs.ready
		if rs.err != nil {
			h.release(rs)
			return nil, rs.err
		}
		return rs, nil
	}
	rs = &roomState{name: name, room: r, refs: 1, ready: make(chan struct{})}
	sh.rooms[name] = rs
	sh.mu.Unlock()
	h.metrics.Rooms.Inc()
	rs.sub, rs.err = h.broker.SubscribeLive(r, func(m *nats.Msg) { h.dispatch(rs, m) }, func() { h.lost(rs) })
	close(rs.ready)
	if rs.err != nil {
		h.release(rs)
		return nil, rs.err
	}
	return rs, nil
}

// release drops a reference; the last one unsubscribes.
func (h *Hub) release(rs *roomState) {
	sh := h.shard(rs.name)
	sh.mu.Lock()
	rs.refs--
	last := rs.refs == 0
	if last && sh.rooms[rs.name] == rs {
		delete(sh.rooms, rs.name)
	}
	sh.mu.Unlock()
	if !last {
		return
	}
	h.metrics.Rooms.Dec()
	if rs.sub != nil {
		if err := rs.sub.Unsubscribe(); err != nil {
			h.log.Debug("unsubscribe", "room", rs.name, "err", err)
		}
	}
}

// dispatch delivers one live message to the room's members. Every room's
// messages are dispatched by one goroutine (the broker's), one at a time,
// in the order the node received them.
//
// A panic (an encoder, a sink) skips the event for this room: its members'
// connections are closed first (reason internal), so they resume with
// since and miss nothing; it is logged with the stack and counted, and the
// dispatcher goes on with the next event.
func (h *Hub) dispatch(rs *roomState, m *nats.Msg) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		h.metrics.Panics.WithLabelValues("hub_dispatch").Inc()
		h.log.Error("panic dispatching a live event; closing the room's connections, they resume with since",
			"room", rs.name, "panic", v, "stack", string(debug.Stack()))
		for _, c := range rs.clients() {
			c.Close(wire.ReasonInternal)
		}
	}()
	l := bus.ParseLive(m)
	h.arrived++
	ev := &Event{Room: rs.name, Seq: l.Seq, Type: l.Type, Data: l.Data, order: h.arrived, stored: storedAt(m)}
	if l.Seq == 0 && (l.Type == presenceJoin || l.Type == presenceLeave) {
		ev.lazy = h.lazy.burst(rs)
	}
	if h.tracer != nil {
		if span := h.traceDispatch(rs, m, ev); span != nil {
			defer span.End()
		}
	}
	rs.mu.RLock()
	defer rs.mu.RUnlock() // before the recover above, which locks again
	for f := range h.formats {
		if rs.formats[f] > 0 {
			ev.frames[f] = h.formats[f].enc.Encode(ev)
			h.delivered[f].Add(float64(rs.formats[f]))
		}
	}
	// Write directly to idle clients while the dispatcher keeps up: a
	// bounded number per event, and none while live messages queue up
	// behind this one (then writer goroutines share the work, and
	// coalesce).
	direct := h.directMax
	if h.backlog != nil && h.backlog() > 0 {
		direct = 0
	}
	if ev.stored != 0 {
		rs.probe(ev)
	}
	now := time.Now().UnixNano()
	for i, mb := range rs.members {
		if end := mb.c.ends.Load(); end != 0 && now >= end {
			continue // its token has expired: the expiry timer is about to end it
		}
		mb.deliver(ev, i < direct)
	}
}

// lost cuts off every member of a room whose live messages NATS dropped:
// they reconnect and resume with since, so nothing is missed silently.
func (h *Hub) lost(rs *roomState) {
	for _, c := range rs.clients() {
		c.cutOff(wire.ReasonSlow)
	}
}

// Rooms is the number of rooms with members on this node.
func (h *Hub) Rooms() int {
	n := 0
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		n += len(sh.rooms)
		sh.mu.Unlock()
	}
	return n
}
