package test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// A node that fails to start (here: a plugin whose executable is missing)
// stops what it had started — NATS, the transports' sweepers and pollers —
// instead of leaking it into the process that called New.
func TestNewUndoesWhatItStartedOnFailure(t *testing.T) {
	cfg, err := config.Parse([]byte(`plugin "ghost" {
  path = "./no-such-plugin"
}
`), "test.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.Listen = "127.0.0.1:0"
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := core.New(ctx, cfg, nil)
	if err == nil {
		s.Shutdown(ctx)
		t.Fatal("core.New succeeded with a missing plugin executable")
	}
	if !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("error %q does not name the plugin", err)
	}
	poll.Until(t, "the goroutines New started to end", func() bool { return runtime.NumGoroutine() <= before })
}
