package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/nats-io/nats-server/v2/server"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/metrics"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// Options configure New.
type Options struct {
	Plugins      []config.Plugin
	DataDir      string
	Bus          *bus.Bus
	Hub          *hub.Hub
	Kinds        *hub.Kinds
	Auth         *auth.Authenticator
	Metrics      *metrics.Metrics
	Logger       *slog.Logger
	MaxBodyBytes int64
	// Ingest checks and stores the events plugins emit.
	Ingest *ingest.Ingest
	// Tracer, when set, traces calls into plugins and the events they
	// emit (core/telemetry); nil: off.
	Tracer trace.Tracer
}

// Host runs the configured plugins.
type Host struct {
	o       Options
	log     *slog.Logger
	plugins []*instance
	closed  atomic.Bool

	cancelSubs context.CancelFunc
}

// New prepares the plugins; Start starts them.
func New(o Options) *Host {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &Host{o: o, log: o.Logger.With("component", "pluginhost")}
	for _, pc := range o.Plugins {
		h.plugins = append(h.plugins, &instance{h: h, cfg: pc, log: h.log.With("plugin", pc.Name)})
		if o.Metrics != nil { // each plugin's series exist from the start, at zero
			o.Metrics.PluginEventsRejected.WithLabelValues(pc.Name)
			o.Metrics.PluginRestarts.WithLabelValues(pc.Name)
		}
	}
	return h
}

// Start starts every plugin and waits until each is configured. A plugin
// that fails to start (bad config, missing binary) fails Start.
func (h *Host) Start(ctx context.Context) error {
	var errs []error
	for _, in := range h.plugins {
		if err := in.start(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		h.Close(context.Background())
		return err
	}
	for _, in := range h.plugins {
		go in.supervise()
	}
	if h.o.Bus == nil {
		return nil // catalog only
	}
	sctx, cancel := context.WithCancel(context.Background())
	h.cancelSubs = cancel
	for _, in := range h.plugins {
		if subs := in.currentInfo().Subscriptions; len(subs) > 0 {
			if err := h.o.Bus.Subscribe(sctx, "plugin-"+in.cfg.Name, subs, in.deliver); err != nil {
				h.Close(context.Background())
				return fmt.Errorf("plugin %q: subscriptions: %w", in.cfg.Name, err)
			}
		}
	}
	return nil
}

// Mount adds every plugin's routes to mux and makes each plugin the
// authorizer of its room kinds. Two plugins claiming one route or room kind
// is an error.
func (h *Host) Mount(mux interface{ Handle(string, http.Handler) }) error {
	routes := map[string]string{}
	kinds := map[string]string{}
	var errs []error
	for _, in := range h.plugins {
		info := in.currentInfo()
		for _, rt := range info.Routes {
			key := rt.Method + " /v1" + rt.Pattern
			if other, dup := routes[key]; dup {
				errs = append(errs, fmt.Errorf("plugin %q: route %s is already served by plugin %q", in.cfg.Name, key, other))
				continue
			}
			routes[key] = in.cfg.Name
			mux.Handle(key, in.route(rt))
		}
		for _, k := range info.RoomKinds {
			if other, dup := kinds[k]; dup {
				errs = append(errs, fmt.Errorf("plugin %q: room kind %q is already owned by plugin %q", in.cfg.Name, k, other))
				continue
			}
			kinds[k] = in.cfg.Name
			h.o.Kinds.Set(k, in)
		}
	}
	return errors.Join(errs...)
}

// Infos describes the plugins, in config order.
func (h *Host) Infos() []*pluginv1.GetInfoResponse {
	var out []*pluginv1.GetInfoResponse
	for _, in := range h.plugins {
		out = append(out, in.currentInfo())
	}
	return out
}

// Subscribed reports whether a plugin subscribes to an event of type typ
// (its Info.Subscriptions are NATS-style patterns: "presence.*",
// "pm.>").
func (h *Host) Subscribed(typ string) bool {
	for _, in := range h.plugins {
		for _, pat := range in.currentInfo().Subscriptions {
			if server.SubjectMatchesFilter(typ, pat) {
				return true
			}
		}
	}
	return false
}

// Ready fails naming every plugin that is down.
func (h *Host) Ready(context.Context) error {
	var down []string
	for _, in := range h.plugins {
		if c := in.current(); c == nil {
			down = append(down, in.cfg.Name)
		}
	}
	if len(down) == 0 {
		return nil
	}
	sort.Strings(down)
	return fmt.Errorf("plugins down: %s", strings.Join(down, ", "))
}

// Close stops every plugin. It is idempotent.
func (h *Host) Close(ctx context.Context) {
	if !h.closed.CompareAndSwap(false, true) {
		return
	}
	if h.cancelSubs != nil {
		h.cancelSubs()
	}
	for _, in := range h.plugins {
		in.stop(ctx)
	}
}
