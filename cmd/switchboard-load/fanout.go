package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Targets of the issue for the fan-out scenario.
const (
	fanoutP99TargetMs   = 7.0
	fanoutCPUTargetUs   = 10.0
	burstTotalTargetSec = 7.0
)

func runFanout(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fanout", flag.ContinueOnError)
	var c common
	c.register(fs)
	rooms := fs.Int("rooms", 100, "rooms workspace:w0..w<R-1>")
	members := fs.Int("members", 100, "members (connections) per room")
	rate := fs.Int("rate", 500, "events per second, spread round-robin over the rooms")
	duration := fs.Duration("duration", 10*time.Second, "how long to publish")
	pubs := fs.Int("publishers", 4, "publisher goroutines (each owns a share of the rooms, one call in flight)")
	batchMax := fs.Int("batch-max", 100, "most events per call when a publisher is behind schedule")
	drain := fs.Duration("drain", 15*time.Second, "bound on waiting for deliveries after the last publish")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	switch {
	case *rooms < 1 || *rooms > 10000, *members < 1:
		return usageErr(stderr, "fanout", errors.New("--rooms 1..10000 and --members ≥ 1"))
	case *rate < 1 || *rate > 200000, *duration < 100*time.Millisecond || *duration > time.Hour:
		return usageErr(stderr, "fanout", errors.New("--rate 1..200000, --duration 100ms..1h"))
	case *pubs < 1 || *pubs > 64, *batchMax < 1 || *batchMax > 1000, *drain <= 0 || *drain > 10*time.Minute:
		return usageErr(stderr, "fanout", errors.New("--publishers 1..64, --batch-max 1..1000, --drain 0..10m"))
	}
	total := int(float64(*rate) * duration.Seconds())
	if total < 1 || total/(*rooms) >= maxEventsPerRoom {
		return usageErr(stderr, "fanout", fmt.Errorf("%d events in all: want at least 1 and fewer than %d per room", total, maxEventsPerRoom))
	}
	if *rooms > (1<<62)/(*members) {
		return usageErr(stderr, "fanout", errors.New("--rooms × --members too large"))
	}
	if err := c.check(*rooms * *members); err != nil {
		return usageErr(stderr, "fanout", err)
	}
	stopProfile, err := c.profile()
	if err != nil {
		return fail(stderr, "fanout", err)
	}
	defer stopProfile()
	srv := newServer(&c)
	if err := srv.check(); err != nil {
		return fail(stderr, "fanout", err)
	}
	n := *rooms * *members
	names, f, o, err := openRoomsFleet(&c, n, *rooms, stderr)
	if err != nil {
		return fail(stderr, "fanout", err)
	}
	defer f.close()
	if o.Joined == 0 {
		return fail(stderr, "fanout", fmt.Errorf("no connection joined: %s", o.FirstErr))
	}
	settled, settledOK := f.settle(500*time.Millisecond, c.settle)
	presence := f.get(cPresence)

	p := newPublisher(&c, names, *pubs)
	defer p.close()
	m := startMeasure(srv)
	lag := schedule(p, total, *rooms, *rate, *pubs, *batchMax, *duration)
	pubTook := time.Since(m.start)
	want := int64(0)
	membersOf := make([]int64, *rooms)
	for _, cl := range f.clients {
		if cl != nil && cl.joined {
			membersOf[cl.i%*rooms]++
		}
	}
	for r := range names {
		want += p.stored(r) * membersOf[r]
	}
	all := f.waitDistinct(want, min(*drain, 3*time.Second), *drain)
	mm := m.stop()
	deliveries := f.get(cEvents)
	f.close()

	var r report
	r.add("scenario", "scenario", "fanout", "")
	r.add("rooms", "rooms", *rooms, "")
	r.add("members_per_room", "members per room", *members, "")
	r.add("rate", "target publish rate", *rate, "events/s")
	r.add("duration_s", "publish duration", duration.Seconds(), "s")
	r.addFleet(f, o)
	r.add("settle_s", "join traffic (presence) settled after", round3(settled.Seconds()), "s")
	r.add("settled", "join traffic settled before publishing", settledOK, "")
	r.add("presence_frames_at_join", "presence frames received while joining", presence, "")
	p.addTo(&r)
	r.add("publish_rate", "achieved publish rate", round3(float64(p.okEvents.Load())/pubTook.Seconds()), "events/s")
	r.add("publish_lag_max_ms", "publisher max lag behind schedule", round3(float64(lag.Load())/1000), "ms")
	addDeliveries(&r, f, want, all, func(cl *client) int64 { return p.stored(cl.i % *rooms) })
	r.add("delivery_rate", "delivery rate (whole run)", round3(float64(deliveries)/mm.wall.Seconds()), "deliveries/s")
	lat := f.latency()
	r.addLatency("latency", "publish→receive latency", lat)
	r.add("target_p99_ms", "target p99 (issue)", fanoutP99TargetMs, "ms")
	mm.addTo(&r, deliveries)
	if deliveries > 0 && mm.srvErr == nil {
		us := float64(mm.srvCPU.Microseconds()) / float64(deliveries)
		r.add("target_cpu_us_per_delivery", "target server CPU per delivery (issue)", fanoutCPUTargetUs, "µs")
		r.add("meets_target", "meets targets (p99, CPU, nothing missing)", lat.P99 <= fanoutP99TargetMs && us <= fanoutCPUTargetUs && all, "")
	}
	r.addEnds(f)
	if err := r.write(stdout, c.json); err != nil {
		return fail(stderr, "fanout", err)
	}
	return exitOK
}

// schedule publishes total events at rate events/s: event k is due at
// k/rate after the start and goes to room k mod rooms with per-room index
// k / rooms. Publisher j owns the rooms with r mod pubs = j, so each
// room's events are sent in order, one call at a time. A publisher that
// falls behind sends every event that is due in one batch. It returns the
// largest lateness seen, in µs.
func schedule(p *publisher, total, rooms, rate, pubs, batchMax int, d time.Duration) *atomic.Uint64 {
	var lag atomic.Uint64
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d+60*time.Second)
	defer cancel()
	due := func(k int) time.Time { return start.Add(time.Duration(int64(k) * int64(time.Second) / int64(rate))) }
	var wg sync.WaitGroup
	for j := range min(pubs, rooms) {
		wg.Go(func() {
			var buf []byte
			batch := make([]pubEvent, 0, batchMax)
			k := 0
			next := func() { // advance k to this publisher's next event
				for k < total && (k%rooms)%pubs != j {
					k++
				}
			}
			next()
			for k < total && ctx.Err() == nil {
				if w := time.Until(due(k)); w > 0 {
					time.Sleep(w)
				}
				now := time.Now()
				atomicMax(&lag, uint64(max(0, now.Sub(due(k)))/time.Microsecond))
				batch = batch[:0]
				for k < total && len(batch) < batchMax && !due(k).After(now) {
					batch = append(batch, pubEvent{room: k % rooms, n: k / rooms})
					k++
					next()
				}
				buf, _ = p.send(ctx, buf, batch)
			}
		})
	}
	wg.Wait()
	return &lag
}

// addDeliveries adds delivery counts and per-member exactness to r; the
// fleet's goroutines have ended. expect is how many distinct events a
// member of room index r should have.
func addDeliveries(r *report, f *fleet, want int64, all bool, expect func(cl *client) int64) {
	var missing, incomplete int64
	for _, cl := range f.clients {
		if cl == nil || !cl.joined {
			continue
		}
		if d := expect(cl) - int64(cl.got); d > 0 {
			missing += d
			incomplete++
		}
	}
	r.add("deliveries_expected", "deliveries expected", want, "")
	r.add("deliveries", "deliveries received (distinct)", f.get(cDistinct), "")
	r.add("all_delivered", "every member got every stored event", all && missing == 0, "")
	r.add("missing", "missing deliveries", missing, "")
	r.add("members_incomplete", "members missing at least one event", incomplete, "")
	r.add("duplicates", "duplicate deliveries", f.get(cDups), "")
	r.add("out_of_order", "out-of-order deliveries", f.get(cOutOfOrder), "")
	r.add("seq_not_increasing", "deliveries whose seq did not grow", f.get(cSeqRegress), "")
	r.add("foreign", "events of another room", f.get(cForeign), "")
	r.add("presence_frames", "presence frames received (whole run)", f.get(cPresence), "")
	r.add("presence_leave_frames", "presence.leave frames received", f.get(cPresenceLeave), "")
}
