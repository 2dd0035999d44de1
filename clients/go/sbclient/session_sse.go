package sbclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// sseSession runs one SSE stream of every room, resuming after the last id
// seen. up runs once the stream's first block (retry:, then recovery or
// the id-only position) has been read: the rooms are joined.
func (c *Client) sseSession(up func()) error {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	c.cancel = func() { cancel(ErrClosed) }
	rooms := append([]string(nil), c.order...)
	lastID := c.lastID
	token := c.token
	c.mu.Unlock()

	dialTimer := time.AfterFunc(c.o.DialTimeout, func() {
		cancel(fmt.Errorf("no answer within %s", c.o.DialTimeout))
	})
	resp, err := DialSSE(ctx, c.sseURL, rooms, SSEOptions{Token: token, LastEventID: lastID, HTTPClient: c.o.HTTPClient})
	dialTimer.Stop()
	if err != nil {
		return causeOr(ctx, err)
	}
	defer resp.Body.Close()
	if c.o.OnConnect != nil {
		c.o.OnConnect(Connected{URL: c.sseURL})
	}
	idle := time.AfterFunc(c.o.IdleTimeout, func() {
		cancel(fmt.Errorf("nothing received for %s", c.o.IdleTimeout))
	})
	defer idle.Stop()
	br := NewBlockReader(resp.Body)
	announced, sawRetry, recovered := false, false, true
	var pos uint64
	for {
		b, err := br.Next()
		if err != nil {
			if err == io.EOF {
				err = errors.New("stream ended")
			}
			return causeOr(ctx, err)
		}
		idle.Reset(c.o.IdleTimeout)
		switch {
		case b.Retry != "":
			sawRetry = true
			if ms, err := strconv.Atoi(b.Retry); err == nil {
				c.mu.Lock()
				c.retry = time.Duration(ms) * time.Millisecond
				c.mu.Unlock()
			}
		case b.Event == "recovery":
			var r struct{ Recovered bool }
			if json.Unmarshal([]byte(b.Data), &r) == nil {
				recovered = r.Recovered
			}
		case b.Event == "error":
			var e wire.Error
			var body struct {
				Code    wire.Code `json:"code"`
				Message string    `json:"message"`
			}
			_ = json.Unmarshal([]byte(b.Data), &body)
			e.Code, e.Message = body.Code, body.Message
			return &streamError{Err: &e}
		case b.Data != "":
			var p struct {
				Room  string          `json:"room"`
				Seq   uint64          `json:"seq"`
				Event json.RawMessage `json:"event"`
			}
			if err := json.Unmarshal([]byte(b.Data), &p); err != nil {
				return fmt.Errorf("bad event from server %q: %w", b.Data, err)
			}
			c.deliver(p.Room, p.Seq, p.Event)
			if b.HasID && b.ID != "" {
				c.setLastID(b.ID)
			}
		case b.HasID && b.ID != "":
			// An id-only block moves the resume point without an event.
			pos, _ = strconv.ParseUint(b.ID, 10, 64)
			c.setLastID(b.ID)
		}
		if !announced && sawRetry && (br.Buffered() == 0 || (b.Retry == "" && b.Event != "recovery")) {
			announced = true
			c.announce(rooms, lastID, recovered, pos)
			up()
		}
	}
}

// announce reports the stream's rooms as joined.
func (c *Client) announce(rooms []string, lastID string, recovered bool, pos uint64) {
	if c.o.OnJoin == nil {
		return
	}
	var since *uint64
	if s, err := strconv.ParseUint(lastID, 10, 64); err == nil && lastID != "" {
		since = &s
	}
	for _, r := range rooms {
		j := Joined{Room: r, Since: since, Recovered: true, Seq: pos}
		if since != nil {
			j.Recovered, j.Seq = recovered, 0
		}
		c.o.OnJoin(j)
	}
}

func (c *Client) setLastID(id string) {
	c.mu.Lock()
	c.lastID = id
	c.mu.Unlock()
}

// sseResumeID is the Last-Event-ID of the first stream: the lowest since
// asked for, so that no room misses an event (the duplicates that other
// rooms get are dropped on delivery).
func (c *Client) sseResumeID() string {
	var low *uint64
	for _, st := range c.rooms {
		if st.has && (low == nil || st.last < *low) {
			l := st.last
			low = &l
		}
	}
	if low == nil {
		return ""
	}
	return strconv.FormatUint(*low, 10)
}

// causeOr prefers why ctx was cancelled (idle, dial timeout, Close) to
// the read error that the cancellation caused.
func causeOr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}
