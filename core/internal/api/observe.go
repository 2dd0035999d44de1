package api

import (
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchboard-rt/switchboard/core/metrics"
	"github.com/switchboard-rt/switchboard/core/telemetry"
)

// serveObserved serves one request that is not a stream, timing it in
// http_request_seconds by route pattern (never the raw path: the
// label's values are bounded by the routes), method and status class,
// and, with tracing on, in a server span that continues a caller's
// traceparent and carries the correlation id.
func (a *API) serveObserved(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var span trace.Span
	if a.o.Tracer != nil {
		ctx := telemetry.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span = a.o.Tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		r = r.WithContext(ctx)
	}
	sw := &statusWriter{ResponseWriter: w}
	a.mux.ServeHTTP(sw, r)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	route := routeOf(r.Pattern) // set by the mux on r
	a.o.Metrics.HTTPRequest.WithLabelValues(route, methodLabel(r.Method), metrics.CodeClass(sw.status)).
		Observe(time.Since(start).Seconds())
	if span != nil {
		corr := w.Header().Get("X-Correlation-Id")
		if corr == "" {
			corr = r.Header.Get("X-Correlation-Id")
		}
		span.SetName(r.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", sw.status),
			attribute.String(telemetry.AttrCorrelation, corr))
		if sw.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.status))
		}
		span.End()
	}
}

// routeOf is the label of a mux pattern: its path, "unmatched" for what
// no route serves.
func routeOf(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	return pattern
}

// methodLabel bounds the method label to the methods routes serve.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter records the status a handler answers with. Unwrap lets
// http.ResponseController reach the connection (deadlines, flushes).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		// http.MaxBytesReader tells the server, through the writer it was
		// given, that a body was cut off so that it does not read the
		// rest; through this wrapper it cannot, and closing does the same.
		if code == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
