package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// runConnect measures connecting: R*M clients upgrade with a JWT each and
// join one room (workspace:w<i mod R>, docs/PROTOCOL.md §3.1, §3.2); it
// reports the time until all are joined and the server's CPU in that
// window, then how long join-time traffic (presence, §8) went on.
func runConnect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	var c common
	c.register(fs)
	rooms := fs.Int("rooms", 100, "rooms workspace:w0..w<R-1>")
	members := fs.Int("members", 100, "connections per room")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *rooms < 1 || *rooms > 10000 || *members < 1 || *members > hardConnCap {
		return usageErr(stderr, "connect", errors.New("--rooms 1..10000, --members 1..19000"))
	}
	n := *rooms * *members
	if err := c.check(n); err != nil {
		return usageErr(stderr, "connect", err)
	}
	stopProfile, err := c.profile()
	if err != nil {
		return fail(stderr, "connect", err)
	}
	defer stopProfile()
	srv := newServer(&c)
	if err := srv.check(); err != nil {
		return fail(stderr, "connect", err)
	}
	m := startMeasure(srv)
	f, o, err := openFleet(&c, n,
		func(i int) string { return fmt.Sprintf("workspace:w%d", i%*rooms) },
		func(i int) []string { return []string{fmt.Sprintf("w%d", i%*rooms)} }, stderr)
	if err != nil {
		return fail(stderr, "connect", err)
	}
	defer f.close()
	mm := m.stop()
	settled, settledOK := f.settle(500*time.Millisecond, c.settle)
	presence := f.get(cPresence)
	f.close()

	var r report
	r.add("scenario", "scenario", "connect", "")
	r.add("rooms", "rooms", *rooms, "")
	r.add("members_per_room", "members per room", *members, "")
	r.addFleet(f, o)
	r.add("all_joined", "every connection joined", o.Joined == n, "")
	r.add("settle_s", "join traffic (presence) went on after the last join for", round3(settled.Seconds()), "s")
	r.add("settled", "join traffic settled", settledOK, "")
	r.add("presence_frames_at_join", "presence frames received while joining", presence, "")
	mm.addTo(&r, 0)
	r.addEnds(f)
	if err := r.write(stdout, c.json); err != nil {
		return fail(stderr, "connect", err)
	}
	if o.Joined == 0 {
		return exitFail
	}
	return exitOK
}
