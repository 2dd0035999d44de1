package testnode

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
)

// Frame is any server frame (docs/PROTOCOL.md §3.3): sbclient's, with test helpers.
type Frame sbclient.Frame

// CloudEvent decodes f.Event.
func (f Frame) CloudEvent(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.Event, &m); err != nil {
		t.Fatalf("event %s: %v", f.Event, err)
	}
	return m
}

// WS is a test WebSocket client on an sbclient.Conn.
type WS struct {
	t       testing.TB
	c       *sbclient.Conn
	Conn    net.Conn // the socket, for deadlines, raw reads and abrupt closes
	Welcome Frame
	Closed  *sbclient.CloseError // set once the server closed the connection
	pending []Frame              // events set aside while waiting for a reply
}

// WSURL is the node's WebSocket URL.
func (n *Node) WSURL() string {
	return "ws" + strings.TrimPrefix(n.URL, "http") + n.Cfg.Transports.Get("ws").Config.Endpoint()
}

// DialWS connects with token (as ?token=) and reads the welcome frame.
func (n *Node) DialWS(token string) *WS {
	n.t.Helper()
	c, _, err := n.TryDialWS(token, nil)
	if err != nil {
		n.t.Fatalf("dial ws: %v", err)
	}
	return c
}

// TryDialWS connects with token (as ?token=) and hdr and reads the welcome
// frame; a refused upgrade is an *sbclient.HTTPError with the HTTP status.
// The *http.Response is always nil (kept for the callers' signature).
func (n *Node) TryDialWS(token string, hdr http.Header) (*WS, *http.Response, error) {
	n.t.Helper()
	u := n.WSURL()
	if token != "" {
		u += "?token=" + token
	}
	sc, err := sbclient.DialWS(context.Background(), u, sbclient.DialOptions{Header: hdr, Timeout: Timeout})
	if err != nil {
		return nil, nil, err
	}
	n.t.Cleanup(func() { sc.Close() })
	return &WS{t: n.t, c: sc, Conn: sc.NetConn(), Welcome: Frame(sc.Welcome)}, nil, nil
}

// Send writes v (marshalled unless []byte or string) as a text frame, as
// it is: bad JSON and oversized frames go out unchanged.
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
	if err := c.c.WriteText(b); err != nil {
		c.t.Fatalf("ws write: %v", err)
	}
}

// Next reads the next data frame, answering pings; it returns an error when
// the connection ends (a close frame also sets c.Closed) or nothing arrives
// within d.
func (c *WS) Next(d time.Duration) (Frame, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	f, raw, err := c.c.ReadFrame()
	if err != nil {
		if raw != nil {
			c.t.Fatalf("server sent bad JSON: %v", err)
		}
		var ce *sbclient.CloseError
		if errors.As(err, &ce) {
			c.Closed = ce
		}
		return Frame{}, err
	}
	return Frame(f), nil
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
	var s *uint64
	if len(since) > 0 {
		s = &since[0]
	}
	c.Send(sbclient.JoinFrame(room, "j-"+room, s))
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
// close code and reason (code 0 and the error when it ended without a
// close frame).
func (c *WS) WaitClosed() (uint16, string) {
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
