package hub

import (
	"encoding/json"

	"github.com/switchboard-rt/switchboard/core/auth"
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

// PresenceSink is told of a user's first connection in a room on this
// node (Arrive, with how the user is shown: the display claims of that
// connection's token) and of their last one leaving (Depart), in order for
// one (room, user).
type PresenceSink interface {
	Arrive(r room.Room, user string, d auth.Display)
	Depart(r room.Room, user string)
}

// presenceData is the data of a presence event (docs/PROTOCOL.md §8): the
// user id and the display claims the token has, absent ones omitted.
type presenceData struct {
	UserID string `json:"userId"`
	auth.Display
}

// presence announces a user's arrival or departure to a room on every node,
// through the sink when there is one.
func (h *Hub) presence(r room.Room, typ string, p *auth.Principal) {
	user := p.User
	if s := h.presenceSink; s != nil {
		if typ == presenceJoin {
			s.Arrive(r, user, p.Display)
		} else {
			s.Depart(r, user)
		}
		return
	}
	if h.closed.Load() {
		return
	}
	data, _ := json.Marshal(presenceData{UserID: user, Display: p.Display})
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
