package testnode

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Frame is any server frame (CONTRACT §6).
type Frame struct {
	Op        string          `json:"op"`
	Ref       json.RawMessage `json:"ref"`
	Room      string          `json:"room"`
	Seq       uint64          `json:"seq"`
	Recovered *bool           `json:"recovered"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Conn      string          `json:"conn"`
	User      string          `json:"user"`
	Event     json.RawMessage `json:"event"`
}

// CloudEvent decodes f.Event.
func (f Frame) CloudEvent(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.Event, &m); err != nil {
		t.Fatalf("event %s: %v", f.Event, err)
	}
	return m
}

// WS is a test WebSocket client.
type WS struct {
	t       testing.TB
	Conn    net.Conn
	r       *bufio.Reader
	Welcome Frame
	Closed  *wsutil.ClosedError // set once the server closed the connection
	pending []Frame             // events set aside while waiting for a reply
}

// WSURL is the node's WebSocket URL.
func (n *Node) WSURL() string {
	return "ws" + strings.TrimPrefix(n.URL, "http") + n.Cfg.Transports.Get("ws").Config.Endpoint()
}

// DialWS connects with token (as ?token=) and reads the welcome frame.
func (n *Node) DialWS(token string) *WS {
	n.t.Helper()
	c, resp, err := n.TryDialWS(token, nil)
	if err != nil {
		n.t.Fatalf("dial ws: %v (%v)", err, resp)
	}
	return c
}

// TryDialWS connects; on a refused upgrade it returns the HTTP status in
// the error (ws.StatusError).
func (n *Node) TryDialWS(token string, hdr http.Header) (*WS, *http.Response, error) {
	n.t.Helper()
	u := n.WSURL()
	if token != "" {
		u += "?token=" + token
	}
	d := ws.Dialer{Timeout: Timeout}
	if hdr != nil {
		d.Header = ws.HandshakeHeaderHTTP(hdr)
	}
	conn, br, _, err := d.Dial(context.Background(), u)
	if err != nil {
		return nil, nil, err
	}
	c := &WS{t: n.t, Conn: conn}
	if br != nil {
		c.r = br
	} else {
		c.r = bufio.NewReader(conn)
	}
	n.t.Cleanup(func() { conn.Close() })
	c.Welcome = c.Read()
	if c.Welcome.Op != "welcome" {
		n.t.Fatalf("first frame %+v, want welcome", c.Welcome)
	}
	return c, nil, nil
}

// Send writes v (marshalled unless []byte or string) as a text frame.
func (c *WS) Send(v any) {
	c.t.Helper()
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	_ = c.Conn.SetWriteDeadline(time.Now().Add(Timeout))
	if err := wsutil.WriteClientText(c.Conn, b); err != nil {
		c.t.Fatalf("ws write: %v", err)
	}
}

// Next reads the next data frame, answering pings; it returns an error when
// the connection ends or nothing arrives within d.
func (c *WS) Next(d time.Duration) (Frame, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	for {
		msgs, err := wsutil.ReadServerMessage(c.r, nil)
		if err != nil {
			if ce, ok := err.(wsutil.ClosedError); ok {
				c.Closed = &ce
			}
			return Frame{}, err
		}
		for _, m := range msgs {
			switch m.OpCode {
			case ws.OpClose:
				code, reason := ws.ParseCloseFrameData(m.Payload)
				c.Closed = &wsutil.ClosedError{Code: code, Reason: reason}
				return Frame{}, *c.Closed
			case ws.OpPing:
				_ = wsutil.WriteClientMessage(c.Conn, ws.OpPong, m.Payload)
			case ws.OpText:
				var f Frame
				if err := json.Unmarshal(m.Payload, &f); err != nil {
					c.t.Fatalf("server sent bad JSON %q: %v", m.Payload, err)
				}
				return f, nil
			}
		}
	}
}

// Read returns the next data frame (first any event set aside by Reply)
// or fails the test.
func (c *WS) Read() Frame {
	c.t.Helper()
	if len(c.pending) > 0 {
		f := c.pending[0]
		c.pending = c.pending[1:]
		return f
	}
	f, err := c.Next(Timeout)
	if err != nil {
		c.t.Fatalf("ws read: %v", err)
	}
	return f
}

// Reply returns the next frame that is not an event (ok, error, pong).
// Stored events that arrive meanwhile are set aside for Read; presence
// events are dropped.
func (c *WS) Reply() Frame {
	c.t.Helper()
	for {
		f, err := c.Next(Timeout)
		if err != nil {
			c.t.Fatalf("ws read: %v", err)
		}
		switch {
		case f.Op != "event":
			return f
		case f.Seq != 0:
			c.pending = append(c.pending, f)
		}
	}
}

// ReadOp reads frames until one with op, failing on an unexpected error frame.
func (c *WS) ReadOp(op string) Frame {
	c.t.Helper()
	for {
		f := c.Read()
		if f.Op == op {
			return f
		}
		if f.Op == "error" {
			c.t.Fatalf("got error frame %+v while waiting for %s", f, op)
		}
	}
}

// Join joins room (with since if given) and returns the ok frame.
func (c *WS) Join(room string, since ...uint64) Frame {
	c.t.Helper()
	m := map[string]any{"op": "join", "room": room, "ref": "j-" + room}
	if len(since) > 0 {
		m["since"] = since[0]
	}
	c.Send(m)
	f := c.Reply()
	if f.Op != "ok" || f.Room != room {
		c.t.Fatalf("join %s: got %+v", room, f)
	}
	return f
}

// NextEvent reads frames until an event that is not presence.
func (c *WS) NextEvent() Frame {
	c.t.Helper()
	for {
		f := c.Read()
		if f.Op == "event" && f.Seq > 0 {
			return f
		}
		if f.Op == "error" {
			c.t.Fatalf("error frame %+v", f)
		}
	}
}

// WaitClosed reads until the server closes the connection and returns its
// close code and reason.
func (c *WS) WaitClosed() (ws.StatusCode, string) {
	c.t.Helper()
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		_, err := c.Next(time.Until(deadline))
		if err == nil {
			continue
		}
		if c.Closed != nil {
			return c.Closed.Code, c.Closed.Reason
		}
		return 0, err.Error()
	}
	c.t.Fatal("connection not closed in time")
	return 0, ""
}
