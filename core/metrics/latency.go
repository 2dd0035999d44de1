package metrics

import "github.com/prometheus/client_golang/prometheus"

// LatencyBuckets are the upper bounds (seconds) of every latency
// histogram: from half a millisecond, where a delivery on an idle node
// lands, to ten seconds, past every timeout a request meets.
var LatencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func (m *Metrics) newLatency(ns string) {
	hist := func(name, help string, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help,
			Buckets: LatencyBuckets}, labels)
	}
	m.PublishToWrite = hist("publish_to_write_seconds",
		"From an event's storing in history (its JetStream timestamp) to its frame written to a client socket on this node; "+
			"observed once per event, room and node, on the room's last member of each transport.", "transport")
	m.Join = hist("join_seconds",
		"From a join request (or a connection's rooms joined on connect) to its answer: authorization, membership, "+
			"history position and any replay.", "transport", "result")
	m.PluginCall = hist("plugin_call_seconds",
		"One gRPC call from the core into a plugin, by plugin, method and, for HandleHTTP, route pattern.", "plugin", "method", "route")
	m.HTTPRequest = hist("http_request_seconds",
		"One HTTP request on the main listener, by route pattern, method and status class; WebSocket and SSE streams are not counted.",
		"route", "method", "code")
}

// CodeClass is the label of an HTTP status: "2xx" … "5xx".
func CodeClass(status int) string {
	if status >= 100 && status < 600 {
		return codeClasses[status/100-1]
	}
	return "other"
}

var codeClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}
