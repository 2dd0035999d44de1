package hub

import (
	"encoding/json"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/switchboard-rt/switchboard/core/event"
	"github.com/switchboard-rt/switchboard/core/room"
)

// Presence event types (CONTRACT §6). They are live only: not stored, no
// seq, never replayed.
const (
	presenceJoin  = "presence.join"
	presenceLeave = "presence.leave"
)

type presenceEvent struct {
	SpecVersion     string       `json:"specversion"`
	ID              string       `json:"id"`
	Source          string       `json:"source"`
	Type            string       `json:"type"`
	Time            string       `json:"time"`
	Subject         string       `json:"subject"`
	DataContentType string       `json:"datacontenttype"`
	Data            presenceData `json:"data"`
}

type presenceData struct {
	UserID string `json:"userId"`
}

// announces reports whether a room of n members gets presence events.
func (h *Hub) announces(n int) bool {
	return h.presenceOn && (h.presenceMax == 0 || n <= h.presenceMax)
}

// presence announces a user's arrival or departure to a room on every node.
func (h *Hub) presence(r room.Room, typ, user string) {
	if h.closed.Load() {
		return
	}
	b, err := json.Marshal(presenceEvent{
		SpecVersion: "1.0", ID: ulid.Make().String(), Source: "switchboard/presence", Type: typ,
		Time: time.Now().UTC().Format(event.TimeFormat), Subject: r.String(),
		DataContentType: "application/json", Data: presenceData{UserID: user},
	})
	if err != nil {
		return
	}
	if err := h.broker.PublishLive(r, typ, b); err != nil {
		h.log.Warn("presence not published", "room", r.String(), "type", typ, "err", err)
	}
}
