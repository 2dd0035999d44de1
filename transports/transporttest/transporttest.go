// Package transporttest is the conformance suite every transport runs: the
// behaviour docs/PROTOCOL.md promises whatever the framing. A transport's
// own test implements Harness (a client of that transport) and calls Run:
//
//	func TestConformance(t *testing.T) { transporttest.Run(t, harness{}) }
//
// Each case starts a real node in-process (core.New through test/testnode:
// embedded NATS, a real socket on 127.0.0.1:0, data under t.TempDir()),
// publishes with the HTTP API and reads what the transport delivers.
package transporttest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// Harness is a client of the transport under test.
type Harness interface {
	// Name is the transport's registered name ("ws").
	Name() string
	// Join connects to n as the user of token and joins rooms, resuming
	// after since when it is not nil. It returns once the node has the
	// client in every room (after the join acknowledgement, or the start
	// of the stream), or a refusal as a *wire.Error with the wire code.
	// The connection must not read from the socket except in Conn.Next.
	Join(t testing.TB, n *testnode.Node, token string, since *uint64, rooms ...string) (Conn, error)
}

// Conn is one client connection made by a Harness.
type Conn interface {
	// Recovered is what the node said of a join with since: false when
	// history no longer reached back that far. True for other joins.
	Recovered() bool
	// Next returns the next event (presence included) within d; an error
	// when the connection ended (ErrEnded) or nothing arrived in time.
	Next(d time.Duration) (Event, error)
	// Close ends the connection from the client's side.
	Close()
}

// ErrEnded is returned by Conn.Next once the node ended the connection
// (wrapped, with the reason, as the transport can tell it).
var ErrEnded = errors.New("transporttest: connection ended")

// Event is one delivered event.
type Event struct {
	Room string
	Seq  uint64 // 0 for presence
	// Event is the CloudEvent envelope.
	Event map[string]any
}

// Type is the event's type.
func (e Event) Type() string { s, _ := e.Event["type"].(string); return s }

// wait bounds every read of the suite.
const wait = testnode.Timeout

// Run runs every case against h.
func Run(t *testing.T, h Harness) {
	cases := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"EventsInOrderWithEnvelope", eventsInOrder},
		{"RefusesForbiddenAndMalformedRooms", refusals},
		{"ResumeHasNoGapNoDuplicate", resume},
		{"ResumeTooOldIsNotRecovered", notRecovered},
		{"SlowConsumerIsCutOff", slowConsumer},
		{"PresenceJoinAndLeave", presence},
		{"ShutdownEndsTheConnection", shutdown},
		{"ExpiredTokenEndsTheConnection", tokenExpiry},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, h) })
	}
}

func start(t *testing.T) *testnode.Node { return testnode.Start(t, testnode.Config(t)) }

func join(t *testing.T, h Harness, n *testnode.Node, token string, since *uint64, rooms ...string) Conn {
	t.Helper()
	c, err := h.Join(t, n, token, since, rooms...)
	if err != nil {
		t.Fatalf("join %v: %v", rooms, err)
	}
	t.Cleanup(c.Close)
	return c
}

// next reads the next event that is not presence.
func next(t *testing.T, c Conn) Event {
	t.Helper()
	for {
		e, err := c.Next(wait)
		if err != nil {
			t.Fatalf("next event: %v", err)
		}
		if e.Seq != 0 {
			return e
		}
	}
}

func eventsInOrder(t *testing.T, h Harness) {
	n := start(t)
	c := join(t, h, n, n.Token("u1", "w1"), nil, "workspace:w1", "user:u1")
	var seqs []uint64
	for i := range 5 {
		room := "workspace:w1"
		if i%2 == 1 {
			room = "user:u1"
		}
		seqs = append(seqs, n.PublishOK("demo.order", map[string]any{"i": i}, room))
	}
	for i, want := range seqs {
		e := next(t, c)
		if e.Seq != want || e.Type() != "demo.order" {
			t.Fatalf("event %d: seq %d type %q, want seq %d demo.order", i, e.Seq, e.Type(), want)
		}
		wantRoom := "workspace:w1"
		if i%2 == 1 {
			wantRoom = "user:u1"
		}
		if e.Room != wantRoom {
			t.Errorf("event %d: room %q, want %q", i, e.Room, wantRoom)
		}
		for _, k := range []string{"specversion", "id", "source", "type", "time", "datacontenttype", "data"} {
			if _, ok := e.Event[k]; !ok {
				t.Errorf("event %d: envelope has no %q: %v", i, k, e.Event)
			}
		}
		if e.Event["specversion"] != "1.0" {
			t.Errorf("specversion = %v", e.Event["specversion"])
		}
		if d, _ := e.Event["data"].(map[string]any); d["i"] != float64(i) {
			t.Errorf("event %d: data %v", i, e.Event["data"])
		}
	}
}

func refusals(t *testing.T, h Harness) {
	n := start(t)
	tok := n.Token("u1", "w1")
	for _, tc := range []struct {
		room string
		code wire.Code
	}{
		{"workspace:w2", wire.Forbidden},
		{"user:u2", wire.Forbidden},
		{"nokind", wire.BadRequest},
		{"workspace:a b", wire.BadRequest},
		{"nosuchkind:x", wire.BadRequest},
	} {
		c, err := h.Join(t, n, tok, nil, tc.room)
		if err == nil {
			c.Close()
			t.Errorf("join %q succeeded, want %s", tc.room, tc.code)
			continue
		}
		var we *wire.Error
		if !errors.As(err, &we) || we.Code != tc.code {
			t.Errorf("join %q: %v, want code %s", tc.room, err, tc.code)
		}
	}
	// Nothing leaks: a refused client joined nothing, an allowed one works.
	c := join(t, h, n, tok, nil, "workspace:w1")
	seq := n.PublishOK("demo.after", 1, "workspace:w1")
	if e := next(t, c); e.Seq != seq {
		t.Errorf("after refusals: seq %d, want %d", e.Seq, seq)
	}
}

func resume(t *testing.T, h Harness) {
	n := start(t)
	tok := n.Token("u1", "w1")
	first := n.PublishOK("demo.r", 1, "workspace:w1")
	second := n.PublishOK("demo.r", 2, "workspace:w1")
	other := n.PublishOK("demo.r", 0, "workspace:w9") // another room: never delivered
	third := n.PublishOK("demo.r", 3, "workspace:w1")
	c := join(t, h, n, tok, &first, "workspace:w1")
	if !c.Recovered() {
		t.Errorf("recovered = false for a since still in history")
	}
	live := n.PublishOK("demo.r", 4, "workspace:w1")
	for _, want := range []uint64{second, third, live} {
		if e := next(t, c); e.Seq != want {
			t.Fatalf("resumed: seq %d, want %d (other room's seq %d)", e.Seq, want, other)
		}
	}
	// No duplicate after the live one.
	last := n.PublishOK("demo.r", 5, "workspace:w1")
	if e := next(t, c); e.Seq != last {
		t.Fatalf("after resume: seq %d, want %d", e.Seq, last)
	}
}

func notRecovered(t *testing.T, h Harness) {
	cfg := testnode.Config(t)
	cfg.History.MaxMsgs = 3
	n := testnode.Start(t, cfg)
	var seqs []uint64
	for i := range 6 {
		seqs = append(seqs, n.PublishOK("demo.old", i, "workspace:w1"))
	}
	c := join(t, h, n, n.Token("u1", "w1"), &seqs[0], "workspace:w1")
	if c.Recovered() {
		t.Fatalf("recovered = true although history keeps 3 of 6 events")
	}
	// What history still has arrives, in order, then live events.
	live := n.PublishOK("demo.old", 6, "workspace:w1")
	prev := seqs[0]
	for {
		e := next(t, c)
		if e.Seq <= prev {
			t.Fatalf("seq %d after %d", e.Seq, prev)
		}
		prev = e.Seq
		if e.Seq == live {
			return
		}
	}
}

func slowConsumer(t *testing.T, h Harness) {
	n := start(t)
	slow := join(t, h, n, n.Token("slow", "w1"), nil, "workspace:w1")
	fast := join(t, h, n, n.Token("fast", "w1"), nil, "workspace:w1")
	cut := n.Server.Metrics().SlowConsumers.WithLabelValues(h.Name())
	payload := fmt.Sprintf("%032768d", 0)
	const maxEvents = 2000 // 64 MiB: far beyond any queue and socket buffers
	before := n.Server.Hub().Clients()
	for sent := 0; ; sent++ {
		if sent == maxEvents {
			t.Fatalf("slow client not cut off after %d events of 32 KiB", sent)
		}
		seq := n.PublishOK("demo.big", payload, "workspace:w1")
		// The fast client gets each event before the next is published:
		// the slow one never holds the room back.
		if e := next(t, fast); e.Seq != seq {
			t.Fatalf("fast client: seq %d, want %d", e.Seq, seq)
		}
		if n.Server.Hub().Clients() < before {
			break
		}
	}
	if v := counterValue(cut); v < 1 {
		t.Errorf("slow_consumers{transport=%q} = %v after the cut", h.Name(), v)
	}
	seq := n.PublishOK("demo.after", 1, "workspace:w1")
	if e := next(t, fast); e.Seq != seq {
		t.Fatalf("fast client after the cut: seq %d, want %d", e.Seq, seq)
	}
	_ = slow // never read: its queue fills
}

func counterValue(c prometheus.Counter) float64 { return testutil.ToFloat64(c) }

func presence(t *testing.T, h Harness) {
	n := start(t)
	a := join(t, h, n, n.Token("u1", "w1"), nil, "workspace:w1")
	b := join(t, h, n, n.Token("u2", "w1"), nil, "workspace:w1")
	waitPresence(t, a, "presence.join", "u2")
	b.Close()
	waitPresence(t, a, "presence.leave", "u2")
}

// waitPresence reads until a presence event of typ for user arrives.
func waitPresence(t *testing.T, c Conn, typ, user string) {
	t.Helper()
	for {
		e, err := c.Next(wait)
		if err != nil {
			t.Fatalf("waiting for %s of %s: %v", typ, user, err)
		}
		if e.Type() != typ {
			continue
		}
		if e.Seq != 0 {
			t.Errorf("%s has seq %d: presence is live only", typ, e.Seq)
		}
		if d, _ := e.Event["data"].(map[string]any); d["userId"] == user {
			if e.Room != "workspace:w1" {
				t.Errorf("%s in room %q", typ, e.Room)
			}
			return
		}
	}
}

func shutdown(t *testing.T, h Harness) {
	n := start(t)
	c := join(t, h, n, n.Token("u1", "w1"), nil, "workspace:w1")
	seq := n.PublishOK("demo.before", 1, "workspace:w1")
	if e := next(t, c); e.Seq != seq {
		t.Fatalf("seq %d, want %d", e.Seq, seq)
	}
	n.Stop()
	for {
		_, err := c.Next(wait)
		if errors.Is(err, ErrEnded) {
			return
		}
		if err != nil {
			t.Fatalf("after shutdown: %v, want ErrEnded", err)
		}
	}
}

// tokenExpiry: a connection whose token expires ends with token_expired
// (WS: error frame and close 4001; SSE: error event, then the end), at exp
// and not before; an event published after exp does not reach it
// (docs/PROTOCOL.md §3.6, §4.3).
func tokenExpiry(t *testing.T, h Harness) {
	n := start(t)
	secret := []byte(n.Cfg.Auth.JWTSecret)
	now := time.Now()
	tok, err := auth.Mint(secret, "u1", []string{"w1"}, 2*time.Second, now)
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(2 * time.Second).Truncate(time.Second) // at least 1 s away
	c := join(t, h, n, tok, nil, "workspace:w1")
	seq := n.PublishOK("demo.before", 1, "workspace:w1")
	if e := next(t, c); e.Seq != seq {
		t.Fatalf("seq %d, want %d", e.Seq, seq)
	}
	for {
		e, err := c.Next(wait)
		if errors.Is(err, ErrEnded) {
			if time.Now().Before(exp) {
				t.Fatalf("ended before exp %s: %v", exp, err)
			}
			if !strings.Contains(err.Error(), string(wire.TokenExpired)) {
				t.Fatalf("ended with %v, want it to say %s", err, wire.TokenExpired)
			}
			return
		}
		if err != nil {
			t.Fatalf("waiting for the expiry: %v, want ErrEnded", err)
		}
		if e.Seq != 0 {
			t.Fatalf("event %d %s after the one published before exp", e.Seq, e.Type())
		}
	}
}
