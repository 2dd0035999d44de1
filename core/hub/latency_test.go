package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
)

// histCount reads the sample count of a histogram series.
func histCount(t *testing.T, o prometheus.Observer) uint64 {
	t.Helper()
	var m dto.Metric
	if err := o.(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// publish_to_write is observed once per event on this node, not once per
// member, and only once the frame is written; join_seconds once per join.
func TestPublishToWriteOncePerEvent(t *testing.T) {
	h, b, f := newTestHub(t)
	r := mustRoom(t, "workspace:w1")
	counted := make(chan int, 1<<12)
	const members, events = 20, 5
	for i := range members {
		c := h.NewClient(&auth.Principal{User: fmt.Sprint("u", i), Workspaces: []string{"w1"}}, f, &discard{n: counted}, 1<<20)
		if err := c.Enter(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	hist := h.metrics.PublishToWrite.WithLabelValues("test")
	if n := histCount(t, hist); n != 0 {
		t.Fatalf("observed %d before any event", n)
	}
	// waitCount waits until the histogram has counted want.
	waitCount := func(want uint64) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for histCount(t, hist) < want {
			select {
			case <-counted:
			case <-deadline:
				t.Fatalf("publish_to_write observed %d times, want %d", histCount(t, hist), want)
			case <-time.After(time.Millisecond):
			}
		}
	}
	// One event at a time: each is timed once, whatever the members.
	for i := range events {
		b.store(r, "t.e", []byte(`{}`))
		waitCount(uint64(i + 1))
	}
	// A burst that writers coalesce: at most once per event.
	for range events {
		b.store(r, "t.e", []byte(`{}`))
	}
	waitCount(events + 1)
	if n := histCount(t, hist); n > 2*events {
		t.Fatalf("publish_to_write observed %d times for %d events to %d members, want at most %d", n, 2*events, members, 2*events)
	}
	if n := histCount(t, h.joined[f]); n != members {
		t.Fatalf("join_seconds{result=ok} counted %d, want %d", n, members)
	}
}
