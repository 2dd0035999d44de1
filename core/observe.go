package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/telemetry"
	"github.com/switchboard-rt/switchboard/core/telemetry/otlp"
)

// startTelemetry starts tracing when telemetry.otlp_endpoint is set; nil
// (tracing off) otherwise.
func startTelemetry(ctx context.Context, cfg *config.Config) (*telemetry.Telemetry, error) {
	t := cfg.Telemetry
	tel, err := otlp.Start(ctx, otlp.Options{Endpoint: t.OTLPEndpoint, SampleRatio: t.SampleRatio, ServiceName: t.ServiceName})
	if err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	return tel, nil
}

// pprofServer serves net/http/pprof on server.pprof_listen: its own
// listener and its own mux, never the main port nor
// http.DefaultServeMux.
type pprofServer struct {
	addr string
	log  *slog.Logger
	srv  *http.Server

	mu sync.Mutex
	ln net.Listener
}

// newPprof returns nil when server.pprof_listen is not set.
func newPprof(cfg *config.Config, log *slog.Logger) *pprofServer {
	addr := cfg.Server.PprofListen
	if addr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and the named profiles: heap, goroutine, block, mutex, allocs …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// No WriteTimeout: a CPU profile or an execution trace streams for the
	// ?seconds= asked (30 s by default).
	return &pprofServer{addr: addr, log: log, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
}

// start listens and serves in the background; errs receives Serve's end.
func (p *pprofServer) start(errs chan<- error) error {
	if p == nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("core: listen %s (server.pprof_listen): %w", p.addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	if !config.Loopback(p.addr) {
		p.log.Warn("pprof is served on a non-loopback address: profiles show code paths, goroutine stacks and the command line, "+
			"and a CPU profile costs CPU; keep it behind a firewall or use 127.0.0.1", "addr", ln.Addr().String())
	}
	p.log.Info("serving pprof", "addr", ln.Addr().String())
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("core: pprof: %w", err)
		}
	}()
	return nil
}

func (p *pprofServer) addrOf() net.Addr {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return nil
	}
	return p.ln.Addr()
}

// shutdown stops serving; a profile in progress is cut at ctx's end.
func (p *pprofServer) shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = p.srv.Close()
		return fmt.Errorf("core: pprof http: %w", err)
	}
	return nil
}

// PprofAddr is the address pprof is served on when server.pprof_listen
// is set (after Start); nil otherwise.
func (s *Server) PprofAddr() net.Addr { return s.pprof.addrOf() }
