// Package bustest opens a real bus for the unit tests of the packages
// built on it (ingest, api, pluginhost): an embedded NATS server with no
// port and a JetStream store under t.TempDir(), closed when the test ends.
package bustest

import (
	"context"
	"testing"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
)

// Open opens a bus with the default config; name is the NATS server name.
func Open(t testing.TB, name string) *bus.Bus {
	t.Helper()
	cfg := config.DefaultConfig()
	cfg.NATS.ServerName = name
	b, err := bus.Open(context.Background(), bus.Options{NATS: cfg.NATS, History: cfg.History, DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open bus: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}
