// Package transport is how a transport plugs into a node: the interface a
// running transport implements, what the node hands it, and the registry
// its package joins in init.
//
// A transport is framing and I/O. The session protocol (room syntax,
// authorization, joining with since, the join acknowledgement, presence,
// max rooms, leaving and their wire errors) is core/hub's: a transport
// authenticates the request with Node.Auth, makes a hub.Client with a
// hub.Sink of its own, and calls Client.Enter and Client.LeaveRoom.
//
// A new transport is a package that
//
//   - declares its settings as a struct with hclconf and json tags, whose
//     pointer implements Config (Check, Endpoint, New);
//   - calls Register in init with a constructor returning those settings
//     with their defaults;
//   - is blank-imported by cmd/switchboard (see transports/standard);
//   - runs the conformance suite in transports/transporttest.
//
// Its block is then `transport "NAME" { … }` in the config file, decoded
// with positions in errors, and shown by `switchboard check`.
package transport

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/web"
)

// Transport is a running transport, mounted on the node's HTTP mux at its
// Config's Endpoint.
type Transport interface {
	http.Handler
	// StopAccepting refuses new connections (503) from now on. The node
	// calls it first when it shuts down, then closes the connections
	// through the hub.
	StopAccepting()
	// Close releases what the transport holds once its connections are
	// closed. It is idempotent.
	Close(ctx context.Context) error
}

// Node is what a transport gets from the node that serves it.
type Node struct {
	Hub  *hub.Hub
	Auth *auth.Authenticator
	// AllowedOrigins is server.allowed_origins (see web.NewOrigins).
	AllowedOrigins []string
	Logger         *slog.Logger
	// Limits caps connections per IP and per user and rate-limits
	// connection attempts; check them with Limits.Connect after
	// authenticating, before upgrading or streaming (nil: no limits).
	Limits *web.Limits
}

// Config is a transport's settings, as registered: config.TransportConfig
// (decoded, shown and checked by core/config) plus New, which starts the
// transport.
type Config interface {
	config.TransportConfig
	// New starts the transport on n with these settings.
	New(n Node) (Transport, error)
}

// Register adds a transport to config.Registry, the registry Load, Parse
// and DefaultConfig use; newConfig returns its settings with their
// defaults. Call it from init. It panics if name is taken.
func Register(name string, newConfig func() Config) {
	RegisterIn(config.Registry, name, newConfig)
}

// RegisterIn adds a transport to r (tests build isolated registries with
// config.NewTransportRegistry).
func RegisterIn(r *config.TransportRegistry, name string, newConfig func() Config) {
	r.Register(name, func() config.TransportConfig { return newConfig() })
}

// Start starts every enabled transport of cfg. On error it closes those it
// started.
func Start(ctx context.Context, cfg *config.Config, n Node) ([]Transport, map[string]http.Handler, error) {
	var ts []Transport
	mounts := map[string]http.Handler{}
	for _, b := range cfg.Transports.Enabled() {
		c, ok := b.Config.(Config)
		if !ok {
			closeAll(ctx, ts)
			return nil, nil, fmt.Errorf("transport %q: its config does not implement transport.Config (register it with transport.Register)", b.Name)
		}
		t, err := c.New(n)
		if err != nil {
			closeAll(ctx, ts)
			return nil, nil, fmt.Errorf("transport %q: %w", b.Name, err)
		}
		ts = append(ts, t)
		mounts[c.Endpoint()] = t
	}
	return ts, mounts, nil
}

func closeAll(ctx context.Context, ts []Transport) {
	for _, t := range ts {
		_ = t.Close(ctx)
	}
}

// ConfigOf returns the settings of transport name in c as T, or the zero T
// if the transport is not registered or its settings are of another type;
// for tests and tools that change settings in Go.
func ConfigOf[T Config](c *config.Config, name string) T {
	var zero T
	if t := c.Transports.Get(name); t != nil {
		if s, ok := t.Config.(T); ok {
			return s
		}
	}
	return zero
}
