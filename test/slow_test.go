package test

import (
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/ws"
)

// A client that stops reading is cut off once its queue overflows, while
// another member of the same room receives every event in order.
func TestSlowConsumerIsCutOffFastOneKeepsUp(t *testing.T) {
	cfg := testnode.Config(t)
	ws.ConfigOf(cfg).QueueBytes = 256 << 10
	cfg.Publish.MaxEventBytes = 64 << 10
	n := testnode.Start(t, cfg)
	slow := n.DialWS(n.Token("slow", "w1"))
	slow.Join("workspace:w1")
	if tc, ok := slow.Conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096) // keep the kernel from absorbing much
	}
	fast := n.DialWS(n.Token("fast", "w1"))
	fast.Join("workspace:w1")

	slowCut := n.Server.Metrics().SlowConsumers.WithLabelValues("ws")
	payload := strings.Repeat("x", 32<<10)
	const maxEvents = 2000 // 64 MiB: far beyond queue and socket buffers
	sent := 0
	for ; sent < maxEvents && testutil.ToFloat64(slowCut) == 0; sent++ {
		seq := n.PublishOK("x.big", payload, "workspace:w1")
		// The fast client receives each event before the next is published.
		if f := fast.NextEvent(); f.Seq != seq {
			t.Fatalf("fast client: got seq %d, want %d", f.Seq, seq)
		}
	}
	t.Logf("cut after %d events", sent)
	if testutil.ToFloat64(slowCut) != 1 {
		t.Fatalf("slow client not cut off after %d events of 32 KiB", sent)
	}
	// The fast client keeps receiving after the cut.
	seq := n.PublishOK("x.after", 1, "workspace:w1")
	if f := fast.NextEvent(); f.Seq != seq {
		t.Fatalf("fast client after the cut: %+v", f)
	}
	// The server let go of the slow connection: only the fast one is left.
	poll.Until(t, "the slow client to be unregistered", func() bool { return n.Server.Hub().Clients() == 1 })
}

func testutilValue(c interface{ Desc() *prometheus.Desc }) float64 {
	return testutil.ToFloat64(c.(prometheus.Collector))
}
