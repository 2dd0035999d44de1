package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-rt/switchboard/core/room"
)

// Position is the range of sequences still in history.
type Position struct {
	First, Last uint64 // First is 0 (or Last+1) when the stream is empty
}

// Covers reports whether history still holds every event after since:
// nothing after since has been removed by retention, and since is not from
// a history newer than this one.
func (p Position) Covers(since uint64) bool {
	if since > p.Last {
		return false
	}
	return p.First == 0 || since+1 >= p.First
}

// Position reads the stream's current first and last sequence, from a
// stream info request sent after the call began: a join that added its
// members before calling gets a position from after that, so every event
// past it reaches them live (hub.Client.Join).
//
// Requests are shared: a caller waits for the first request that starts
// after it asked, so that a burst of joins costs a few round trips, not one
// each (10,000 joins made 10,000 requests, serialized in JetStream's API
// handler, each decoding the whole stream info).
func (b *Bus) Position(ctx context.Context) (Position, error) {
	r := b.pos.join(b)
	select {
	case <-r.done:
		return r.pos, r.err
	case <-ctx.Done():
		return Position{}, fmt.Errorf("bus: stream info: %w", ctx.Err())
	}
}

// positionTimeout bounds one shared stream info request.
const positionTimeout = 10 * time.Second

// positions runs the shared stream info requests of Position.
type positions struct {
	mu      sync.Mutex
	next    *posRound // the round callers now wait for
	running bool      // a goroutine runs rounds
}

type posRound struct {
	done chan struct{}
	pos  Position
	err  error
}

// join returns the round the caller waits for: one whose request is sent
// after this call.
func (p *positions) join(b *Bus) *posRound {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == nil {
		p.next = &posRound{done: make(chan struct{})}
	}
	r := p.next
	if !p.running {
		p.running = true
		go p.run(b)
	}
	return r
}

// run sends one request per round while callers wait for one.
func (p *positions) run(b *Bus) {
	for {
		p.mu.Lock()
		r := p.next
		p.next = nil
		if r == nil {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), positionTimeout)
		r.pos, r.err = b.readPosition(ctx)
		cancel()
		close(r.done)
	}
}

// readPosition asks the stream for its first and last sequence.
func (b *Bus) readPosition(ctx context.Context) (Position, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return Position{}, fmt.Errorf("bus: stream info: %w", err)
	}
	return Position{First: info.State.FirstSeq, Last: info.State.LastSeq}, nil
}

// Replay calls fn, in sequence order, for every stored event of rooms with
// a sequence greater than since and at most until, and returns the last
// sequence passed to fn (or since).
//
// until is the end of history that the caller's live delivery starts
// after (hub.Client.Join reads it with Position once its members buffer
// live events). Events stored past it are not replayed: they arrive live.
// Without the bound, a room whose cursor had reached its end would miss an
// event stored meanwhile, while another room's cursor, still reading, went
// past that event's sequence, and the caller, taking the last sequence
// replayed as covering every room, would drop its live copy.
//
// It reads with direct gets ("the first message of subject S at or after
// sequence N"), answered from the stream's state, one room cursor each,
// merged by sequence: no consumer is created.
func (b *Bus) Replay(ctx context.Context, rooms []room.Room, since, until uint64, fn func(Live) error) (uint64, error) {
	cursors := make([]*cursor, 0, len(rooms))
	for _, r := range rooms {
		c := &cursor{subj: r.HistorySubject()}
		if err := b.advance(ctx, c, since+1, until); err != nil {
			return since, err
		}
		if c.msg != nil {
			cursors = append(cursors, c)
		}
	}
	last := since
	for len(cursors) > 0 {
		i := 0
		for j, c := range cursors {
			if c.msg.Sequence < cursors[i].msg.Sequence {
				i = j
			}
		}
		c := cursors[i]
		m := c.msg
		last = m.Sequence
		if err := fn(Live{Subject: m.Subject, Seq: m.Sequence, Type: m.Header.Get(HeaderType), Data: m.Data}); err != nil {
			return last, err
		}
		if err := b.advance(ctx, c, m.Sequence+1, until); err != nil {
			return last, err
		}
		if c.msg == nil {
			cursors = append(cursors[:i], cursors[i+1:]...)
		}
	}
	return last, nil
}

// cursor is one room's position in a replay.
type cursor struct {
	subj string
	msg  *jetstream.RawStreamMsg // next message, nil at the end
}

// advance loads the first message of c's subject at or after seq; nil
// when there is none up to until.
func (b *Bus) advance(ctx context.Context, c *cursor, seq, until uint64) error {
	c.msg = nil
	if seq > until {
		return nil
	}
	m, err := b.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(c.subj))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bus: replay %s: %w", c.subj, err)
	}
	if m.Sequence <= until {
		c.msg = m
	}
	return nil
}
