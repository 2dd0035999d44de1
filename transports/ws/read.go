package ws

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// errStop ends reading: the connection is being closed.
var errStop = errors.New("ws: stop reading")

// readFrames reads and handles every frame buffered in br, reading more
// from the socket only to finish a frame that has begun. It reports
// whether the connection is still open.
func (c *conn) readFrames(br *bufio.Reader) bool {
	for {
		// Each frame gets the whole timeout to arrive, however long
		// handling the previous one took.
		_ = c.nc.SetReadDeadline(time.Now().Add(time.Duration(c.t.cfg.WriteTimeout)))
		if err := c.readFrame(br); err != nil {
			if !errors.Is(err, errStop) {
				c.client.Close(wire.ReasonNormal)
			}
			return false
		}
		if br.Buffered() == 0 {
			return true
		}
	}
}

func (c *conn) readFrame(br *bufio.Reader) error {
	h, err := ws.ReadHeader(br)
	if err != nil {
		return err
	}
	max := int64(c.t.cfg.MaxFrameBytes)
	if h.Length > max || (h.OpCode == ws.OpContinuation && int64(len(c.frag))+h.Length > max) {
		c.client.Close(wire.ReasonTooBig)
		return errStop
	}
	if !h.Masked || h.Rsv != 0 || (h.OpCode.IsControl() && (!h.Fin || h.Length > 125)) {
		c.client.Close(wire.ReasonProtocol)
		return errStop
	}
	// Grow the buffer as bytes arrive rather than trusting the header's
	// length up front: a peer that announces 64 KiB and sends nothing pins
	// little memory.
	buf := bytes.NewBuffer(make([]byte, 0, min(h.Length, 4096)))
	if _, err := io.CopyN(buf, br, h.Length); err != nil {
		return err
	}
	payload := buf.Bytes()
	ws.Cipher(payload, h.Mask, 0)
	c.touch()
	switch h.OpCode {
	case ws.OpClose:
		c.client.Close(wire.ReasonNormal)
		return errStop
	case ws.OpPing:
		if !c.allowFrame() {
			return c.bad(nil, wire.Errorf(wire.RateLimited, "more than %g frames per second", c.t.cfg.RateLimit))
		}
		c.client.Send(frame(ws.OpPong, payload))
	case ws.OpPong:
	case ws.OpText, ws.OpBinary:
		if c.frag != nil {
			c.client.Close(wire.ReasonProtocol)
			return errStop
		}
		if !h.Fin {
			c.frag = payload
			return nil
		}
		if !utf8.Valid(payload) { // RFC 6455 §8.1; binary frames carry JSON too
			c.client.Close(wire.ReasonUTF8)
			return errStop
		}
		return c.handle(payload)
	case ws.OpContinuation:
		if c.frag == nil {
			c.client.Close(wire.ReasonProtocol)
			return errStop
		}
		c.frag = append(c.frag, payload...)
		if h.Fin {
			msg := c.frag
			c.frag = nil
			if !utf8.Valid(msg) { // checked whole: a character may span fragments
				c.client.Close(wire.ReasonUTF8)
				return errStop
			}
			return c.handle(msg)
		}
	default:
		c.client.Close(wire.ReasonProtocol)
		return errStop
	}
	return nil
}

// clientFrame is a frame from the client (docs/PROTOCOL.md §3.2).
type clientFrame struct {
	Op    string          `json:"op"`
	Room  string          `json:"room"`
	Ref   json.RawMessage `json:"ref"`
	Since *uint64         `json:"since"`
	Token string          `json:"token"` // refresh
}

// decodeFrame parses and checks one client message.
func decodeFrame(msg []byte) (clientFrame, *wire.Error) {
	var f clientFrame
	if err := json.Unmarshal(msg, &f); err != nil {
		// Echo the ref if the frame has one, even though the rest is bad.
		return clientFrame{Ref: probeRef(msg)}, wire.Errorf(wire.BadRequest, "frame is not a valid JSON object: %v", err)
	}
	f.Ref = validRef(f.Ref)
	switch f.Op {
	case "join", "leave":
		if f.Room == "" {
			return f, wire.Errorf(wire.BadRequest, "%s needs a room", f.Op)
		}
		if _, err := hub.ParseRoom(f.Room); err != nil {
			return f, wire.As(err)
		}
		if f.Op == "leave" && f.Since != nil {
			return f, wire.Errorf(wire.BadRequest, "since is only for join")
		}
	case "refresh":
		if f.Token == "" {
			return f, wire.Errorf(wire.BadRequest, "refresh needs a token")
		}
	case "ping":
	case "":
		return f, wire.Errorf(wire.BadRequest, "missing op")
	default:
		return f, wire.Errorf(wire.BadRequest, "unknown op %q", f.Op)
	}
	return f, nil
}

// validRef keeps a ref to echo: any JSON value but null (docs/PROTOCOL.md §3.2: the
// ref is echoed back). Its size is bounded by max_frame_bytes.
func validRef(ref json.RawMessage) json.RawMessage {
	if len(ref) == 0 || string(ref) == "null" {
		return nil
	}
	return ref
}

// maxLimitedProbe bounds the frames whose ref a rate-limited client gets
// echoed: refusing a flood must stay cheaper than serving it.
const maxLimitedProbe = 4096

// limitedRef is the ref of a frame refused for its rate, if the frame is
// small enough to look at.
func limitedRef(msg []byte) json.RawMessage {
	if len(msg) > maxLimitedProbe {
		return nil
	}
	return probeRef(msg)
}

// probeRef reads only the ref of a frame.
func probeRef(msg []byte) json.RawMessage {
	var probe struct {
		Ref json.RawMessage `json:"ref"`
	}
	_ = json.Unmarshal(msg, &probe)
	return validRef(probe.Ref)
}

// handle runs one client message.
func (c *conn) handle(msg []byte) error {
	if !c.allowFrame() {
		return c.bad(limitedRef(msg), wire.Errorf(wire.RateLimited, "more than %g frames per second", c.t.cfg.RateLimit))
	}
	f, werr := decodeFrame(msg)
	if werr != nil {
		return c.bad(f.Ref, werr)
	}
	switch f.Op {
	case "ping":
		c.client.Send((&reply{Op: "pong", Ref: f.Ref}).frame())
	case "join":
		c.join(f)
	case "refresh":
		return c.refresh(f)
	case "leave":
		if err := c.client.LeaveRoom(f.Room); err != nil {
			c.client.Send(errorFrame(f.Ref, wire.As(err)))
			return nil
		}
		c.client.Send((&reply{Op: "ok", Ref: f.Ref, Room: f.Room}).frame())
	}
	return nil
}

// join runs the session protocol's join (hub.Client.Enter) and frames its
// answer: {"op":"ok",…,"seq"|"recovered"} or {"op":"error",…}.
func (c *conn) join(f clientFrame) {
	r, _ := hub.ParseRoom(f.Room) // decodeFrame checked it
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(c.t.cfg.WriteTimeout))
	defer cancel()
	err := c.client.Enter(ctx, []room.Room{r}, hub.JoinOptions{
		Since:    f.Since,
		MaxRooms: c.t.cfg.MaxRooms,
		Ack: func(a hub.JoinAck) {
			ok := &reply{Op: "ok", Ref: f.Ref, Room: f.Room}
			if f.Since != nil {
				ok.Recovered = &a.Recovered
			} else {
				ok.Seq = &a.Seq
			}
			c.client.Send(ok.frame())
		},
	})
	if err != nil {
		c.client.Send(errorFrame(f.Ref, wire.As(err)))
	}
}

// refresh replaces the connection's token (docs/PROTOCOL.md §3.2): the new
// one is verified like a connecting one and must be for the same user; the
// rooms it no longer allows are left with access.revoked before the ok.
// A token that does not verify counts as a bad frame.
func (c *conn) refresh(f clientFrame) error {
	p, err := c.t.auth.Verify(f.Token)
	if err != nil {
		code := wire.Unauthorized
		if errors.Is(err, auth.ErrExpiredToken) {
			code = wire.TokenExpired
		}
		return c.bad(f.Ref, wire.Errorf(code, "refresh: %v", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(c.t.cfg.WriteTimeout))
	defer cancel()
	if err := c.client.Refresh(ctx, p); err != nil {
		return c.bad(f.Ref, wire.As(err))
	}
	c.client.Send((&reply{Op: "ok", Ref: f.Ref}).frame())
	return nil
}

// bad answers a bad frame; too many of them close the connection.
func (c *conn) bad(ref json.RawMessage, e *wire.Error) error {
	c.client.Send(errorFrame(ref, e))
	c.errs++
	if max := c.t.cfg.MaxErrors; max > 0 && c.errs >= max {
		c.client.Drain(wire.ReasonAbusive)
		return errStop
	}
	return nil
}
