package hub

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Sink is a transport's side of a client connection.
type Sink interface {
	// Flush writes frames, in order, to the peer. The hub never calls it
	// concurrently with itself or with Disconnect.
	Flush(frames [][]byte) error
	// Interrupt makes an in-flight Flush return soon. Any goroutine may
	// call it.
	Interrupt()
	// Disconnect ends the connection for reason (a WebSocket sends a close
	// frame, an SSE stream ends). It is called once, never concurrently
	// with Flush.
	Disconnect(reason wire.Reason)
}

// DirectWriter is a Sink that can also write without blocking. The
// dispatcher writes a live event straight to an idle client that way,
// instead of handing it to a writer goroutine: at modest rates most
// deliveries find the client idle, and this saves a goroutine start and
// a scheduler wake-up per delivery.
type DirectWriter interface {
	// TryWrite writes as much of b as the connection takes at once,
	// without blocking, and reports how many bytes went out. The hub
	// never calls it concurrently with Flush or Disconnect.
	TryWrite(b []byte) (int, error)
}

// Client is one connection on this node.
type Client struct {
	id     string
	user   atomic.Pointer[auth.Principal] // replaced by Refresh; the User never changes
	format Format
	shard  uint8 // in hub.clients
	hub    *Hub
	sink   Sink
	max    int64  // queue bound in bytes
	write  func() // c.writeLoop, bound once so starting a writer allocates nothing

	mu       sync.Mutex // leaf lock: guards the fields below
	queue    [][]byte
	spare    [][]byte
	size     int64 // bytes queued or being written
	writing  bool  // a goroutine owns the sink (writer or disconnector)
	lazy     bool  // in the hub's lazy list: a flush is due (lazy.go)
	closed   bool  // no more frames are accepted
	draining bool  // close once the queue is written
	ended    bool  // disconnected
	reason   wire.Reason
	done     chan struct{} // made on demand: most connections never ask
	// expIdx is the client's place in the hub's expiry queue, plus one (0:
	// not queued); guarded by the queue's lock (expiry.go).
	expIdx int
	// ends is the token's deadline (grace included) in Unix nanoseconds, 0
	// for none: the dispatcher delivers nothing at or past it, however
	// late the expiry timer fires.
	ends atomic.Int64
	// probe is the event whose frame, once written, is timed for
	// publish_to_write_seconds (latency.go); nil: none.
	probe atomic.Pointer[Event]

	rmu   sync.Mutex // guards rooms, narrowed and auto
	rooms memberSet
	// narrowed counts the times the client's access was narrowed (a
	// revocation or a refreshed token): a join authorized before one of
	// them is authorized again (see Enter).
	narrowed uint64
	auto     autoJoined // the rooms joined on connect (autojoin.go)

	left atomic.Bool // left all rooms; set once
}

// NewClient registers a connection of principal p that writes frames of
// format f to sink; queueBytes bounds its outbound queue.
func (h *Hub) NewClient(p *auth.Principal, f Format, sink Sink, queueBytes int64) *Client {
	n := h.nextID.Add(1)
	c := &Client{
		id:     "c" + strconv.FormatUint(n, 36),
		shard:  uint8(n % clientShards),
		format: f,
		hub:    h,
		sink:   sink,
		max:    queueBytes,
	}
	c.write = c.writeLoop
	c.user.Store(p)
	c.armExpiry(p)
	h.clients.add(c)
	h.conns[f].Inc()
	if h.closed.Load() {
		c.Close(wire.ReasonShutdown)
	}
	return c
}

// ID is the connection id shown in the welcome frame.
func (c *Client) ID() string { return c.id }

// Principal is the authenticated user.
func (c *Client) Principal() *auth.Principal { return c.user.Load() }

// Done is closed once the client has disconnected.
func (c *Client) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.ended {
			close(c.done)
		}
	}
	return c.done
}

// Send writes one frame for this client only (replies, errors, pings): at
// once if the client is idle and its sink writes without blocking, else
// through the queue. It reports false if the client is closed or was cut
// off for overflowing.
func (c *Client) Send(frame []byte) bool { return c.push(frame, c.hub.directMax > 0) }

func (c *Client) enqueue(b []byte) bool { return c.push(b, false) }

// push queues b; with direct, it writes b at once, without blocking, if
// nothing else is queued or being written.
func (c *Client) push(b []byte, direct bool) bool {
	if !c.admit(b) {
		return false
	}
	// Not while frames wait in the queue (lazy ones, see pushLazy):
	// they go first.
	if direct && !c.writing && len(c.queue) == 0 {
		if dw, ok := c.sink.(DirectWriter); ok {
			c.writing = true // own the sink, as a writer would
			c.mu.Unlock()
			c.writeDirect(dw, b)
			return true
		}
	}
	c.queue = append(c.queue, b)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.write()
	}
	return true
}

// admit takes c.mu and counts b in the queue's bytes, reporting true with
// c.mu held; it reports false, without the lock, if the client is closed
// or draining, or was cut off because b would overflow its queue.
func (c *Client) admit(b []byte) bool {
	c.mu.Lock()
	if c.closed || c.draining {
		c.mu.Unlock()
		return false
	}
	if c.size+int64(len(b)) > c.max {
		c.mu.Unlock()
		c.cutOff(wire.ReasonSlow)
		return false
	}
	c.size += int64(len(b))
	return true
}

// writeDirect writes b without blocking while the caller owns the sink.
// What the connection did not take goes first in the queue, and a writer
// takes over if anything is left to do.
func (c *Client) writeDirect(dw DirectWriter, b []byte) {
	n, err := dw.TryWrite(b)
	if n == len(b) {
		c.written(b)
	}
	c.mu.Lock()
	c.size -= int64(n)
	switch {
	case err != nil:
		if !c.closed {
			c.closed = true
			c.reason = wire.ReasonWriteErr
			c.queue = nil
		}
	case n < len(b):
		c.queue = append(c.queue, nil)
		copy(c.queue[1:], c.queue)
		c.queue[0] = b[n:]
	}
	if !c.closed && !c.draining && len(c.queue) == 0 {
		c.writing = false
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	go c.write() // writes the rest, or disconnects
}

// writeLoop owns the sink until the queue is empty.
func (c *Client) writeLoop() {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			c.disconnect()
			return
		}
		if len(c.queue) == 0 {
			if c.draining {
				c.closed = true
				c.mu.Unlock()
				c.disconnect()
				return
			}
			c.writing = false
			c.shrinkQueue()
			c.mu.Unlock()
			return
		}
		bufs := c.queue
		c.queue, c.spare = c.spare[:0], nil
		c.mu.Unlock()

		var n int64
		for _, b := range bufs {
			n += int64(len(b))
		}
		err := c.flush(bufs)
		if err == nil {
			c.written(bufs...)
		}
		clear(bufs)

		c.mu.Lock()
		c.size -= n
		c.spare = bufs[:0]
		if err != nil && !c.closed {
			c.closed = true
			c.reason = wire.ReasonWriteErr
			c.queue = nil
		}
		c.mu.Unlock()
	}
}

// keptQueue is the most frame slots an idle client keeps for its next
// write (queue and spare each): a burst (a room filling, presence frames
// waiting for the lazy flush) grows them to dozens of slots, 24 bytes
// each, which an idle connection would otherwise hold on to.
const keptQueue = 4

// shrinkQueue lets go of slots a burst left behind; c.mu is held and no
// writer runs.
func (c *Client) shrinkQueue() {
	if cap(c.queue) > keptQueue {
		c.queue = nil
	}
	if cap(c.spare) > keptQueue {
		c.spare = nil
	}
}

// Close disconnects the client for reason, dropping frames not yet written.
// It is idempotent and safe from any goroutine.
func (c *Client) Close(reason wire.Reason) { c.stop(reason, false) }

// Drain stops accepting frames, writes what is queued, then disconnects.
func (c *Client) Drain(reason wire.Reason) { c.stop(reason, true) }

func (c *Client) cutOff(reason wire.Reason) {
	if c.stop(reason, false) {
		c.hub.slow[c.format].Inc()
	}
}

// stop reports whether this call was the one that closed the client.
func (c *Client) stop(reason wire.Reason, drain bool) bool {
	c.mu.Lock()
	if c.closed || (drain && c.draining) {
		c.mu.Unlock()
		return false
	}
	c.reason = reason
	if drain {
		c.draining = true
	} else {
		c.closed = true
		c.queue = nil
	}
	owner := !c.writing
	c.writing = true
	c.mu.Unlock()
	if owner {
		if drain {
			go c.writeLoop()
		} else {
			go c.disconnect()
		}
	} else if !drain {
		c.sink.Interrupt()
	}
	return true
}

// disconnect runs once, from the goroutine that owns the sink.
func (c *Client) disconnect() {
	c.mu.Lock()
	reason := c.reason
	c.hub.expiries.remove(c)
	c.mu.Unlock()
	c.leaveAll()
	c.sink.Disconnect(reason)
	c.hub.clients.remove(c)
	c.hub.conns[c.format].Dec()
	c.mu.Lock()
	c.ended = true
	if c.done != nil {
		close(c.done)
	}
	c.mu.Unlock()
}

// flush hands bufs to the sink. A panic in the sink (a transport's bug) is
// a failed write: this client is closed, the panic is logged with its
// stack and counted, and the process stays up.
func (c *Client) flush(bufs [][]byte) (err error) {
	defer func() {
		if v := recover(); v != nil {
			c.hub.metrics.Panics.WithLabelValues("hub_writer").Inc()
			c.hub.log.Error("panic in a connection's writer; closing it", "conn", c.id, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("hub: writer panic: %v", v)
		}
	}()
	return c.sink.Flush(bufs)
}
