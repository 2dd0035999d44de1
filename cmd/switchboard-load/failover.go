package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runFailover measures how long the clients of a node that dies take to
// resume on the others: --conns members of --rooms rooms connect to --url,
// events are published through another node (--publish-url) at --rate,
// the tool sends SIGKILL to --kill-pid (the node behind --url), and every
// client reconnects to the surviving nodes (--fallback, round-robin) and
// joins with since = the last seq it saw (docs/PROTOCOL.md: resume). It
// reports the time from the kill until every client is joined again and
// until every client holds every event its room had stored at the kill,
// then checks that each got every stored event exactly once.
func runFailover(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("failover", flag.ContinueOnError)
	var c common
	c.register(fs)
	conns := fs.Int("conns", 1000, "WebSocket connections, all to --url (the node that is killed)")
	rooms := fs.Int("rooms", 100, "rooms workspace:w0..w<R-1>; connection i joins room i mod R")
	rate := fs.Int("rate", 100, "events per second through --publish-url, spread round-robin over the rooms, before and after the kill")
	before := fs.Duration("before", 3*time.Second, "publishing before the kill")
	after := fs.Duration("after", 10*time.Second, "publishing after the kill")
	killPID := fs.Int("kill-pid", 0, "PID of the node behind --url, sent SIGKILL (required)")
	fallback := fs.String("fallback", "", "comma-separated base URLs of the surviving nodes, reconnected to round-robin (required)")
	reconnectors := fs.Int("reconnectors", 256, "reconnects in flight at once (dial, welcome, join with since)")
	retry := fs.Duration("retry", 100*time.Millisecond, "pause before a failed reconnect is tried again, on the next survivor")
	resumeTimeout := fs.Duration("resume-timeout", 2*time.Minute, "bound on every client resuming and catching up")
	drain := fs.Duration("drain", 30*time.Second, "bound on waiting for deliveries after the last publish")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	var survivors []string
	for u := range strings.SplitSeq(*fallback, ",") {
		if u = strings.TrimSpace(u); u != "" {
			pu, err := loopbackURL("--fallback", u)
			if err != nil {
				return usageErr(stderr, "failover", err)
			}
			survivors = append(survivors, "ws://"+pu.Host+"/v1/ws")
		}
	}
	total := int(float64(*rate) * (*before + *after).Seconds())
	switch {
	case c.protocol != protoSwitchboard:
		return usageErr(stderr, "failover", errors.New("--protocol: resuming with since is Switchboard's protocol"))
	case *killPID <= 0 || len(survivors) == 0 || c.pubURL == "":
		return usageErr(stderr, "failover", errors.New("--kill-pid, --fallback and --publish-url (a surviving node) are required"))
	case *rooms < 1 || *rooms > 10000 || *rate < 1 || *rate > 100000:
		return usageErr(stderr, "failover", errors.New("--rooms 1..10000, --rate 1..100000"))
	case *before < 100*time.Millisecond || *after < 0 || *before+*after > time.Hour:
		return usageErr(stderr, "failover", errors.New("--before ≥ 100ms, --after ≥ 0, together ≤ 1h"))
	case *reconnectors < 1 || *reconnectors > 4096 || *retry <= 0 || *resumeTimeout <= 0 || *drain <= 0:
		return usageErr(stderr, "failover", errors.New("--reconnectors 1..4096; --retry, --resume-timeout, --drain > 0"))
	case total/(*rooms) >= maxEventsPerRoom:
		return usageErr(stderr, "failover", fmt.Errorf("%d events in all: fewer than %d per room", total, maxEventsPerRoom))
	}
	if err := c.check(*conns); err != nil {
		return usageErr(stderr, "failover", err)
	}
	if c.pubBase.Host == c.base.Host {
		return usageErr(stderr, "failover", errors.New("--publish-url must be a surviving node, not --url"))
	}
	if err := syscall.Kill(*killPID, 0); err != nil {
		return fail(stderr, "failover", fmt.Errorf("--kill-pid %d: %w", *killPID, err))
	}
	names, f, o, err := openRoomsFleet(&c, *conns, *rooms, stderr)
	if err != nil {
		return fail(stderr, "failover", err)
	}
	defer f.close()
	if o.Joined < *conns {
		return fail(stderr, "failover", fmt.Errorf("%d of %d connections joined: %s", o.Joined, *conns, o.FirstErr))
	}
	settled, settledOK := f.settle(500*time.Millisecond, c.settle)

	rc := newReconnector(f, survivors, *rooms, *retry)
	f.catchUp = make([]atomic.Int64, *rooms)
	onEnd := rc.enqueue
	f.onEnd.Store(&onEnd)
	ctx, cancel := context.WithTimeout(context.Background(), *before+*after+*resumeTimeout+*drain)
	defer cancel()
	rc.start(ctx, *reconnectors)
	defer rc.stop()

	p := newPublisher(&c, names, 4)
	defer p.close()
	var pubWG sync.WaitGroup
	pubWG.Go(func() { schedule(p, total, *rooms, *rate, 4, 100, *before+*after) })
	time.Sleep(*before)

	// Targets first, then the kill: no client resumes before its target.
	preKillErrs := p.errEvents.Load()
	for r := range names {
		f.catchUp[r].Store(p.stored(r) + 1)
	}
	killed := time.Now()
	f.killed.Store(killed.UnixNano())
	if err := syscall.Kill(*killPID, syscall.SIGKILL); err != nil {
		return fail(stderr, "failover", fmt.Errorf("kill -9 %d: %w", *killPID, err))
	}
	allBack := waitUntil(*resumeTimeout, func() bool {
		return rc.resumed.Load() >= int64(*conns) && f.get(cCaughtUp) >= int64(*conns)
	})
	resumedAll := rc.last()
	caughtAll := time.Unix(0, int64(lastOf(f, func(c *counters) uint64 { return c.lastCaughtUp.Load() })))
	pubWG.Wait()
	want := p.deliveries(*conns, *rooms)
	all := f.waitDistinct(want, min(*drain, 5*time.Second), *drain)
	rc.stop()
	f.close()

	var r report
	r.add("scenario", "scenario", "failover", "")
	r.add("rooms", "rooms", *rooms, "")
	r.add("rate", "target publish rate", *rate, "events/s")
	r.addFleet(f, o)
	r.add("settle_s", "join traffic (presence) settled after", round3(settled.Seconds()), "s")
	r.add("settled", "join traffic settled before publishing", settledOK, "")
	p.addTo(&r)
	r.add("publish_failed_before_kill", "events whose publish failed before the kill", preKillErrs, "")
	rc.addTo(&r, "connections resumed on a survivor")
	r.add("all_resumed", "every client resumed and caught up in time", allBack, "")
	if allBack {
		r.add("resume_all_s", "kill → every client joined again", round3(resumedAll.Sub(killed).Seconds()), "s")
		r.add("catch_up_all_s", "kill → every client holds every event stored before the kill", round3(caughtAll.Sub(killed).Seconds()), "s")
	}
	r.add("resume_p50_ms", "kill → a client joined again, p50", round3(rc.took.pct(0.5)), "ms")
	r.add("resume_p99_ms", "kill → a client joined again, p99", round3(rc.took.pct(0.99)), "ms")
	r.add("catch_up_p50_ms", "kill → a client caught up, p50", round3(f.caught.pct(0.5)), "ms")
	r.add("catch_up_p99_ms", "kill → a client caught up, p99", round3(f.caught.pct(0.99)), "ms")
	addDeliveries(&r, f, want, all, func(cl *client) int64 { return p.stored(cl.i % *rooms) })
	r.addLatency("latency", "publish→receive latency (replayed events include the outage)", f.latency())
	r.addEnds(f)
	if err := r.write(stdout, c.json); err != nil {
		return fail(stderr, "failover", err)
	}
	return exitOK
}

// waitUntil polls cond every 5 ms for at most d; it reports whether cond
// held.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func lastOf(f *fleet, get func(*counters) uint64) uint64 {
	var v uint64
	for _, c := range f.all {
		v = max(v, get(c))
	}
	return v
}
