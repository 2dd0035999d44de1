package ws_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/switchboard-rt/switchboard/schema/wire"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/transporttest"
)

func TestConformance(t *testing.T) { transporttest.Run(t, harness{}) }

// harness is a minimal WebSocket client of the contract's JSON frames.
type harness struct{}

func (harness) Name() string { return "ws" }

// frame is any server frame.
type frame struct {
	Op        string          `json:"op"`
	Room      string          `json:"room"`
	Seq       uint64          `json:"seq"`
	Recovered *bool           `json:"recovered"`
	Code      wire.Code       `json:"code"`
	Message   string          `json:"message"`
	Event     json.RawMessage `json:"event"`
}

type conn struct {
	nc        net.Conn
	r         *bufio.Reader
	recovered bool
	pending   []frame // events read while waiting for a reply
}

func (harness) Join(t testing.TB, n *testnode.Node, token string, since *uint64, rooms ...string) (transporttest.Conn, error) {
	u := "ws" + strings.TrimPrefix(n.URL, "http") + n.Cfg.Transports.Get("ws").Config.Endpoint() + "?token=" + token
	// No small SO_RCVBUF here: on loopback it stalls even a client that
	// reads (zero-window probes back off); a client that stops reading is
	// cut off once the server's queue and the socket buffers are full.
	d := ws.Dialer{Timeout: testnode.Timeout}
	nc, br, _, err := d.Dial(context.Background(), u)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	c := &conn{nc: nc, r: br, recovered: true}
	if c.r == nil {
		c.r = bufio.NewReader(nc)
	}
	if f, err := c.read(testnode.Timeout); err != nil || f.Op != "welcome" {
		nc.Close()
		return nil, fmt.Errorf("welcome: %+v, %v", f, err)
	}
	for i, room := range rooms {
		msg, _ := json.Marshal(map[string]any{"op": "join", "room": room, "ref": fmt.Sprint(i), "since": since})
		_ = nc.SetWriteDeadline(time.Now().Add(testnode.Timeout))
		if err := wsutil.WriteClientText(nc, msg); err != nil {
			nc.Close()
			return nil, err
		}
		for {
			f, err := c.read(testnode.Timeout)
			if err != nil {
				nc.Close()
				return nil, fmt.Errorf("join %s: %w", room, err)
			}
			if f.Op == "event" {
				c.pending = append(c.pending, f)
				continue
			}
			if f.Op == "error" {
				nc.Close()
				return nil, &wire.Error{Code: f.Code, Message: f.Message}
			}
			if f.Op != "ok" || f.Room != room {
				nc.Close()
				return nil, fmt.Errorf("join %s: reply %+v", room, f)
			}
			if f.Recovered != nil && !*f.Recovered {
				c.recovered = false
			}
			break
		}
	}
	_ = nc.SetWriteDeadline(time.Time{}) // pongs are written while reading
	return c, nil
}

// read reads one data frame, answering pings.
func (c *conn) read(d time.Duration) (frame, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	b, err := wsutil.ReadServerText(struct {
		io.Reader
		io.Writer
	}{c.r, c.nc})
	if err != nil {
		var ce wsutil.ClosedError
		if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
			return frame{}, fmt.Errorf("%w: %v", transporttest.ErrEnded, err)
		}
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		return frame{}, fmt.Errorf("frame %s: %w", b, err)
	}
	return f, nil
}

func (c *conn) Recovered() bool { return c.recovered }

func (c *conn) Next(d time.Duration) (transporttest.Event, error) {
	for {
		var f frame
		if len(c.pending) > 0 {
			f, c.pending = c.pending[0], c.pending[1:]
		} else {
			var err error
			if f, err = c.read(d); err != nil {
				return transporttest.Event{}, err
			}
		}
		if f.Op != "event" {
			continue
		}
		e := transporttest.Event{Room: f.Room, Seq: f.Seq}
		if err := json.Unmarshal(f.Event, &e.Event); err != nil {
			return e, fmt.Errorf("event %s: %w", f.Event, err)
		}
		return e, nil
	}
}

func (c *conn) Close() { c.nc.Close() }
