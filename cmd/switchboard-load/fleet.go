package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
	"github.com/switchboard-rt/switchboard/core/auth"
)

// Counter indexes of counters.n.
const (
	cFrames        = iota // text frames received
	cPresence             // presence events (no seq)
	cPresenceLeave        // of which presence.leave
	cEvents               // load events received, duplicates included
	cDistinct             // load events received once per member
	cDups
	cOutOfOrder
	cSeqRegress // seq not above the member's previous one
	cForeign    // event of a room the member is not in
	cBad        // unparsable or unexpected frames
	cErrFrames
	cComplete // members that reached the fleet's want
	cCaughtUp // resumed members that hold every event of fleet.catchUp
	numCounters
)

// counters belong to one reader (the setup goroutines share one set, each
// reactor worker has its own); the fleet sums them.
type counters struct {
	n            [numCounters]atomic.Int64
	lastComplete atomic.Uint64 // unixnano of the latest completion
	lastCaughtUp atomic.Uint64 // unixnano of the latest catch-up
	lat          histogram     // publish -> receive
}

// fleet is the set of client connections of a run.
type fleet struct {
	c       *common
	setupSt counters
	all     []*counters  // setupSt and each worker's
	want    atomic.Int64 // distinct events that complete a member; 0 none
	clients []*client
	reactor *reactor
	stderr  io.Writer

	stopping atomic.Bool
	closed   bool
	open     atomic.Int64 // connections joined and not ended
	ends     closeReasons // connections that ended before stop
	setup    durations    // dial+welcome+join per connection

	notesMu sync.Mutex
	notes   map[string]int // distinct anomalies, counted

	tokens []string // connection i's token, for reconnects
	// onEnd, when set, is told of every connection that ends before stop
	// (failover reconnects it); it runs on a reactor worker: no blocking.
	onEnd atomic.Pointer[func(c *client)]
	// catchUp[r] is 1 + how many distinct events a resumed member of
	// room index r must hold to count as caught up; 0 not set yet.
	catchUp []atomic.Int64
	killed  atomic.Int64 // unixnano of the kill
	caught  durations    // kill → caught up, per resumed member
}

// get sums counter k over every reader.
func (f *fleet) get(k int) int64 {
	var v int64
	for _, c := range f.all {
		v += c.n[k].Load()
	}
	return v
}

// lastComplete is the latest time a member completed.
func (f *fleet) lastComplete() time.Time {
	var v uint64
	for _, c := range f.all {
		v = max(v, c.lastComplete.Load())
	}
	return time.Unix(0, int64(v))
}

// latency merges every reader's histogram.
func (f *fleet) latency() latency {
	var h histogram
	for _, c := range f.all {
		h.merge(&c.lat)
	}
	return h.summary()
}

// openResult describes the connect phase.
type openResult struct {
	Joined   int
	Failed   int
	Took     time.Duration
	FirstErr string
}

// openRoomsFleet opens n connections, connection i a member of
// workspace:w<i mod rooms> (its token naming that workspace), and returns
// the rooms' names with the fleet.
func openRoomsFleet(c *common, n, rooms int, stderr io.Writer) ([]string, *fleet, openResult, error) {
	names := make([]string, rooms)
	for r := range names {
		names[r] = fmt.Sprintf("workspace:w%d", r)
	}
	f, o, err := openFleet(c, n,
		func(i int) string { return names[i%rooms] },
		func(i int) []string { return []string{fmt.Sprintf("w%d", i%rooms)} }, stderr)
	return names, f, o, err
}

// openFleet opens n connections; roomOf names connection i's room and
// workspacesOf the workspaces its token lists. It returns once every
// connection is joined or failed, or the join timeout passed.
func openFleet(c *common, n int, roomOf func(i int) string, workspacesOf func(i int) []string, stderr io.Writer) (*fleet, openResult, error) {
	return openFleetExtra(c, n, roomOf, nil, workspacesOf, stderr)
}

// openFleetExtra is openFleet where connection i also joins extraOf(i)
// after its room (nil: none).
func openFleetExtra(c *common, n int, roomOf func(i int) string, extraOf func(i int) []string, workspacesOf func(i int) []string, stderr io.Writer) (*fleet, openResult, error) {
	f := &fleet{c: c, stderr: stderr, clients: make([]*client, n), notes: map[string]int{}}
	f.all = []*counters{&f.setupSt}
	rx, err := newReactor(f, n, c.readers)
	if err != nil {
		return nil, openResult{}, err
	}
	f.reactor = rx
	secret := []byte(c.secret)
	tokens := make([]string, n)
	f.tokens = tokens
	ttl := c.joinTimeout + 2*time.Hour
	for i := range n {
		tok, err := auth.Mint(secret, c.user(i), workspacesOf(i), ttl, time.Time{})
		if err != nil {
			rx.close()
			return nil, openResult{}, err
		}
		tokens[i] = tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.joinTimeout)
	defer cancel()

	var failed atomic.Int64
	var firstErr atomic.Value
	var done sync.WaitGroup
	sem := make(chan struct{}, c.dialers)
	start := time.Now()
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			failed.Add(int64(n - i))
			firstErr.CompareAndSwap(nil, "join timeout before every connection was started")
			goto wait
		}
		cl := &client{f: f, i: i, room: roomOf(i)}
		if extraOf != nil {
			cl.extra = extraOf(i)
		}
		f.clients[i] = cl
		done.Add(1)
		go func() {
			defer done.Done()
			t0 := time.Now()
			err := cl.setup(ctx, tokens[i])
			<-sem
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				cl.joined = false
				if cl.nc != nil {
					cl.nc.Close()
					cl.nc = nil
				}
				return
			}
			f.setup.add(time.Since(t0))
			f.open.Add(1)
		}()
	}
wait:
	done.Wait()
	r := openResult{Failed: int(failed.Load()), Took: time.Since(start)}
	r.Joined = n - r.Failed
	if v := firstErr.Load(); v != nil {
		r.FirstErr = v.(string)
	}
	return f, r, nil
}

// ended records a connection that stopped reading.
func (f *fleet) ended(c *client, err error) {
	f.open.Add(-1)
	if f.stopping.Load() {
		return
	}
	if fn := f.onEnd.Load(); fn != nil {
		defer (*fn)(c)
	}
	var ce *sbclient.CloseError
	switch {
	case errors.As(err, &ce):
		f.ends.add(fmt.Sprintf("close %d %s", ce.Code, ce.Reason))
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		f.ends.add("eof without close frame")
	default:
		f.ends.add("read error: " + err.Error())
	}
}

func (f *fleet) killedAt() time.Time { return time.Unix(0, f.killed.Load()) }

// note counts an anomaly by its text (bounded number of distinct texts).
func (f *fleet) note(s string) {
	f.notesMu.Lock()
	if _, ok := f.notes[s]; ok || len(f.notes) < 20 {
		f.notes[s]++
	}
	f.notesMu.Unlock()
}

func (f *fleet) notesSnapshot() map[string]int {
	f.notesMu.Lock()
	defer f.notesMu.Unlock()
	out := make(map[string]int, len(f.notes))
	for k, v := range f.notes {
		out[k] = v
	}
	return out
}

// settle waits until no frame arrived for quiet (join-time presence has
// stopped), at most limit. It returns the time waited and whether it
// settled.
func (f *fleet) settle(quiet, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	last := f.get(cFrames)
	lastChange := start
	for time.Since(start) < limit {
		time.Sleep(100 * time.Millisecond)
		if v := f.get(cFrames); v != last {
			last, lastChange = v, time.Now()
		} else if time.Since(lastChange) >= quiet {
			return lastChange.Sub(start), true
		}
	}
	return time.Since(start), false
}

// waitDistinct waits until total distinct deliveries reach want, no
// progress was made for stall, or limit passed. It reports whether want
// was reached.
func (f *fleet) waitDistinct(want int64, stall, limit time.Duration) bool {
	start := time.Now()
	last := f.get(cDistinct)
	lastChange := start
	for {
		v := f.get(cDistinct)
		if v >= want {
			return true
		}
		if v != last {
			last, lastChange = v, time.Now()
		}
		if time.Since(lastChange) >= stall || time.Since(start) >= limit {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// close ends every connection; it is idempotent (not concurrent).
func (f *fleet) close() {
	if f.closed {
		return
	}
	f.closed = true
	f.stopping.Store(true)
	f.reactor.close()
}

// lost is how many connections ended before the run stopped them.
func (f *fleet) lost() int {
	n := 0
	for _, v := range f.ends.snapshot() {
		n += v
	}
	return n
}
