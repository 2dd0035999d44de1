package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gobwas/ws"
)

// maxEventsPerRoom bounds the per-room index a member tracks.
const maxEventsPerRoom = 1 << 22

// consume handles every complete frame at the start of b and returns how
// many bytes that used; the rest is the beginning of a frame.
func (c *client) consume(b []byte, now time.Time) (int, error) {
	used := 0
	for {
		p := b[used:]
		if len(p) < 2 {
			return used, nil
		}
		fin, op := p[0]&0x80 != 0, ws.OpCode(p[0]&0x0f)
		masked, n, hdr := p[1]&0x80 != 0, uint64(p[1]&0x7f), 2
		switch n {
		case 126:
			if len(p) < 4 {
				return used, nil
			}
			n, hdr = uint64(binary.BigEndian.Uint16(p[2:])), 4
		case 127:
			if len(p) < 10 {
				return used, nil
			}
			n, hdr = binary.BigEndian.Uint64(p[2:]), 10
		}
		if n > maxFrame {
			return used, fmt.Errorf("server frame of %d bytes", n)
		}
		var mask [4]byte
		if masked {
			if len(p) < hdr+4 {
				return used, nil
			}
			copy(mask[:], p[hdr:])
			hdr += 4
		}
		if uint64(len(p)) < uint64(hdr)+n {
			return used, nil
		}
		payload := p[hdr : hdr+int(n)]
		if masked {
			ws.Cipher(payload, mask, 0)
		}
		if err := c.frame(fin, op, payload, now); err != nil {
			return used, err
		}
		used += hdr + int(n)
	}
}

// event takes an event frame after its `{"op":"event","room":"` prefix:
// {"op":"event","room":R,"seq":N,"event":{…,"data":{"t":T,"n":K}}}.
// It avoids a JSON decode: the client must keep up with the server.
func (c *client) event(p []byte, now time.Time) {
	st := c.st
	q := bytes.IndexByte(p, '"')
	if q < 0 {
		st.n[cBad].Add(1)
		return
	}
	rm, p := p[:q], p[q+1:]
	seq, ok := uintAfter(p, `,"seq":`)
	if !ok { // live only: presence
		st.n[cPresence].Add(1)
		if bytes.Contains(p, []byte(`"type":"presence.leave"`)) {
			st.n[cPresenceLeave].Add(1)
		}
		return
	}
	if !c.ownRoom(rm) {
		return
	}
	if seq <= c.lastSeq {
		st.n[cSeqRegress].Add(1)
	}
	c.lastSeq = max(c.lastSeq, seq)
	c.loadData(p, now)
}

// ownRoom reports whether rm is the room whose events c tracks, and counts
// a foreign event otherwise.
func (c *client) ownRoom(rm []byte) bool {
	if string(rm) == c.room {
		return true
	}
	c.st.n[cForeign].Add(1)
	c.f.note("event of room " + string(rm) + " on a member of " + c.room)
	return false
}

// loadData records the delivery of the tool's event whose frame ends with
// p: the last "data":{"t":T,"n":K} in it is the event's.
func (c *client) loadData(p []byte, now time.Time) {
	st := c.st
	d := bytes.LastIndex(p, []byte(`"data":{"t":`))
	if d < 0 {
		st.n[cBad].Add(1)
		c.f.note("event without load data: " + truncate(p))
		return
	}
	p = p[d+len(`"data":{`):]
	t, ok1 := uintAfter(p, `"t":`)
	i := bytes.Index(p, []byte(`,"n":`))
	var n uint64
	ok2 := i >= 0
	if ok2 {
		n, ok2 = uintAfter(p[i:], `,"n":`)
	}
	if !ok1 || !ok2 || n >= maxEventsPerRoom {
		st.n[cBad].Add(1)
		c.f.note("malformed load data: " + truncate(p))
		return
	}
	st.n[cEvents].Add(1)
	st.lat.record(now.Sub(time.Unix(0, int64(t))))
	w := int(n / 64)
	if w >= len(c.seen) {
		c.seen = append(c.seen, make([]uint64, w+1-len(c.seen))...)
	}
	bit := uint64(1) << (n % 64)
	if c.seen[w]&bit != 0 {
		st.n[cDups].Add(1)
		return
	}
	c.seen[w] |= bit
	c.got++
	for c.contig < len(c.seen)*64 && c.seen[c.contig/64]&(1<<(c.contig%64)) != 0 {
		c.contig++
	}
	st.n[cDistinct].Add(1)
	if int(n) < c.maxN {
		st.n[cOutOfOrder].Add(1)
	}
	c.maxN = max(c.maxN, int(n))
	if c.resume && !c.caughtUp {
		c.checkCaughtUp(now)
	}
	if want := c.f.want.Load(); want > 0 && int64(c.got) == want {
		st.n[cComplete].Add(1)
		atomicMax(&st.lastComplete, uint64(now.UnixNano()))
	}
}

// uintAfter parses the unsigned integer right after prefix at p's start.
func uintAfter(p []byte, prefix string) (uint64, bool) {
	rest, ok := bytes.CutPrefix(p, []byte(prefix))
	if !ok {
		return 0, false
	}
	var v uint64
	k := 0
	for ; k < len(rest) && k < 20 && rest[k] >= '0' && rest[k] <= '9'; k++ {
		v = v*10 + uint64(rest[k]-'0')
	}
	return v, k > 0
}

// checkCaughtUp records, once, that a resumed member holds every event
// its room had stored when the node died (indexes 0..want-1: one
// publisher per room sends them in order).
func (c *client) checkCaughtUp(now time.Time) {
	if c.caughtUp || c.f.catchUp == nil {
		return
	}
	want := c.f.catchUp[c.roomIdx].Load() - 1 // stored as want+1, 0 unset
	if want < 0 || int64(c.contig) < want {
		return
	}
	c.caughtUp = true
	c.st.n[cCaughtUp].Add(1)
	atomicMax(&c.st.lastCaughtUp, uint64(now.UnixNano()))
	c.f.caught.add(now.Sub(c.f.killedAt()))
}
