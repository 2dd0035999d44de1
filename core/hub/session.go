package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// The session protocol, the same on every transport (docs/PROTOCOL.md §2,
// §6, §7, §8): a client names rooms as `kind:id`; a malformed name is
// bad_request; each room is authorized by its kind's owner (forbidden, not_found, …); joining
// with since replays history first (JoinAck.Recovered), joining without it
// reports the position to resume from (JoinAck.Seq); a client is in at most
// MaxRooms rooms (too_many_rooms); presence follows membership. A transport
// only frames requests and replies: it calls ParseRooms, Enter and
// LeaveRoom, and writes what they return with its own framing.

// ParseRoom parses a room name a client sent; a malformed name is a
// wire.BadRequest error that says what a room looks like.
func ParseRoom(name string) (room.Room, error) {
	r, err := room.Parse(name)
	if err != nil {
		return room.Room{}, wire.Errorf(wire.BadRequest, "malformed room %q: want kind:id with id [A-Za-z0-9_.-]{1,128}", name)
	}
	return r, nil
}

// ParseRooms parses room names a client sent, dropping repeats; at least one
// is required.
func ParseRooms(names []string) ([]room.Room, error) {
	if len(names) == 0 {
		return nil, wire.Errorf(wire.BadRequest, "at least one room is required")
	}
	rooms := make([]room.Room, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		r, err := ParseRoom(n)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			rooms = append(rooms, r)
		}
	}
	return rooms, nil
}

// Enter authorizes the client for every room and joins them (see Join):
// the one step a transport takes for a client's join request. The error
// is a *wire.Error for the client (see wire.As); an internal one is logged
// here.
//
// A room the client joined on connect (AutoJoin) and still is in that way
// is not joined again: it is answered as joined now (JoinAck.Seq from
// the connect; Recovered when Since is not before it), once.
func (c *Client) Enter(ctx context.Context, rooms []room.Room, o JoinOptions) (err error) {
	defer c.hub.observeJoin(c.format, time.Now(), &err)
	if c.Expired() {
		return c.expiredError()
	}
	rest, autoAck, claimed := c.claimAuto(rooms, o.Since)
	if claimed && len(rest) == 0 {
		if o.Ack != nil {
			o.Ack(autoAck)
		}
		return nil
	}
	rooms = rest
	// A revocation (or a narrower refreshed token) that lands between the
	// authorization and the membership would miss the new rooms: the join
	// notices (Client.narrowed), adds nothing, and is authorized again, so
	// a join racing a revocation never leaves the client in a room it may
	// no longer join.
	for attempt := 0; attempt < maxJoinAttempts; attempt++ {
		if err = c.authorizeAll(ctx, rooms, &o); err != nil {
			return err
		}
		if err = c.Join(ctx, rooms, o); !errors.Is(err, errNarrowed) {
			break
		}
	}
	if errors.Is(err, errNarrowed) {
		err = wire.Errorf(wire.Unavailable, "access changed during the join; join again")
	}
	if err != nil && wire.As(err).Code == wire.Internal {
		c.hub.log.Error("join failed", "rooms", fmt.Sprint(rooms), "user", c.Principal().User, "conn", c.id, "err", err)
	}
	return err
}

// LeaveRoom takes the client out of the room called name.
func (c *Client) LeaveRoom(name string) error {
	r, err := ParseRoom(name)
	if err != nil {
		return err
	}
	return c.Leave(r)
}

// maxJoinAttempts bounds how often Enter authorizes again after access was
// narrowed during a join; past it the client is told to join again.
const maxJoinAttempts = 3

// authorizeAll authorizes every room for the client's current principal
// and records, in o, the point of the client's access it was checked at.
func (c *Client) authorizeAll(ctx context.Context, rooms []room.Room, o *JoinOptions) error {
	c.rmu.Lock()
	at := c.narrowed
	c.rmu.Unlock()
	o.authorizedAt = &at
	p := c.Principal()
	for _, r := range rooms {
		if err := c.hub.Authorize(ctx, p, r); err != nil {
			return err
		}
	}
	return nil
}
