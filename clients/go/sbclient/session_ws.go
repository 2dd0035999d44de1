package sbclient

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// wsSession runs one WebSocket connection: dial, join every room (with
// since where a position is known), then read until the connection ends.
// up runs once every room is joined.
func (c *Client) wsSession(up func()) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.o.DialTimeout)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		cancel()
		return ErrClosed
	}
	c.cancel = cancel
	token := c.token
	c.mu.Unlock()
	conn, err := DialWS(ctx, c.wsURL, DialOptions{Token: token, Timeout: c.o.DialTimeout})
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close()
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		_ = conn.WriteClose(1000, "")
		return ErrClosed
	}
	c.conn = conn
	c.mu.Unlock()
	if c.o.OnConnect != nil {
		c.o.OnConnect(Connected{URL: c.wsURL, User: conn.Welcome.User, Conn: conn.Welcome.Conn})
	}
	pending, err := c.joinAll(conn)
	if err != nil {
		return err
	}
	if pending == 0 {
		up()
	}
	for {
		_ = conn.NetConn().SetReadDeadline(time.Now().Add(c.o.IdleTimeout))
		f, _, err := conn.ReadFrame()
		if err != nil {
			if c.isClosing() {
				return ErrClosed
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				err = fmt.Errorf("nothing received for %s", c.o.IdleTimeout)
			}
			return err
		}
		switch f.Op {
		case "event":
			c.deliver(f.Room, f.Seq, f.Event)
		case "ok", "error":
			done, err := c.answer(f, &pending)
			if err != nil {
				return err
			}
			if done {
				up()
			}
		case "pong":
			c.reply(f)
		}
	}
}

// joinAll sends a join for every room and returns how many are pending.
func (c *Client) joinAll(conn *Conn) (int, error) {
	c.mu.Lock()
	c.joins = map[string]joinRef{}
	var frames [][]byte
	for _, name := range c.order {
		st := c.rooms[name]
		var since *uint64
		if st.has {
			s := st.last
			since = &s
		}
		ref := c.nextRefLocked("j")
		c.joins[ref] = joinRef{room: name, initial: true}
		frames = append(frames, JoinFrame(name, ref, since))
	}
	c.mu.Unlock()
	for _, b := range frames {
		if err := conn.WriteText(b); err != nil {
			return 0, err
		}
	}
	return len(frames), nil
}

// answer handles an ok or error frame. It returns done when the last of
// the connection's initial joins is answered, and an error that ends the
// connection.
func (c *Client) answer(f Frame, pending *int) (done bool, err error) {
	ref := f.RefString()
	c.mu.Lock()
	jr, isJoin := c.joins[ref]
	room, initial := jr.room, jr.initial
	if !isJoin {
		c.mu.Unlock()
		if !c.reply(f) && f.Op == "error" && c.o.OnServerError != nil {
			c.o.OnServerError(f.Err())
		}
		return false, nil
	}
	delete(c.joins, ref)
	st := c.rooms[room]
	if st == nil { // left while the join was on its way
		if initial {
			*pending--
		}
		c.mu.Unlock()
		return initial && *pending == 0, nil
	}
	if initial {
		*pending--
	}
	if f.Op == "error" {
		je := &JoinError{Room: room, Err: f.Err()}
		if st.joined || len(st.waiters) == 0 {
			c.mu.Unlock()
			return false, je // a room the client was in: reconnecting decides
		}
		c.dropRoomLocked(room) // a Join call refused: only that room fails
		c.wakeLocked(st, je)
		c.mu.Unlock()
		return initial && *pending == 0, nil
	}
	j := Joined{Room: room, Recovered: true}
	if f.Recovered != nil {
		j.Recovered = *f.Recovered
		s := st.last
		j.Since = &s
	} else {
		j.Seq = f.Seq
		if !st.has {
			st.last, st.has = f.Seq, true
		}
	}
	st.joined = true
	c.wakeLocked(st, nil)
	c.mu.Unlock()
	if c.o.OnJoin != nil {
		c.o.OnJoin(j)
	}
	return initial && *pending == 0, nil
}

func (c *Client) wakeLocked(st *roomState, err error) {
	for _, w := range st.waiters {
		w <- err
	}
	st.waiters = nil
}

// joinRef is a join sent on the current connection.
type joinRef struct {
	room    string
	initial bool // sent when the connection started (not by a Join call)
}

// reply hands f to the call waiting for its ref.
func (c *Client) reply(f Frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.calls[f.RefString()]
	if ok {
		delete(c.calls, f.RefString())
		ch <- f
	}
	return ok
}
