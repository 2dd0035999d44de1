package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"golang.org/x/sys/unix"
)

// maxFrame bounds a server frame the client accepts (the server's largest
// event is 64 KiB of data plus its envelope).
const maxFrame = 128 << 10

// client is one WebSocket connection. A goroutine dials and joins it
// (setup); then it is handed to a reactor worker that reads it with epoll
// until the run ends.
type client struct {
	f    *fleet
	i    int
	room string // the room it joins; "" connects only
	// extra rooms joined after room (idle with several rooms per
	// client); their events are not tracked.
	extra []string
	st    *counters
	url   string // WebSocket URL to dial; "" the fleet's (--url)

	// Failover: a reconnect joins with since = lastSeq (resume), and the
	// client counts as caught up once it holds every event its room had
	// stored when the node was killed (fleet.catchUp).
	roomIdx   int
	resume    bool
	recovered bool // the resumed join's ok said recovered
	caughtUp  bool

	// During setup.
	conn *sbclient.Conn
	nc   net.Conn
	br   *bufio.Reader
	// After handoff, owned by one reactor worker.
	fd      int
	pending []byte // the start of a frame not yet complete
	frag    []byte // a fragmented message being assembled

	welcomed bool
	joined   bool
	ref      string
	// The join awaiting its ok: its ref and room.
	waitRef, waitRoom string
	acked             bool

	// Delivery tracking, touched by one goroutine at a time.
	seen    []uint64 // bitmap of per-room indexes received
	got     int      // distinct events received
	maxN    int      // highest index received, -1 none
	contig  int      // indexes 0..contig-1 all received
	lastSeq uint64
}

// setup dials, reads the welcome and joins within the dial timeout, then
// hands the socket to the reactor. Dialing, the handshake and the frames
// of setup are sbclient's (its frame-level Conn); the reactor reads the
// joined socket itself.
func (c *client) setup(ctx context.Context, token string) error {
	ctx, cancel := context.WithTimeout(ctx, c.f.c.dialTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	c.fd, c.ref, c.st = -1, strconv.Itoa(c.i), &c.f.setupSt
	if !c.resume {
		c.maxN = -1
	}
	wsURL := c.url
	if wsURL == "" {
		wsURL = c.f.c.wsURL
	}
	c.joined, c.welcomed, c.pending, c.frag = false, false, nil, nil
	if c.f.c.protocol == protoCentrifugo {
		return c.setupCentrifugo(ctx, wsURL, token, deadline)
	}
	conn, err := sbclient.DialWS(ctx, wsURL, sbclient.DialOptions{
		Token: token, Timeout: c.f.c.dialTimeout, ReadBufferSize: c.f.c.readBuf})
	if err != nil {
		return err
	}
	c.conn, c.nc, c.br = conn, conn.NetConn(), conn.Reader()
	c.welcomed = true
	_ = c.nc.SetDeadline(deadline)
	if c.room != "" {
		var since *uint64
		if c.resume {
			since = &c.lastSeq
		}
		if err := c.join(c.room, c.ref, since); err != nil {
			return err
		}
		for k, room := range c.extra {
			if err := c.join(room, c.ref+"."+strconv.Itoa(k+1), nil); err != nil {
				return err
			}
		}
	}
	c.joined = true
	if c.resume {
		c.checkCaughtUp(time.Now())
	}
	return c.handoff()
}

// join sends a join of room and reads frames until its ok.
func (c *client) join(room, ref string, since *uint64) error {
	c.waitRef, c.waitRoom, c.acked = ref, room, false
	if err := c.conn.WriteText(sbclient.JoinFrame(room, ref, since)); err != nil {
		return fmt.Errorf("send join: %w", err)
	}
	for !c.acked {
		msg, err := c.conn.ReadMessage() // answers pings; a close is a *sbclient.CloseError
		if err != nil {
			return fmt.Errorf("join %s: %w", room, err)
		}
		if err := c.handle(msg, time.Now()); err != nil {
			return fmt.Errorf("join %s: %w", room, err)
		}
	}
	c.waitRef = ""
	return nil
}

// handoff handles what the setup reader still buffers and moves the socket
// (a duplicate of its descriptor: closing the net.Conn takes it out of the
// Go poller) to a reactor worker.
func (c *client) handoff() error {
	data, _ := c.br.Peek(c.br.Buffered())
	used, err := c.consume(data, time.Now())
	if err != nil {
		return err
	}
	if used < len(data) {
		c.pending = append([]byte(nil), data[used:]...)
	}
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return errors.New("connection has no file descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = unix.Dup(int(s)) }); err != nil {
		return err
	}
	if derr != nil {
		return fmt.Errorf("dup: %w", derr)
	}
	_ = c.nc.SetDeadline(time.Time{})
	c.nc.Close()
	c.conn, c.nc, c.br, c.fd = nil, nil, nil, fd
	return c.f.reactor.add(c)
}

// write sends a client frame on either side of the handoff.
func (c *client) write(b []byte) error {
	if c.nc != nil {
		_, err := c.nc.Write(b)
		return err
	}
	_, err := unix.Write(c.fd, b) // control frames are tiny; EAGAIN is not expected
	return err
}

// errRefused is an error frame in answer to the join.
var errRefused = errors.New("join refused")

// frame handles one server frame received at now.
func (c *client) frame(fin bool, op ws.OpCode, p []byte, now time.Time) error {
	switch op {
	case ws.OpPing:
		f := ws.NewPongFrame(append([]byte(nil), p...))
		b, err := ws.CompileFrame(ws.MaskFrameInPlace(f))
		if err != nil {
			return err
		}
		return c.write(b)
	case ws.OpPong:
		return nil
	case ws.OpClose:
		code, reason := ws.ParseCloseFrameData(p)
		return &sbclient.CloseError{Code: uint16(code), Reason: reason}
	case ws.OpText, ws.OpBinary:
		if !fin {
			c.frag = append(c.frag[:0], p...)
			return nil
		}
		return c.handle(p, now)
	case ws.OpContinuation:
		c.frag = append(c.frag, p...)
		if fin {
			msg := c.frag
			c.frag = nil
			return c.handle(msg, now)
		}
		return nil
	}
	return fmt.Errorf("unknown opcode %d", op)
}

var eventPrefix = []byte(`{"op":"event","room":"`)

// handle takes one text message received at now.
func (c *client) handle(p []byte, now time.Time) error {
	if c.f.c.protocol == protoCentrifugo {
		return c.handleCentrifugo(p, now)
	}
	st := c.st
	st.n[cFrames].Add(1)
	if rest, ok := bytes.CutPrefix(p, eventPrefix); ok {
		c.event(rest, now)
		return nil
	}
	var r struct {
		Op        string `json:"op"`
		Ref       string `json:"ref"`
		Room      string `json:"room"`
		Code      string `json:"code"`
		Message   string `json:"message"`
		Recovered *bool  `json:"recovered"`
	}
	if err := json.Unmarshal(p, &r); err != nil {
		st.n[cBad].Add(1)
		c.f.note("unparsable frame: " + truncate(p))
		return nil
	}
	switch r.Op {
	case "ok":
		if c.waitRef != "" && r.Ref == c.waitRef && r.Room == c.waitRoom {
			c.acked = true
			if r.Room == c.room {
				c.recovered = r.Recovered != nil && *r.Recovered
			}
		}
	case "error":
		st.n[cErrFrames].Add(1)
		c.f.note("error frame: " + r.Code + ": " + r.Message)
		if c.waitRef != "" && r.Ref == c.waitRef {
			return fmt.Errorf("%w: %s: %s", errRefused, r.Code, r.Message)
		}
	case "welcome":
		c.welcomed = true
	case "pong":
	default:
		st.n[cBad].Add(1)
		c.f.note("unexpected frame: " + truncate(p))
	}
	return nil
}

func truncate(p []byte) string {
	if len(p) > 160 {
		return string(p[:160]) + "…"
	}
	return string(p)
}
