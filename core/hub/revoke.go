package hub

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/switchboard-rt/switchboard/core/event"
	"github.com/switchboard-rt/switchboard/core/room"
)

// TypeAccessRevoked is the live-only event a connection receives for each
// room it was made to leave.
const TypeAccessRevoked = "access.revoked"

// Revocation says whose connections leave which rooms.
type Revocation struct {
	User         string      // "" = every user
	Rooms        []room.Room // rooms to leave
	RecheckKinds []string    // rooms of these kinds are authorized again and left if refused
	Reason       string
}

// Revoke makes the matching connections of this node leave the listed
// rooms before it returns. Each gets an access.revoked event (live only, no
// seq) for each room. Their rooms of the recheck kinds are then authorized
// again (which may call a plugin) on other goroutines, so that the caller,
// the one goroutine that dispatches every room's live events, is not held;
// done is closed once those rooms are left too. Applying a revocation twice
// does nothing more.
func (h *Hub) Revoke(ctx context.Context, rv Revocation) (done <-chan struct{}) {
	var cs []*Client
	for _, c := range h.clients.all() {
		if rv.User == "" || c.Principal().User == rv.User {
			cs = append(cs, c)
		}
	}
	var wg sync.WaitGroup
	for _, c := range cs {
		c.revoke(ctx, rv, &wg)
	}
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// revoke makes c leave the listed rooms at once, then asks the authorizer
// again about its rooms of the recheck kinds on another goroutine, counted
// in wg.
func (c *Client) revoke(ctx context.Context, rv Revocation, wg *sync.WaitGroup) {
	c.rmu.Lock()
	c.narrowed++ // a join authorized before this is authorized again
	var listed, recheck []room.Room
	for _, mb := range c.rooms.list() {
		switch r := mb.rs.room; {
		case slices.Contains(rv.Rooms, r):
			listed = append(listed, r)
		case slices.Contains(rv.RecheckKinds, r.Kind):
			recheck = append(recheck, r)
		}
	}
	c.rmu.Unlock()
	for _, r := range listed {
		c.leaveRevoked(r, rv.Reason)
	}
	if len(recheck) == 0 {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, r := range recheck {
			if c.hub.Authorize(ctx, c.Principal(), r) != nil {
				c.leaveRevoked(r, rv.Reason)
			}
		}
	}()
}

// leaveRevoked takes c out of r and tells it why. access.revoked is queued
// under rmu, so that a replay or a join's buffered events, queued under
// rmu by members still in the room, never come after it.
func (c *Client) leaveRevoked(r room.Room, reason string) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if mb := c.rooms.get(r.String()); mb != nil {
		c.removeMemberLocked(mb, true)
		c.enqueue(c.hub.formats[c.format].enc.Encode(revokedEvent(r, reason)))
	}
}

// RevocationMsg is a Revocation as it travels between nodes (JSON on the
// control subject), so that every node's connections leave, in order
// after the events stored before it.
type RevocationMsg struct {
	User         string   `json:"user,omitempty"`
	Rooms        []string `json:"rooms"`
	RecheckKinds []string `json:"recheckKinds,omitempty"`
	Reason       string   `json:"reason,omitempty"`
}

// Revocation parses the rooms.
func (m RevocationMsg) Revocation() (Revocation, error) {
	rv := Revocation{User: m.User, RecheckKinds: m.RecheckKinds, Reason: m.Reason}
	for _, name := range m.Rooms {
		r, err := room.Parse(name)
		if err != nil {
			return rv, err
		}
		rv.Rooms = append(rv.Rooms, r)
	}
	return rv, nil
}

func revokedEvent(r room.Room, reason string) *Event {
	data, _ := json.Marshal(map[string]string{"room": r.String(), "reason": reason})
	env := event.New("switchboard", TypeAccessRevoked, data)
	env.Subject = r.String()
	env.CorrelationID = env.ID // no request behind it: its own id
	b, _ := env.Encode()
	return &Event{Room: r.String(), Type: TypeAccessRevoked, Data: b}
}
