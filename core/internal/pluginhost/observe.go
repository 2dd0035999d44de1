package pluginhost

import (
	"context"
	"path"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/switchboard-rt/switchboard/core/telemetry"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
)

// observeCalls times every unary call into the plugin
// (plugin_call_seconds, by method and, for HandleHTTP, route pattern)
// and, with tracing on, wraps it in a client span whose context travels
// to the plugin in the call's metadata (traceparent): the SDK hands it to
// the handler and keeps it with the events the handler emits.
func (in *instance) observeCalls(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	start := time.Now()
	name := path.Base(method)
	route := ""
	if r, ok := req.(*pluginv1.HTTPRequest); ok {
		route = r.Method + " " + r.Pattern
	}
	var span trace.Span
	if tr := in.h.o.Tracer; tr != nil {
		spanName := "plugin " + in.cfg.Name + " " + name
		if route != "" {
			spanName += " " + route
		}
		attrs := []attribute.KeyValue{attribute.String("switchboard.plugin", in.cfg.Name), attribute.String("rpc.method", name)}
		if r, ok := req.(*pluginv1.HTTPRequest); ok {
			attrs = append(attrs, attribute.String("http.route", r.Pattern), attribute.String(telemetry.AttrCorrelation, r.CorrelationId))
		}
		ctx, span = tr.Start(ctx, spanName, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
		md, _ := metadata.FromOutgoingContext(ctx)
		md = md.Copy()
		telemetry.Inject(ctx, metadataCarrier(md))
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	err := invoker(ctx, method, req, reply, cc, opts...)
	if m := in.h.o.Metrics; m != nil {
		m.PluginCall.WithLabelValues(in.cfg.Name, name, route).Observe(time.Since(start).Seconds())
	}
	if span != nil {
		if err != nil {
			span.SetStatus(otelcodes.Error, err.Error())
		}
		span.End()
	}
	return err
}

// metadataCarrier adapts gRPC metadata (lower-case keys) to the
// propagator.
type metadataCarrier metadata.MD

func (c metadataCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c metadataCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// traceEmit starts the span of storing one event a plugin emitted, as a
// child of the request that emitted it (the traceparent the SDK kept with
// the event, through the outbox): the publish carries it on to NATS.
func (in *instance) traceEmit(ctx context.Context, tr trace.Tracer, ev *pluginv1.Event) (context.Context, trace.Span) {
	ctx = telemetry.FromTraceparent(ctx, ev.Traceparent)
	return tr.Start(ctx, "emit "+ev.Type, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("switchboard.plugin", in.cfg.Name), attribute.String("switchboard.type", ev.Type),
		attribute.String("switchboard.event_id", ev.Id), attribute.String(telemetry.AttrCorrelation, ev.CorrelationId)))
}
