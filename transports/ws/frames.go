package ws

import (
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/gobwas/ws"

	"github.com/switchboard-rt/switchboard/core/hub"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// newFrame returns a slice holding the header of an unmasked, final server
// frame of opcode op with an n-byte payload, with room for the payload.
func newFrame(op ws.OpCode, n int) []byte {
	hdr := 2
	switch {
	case n > 0xffff:
		hdr += 8
	case n > 125:
		hdr += 2
	}
	b := make([]byte, hdr, hdr+n)
	b[0] = 0x80 | byte(op)
	switch {
	case n > 0xffff:
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	case n > 125:
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b[1] = byte(n)
	}
	return b
}

// frame wraps payload in a server frame of opcode op.
func frame(op ws.OpCode, payload []byte) []byte {
	return append(newFrame(op, len(payload)), payload...)
}

// encoder is the hub's encoder for WebSocket: events (encodeEvent) and the
// error frame the hub sends before it ends a connection (token_expired).
type encoder struct{}

var _ hub.ErrorEncoder = encoder{}

func (encoder) Encode(ev *hub.Event) []byte      { return encodeEvent(ev) }
func (encoder) EncodeError(e *wire.Error) []byte { return errorFrame(nil, e) }

// encodeEvent is the hub encoder for WebSocket: one text frame
// {"op":"event","room":R,"seq":N,"event":E}, built with one allocation.
func encodeEvent(ev *hub.Event) []byte {
	var seq [20]byte
	s := seq[:0]
	if ev.Seq > 0 {
		s = strconv.AppendUint(s, ev.Seq, 10)
	}
	n := len(`{"op":"event","room":"","event":}`) + len(ev.Room) + len(ev.Data)
	if len(s) > 0 {
		n += len(`"seq":,`) + len(s)
	}
	b := newFrame(ws.OpText, n)
	b = append(b, `{"op":"event","room":"`...)
	b = append(b, ev.Room...)
	b = append(b, `",`...)
	if len(s) > 0 {
		b = append(b, `"seq":`...)
		b = append(b, s...)
		b = append(b, ',')
	}
	b = append(b, `"event":`...)
	b = append(b, ev.Data...)
	b = append(b, '}')
	return b
}

// reply is every server frame other than events.
type reply struct {
	Op        string          `json:"op"`
	Ref       json.RawMessage `json:"ref,omitempty"`
	Room      string          `json:"room,omitempty"`
	Recovered *bool           `json:"recovered,omitempty"`
	Seq       *uint64         `json:"seq,omitempty"` // join without since: the position to resume from
	Code      string          `json:"code,omitempty"`
	Message   string          `json:"message,omitempty"`
	Conn      string          `json:"conn,omitempty"`
	User      string          `json:"user,omitempty"`
	Rooms     *[]string       `json:"rooms,omitempty"` // welcome with hub.auto_join: the rooms joined on connect
}

func (r *reply) frame() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b = []byte(`{"op":"error","code":"internal","message":"encoding reply"}`)
	}
	return frame(ws.OpText, b)
}

func errorFrame(ref json.RawMessage, e *wire.Error) []byte {
	return (&reply{Op: "error", Ref: ref, Code: string(e.Code), Message: e.Message}).frame()
}

func closeFrame(r wire.Reason) []byte {
	return frame(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(r.Code), r.Text))
}

var pingFrame = frame(ws.OpPing, nil)
