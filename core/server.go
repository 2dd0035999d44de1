package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/console"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/internal/api"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/internal/datadir"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/internal/pluginhost"
	"github.com/switchboard-rt/switchboard/core/internal/presence"
	"github.com/switchboard-rt/switchboard/core/metrics"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/core/telemetry"
	"github.com/switchboard-rt/switchboard/core/transport"
	"github.com/switchboard-rt/switchboard/core/web"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Server is one node.
type Server struct {
	cfg        *config.Config
	lock       *datadir.Lock // server.data_dir, held until Shutdown
	log        *slog.Logger
	metrics    *metrics.Metrics
	auth       *auth.Authenticator
	bus        *bus.Bus
	hub        *hub.Hub
	presence   *presence.Tracker // nil when hub.presence is off
	api        *api.API
	plugins    *pluginhost.Host
	transports []transport.Transport
	http       *http.Server
	// metricsHTTP serves /metrics on server.metrics_listen (nil: on http).
	metricsHTTP *http.Server
	metricsLn   net.Listener
	pprof       *pprofServer         // server.pprof_listen; nil: off (observe.go)
	tel         *telemetry.Telemetry // telemetry block; nil: tracing off

	mu       sync.Mutex
	ln       net.Listener
	serveErr chan error
	stopped  atomic.Bool
}

// New builds a node from cfg: it starts NATS and opens the history stream,
// but does not listen yet (see Start).
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *Server, err error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, log: log, metrics: metrics.New()}
	// One node per data_dir: a second process fails here, before NATS
	// opens the store the first one writes.
	if s.lock, err = datadir.Acquire(cfg.Server.DataDir); err != nil {
		return nil, fmt.Errorf("core: server: data_dir: %w", err)
	}
	defer func() {
		if err != nil {
			s.lock.Release()
		}
	}()
	a, err := auth.New(auth.Options{
		HS256Secret: []byte(cfg.Auth.JWTSecret), JWKSFile: cfg.Auth.JWKSFile,
		JWKSURL: cfg.Auth.JWKSURL, JWKSRefresh: time.Duration(cfg.Auth.JWKSRefresh), Logger: log,
		Issuer: cfg.Auth.Issuer, Audience: cfg.Auth.Audience, Leeway: time.Duration(cfg.Auth.Leeway),
		APIKeys: cfg.Auth.APIKeys, ScopedAPIKeys: cfg.Auth.ScopedKeys(),
	})
	if err != nil {
		return nil, fmt.Errorf("core: auth: %w", err)
	}
	s.auth = a
	defer func() {
		if err != nil {
			a.Close() // stops refreshing auth.jwks_url
		}
	}()
	s.bus, err = bus.Open(ctx, bus.Options{NATS: cfg.NATS, History: cfg.History, DataDir: cfg.Server.DataDir, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	// On any failure from here on, undo what was started, newest first.
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	undo = append(undo, func() { s.bus.Close() })
	if s.tel, err = startTelemetry(ctx, cfg); err != nil {
		return nil, err
	}
	undo = append(undo, func() { _ = s.tel.Shutdown(context.Background()) })
	kinds := hub.NewAuthorizer()
	s.hub = hub.New(hub.Options{Broker: s.bus, Authorizer: kinds, Metrics: s.metrics, Logger: log, Shards: cfg.Hub.Shards,
		Presence: cfg.Hub.Presence, PresenceMaxMembers: cfg.Hub.PresenceMaxMembers,
		DirectWrites: cfg.Hub.DirectWrites, PresenceFlush: time.Duration(cfg.Hub.PresenceFlush), ExpiryGrace: time.Duration(cfg.Auth.ExpiryGrace), AutoJoin: cfg.Hub.AutoJoin,
		Tracer: s.tel.Tracer()})
	// The transports registered themselves (core/transport) and are in
	// cfg.Transports; the enabled ones are mounted at their endpoints.
	var mounts map[string]http.Handler
	limits := web.NewLimits(web.LimitOptions{MaxConnsPerIP: cfg.Server.MaxConnsPerIP, MaxConnsPerUser: cfg.Server.MaxConnsPerUser,
		ConnectRate: cfg.Server.ConnectRate, ConnectBurst: cfg.Server.ConnectBurst,
		PublishRate: cfg.Server.PublishRate, PublishBurst: cfg.Server.PublishBurst,
		TrustedProxies: cfg.Server.TrustedPrefixes()})
	s.transports, mounts, err = transport.Start(ctx, cfg, transport.Node{Hub: s.hub, Auth: a,
		AllowedOrigins: cfg.Server.AllowedOrigins, Logger: log, Limits: limits})
	if err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	undo = append(undo, func() {
		for _, t := range s.transports {
			_ = t.Close(ctx)
		}
	})
	if err := s.bus.SubscribeControl("revoke", s.onRevoke); err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	// Peers wait for this node's answer to their revocations from now on.
	if err := s.bus.Announce(); err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	ing := ingest.New(ingest.Options{MaxBatch: cfg.Publish.MaxBatch, MaxRooms: cfg.Publish.MaxRooms, MaxEventBytes: int64(cfg.Publish.MaxEventBytes), StrictTypes: cfg.Publish.StrictTypes, KnownKind: kinds.Known, Bus: s.bus, Metrics: s.metrics})
	s.plugins = pluginhost.New(pluginhost.Options{Plugins: cfg.Plugins, DataDir: cfg.Server.DataDir, Bus: s.bus, Hub: s.hub,
		Kinds: kinds, Auth: a, Metrics: s.metrics, Logger: log, MaxBodyBytes: int64(cfg.Publish.MaxBodyBytes), Ingest: ing,
		Tracer: s.tel.Tracer()})
	if err := s.plugins.Start(ctx); err != nil {
		return nil, err
	}
	undo = append(undo, func() { s.plugins.Close(ctx) })
	if err := s.startPresence(ctx); err != nil {
		return nil, err
	}
	if s.presence != nil {
		undo = append(undo, s.presence.Close)
	}
	s.api = api.New(api.Options{Publish: cfg.Publish, Auth: a, Bus: s.bus, Metrics: s.metrics, Logger: log, Mounts: mounts,
		Checks: []api.Check{{Name: "plugins", Fn: s.plugins.Ready}, {Name: "shutdown", Fn: s.draining}}, Catalog: s.plugins.Infos, Ingest: ing, Types: s.plugins,
		Limits: limits, BodyTimeout: time.Duration(cfg.Server.BodyTimeout),
		MetricsApart: cfg.Server.MetricsListen != "", MetricsKey: cfg.Server.MetricsKey, Presence: s.presenceAPI(),
		AllowedOrigins: cfg.Server.AllowedOrigins, Tracer: s.tel.Tracer()})
	if err := s.plugins.Mount(s.api); err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	script, err := console.ClientScript()
	if err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	s.api.Handle("GET "+console.ClientPath, script)
	if cfg.Server.Console {
		con, err := console.New(console.Options{JWTSecret: cfg.Auth.JWTSecret, Issuer: cfg.Auth.Issuer,
			Audience: cfg.Auth.Audience, TokenTTL: time.Duration(cfg.Auth.TokenTTL), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("core: %w", err)
		}
		con.Mount(s.api)
	}
	// ReadTimeout and WriteTimeout stay 0: they would outlive the request
	// on hijacked WebSocket connections and cut SSE streams. The API sets
	// per-request deadlines instead (api.Options.BodyTimeout).
	s.http = &http.Server{
		Handler:           s.api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Duration(cfg.Server.IdleTimeout),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.pprof = newPprof(cfg, log)
	if cfg.Server.MetricsListen != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.api.MetricsHandler())
		s.metricsHTTP = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
			WriteTimeout: time.Minute, IdleTimeout: time.Duration(cfg.Server.IdleTimeout),
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	}
	return s, nil
}

// onRevoke applies a revocation published by any node's plugin host.
func (s *Server) onRevoke(m *nats.Msg) {
	var msg hub.RevocationMsg
	if err := json.Unmarshal(m.Data, &msg); err != nil {
		s.log.Error("bad revocation message", "err", err)
		return
	}
	rv, err := msg.Revocation()
	if err != nil {
		s.log.Error("bad revocation message", "err", err)
		return
	}
	done := s.hub.Revoke(context.Background(), rv)
	go func() {
		<-done
		s.bus.Answer(m)
	}()
}

// draining fails /readyz from the start of Shutdown, so that a load
// balancer sends no new clients to a node that is closing its connections.
func (s *Server) draining(context.Context) error {
	if s.stopped.Load() {
		return errors.New("draining: shutting down")
	}
	return nil
}

// startPresence makes presence cluster-wide (core/internal/presence)
// unless the node needs none of what that costs: on a node that is alone
// (bus.Alone: no peer can ever connect) and whose plugins do not subscribe
// to presence.join or presence.leave, the hub's own counts are the
// cluster's presence, so it announces from them and the listing reads
// them, with no key-value writes per arrival (issue 10: about a fifth of
// the CPU of 10,000 clients connecting, and 1.6 KiB of memory per idle
// connection). Which way is decided here, once the plugins have said what
// they subscribe to.
func (s *Server) startPresence(ctx context.Context) error {
	if !s.cfg.Hub.Presence {
		return nil
	}
	listening := func() bool {
		return s.plugins.Subscribed(presence.TypeJoin) || s.plugins.Subscribed(presence.TypeLeave)
	}
	if s.bus.Alone() && !listening() {
		s.log.Debug("presence kept in memory: this node is alone and no plugin subscribes to it")
		return nil
	}
	tr, err := presence.Start(ctx, presence.Options{Bus: s.bus, Debounce: time.Duration(s.cfg.Hub.PresenceDebounce),
		Logger: s.log, Listening: listening})
	if err != nil {
		return fmt.Errorf("core: presence: %w", err)
	}
	s.presence = tr
	s.hub.SetPresenceSink(tr)
	return nil
}

// PresenceClusterWide reports whether presence goes through the
// cluster-wide state (see startPresence).
func (s *Server) PresenceClusterWide() bool { return s.presence != nil }

// presenceAPI serves GET /v1/rooms/{room}/presence (nil when presence is
// off): from the cluster-wide state, or the hub's own counts on a node
// alone (see startPresence).
func (s *Server) presenceAPI() *api.Presence {
	switch {
	case !s.cfg.Hub.Presence:
		return nil
	case s.presence != nil:
		return &api.Presence{Authorize: s.hub.Authorize, Users: s.presence.Users}
	}
	return &api.Presence{Authorize: s.hub.Authorize, Users: func(r room.Room) []presence.User {
		us := s.hub.PresentUsers(r)
		out := make([]presence.User, len(us))
		for i, u := range us {
			out[i] = presence.User(u)
		}
		return out
	}}
}

// Hub is the node's hub.
func (s *Server) Hub() *hub.Hub { return s.hub }

// Plugins describes the loaded plugins.
func (s *Server) Plugins() []*pluginv1.GetInfoResponse { return s.plugins.Infos() }

// Metrics are the node's collectors.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Start listens on the configured address (or ln, if given) and serves in
// the background.
func (s *Server) Start(ln net.Listener) error {
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", s.cfg.Server.Listen)
		if err != nil {
			return fmt.Errorf("core: listen %s: %w", s.cfg.Server.Listen, err)
		}
	}
	var mln net.Listener
	if s.metricsHTTP != nil {
		var err error
		mln, err = net.Listen("tcp", s.cfg.Server.MetricsListen)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("core: listen %s (server.metrics_listen): %w", s.cfg.Server.MetricsListen, err)
		}
	}
	s.mu.Lock()
	s.ln = ln
	s.metricsLn = mln
	s.serveErr = make(chan error, 3)
	s.mu.Unlock()
	if err := s.pprof.start(s.serveErr); err != nil {
		_ = ln.Close()
		if mln != nil {
			_ = mln.Close()
		}
		return err
	}
	go func() { s.serveErr <- s.http.Serve(ln) }()
	if mln != nil {
		go func() { s.serveErr <- s.metricsHTTP.Serve(mln) }()
		s.log.Info("serving metrics", "addr", mln.Addr().String())
	}
	s.log.Info("listening", "addr", ln.Addr().String())
	return nil
}

// MetricsAddr is the address /metrics is served on when
// server.metrics_listen is set (after Start); nil otherwise.
func (s *Server) MetricsAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}

// Addr is the address the node listens on (after Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Run starts the node and serves until ctx ends, then shuts down within
// the configured shutdown timeout.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(nil); err != nil {
		s.bus.Close()
		s.lock.Release()
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-s.serveErr:
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.cfg.Server.ShutdownTimeout))
	defer cancel()
	return errors.Join(serveErr, s.Shutdown(sctx))
}

// Shutdown stops the node in order: stop accepting, close client
// connections (WebSocket 1001 so clients reconnect elsewhere; queued frames
// are written first), stop the HTTP server, then NATS. It is idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.stopped.CompareAndSwap(false, true) {
		return nil
	}
	s.log.Info("shutting down")
	for _, t := range s.transports {
		t.StopAccepting()
	}
	var errs []error
	if err := s.hub.Shutdown(ctx, wire.ReasonShutdown); err != nil {
		errs = append(errs, fmt.Errorf("core: closing connections: %w", err))
	}
	if err := s.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("core: http: %w", err))
		_ = s.http.Close()
	}
	if s.metricsHTTP != nil {
		if err := s.metricsHTTP.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("core: metrics http: %w", err))
			_ = s.metricsHTTP.Close()
		}
	}
	if err := s.pprof.shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, t := range s.transports {
		if err := t.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.plugins.Close(ctx)
	s.auth.Close()
	if s.presence != nil {
		s.presence.Close() // after the hub: this node's users have left
	}
	s.bus.Close()
	if err := s.tel.Shutdown(ctx); err != nil { // exports the last spans
		errs = append(errs, err)
	}
	s.lock.Release()
	s.log.Info("stopped")
	return errors.Join(errs...)
}
