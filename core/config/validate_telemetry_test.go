package config_test

import (
	"strings"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
)

func TestValidateTelemetry(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(c *config.Config)
		want string // "" valid
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"endpoint", func(c *config.Config) { c.Telemetry.OTLPEndpoint = "https://otel.example.com:4318/v1/traces" }, ""},
		{"endpoint not a URL", func(c *config.Config) { c.Telemetry.OTLPEndpoint = "127.0.0.1:4318" }, "telemetry: otlp_endpoint: must be an http:// or https:// URL"},
		{"ratio above 1", func(c *config.Config) { c.Telemetry.SampleRatio = 1.5 }, "telemetry: sample_ratio: must be between 0 and 1"},
		{"ratio negative", func(c *config.Config) { c.Telemetry.SampleRatio = -0.1 }, "telemetry: sample_ratio: must be between 0 and 1"},
		{"no service name", func(c *config.Config) { c.Telemetry.ServiceName = "" }, "telemetry: service_name: must be set"},
		{"pprof", func(c *config.Config) { c.Server.PprofListen = "127.0.0.1:6060" }, ""},
		{"pprof not host:port", func(c *config.Config) { c.Server.PprofListen = "6060" }, "server: pprof_listen: must be host:port"},
		{"pprof on the main port", func(c *config.Config) { c.Server.PprofListen = c.Server.Listen }, "server: pprof_listen: must differ from listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.DefaultConfig()
			tc.set(c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true,
		":6060": false, "0.0.0.0:6060": false, "10.0.0.1:6060": false, "bad": false} {
		if got := config.Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
