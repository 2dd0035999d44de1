package sbclient_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/ws"
)

// TestClientResumeAfterSlowCut stalls the caller until the server cuts the
// connection off as a slow consumer; the client reconnects and resumes,
// and the caller gets every event once, in order.
func TestClientResumeAfterSlowCut(t *testing.T) {
	cfg := testnode.Config(t)
	ws.ConfigOf(cfg).QueueBytes = 64 << 10
	n := testnode.Start(t, cfg)
	rec := newRecorder()
	o := rec.options(n, n.Token("u1", "w1"), false)
	gate := make(chan struct{})
	record := o.OnEvent
	o.OnEvent = func(e sbclient.Event) {
		<-gate // the first event holds the reader until the server has cut it off
		record(e)
	}
	dial(t, o, sbclient.Room{Name: "workspace:w1"})

	cut := n.Server.Metrics().SlowConsumers.WithLabelValues("ws")
	payload := strings.Repeat("x", 32<<10)
	var seqs []uint64
	for len(seqs) < 4000 && testutil.ToFloat64(cut) == 0 {
		seqs = append(seqs, n.PublishOK("x.big", payload, "workspace:w1"))
	}
	if testutil.ToFloat64(cut) != 1 {
		t.Fatalf("not cut off after %d events of 32 KiB", len(seqs))
	}
	close(gate)
	// Published while the client is away or resuming.
	for range 3 {
		seqs = append(seqs, n.PublishOK("x.after", 1, "workspace:w1"))
	}
	got := rec.waitStored(t, len(seqs))
	var gotSeqs []uint64
	for _, e := range got {
		gotSeqs = append(gotSeqs, e.Seq)
	}
	if fmt.Sprint(gotSeqs) != fmt.Sprint(seqs) {
		t.Fatalf("got %d events %v\nwant %d %v", len(gotSeqs), gotSeqs, len(seqs), seqs)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.drops) == 0 {
		t.Fatal("no reconnect after the cut")
	}
	var ce *sbclient.CloseError
	if errors.As(rec.drops[0], &ce) && (ce.Code != 1008 || ce.Reason != "slow_consumer") {
		t.Fatalf("closed with %v, want 1008 slow_consumer", ce)
	}
	t.Logf("cut after %d events; the client saw: %v", len(seqs)-3, rec.drops[0])
}
