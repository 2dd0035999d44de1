package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Tracing needs nothing from a plugin author. When the core traces a
// request (its telemetry block), the call into the plugin carries the W3C
// traceparent in its gRPC metadata; the server below puts it in the
// handler's context as a remote span context (a plugin that uses
// OpenTelemetry itself makes its spans children of it), and Emit and Tx
// keep it with each event, through the outbox, so that the core's trace
// of the event's storing and delivery continues the request's.

var w3c = propagation.TraceContext{}

// grpcServer is go-plugin's default server with the trace context read
// from each call's metadata.
func grpcServer(opts []grpc.ServerOption) *grpc.Server {
	return plugin.DefaultGRPCServer(append(opts, grpc.ChainUnaryInterceptor(traceIn)))
}

func traceIn(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("traceparent")) > 0 {
		ctx = w3c.Extract(ctx, propagation.MapCarrier{"traceparent": md.Get("traceparent")[0]})
	}
	return handler(ctx, req)
}

// traced stamps events with ctx's trace context (those that have none);
// it returns events.
func traced(ctx context.Context, events []*Event) []*Event {
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	tp := c["traceparent"]
	if tp == "" {
		return events
	}
	for _, e := range events {
		if e != nil && e.traceparent == "" && e.revoke == nil {
			e.traceparent = tp
		}
	}
	return events
}
