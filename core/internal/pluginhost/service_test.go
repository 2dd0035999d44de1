package pluginhost

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/internal/bus/bustest"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/metrics"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// emitter is one plugin's Host service over real gRPC, with a real bus
// behind it; the plugin declares pm.task.created.
type emitter struct {
	in     *instance
	bus    *bus.Bus
	client pluginv1.HostClient
}

func newEmitter(t *testing.T) *emitter {
	t.Helper()
	b := bustest.Open(t, "pluginhost-test")
	m := metrics.New()
	h := New(Options{Bus: b, Metrics: m, Logger: slog.New(slog.DiscardHandler), Plugins: []config.Plugin{{Name: "tasks"}},
		Ingest: ingest.New(ingest.Options{MaxRooms: 4, MaxEventBytes: 1024, Bus: b, Metrics: m})})
	in := h.plugins[0]
	sch, err := ingest.Compile("pm.task.created", []byte(`{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	in.schemas = map[string]*jsonschema.Schema{"pm.task.created": sch}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pluginv1.RegisterHostServer(srv, &hostService{in: in})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return &emitter{in: in, bus: b, client: pluginv1.NewHostClient(cc)}
}

// emit sends events on one Emit stream and returns the answers.
func (e *emitter) emit(t *testing.T, evs ...*pluginv1.Event) []*pluginv1.EmitResponse {
	t.Helper()
	stream, err := e.client.Emit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*pluginv1.EmitResponse
	for _, ev := range evs {
		if err := stream.Send(&pluginv1.EmitRequest{Event: ev}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp)
	}
	_ = stream.CloseSend()
	return out
}

func task(id, data string, rooms ...string) *pluginv1.Event {
	return &pluginv1.Event{Id: id, Type: "pm.task.created", Rooms: rooms, Data: []byte(data), CorrelationId: "c-1"}
}

func TestEmitStoresThroughIngest(t *testing.T) {
	e := newEmitter(t)
	got := e.emit(t, task("o-1", `{"id":"t1"}`, "project:p1", "task:t1"), task("o-1", `{"id":"t1"}`, "project:p1", "task:t1"))
	first, again := got[0], got[1]
	if first.Status != pluginv1.EmitResponse_STATUS_OK || first.Id != "o-1" || len(first.Seqs) != 2 || first.Seqs["project:p1"] == 0 {
		t.Fatalf("first: %v", first)
	}
	// A relay that resends stores nothing new: the same seqs come back.
	if again.Status != pluginv1.EmitResponse_STATUS_OK || again.Seqs["task:t1"] != first.Seqs["task:t1"] {
		t.Fatalf("again: %v, first %v", again, first)
	}
}

func TestEmitRefusesByTheIngestRules(t *testing.T) {
	e := newEmitter(t)
	for _, tc := range []struct {
		name string
		ev   *pluginv1.Event
		want string
	}{
		{"no event", nil, "no event"},
		{"data breaks the schema", task("o-1", `{"id":7}`, "task:t1"),
			"event pm.task.created: data does not match the schema of pm.task.created: at /data/id: got number, want string"},
		{"type not declared", &pluginv1.Event{Id: "o-2", Type: "pm.other", Rooms: []string{"task:t1"}, Data: []byte(`{}`)},
			`type "pm.other" is not declared by plugin "tasks"`},
		{"core-owned type", &pluginv1.Event{Id: "o-3", Type: "access.revoked", Rooms: []string{"task:t1"}, Data: []byte(`{}`)},
			"sent by the router itself"},
		{"no id", task("", `{"id":"t1"}`, "task:t1"), "id: required from a plugin"},
		{"duplicate key", task("o-4", `{"id":"t1","id":"t2"}`, "task:t1"), `data: duplicate key "id" at /id`},
		{"malformed room", task("o-5", `{"id":"t1"}`, "task"), `rooms[0]: malformed room "task"`},
		{"no rooms", task("o-6", `{"id":"t1"}`), "rooms: at least one room is required"},
		{"too large", task("o-7", `{"id":"`+strings.Repeat("x", 1024)+`"}`, "task:t1"), "at most 1024 (publish.max_event_bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.emit(t, tc.ev)[0]
			if r.Status != pluginv1.EmitResponse_STATUS_INVALID || !strings.Contains(r.Message, tc.want) {
				t.Fatalf("got %v, want invalid with %q", r, tc.want)
			}
		})
	}
	// Every refused event is counted, but the empty request (no event).
	if n := testutil.ToFloat64(e.in.h.o.Metrics.PluginEventsRejected.WithLabelValues("tasks")); n != 8 {
		t.Fatalf("plugin_events_rejected_total = %v, want 8", n)
	}
}

func TestEmitUnavailable(t *testing.T) {
	e := newEmitter(t)
	// Before the core has read the plugin's event types: retry later.
	schemas := e.in.schemas
	e.in.schemas = nil
	if r := e.emit(t, task("o-1", `{"id":"t1"}`, "task:t1"))[0]; r.Status != pluginv1.EmitResponse_STATUS_UNAVAILABLE ||
		!strings.Contains(r.Message, "plugin tasks is starting") {
		t.Fatalf("starting: %v", r)
	}
	e.in.schemas = schemas
	// Once one event could not be stored, the rest of the stream is not
	// stored either, so that the relay keeps its order.
	e.bus.Close()
	got := e.emit(t, task("o-2", `{"id":"t1"}`, "task:t1"), task("o-3", `{"id":"t1"}`, "task:t1"))
	if got[0].Status != pluginv1.EmitResponse_STATUS_UNAVAILABLE || got[1].Status != pluginv1.EmitResponse_STATUS_UNAVAILABLE ||
		!strings.Contains(got[1].Message, "an earlier event on this stream was not stored") {
		t.Fatalf("bus closed: %v", got)
	}
}
