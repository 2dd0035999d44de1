package hub

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// directSink is a sink that also writes without blocking: TryWrite takes
// at most take bytes (all when take < 0) or fails with fail. Everything
// written, directly or by Flush, lands in out, in order.
type directSink struct {
	mu      sync.Mutex
	out     bytes.Buffer
	take    int
	fail    error
	tries   int
	flushes int
	reason  chan wire.Reason
}

func newDirectSink(take int) *directSink {
	return &directSink{take: take, reason: make(chan wire.Reason, 1)}
}

func (s *directSink) TryWrite(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.fail != nil {
		return 0, s.fail
	}
	n := len(b)
	if s.take >= 0 && n > s.take {
		n = s.take
	}
	s.out.Write(b[:n])
	return n, nil
}

func (s *directSink) Flush(frames [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushes++
	for _, f := range frames {
		s.out.Write(f)
	}
	return nil
}

func (s *directSink) Interrupt()               {}
func (s *directSink) Disconnect(r wire.Reason) { s.reason <- r }

func (s *directSink) snapshot() (out string, tries, flushes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String(), s.tries, s.flushes
}

func joinDirect(t *testing.T, take int) (*directSink, *memBroker, room.Room) {
	return joinDirectWith(t, take, 128)
}

func joinDirectWith(t *testing.T, take, directWrites int) (*directSink, *memBroker, room.Room) {
	t.Helper()
	b := newMemBroker()
	h := New(Options{Broker: b, DirectWrites: directWrites}) // no presence: the client is idle after joining
	f := h.RegisterFormat("test", testFormat)
	s := newDirectSink(take)
	c := h.NewClient(&auth.Principal{User: "u1"}, f, s, 1<<20)
	r := mustRoom(t, "user:u1")
	if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	return s, b, r
}

// An idle client is written to by the dispatcher itself: no writer
// goroutine, no Flush.
func TestIdleClientIsWrittenDirectly(t *testing.T) {
	s, b, r := joinDirect(t, -1)
	var want string
	for i := range 5 {
		seq := b.store(r, "x", []byte(strconv.Itoa(i)))
		want += "user:u1|" + strconv.FormatUint(seq, 10) + "|" + strconv.Itoa(i)
	}
	out, tries, flushes := s.snapshot()
	if out != want || tries != 5 || flushes != 0 {
		t.Fatalf("got %q after %d direct writes and %d flushes; want %q, 5 and 0", out, tries, flushes, want)
	}
}

// With direct writes off, every frame goes through a writer's Flush.
func TestDirectWritesOff(t *testing.T) {
	s, b, r := joinDirectWith(t, -1, 0)
	b.store(r, "x", []byte("1"))
	poll.Until(t, "flushes == 1", func() bool { _, _, flushes := s.snapshot(); return flushes == 1 })
	if out, tries, _ := s.snapshot(); tries != 0 || out != "user:u1|1|1" {
		t.Fatalf("got %q after %d direct writes; want it flushed, none direct", out, tries)
	}
}

// What a direct write leaves over goes out first, before later frames,
// with nothing lost or doubled.
func TestPartialDirectWriteKeepsOrder(t *testing.T) {
	s, b, r := joinDirect(t, 7)
	var want string
	for i := range 200 {
		seq := b.store(r, "x", []byte(strconv.Itoa(i)))
		want += "user:u1|" + strconv.FormatUint(seq, 10) + "|" + strconv.Itoa(i)
	}
	poll.Until(t, "len(out) >= len(want)", func() bool { out, _, _ := s.snapshot(); return len(out) >= len(want) })
	if out, _, _ := s.snapshot(); out != want {
		t.Fatalf("stream differs:\n got %q\nwant %q", out, want)
	}
}

// A failed direct write ends the connection.
func TestFailedDirectWriteDisconnects(t *testing.T) {
	s, b, r := joinDirect(t, -1)
	s.mu.Lock()
	s.fail = errors.New("broken pipe")
	s.mu.Unlock()
	b.store(r, "x", []byte("1"))
	if got := <-s.reason; got != wire.ReasonWriteErr {
		t.Fatalf("disconnected with %v, want %v", got, wire.ReasonWriteErr)
	}
}
