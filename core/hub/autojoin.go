package hub

import (
	"context"
	"math"
	"slices"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Rooms joined on connect (docs/PROTOCOL.md §2, §3.1, §4.1): with
// hub.auto_join a connection is a member of user:{sub} and of
// workspace:W for each W of its token before its first frame, and the
// transport reports them (the WebSocket welcome). They are memberships
// like any other (leave, revocation, presence), and resumable: the
// connection's since applies to them. A client that then joins one of
// them explicitly, as clients written against explicit joins do, is
// answered ok as if it had joined it then (see Enter); a second explicit
// join is "already in room" as usual.

// autoJoined is what a client knows of the rooms it joined on connect;
// guarded by Client.rmu.
type autoJoined struct {
	members map[string]*member // room name → the member made on connect, until it is claimed
	// from is the seq after which every event of those rooms is
	// delivered: the join's position, or its since when recovered;
	// math.MaxUint64 when the history did not reach back to that since.
	from uint64
}

// AutoJoins reports whether connections join rooms on connect.
func (h *Hub) AutoJoins() bool { return len(h.autoJoin) > 0 }

// AutoRooms are the rooms a connection of p joins on connect, by
// hub.auto_join: user:{sub} first, then workspace:W in the order of the
// workspaces claim, each once. An id that cannot name a room (a sub such
// as "auth0|42") is skipped with a debug log.
func (h *Hub) AutoRooms(p *auth.Principal) []room.Room {
	var out []room.Room
	add := func(kind, id string) {
		r, err := room.Parse(kind + ":" + id)
		if err != nil {
			h.log.Debug("auto-join skipped: the id cannot name a room", "kind", kind, "id", id)
			return
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if slices.Contains(h.autoJoin, "user") {
		add("user", p.User)
	}
	if slices.Contains(h.autoJoin, "workspace") {
		for _, w := range p.Workspaces {
			add("workspace", w)
		}
	}
	return out
}

// AutoJoin joins the client to AutoRooms, authorized and resumed like a
// join (Enter with o). ack runs once, before any event of those rooms is
// queued, with the rooms' names and where the client stands (as JoinAck
// for a join with o.Since), also when there are none to join; o.Ack is
// ignored. On error (too_many_rooms, forbidden, unavailable…) before ack,
// ack has not run and the client is in none of them.
func (c *Client) AutoJoin(ctx context.Context, o JoinOptions, ack func(rooms []string, a JoinAck)) error {
	rooms := c.hub.AutoRooms(c.Principal())
	names := make([]string, len(rooms))
	for i, r := range rooms {
		names[i] = r.String()
	}
	if len(rooms) == 0 {
		ack(names, JoinAck{Recovered: true})
		return nil
	}
	since := o.Since
	o.Ack = func(a JoinAck) {
		c.rmu.Lock()
		c.auto.members = make(map[string]*member, len(names))
		for _, n := range names {
			c.auto.members[n] = c.rooms.get(n)
		}
		switch {
		case since == nil:
			c.auto.from = a.Seq
		case a.Recovered:
			c.auto.from = *since
		default:
			c.auto.from = math.MaxUint64
		}
		c.rmu.Unlock()
		ack(names, a)
	}
	return c.Enter(ctx, rooms, o)
}

// claimAuto takes out of rooms those the client joined on connect and
// still is in by that membership, which become ordinary memberships; it
// returns the rest and the answer for the claimed ones (see Enter).
func (c *Client) claimAuto(rooms []room.Room, since *uint64) ([]room.Room, JoinAck, bool) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(c.auto.members) == 0 {
		return rooms, JoinAck{}, false
	}
	var rest []room.Room
	claimed := false
	for _, r := range rooms {
		n := r.String()
		if mb := c.auto.members[n]; mb != nil && c.rooms.get(n) == mb {
			delete(c.auto.members, n)
			claimed = true
			continue
		}
		rest = append(rest, r)
	}
	// Every event after auto.from is delivered: a join without since may
	// resume from there; one with since is recovered when nothing between
	// since and auto.from went missing.
	a := JoinAck{Recovered: true, Seq: c.auto.from}
	if c.auto.from == math.MaxUint64 {
		a.Seq = 0
	}
	if since != nil {
		a.Seq = 0
		a.Recovered = *since >= c.auto.from
	}
	return rest, a, claimed
}

// AutoJoinParam reads a connection's autojoin URL parameter: "" or "1"
// (the default: join the rooms of the token), "0" (join none on this
// connection, for clients that want only the rooms they name).
func AutoJoinParam(v string) (bool, error) {
	switch v {
	case "", "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, wire.Errorf(wire.BadRequest, "autojoin must be 0 or 1, got %q", v)
}
