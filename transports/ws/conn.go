package ws

import (
	"bufio"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// conn is one WebSocket connection. Between readiness events it holds no
// goroutine and no buffer.
type conn struct {
	t      *Transport
	nc     net.Conn
	rc     syscall.RawConn // nil: no non-blocking write attempts
	fd     int
	client *hub.Client

	lastRead    atomic.Int64 // unix nanos of the last frame received
	reading     atomic.Bool  // a goroutine is reading
	interrupted atomic.Bool  // the hub asked to abort writing
	broken      atomic.Bool  // a write failed part way: no more frames fit
	midFrame    atomic.Bool  // TryWrite sent part of a frame; Flush sends the rest
	removed     bool         // guarded by the poller's mutex

	// Owned by the reading goroutine.
	errs int    // bad frames so far
	frag []byte // a fragmented message being reassembled
	rate bucket // frames allowed per second
}

var (
	_ hub.Sink         = (*conn)(nil)
	_ hub.DirectWriter = (*conn)(nil)
)

// bucket is a token bucket kept inline in the connection (a rate.Limiter
// is a separate 80-byte object with a mutex that one reader at a time does
// not need). The zero bucket is full.
type bucket struct {
	spent float64 // tokens taken beyond what has refilled, as of last
	last  int64   // unix nanos of the last update; 0: never used
}

// allow takes one token if there is one at now: the bucket holds burst
// tokens and refills at perSec. perSec <= 0 allows everything.
func (b *bucket) allow(now int64, perSec float64, burst int) bool {
	if perSec <= 0 {
		return true
	}
	if b.last != 0 && now > b.last {
		b.spent = max(0, b.spent-float64(now-b.last)/1e9*perSec)
	}
	if now > b.last {
		b.last = now
	}
	if b.spent+1 > float64(max(burst, 1)) {
		return false
	}
	b.spent++
	return true
}

// allowFrame takes a token for one client frame (transport "ws"
// rate_limit and rate_burst).
func (c *conn) allowFrame() bool {
	return c.rate.allow(time.Now().UnixNano(), c.t.cfg.RateLimit, c.t.cfg.RateBurst)
}

func (c *conn) touch() { c.lastRead.Store(time.Now().UnixNano()) }

// Flush writes frames with one writev. It first tries without blocking,
// which needs no deadline; only what the socket did not take is written
// under the write timeout.
func (c *conn) Flush(frames [][]byte) (err error) {
	defer c.recoverWrite(&err)
	if c.interrupted.Load() {
		return errInterrupted
	}
	var n int
	if len(frames) == 1 {
		n, err = c.tryWrite(frames[0], nil)
	} else {
		// writev takes at most IOV_MAX buffers (EINVAL beyond); the
		// blocking path below writes the rest.
		n, err = c.tryWrite(nil, frames[:min(len(frames), iovMax)])
	}
	if err != nil {
		return err // nothing was written
	}
	for n > 0 && len(frames) > 0 {
		if n < len(frames[0]) {
			frames[0] = frames[0][n:]
			c.midFrame.Store(true)
			break
		}
		n -= len(frames[0])
		frames = frames[1:]
		c.midFrame.Store(false) // at a frame boundary
	}
	if len(frames) == 0 {
		c.midFrame.Store(false)
		return nil
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(time.Duration(c.t.cfg.WriteTimeout))); err != nil {
		return err
	}
	if c.interrupted.Load() { // an Interrupt raced with the deadline above
		return errInterrupted
	}
	bufs := net.Buffers(frames)
	if _, err := bufs.WriteTo(c.nc); err != nil {
		c.broken.Store(true) // possibly half a frame on the wire
		return err
	}
	c.midFrame.Store(false)
	// Clear the deadline: a deadline that expires later would make the next
	// non-blocking attempt fail.
	if err := c.nc.SetWriteDeadline(time.Time{}); err != nil {
		return err
	}
	if c.interrupted.Load() {
		return errInterrupted
	}
	return nil
}

// TryWrite writes what the socket takes of b now, without blocking.
func (c *conn) TryWrite(b []byte) (n int, err error) {
	defer c.recoverWrite(&err)
	if c.interrupted.Load() {
		return 0, errInterrupted
	}
	n, err = c.tryWrite(b, nil)
	if n > 0 && n < len(b) {
		c.midFrame.Store(true) // the hub queues the rest first
	}
	return n, err
}

// iovMax is Linux's IOV_MAX: the most buffers one writev takes.
const iovMax = 1024

var errInterrupted = errors.New("ws: write interrupted")

// Interrupt aborts an in-flight write.
func (c *conn) Interrupt() {
	c.interrupted.Store(true)
	_ = c.nc.SetWriteDeadline(time.Unix(1, 0))
}

// closeGrace bounds how long a closing connection waits for the peer to
// finish, and closeDrain how much it reads meanwhile.
const (
	closeGrace = time.Second
	closeDrain = 4 << 20
)

// Disconnect sends a close frame (best effort) and closes the socket. After
// the close frame it half-closes and reads what the peer still sends until
// the peer closes too: closing with unread input would make the kernel
// reset the connection, and the peer would lose the close frame.
func (c *conn) Disconnect(r wire.Reason) {
	c.t.poller.remove(c)
	// A close frame after part of a frame would garble both.
	if r != wire.ReasonWriteErr && !c.broken.Load() && !c.midFrame.Load() {
		_ = c.nc.SetWriteDeadline(time.Now().Add(closeGrace))
		if _, err := c.nc.Write(closeFrame(r)); err == nil {
			if hc, ok := c.nc.(interface{ CloseWrite() error }); ok {
				_ = hc.CloseWrite()
			}
			_ = c.nc.SetReadDeadline(time.Now().Add(closeGrace))
			_, _ = io.Copy(io.Discard, io.LimitReader(c.nc, closeDrain))
		}
	}
	_ = c.nc.Close()
}

// readHook, set by tests, runs before a readable connection is read.
var readHook atomic.Pointer[func(*conn)]

// errPanic is what Flush and TryWrite return after a panic.
var errPanic = errors.New("ws: panic while writing")

// panicked logs a recovered panic of this connection with its stack and
// counts it; the caller then closes only this connection.
func (c *conn) panicked(op string, v any) {
	c.t.hub.Metrics().Panics.WithLabelValues("ws_conn").Inc()
	args := []any{"op", op, "remote", c.nc.RemoteAddr().String(), "panic", v, "stack", string(debug.Stack())}
	if c.client != nil {
		args = append(args, "client", c.client.ID())
	}
	c.t.log.Error("panic in a connection; closing it", args...)
}

// recoverWrite turns a panic while writing into errPanic: the hub then
// closes the connection as after any failed write.
func (c *conn) recoverWrite(err *error) {
	if v := recover(); v != nil {
		c.panicked("write", v)
		c.broken.Store(true) // possibly half a frame on the wire
		*err = errPanic
	}
}

// recoverRead closes the connection after a panic while reading or
// handling its frames, instead of the process.
func (c *conn) recoverRead() {
	v := recover()
	if v == nil {
		return
	}
	c.panicked("read", v)
	if c.client != nil {
		c.client.Close(wire.ReasonInternal)
		return
	}
	c.t.poller.remove(c)
	_ = c.nc.Close()
}

// readBuffered reads the frames that came right behind the handshake, on
// the upgrade's goroutine; a panic closes the connection as in onReadable
// (net/http's own recover would leave a hijacked connection open).
func (c *conn) readBuffered(br *bufio.Reader) bool {
	ok := false
	func() {
		defer c.recoverRead()
		ok = c.readFrames(br)
	}()
	return ok
}

// onReadable runs on a fresh goroutine when the poller sees input.
func (t *Transport) onReadable(c *conn) {
	if !c.reading.CompareAndSwap(false, true) {
		return
	}
	defer c.recoverRead()
	if f := readHook.Load(); f != nil {
		(*f)(c)
	}
	br := t.readers.Get().(*bufio.Reader)
	br.Reset(c.nc)
	ok := c.readFrames(br)
	br.Reset(nil)
	t.readers.Put(br)
	c.reading.Store(false)
	if ok {
		if err := t.poller.rearm(c); err != nil {
			c.client.Close(wire.ReasonInternal)
		}
	}
}
