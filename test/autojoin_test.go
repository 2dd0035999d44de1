package test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// rawWS is a bare WebSocket client that sees every frame as the server
// sent it, the welcome's rooms included.
type rawWS struct {
	t  *testing.T
	nc net.Conn
	r  io.Reader
}

type autoFrame struct {
	Op        string   `json:"op"`
	Ref       string   `json:"ref"`
	Room      string   `json:"room"`
	Rooms     []string `json:"rooms"`
	Seq       *uint64  `json:"seq"`
	Recovered *bool    `json:"recovered"`
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	Event     struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"event"`
}

// dialRaw connects to the node's WebSocket with token and extra query.
func dialRaw(t *testing.T, n *testnode.Node, token, query string) *rawWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testnode.Timeout)
	defer cancel()
	nc, br, _, err := ws.Dial(ctx, n.WSURL()+"?token="+token+query)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawWS{t: t, nc: nc, r: nc}
	if br != nil {
		c.r = io.MultiReader(br, nc) // it may hold the first frame already
	}
	return c
}

func (c *rawWS) send(s string) {
	c.t.Helper()
	if err := wsutil.WriteClientText(c.nc, []byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawWS) next() autoFrame {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(testnode.Timeout))
	for {
		b, op, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{c.r, c.nc})
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if op != ws.OpText {
			continue
		}
		var f autoFrame
		if err := json.Unmarshal(b, &f); err != nil {
			c.t.Fatalf("frame %s: %v", b, err)
		}
		return f
	}
}

// nextStored skips presence events and returns the next other frame.
func (c *rawWS) nextStored() autoFrame {
	c.t.Helper()
	for {
		if f := c.next(); f.Op != "event" || !strings.HasPrefix(f.Event.Type, "presence.") {
			return f
		}
	}
}

func autoJoinNode(t *testing.T) *testnode.Node {
	cfg := testnode.Config(t)
	cfg.Hub.AutoJoin = []string{"user", "workspace"}
	return testnode.Start(t, cfg)
}

// TestWSAutoJoin: with hub.auto_join a connection is in user:{sub} and its
// workspaces' rooms from the welcome on, which lists them with the
// position to resume from; an explicit join of one of them is an ok
// (once), not an error; a room outside them is joined as always.
func TestWSAutoJoin(t *testing.T) {
	n := autoJoinNode(t)
	before := n.PublishOK("demo.note", map[string]int{"n": 0}, "workspace:w9") // history is not empty at the connect
	c := dialRaw(t, n, n.Token("u1", "w1", "w2"), "")
	w := c.next()
	if w.Op != "welcome" || strings.Join(w.Rooms, ",") != "user:u1,workspace:w1,workspace:w2" || w.Seq == nil || *w.Seq != before {
		t.Fatalf("welcome %+v, want the three rooms and a seq", w)
	}
	seq := n.PublishOK("demo.note", map[string]int{"n": 1}, "workspace:w2")
	if f := c.nextStored(); f.Op != "event" || f.Room != "workspace:w2" || *f.Seq != seq {
		t.Fatalf("got %+v, want the event %d of workspace:w2 without a join", f, seq)
	}
	c.send(`{"op":"join","room":"workspace:w1","ref":"a"}`)
	if f := c.nextStored(); f.Op != "ok" || f.Ref != "a" || f.Seq == nil || *f.Seq != *w.Seq {
		t.Fatalf("explicit join of an auto-joined room: %+v, want ok with the welcome's seq %d", f, *w.Seq)
	}
	c.send(`{"op":"join","room":"workspace:w1","ref":"b"}`)
	if f := c.nextStored(); f.Op != "error" || f.Code != "bad_request" || !strings.Contains(f.Message, "already in room") {
		t.Fatalf("second explicit join: %+v, want already in room", f)
	}
	c.send(`{"op":"join","room":"workspace:w2","ref":"c","since":` + itoa(seq-1) + `}`)
	if f := c.nextStored(); f.Op != "ok" || f.Recovered == nil || !*f.Recovered {
		t.Fatalf("explicit join with since after the connect: %+v, want recovered", f)
	}
	c.send(`{"op":"join","room":"user:u1","ref":"d","since":0}`)
	if f := c.nextStored(); f.Op != "ok" || f.Recovered == nil || *f.Recovered {
		t.Fatalf("explicit join with a since before the connect: %+v, want recovered false (events before it were not delivered)", f)
	}
	c.send(`{"op":"leave","room":"user:u1","ref":"e"}`)
	if f := c.nextStored(); f.Op != "ok" {
		t.Fatalf("leave: %+v", f)
	}
	c.send(`{"op":"join","room":"user:u1","ref":"f"}`)
	if f := c.nextStored(); f.Op != "ok" || f.Ref != "f" {
		t.Fatalf("rejoin after leave: %+v", f)
	}
}

// TestWSAutoJoinResumes: since on the URL resumes the auto-joined rooms:
// the events after it are replayed before live ones, and the welcome says
// recovered.
func TestWSAutoJoinResumes(t *testing.T) {
	n := autoJoinNode(t)
	first := n.PublishOK("demo.note", map[string]int{"n": 1}, "user:u1")
	second := n.PublishOK("demo.note", map[string]int{"n": 2}, "workspace:w1")
	n.PublishOK("demo.note", map[string]int{"n": 3}, "workspace:w9") // not u1's
	c := dialRaw(t, n, n.Token("u1", "w1"), "&since="+itoa(first-1))
	w := c.next()
	if w.Op != "welcome" || len(w.Rooms) != 2 || w.Recovered == nil || !*w.Recovered || w.Seq != nil {
		t.Fatalf("welcome %+v, want two rooms, recovered", w)
	}
	for _, want := range []uint64{first, second} {
		if f := c.nextStored(); f.Op != "event" || *f.Seq != want {
			t.Fatalf("got %+v, want the replayed event %d", f, want)
		}
	}
	live := n.PublishOK("demo.note", map[string]int{"n": 4}, "user:u1")
	if f := c.nextStored(); f.Op != "event" || *f.Seq != live {
		t.Fatalf("got %+v, want the live event %d", f, live)
	}
	if st, b := n.Do("GET", "/v1/ws?since=x&token="+n.Token("u1"), nil, nil); st != 400 || !strings.Contains(string(b), "since") {
		t.Fatalf("since=x: %d %s, want 400 naming since", st, b)
	}
	if st, b := n.Do("GET", "/v1/ws?autojoin=2&token="+n.Token("u1"), nil, nil); st != 400 || !strings.Contains(string(b), "autojoin") {
		t.Fatalf("autojoin=2: %d %s, want 400 naming autojoin", st, b)
	}
	// autojoin=0: this connection joins only what it names.
	c = dialRaw(t, n, n.Token("u1", "w1"), "&autojoin=0")
	if w := c.next(); w.Op != "welcome" || w.Rooms != nil {
		t.Fatalf("welcome with autojoin=0: %+v, want no rooms", w)
	}
	n.PublishOK("demo.note", map[string]int{"n": 5}, "user:u1")
	c.send(`{"op":"ping","ref":"p"}`)
	if f := c.next(); f.Op != "pong" {
		t.Fatalf("got %+v before the pong: autojoin=0 should join nothing", f)
	}
}

// TestWSWithoutAutoJoin: by default (hub.auto_join = []) the welcome is
// as before, without rooms, and nothing is joined.
func TestWSWithoutAutoJoin(t *testing.T) {
	n := testnode.Start(t, testnode.Config(t))
	c := dialRaw(t, n, n.Token("u1", "w1"), "")
	if w := c.next(); w.Op != "welcome" || w.Rooms != nil || w.Seq != nil {
		t.Fatalf("welcome %+v, want no rooms", w)
	}
	n.PublishOK("demo.note", map[string]int{"n": 1}, "user:u1")
	c.send(`{"op":"ping","ref":"p"}`)
	if f := c.next(); f.Op != "pong" {
		t.Fatalf("got %+v before the pong: nothing should be joined", f)
	}
}

// TestSSEAutoJoin: an SSE stream gets the token's rooms besides the URL's,
// so it may name none; autojoin=0 turns that off.
func TestSSEAutoJoin(t *testing.T) {
	n := autoJoinNode(t)
	tok := authz(n.Token("u1", "w1"))
	s, resp, body := n.DialSSE(n.URL+"/v1/sse", tok)
	if s == nil {
		t.Fatalf("stream without rooms: %d %s", resp.StatusCode, body)
	}
	seq := n.PublishOK("demo.note", map[string]int{"n": 1}, "workspace:w1")
	if p := s.NextEvent().Payload(t); p.Room != "workspace:w1" || p.Seq != seq {
		t.Fatalf("got %+v, want the event %d of workspace:w1", p, seq)
	}
	if s, resp, body := n.DialSSE(n.URL+"/v1/sse?autojoin=0", tok); s != nil || resp.StatusCode != 400 {
		t.Fatalf("autojoin=0 without rooms: %v %s, want 400", resp, body)
	}
}

func itoa(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// BenchmarkWSConnectWelcome: dial, upgrade and read the welcome, without
// and with the rooms of the token joined on connect (user + 2 workspaces).
func BenchmarkWSConnectWelcome(b *testing.B) {
	for _, auto := range []bool{false, true} {
		name := "plain"
		if auto {
			name = "autojoin-3-rooms"
		}
		b.Run(name, func(b *testing.B) {
			cfg := testnode.Config(b)
			if auto {
				cfg.Hub.AutoJoin = []string{"user", "workspace"}
			}
			n := testnode.Start(b, cfg)
			u := n.WSURL() + "?token=" + n.Token("u1", "w1", "w2")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				nc, br, _, err := ws.Dial(context.Background(), u)
				if err != nil {
					b.Fatal(err)
				}
				var r io.Reader = nc
				if br != nil {
					r = io.MultiReader(br, nc)
				}
				if _, _, err := wsutil.ReadServerData(struct {
					io.Reader
					io.Writer
				}{r, nc}); err != nil {
					b.Fatal(err)
				}
				nc.Close()
			}
		})
	}
}
