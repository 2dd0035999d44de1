// Package testnode starts real Switchboard nodes in tests (embedded NATS,
// real sockets on random ports, data under t.TempDir()) and talks to them
// as a client would: WebSocket, SSE and the HTTP API.
package testnode

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core"
	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/schema/hclconf"
	_ "github.com/switchboard-rt/switchboard/transports/standard" // nodes serve ws and sse
)

// Timeout bounds every wait in these helpers.
const Timeout = 10 * time.Second

// Config returns the default config with a private data dir and a random
// loopback port.
func Config(t testing.TB) *config.Config {
	t.Helper()
	cfg := config.DefaultConfig()
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.ShutdownTimeout = hclconf.Duration(5 * time.Second)
	return cfg
}

// Node is a running node.
type Node struct {
	t      testing.TB
	Cfg    *config.Config
	Server *core.Server
	URL    string // http://127.0.0.1:PORT
}

// Logger is quiet unless SWITCHBOARD_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("SWITCHBOARD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// Start starts a node with cfg and stops it when the test ends.
func Start(t testing.TB, cfg *config.Config) *Node {
	t.Helper()
	return StartLogged(t, cfg, Logger())
}

// StartLogged is Start with the node's logger, for tests that read the log.
func StartLogged(t testing.TB, cfg *config.Config, log *slog.Logger) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := core.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	return Adopt(t, cfg, s)
}

// Adopt starts serving s (made by core.New with cfg) and stops it when the
// test ends.
func Adopt(t testing.TB, cfg *config.Config, s *core.Server) *Node {
	t.Helper()
	if err := s.Start(nil); err != nil {
		t.Fatalf("Start: %v", err)
	}
	n := &Node{t: t, Cfg: cfg, Server: s, URL: "http://" + s.Addr().String()}
	t.Cleanup(func() { n.Stop() })
	return n
}

// Stop shuts the node down.
func (n *Node) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Server.Shutdown(ctx); err != nil {
		n.t.Errorf("Shutdown: %v", err)
	}
}

// Token mints a token for sub in workspaces, valid for an hour.
func (n *Node) Token(sub string, workspaces ...string) string {
	n.t.Helper()
	tok, err := auth.Mint([]byte(n.Cfg.Auth.JWTSecret), sub, workspaces, time.Hour, time.Now())
	if err != nil {
		n.t.Fatalf("Mint: %v", err)
	}
	return tok
}

// Publish posts body (marshalled unless it is []byte) to /v1/publish with
// the first configured API key and returns the status and body.
func (n *Node) Publish(body any) (int, []byte) {
	n.t.Helper()
	return n.Do("POST", "/v1/publish", body, map[string]string{"X-Api-Key": n.Cfg.Auth.APIKeys[0]})
}

// PublishOK publishes one event and returns its seq in room rooms[0].
func (n *Node) PublishOK(typ string, data any, rooms ...string) uint64 {
	n.t.Helper()
	st, b := n.Publish(map[string]any{"rooms": rooms, "type": typ, "data": data})
	if st != http.StatusOK {
		n.t.Fatalf("publish: %d %s", st, b)
	}
	var res struct{ Seqs map[string]uint64 }
	if err := json.Unmarshal(b, &res); err != nil {
		n.t.Fatalf("publish answer %s: %v", b, err)
	}
	return res.Seqs[rooms[0]]
}

// Do sends an HTTP request to the node.
func (n *Node) Do(method, path string, body any, hdr map[string]string) (int, []byte) {
	n.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			n.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, n.URL+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: Timeout}
	resp, err := c.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// ConfigHCL parses src as a config file named test.hcl (so plugin blocks
// and their config are real), then gives it a private data dir and a
// random loopback port.
func ConfigHCL(t testing.TB, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(src), "test.hcl")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.ShutdownTimeout = hclconf.Duration(5 * time.Second)
	return cfg
}
