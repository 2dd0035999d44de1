package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"time"
)

func runBurst(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("burst", flag.ContinueOnError)
	var c common
	c.register(fs)
	members := fs.Int("members", 1000, "members (connections) of the room")
	events := fs.Int("events", 200, "events published back to back")
	batch := fs.Int("batch", 100, "events per publish call (the server allows up to its publish max_batch)")
	roomName := fs.String("room", "workspace:w0", "the room; a workspace room's id goes in every token")
	timeout := fs.Duration("timeout", time.Minute, "bound on publishing and delivering everything")
	stall := fs.Duration("stall", 10*time.Second, "give up when no delivery arrived for this long")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	switch {
	case *events < 1 || *events >= maxEventsPerRoom:
		return usageErr(stderr, "burst", errors.New("--events 1..4194303"))
	case *batch < 1 || *batch > 1000:
		return usageErr(stderr, "burst", errors.New("--batch 1..1000"))
	case *timeout <= 0 || *timeout > time.Hour || *stall <= 0:
		return usageErr(stderr, "burst", errors.New("--timeout 0..1h, --stall > 0"))
	}
	if err := c.check(*members); err != nil {
		return usageErr(stderr, "burst", err)
	}
	var workspaces []string
	if id, ok := cutPrefix(*roomName, "workspace:"); ok {
		workspaces = []string{id}
	}
	stopProfile, err := c.profile()
	if err != nil {
		return fail(stderr, "burst", err)
	}
	defer stopProfile()
	srv := newServer(&c)
	if err := srv.check(); err != nil {
		return fail(stderr, "burst", err)
	}
	f, o, err := openFleet(&c, *members,
		func(int) string { return *roomName },
		func(int) []string { return workspaces }, stderr)
	if err != nil {
		return fail(stderr, "burst", err)
	}
	defer f.close()
	if o.Joined == 0 {
		return fail(stderr, "burst", errors.New("no connection joined: "+o.FirstErr))
	}
	settled, settledOK := f.settle(500*time.Millisecond, c.settle)
	presence := f.get(cPresence)

	f.want.Store(int64(*events))
	p := newPublisher(&c, []string{*roomName}, 1)
	defer p.close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	m := startMeasure(srv)
	t0 := time.Now()
	var buf []byte
	evs := make([]pubEvent, 0, *batch)
	for k := 0; k < *events && ctx.Err() == nil; {
		evs = evs[:0]
		for ; k < *events && len(evs) < *batch; k++ {
			evs = append(evs, pubEvent{room: 0, n: k})
		}
		buf, _ = p.send(ctx, buf, evs)
	}
	published := time.Since(t0)
	want := p.stored(0) * int64(o.Joined)
	limit := max(0, time.Until(t0.Add(*timeout)))
	all := f.waitDistinct(want, *stall, limit)
	mm := m.stop()
	deliveries := f.get(cEvents)
	complete := f.get(cComplete)
	last := f.lastComplete()
	f.close()

	var r report
	r.add("scenario", "scenario", "burst", "")
	r.add("members", "members", *members, "")
	r.add("events", "events", *events, "")
	r.add("batch", "events per publish call", *batch, "")
	r.addFleet(f, o)
	r.add("settle_s", "join traffic (presence) settled after", round3(settled.Seconds()), "s")
	r.add("settled", "join traffic settled before publishing", settledOK, "")
	r.add("presence_frames_at_join", "presence frames received while joining", presence, "")
	p.addTo(&r)
	r.add("publish_s", "time to publish all", round3(published.Seconds()), "s")
	r.add("members_complete", "members that got all events", complete, "")
	if complete == int64(o.Joined) && all {
		total := last.Sub(t0)
		r.add("total_s", "first publish → every member has every event", round3(total.Seconds()), "s")
		r.add("target_total_s", "target (issue)", burstTotalTargetSec, "s")
		r.add("meets_target", "meets target", total.Seconds() <= burstTotalTargetSec, "")
		r.add("delivery_rate", "delivery rate", round3(float64(want)/total.Seconds()), "deliveries/s")
	} else {
		r.add("total_s", "first publish → every member has every event", "not reached", "")
		r.add("meets_target", "meets target", false, "")
	}
	addDeliveries(&r, f, want, all, func(*client) int64 { return p.stored(0) })
	r.addLatency("latency", "publish→receive latency", f.latency())
	mm.addTo(&r, deliveries)
	r.addEnds(f)
	if err := r.write(stdout, c.json); err != nil {
		return fail(stderr, "burst", err)
	}
	return exitOK
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
