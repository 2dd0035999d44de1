package hub

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Token lifetime (docs/PROTOCOL.md §3.6): a client ends when its token
// expires (plus Options.ExpiryGrace) unless Refresh gave it a later one.
//
// The hub's clients share one runtime timer (expiryQueue), not a
// goroutine or a timer each: an idle connection costs an entry in a heap
// of deadlines, and the expiry is exact to the millisecond instead of
// waiting for a transport's sweep. The dispatcher delivers nothing at or
// past a client's deadline (Client.ends) and Enter checks the expiry too,
// so no event and no join gets through even if the timer is late.

// ErrorEncoder is implemented by an Encoder that can frame an error for
// the client (a WebSocket error frame, an SSE error event). The hub uses
// it to say why it ends a connection before ending it.
type ErrorEncoder interface {
	EncodeError(e *wire.Error) []byte
}

// ReasonTokenRefreshed is the access.revoked reason for rooms a refreshed
// token no longer allows.
const ReasonTokenRefreshed = "token refreshed"

// deadline is when a client with principal p must end; zero is never.
func (h *Hub) deadline(p *auth.Principal) time.Time {
	if p == nil || p.Expires.IsZero() {
		return time.Time{}
	}
	return p.Expires.Add(h.grace)
}

// Expired reports whether the client's token has expired, grace included.
func (c *Client) Expired() bool {
	d := c.hub.deadline(c.Principal())
	return !d.IsZero() && !time.Now().Before(d)
}

func (c *Client) expiredError() *wire.Error {
	return wire.Errorf(wire.TokenExpired, "token expired at %s; reconnect with a fresh token",
		c.Principal().Expires.UTC().Format(time.RFC3339))
}

// armExpiry (re)starts the expiry timer for principal p.
func (c *Client) armExpiry(p *auth.Principal) {
	d := c.hub.deadline(p)
	if d.IsZero() {
		c.ends.Store(0)
		c.hub.expiries.remove(c)
		return
	}
	c.ends.Store(d.UnixNano())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.ended {
		return
	}
	c.hub.expiries.set(c, d.UnixNano())
}

// expiryQueue ends clients when their tokens expire, with one runtime
// timer for all of them, armed for the earliest deadline: a timer per
// client cost ~250 bytes of every idle connection (a heap profile of
// 10,000), an entry here 16 and the client's index.
type expiryQueue struct {
	mu    sync.Mutex
	items []expiryItem // a min-heap by at
	timer *time.Timer
	armed int64 // the deadline the timer is set for; 0: none
}

type expiryItem struct {
	at int64 // Unix nanoseconds
	c  *Client
}

// set puts c in the queue at at, or moves it there.
func (q *expiryQueue) set(c *Client, at int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := c.expIdx - 1; i >= 0 {
		q.items[i].at = at
		heap.Fix((*expiryHeap)(q), i)
	} else {
		heap.Push((*expiryHeap)(q), expiryItem{at, c})
	}
	q.rearm()
}

// remove takes c out of the queue, if it is there.
func (q *expiryQueue) remove(c *Client) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := c.expIdx - 1; i >= 0 {
		heap.Remove((*expiryHeap)(q), i)
	}
}

// rearm sets the timer for the earliest deadline; q.mu is held. A timer
// set for an earlier deadline than the earliest left (its client removed)
// fires, finds nothing due, and is set again.
func (q *expiryQueue) rearm() {
	if len(q.items) == 0 || q.items[0].at == q.armed {
		return
	}
	q.armed = q.items[0].at
	d := time.Until(time.Unix(0, q.armed))
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.fire)
	} else {
		q.timer.Reset(d)
	}
}

// fire ends the clients whose deadline has passed, each on its own
// goroutine (as their timers did), and sets the timer for the next.
func (q *expiryQueue) fire() {
	now := time.Now().UnixNano()
	var due []*Client
	q.mu.Lock()
	for len(q.items) > 0 && q.items[0].at <= now {
		due = append(due, heap.Pop((*expiryHeap)(q)).(expiryItem).c)
	}
	q.armed = 0
	q.rearm()
	q.mu.Unlock()
	for _, c := range due {
		go c.expire()
	}
}

// expiryHeap is the queue as a container/heap; its methods run with q.mu
// held and keep each client's expIdx (index + 1; 0: not queued).
type expiryHeap expiryQueue

func (h *expiryHeap) Len() int           { return len(h.items) }
func (h *expiryHeap) Less(i, j int) bool { return h.items[i].at < h.items[j].at }
func (h *expiryHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].c.expIdx, h.items[j].c.expIdx = i+1, j+1
}
func (h *expiryHeap) Push(x any) {
	it := x.(expiryItem)
	it.c.expIdx = len(h.items) + 1
	h.items = append(h.items, it)
}
func (h *expiryHeap) Pop() any {
	n := len(h.items) - 1
	it := h.items[n]
	h.items[n] = expiryItem{}
	h.items = h.items[:n]
	it.c.expIdx = 0
	return it
}

// expire ends the client if its token is still expired (a timer from
// before a Refresh may fire late): it leaves every room first, so that no
// event reaches it after the expiry, then sends token_expired and closes
// with wire.ReasonTokenExpired once that is written.
func (c *Client) expire() {
	if !c.Expired() {
		return
	}
	c.leaveAll()
	if ee, ok := c.hub.formats[c.format].enc.(ErrorEncoder); ok {
		c.Send(ee.EncodeError(c.expiredError()))
	}
	c.hub.log.Debug("token expired", "user", c.Principal().User, "conn", c.id)
	c.Drain(wire.ReasonTokenExpired)
}

// Refresh replaces the client's token with p (already verified by the
// transport). p must be for the same user (else forbidden) and the current
// token must not have expired (else token_expired); the connection stays
// either way. The new claims apply at once: every room p no longer allows
// is left with access.revoked before Refresh returns.
func (c *Client) Refresh(ctx context.Context, p *auth.Principal) error {
	old := c.Principal()
	if p == nil || p.User != old.User {
		return wire.Errorf(wire.Forbidden, "the new token is for another user: this connection is %q's", old.User)
	}
	if c.Expired() {
		return c.expiredError()
	}
	if c.isClosed() {
		return wire.Errorf(wire.Unavailable, "connection closing")
	}
	c.user.Store(p)
	c.armExpiry(p)
	c.rmu.Lock()
	c.narrowed++
	rooms := make([]room.Room, 0, c.rooms.len())
	for _, mb := range c.rooms.list() {
		rooms = append(rooms, mb.rs.room)
	}
	c.rmu.Unlock()
	for _, r := range rooms {
		// Any refusal, including a failing plugin, leaves the room: no
		// access survives a token that cannot be shown to allow it.
		if c.hub.Authorize(ctx, p, r) != nil {
			c.leaveRevoked(r, ReasonTokenRefreshed)
		}
	}
	return nil
}
