package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync/atomic"
	"syscall"
	"time"
)

// runResume is the resume storm: the tool starts a server itself (a
// Switchboard node from --bin and --config, or a floor), connects --conns
// clients into --rooms rooms, publishes --before-events per room, which
// every client receives, then restarts the server (--signal, then the same
// command on the same port and data dir). Once it is ready again it
// publishes --after-events per room, and every client reconnects at once
// and joins with since = the last seq it saw (docs/PROTOCOL.md §7). It
// reports the time from ready until all are joined again and until all
// hold every event of their room (those after since are replayed from
// history). The floor keeps no history: against it, use --after-events 0
// and compare only the time until all are back.
func runResume(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("resume", flag.ContinueOnError)
	var c common
	c.register(fs)
	kind := fs.String("target", "switchboard", "the server to start: switchboard or floor")
	bin := fs.String("bin", "bin/switchboard", "switchboard binary (--target switchboard)")
	cfg := fs.String("config", "", "switchboard config file (listen and data_dir are set by the tool); default a minimal one with --secret and --api-key")
	conns := fs.Int("conns", 1000, "WebSocket connections")
	rooms := fs.Int("rooms", 100, "rooms workspace:w0..w<R-1>; connection i joins room i mod R")
	before := fs.Int("before-events", 2, "events per room published (and received) before the restart")
	after := fs.Int("after-events", 2, "events per room published as soon as the server is ready again (caught up from history)")
	sigName := fs.String("signal", "TERM", "how the server is stopped: TERM (graceful: close 1001) or KILL")
	reconnectors := fs.Int("reconnectors", 512, "reconnects in flight at once")
	retry := fs.Duration("retry", 50*time.Millisecond, "pause before a failed reconnect is tried again")
	timeout := fs.Duration("resume-timeout", 2*time.Minute, "bound on every client resuming and catching up")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL}[*sigName]
	switch {
	case *kind != "switchboard" && *kind != "floor":
		return usageErr(stderr, "resume", errors.New("--target: switchboard or floor"))
	case sig == 0:
		return usageErr(stderr, "resume", errors.New("--signal: TERM or KILL"))
	case *rooms < 1 || *rooms > 10000 || *before < 1 || *before > 1000 || *after < 0 || *after > 1000:
		return usageErr(stderr, "resume", errors.New("--rooms 1..10000, --before-events 1..1000, --after-events 0..1000"))
	case *reconnectors < 1 || *reconnectors > 4096 || *retry <= 0 || *timeout <= 0:
		return usageErr(stderr, "resume", errors.New("--reconnectors 1..4096; --retry, --resume-timeout > 0"))
	case c.protocol != protoSwitchboard:
		return usageErr(stderr, "resume", errors.New("--protocol: resuming with since is Switchboard's protocol"))
	}
	tg, err := startTarget(*kind, launchOpts{bin: *bin, config: *cfg, secret: c.secret, apiKey: c.apiKey})
	if err != nil {
		return fail(stderr, "resume", err)
	}
	defer tg.close()
	c.url, c.serverPID = tg.url, tg.pid()
	if err := c.check(*conns); err != nil {
		return usageErr(stderr, "resume", err)
	}
	names, f, o, err := openRoomsFleet(&c, *conns, *rooms, stderr)
	if err != nil {
		return fail(stderr, "resume", err)
	}
	defer f.close()
	if o.Joined < *conns {
		return fail(stderr, "resume", fmt.Errorf("%d of %d connections joined: %s", o.Joined, *conns, o.FirstErr))
	}
	settled, _ := f.settle(500*time.Millisecond, c.settle)
	p := newPublisher(&c, names, 4)
	defer p.close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout+time.Minute)
	defer cancel()
	publishRooms(ctx, p, *rooms, 0, *before)
	wantBefore := p.deliveries(*conns, *rooms)
	if !f.waitDistinct(wantBefore, 5*time.Second, 30*time.Second) {
		return fail(stderr, "resume", fmt.Errorf("before the restart only %d of %d deliveries arrived", f.get(cDistinct), wantBefore))
	}
	if p.errEvents.Load() > 0 {
		return fail(stderr, "resume", fmt.Errorf("publish before the restart: %s", p.err()))
	}

	// Every client that ends is queued; the reconnectors start once the
	// server is ready again, so that all come back at once.
	rc := newReconnector(f, []string{c.wsURL}, *rooms, *retry)
	f.catchUp = make([]atomic.Int64, *rooms)
	for r := range names {
		f.catchUp[r].Store(int64(*before+*after) + 1)
	}
	onEnd := rc.enqueue
	f.onEnd.Store(&onEnd)
	stopAt := time.Now()
	tg.stop(sig)
	stopped := time.Now()
	if err := tg.start(); err != nil {
		return fail(stderr, "resume", fmt.Errorf("restart: %w", err))
	}
	ready := time.Now()
	f.killed.Store(ready.UnixNano()) // durations below count from ready
	srv := &server{pid: tg.pid()}
	c.serverPID = tg.pid()
	m := startMeasure(srv)
	p.close() // its keep-alive connections went with the old process
	pubDone := make(chan struct{})
	go func() { publishRooms(ctx, p, *rooms, *before, *after); close(pubDone) }()
	rc.start(ctx, *reconnectors)
	defer rc.stop()
	allBack := waitUntil(*timeout, func() bool {
		return rc.resumed.Load() >= int64(*conns) && f.get(cCaughtUp) >= int64(*conns)
	})
	mm := m.stop()
	<-pubDone
	resumedAll := rc.last()
	caughtAll := time.Unix(0, int64(lastOf(f, func(c *counters) uint64 { return c.lastCaughtUp.Load() })))
	want := p.deliveries(*conns, *rooms)
	all := f.waitDistinct(want, 3*time.Second, 10*time.Second)
	rc.stop()
	f.close()

	var r report
	r.add("scenario", "scenario", "resume", "")
	r.add("target", "server", *kind, "")
	r.add("rooms", "rooms", *rooms, "")
	r.addFleet(f, o)
	r.add("settle_s", "join traffic (presence) settled after", round3(settled.Seconds()), "s")
	p.addTo(&r)
	r.add("stop_s", "stop (signal "+*sigName+") → exited", round3(stopped.Sub(stopAt).Seconds()), "s")
	r.add("restart_s", "exited → ready again", round3(ready.Sub(stopped).Seconds()), "s")
	rc.addTo(&r, "connections resumed")
	r.add("all_resumed", "every client resumed and caught up in time", allBack, "")
	if allBack {
		r.add("resume_all_s", "ready → every client joined again", round3(resumedAll.Sub(ready).Seconds()), "s")
		r.add("catch_up_all_s", "ready → every client holds every event of its room", round3(latest(caughtAll, resumedAll).Sub(ready).Seconds()), "s")
	}
	r.add("resume_p50_ms", "ready → a client joined again, p50", round3(rc.took.pct(0.5)), "ms")
	r.add("resume_p99_ms", "ready → a client joined again, p99", round3(rc.took.pct(0.99)), "ms")
	addDeliveries(&r, f, want, all, func(cl *client) int64 { return p.stored(cl.i % *rooms) })
	mm.addTo(&r, 0)
	r.addEnds(f)
	if err := r.write(stdout, c.json); err != nil {
		return fail(stderr, "resume", err)
	}
	if !allBack {
		return exitFail
	}
	return exitOK
}

// publishRooms publishes k events to every room, per-room indexes from
// first, in batches of up to 100 (one room's events in order).
func publishRooms(ctx context.Context, p *publisher, rooms, first, k int) {
	var buf []byte
	batch := make([]pubEvent, 0, 100)
	for n := first; n < first+k; n++ {
		for r := range rooms {
			batch = append(batch, pubEvent{room: r, n: n})
			if len(batch) == cap(batch) {
				buf, _ = p.send(ctx, buf, batch)
				batch = batch[:0]
			}
		}
	}
	if len(batch) > 0 {
		_, _ = p.send(ctx, buf, batch)
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
