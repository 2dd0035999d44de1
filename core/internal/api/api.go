// Package api is the node's HTTP surface: the /v1 routes, the transports'
// endpoints, and /healthz, /readyz and /metrics.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/catalog"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/metrics"
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
}

// API serves HTTP.
type API struct {
	o   Options
	log *slog.Logger
	mux *http.ServeMux
}

// New builds the mux.
func New(o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &API{o: o, log: o.Logger.With("component", "api"), mux: http.NewServeMux()}
	a.mux.HandleFunc("POST /v1/publish", a.publish)
	a.mux.HandleFunc("GET /v1/catalog", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		var infos []*pluginv1.GetInfoResponse
		if o.Catalog != nil {
			infos = o.Catalog()
		}
		_, _ = w.Write(catalog.Document(infos))
	})
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.HandleFunc("GET /readyz", a.readyz)
	a.mux.Handle("GET /metrics", o.Metrics.Handler())
	for path, h := range o.Mounts {
		a.mux.Handle("GET "+path, h)
	}
	a.mux.HandleFunc("/", a.noRoute)
	return a
}

// noRoute answers what no route serves: 405 with Allow when the path is
// served with other methods, else 404.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
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
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		wire.Write(w, wire.NewError(wire.MethodNotAllowed,
			r.Method+" is not served on "+r.URL.Path+"; allowed: "+strings.Join(allow, ", ")))
		return
	}
	wire.Write(w, wire.NewError(wire.NotFound, "no route for "+r.Method+" "+r.URL.Path))
}

// Handle mounts another handler (plugins' routes).
func (a *API) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// ServeHTTP serves the mux.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

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
