// Package otlp exports the node's spans to an OTLP/HTTP collector: the
// tracer provider of core/telemetry, apart so that the parts that only
// carry trace context do not link the exporter.
package otlp

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/switchboard-rt/switchboard/core/telemetry"
)

// Options configure Start (the telemetry block of the config).
type Options struct {
	// Endpoint is the OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318
	// (the path /v1/traces is added when none is given); empty: off.
	Endpoint string
	// SampleRatio is the share of new traces recorded, 0 to 1; a trace
	// begun upstream (a traceparent header) follows its sampled flag.
	SampleRatio float64
	// ServiceName is the service.name resource attribute.
	ServiceName string
	// Headers are sent with every export (an API key of the collector).
	Headers map[string]string
	// Exporter replaces the OTLP exporter (tests); Endpoint is ignored.
	Exporter sdktrace.SpanExporter
}

// Start builds the exporter and provider; with no Endpoint (and no
// Exporter) it returns nil, nil: tracing is off.
func Start(ctx context.Context, o Options) (*telemetry.Telemetry, error) {
	exp := o.Exporter
	if exp == nil {
		if o.Endpoint == "" {
			return nil, nil
		}
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("telemetry: otlp_endpoint %q: want an http:// or https:// URL", o.Endpoint)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/v1/traces"
		}
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(u.String())}
		if len(o.Headers) > 0 {
			opts = append(opts, otlptracehttp.WithHeaders(o.Headers))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("telemetry: otlp exporter %s: %w", o.Endpoint, err)
		}
	}
	name := o.ServiceName
	if name == "" {
		name = "switchboard"
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.SampleRatio))),
	)
	return telemetry.New(tp), nil
}
