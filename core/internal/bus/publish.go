package bus

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/core/telemetry"
)

// Message is one stored event addressed to one room.
type Message struct {
	Room  room.Room
	MsgID string // Nats-Msg-Id; empty means no deduplication
	Type  string // CloudEvent type
	Data  []byte // the CloudEvent, compact JSON
	// CorrelationID travels in a header beside the trace context when
	// the publishing context is traced (core/telemetry).
	CorrelationID string
}

// Ack is the outcome of storing one Message.
type Ack struct {
	Seq       uint64
	Duplicate bool // the MsgID was seen within the duplicate window; Seq is the original's
}

func (m *Message) natsMsg(ctx context.Context) *nats.Msg {
	nm := nats.NewMsg(m.Room.HistorySubject())
	telemetry.InjectNATS(ctx, nm.Header, m.CorrelationID)
	nm.Header.Set(HeaderType, m.Type)
	if m.MsgID != "" {
		nm.Header.Set(headerMsgID, m.MsgID)
	}
	nm.Data = m.Data
	return nm
}

// Publish stores msgs in history and returns one Ack per message, in order.
// Messages are sent asynchronously and awaited together; on error, some may
// have been stored: retrying with the same MsgIDs is safe.
func (b *Bus) Publish(ctx context.Context, msgs ...Message) ([]Ack, error) {
	return b.publish(ctx, msgs, nil)
}

// publish stores msgs in history and, when logged is not nil, that message
// in the event log, all in one asynchronous round; it returns the acks of
// msgs.
func (b *Bus) publish(ctx context.Context, msgs []Message, logged *nats.Msg) ([]Ack, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	futs := make([]jetstream.PubAckFuture, 0, len(msgs)+1)
	for i := range msgs {
		f, err := b.js.PublishMsgAsync(msgs[i].natsMsg(ctx), jetstream.WithExpectStream(b.name))
		if err != nil {
			return nil, fmt.Errorf("bus: publish to %s: %w", msgs[i].Room, err)
		}
		futs = append(futs, f)
	}
	if logged != nil {
		f, err := b.js.PublishMsgAsync(logged, jetstream.WithExpectStream(b.eventsStream()))
		if err != nil {
			return nil, fmt.Errorf("bus: log event %s: %w", logged.Subject, err)
		}
		futs = append(futs, f)
	}
	acks := make([]Ack, len(msgs))
	for i, f := range futs {
		what := "event log"
		if i < len(msgs) {
			what = msgs[i].Room.String()
		}
		select {
		case pa := <-f.Ok():
			if i < len(msgs) {
				acks[i] = Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate}
			}
		case err := <-f.Err():
			return nil, fmt.Errorf("bus: publish to %s: %w", what, err)
		case <-ctx.Done():
			return nil, fmt.Errorf("bus: publish to %s: %w", what, ctx.Err())
		}
	}
	return acks, nil
}

// PublishLive sends a live-only message (presence) to a room on every node.
// It is not stored and carries no sequence.
func (b *Bus) PublishLive(r room.Room, typ string, data []byte) error {
	nm := nats.NewMsg(r.LiveSubject())
	nm.Header.Set(HeaderType, typ)
	nm.Data = data
	return b.nc.PublishMsg(nm)
}

// Live is one message received on a room's live subject.
type Live struct {
	Subject string
	Seq     uint64 // 0 for live-only messages (presence)
	Type    string
	Data    []byte
}

// ParseLive reads the fields the hub needs from a live message.
func ParseLive(m *nats.Msg) Live {
	l := Live{Subject: m.Subject, Data: m.Data}
	if m.Header != nil {
		l.Type = m.Header.Get(HeaderType)
		if s := m.Header.Get(headerSequence); s != "" {
			l.Seq, _ = strconv.ParseUint(s, 10, 64)
		}
	}
	return l
}
