package testnode

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATS is a standalone NATS server with JetStream for fault tests: a node
// configured with its URL uses it as an external cluster, and the test can
// stop and restart it (same port, same store) to cut the node off.
type NATS struct {
	t    testing.TB
	dir  string
	port int
	S    *server.Server
}

// StartNATS starts a server on a random loopback port with its store in a
// temporary directory.
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	n := &NATS{t: t, dir: t.TempDir(), port: -1}
	n.Restart()
	t.Cleanup(n.Stop)
	return n
}

// URL is the client URL.
func (n *NATS) URL() string { return n.S.ClientURL() }

// Stop shuts the server down (idempotent).
func (n *NATS) Stop() {
	if n.S != nil {
		n.S.Shutdown()
		n.S.WaitForShutdown()
		n.S = nil
	}
}

// Restart starts the server again on the same port and store.
func (n *NATS) Restart() {
	n.t.Helper()
	n.Stop()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: n.port, JetStream: true, StoreDir: n.dir,
		NoSigs: true, NoLog: true, ServerName: "testnode"})
	if err != nil {
		n.t.Fatalf("nats: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		n.t.Fatal("nats: not ready")
	}
	n.S = s
	n.port = s.Addr().(*net.TCPAddr).Port
}
