package sbclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Client is a connection to a Switchboard node that stays up: it joins its
// rooms, delivers their events once and in order, and after a lost
// connection reconnects with backoff and resumes each room from the last
// seq it delivered (docs/PROTOCOL.md §7), with no gap and no duplicate
// while history reaches back.
type Client struct {
	o             Options
	wsURL, sseURL string

	mu      sync.Mutex
	rooms   map[string]*roomState
	order   []string // rooms in join order
	conn    *Conn    // the current WebSocket, nil between connections
	cancel  context.CancelFunc
	calls   map[string]chan Frame // ref → the caller waiting for its answer
	joins   map[string]joinRef    // ref → the join it answers, on the current connection
	refN    uint64
	lastID  string // SSE: the last id seen, sent as Last-Event-ID
	token   string // Options.Token, then the last one Refresh sent
	retry   time.Duration
	closing bool

	ready chan error    // the first connection's outcome
	done  chan struct{} // closed when the client has stopped
	err   error         // why it stopped; set before done closes
}

// roomState is a room the client is in (or is joining).
type roomState struct {
	last    uint64 // last seq delivered (or the live join's position)
	has     bool   // last is set: rejoin with since=last
	since   *uint64
	joined  bool         // joined at least once
	waiters []chan error // Join calls waiting for the first join
}

// Dial connects, joins rooms and returns once every room is joined. Later
// connection losses are handled in the background until Close. ctx bounds
// the first connection only. A join the server refuses is a *JoinError
// (errors.As finds its *wire.Error); a refused connection is an
// *HTTPError.
func Dial(ctx context.Context, o Options, rooms ...Room) (*Client, error) {
	if o.Token == "" {
		return nil, errors.New("sbclient: no token")
	}
	o.defaults()
	c := &Client{o: o, token: o.Token, rooms: map[string]*roomState{}, calls: map[string]chan Frame{},
		ready: make(chan error, 1), done: make(chan struct{})}
	var err error
	if c.wsURL, c.sseURL, err = Endpoints(o.URL); err != nil {
		return nil, fmt.Errorf("sbclient: url: %w", err)
	}
	// The client is in exactly the rooms it is given: a node that joins
	// rooms on connect (hub.auto_join, docs/PROTOCOL.md §2) is asked not to.
	c.wsURL, c.sseURL = withQuery(c.wsURL, "autojoin", "0"), withQuery(c.sseURL, "autojoin", "0")
	for _, r := range rooms {
		if c.rooms[r.Name] != nil {
			continue
		}
		st := &roomState{since: r.Since}
		if r.Since != nil {
			st.last, st.has = *r.Since, true
		}
		c.rooms[r.Name] = st
		c.order = append(c.order, r.Name)
	}
	if o.SSE {
		c.lastID = c.sseResumeID()
	}
	go c.run()
	select {
	case err := <-c.ready:
		if err != nil {
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		c.Close()
		<-c.done
		return nil, ctx.Err()
	}
}

// Close ends the client: a WebSocket is closed with 1000, a stream is
// cancelled, and no reconnect follows. It does not wait; Done does. It may
// be called from a callback.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closing = true
	if c.cancel != nil {
		c.cancel()
	}
	if conn := c.conn; conn != nil {
		go func() { // the write may wait for a stalled peer: not under c.mu
			_ = conn.WriteClose(1000, "")
			_ = conn.Close()
		}()
	}
}

// Done is closed when the client has stopped: after Close, or after an
// error that reconnecting cannot fix (Err tells which).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the client stopped: nil after Close, else the error that
// ended it (a refused reconnect, a refused rejoin, a protocol violation).
// It is nil while the client runs.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Position is the last seq delivered for room (or the position its live
// join started from); ok is false for a room with none yet.
func (c *Client) Position(room string) (seq uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.rooms[room]; st != nil {
		return st.last, st.has
	}
	return 0, false
}

func (c *Client) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// run connects and reconnects until Close or a permanent error.
func (c *Client) run() {
	delay, everUp := c.o.MinBackoff, false
	for {
		up := false
		var err error
		if c.o.SSE {
			err = c.sseSession(func() { up = c.markUp(&everUp) })
		} else {
			err = c.wsSession(func() { up = c.markUp(&everUp) })
		}
		c.endCalls()
		switch {
		case c.isClosing():
			c.stop(nil)
			return
		case !everUp:
			c.ready <- err
			c.stop(err)
			return
		case permanent(err):
			c.stop(err)
			return
		}
		if up {
			delay = c.o.MinBackoff
			c.mu.Lock()
			if c.retry > delay { // the SSE retry: field
				delay = min(c.retry, c.o.MaxBackoff)
			}
			c.mu.Unlock()
		}
		wait := jitter(delay)
		if c.o.OnDisconnect != nil {
			c.o.OnDisconnect(err, wait)
		}
		if !c.sleep(wait) {
			c.stop(nil)
			return
		}
		delay = min(2*delay, c.o.MaxBackoff)
	}
}

// markUp records that a connection has joined every room.
func (c *Client) markUp(everUp *bool) bool {
	if !*everUp {
		*everUp = true
		c.ready <- nil
	}
	return true
}

// jitter spreads reconnects: between half and all of d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d unless the client is closed meanwhile.
func (c *Client) sleep(d time.Duration) bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	c.cancel = cancel
	c.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return !c.isClosing()
	case <-ctx.Done():
		return false
	}
}

func (c *Client) stop(err error) {
	c.mu.Lock()
	c.closing = true
	for _, st := range c.rooms {
		for _, w := range st.waiters {
			w <- ErrClosed
		}
		st.waiters = nil
	}
	c.mu.Unlock()
	c.err = err
	close(c.done)
}

// deliver hands one event to OnEvent unless it was delivered before.
func (c *Client) deliver(room string, seq uint64, cloud json.RawMessage) {
	var head struct{ ID, Type string }
	_ = json.Unmarshal(cloud, &head)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	st := c.rooms[room]
	if st == nil {
		c.mu.Unlock()
		return // left: what was on its way is not wanted
	}
	if seq > 0 {
		if st.has && seq <= st.last {
			c.mu.Unlock()
			return // replayed again after a reconnect
		}
		st.last, st.has = seq, true
	}
	if head.Type == "access.revoked" {
		c.dropRoomLocked(room) // the server took us out: do not rejoin
	}
	c.mu.Unlock()
	if c.o.OnEvent != nil {
		c.o.OnEvent(Event{Room: room, Seq: seq, ID: head.ID, Type: head.Type, Cloud: cloud})
	}
}

func (c *Client) dropRoomLocked(room string) {
	delete(c.rooms, room)
	for i, r := range c.order {
		if r == room {
			c.order = append(c.order[:i:i], c.order[i+1:]...)
			break
		}
	}
}

// nextRef makes a ref for a call.
func (c *Client) nextRefLocked(prefix string) string {
	c.refN++
	return prefix + strconv.FormatUint(c.refN, 10)
}

// endCalls fails the calls still waiting on the connection that ended.
func (c *Client) endCalls() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ref, ch := range c.calls {
		close(ch)
		delete(c.calls, ref)
	}
	c.joins = nil
	c.conn = nil
}

// withQuery sets one query parameter of a URL built by Endpoints.
func withQuery(raw, k, v string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}
