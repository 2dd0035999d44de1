package test

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// otlpReceiver is an OTLP/HTTP traces endpoint in the test process: it
// decodes what the node exports (protobuf) and keeps the spans.
type otlpReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	spans   []*tracepb.Span
	service string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(req.Body)
		var ex coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &ex); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range ex.ResourceSpans {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					r.service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// find returns the spans that have the attribute key=value.
func (r *otlpReceiver) find(key, value string) []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range r.spans {
		if spanAttr(s, key) == value {
			out = append(out, s)
		}
	}
	return out
}

func (r *otlpReceiver) all() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

func spanAttr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.GetValue().GetStringValue()
		}
	}
	return ""
}

func traced(t *testing.T, cfg *config.Config) *otlpReceiver {
	r := newOTLPReceiver(t)
	cfg.Telemetry.OTLPEndpoint = r.URL
	cfg.Telemetry.SampleRatio = 1
	cfg.Telemetry.ServiceName = "switchboard-test"
	return r
}

// chain checks that spans form one trace in which each span's parent is
// the one before it, and names them for the failure message.
func chain(t *testing.T, spans ...*tracepb.Span) {
	t.Helper()
	for i, s := range spans {
		if hex.EncodeToString(s.TraceId) != hex.EncodeToString(spans[0].TraceId) {
			t.Fatalf("span %q is in trace %x, want %x (the trace is broken before it)", s.Name, s.TraceId, spans[0].TraceId)
		}
		if i > 0 && hex.EncodeToString(s.ParentSpanId) != hex.EncodeToString(spans[i-1].SpanId) {
			t.Fatalf("span %q has parent %x, want %q (%x)", s.Name, s.ParentSpanId, spans[i-1].Name, spans[i-1].SpanId)
		}
	}
}

// TestTracePublishToDelivery: one POST /v1/publish yields one trace, the
// HTTP server span and a delivery span per event on the node, both
// carrying the correlation id.
func TestTracePublishToDelivery(t *testing.T) {
	cfg := testnode.Config(t)
	rcv := traced(t, cfg)
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	st, b := n.Do("POST", "/v1/publish", map[string]any{"rooms": []string{"user:u1"}, "type": "app.thing.done", "data": 1},
		map[string]string{"X-Api-Key": n.Cfg.Auth.APIKeys[0], "X-Correlation-Id": "corr-trace-1"})
	if st != http.StatusOK {
		t.Fatalf("publish: %d %s", st, b)
	}
	c.NextEvent()
	var spans []*tracepb.Span
	poll.Until(t, "the HTTP and delivery spans exported", func() bool {
		spans = rcv.find("switchboard.correlationid", "corr-trace-1")
		return len(spans) >= 2
	})
	var httpSpan, deliver *tracepb.Span
	for _, s := range spans {
		switch s.Name {
		case "POST /v1/publish":
			httpSpan = s
		case "deliver user:u1":
			deliver = s
		}
	}
	if httpSpan == nil || deliver == nil {
		t.Fatalf("spans with the correlation id: %v; want POST /v1/publish and deliver user:u1", spanNames(spans))
	}
	chain(t, httpSpan, deliver)
	if httpSpan.Kind != tracepb.Span_SPAN_KIND_SERVER || deliver.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
		t.Errorf("kinds: http %v, deliver %v", httpSpan.Kind, deliver.Kind)
	}
	if rcv.service != "switchboard-test" {
		t.Errorf("service.name %q, want switchboard-test", rcv.service)
	}
	// Untraced traffic (presence, the join) made no delivery span.
	for _, s := range rcv.all() {
		if s.Name == "deliver user:u1" && s != deliver {
			t.Errorf("a second delivery span for one event: %v", spanNames(rcv.all()))
		}
	}
}

func spanNames(spans []*tracepb.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestTracePluginRouteToDelivery: one POST to a plugin route yields one
// trace through the plugin process: the HTTP span, the call into the
// plugin, the storing of the event it emitted (its traceparent carried
// by the SDK, with nothing in the plugin's code) and its delivery, each
// the child of the one before and each carrying the correlation id.
func TestTracePluginRouteToDelivery(t *testing.T) {
	cfg := testnode.ConfigHCL(t, fmt.Sprintf(`
plugin "hello" {
  path = %q
}`, bins[helloPkg]))
	rcv := traced(t, cfg)
	n := testnode.Start(t, cfg)
	c := n.DialWS(n.Token("u1"))
	c.Join("user:u1")
	st, b := n.Do("POST", "/v1/hello/u1", nil, map[string]string{"Authorization": "Bearer " + n.Token("u0"), "X-Correlation-Id": "corr-trace-2"})
	if st != http.StatusAccepted {
		t.Fatalf("POST /v1/hello/u1: %d %s", st, b)
	}
	c.NextEvent()
	want := []string{"POST /v1/hello/{user}", "plugin hello HandleHTTP POST /hello/{user}", "emit demo.hello.said", "deliver user:u1"}
	byName := map[string]*tracepb.Span{}
	poll.Until(t, "the four spans of the plugin route exported", func() bool {
		for _, s := range rcv.find("switchboard.correlationid", "corr-trace-2") {
			byName[s.Name] = s
		}
		return len(byName) >= len(want)
	})
	var spans []*tracepb.Span
	for _, name := range want {
		s := byName[name]
		if s == nil {
			t.Fatalf("no span %q among %v", name, spanNames(rcv.all()))
		}
		spans = append(spans, s)
	}
	chain(t, spans...)
}
