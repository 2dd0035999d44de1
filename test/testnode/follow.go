package testnode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-rt/switchboard/clients/go/sbclient"
)

// Follower is a client that follows one room across node failures the way
// docs/PROTOCOL.md §7 says a client should: it keeps the seq of the last
// event (or the join's position), and when its connection ends it
// reconnects to a node chosen by pick and resumes with since (WebSocket) or
// Last-Event-ID (SSE). It records every event it receives, duplicates
// included, and how each connection ended. It runs in its own goroutine
// and never fails the test itself: the test reads what it recorded.
type Follower struct {
	SSE   bool
	room  string
	token string
	pick  func(prev string) string

	mu       sync.Mutex
	seqs     []uint64 // every event received, in order
	last     uint64   // resume point
	started  bool     // a first join has set last
	ends     []End
	failures []End    // attempts that never joined
	sessions []string // base URL of each connection that was established
	changed  chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

// End is how one established connection ended.
type End struct {
	Base   string // the node it was on
	Code   uint16 // WebSocket close code (0: no close frame)
	Reason string // WebSocket close reason
	Clean  bool   // SSE: the stream ended cleanly (no reset, no cut chunk)
	Err    string // the error otherwise
}

// Graceful reports whether the node ended the connection on purpose for a
// reconnect (WebSocket 1001 "shutdown", or an SSE stream ended cleanly).
func (e End) Graceful() bool { return (e.Code == 1001 && e.Reason == "shutdown") || e.Clean }

func (e End) String() string {
	switch {
	case e.Code != 0:
		return fmt.Sprintf("%s: close %d %q", e.Base, e.Code, e.Reason)
	case e.Clean:
		return e.Base + ": stream ended"
	}
	return e.Base + ": " + e.Err
}

// Follow starts a follower of room with token. pick returns the base URL
// (http://host:port) to connect to, given the one whose connection just
// ended or failed ("" the first time); it is called again after each
// failure, with a short pause between two failed attempts.
func Follow(room, token string, sse bool, pick func(prev string) string) *Follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &Follower{SSE: sse, room: room, token: token, pick: pick, changed: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go f.run(ctx)
	return f
}

// Stop ends the follower and waits for its goroutine.
func (f *Follower) Stop() {
	f.cancel()
	<-f.done
}

// Seqs is every event seq received so far, in arrival order.
func (f *Follower) Seqs() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seqs)
}

// Ends is how each connection ended so far.
func (f *Follower) Ends() []End {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ends)
}

// Failures is every attempt that did not join (refused, down, no answer).
func (f *Follower) Failures() []End {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.failures)
}

// Base is the node of the current (or last) connection, "" before the first.
func (f *Follower) Base() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sessions) == 0 {
		return ""
	}
	return f.sessions[len(f.sessions)-1]
}

// Connections is how many connections were established so far.
func (f *Follower) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

// WaitFor waits up to d until cond holds for what was received; it is
// checked after each event and each connection.
func (f *Follower) WaitFor(d time.Duration, cond func(seqs []uint64, connections int) bool) bool {
	deadline := time.After(d)
	for {
		f.mu.Lock()
		ok, ch := cond(f.seqs, len(f.sessions)), f.changed
		f.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// WaitSeq waits up to d until an event with seq at least seq arrived.
func (f *Follower) WaitSeq(d time.Duration, seq uint64) bool {
	return f.WaitFor(d, func(s []uint64, _ int) bool { return len(s) > 0 && s[len(s)-1] >= seq })
}

// signalLocked wakes WaitFor.
func (f *Follower) signalLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	prev := ""
	for ctx.Err() == nil {
		base := f.pick(prev)
		end, established := f.session(ctx, base)
		prev = base
		if ctx.Err() != nil {
			return
		}
		if established {
			f.mu.Lock()
			f.ends = append(f.ends, end)
			f.signalLocked()
			f.mu.Unlock()
			continue
		}
		f.mu.Lock()
		f.failures = append(f.failures, end)
		f.mu.Unlock()
		select { // the node refused or is down: try another shortly
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// resume is the since to send: nil before the first join.
func (f *Follower) resume() *uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.started {
		return nil
	}
	s := f.last
	return &s
}

// established records a connection that joined, with its resume point
// when the join had no since.
func (f *Follower) established(base string, pos uint64, live bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if live {
		f.last, f.started = pos, true
	}
	f.sessions = append(f.sessions, base)
	f.signalLocked()
}

func (f *Follower) event(seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seqs = append(f.seqs, seq)
	if seq > f.last {
		f.last = seq
	}
	f.signalLocked()
}

func (f *Follower) session(ctx context.Context, base string) (End, bool) {
	if f.SSE {
		return f.sseSession(ctx, base)
	}
	return f.wsSession(ctx, base)
}

// joinTimeout bounds a join's answer.
const joinTimeout = 5 * time.Second

func (f *Follower) wsSession(ctx context.Context, base string) (End, bool) {
	wsURL, _, err := sbclient.Endpoints(base)
	if err != nil {
		return End{Base: base, Err: err.Error()}, false
	}
	c, err := sbclient.DialWS(ctx, wsURL+"?token="+f.token, sbclient.DialOptions{Timeout: 5 * time.Second})
	if err != nil {
		return End{Base: base, Err: err.Error()}, false
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	since := f.resume()
	if err := c.WriteText(sbclient.JoinFrame(f.room, "follow", since)); err != nil {
		return End{Base: base, Err: err.Error()}, false
	}
	joined := false
	// A join unanswered in joinTimeout counts as a failed attempt.
	_ = c.NetConn().SetReadDeadline(time.Now().Add(joinTimeout))
	for {
		fr, _, err := c.ReadFrame()
		if err != nil {
			var ce *sbclient.CloseError
			if errors.As(err, &ce) {
				return End{Base: base, Code: ce.Code, Reason: ce.Reason}, joined
			}
			return End{Base: base, Err: err.Error()}, joined
		}
		switch {
		case fr.Op == "ok" && fr.Room == f.room && !joined:
			joined = true
			_ = c.NetConn().SetReadDeadline(time.Time{})
			f.established(base, fr.Seq, since == nil)
		case fr.Op == "error" && !joined:
			return End{Base: base, Err: fmt.Sprintf("join: %s %s", fr.Code, fr.Message)}, false
		case fr.Op == "event" && fr.Seq > 0 && fr.Room == f.room:
			f.event(fr.Seq)
		}
	}
}

func (f *Follower) sseSession(ctx context.Context, base string) (End, bool) {
	_, sseURL, err := sbclient.Endpoints(base)
	if err != nil {
		return End{Base: base, Err: err.Error()}, false
	}
	o := sbclient.SSEOptions{Token: f.token}
	if s := f.resume(); s != nil {
		o.LastEventID = strconv.FormatUint(*s, 10)
	}
	resp, err := sbclient.DialSSE(ctx, sseURL, []string{f.room}, o)
	if err != nil {
		return End{Base: base, Err: err.Error()}, false
	}
	defer resp.Body.Close()
	// A 200 means joined (docs/PROTOCOL.md §4.1); without Last-Event-ID the
	// id-only block that follows sets the resume point.
	live := o.LastEventID == ""
	if !live {
		f.established(base, 0, false)
	}
	br := sbclient.NewBlockReader(resp.Body)
	for {
		b, err := br.Next()
		if err != nil {
			if err == io.EOF {
				return End{Base: base, Clean: true}, true
			}
			return End{Base: base, Err: err.Error()}, true
		}
		if !b.HasID {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSpace(b.ID), 10, 64)
		if err != nil {
			return End{Base: base, Err: "bad id " + b.ID}, true
		}
		if live {
			// The first id is the id-only position block.
			live = false
			f.established(base, seq, true)
			continue
		}
		if b.Data != "" {
			f.event(seq)
		}
	}
}
