package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The event log is a second stream that stores each plugin event once (not
// once per room), on subject evt.<type>. Plugins subscribe to event types
// through durable consumers on it (projections), at least once, in order.
const eventPrefix = "evt."

func (b *Bus) eventsStream() string { return b.name + "_EVENTS" }

func (b *Bus) ensureEventLog(ctx context.Context) error {
	cfg := b.streamConfig(b.eventsStream(), "switchboard plugin event log (one message per event)", eventPrefix+">")
	_, err := b.openStream(ctx, cfg)
	return err
}

// PublishLogged stores msgs in history and the event once in the event
// log, all in one asynchronous round, and returns the room acks.
func (b *Bus) PublishLogged(ctx context.Context, msgs []Message, typ, id string, data []byte) ([]Ack, error) {
	lm := nats.NewMsg(eventPrefix + typ)
	lm.Header.Set(HeaderType, typ)
	lm.Header.Set(headerMsgID, id)
	lm.Data = data
	return b.publish(ctx, msgs, lm)
}

// Delivery is one event log message handed to a subscriber.
type Delivery struct {
	Seq         uint64
	Type        string
	Data        []byte
	Redelivered bool
}

// Subscribe delivers the events of types to fn through the durable consumer
// named durable, one at a time and in order, until ctx ends. fn returning
// nil acknowledges; an error redelivers the same event after a backoff.
func (b *Bus) Subscribe(ctx context.Context, durable string, types []string, fn func(context.Context, Delivery) error) error {
	subjects := make([]string, len(types))
	for i, t := range types {
		subjects[i] = eventPrefix + t
	}
	// Creating the consumer of a stream just placed on several nodes may
	// take more than one request timeout: retry, bounded.
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var cons jetstream.Consumer
	err := retry(cctx, 5*time.Second, func(ctx context.Context) error {
		s, err := b.js.Stream(ctx, b.eventsStream())
		if err != nil {
			return err
		}
		cons, err = s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable: durable, FilterSubjects: subjects, AckPolicy: jetstream.AckExplicitPolicy,
			DeliverPolicy: jetstream.DeliverAllPolicy, AckWait: time.Minute, MaxAckPending: 1, MaxDeliver: -1,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("bus: subscribe %s: %w", durable, err)
	}
	go func() {
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				if !errors.Is(err, context.Canceled) && b.closed.Load() {
					return
				}
				time.Sleep(backoff)
				continue
			}
			for m := range batch.Messages() {
				md, err := m.Metadata()
				if err != nil {
					_ = m.Term()
					continue
				}
				d := Delivery{Seq: md.Sequence.Stream, Type: m.Headers().Get(HeaderType), Data: m.Data(), Redelivered: md.NumDelivered > 1}
				if err := fn(ctx, d); err != nil {
					_ = m.NakWithDelay(backoff)
					backoff = min(backoff*2, 10*time.Second)
					continue
				}
				backoff = 100 * time.Millisecond
				_ = m.Ack()
			}
		}
	}()
	return nil
}
