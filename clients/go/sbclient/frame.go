package sbclient

import (
	"encoding/json"

	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Frame is any frame the server sends on a WebSocket (docs/PROTOCOL.md §3).
// Fields a frame's op does not use are zero.
type Frame struct {
	Op        string          `json:"op"`                  // welcome, ok, error, event, pong
	Ref       json.RawMessage `json:"ref,omitempty"`       // the client's ref, echoed (ok, error, pong)
	Room      string          `json:"room,omitempty"`      // ok, event
	Seq       uint64          `json:"seq,omitempty"`       // event: its position; ok of a join without since: the position to resume from
	Recovered *bool           `json:"recovered,omitempty"` // ok of a join with since
	Code      wire.Code       `json:"code,omitempty"`      // error
	Message   string          `json:"message,omitempty"`   // error
	Conn      string          `json:"conn,omitempty"`      // welcome: the connection id
	User      string          `json:"user,omitempty"`      // welcome: the token's sub
	Rooms     []string        `json:"rooms,omitempty"`     // welcome: the rooms joined on connect (hub.auto_join)
	Event     json.RawMessage `json:"event,omitempty"`     // event: the CloudEvent
}

// Err is the error of an error frame, nil for any other frame.
func (f *Frame) Err() *wire.Error {
	if f.Op != "error" {
		return nil
	}
	return &wire.Error{Code: f.Code, Message: f.Message}
}

// RefString is the echoed ref as a string: a JSON string unquoted, any
// other JSON value as it is.
func (f *Frame) RefString() string {
	var s string
	if json.Unmarshal(f.Ref, &s) == nil {
		return s
	}
	return string(f.Ref)
}

// clientFrame is a frame the client sends.
type clientFrame struct {
	Op    string  `json:"op"`
	Room  string  `json:"room,omitempty"`
	Ref   string  `json:"ref"`
	Since *uint64 `json:"since,omitempty"`
	Token string  `json:"token,omitempty"`
}

func (f clientFrame) bytes() []byte {
	b, _ := json.Marshal(f) // strings and a number: cannot fail
	return b
}

// JoinFrame is the client frame that joins room. With since nil the room
// is live from now on; otherwise every stored event after *since is
// replayed first.
func JoinFrame(room, ref string, since *uint64) []byte {
	return clientFrame{Op: "join", Room: room, Ref: ref, Since: since}.bytes()
}

// LeaveFrame is the client frame that leaves room.
func LeaveFrame(room, ref string) []byte {
	return clientFrame{Op: "leave", Room: room, Ref: ref}.bytes()
}

// RefreshFrame is the client frame that replaces the connection's token
// (docs/PROTOCOL.md §3.2).
func RefreshFrame(token, ref string) []byte {
	return clientFrame{Op: "refresh", Token: token, Ref: ref}.bytes()
}

// PingFrame is the client frame that asks for a pong: an application-level
// round trip, which also shows that every frame sent before it was handled.
func PingFrame(ref string) []byte {
	return clientFrame{Op: "ping", Ref: ref}.bytes()
}
