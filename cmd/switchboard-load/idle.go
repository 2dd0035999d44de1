package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"
)

// idleTargetKiB is the bound on server RSS per idle connection.
const idleTargetKiB = 4.0

// serverGauges are read from /metrics around the idle measurement: they
// tell heap from other memory.
var serverGauges = []string{"go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_goroutines", "switchboard_connections"}

func runIdle(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("idle", flag.ContinueOnError)
	var c common
	c.register(fs)
	conns := fs.Int("conns", 1000, "WebSocket connections to open")
	wait := fs.Duration("rss-wait", 2*time.Second, "wait after all joined before sampling RSS")
	samples := fs.Int("rss-samples", 5, "RSS samples after the wait (the least is kept)")
	join := fs.Bool("join", true, "join user:u<i> on each connection (false: connect only, to tell the connection's cost from the room's)")
	perClient := fs.Int("rooms-per-client", 1, "rooms each connection joins, 1..3: user:u<i>, then workspace:w<i mod --rooms>, then workspace:p<i mod --rooms> (a second workspace standing in for a PM client's project room: project rooms need the projects plugin's memberships)")
	shared := fs.Int("rooms", 100, "how many workspace rooms the connections share (--rooms-per-client 2 and 3)")
	hold := fs.Duration("hold", 0, "keep the connections open this much longer before closing")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if err := c.check(*conns); err != nil {
		return usageErr(stderr, "idle", err)
	}
	if *perClient < 1 || *perClient > 3 || *shared < 1 || *shared > 10000 {
		return usageErr(stderr, "idle", fmt.Errorf("--rooms-per-client 1..3, --rooms 1..10000"))
	}
	if *samples < 1 || *samples > 100 || *wait < 0 || *wait > 10*time.Minute || *hold < 0 || *hold > time.Hour {
		return usageErr(stderr, "idle", fmt.Errorf("--rss-samples 1..100, --rss-wait 0..10m, --hold 0..1h"))
	}
	stopProfile, err := c.profile()
	if err != nil {
		return fail(stderr, "idle", err)
	}
	defer stopProfile()
	srv := newServer(&c)
	if err := srv.check(); err != nil {
		return fail(stderr, "idle", err)
	}
	gBefore, gErr := srv.scrape(serverGauges...)
	before, err := srv.minRSS(0, 3, 100*time.Millisecond)
	if err != nil {
		return fail(stderr, "idle", fmt.Errorf("server RSS: %w", err))
	}
	selfBefore := selfRSS()

	extra := func(i int) []string {
		var rooms []string
		if *perClient >= 2 {
			rooms = append(rooms, fmt.Sprintf("workspace:w%d", i%*shared))
		}
		if *perClient >= 3 {
			rooms = append(rooms, fmt.Sprintf("workspace:p%d", i%*shared))
		}
		return rooms
	}
	m := startMeasure(srv)
	f, o, err := openFleetExtra(&c, *conns,
		func(i int) string {
			if !*join {
				return ""
			}
			return "user:" + c.user(i)
		},
		func(i int) []string {
			if !*join {
				return nil
			}
			return extra(i)
		},
		func(i int) []string {
			var ws []string
			for _, r := range extra(i) {
				ws = append(ws, r[len("workspace:"):])
			}
			return ws
		}, stderr)
	if err != nil {
		return fail(stderr, "idle", err)
	}
	defer f.close()
	settled, ok := f.settle(500*time.Millisecond, c.settle)
	mm := m.stop()
	after, err := srv.minRSS(*wait, *samples, 200*time.Millisecond)
	if err != nil {
		return fail(stderr, "idle", fmt.Errorf("server RSS: %w", err))
	}
	gAfter, gErr2 := srv.scrape(serverGauges...)
	selfAfter := selfRSS()
	goroutines := runtime.NumGoroutine()
	if *hold > 0 {
		time.Sleep(*hold)
	}

	var r report
	r.add("scenario", "scenario", "idle", "")
	r.add("conns", "connections asked", *conns, "")
	r.add("joined_rooms", "each connection joined user:u<i>", *join, "")
	r.add("rooms_per_client", "rooms joined per connection", *perClient, "")
	r.addFleet(f, o)
	r.add("settle_s", "join traffic settled after", round3(settled.Seconds()), "s")
	if !ok {
		r.add("settle_timeout", "join traffic still flowing at settle timeout", true, "")
	}
	r.add("rss_source", "server figures from", srv.source(), "")
	r.add("server_rss_before_mib", "server RSS before", mib(before), "MiB")
	r.add("server_rss_after_mib", "server RSS after (min of samples)", mib(after), "MiB")
	r.add("server_rss_delta_mib", "server RSS growth", mib(after-before), "MiB")
	if o.Joined > 0 {
		perConn := float64(after-before) / 1024 / float64(o.Joined)
		r.add("server_kib_per_conn", "server RSS per connection", round3(perConn), "KiB")
		r.add("target_kib_per_conn", "target (issue; Centrifugo 48)", idleTargetKiB, "KiB")
		r.add("meets_target", "meets target", perConn <= idleTargetKiB, "")
	}
	if gErr == nil && gErr2 == nil && o.Joined > 0 {
		perConnOf := func(k string) float64 {
			return round3((gAfter[k] - gBefore[k]) / 1024 / float64(o.Joined))
		}
		r.add("server_heap_kib_per_conn", "server Go heap in use per connection", perConnOf("go_memstats_heap_inuse_bytes"), "KiB")
		r.add("server_stack_kib_per_conn", "server goroutine stacks per connection", perConnOf("go_memstats_stack_inuse_bytes"), "KiB")
		r.add("server_goroutines_before", "server goroutines before", gBefore["go_goroutines"], "")
		r.add("server_goroutines_after", "server goroutines after", gAfter["go_goroutines"], "")
		r.add("server_connections_gauge", "server switchboard_connections after", gAfter["switchboard_connections"], "")
	}
	r.add("presence_frames", "presence frames received", f.get(cPresence), "")
	if o.Joined > 0 {
		r.add("client_kib_per_conn", "client (this tool) RSS per connection", round3(float64(selfAfter-selfBefore)/1024/float64(o.Joined)), "KiB")
	}
	r.add("client_goroutines", "client goroutines", goroutines, "")
	mm.addTo(&r, 0)
	r.addEnds(f)
	if err := r.write(stdout, c.json); err != nil {
		return fail(stderr, "idle", err)
	}
	if o.Joined == 0 {
		return exitFail
	}
	return exitOK
}

func mib(b int64) float64 { return round3(float64(b) / (1 << 20)) }
