package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// JoinOptions tune a Join.
type JoinOptions struct {
	// Since, when set, replays every stored event of the rooms with a
	// sequence greater than *Since before live delivery starts.
	Since *uint64
	// MaxRooms bounds how many rooms the client may be in; 0 is no bound.
	MaxRooms int
	// Ack runs once the client is a member of every room, before any event
	// of the join is queued: transports queue their "ok" reply there.
	Ack func(JoinAck)

	// authorizedAt, set by Enter, is Client.narrowed when the rooms were
	// authorized: if access was narrowed since, the join adds no member
	// and answers errNarrowed, and Enter authorizes again.
	authorizedAt *uint64
}

// errNarrowed: the client's access was narrowed between authorizing a join
// and adding its members.
var errNarrowed = errors.New("hub: access narrowed during the join")

// JoinAck tells a joining client where it stands.
type JoinAck struct {
	// Recovered is false when Since was set and history no longer reaches
	// back that far (or comes from another history).
	Recovered bool
	// Seq, for a join without Since, is the history position just before
	// the join: a client that sees no event and reconnects resumes with
	// since=Seq and misses nothing.
	Seq uint64
}

// Join makes the client a member of rooms. The caller has authorized each
// room. Either every room is joined or, on error, none is; an error after
// Ack (a failed replay) closes the client instead, so that it reconnects
// and resumes.
func (c *Client) Join(ctx context.Context, rooms []room.Room, o JoinOptions) error {
	mbs, err := c.addMembers(rooms, o.MaxRooms, o.authorizedAt)
	if err != nil {
		return err
	}
	// The members buffer live events from here on, so the position read
	// now is a point from which nothing is missed: events up to it are
	// history, events after it arrive live or are replayed.
	pos, err := c.hub.broker.Position(ctx)
	if err != nil {
		// The history stream is electing a leader (a node died): a
		// moment later the same join succeeds.
		c.abortJoin(mbs)
		c.hub.log.Warn("join refused: history unavailable", "user", c.Principal().User, "err", err)
		return wire.Errorf(wire.Unavailable, "history is unavailable for a moment; retry the join")
	}
	ack := JoinAck{Recovered: true, Seq: pos.Last}
	last := pos.Last
	if o.Since != nil {
		last = *o.Since
		ack.Seq = 0
		ack.Recovered = pos.Covers(last)
		result := "recovered"
		if !ack.Recovered {
			result = "not_recovered"
		}
		c.hub.metrics.Resumes.WithLabelValues(result).Inc()
		if last > pos.Last {
			last = pos.Last // a since from another history: start from this one's end
		}
	}
	if o.Ack != nil {
		o.Ack(ack)
	}
	if o.Since != nil {
		enc := c.hub.formats[c.format].enc
		// Up to pos.Last only: what was stored after it arrives live (see
		// bus.Bus.Replay), and the buffered live copies up to it are
		// dropped by finish as replayed.
		_, err = c.hub.broker.Replay(ctx, rooms, last, pos.Last, func(l bus.Live) error {
			ev := Event{Seq: l.Seq, Type: l.Type, Data: l.Data}
			if r, err := roomOfReplay(rooms, l); err == nil {
				ev.Room = r
			}
			// A revocation during the replay ends it for that room: the
			// membership is checked and the event queued under rmu, which
			// the revocation holds while it removes the member and queues
			// access.revoked, so no replayed event follows that.
			c.rmu.Lock()
			defer c.rmu.Unlock()
			if !c.joinedBy(ev.Room, mbs) {
				return nil
			}
			if !c.enqueue(enc.Encode(&ev)) {
				return ErrClosed
			}
			return nil
		})
		if err != nil {
			c.hub.log.Error("replay failed; closing the connection so that it resumes", "user", c.Principal().User, "err", err)
			c.Close(wire.ReasonInternal)
			return fmt.Errorf("hub: join: replay: %w", err)
		}
		last = pos.Last
	}
	finish(mbs, last)
	return nil
}

// joinedBy reports whether the client's member of room name is one of mbs
// (it was not revoked or left meanwhile); c.rmu is held.
func (c *Client) joinedBy(name string, mbs []*member) bool {
	mb := c.rooms.get(name)
	return mb != nil && slices.Contains(mbs, mb)
}

// roomOfReplay names the room of a replayed event.
func roomOfReplay(rooms []room.Room, l bus.Live) (string, error) {
	if len(rooms) == 1 {
		return rooms[0].String(), nil
	}
	r, err := room.FromSubject(l.Subject)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}

func (c *Client) addMembers(rooms []room.Room, maxRooms int, authorizedAt *uint64) ([]*member, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if authorizedAt != nil && *authorizedAt != c.narrowed {
		return nil, errNarrowed
	}
	if c.isClosed() || c.left.Load() { // left: expire has emptied c.rooms for good
		return nil, ErrClosed
	}
	if c.Expired() { // checked again here: authorizing may have taken a while
		return nil, c.expiredError()
	}
	if maxRooms > 0 && c.rooms.len()+len(rooms) > maxRooms {
		return nil, wire.Errorf(wire.TooManyRooms, "at most %d rooms per connection", maxRooms)
	}
	seen := make(map[string]bool, len(rooms))
	for _, r := range rooms {
		name := r.String()
		if c.rooms.get(name) != nil || seen[name] {
			return nil, wire.Errorf(wire.BadRequest, "already in room %s", name)
		}
		seen[name] = true
	}
	mbs := make([]*member, 0, len(rooms))
	for _, r := range rooms {
		rs, err := c.hub.acquire(r)
		if err != nil {
			for _, mb := range mbs {
				c.removeMemberLocked(mb, false)
			}
			return nil, fmt.Errorf("hub: join %s: %w", r, err)
		}
		mb := &member{c: c, rs: rs}
		mb.recovering.Store(true)
		rs.add(mb, func() { c.hub.presence(rs.room, presenceJoin, c.Principal()) })
		c.rooms.put(mb)
		mbs = append(mbs, mb)
	}
	return mbs, nil
}

func (c *Client) abortJoin(mbs []*member) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for _, mb := range mbs {
		if c.rooms.get(mb.rs.name) == mb {
			c.removeMemberLocked(mb, true)
		}
	}
}

// removeMemberLocked takes mb out of its room; c.rmu is held.
func (c *Client) removeMemberLocked(mb *member, presence bool) {
	c.rooms.del(mb.rs.name)
	var announce func()
	if presence {
		announce = func() { c.hub.presence(mb.rs.room, presenceLeave, c.Principal()) }
	}
	mb.rs.remove(mb, announce)
	c.hub.release(mb.rs)
}

// Leave takes the client out of room r.
func (c *Client) Leave(r room.Room) error {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	mb := c.rooms.get(r.String())
	if mb == nil {
		return ErrNotJoined
	}
	c.removeMemberLocked(mb, true)
	return nil
}

// RoomCount is the number of rooms the client is in.
func (c *Client) RoomCount() int {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.rooms.len()
}

func (c *Client) leaveAll() {
	if !c.left.CompareAndSwap(false, true) {
		return
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for _, mb := range c.rooms.list() {
		c.removeMemberLocked(mb, true)
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed || c.draining
}
