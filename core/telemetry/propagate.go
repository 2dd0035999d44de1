package telemetry

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The W3C trace context is carried the same way on every hop, whatever
// the global propagator of the process is.
var w3c = propagation.TraceContext{}

const (
	// HeaderTraceparent is the W3C header carrying a span context (also
	// on NATS messages and in gRPC metadata, lower-cased there).
	HeaderTraceparent = "traceparent"
	// HeaderCorrelation carries an event's correlation id on a traced
	// NATS message, beside its traceparent.
	HeaderCorrelation = "Sb-Correlation-Id"
	// AttrCorrelation is the span attribute of the correlation id.
	AttrCorrelation = "switchboard.correlationid"
)

// natsCarrier adapts nats.Header (exact-case keys) to the propagator.
type natsCarrier nats.Header

func (c natsCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c natsCarrier) Set(key, value string) { c[key] = []string{value} }

func (c natsCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// InjectNATS writes ctx's span context, and the correlation id, into h
// when ctx is traced (its span is sampled); otherwise h is left alone, so
// an untraced message carries no extra bytes.
func InjectNATS(ctx context.Context, h nats.Header, correlation string) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() || !sc.IsSampled() {
		return
	}
	w3c.Inject(ctx, natsCarrier(h))
	if correlation != "" {
		h[HeaderCorrelation] = []string{correlation}
	}
}

// Traced reports whether h carries a trace context.
func Traced(h nats.Header) bool { return h != nil && len(h[HeaderTraceparent]) > 0 }

// ExtractNATS returns ctx with the remote span context h carries.
func ExtractNATS(ctx context.Context, h nats.Header) context.Context {
	return w3c.Extract(ctx, natsCarrier(h))
}

// Inject writes ctx's span context into any carrier (HTTP headers, gRPC
// metadata); Extract reads it back.
func Inject(ctx context.Context, c propagation.TextMapCarrier) { w3c.Inject(ctx, c) }

// Extract returns ctx with the remote span context c carries.
func Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return w3c.Extract(ctx, c)
}

// Traceparent is ctx's span context as a traceparent value ("" when ctx
// is not traced), for carrying it where no carrier fits (an event).
func Traceparent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	return c[HeaderTraceparent]
}

// FromTraceparent returns ctx with the remote span context of a
// traceparent value ("" leaves ctx as it is).
func FromTraceparent(ctx context.Context, tp string) context.Context {
	if tp == "" {
		return ctx
	}
	return w3c.Extract(ctx, propagation.MapCarrier{HeaderTraceparent: tp})
}
