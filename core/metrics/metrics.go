// Package metrics holds the node's Prometheus collectors. One Metrics is
// made per node (tests make their own) and passed to the parts that count.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the node's collectors, registered in their own registry.
type Metrics struct {
	Registry *prometheus.Registry

	Connections     *prometheus.GaugeVec   // by transport
	Rooms           prometheus.Gauge       // rooms with local members
	Published       prometheus.Counter     // events stored (one per room)
	PublishErrors   prometheus.Counter     // publish calls that failed
	Delivered       *prometheus.CounterVec // frames queued to clients, by transport
	SlowConsumers   *prometheus.CounterVec // disconnects for slow consumption, by transport
	Resumes         *prometheus.CounterVec // joins with since, by result (recovered, not_recovered)
	RejectedUpgrade *prometheus.CounterVec // connections refused, by transport and reason

	PluginEventsRejected *prometheus.CounterVec // events a plugin emitted that failed validation, by plugin
	PluginRestarts       *prometheus.CounterVec // plugin processes restarted after exiting, by plugin
	Panics               *prometheus.CounterVec // panics recovered, by where (ws_conn, hub_dispatch, hub_writer)

	// Latency histograms (seconds, LatencyBuckets); see latency.go.
	PublishToWrite *prometheus.HistogramVec // stored → written to a socket, once per event per node, by transport
	Join           *prometheus.HistogramVec // a join request to its answer, by transport and result
	PluginCall     *prometheus.HistogramVec // one gRPC call into a plugin, by plugin, method and route
	HTTPRequest    *prometheus.HistogramVec // one HTTP request (streams excluded), by route, method and code class
}

// New makes and registers the collectors.
func New() *Metrics {
	const ns = "switchboard"
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "connections",
			Help: "Open client connections."}, []string{"transport"}),
		Rooms: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "rooms",
			Help: "Rooms with at least one member on this node."}),
		Published: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "events_published_total",
			Help: "Events stored in history, one per room."}),
		PublishErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "publish_errors_total",
			Help: "Publish calls that failed to store their events."}),
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "events_delivered_total",
			Help: "Live event frames queued to client connections (replays not included)."}, []string{"transport"}),
		SlowConsumers: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "slow_consumer_disconnects_total",
			Help: "Connections cut off because their queue overflowed."}, []string{"transport"}),
		Resumes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "resumes_total",
			Help: "Joins with since / Last-Event-ID, by whether history reached back."}, []string{"result"}),
		RejectedUpgrade: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "connections_rejected_total",
			Help: "Connection attempts refused before streaming."}, []string{"transport", "reason"}),
		PluginEventsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "plugin_events_rejected_total",
			Help: "Events emitted by a plugin and rejected (undeclared type, bad rooms, schema mismatch)."}, []string{"plugin"}),
		PluginRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "plugin_restarts_total",
			Help: "Plugin processes restarted after they exited."}, []string{"plugin"}),
		Panics: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "panics_total",
			Help: "Panics recovered in connection or dispatch goroutines, by where; the node stayed up."}, []string{"where"}),
	}
	// Series whose labels are known up front start at zero, so that they
	// are on /metrics before the first increment.
	for _, r := range []string{"recovered", "not_recovered"} {
		m.Resumes.WithLabelValues(r)
	}
	for _, w := range []string{"ws_conn", "hub_dispatch", "hub_writer"} {
		m.Panics.WithLabelValues(w)
	}
	m.newLatency(ns)
	m.Registry.MustRegister(m.PublishToWrite, m.Join, m.PluginCall, m.HTTPRequest, m.PluginEventsRejected, m.PluginRestarts, m.Connections, m.Rooms, m.Published, m.PublishErrors, m.Delivered,
		m.SlowConsumers, m.Resumes, m.RejectedUpgrade, m.Panics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
