package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/poll"
)

// memBroker is an in-memory Broker: live messages go straight to the
// room's callback; there is no history.
type memBroker struct {
	mu     sync.Mutex
	subs   map[string]func(*nats.Msg)
	seq    uint64
	posErr error // Position fails with it (history unavailable)
}

func newMemBroker() *memBroker { return &memBroker{subs: map[string]func(*nats.Msg){}} }

type memSub struct {
	b    *memBroker
	subj string
}

func (s memSub) Unsubscribe() error {
	s.b.mu.Lock()
	delete(s.b.subs, s.subj)
	s.b.mu.Unlock()
	return nil
}

func (b *memBroker) SubscribeLive(r room.Room, cb func(*nats.Msg), _ func()) (interface{ Unsubscribe() error }, error) {
	b.mu.Lock()
	b.subs[r.LiveSubject()] = cb
	b.mu.Unlock()
	return memSub{b, r.LiveSubject()}, nil
}

func (b *memBroker) PublishLive(r room.Room, typ string, data []byte) error {
	b.deliver(r, typ, data, 0)
	return nil
}

// store "stores" an event: it gets the next seq and goes live.
func (b *memBroker) store(r room.Room, typ string, data []byte) uint64 {
	b.mu.Lock()
	b.seq++
	seq := b.seq
	b.mu.Unlock()
	b.deliver(r, typ, data, seq)
	return seq
}

func (b *memBroker) deliver(r room.Room, typ string, data []byte, seq uint64) {
	b.mu.Lock()
	cb := b.subs[r.LiveSubject()]
	b.mu.Unlock()
	if cb == nil {
		return
	}
	m := nats.NewMsg(r.LiveSubject())
	m.Header.Set(bus.HeaderType, typ)
	if seq > 0 {
		m.Header.Set("Nats-Sequence", strconv.FormatUint(seq, 10))
		// JetStream stamps a republished message with its storing time.
		m.Header.Set("Nats-Time-Stamp", time.Now().UTC().Format(time.RFC3339Nano))
	}
	m.Data = data
	cb(m)
}

func (b *memBroker) Position(context.Context) (bus.Position, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.posErr != nil {
		return bus.Position{}, b.posErr
	}
	return bus.Position{First: 1, Last: b.seq}, nil
}

func (b *memBroker) Replay(_ context.Context, _ []room.Room, since, _ uint64, _ func(bus.Live) error) (uint64, error) {
	return since, nil
}

// sink records what the hub writes.
type sink struct {
	mu      sync.Mutex
	flushes [][][]byte
	frames  atomic.Int64
	gate    chan struct{} // when set, Flush waits for it
	reason  chan wire.Reason
}

func newSink() *sink { return &sink{reason: make(chan wire.Reason, 1)} }

func (s *sink) Flush(frames [][]byte) error {
	if s.gate != nil {
		<-s.gate
	}
	cp := make([][]byte, len(frames))
	copy(cp, frames)
	s.mu.Lock()
	s.flushes = append(s.flushes, cp)
	s.mu.Unlock()
	s.frames.Add(int64(len(frames)))
	return nil
}
func (s *sink) Interrupt()               {}
func (s *sink) Disconnect(r wire.Reason) { s.reason <- r }

var testFormat = EncoderFunc(func(ev *Event) []byte {
	return []byte(fmt.Sprintf("%s|%d|%s", ev.Room, ev.Seq, ev.Data))
})

func newTestHub(t testing.TB) (*Hub, *memBroker, Format) {
	b := newMemBroker()
	h := New(Options{Broker: b, Presence: true})
	f := h.RegisterFormat("test", testFormat)
	return h, b, f
}

func mustRoom(t testing.TB, s string) room.Room {
	r, err := room.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Frames queued while a write is in flight go out together in one Flush.
func TestQueuedFramesAreCoalesced(t *testing.T) {
	h, b, f := newTestHub(t)
	s := newSink()
	s.gate = make(chan struct{})
	c := h.NewClient(&auth.Principal{User: "u1"}, f, s, 1<<20)
	r := mustRoom(t, "user:u1")
	if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		b.store(r, "x", []byte(strconv.Itoa(i)))
	}
	close(s.gate) // the first Flush holds one frame, the rest were queued behind it
	poll.Until(t, "s.frames.Load() >= 11", func() bool { return s.frames.Load() >= 11 })
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flushes) > 3 {
		t.Fatalf("%d flushes for 11 frames; want the queued ones coalesced", len(s.flushes))
	}
}

// A client whose queue overflows is cut off with wire.ReasonSlow; the room's
// other member gets everything, and the slow one's frames stop.
func TestOverflowCutsOffOnlyTheSlowClient(t *testing.T) {
	h, b, f := newTestHub(t)
	slow, fast := newSink(), newSink()
	slow.gate = make(chan struct{}) // never writes
	r := mustRoom(t, "workspace:w1")
	p := &auth.Principal{User: "u1", Workspaces: []string{"w1"}}
	cs := h.NewClient(p, f, slow, 64)
	cf := h.NewClient(p, f, fast, 1<<20)
	for _, c := range []*Client{cs, cf} {
		if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		b.store(r, "x", []byte("0123456789"))
	}
	close(slow.gate)
	select {
	case reason := <-slow.reason:
		if reason != wire.ReasonSlow {
			t.Fatalf("reason %+v", reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("slow client not disconnected")
	}
	poll.Until(t, "fast.frames.Load() >= 100", func() bool { return fast.frames.Load() >= 100 })
	<-cs.Done()
	if cs.RoomCount() != 0 {
		t.Fatal("cut-off client still in its room")
	}
}

func TestPresenceCountsConnectionsPerUser(t *testing.T) {
	h, _, f := newTestHub(t)
	r := mustRoom(t, "workspace:w1")
	watch := newSink()
	w := h.NewClient(&auth.Principal{User: "watcher"}, f, watch, 1<<20)
	if err := w.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{User: "u2"}
	c1 := h.NewClient(p, f, newSink(), 1<<20)
	c2 := h.NewClient(p, f, newSink(), 1<<20)
	for _, c := range []*Client{c1, c2} {
		if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c1.Close(wire.ReasonNormal)
	<-c1.Done()
	if err := c2.Leave(r); err != nil {
		t.Fatal(err)
	}
	// watcher: its own join, u2's join (once), u2's leave (once).
	poll.Until(t, "watch.frames.Load() >= 3", func() bool { return watch.frames.Load() >= 3 })
	var got []string
	watch.mu.Lock()
	for _, fl := range watch.flushes {
		for _, fr := range fl {
			got = append(got, string(fr))
		}
	}
	watch.mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("presence frames %q", got)
	}
}

func TestRoomSubscriptionIsRefCounted(t *testing.T) {
	h, b, f := newTestHub(t)
	r := mustRoom(t, "user:u1")
	p := &auth.Principal{User: "u1"}
	c1 := h.NewClient(p, f, newSink(), 1<<20)
	c2 := h.NewClient(p, f, newSink(), 1<<20)
	for _, c := range []*Client{c1, c2} {
		if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	subs := func() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.subs) }
	if subs() != 1 || h.Rooms() != 1 {
		t.Fatalf("subs %d rooms %d", subs(), h.Rooms())
	}
	_ = c1.Leave(r)
	if subs() != 1 {
		t.Fatal("unsubscribed while a member remains")
	}
	_ = c2.Leave(r)
	if subs() != 0 || h.Rooms() != 0 {
		t.Fatalf("after last leave: subs %d rooms %d", subs(), h.Rooms())
	}
}

func TestPresenceSkippedInLargeRooms(t *testing.T) {
	b := newMemBroker()
	h := New(Options{Broker: b, Presence: true, PresenceMaxMembers: 1})
	f := h.RegisterFormat("test", testFormat)
	r := mustRoom(t, "workspace:w1")
	first := newSink()
	c1 := h.NewClient(&auth.Principal{User: "u1"}, f, first, 1<<20)
	c2 := h.NewClient(&auth.Principal{User: "u2"}, f, newSink(), 1<<20)
	for _, c := range []*Client{c1, c2} {
		if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// u1's own join (room of 1) is announced; u2's (room of 2) is not.
	b.store(r, "x", []byte("marker"))
	poll.Until(t, "first.frames.Load() >= 2", func() bool { return first.frames.Load() >= 2 })
	first.mu.Lock()
	defer first.mu.Unlock()
	var got []string
	for _, fl := range first.flushes {
		for _, fr := range fl {
			got = append(got, string(fr))
		}
	}
	if len(got) != 2 || !strings.HasSuffix(got[1], "marker") {
		t.Fatalf("frames %q: want u1's presence.join then the marker", got)
	}
}

// A join while history is unavailable (its stream electing a leader) is
// refused as unavailable, which clients retry, and leaves no member.
func TestJoinWhileHistoryIsUnavailable(t *testing.T) {
	h, b, f := newTestHub(t)
	b.posErr = errors.New("nats: stream info: context deadline exceeded")
	c := h.NewClient(&auth.Principal{User: "u1"}, f, newSink(), 1<<20)
	err := c.Join(context.Background(), []room.Room{mustRoom(t, "user:u1")}, JoinOptions{})
	if e := wire.As(err); e.Code != wire.Unavailable {
		t.Fatalf("join = %v, want unavailable", err)
	}
	if c.RoomCount() != 0 || h.Rooms() != 0 {
		t.Fatalf("a refused join left %d rooms", c.RoomCount())
	}
	b.posErr = nil
	if err := c.Join(context.Background(), []room.Room{mustRoom(t, "user:u1")}, JoinOptions{}); err != nil {
		t.Fatalf("the same join once history is back: %v", err)
	}
}

// recordSink records what the hub tells a PresenceSink.
type recordSink struct {
	mu  sync.Mutex
	got []string
}

func (s *recordSink) Arrive(r room.Room, u string, _ auth.Display) { s.add("arrive " + u) }
func (s *recordSink) Depart(r room.Room, u string)                 { s.add("depart " + u) }
func (s *recordSink) add(e string)                                 { s.mu.Lock(); s.got = append(s.got, e); s.mu.Unlock() }

// A user whose arrival was announced has their departure announced too,
// even if the room has grown past presence_max_members meanwhile (the
// cluster-wide state would otherwise keep them present for good); a user
// who arrived in a large room is never announced.
func TestPresenceDepartureFollowsAnnouncedArrival(t *testing.T) {
	sink := &recordSink{}
	h := New(Options{Broker: newMemBroker(), Presence: true, PresenceMaxMembers: 1})
	h.SetPresenceSink(sink)
	f := h.RegisterFormat("test", testFormat)
	r := mustRoom(t, "workspace:w1")
	c1 := h.NewClient(&auth.Principal{User: "u1"}, f, newSink(), 1<<20)
	c2 := h.NewClient(&auth.Principal{User: "u2"}, f, newSink(), 1<<20)
	for _, c := range []*Client{c1, c2} {
		if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_ = c1.Leave(r) // announced on arrival (room of 1), leaves a room of 2
	_ = c2.Leave(r) // never announced
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if want := []string{"arrive u1", "depart u1"}; !slices.Equal(sink.got, want) {
		t.Fatalf("sink told %q, want %q", sink.got, want)
	}
}

// The dispatcher delivers nothing to a client whose token's deadline has
// passed, even before the expiry timer (which may fire late) ends it.
func TestNoDeliveryPastTheTokenDeadline(t *testing.T) {
	h, b, f := newTestHub(t)
	s := newSink()
	c := h.NewClient(&auth.Principal{User: "u1", Expires: time.Now().Add(time.Hour)}, f, s, 1<<20)
	r := mustRoom(t, "user:u1")
	if err := c.Join(context.Background(), []room.Room{r}, JoinOptions{}); err != nil {
		t.Fatal(err)
	}
	b.store(r, "x", []byte("before"))
	c.ends.Store(time.Now().Add(-time.Millisecond).UnixNano()) // the deadline passed; the timer has not fired yet
	b.store(r, "x", []byte("after"))
	c.ends.Store(0)
	b.store(r, "x", []byte("marker"))
	frames := func() []string {
		s.mu.Lock()
		defer s.mu.Unlock()
		var out []string
		for _, fl := range s.flushes {
			for _, fr := range fl {
				out = append(out, string(fr))
			}
		}
		return out
	}
	poll.Until(t, "the marker", func() bool {
		got := frames()
		return len(got) > 0 && strings.HasSuffix(got[len(got)-1], "marker")
	})
	got := frames()
	if !slices.ContainsFunc(got, func(g string) bool { return strings.HasSuffix(g, "before") }) {
		t.Fatalf("frames %q: the event before the deadline is missing", got)
	}
	for _, g := range got {
		if strings.HasSuffix(g, "after") {
			t.Fatalf("frames %q: an event dispatched past the deadline was delivered", got)
		}
	}
}

// A room counts its users' connections by scanning its members while it is
// small and with a map once it grows past smallRoom: across the switch a
// user with two connections arrives once and departs once, when the last
// one goes, and every other user arrives and departs once.
func TestPresenceCountsAcrossSmallRoomSize(t *testing.T) {
	h, _, f := newTestHub(t)
	rs := &roomState{name: "workspace:w1"}
	arrived, departed := map[string]int{}, map[string]int{}
	newMember := func(user string) *member {
		return &member{c: h.NewClient(&auth.Principal{User: user}, f, newSink(), 1<<20), rs: rs}
	}
	add := func(mb *member) {
		u := mb.c.Principal().User
		rs.add(mb, func() { arrived[u]++ })
	}
	remove := func(mb *member) {
		u := mb.c.Principal().User
		rs.remove(mb, func() { departed[u]++ })
	}
	twin1, twin2 := newMember("twin"), newMember("twin")
	add(twin1)
	var others []*member
	for i := range 2 * smallRoom {
		mb := newMember("u" + strconv.Itoa(i))
		others = append(others, mb)
		add(mb)
		if i == smallRoom/2 {
			add(twin2) // the second connection joins while the room is small
		}
	}
	if rs.users == nil {
		t.Fatalf("a room of %d members counts without a map", len(rs.members))
	}
	remove(twin1) // in the large room: twin still has twin2
	for _, mb := range others {
		remove(mb)
	}
	if departed["twin"] != 0 {
		t.Fatal("twin departed with a connection left")
	}
	remove(twin2)
	if arrived["twin"] != 1 || departed["twin"] != 1 {
		t.Fatalf("twin arrived %d and departed %d times, want once each", arrived["twin"], departed["twin"])
	}
	for i := range 2 * smallRoom {
		u := "u" + strconv.Itoa(i)
		if arrived[u] != 1 || departed[u] != 1 {
			t.Fatalf("%s arrived %d and departed %d times, want once each", u, arrived[u], departed[u])
		}
	}
	// Small again, without the map: the count comes from the members.
	rs2 := &roomState{name: "workspace:w2"}
	a, b := newMember("v"), newMember("v")
	a.rs, b.rs = rs2, rs2
	n := 0
	rs2.add(a, func() { n++ })
	rs2.add(b, func() { n++ })
	rs2.remove(a, func() { n-- })
	if n != 1 || rs2.users != nil {
		t.Fatalf("small room: %d announced, users map %v; want 1 and none", n, rs2.users)
	}
}
