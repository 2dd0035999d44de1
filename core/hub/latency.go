package hub

import (
	"context"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchboard-rt/switchboard/core/telemetry"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Publish → write latency (switchboard_publish_to_write_seconds) is timed
// at most once per event, room and node, never per delivery: the
// dispatcher names the room's last member of each wire format the probe,
// and that client observes the histogram when it has written the event's
// frame to its socket (directly, or by its writer after a queue). The
// cost per delivery is one atomic load; the frame is recognised by its
// first byte's address, since every member of a format shares the same
// bytes (encode once).
//
// A client keeps the oldest probe it has not written yet: when events
// come faster than it writes, and one write carries several of them, the
// oldest, which waited longest, is timed, and the others are not. A probe
// whose frame is never written (the member was recovering, or left) gives
// way after probeStale.

// headerStored is the storing time JetStream gives a republished message.
const headerStored = "Nats-Time-Stamp"

// probeReach bounds how far from the end of a room's members the
// dispatcher looks for a member of each format present: past it, that
// format goes unsampled for this event.
const probeReach = 64

// probeStale is how much older than a new event a pending probe may be
// before the new one replaces it.
const probeStale = int64(time.Second)

// storedAt reads when history stored m, in Unix nanoseconds; 0 when m
// does not say (a live-only message).
func storedAt(m *nats.Msg) int64 {
	if m.Header == nil {
		return 0
	}
	v := m.Header[headerStored]
	if len(v) == 0 {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, v[0])
	if err != nil {
		return 0
	}
	return t.UnixNano()
}

// probe makes ev the probe of the room's last member of each format
// present; rs.mu is held.
func (rs *roomState) probe(ev *Event) {
	var want, found [MaxFormats]bool
	left := 0
	for f, n := range rs.formats {
		if n > 0 {
			want[f] = true
			left++
		}
	}
	for i, reach := len(rs.members)-1, 0; i >= 0 && left > 0 && reach < probeReach; i, reach = i-1, reach+1 {
		c := rs.members[i].c
		if want[c.format] && !found[c.format] {
			found[c.format] = true
			left--
			if old := c.probe.Load(); old == nil || ev.stored-old.stored > probeStale {
				c.probe.CompareAndSwap(old, ev) // lost: the writer just took old; ev goes untimed
			}
		}
	}
}

// written is told of frames the client has just written to its peer; if
// one is its probe's, the latency is observed.
func (c *Client) written(frames ...[]byte) {
	p := c.probe.Load()
	if p == nil {
		return
	}
	want := p.frames[c.format]
	if len(want) == 0 {
		return
	}
	for _, b := range frames {
		if len(b) > 0 && unsafe.SliceData(b) == unsafe.SliceData(want) {
			if c.probe.CompareAndSwap(p, nil) {
				c.hub.toWrite[c.format].Observe(float64(time.Now().UnixNano()-p.stored) / 1e9)
			}
			return
		}
	}
}

// traceDispatch starts the span of one event's dispatch on this node when
// its message carries a trace context (core/telemetry); nil otherwise.
// One span per event per node, however many members the room has.
func (h *Hub) traceDispatch(rs *roomState, m *nats.Msg, ev *Event) trace.Span {
	if !telemetry.Traced(m.Header) {
		return nil
	}
	ctx := telemetry.ExtractNATS(context.Background(), m.Header)
	rs.mu.RLock()
	members := len(rs.members)
	rs.mu.RUnlock()
	_, span := h.tracer.Start(ctx, "deliver "+rs.name, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("switchboard.room", rs.name), attribute.String("switchboard.type", ev.Type),
			attribute.Int64("switchboard.seq", int64(ev.Seq)), attribute.Int("switchboard.members", members),
			attribute.String(telemetry.AttrCorrelation, natsHeader(m.Header, telemetry.HeaderCorrelation))))
	return span
}

func natsHeader(h nats.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// observeJoin times one join request (Enter) for join_seconds, by its
// result: "ok" or the wire error code the client is answered.
func (h *Hub) observeJoin(f Format, start time.Time, err *error) {
	d := time.Since(start).Seconds()
	if *err == nil {
		h.joined[f].Observe(d)
		return
	}
	h.metrics.Join.WithLabelValues(h.formats[f].name, string(wire.As(*err).Code)).Observe(d)
}
