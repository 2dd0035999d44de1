package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the instrumentation scope of the node's spans.
const ScopeName = "github.com/switchboard-rt/switchboard"

// Provider is what Telemetry needs of a tracer provider (the OTLP one of
// core/telemetry/otlp, or a test's).
type Provider interface {
	Tracer(name string, opts ...trace.TracerOption) trace.Tracer
	ForceFlush(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// Telemetry is the node's tracing; a nil *Telemetry is off.
type Telemetry struct {
	p Provider
}

// New wraps a provider.
func New(p Provider) *Telemetry { return &Telemetry{p: p} }

// Tracer returns the node's tracer, or nil when t is nil (tracing off).
func (t *Telemetry) Tracer() trace.Tracer {
	if t == nil {
		return nil
	}
	return t.p.Tracer(ScopeName)
}

// Flush exports the spans ended so far.
func (t *Telemetry) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.p.ForceFlush(ctx)
}

// Shutdown exports what is left and stops the provider; safe on nil.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if err := t.p.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shutdown: %w", err)
	}
	return nil
}
