package hub

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/switchboard-rt/switchboard/core/room"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// roomState is a room with members on this node.
type roomState struct {
	name string
	room room.Room

	// refs, guarded by the shard lock, counts members and joins in flight.
	refs  int
	ready chan struct{} // closed once sub/err are set
	sub   interface{ Unsubscribe() error }
	err   error

	pmu     sync.Mutex // serializes presence: see add
	mu      sync.RWMutex
	members []*member       // iterated on every event
	formats [MaxFormats]int // members per wire format
	// users counts connections per user, for presence, once the room has
	// more than smallRoom members; below that the members are counted
	// (userConns): a map per room was a quarter of a lone member's cost.
	users map[string]int

	// lastPresence is when the dispatcher last delivered a presence event
	// of the room, in Unix nanoseconds (lazy.go).
	lastPresence atomic.Int64
}

// add inserts mb; if mb's user had no other connection in the room, it
// calls announce. pmu makes the count and the announcement one step, so
// that a join and a leave of the same user cannot be announced out of
// order.
func (rs *roomState) add(mb *member, announce func()) {
	rs.pmu.Lock()
	defer rs.pmu.Unlock()
	rs.mu.Lock()
	mb.idx = len(rs.members)
	rs.members = append(rs.members, mb)
	rs.formats[mb.c.format]++
	u := mb.c.Principal().User
	firstOfUser := rs.userConns(u, 1) == 1 && mb.c.hub.announces(len(rs.members))
	if firstOfUser && announce != nil {
		mb.announced = true
	}
	rs.mu.Unlock()
	if firstOfUser && announce != nil {
		announce()
	}
}

// smallRoom is the most members a room counts its users' connections
// among without a map.
const smallRoom = 8

// userConns counts u's connections in the room after rs.members gained
// (delta 1) or lost (delta -1) one of them; rs.mu is held.
func (rs *roomState) userConns(u string, delta int) int {
	if rs.users == nil {
		if len(rs.members) <= smallRoom {
			n := 0
			for _, mb := range rs.members {
				if mb.c.Principal().User == u {
					n++
				}
			}
			return n
		}
		rs.users = make(map[string]int, len(rs.members))
		for _, mb := range rs.members {
			rs.users[mb.c.Principal().User]++
		}
		return rs.users[u]
	}
	rs.users[u] += delta
	n := rs.users[u]
	if n == 0 {
		delete(rs.users, u)
	}
	return n
}

// remove deletes mb; if it was its user's last connection in the room, it
// calls announce (see add).
func (rs *roomState) remove(mb *member, announce func()) {
	rs.pmu.Lock()
	defer rs.pmu.Unlock()
	rs.mu.Lock()
	last := len(rs.members) - 1
	moved := rs.members[last]
	rs.members[mb.idx] = moved
	moved.idx = mb.idx
	rs.members[last] = nil
	rs.members = rs.members[:last]
	rs.formats[mb.c.format]--
	u := mb.c.Principal().User
	lastOfUser := false
	if mb.announced {
		if rs.userConns(u, -1) == 0 {
			lastOfUser = true
		} else {
			rs.handOver(u)
		}
	} else {
		rs.userConns(u, -1)
	}
	rs.mu.Unlock()
	if lastOfUser && announce != nil {
		announce()
	}
}

// handOver passes the mark of an announced arrival to another member of
// user u, whose leaving member carried it; rs.mu is held. Only a user with
// several connections in the room whose announced one leaves first scans.
func (rs *roomState) handOver(u string) {
	for _, o := range rs.members {
		if o.c.Principal().User == u {
			o.announced = true
			return
		}
	}
}

// member is one client's place in one room.
type member struct {
	c   *Client
	rs  *roomState
	idx int // position in rs.members, guarded by rs.mu
	// announced marks the member whose user's arrival was announced (one
	// per such user; guarded by rs.mu): the user's departure is announced
	// too, even if the room has since grown past presence_max_members
	// (else the cluster would keep them present). A per-room map of users
	// cost a quarter of a lone member's share.
	announced bool

	// While recovering, live events are kept in buf (guarded by mu)
	// instead of being queued, so that a replay can go first.
	recovering atomic.Bool
	mu         sync.Mutex
	buf        []*Event
	bufBytes   int64
	// floor is the last sequence the join's replay (or position) covered:
	// a live copy of an event at or below it, still on its way when
	// recovery ended, has been delivered already. Written before
	// recovering is cleared, read after.
	floor uint64
}

// deliver queues ev to the member's client (or, with direct, writes it
// at once if the client is idle: see Client.push), or buffers it while the
// member is recovering.
func (mb *member) deliver(ev *Event, direct bool) {
	if mb.recovering.Load() {
		mb.mu.Lock()
		if mb.recovering.Load() {
			mb.buf = append(mb.buf, ev)
			mb.bufBytes += int64(len(ev.frames[mb.c.format]))
			over := mb.bufBytes > mb.c.max
			mb.mu.Unlock()
			if over {
				mb.c.cutOff(wire.ReasonSlow)
			}
			return
		}
		mb.mu.Unlock()
	}
	if ev.Seq != 0 && ev.Seq <= mb.floor {
		return
	}
	if ev.lazy {
		mb.c.pushLazy(ev.frames[mb.c.format])
		return
	}
	mb.c.push(ev.frames[mb.c.format], direct)
}

// finish ends the recovery of a client's new members together: the events
// they buffered past last (and live-only ones) are queued in the order they
// arrived, then the members receive live events directly. Holding every
// member's lock meanwhile keeps the dispatcher from slipping a newer event
// of one room ahead of an older buffered event of another.
func finish(mbs []*member, last uint64) {
	if len(mbs) == 0 {
		return
	}
	c := mbs[0].c
	// A member revoked (or left) during the recovery drops what it
	// buffered: access.revoked, queued under rmu, was its last frame.
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for _, mb := range mbs {
		mb.mu.Lock()
	}
	var evs []*Event
	for _, mb := range mbs {
		if c.rooms.get(mb.rs.name) == mb {
			evs = append(evs, mb.buf...)
		}
	}
	if len(mbs) > 1 {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].order < evs[j].order })
	}
	for _, ev := range evs {
		if ev.Seq == 0 || ev.Seq > last {
			c.enqueue(ev.frames[c.format])
		}
	}
	for _, mb := range mbs {
		mb.buf = nil
		mb.bufBytes = 0
		mb.floor = last
		mb.recovering.Store(false)
		mb.mu.Unlock()
	}
}

// clients returns the room's members' clients at this moment, for acting
// on them without holding the room's lock.
func (rs *roomState) clients() []*Client {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	out := make([]*Client, 0, len(rs.members))
	for _, mb := range rs.members {
		out = append(out, mb.c)
	}
	return out
}
