package hub

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// lazyRoom is a hub with presence flushed after flush, and u0 in
// workspace:w1 with its own presence.join written to s.
func lazyRoom(t *testing.T, flush time.Duration, direct int) (h *Hub, b *memBroker, f Format, r room.Room, s *sink, c *Client) {
	t.Helper()
	b = newMemBroker()
	h = New(Options{Broker: b, Presence: true, PresenceFlush: flush, DirectWrites: direct})
	f = h.RegisterFormat("test", testFormat)
	r = mustRoom(t, "workspace:w1")
	s = newSink()
	c = h.NewClient(&auth.Principal{User: "u0"}, f, s, 1<<20)
	if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "u0's own presence.join", func() bool { return s.frames.Load() == 1 })
	return h, b, f, r, s, c
}

// joinUsers joins users u1..un to r, each on a client of its own.
func joinUsers(t *testing.T, h *Hub, f Format, r room.Room, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		o := h.NewClient(&auth.Principal{User: fmt.Sprint("u", i)}, f, newSink(), 1<<20)
		if err := o.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// Presence frames wait in the queue (PresenceFlush); the next frame that
// wakes a writer takes them along, in one Flush, in order.
func TestPresenceFramesGoWithTheNextWrite(t *testing.T) {
	h, b, f, r, s, _ := lazyRoom(t, time.Hour, 128)
	joinUsers(t, h, f, r, 5)
	b.store(r, "x", []byte("after"))
	poll.Until(t, "the five joins and the event", func() bool { return s.frames.Load() == 7 })
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flushes) != 2 {
		t.Fatalf("%d flushes, want 2 (u0's join, then the rest together)", len(s.flushes))
	}
	var got []string
	for _, fr := range s.flushes[1] {
		got = append(got, string(fr))
	}
	want := []string{"u1", "u2", "u3", "u4", "u5", "after"}
	if len(got) != len(want) {
		t.Fatalf("second flush %q", got)
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Fatalf("second flush %q: want the joins of u1..u5 then the event, in order", got)
		}
	}
}

// With nothing else to write, presence frames go out once PresenceFlush
// has passed, together.
func TestPresenceFramesFlushAfterTheDelay(t *testing.T) {
	h, _, f, r, s, _ := lazyRoom(t, 20*time.Millisecond, 0)
	start := time.Now()
	joinUsers(t, h, f, r, 5)
	poll.Until(t, "the five joins", func() bool { return s.frames.Load() == 6 })
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("presence frames took %v", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flushes) > 3 {
		t.Fatalf("%d flushes for 6 frames; want the presence frames written together", len(s.flushes))
	}
}

// PresenceFlush 0 writes each presence frame at once.
func TestPresenceFlushOff(t *testing.T) {
	b := newMemBroker()
	h := New(Options{Broker: b, Presence: true, PresenceFlush: 0})
	f := h.RegisterFormat("test", testFormat)
	r := mustRoom(t, "workspace:w1")
	s := newSink()
	s.gate = make(chan struct{})
	close(s.gate)
	c := h.NewClient(&auth.Principal{User: "u0"}, f, s, 1<<20)
	if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	o := h.NewClient(&auth.Principal{User: "u1"}, f, newSink(), 1<<20)
	if err := o.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "u1's join, written without waiting", func() bool { return s.frames.Load() == 2 })
}

// countSink counts Flush calls and frames; it never blocks.
type countSink struct{ flushes, frames *atomic.Int64 }

func (s countSink) Flush(frames [][]byte) error {
	s.flushes.Add(1)
	s.frames.Add(int64(len(frames)))
	return nil
}
func (countSink) Interrupt()             {}
func (countSink) Disconnect(wire.Reason) {}

// BenchmarkRoomFill fills rooms of 100 members, presence on, the way 10,000
// clients connecting into 100 rooms do (joins round-robin over the rooms),
// and reports the writes (Flush calls: a system call each on a real
// connection) per presence frame delivered, with presence frames written
// at once (flush=off) and lazily. (The time per op includes waiting for
// the lazy flush; the load tool measures the time to connect.)
func BenchmarkRoomFill(b *testing.B) {
	const rooms, members = 10, 100
	for _, delay := range []time.Duration{0, 250 * time.Millisecond} {
		name := "flush=off"
		if delay > 0 {
			name = "flush=" + delay.String()
		}
		b.Run(name, func(b *testing.B) {
			var flushes, frames atomic.Int64
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			for i := 0; i < b.N; i++ {
				br := newMemBroker()
				h := New(Options{Broker: br, Presence: true, PresenceFlush: delay, DirectWrites: 128})
				f := h.RegisterFormat("test", testFormat)
				rs := make([]room.Room, rooms)
				for k := range rs {
					rs[k] = mustRoom(b, fmt.Sprint("workspace:w", k))
				}
				cs := make([]*Client, 0, rooms*members)
				for j := 0; j < rooms*members; j++ {
					c := h.NewClient(&auth.Principal{User: fmt.Sprint("u", j)}, f, countSink{&flushes, &frames}, 1<<30)
					if err := c.Join(context.Background(), rs[j%rooms:j%rooms+1], JoinOptions{}); err != nil {
						b.Fatal(err)
					}
					cs = append(cs, c)
				}
				want := int64(rooms * members * (members + 1) / 2)
				for frames.Load() < want*int64(i+1) {
					runtime.Gosched()
				}
				for _, c := range cs {
					c.Close(wire.ReasonShutdown)
				}
			}
			runtime.ReadMemStats(&ms1)
			joins := float64(b.N * rooms * members)
			b.ReportMetric(float64(flushes.Load())/float64(frames.Load()), "writes/frame")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/joins, "allocs/join")
		})
	}
}

// A room is quiet after quietFactor delays without presence, or after
// maxQuiet, whichever is shorter: with a long delay, someone arriving now
// and then is still shown at once.
func TestPresenceQuietRoom(t *testing.T) {
	for _, c := range []struct {
		delay, since time.Duration
		burst        bool
	}{
		{250 * time.Millisecond, 900 * time.Millisecond, true},
		{250 * time.Millisecond, 1100 * time.Millisecond, false},
		{100 * time.Millisecond, 300 * time.Millisecond, true},
		{100 * time.Millisecond, 500 * time.Millisecond, false},
		{time.Second, 900 * time.Millisecond, true},
		{time.Second, 1500 * time.Millisecond, false}, // 4 s without the cap
		{0, 0, false},
	} {
		lf := &lazyFlusher{delay: c.delay}
		rs := &roomState{}
		rs.lastPresence.Store(time.Now().Add(-c.since).UnixNano())
		if got := lf.burst(rs); got != c.burst {
			t.Errorf("delay %v, last presence %v ago: burst %v, want %v", c.delay, c.since, got, c.burst)
		}
	}
}

// A burst of presence frames grows the client's queue; once they are
// written and the client is idle, it keeps at most keptQueue slots.
func TestIdleClientLetsGoOfItsBurstQueue(t *testing.T) {
	h, b, f, r, s, c := lazyRoom(t, time.Hour, 0)
	const n = 100
	joinUsers(t, h, f, r, n)
	poll.Until(t, "the joins to wait in u0's queue", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.queue) == n
	})
	b.store(r, "x", []byte("after")) // wakes the writer: all go out together
	poll.Until(t, "the joins and the event", func() bool { return s.frames.Load() == n+2 })
	poll.Until(t, "the writer to end", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !c.writing
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if cap(c.queue) > keptQueue || cap(c.spare) > keptQueue {
		t.Fatalf("idle client keeps %d + %d queue slots, want at most %d each", cap(c.queue), cap(c.spare), keptQueue)
	}
}
