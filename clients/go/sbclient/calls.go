package sbclient

import (
	"context"
	"errors"
	"fmt"
)

// errSSE refuses the calls an SSE stream cannot make.
var errSSE = fmt.Errorf("sbclient: SSE streams have fixed rooms: %w", errors.ErrUnsupported)

// errLost is a call whose connection ended before the answer.
var errLost = errors.New("sbclient: connection lost before the answer")

// Join joins room (with since, the events stored after it first) and
// waits until it is joined. While the client is reconnecting the join is
// made on the next connection. A refused join is a *JoinError; the room is
// then not kept. WebSocket only.
func (c *Client) Join(ctx context.Context, room string, since *uint64) error {
	if c.o.SSE {
		return errSSE
	}
	wait := make(chan error, 1)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	if st := c.rooms[room]; st != nil {
		c.mu.Unlock()
		return fmt.Errorf("sbclient: join %s: already joined", room)
	}
	st := &roomState{since: since, waiters: []chan error{wait}}
	if since != nil {
		st.last, st.has = *since, true
	}
	c.rooms[room] = st
	c.order = append(c.order, room)
	conn := c.conn
	var frame []byte
	if conn != nil && c.joins != nil {
		ref := c.nextRefLocked("j")
		c.joins[ref] = joinRef{room: room}
		frame = JoinFrame(room, ref, since)
	}
	c.mu.Unlock()
	if frame != nil {
		_ = conn.WriteText(frame) // a failed write ends the connection; the next one joins
	}
	select {
	case err := <-wait:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Leave leaves room and waits for the server's answer. WebSocket only.
func (c *Client) Leave(ctx context.Context, room string) error {
	if c.o.SSE {
		return errSSE
	}
	c.mu.Lock()
	if c.rooms[room] == nil {
		c.mu.Unlock()
		return fmt.Errorf("sbclient: leave %s: not joined", room)
	}
	c.dropRoomLocked(room)
	c.mu.Unlock()
	f, err := c.call(ctx, "l", func(ref string) []byte { return LeaveFrame(room, ref) })
	if errors.Is(err, errLost) {
		return nil // the next connection does not join it
	}
	if err != nil {
		return err
	}
	if e := f.Err(); e != nil {
		return fmt.Errorf("leave %s: %w", room, e)
	}
	return nil
}

// Refresh replaces the token (same sub) before the current one expires
// (docs/PROTOCOL.md §3.2, §3.6): on WebSocket the open connection takes it
// at once, and rooms it no longer allows are left (OnEvent sees their
// access.revoked); on either transport later reconnects send it. On SSE
// nothing is sent: the stream ends at the old token's exp and reconnects
// with the new one. A refused token is a *wire.Error and changes nothing.
func (c *Client) Refresh(ctx context.Context, token string) error {
	if token == "" {
		return errors.New("sbclient: refresh: empty token")
	}
	if c.o.SSE {
		c.mu.Lock()
		c.token = token
		c.mu.Unlock()
		return nil
	}
	f, err := c.call(ctx, "r", func(ref string) []byte { return RefreshFrame(token, ref) })
	if errors.Is(err, errLost) {
		// Between connections: the next one connects with it.
		c.mu.Lock()
		c.token = token
		c.mu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	if e := f.Err(); e != nil {
		return fmt.Errorf("refresh: %w", e)
	}
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
	return nil
}

// Ping makes a round trip to the server: when it returns, every frame
// sent before it was handled. WebSocket only.
func (c *Client) Ping(ctx context.Context) error {
	if c.o.SSE {
		return errSSE
	}
	f, err := c.call(ctx, "p", PingFrame)
	if err != nil {
		return err
	}
	if e := f.Err(); e != nil {
		return e
	}
	return nil
}

// call sends the frame made for a fresh ref on the current connection and
// waits for the frame that echoes the ref.
func (c *Client) call(ctx context.Context, prefix string, frame func(ref string) []byte) (Frame, error) {
	ch := make(chan Frame, 1)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return Frame{}, ErrClosed
	}
	conn := c.conn
	if conn == nil {
		c.mu.Unlock()
		return Frame{}, errLost
	}
	ref := c.nextRefLocked(prefix)
	c.calls[ref] = ch
	c.mu.Unlock()
	if err := conn.WriteText(frame(ref)); err != nil {
		c.mu.Lock()
		delete(c.calls, ref)
		c.mu.Unlock()
		return Frame{}, errLost
	}
	select {
	case f, ok := <-ch:
		if !ok {
			return Frame{}, errLost
		}
		return f, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.calls, ref)
		c.mu.Unlock()
		return Frame{}, ctx.Err()
	}
}
