package hub

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// errorLog keeps the message and stack of every error record.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	s := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "stack" {
			s += "\n" + a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	l.msgs = append(l.msgs, s)
	l.mu.Unlock()
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

func (l *errorLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

func waitReason(t *testing.T, s *sink, want wire.Reason, who string) {
	t.Helper()
	select {
	case r := <-s.reason:
		if r != want {
			t.Fatalf("%s closed with %+v, want %+v", who, r, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s not closed after the panic", who)
	}
}

// A panic while dispatching an event (here an encoder's) closes the
// connections of that room with internal_error so they resume with since,
// is logged with its stack and counted, and the dispatcher goes on: other
// rooms keep receiving events (issue 7 finding 8).
func TestDispatchPanicClosesTheRoomAndGoesOn(t *testing.T) {
	b := newMemBroker()
	el := &errorLog{}
	h := New(Options{Broker: b, Logger: slog.New(el)})
	f := h.RegisterFormat("test", testFormat)
	var boom atomic.Bool
	pf := h.RegisterFormat("boom", EncoderFunc(func(ev *Event) []byte {
		if boom.Load() {
			panic("injected encoder panic")
		}
		return testFormat(ev)
	}))
	p := &auth.Principal{User: "u1"}
	r1, r2 := mustRoom(t, "user:u1"), mustRoom(t, "broadcast:all")
	sa, sb, sc := newSink(), newSink(), newSink()
	a, bb, c := h.NewClient(p, pf, sa, 1<<20), h.NewClient(p, f, sb, 1<<20), h.NewClient(p, f, sc, 1<<20)
	for _, j := range []struct {
		c *Client
		r room.Room
	}{{a, r1}, {bb, r1}, {c, r2}} {
		if err := j.c.Join(context.Background(), []room.Room{j.r}, JoinOptions{}); err != nil {
			t.Fatalf("join %s: %v", j.r, err)
		}
	}
	boom.Store(true)
	b.store(r1, "x", []byte("skipped")) // dispatched on this goroutine: it must not panic here
	waitReason(t, sa, wire.ReasonInternal, "the client whose encoder panicked")
	waitReason(t, sb, wire.ReasonInternal, "the other member of the room")
	b.store(r2, "x", []byte("after"))
	poll.Until(t, "the event of the other room delivered after the panic", func() bool { return sc.frames.Load() == 1 })
	if got := testutil.ToFloat64(h.Metrics().Panics.WithLabelValues("hub_dispatch")); got != 1 {
		t.Errorf("switchboard_panics_total{where=hub_dispatch} = %v, want 1", got)
	}
	if got := sb.frames.Load(); got != 0 {
		t.Errorf("the room's other member got %d frames of the skipped event, want 0", got)
	}
	logs := el.all()
	if len(logs) != 1 || !strings.Contains(logs[0], "panic dispatching") || !strings.Contains(logs[0], "(*Hub).dispatch") {
		t.Errorf("error log %q, want one record with the dispatch stack", logs)
	}
}

// panicSink panics in Flush, as a buggy transport's writer would.
type panicSink struct{ *sink }

func (panicSink) Flush([][]byte) error { panic("injected flush panic") }

// A panic in a sink's Flush (the writer goroutine: SSE writes there) is a
// failed write: only that client is closed, the panic is logged with its
// stack and counted, and the room's other members keep receiving.
func TestWriterPanicClosesOnlyThatClient(t *testing.T) {
	b := newMemBroker()
	el := &errorLog{}
	h := New(Options{Broker: b, Logger: slog.New(el)}) // no direct writes: every frame goes through a writer
	f := h.RegisterFormat("test", testFormat)
	p := &auth.Principal{User: "u1"}
	r := mustRoom(t, "user:u1")
	bad, good := panicSink{newSink()}, newSink()
	cb, cg := h.NewClient(p, f, bad, 1<<20), h.NewClient(p, f, good, 1<<20)
	for _, c := range []*Client{cb, cg} {
		if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	b.store(r, "x", []byte("one"))
	waitReason(t, bad.sink, wire.ReasonWriteErr, "the client whose sink panicked")
	b.store(r, "x", []byte("two"))
	poll.Until(t, "both events at the healthy client", func() bool { return good.frames.Load() == 2 })
	if got := testutil.ToFloat64(h.Metrics().Panics.WithLabelValues("hub_writer")); got != 1 {
		t.Errorf("switchboard_panics_total{where=hub_writer} = %v, want 1", got)
	}
	if logs := el.all(); len(logs) != 1 || !strings.Contains(logs[0], "(*Client).flush") {
		t.Errorf("error log %q, want one record with the writer's stack", logs)
	}
}
