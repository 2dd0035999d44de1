package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/test/testnode"
	"github.com/switchboard-rt/switchboard/transports/transporttest"
)

func TestConformance(t *testing.T) { transporttest.Run(t, harness{}) }

// harness is a client on sbclient's Conn, frame by frame.
type harness struct{}

func (harness) Name() string { return "ws" }

type conn struct {
	c         *sbclient.Conn
	recovered bool
	pending   []sbclient.Frame // events read while waiting for a reply
}

func (harness) Join(t testing.TB, n *testnode.Node, token string, since *uint64, rooms ...string) (transporttest.Conn, error) {
	u := "ws" + strings.TrimPrefix(n.URL, "http") + n.Cfg.Transports.Get("ws").Config.Endpoint() + "?token=" + token
	// No small SO_RCVBUF here: on loopback it stalls even a client that
	// reads (zero-window probes back off); a client that stops reading is
	// cut off once the server's queue and the socket buffers are full.
	sc, err := sbclient.DialWS(context.Background(), u, sbclient.DialOptions{Timeout: testnode.Timeout})
	if err != nil {
		return nil, err
	}
	c := &conn{c: sc, recovered: true}
	for i, room := range rooms {
		if err := c.join(room, fmt.Sprint(i), since); err != nil {
			sc.Close()
			return nil, err
		}
	}
	return c, nil
}

// join sends a join and reads up to its reply; a refusal is the *wire.Error.
func (c *conn) join(room, ref string, since *uint64) error {
	if err := c.c.WriteText(sbclient.JoinFrame(room, ref, since)); err != nil {
		return fmt.Errorf("join %s: %w", room, err)
	}
	for {
		f, err := c.read(testnode.Timeout)
		switch {
		case err != nil:
			return fmt.Errorf("join %s: %w", room, err)
		case f.Op == "event":
			c.pending = append(c.pending, f)
		case f.Op == "error":
			return f.Err()
		case f.Op != "ok" || f.Room != room:
			return fmt.Errorf("join %s: reply %+v", room, f)
		default:
			if f.Recovered != nil && !*f.Recovered {
				c.recovered = false
			}
			return nil
		}
	}
}

// read reads one frame within d, answering pings.
func (c *conn) read(d time.Duration) (sbclient.Frame, error) {
	_ = c.c.NetConn().SetReadDeadline(time.Now().Add(d))
	f, _, err := c.c.ReadFrame()
	var ce *sbclient.CloseError
	if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return f, fmt.Errorf("%w: %v", transporttest.ErrEnded, err)
	}
	return f, err
}

func (c *conn) Recovered() bool { return c.recovered }

func (c *conn) Next(d time.Duration) (transporttest.Event, error) {
	for {
		var f sbclient.Frame
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

func (c *conn) Close() { c.c.Close() }
