package otlp

import (
	"context"
	"strings"
	"testing"
)

func TestStartOffWithoutEndpoint(t *testing.T) {
	tel, err := Start(context.Background(), Options{SampleRatio: 1})
	if err != nil || tel != nil {
		t.Fatalf("Start without endpoint: %v, %v; want nil, nil (off)", tel, err)
	}
	if tel.Tracer() != nil {
		t.Fatal("a nil Telemetry has a tracer")
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown of nil: %v", err)
	}
}

func TestStartRefusesABadEndpoint(t *testing.T) {
	for _, ep := range []string{"127.0.0.1:4318", "grpc://x:4317", "http://"} {
		_, err := Start(context.Background(), Options{Endpoint: ep})
		if err == nil || !strings.Contains(err.Error(), "otlp_endpoint") {
			t.Errorf("Start(%q): %v, want an otlp_endpoint error", ep, err)
		}
	}
}
