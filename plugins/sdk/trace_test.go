package sdk

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/uptrace/bun"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

const testTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// traceCore is a fakeCore that records each event's traceparent.
func traceCore() (*fakeCore, func() map[string]string) {
	var mu sync.Mutex
	seen := map[string]string{}
	core := &fakeCore{answer: func(ev *pluginv1.Event, _ int) pluginv1.EmitResponse_Status {
		mu.Lock()
		seen[ev.Type] = ev.Traceparent
		mu.Unlock()
		return pluginv1.EmitResponse_STATUS_OK
	}}
	return core, func() map[string]string {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]string{}
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}

// The trace context of a call into the plugin (gRPC metadata) reaches
// the handler's context, and rides every event emitted under it through
// the outbox (Tx and Emit) to the core; an untraced call adds none.
func TestTraceContextRidesTheOutbox(t *testing.T) {
	core, seen := traceCore()
	h, _ := revokingHost(t, core)

	// A real gRPC server with the SDK's interceptor, as sdk.Serve makes;
	// its handler emits in a Tx and directly.
	var handlerErr error
	srv := grpcServer(nil)
	pluginv1.RegisterPluginServer(srv, &ctxPlugin{got: func(ctx context.Context) {
		handlerErr = h.Tx(ctx, func(ctx context.Context, tx bun.Tx, emit func(...*Event)) error {
			emit(NewEvent("t.in_tx", 1).To("project:p1"))
			return nil
		})
		if handlerErr == nil {
			handlerErr = h.Emit(ctx, NewEvent("t.emitted", 1).To("project:p1"))
		}
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", testTraceparent)
	if _, err := pluginv1.NewPluginClient(conn).HandleHTTP(ctx, &pluginv1.HTTPRequest{}); err != nil {
		t.Fatal(err)
	}

	if handlerErr != nil {
		t.Fatal(handlerErr)
	}
	if err := h.Emit(context.Background(), NewEvent("t.untraced", 1).To("project:p1")); err != nil {
		t.Fatal(err)
	}
	core.waitStored(t, 3)
	got := seen()
	for typ, want := range map[string]string{"t.in_tx": testTraceparent, "t.emitted": testTraceparent, "t.untraced": ""} {
		if got[typ] != want {
			t.Errorf("%s: traceparent %q, want %q", typ, got[typ], want)
		}
	}
}

// ctxPlugin hands the context of its HandleHTTP to got.
type ctxPlugin struct {
	pluginv1.UnimplementedPluginServer
	got func(context.Context)
}

func (p *ctxPlugin) HandleHTTP(ctx context.Context, _ *pluginv1.HTTPRequest) (*pluginv1.HTTPResponse, error) {
	p.got(ctx)
	return &pluginv1.HTTPResponse{Status: 204}, nil
}
