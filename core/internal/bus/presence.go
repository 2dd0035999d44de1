package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PresenceKV opens (creating or updating) the key-value bucket that holds
// the cluster's presence: which nodes hold connections of which user in
// which room (core/internal/presence). It is replicated like history and
// kept on file, so that what the plugins were told survives restarts.
func (b *Bus) PresenceKV(ctx context.Context) (jetstream.KeyValue, error) {
	cfg := jetstream.KeyValueConfig{
		Bucket:      b.name + "_PRESENCE",
		Description: "switchboard presence: the nodes holding each user's connections in each room",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(b.opts.NATS.Replicas, 1),
	}
	var kv jetstream.KeyValue
	err := retry(ctx, 2*time.Second, func(ctx context.Context) (err error) {
		// As with streams (openStream): look first, create if missing.
		kv, err = b.js.KeyValue(ctx, cfg.Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = b.js.CreateKeyValue(ctx, cfg)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bus: presence bucket: %w", err)
	}
	return kv, nil
}

// LogEvent stores one core event (a presence change) in the event log
// only, under id (duplicates within the duplicate window are dropped), for
// the plugins that subscribe to its type.
func (b *Bus) LogEvent(ctx context.Context, typ, id string, data []byte) error {
	lm := nats.NewMsg(eventPrefix + typ)
	lm.Header.Set(HeaderType, typ)
	lm.Header.Set(headerMsgID, id)
	lm.Data = data
	_, err := b.publish(ctx, nil, lm)
	return err
}

// PeerTimeout is how long a node not heard from still counts as alive.
func (b *Bus) PeerTimeout() time.Duration { return b.nodes.timeout }

// ClientURL is the embedded server's client URL ("" when it has no client
// port or the bus uses an external NATS), for other nodes to connect to.
func (b *Bus) ClientURL() string {
	if b.ns == nil {
		return ""
	}
	return b.ns.ClientURL()
}
