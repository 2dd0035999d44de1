package telemetry

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
)

const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestNATSHeadersOnlyOnSampledTraces(t *testing.T) {
	h := nats.Header{}
	InjectNATS(context.Background(), h, "c-1")
	if len(h) != 0 {
		t.Fatalf("an untraced context added headers: %v", h)
	}
	unsampled := FromTraceparent(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	InjectNATS(unsampled, h, "c-1")
	if len(h) != 0 {
		t.Fatalf("an unsampled trace added headers: %v", h)
	}
	ctx := FromTraceparent(context.Background(), tp)
	InjectNATS(ctx, h, "c-1")
	if !Traced(h) || h.Get(HeaderTraceparent) != tp || h.Get(HeaderCorrelation) != "c-1" {
		t.Fatalf("headers %v, want traceparent %s and the correlation id", h, tp)
	}
	if got := Traceparent(ExtractNATS(context.Background(), h)); got != tp {
		t.Fatalf("round trip: %q, want %q", got, tp)
	}
}
