// Package api is the node's HTTP surface: the /v1 routes, the transports'
// endpoints, and /healthz, /readyz and /metrics.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/metrics"
	"github.com/switchboard-rt/switchboard/core/web"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Check is one named readiness check.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Options configure the API.
type Options struct {
	Publish config.Publish
	Auth    *auth.Authenticator
	Bus     *bus.Bus
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Checks  []Check                            // readiness checks besides NATS and JetStream
	Mounts  map[string]http.Handler            // path → handler (transports)
	Catalog func() []*pluginv1.GetInfoResponse // the plugins, for GET /v1/catalog
	// Ingest checks and stores what POST /v1/publish receives.
	Ingest *ingest.Ingest
	// Types is the event catalogue the publish API validates data against
	// (nil: none).
	Types ingest.Types
	// Limits rate-limits the publish API per key (nil: no limits).
	Limits *web.Limits
	// BodyTimeout bounds reading a request's body, and again writing its
	// answer, on every route but the Mounts (streams); 0: no bound.
	BodyTimeout time.Duration
	// MetricsApart leaves /metrics off this mux (it is served on its own
	// listener through MetricsHandler).
	MetricsApart bool
	// MetricsKey, when set, is required as "Authorization: Bearer KEY" on
	// /metrics.
	MetricsKey string
	// Presence serves GET /v1/rooms/{room}/presence; nil: not served.
	Presence *Presence
	// AllowedOrigins is server.allowed_origins: the browser origins
	// answered with CORS headers on every route, and the only ones let
	// through (see web.NewOrigins; nil: same-origin only).
	AllowedOrigins []string
	// Tracer, when set, traces every request but the Mounts
	// (core/telemetry); nil: off.
	Tracer trace.Tracer
}

// API serves HTTP.
type API struct {
	o      Options
	log    *slog.Logger
	mux    *http.ServeMux
	mounts map[string]bool
	cors   *web.CORS
}

// New builds the mux.
func New(o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &API{o: o, log: o.Logger.With("component", "api"), mux: http.NewServeMux(), mounts: map[string]bool{},
		cors: web.NewCORS(web.NewOrigins(o.AllowedOrigins))}
	a.mux.HandleFunc("POST /v1/publish", a.publish)
	a.mux.HandleFunc("GET /v1/catalog", a.catalog)
	if o.Presence != nil {
		a.mux.HandleFunc("GET /v1/rooms/{room}/presence", a.presence)
	}
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.HandleFunc("GET /readyz", a.readyz)
	if !o.MetricsApart {
		a.mux.Handle("GET /metrics", a.MetricsHandler())
	}
	for path, h := range o.Mounts {
		a.mux.Handle("GET "+path, h)
		a.mounts[path] = true
	}
	a.mux.HandleFunc("/", a.noRoute)
	return a
}

// noRoute answers what no route serves: 405 with Allow when the path is
// served with other methods, else 404.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
	if allow := a.methods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		wire.Write(w, wire.NewError(wire.MethodNotAllowed,
			r.Method+" is not served on "+r.URL.Path+"; allowed: "+strings.Join(allow, ", ")))
		return
	}
	wire.Write(w, wire.NewError(wire.NotFound, "no route for "+r.Method+" "+r.URL.Path))
}

// methods lists the methods r's path is served with, r's own method
// excepted.
func (a *API) methods(r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// Handle mounts another handler (plugins' routes).
func (a *API) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// ServeHTTP serves the mux. Every answer carries the headers of
// web.SetHeaders. The connection's deadlines are per request: a stream (a
// Mount: WebSocket, SSE) has none, since the server's deadlines outlive
// the request on a keep-alive connection and a hijacked one; every other
// route gets BodyTimeout to read its body, and as long again to write its
// answer. The
// server's own ReadTimeout and WriteTimeout stay 0 for that reason.
// CORS (web.CORS) answers preflights and refuses an Origin not allowed
// before any handler runs, on every route but a WebSocket upgrade, which
// checks its Origin itself (docs/PROTOCOL.md §1).
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	web.SetHeaders(w.Header())
	if !(a.mounts[r.URL.Path] && isUpgrade(r)) && a.cors.Serve(w, r, a.methods) {
		return
	}
	rc := http.NewResponseController(w)
	if a.mounts[r.URL.Path] {
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
	} else if a.o.BodyTimeout > 0 {
		end := time.Now().Add(a.o.BodyTimeout)
		_ = rc.SetReadDeadline(end)
		// The answer gets its own BodyTimeout: a body cut off still
		// hears why.
		_ = rc.SetWriteDeadline(end.Add(a.o.BodyTimeout))
	}
	if a.mounts[r.URL.Path] {
		a.mux.ServeHTTP(w, r) // a stream: timed by the transport (join_seconds), not here
		return
	}
	a.serveObserved(w, r) // observe.go
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// MetricsHandler serves /metrics, behind MetricsKey when it is set.
func (a *API) MetricsHandler() http.Handler {
	h := a.o.Metrics.Handler()
	if a.o.MetricsKey == "" {
		return h
	}
	want := []byte("Bearer " + a.o.MetricsKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			wire.Write(w, wire.NewError(wire.Unauthorized, "/metrics requires Authorization: Bearer <server.metrics_key>"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// refuseBeforeBody writes e on a request whose body was not read, and
// closes the connection after it: net/http would otherwise read up to
// 256 KiB of the body after the answer to reuse the connection, at the
// sender's pace.
func refuseBeforeBody(w http.ResponseWriter, e *wire.Error) {
	web.RefuseBeforeBody(w, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	run := func(name string, fn func(context.Context) error) {
		if err := fn(ctx); err != nil {
			checks[name] = err.Error()
			ok = false
			return
		}
		checks[name] = "ok"
	}
	run("nats", a.o.Bus.Ready)
	for _, c := range a.o.Checks {
		run(c.Name, c.Fn)
	}
	status, word := http.StatusOK, "ok"
	if !ok {
		status, word = http.StatusServiceUnavailable, "unavailable"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
}
