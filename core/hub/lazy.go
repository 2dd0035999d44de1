package hub

import (
	"sync"
	"time"
)

// Presence frames are not urgent, and while a room fills they are many:
// each arrival goes to every member already there, N²/2 frames for a room
// of N. Written one by one, each is a system call on the node and a wake-up
// on the peer. Instead they are queued without waking a writer ("lazy"),
// and written together with the next frame that does wake one, or by the
// lazy flush at most PresenceFlush later: a client that receives several
// presence events in that time gets them in one write. The queue is the
// client's one queue, so frames keep their order. Only bursts wait: a
// presence event in a room that had none for quietFactor × PresenceFlush
// is written at once, so a lone arrival is shown without delay.

// lazyFlusher holds the clients with lazy frames queued and no writer.
type lazyFlusher struct {
	delay time.Duration

	mu      sync.Mutex
	pending []*Client
	spare   []*Client
	armed   bool // a flush is scheduled
}

// pushLazy queues b for c without waking a writer (see above); with the
// lazy flush off, it is push. It reports false if the client is closed or
// was cut off for overflowing.
func (c *Client) pushLazy(b []byte) bool {
	lf := &c.hub.lazy
	if lf.delay <= 0 {
		return c.push(b, false)
	}
	if !c.admit(b) {
		return false
	}
	c.queue = append(c.queue, b)
	add := !c.writing && !c.lazy
	if add {
		c.lazy = true
	}
	c.mu.Unlock()
	if add {
		lf.add(c)
	}
	return true
}

// quietFactor: a room with no presence event for this many flush delays,
// or for maxQuiet, whichever is shorter, is quiet (see above). While a
// room fills slowly (a busy machine: joins further apart than the delay)
// its presence events still wait, and the few that meet in a queue share
// a write; a room where someone arrives now and then shows them at once.
const (
	quietFactor = 4
	maxQuiet    = time.Second
)

// burst reports whether a presence event of rs, being dispatched now,
// follows another of the room closely (then it waits, see above).
func (lf *lazyFlusher) burst(rs *roomState) bool {
	if lf.delay <= 0 {
		return false
	}
	now := time.Now().UnixNano()
	last := rs.lastPresence.Swap(now)
	return now-last < int64(min(quietFactor*lf.delay, maxQuiet))
}

func (lf *lazyFlusher) add(c *Client) {
	lf.mu.Lock()
	lf.pending = append(lf.pending, c)
	arm := !lf.armed
	lf.armed = true
	lf.mu.Unlock()
	if arm {
		time.AfterFunc(lf.delay, lf.flush)
	}
}

// flush starts a writer for every pending client that has none.
func (lf *lazyFlusher) flush() {
	lf.mu.Lock()
	cs := lf.pending
	lf.pending, lf.spare = lf.spare[:0], nil
	lf.armed = false
	lf.mu.Unlock()
	for _, c := range cs {
		c.mu.Lock()
		c.lazy = false
		start := !c.writing && !c.closed && len(c.queue) > 0
		if start {
			c.writing = true
		}
		c.mu.Unlock()
		if start {
			go c.write()
		}
	}
	clear(cs)
	lf.mu.Lock()
	if lf.spare == nil {
		lf.spare = cs[:0]
	}
	lf.mu.Unlock()
}
