// Package telemetry is the node's OpenTelemetry tracing: an OTLP/HTTP
// exporter, off unless telemetry.otlp_endpoint is set, and the W3C
// trace context carried across the hops of one command, so that its
// trace follows it from the HTTP request through a plugin, its outbox and
// NATS to each node's delivery:
//
//	HTTP request (server span, attribute correlationid)
//	  → plugin call (client span; traceparent in the gRPC metadata)
//	    → the plugin's handler and outbox (the SDK keeps the context with
//	      each event) → emit (server span, from the event's traceparent)
//	  → history (traceparent and Sb-Correlation-Id in the NATS headers)
//	    → deliver (one consumer span per event per node, not per member)
//
// This package carries the context; core/telemetry/otlp exports the
// spans. Without an endpoint nothing is traced and no header is added: the
// parts that trace hold a nil trace.Tracer and skip the work.
package telemetry
