package hub

import (
	"encoding/json"

	"github.com/switchboard-rt/switchboard/core/event"
	"github.com/switchboard-rt/switchboard/core/room"
)

// Presence event types (docs/PROTOCOL.md §8). They are live only: not stored, no
// seq, never replayed.
const (
	presenceJoin  = "presence.join"
	presenceLeave = "presence.leave"
)

// announces reports whether a room of n members gets presence events.
func (h *Hub) announces(n int) bool {
	return h.presenceOn && (h.presenceMax == 0 || n <= h.presenceMax)
}

// presence announces a user's arrival or departure to a room on every node.
func (h *Hub) presence(r room.Room, typ, user string) {
	if h.closed.Load() {
		return
	}
	data, _ := json.Marshal(map[string]string{"userId": user})
	env := event.New("switchboard/presence", typ, data)
	env.Subject = r.String()
	env.Actor = user
	env.CorrelationID = env.ID // no request behind it: its own id
	b, err := env.Encode()
	if err != nil {
		return
	}
	if err := h.broker.PublishLive(r, typ, b); err != nil {
		h.log.Warn("presence not published", "room", r.String(), "type", typ, "err", err)
	}
}
