package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/room"
)

// Header names carried by every stored event.
const (
	HeaderType     = "Sb-Type"       // the CloudEvent type, so nodes need not parse the body
	headerSequence = "Nats-Sequence" // set by JetStream on republished messages
	headerMsgID    = jetstream.MsgIDHeader
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("bus: closed")

// Options configure Open.
type Options struct {
	NATS    config.NATS
	History config.History
	DataDir string
	Logger  *slog.Logger
}

// Bus is a node's connection to NATS and JetStream.
type Bus struct {
	ns      *server.Server // nil when connected to an external cluster
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	name    string
	opts    Options
	log     *slog.Logger
	live    *live
	barrier *barrier // in a cluster: see barrier.go
	nodes   *nodes   // the nodes sharing NATS: see nodes.go
	pos     positions
	closed  atomic.Bool
}

// Open starts the embedded server (unless NATS.URL is set), connects, and
// creates or updates the history stream.
func Open(ctx context.Context, o Options) (*Bus, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	b := &Bus{opts: o, name: o.History.Stream, log: o.Logger.With("component", "bus"), live: newLive(o.NATS.MaxPending)}
	b.nodes = newNodes(b, o.NATS)
	var copts []nats.Option
	copts = append(copts, nats.Name("switchboard"), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { b.log.Info("nats reconnected") }),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			if b.asyncError(s, err) {
				b.log.Warn("live messages dropped: the room's members will resume", "subject", s.Subject)
				return
			}
			subj := ""
			if s != nil {
				subj = s.Subject
			}
			b.log.Error("nats async error", "subject", subj, "err", err)
		}))
	url := o.NATS.URL
	if url == "" {
		ns, err := startServer(o)
		if err != nil {
			return nil, err
		}
		b.ns = ns
		copts = append(copts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, copts...)
	if err != nil {
		b.shutdownServer()
		return nil, fmt.Errorf("bus: connect to nats: %w", err)
	}
	b.nc = nc
	if url != "" {
		if err := checkServerVersion(nc.ConnectedServerVersion()); err != nil {
			at := nc.ConnectedUrlRedacted()
			b.Close()
			return nil, fmt.Errorf("bus: nats %s: %w", at, err)
		}
	}
	b.js, err = jetstream.New(nc)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	if err := b.startBarrier(); err != nil {
		b.Close()
		return nil, err
	}
	if err := b.startWildcard(); err != nil {
		b.Close()
		return nil, err
	}
	if err := b.ensureStream(ctx); err != nil {
		b.Close()
		return nil, err
	}
	if b.barrier != nil {
		b.barrier.warmUp()
	}
	return b, nil
}

func startServer(o Options) (*server.Server, error) {
	storeDir := filepath.Join(o.DataDir, "nats")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return nil, fmt.Errorf("bus: data dir: %w", err)
	}
	sopts := &server.Options{
		ServerName:   o.NATS.ServerName,
		JetStream:    true,
		StoreDir:     storeDir,
		NoSigs:       true,
		NoLog:        true,
		DontListen:   true,
		SyncAlways:   o.NATS.SyncAlways,
		SyncInterval: time.Duration(o.NATS.SyncInterval),
	}
	if o.NATS.Listen != "" || o.NATS.Cluster != nil {
		// Routes do not start with DontListen (FIELD-NOTES): give the
		// client port a real, by default random, loopback address.
		sopts.DontListen = false
		host, port, err := splitHostPort(o.NATS.Listen, "127.0.0.1", -1)
		if err != nil {
			return nil, fmt.Errorf("bus: nats listen: %w", err)
		}
		sopts.Host, sopts.Port = host, port
	}
	if c := o.NATS.Cluster; c != nil {
		host, port, err := splitHostPort(c.Listen, "127.0.0.1", -1)
		if err != nil {
			return nil, fmt.Errorf("bus: nats cluster listen: %w", err)
		}
		sopts.Cluster = server.ClusterOpts{Name: c.Name, Host: host, Port: port}
		sopts.Routes = server.RoutesFromStr(strings.Join(c.Routes, ","))
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("bus: nats server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("bus: embedded nats server did not become ready in 30s")
	}
	return ns, nil
}

func splitHostPort(addr, defHost string, defPort int) (string, int, error) {
	if addr == "" {
		return defHost, defPort, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	if port == 0 {
		port = -1 // nats-server reads 0 as its default port; we mean "any"
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

func (b *Bus) ensureStream(ctx context.Context) error {
	// JetStream may need a moment (clusters elect a meta leader first).
	if err := retry(ctx, 2*time.Second, func(ctx context.Context) error {
		_, err := b.js.AccountInfo(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("bus: waiting for jetstream: %w", err)
	}
	cfg := b.streamConfig(b.name, "switchboard room history", room.HistoryWildcard)
	// Direct gets are answered by any replica, and a follower may not have
	// the newest events yet: a replay would stop short of them. With
	// replicas, gets go to the stream leader.
	cfg.AllowDirect = b.opts.NATS.Replicas <= 1
	cfg.RePublish = &jetstream.RePublish{Source: room.HistoryWildcard, Destination: room.LiveWildcard}
	var err error
	if b.stream, err = b.openStream(ctx, cfg); err != nil {
		return err
	}
	return b.ensureEventLog(ctx)
}

// openStream returns the stream cfg describes: found as it is, updated
// when its config differs, or created. Nodes starting together race to
// create it; a node that loses finds it on its next look. (Asking for
// create-or-update at once makes the losers wait out whole request
// timeouts while the winner's stream is being placed.)
func (b *Bus) openStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := retry(ctx, 2*time.Second, func(ctx context.Context) (err error) {
		s, err = b.js.Stream(ctx, cfg.Name)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			s, err = b.js.CreateStream(ctx, cfg)
			return err
		case err != nil:
			return err
		case !sameStream(s.CachedInfo().Config, cfg):
			s, err = b.js.UpdateStream(ctx, cfg)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bus: create stream %q: %w", cfg.Name, err)
	}
	return s, nil
}

// sameStream reports whether a stream's config already has what want sets.
func sameStream(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Description == want.Description &&
		have.Storage == want.Storage && have.Retention == want.Retention && have.Discard == want.Discard &&
		have.MaxAge == want.MaxAge && have.MaxMsgs == want.MaxMsgs && have.MaxBytes == want.MaxBytes &&
		have.Duplicates == want.Duplicates && have.Replicas == want.Replicas && have.AllowDirect == want.AllowDirect &&
		reflect.DeepEqual(have.RePublish, want.RePublish)
}

// minServer is the oldest nats-server an external NATS may run: plugins'
// subscriptions use consumers with several filter subjects (2.10).
const minServer = "2.10.0"

// checkServerVersion refuses a server older than minServer.
func checkServerVersion(v string) error {
	parse := func(s string) (out [3]int) {
		s, _, _ = strings.Cut(strings.TrimPrefix(s, "v"), "-")
		for i, p := range strings.SplitN(s, ".", 3) {
			out[i], _ = strconv.Atoi(p)
		}
		return out
	}
	have, want := parse(v), parse(minServer)
	for i := range have {
		if have[i] != want[i] {
			if have[i] < want[i] {
				return fmt.Errorf("nats-server %s is too old: switchboard needs %s or later (with JetStream)", v, minServer)
			}
			return nil
		}
	}
	return nil
}

// retry calls fn until it succeeds or ctx ends, each attempt bounded by
// per: in a cluster, a JetStream request made before the meta leader (or
// a stream's leader) exists gets no answer at all.
func retry(ctx context.Context, per time.Duration, fn func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, per)
		err := fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// streamConfig is a file-stored stream with the history's retention and
// duplicate window.
func (b *Bus) streamConfig(name, desc, subject string) jetstream.StreamConfig {
	h := b.opts.History
	return jetstream.StreamConfig{
		Name:        name,
		Description: desc,
		Subjects:    []string{subject},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      time.Duration(h.MaxAge),
		MaxMsgs:     orUnlimited(h.MaxMsgs),
		MaxBytes:    orUnlimited(int64(h.MaxBytes)),
		Duplicates:  time.Duration(h.DuplicateWindow),
		Replicas:    max(b.opts.NATS.Replicas, 1),
	}
}

func orUnlimited(v int64) int64 {
	if v <= 0 {
		return -1
	}
	return v
}

// Conn is the node's NATS connection.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Ready reports whether NATS is connected and JetStream answers.
func (b *Bus) Ready(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	if !b.nc.IsConnected() {
		return fmt.Errorf("nats: %s", b.nc.Status())
	}
	if _, err := b.stream.Info(ctx); err != nil {
		return fmt.Errorf("jetstream: stream %q: %w", b.name, err)
	}
	return nil
}

// Close drains the connection and shuts the embedded server down. It is
// idempotent.
func (b *Bus) Close() {
	if !b.closed.CompareAndSwap(false, true) {
		return
	}
	b.nodes.close()
	if b.nc != nil {
		if err := b.nc.Drain(); err != nil {
			b.nc.Close()
		}
		for i := 0; i < 100 && !b.nc.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if b.live != nil {
		b.live.stop()
	}
	b.shutdownServer()
}

func (b *Bus) shutdownServer() {
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}
