package hub

import (
	"encoding/json"
	"sort"

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
// user as the listing shows them, and the room.
type presenceData struct {
	PresentUser
	Room string `json:"room"`
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
	data, _ := json.Marshal(presenceData{PresentUser{UserID: user, Display: p.Display}, r.String()})
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

// SetPresenceSink makes s the sink presence goes through (see
// PresenceSink); none (the default): the hub announces arrivals and departures itself,
// from its own counts, which is right only where this node is the whole
// cluster. Call it before the first client connects.
func (h *Hub) SetPresenceSink(s PresenceSink) { h.presenceSink = s }

// PresentUser is a user present in a room, as the presence listing shows
// them (docs/PROTOCOL.md §8).
type PresentUser struct {
	UserID string `json:"userId"`
	auth.Display
}

// PresentUsers lists the users whose arrival in r this node announced and
// who have not left, sorted by id, each shown as announced: the listing of
// a node without a presence sink.
func (h *Hub) PresentUsers(r room.Room) []PresentUser {
	name := r.String()
	sh := h.shard(name)
	sh.mu.Lock()
	rs := sh.rooms[name]
	sh.mu.Unlock()
	if rs == nil {
		return nil
	}
	rs.mu.RLock()
	var out []PresentUser
	for _, mb := range rs.members {
		if mb.announced {
			p := mb.c.Principal()
			out = append(out, PresentUser{UserID: p.User, Display: p.Display})
		}
	}
	rs.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}
