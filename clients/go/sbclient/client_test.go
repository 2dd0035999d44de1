package sbclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/poll"
	"github.com/switchboard-rt/switchboard/test/testnode"
)

// recorder collects what a Client reports.
type recorder struct {
	mu     sync.Mutex
	events []sbclient.Event
	joins  []sbclient.Joined
	drops  []error
	notify chan struct{} // a token after each event
	joined chan struct{} // a token after each join
}

func newRecorder() *recorder {
	return &recorder{notify: make(chan struct{}, 1<<16), joined: make(chan struct{}, 1<<16)}
}

func (r *recorder) options(n *testnode.Node, token string, sse bool) sbclient.Options {
	return sbclient.Options{URL: n.URL, Token: token, SSE: sse,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		OnEvent: func(e sbclient.Event) {
			r.mu.Lock()
			r.events = append(r.events, e)
			r.mu.Unlock()
			r.notify <- struct{}{}
		},
		OnJoin: func(j sbclient.Joined) {
			r.mu.Lock()
			r.joins = append(r.joins, j)
			r.mu.Unlock()
			r.joined <- struct{}{}
		},
		OnDisconnect: func(err error, _ time.Duration) {
			r.mu.Lock()
			r.drops = append(r.drops, err)
			r.mu.Unlock()
		},
	}
}

// waitJoins waits until n joins were reported.
func (r *recorder) waitJoins(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(testnode.Timeout)
	for {
		r.mu.Lock()
		got := len(r.joins)
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.joined:
		case <-timeout:
			t.Fatalf("%d joins, want %d", got, n)
		}
	}
}

// stored returns the events with a seq (not presence).
func (r *recorder) stored() []sbclient.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sbclient.Event
	for _, e := range r.events {
		if e.Seq > 0 {
			out = append(out, e)
		}
	}
	return out
}

// waitStored waits until n stored events have arrived.
func (r *recorder) waitStored(t *testing.T, n int) []sbclient.Event {
	t.Helper()
	timeout := time.After(testnode.Timeout)
	for {
		if got := r.stored(); len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-timeout:
			var seqs []string
			for _, e := range r.stored() {
				seqs = append(seqs, fmt.Sprintf("%s@%d", e.Room, e.Seq))
			}
			t.Fatalf("got %d stored events, want %d: %v", len(seqs), n, seqs)
		}
	}
}

func dial(t *testing.T, o sbclient.Options, rooms ...sbclient.Room) *sbclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testnode.Timeout)
	defer cancel()
	c, err := sbclient.Dial(ctx, o, rooms...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		<-c.Done()
	})
	return c
}

func TestClientWebSocket(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	rec := newRecorder()
	c := dial(t, rec.options(n, n.Token("u1", "w1"), false), sbclient.Room{Name: "workspace:w1"})
	seq := n.PublishOK("demo.note", map[string]int{"n": 1}, "workspace:w1")
	got := rec.waitStored(t, 1)
	if e := got[0]; e.Room != "workspace:w1" || e.Seq != seq || e.Type != "demo.note" || !strings.Contains(string(e.Cloud), `"data":{"n":1}`) {
		t.Fatalf("event %+v (%s), want workspace:w1 #%d demo.note", e, e.Cloud, seq)
	}
	if pos, ok := c.Position("workspace:w1"); !ok || pos != seq {
		t.Fatalf("Position = %d, %v; want %d", pos, ok, seq)
	}

	ctx := context.Background()
	// A later join with since replays what the room stored after it.
	before := n.PublishOK("demo.note", map[string]int{"n": 2}, "user:u1")
	after := n.PublishOK("demo.note", map[string]int{"n": 3}, "user:u1")
	if err := c.Join(ctx, "user:u1", &before); err != nil {
		t.Fatalf("Join: %v", err)
	}
	got = rec.waitStored(t, 2)
	if e := got[1]; e.Room != "user:u1" || e.Seq != after {
		t.Fatalf("replayed %+v, want user:u1 #%d", e, after)
	}
	if err := c.Join(ctx, "user:u2", nil); !isCode(err, wire.Forbidden) {
		t.Fatalf("Join user:u2: %v, want a forbidden *JoinError", err)
	}
	if err := c.Leave(ctx, "user:u1"); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	// After Leave and a Ping round trip, user:u1's events no longer come.
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	n.PublishOK("demo.note", map[string]int{"n": 4}, "user:u1")
	last := n.PublishOK("demo.note", map[string]int{"n": 5}, "workspace:w1")
	got = rec.waitStored(t, 3)
	if len(got) != 3 || got[2].Seq != last {
		t.Fatalf("after leave got %v, want workspace:w1 #%d last", got, last)
	}
	c.Close()
	<-c.Done()
	if c.Err() != nil {
		t.Fatalf("Err after Close = %v", c.Err())
	}
	if err := c.Ping(ctx); !errors.Is(err, sbclient.ErrClosed) {
		t.Fatalf("Ping after Close: %v", err)
	}
}

// isCode reports whether err carries a *wire.Error with code.
func isCode(err error, code wire.Code) bool {
	var we *wire.Error
	return errors.As(err, &we) && we.Code == code
}

func TestClientRefused(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	tok := n.Token("u1", "w1")
	for _, tc := range []struct {
		name   string
		token  string
		sse    bool
		rooms  []string
		code   wire.Code
		status int // 0: a refused join, not an HTTP error
	}{
		{"ws bad token", "nope", false, []string{"user:u1"}, wire.Unauthorized, 401},
		{"sse bad token", "nope", true, []string{"user:u1"}, wire.Unauthorized, 401},
		{"ws forbidden", tok, false, []string{"user:u1", "user:u2"}, wire.Forbidden, 0},
		{"sse forbidden", tok, true, []string{"user:u2"}, wire.Forbidden, 403},
		{"ws malformed", tok, false, []string{"nokind"}, wire.BadRequest, 0},
		{"sse malformed", tok, true, []string{"nokind"}, wire.BadRequest, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rooms []sbclient.Room
			for _, r := range tc.rooms {
				rooms = append(rooms, sbclient.Room{Name: r})
			}
			ctx, cancel := context.WithTimeout(context.Background(), testnode.Timeout)
			defer cancel()
			c, err := sbclient.Dial(ctx, sbclient.Options{URL: n.URL, Token: tc.token, SSE: tc.sse}, rooms...)
			if c != nil {
				c.Close()
			}
			if !isCode(err, tc.code) {
				t.Fatalf("Dial: %v, want code %s", err, tc.code)
			}
			var he *sbclient.HTTPError
			var je *sbclient.JoinError
			switch {
			case tc.status != 0 && (!errors.As(err, &he) || he.Status != tc.status):
				t.Fatalf("Dial: %#v, want HTTP %d", err, tc.status)
			case tc.status == 0 && (!errors.As(err, &je) || je.Room != tc.rooms[len(tc.rooms)-1]):
				t.Fatalf("Dial: %#v, want a *JoinError for %s", err, tc.rooms[len(tc.rooms)-1])
			}
		})
	}
}

// cutter is a TCP proxy in front of a node whose connections the test
// cuts, as a failing network or a node closing them would.
type cutter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutter{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *cutter) url() string { return "http://" + p.ln.Addr().String() }

// cut closes every connection through the proxy.
func (p *cutter) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestClientResume cuts the connection again and again while events are
// published: every event arrives once, in order, over both transports.
func TestClientResume(t *testing.T) {
	for _, mode := range []string{"ws", "sse"} {
		t.Run(mode, func(t *testing.T) {
			n := testnode.Start(t, testnode.Config(t))
			p := newCutter(t, strings.TrimPrefix(n.URL, "http://"))
			rec := newRecorder()
			o := rec.options(n, n.Token("u1", "w1"), mode == "sse")
			o.URL = p.url()
			const rooms, total = 2, 30
			var seqs [rooms][]uint64
			// Without since: the join's position is where a reconnect resumes.
			dial(t, o, sbclient.Room{Name: "workspace:w1"}, sbclient.Room{Name: "user:u1"})
			names := [rooms]string{"workspace:w1", "user:u1"}
			cuts := 0
			for i := range total {
				r := i % rooms
				seqs[r] = append(seqs[r], n.PublishOK("demo.note", map[string]int{"n": i}, names[r]))
				switch i % 7 {
				case 3:
					p.cut() // the next events are published while the client is away
					cuts++
				case 5: // back before the next cut
					rec.waitJoins(t, (cuts+1)*rooms)
				}
			}
			got := rec.waitStored(t, total)
			var per [rooms][]uint64
			for _, e := range got {
				for r := range rooms {
					if e.Room == names[r] {
						per[r] = append(per[r], e.Seq)
					}
				}
			}
			for r := range rooms {
				if fmt.Sprint(per[r]) != fmt.Sprint(seqs[r]) {
					t.Errorf("%s: got seqs %v, published %v", names[r], per[r], seqs[r])
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.drops) < cuts {
				t.Fatalf("%d reconnects after %d cuts", len(rec.drops), cuts)
			}
			t.Logf("%d reconnects, first after: %v", len(rec.drops), rec.drops[0])
			for _, j := range rec.joins[rooms:] {
				if j.Since == nil || !j.Recovered {
					t.Errorf("rejoin %+v, want a recovered resume", j)
				}
			}
		})
	}
}

// TestClientSSELastEventID resumes an SSE stream from a given id: only the
// events after it come, then live ones.
func TestClientSSELastEventID(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	first := n.PublishOK("demo.note", map[string]int{"n": 1}, "workspace:w1")
	second := n.PublishOK("demo.note", map[string]int{"n": 2}, "workspace:w1")
	rec := newRecorder()
	dial(t, rec.options(n, n.Token("u1", "w1"), true), sbclient.Room{Name: "workspace:w1", Since: &first})
	third := n.PublishOK("demo.note", map[string]int{"n": 3}, "workspace:w1")
	got := rec.waitStored(t, 2)
	if len(got) != 2 || got[0].Seq != second || got[1].Seq != third {
		t.Fatalf("got %v, want seqs %d and %d", got, second, third)
	}
}

// TestConnFrames uses the frame-level layer as protocol tests do.
func TestConnFrames(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	wsURL, _, err := sbclient.Endpoints(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sbclient.DialWS(ctx, wsURL, sbclient.DialOptions{Token: "nope"}); !isCode(err, wire.Unauthorized) {
		t.Fatalf("DialWS with a bad token: %v", err)
	}
	c, err := sbclient.DialWS(ctx, wsURL, sbclient.DialOptions{Token: n.Token("u1")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Welcome.Op != "welcome" || c.Welcome.User != "u1" || c.Welcome.Conn == "" {
		t.Fatalf("welcome %+v", c.Welcome)
	}
	if err := c.WriteText([]byte(`{"op":"nope","ref":7}`)); err != nil {
		t.Fatal(err)
	}
	f, raw, err := c.ReadFrame()
	if err != nil || f.Err() == nil || f.Err().Code != wire.BadRequest || string(f.Ref) != "7" {
		t.Fatalf("answer %s (%v), want a bad_request error with ref 7", raw, err)
	}
	// A frame over the server's limit closes with 1009.
	if err := c.WriteText([]byte(strings.Repeat("x", 1<<20))); err != nil {
		t.Fatal(err)
	}
	var ce *sbclient.CloseError
	for err == nil {
		_, _, err = c.ReadFrame()
	}
	if !errors.As(err, &ce) || ce.Code != 1009 || ce.Retry() {
		t.Fatalf("after an oversized frame: %v, want close 1009 frame_too_large", err)
	}
}

// TestEndpoints derives endpoints from base URLs.
func TestEndpoints(t *testing.T) {
	for _, tc := range []struct{ in, ws, sse string }{
		{"http://h:1", "ws://h:1/v1/ws", "http://h:1/v1/sse"},
		{"https://h/base/", "wss://h/base/v1/ws", "https://h/base/v1/sse"},
		{"wss://h/p/v1/ws", "wss://h/p/v1/ws", "https://h/p/v1/sse"},
	} {
		w, s, err := sbclient.Endpoints(tc.in)
		if err != nil || w != tc.ws || s != tc.sse {
			t.Errorf("Endpoints(%q) = %q, %q, %v; want %q, %q", tc.in, w, s, err, tc.ws, tc.sse)
		}
	}
	if _, _, err := sbclient.Endpoints("ftp://h"); err == nil {
		t.Error("ftp:// accepted")
	}
}

// On a node that joins rooms on connect, the client's connection is in
// exactly the rooms it was given (the node holds no user:U or other
// workspace room for it), and no event of user:U reaches it.
func TestClientIgnoresRoomsJoinedOnConnect(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.Hub.AutoJoin = []string{"user", "workspace"}
	n := testnode.Start(t, cfg)
	for _, sse := range []bool{false, true} {
		r := newRecorder()
		c := dial(t, r.options(n, n.Token("u1", "w1", "w2"), sse), sbclient.Room{Name: "workspace:w1"})
		r.waitJoins(t, 1)
		if got := n.Server.Hub().Rooms(); got != 1 {
			t.Fatalf("sse=%v: the node holds %d rooms for the client, want workspace:w1 alone", sse, got)
		}
		n.PublishOK("x.user", 1, "user:u1")
		n.PublishOK("x.ws", 2, "workspace:w1")
		if got := r.waitStored(t, 1); got[0].Room != "workspace:w1" {
			t.Fatalf("sse=%v: first event in %s, want workspace:w1 only", sse, got[0].Room)
		}
		c.Close()
		<-c.Done()
		poll.Until(t, "the node to drop the closed client's room", func() bool { return n.Server.Hub().Rooms() == 0 })
	}
}
