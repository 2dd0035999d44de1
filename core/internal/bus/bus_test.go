package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/core/room"
)

const timeout = 10 * time.Second

// open starts a bus on an embedded, non-listening NATS server with its
// store under t.TempDir(); edit changes the default options first.
func open(t *testing.T, edit func(*Options)) *Bus {
	t.Helper()
	def := config.DefaultConfig()
	o := Options{NATS: def.NATS, History: def.History, DataDir: t.TempDir()}
	if edit != nil {
		edit(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	b, err := Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

func mustRoom(t *testing.T, s string) room.Room {
	t.Helper()
	r, err := room.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// publish stores one event per room and returns the acks.
func publish(t *testing.T, b *Bus, msgs ...Message) []Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	acks, err := b.Publish(ctx, msgs...)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return acks
}

func msg(r room.Room, id string, n int) Message {
	return Message{Room: r, MsgID: id, Type: "demo.note", Data: fmt.Appendf(nil, `{"n":%d}`, n)}
}

func TestPublishDedup(t *testing.T) {
	b := open(t, nil)
	a, w := mustRoom(t, "project:a"), mustRoom(t, "workspace:w")
	acks := publish(t, b, msg(a, "e1", 1), msg(w, "e1-w", 1))
	if len(acks) != 2 || acks[0].Seq != 1 || acks[1].Seq != 2 || acks[0].Duplicate || acks[1].Duplicate {
		t.Fatalf("acks %+v, want seqs 1 and 2, no duplicate", acks)
	}
	// The same ids again: stored once, answered with the original seqs.
	again := publish(t, b, msg(a, "e1", 1), msg(w, "e1-w", 1))
	if again[0] != (Ack{Seq: 1, Duplicate: true}) || again[1] != (Ack{Seq: 2, Duplicate: true}) {
		t.Fatalf("republished acks %+v, want duplicates of 1 and 2", again)
	}
	// No id: no deduplication.
	plain := publish(t, b, msg(a, "", 2), msg(a, "", 2))
	if plain[0].Seq != 3 || plain[1].Seq != 4 || plain[0].Duplicate || plain[1].Duplicate {
		t.Fatalf("acks without ids %+v, want 3 and 4", plain)
	}
	pos, err := b.Position(context.Background())
	if err != nil || pos != (Position{First: 1, Last: 4}) {
		t.Fatalf("Position = %+v, %v; want 1..4", pos, err)
	}
	b.Close()
	if _, err := b.Publish(context.Background(), msg(a, "", 3)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close: %v, want ErrClosed", err)
	}
	if err := b.Ready(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ready after Close: %v, want ErrClosed", err)
	}
}

// collect returns a subscription callback that sends each message as Live.
func collect() (func(*nats.Msg), chan Live) {
	ch := make(chan Live, 64)
	return func(m *nats.Msg) { ch <- ParseLive(m) }, ch
}

func next(t *testing.T, ch chan Live) Live {
	t.Helper()
	select {
	case l := <-ch:
		return l
	case <-time.After(timeout):
		t.Fatal("no live message")
		return Live{}
	}
}

func TestLiveRepublish(t *testing.T) {
	b := open(t, nil)
	a, c := mustRoom(t, "project:a"), mustRoom(t, "task:c.1")
	cb, ch := collect()
	for _, r := range []room.Room{a, c} {
		sub, err := b.SubscribeLive(r, cb, nil)
		if err != nil {
			t.Fatalf("SubscribeLive: %v", err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	// Stored events come live with their seq, across rooms in seq order.
	acks := publish(t, b, msg(a, "", 1), msg(c, "", 2), msg(a, "", 3))
	for i, ack := range acks {
		l := next(t, ch)
		want := []room.Room{a, c, a}[i]
		if l.Seq != ack.Seq || l.Subject != want.LiveSubject() || l.Type != "demo.note" || string(l.Data) != fmt.Sprintf(`{"n":%d}`, i+1) {
			t.Fatalf("live %d = %+v (%s), want seq %d on %s", i, l, l.Data, ack.Seq, want.LiveSubject())
		}
	}
	// A live-only message has no seq and is not stored.
	if err := b.PublishLive(a, "presence.join", []byte(`{"userId":"u1"}`)); err != nil {
		t.Fatal(err)
	}
	if l := next(t, ch); l.Seq != 0 || l.Type != "presence.join" {
		t.Fatalf("live-only message %+v, want presence.join without seq", l)
	}
	if pos, _ := b.Position(context.Background()); pos.Last != 3 {
		t.Fatalf("history last = %d after a live-only message, want 3", pos.Last)
	}
}

func TestReplayMerged(t *testing.T) {
	b := open(t, nil)
	a, w, x := mustRoom(t, "project:a"), mustRoom(t, "workspace:w"), mustRoom(t, "user:x")
	var want []uint64
	for i := range 12 {
		r := []room.Room{a, w, x}[i%3]
		ack := publish(t, b, msg(r, "", i))[0]
		if r != w && ack.Seq > 4 {
			want = append(want, ack.Seq)
		}
	}
	ctx := context.Background()
	var got []uint64
	last, err := b.Replay(ctx, []room.Room{x, a}, 4, 12, func(l Live) error {
		if _, err := room.FromSubject(l.Subject); err != nil || l.Type != "demo.note" {
			t.Errorf("replayed %+v", l)
		}
		got = append(got, l.Seq)
		return nil
	})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) || last != want[len(want)-1] {
		t.Fatalf("Replay after 4 = %v, last %d, %v; want %v", got, last, err, want)
	}
	// Nothing after since: fn is not called and since comes back.
	if last, err := b.Replay(ctx, []room.Room{a}, 12, 12, func(Live) error { t.Error("called"); return nil }); err != nil || last != 12 {
		t.Fatalf("empty Replay = %d, %v; want 12", last, err)
	}
	// fn's error stops the replay at that event.
	stop := errors.New("stop")
	if last, err := b.Replay(ctx, []room.Room{a, w, x}, 0, 12, func(l Live) error {
		if l.Seq == 3 {
			return stop
		}
		return nil
	}); !errors.Is(err, stop) || last != 3 {
		t.Fatalf("Replay stopped = %d, %v; want 3, stop", last, err)
	}
}

// TestReplayUntil: a replay stops at until, in every room, even while
// events are stored meanwhile. Before it had a bound, a room whose cursor
// had ended missed the event stored meanwhile (4 below) while another
// room's cursor went past it (to 5): the join took 5 as replayed in every
// room and dropped the live copy of 4 (an SSE resume of two rooms lost
// it).
func TestReplayUntil(t *testing.T) {
	b := open(t, nil)
	a, w := mustRoom(t, "project:a"), mustRoom(t, "workspace:w")
	publish(t, b, msg(a, "", 1))
	publish(t, b, msg(w, "", 2))
	publish(t, b, msg(w, "", 3))
	var got []uint64
	last, err := b.Replay(context.Background(), []room.Room{a, w}, 0, 3, func(l Live) error {
		got = append(got, l.Seq)
		if l.Seq == 2 { // a's cursor has ended; w's is at 3
			publish(t, b, msg(a, "", 4))
			publish(t, b, msg(w, "", 5))
		}
		return nil
	})
	if err != nil || fmt.Sprint(got) != "[1 2 3]" || last != 3 {
		t.Fatalf("Replay(0, until 3) = %v, last %d, %v; want [1 2 3], last 3", got, last, err)
	}
	// Stored events past until are left to live delivery.
	got = nil
	if last, err := b.Replay(context.Background(), []room.Room{a, w}, 1, 4, func(l Live) error {
		got = append(got, l.Seq)
		return nil
	}); err != nil || fmt.Sprint(got) != "[2 3 4]" || last != 4 {
		t.Fatalf("Replay(1, until 4) = %v, last %d, %v; want [2 3 4], last 4", got, last, err)
	}
}

func TestPositionCovers(t *testing.T) {
	for _, tc := range []struct {
		pos   Position
		since uint64
		want  bool
	}{
		{Position{0, 0}, 0, true},   // empty history, nothing missed
		{Position{0, 0}, 5, false},  // a since from another (newer) history
		{Position{1, 10}, 0, true},  // everything still there
		{Position{1, 10}, 10, true}, // up to date
		{Position{1, 10}, 11, false},
		{Position{5, 10}, 4, true}, // the next event (5) is the first kept
		{Position{5, 10}, 3, false},
		{Position{11, 10}, 10, true}, // all dropped by retention, none missed
	} {
		if got := tc.pos.Covers(tc.since); got != tc.want {
			t.Errorf("%+v.Covers(%d) = %v, want %v", tc.pos, tc.since, got, tc.want)
		}
	}
	// Retention moves First: a since before it is no longer covered.
	b := open(t, func(o *Options) { o.History.MaxMsgs = 3 })
	a := mustRoom(t, "project:a")
	for i := range 5 {
		publish(t, b, msg(a, "", i))
	}
	pos, err := b.Position(context.Background())
	if err != nil || pos != (Position{First: 3, Last: 5}) {
		t.Fatalf("Position = %+v, %v; want 3..5", pos, err)
	}
	if pos.Covers(1) || !pos.Covers(2) {
		t.Fatalf("%+v covers 1: %v, 2: %v; want false, true", pos, pos.Covers(1), pos.Covers(2))
	}
}

func TestControl(t *testing.T) {
	b := open(t, nil)
	a := mustRoom(t, "project:a")
	cb, ch := collect()
	sub, err := b.SubscribeLive(a, cb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := b.SubscribeControl("revoke", cb); err != nil {
		t.Fatal(err)
	}
	// A control message sent after an event was stored comes after it.
	ack := publish(t, b, msg(a, "", 1))[0]
	if err := b.PublishControl("revoke", []byte(`{"rooms":["project:a"]}`)); err != nil {
		t.Fatal(err)
	}
	if l := next(t, ch); l.Seq != ack.Seq {
		t.Fatalf("first = %+v, want the event #%d", l, ack.Seq)
	}
	if l := next(t, ch); l.Subject != controlPrefix+"revoke" || string(l.Data) != `{"rooms":["project:a"]}` {
		t.Fatalf("second = %+v, want the control message", l)
	}
}

// Concurrent Position calls share requests, and each still sees every
// event stored before it was called.
func TestPositionSharedSeesEarlierEvents(t *testing.T) {
	b := open(t, nil)
	a := mustRoom(t, "project:a")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				acks, err := b.Publish(context.Background(), msg(a, "", g*100+i))
				if err != nil {
					errs <- err
					return
				}
				pos, err := b.Position(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if pos.Last < acks[0].Seq {
					errs <- fmt.Errorf("Position().Last = %d after storing %d", pos.Last, acks[0].Seq)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkPosition: positions asked by 64 concurrent joins, shared
// (Position) against one stream info request each (readPosition, what
// every join did before).
func BenchmarkPosition(b *testing.B) {
	bus := openB(b)
	for _, c := range []struct {
		name string
		fn   func(context.Context) (Position, error)
	}{{"shared", bus.Position}, {"each", bus.readPosition}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetParallelism(32) // 64 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.fn(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func openB(b *testing.B) *Bus {
	def := config.DefaultConfig()
	o := Options{NATS: def.NATS, History: def.History, DataDir: b.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	bs, err := Open(ctx, o)
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(bs.Close)
	return bs
}
