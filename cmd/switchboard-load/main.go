// Command switchboard-load measures a Switchboard node, or any server that
// speaks its protocol, against the figures of the performance issue:
// connecting, fan-out latency and server CPU per delivery, burst delivery
// time, idle memory per WebSocket connection, the resume storm after a
// restart and the cost per delivery as connections grow. It also is the
// floor those figures are compared with, and `bench` runs every workload
// against a fresh node and a fresh floor and prints one table.
//
// Usage:
//
//	switchboard-load SCENARIO [flags]
//
// Scenarios:
//
//	bench  --bin BIN [--config FILE] [--quick] [--runs N] [--workloads LIST] [--other-url URL | --centrifugo-bin BIN]
//	    `make bench`. For each workload (connect, fanout, fanout-max,
//	    burst, idle, idle3, resume, scaling) and each of --runs runs it
//	    starts a fresh Switchboard node (BIN serve with FILE or a minimal
//	    config; its own free loopback port and temp data dir, through
//	    SWITCHBOARD_LISTEN and SWITCHBOARD_DATA_DIR) and runs the
//	    workload against it, then does the same with a fresh floor
//	    process, and prints one Markdown table: workload | switchboard |
//	    floor | switchboard / floor (the median of the per-run ratios),
//	    the load tool's own CPU and that of other processes (noise) in
//	    each window. --other-url adds a column for another server that
//	    speaks our protocol (not restarted: no resume figure; --other-pid
//	    for its CPU and RSS from /proc; --other-protocol centrifugo for
//	    a Centrifugo there); --centrifugo-bin makes that column a
//	    Centrifugo started fresh for every run (make bench-centrifugo).
//	    Sizes: --conns (10,000: rooms of 100), --scaling-sizes
//	    (1000,5000,10000,19000), --duration (10 s), --burst-events (200);
//	    --quick is 1,000 connections and short windows. --raw FILE keeps
//	    every scenario's JSON report.
//	floor  --listen ADDR
//	    The floor: a bare gobwas server speaking just enough of
//	    docs/PROTOCOL.md (upgrade with an HS256-verified token, welcome,
//	    join → ok with seq, leave, ping, POST /v1/publish with any API
//	    key) that encodes each published event frame once and writes it
//	    to every member of its room from the HTTP handler: one write per
//	    member per event, no queue, no history, no presence. Prints
//	    "listening on http://ADDR".
//	connect --rooms R --members M
//	    R*M clients (one token each) upgrade and join workspace:w<i mod R>;
//	    reports the time until all are joined and the server's CPU in it,
//	    then how long join-time traffic (presence) went on.
//	idle   --conns N [--rooms-per-client K]
//	    Opens N WebSocket connections (user u<i>, one token each), joins
//	    user:u<i> on each (K=2 also workspace:w<i mod --rooms>, K=3 also
//	    workspace:p<i mod --rooms>, a second workspace standing in for a
//	    PM client's project room) and reports the growth of the server's
//	    RSS per connection: (RSS after all joined - RSS before the first)
//	    / N, the "after" sample being the minimum of a few taken once ~2 s
//	    have passed.
//	fanout --rooms R --members M --rate E --duration D
//	    R rooms workspace:w<r> with M members each (R*M connections); E
//	    events per second spread round-robin over the rooms, published
//	    through POST /v1/publish. Each event's data is {"t":<unixnano>,"n":<k>}
//	    (send time, per-room index); every member checks it gets each event
//	    of its room exactly once and in order, and records publish->receive
//	    latency. Reports deliveries, missing/duplicate/out-of-order, latency
//	    percentiles and server CPU per delivery.
//	burst  --members M --events K
//	    M members of workspace:w0, K events published back to back in
//	    batches; reports the time from the first publish until every member
//	    has all K events, plus missing/duplicates and latency.
//	failover --conns N --rooms R --kill-pid PID --fallback URL,URL --publish-url URL
//	    N members of R rooms connect to --url (node B of a cluster); events
//	    are published through --publish-url (another node) at --rate for
//	    --before, then the tool sends SIGKILL to PID (node B) and every
//	    client reconnects to the --fallback nodes with since = its last
//	    seq. Reports the time from the kill until all are joined again and
//	    until all hold every event stored before the kill, then checks
//	    every member got every stored event exactly once.
//	resume --target switchboard|floor --bin BIN --conns N --rooms R
//	    The resume storm. The tool starts the server itself, connects N
//	    clients into R rooms, publishes --before-events per room, restarts
//	    the server (--signal TERM or KILL, then the same command on the
//	    same port and data dir), publishes --after-events per room once it
//	    is ready and lets every client reconnect at once with since = its
//	    last seq. Reports ready → all joined again and ready → all hold
//	    every event of their room (replayed from history; the floor has
//	    none: give it --after-events 0).
//
// Every report gives the server's CPU (from /proc/PID/stat with
// --server-pid, else its /metrics), this tool's own CPU (getrusage over
// the same window) and the CPU other processes used in it.
//
// Common flags: --url (default http://127.0.0.1:8080; loopback only),
// --publish-url (publish through another node: cross-node latency),
// --secret (HS256 secret; default the dev one), --api-key (default the dev
// one), --server-pid (the serve process: RSS from /proc/PID/status VmRSS,
// CPU from /proc/PID/stat utime+stime; without it the tool falls back to
// the server's /metrics), --json (one JSON object instead of text). Run
// `switchboard-load SCENARIO --help` for the rest (timeouts, dialers,
// publishers, --users to share users between connections).
//
// Examples, against `SWITCHBOARD_LISTEN=127.0.0.1:18181 switchboard serve`:
//
//	switchboard-load idle --url http://127.0.0.1:18181 --server-pid $PID --conns 10000
//	switchboard-load fanout --url http://127.0.0.1:18181 --server-pid $PID \
//	    --rooms 100 --members 100 --rate 500 --duration 10s
//	switchboard-load burst --url http://127.0.0.1:18181 --server-pid $PID --members 10000 --events 200
//
// Client side: a goroutine per connection dials, reads the welcome and
// joins (--dialers at a time, small buffers); joined connections are then
// read by a few epoll workers (--readers) rather than a goroutine each, so
// the tool takes as little CPU as it can from the server it shares the
// machine with. The figures include softirq time and the CPU used by other
// processes during the window: a large "other" means a noisy machine. A
// process holds at most ~19,000 connections here (RLIMIT_NOFILE is 20,000
// hard); the tool raises its soft limit to the hard one and refuses more
// connections than that allows. Run idle against a freshly started server:
// Go does not hand freed memory back at once, so an earlier run inflates
// "before". Every phase is bounded in time, and all
// connections are closed before it exits. Exit status: 0 done, 1 the run
// failed, 2 usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2

	// fdReserve is kept free of WebSocket connections: stdio, the
	// publishers' HTTP connections, /proc reads, the runtime's own.
	fdReserve = 1000
	// hardConnCap is the most connections one process may open here.
	hardConnCap = 19000
)

// common holds the flags every scenario takes.
type common struct {
	url       string
	pubURL    string
	secret    string
	apiKey    string
	serverPID int
	json      bool

	dialers     int
	dialTimeout time.Duration
	joinTimeout time.Duration
	settle      time.Duration
	readBuf     int
	readers     int
	users       int
	cpuProfile  string
	// publishTimeout bounds one publish call: the floor answers only
	// once it has written every frame (a batch of 100 events to 10,000
	// members takes it seconds).
	publishTimeout time.Duration

	// protocol is what the server speaks: protoSwitchboard (docs/PROTOCOL.md
	// §3, §10) or protoCentrifugo (see centrifugo.go).
	protocol string

	base    *url.URL // parsed --url
	pubBase *url.URL // parsed --publish-url, else base
	wsURL   string   // ws://host/v1/ws
}

// connLimit is how many connections this process may open, set at start
// once RLIMIT_NOFILE has been raised.
var connLimit = hardConnCap

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server base URL the clients connect to (loopback only)")
	fs.StringVar(&c.pubURL, "publish-url", "", "base URL events are published through (another node of the cluster: cross-node figures); default --url")
	fs.StringVar(&c.secret, "secret", "dev-only-insecure-jwt-secret-change-me", "HS256 secret the server verifies tokens with")
	fs.StringVar(&c.apiKey, "api-key", "dev-only-insecure-api-key", "publisher API key (X-Api-Key)")
	fs.IntVar(&c.serverPID, "server-pid", 0, "PID of the switchboard serve process (RSS and CPU from /proc)")
	fs.BoolVar(&c.json, "json", false, "print the result as one JSON object")
	fs.IntVar(&c.dialers, "dialers", 64, "connections being set up at once")
	fs.DurationVar(&c.dialTimeout, "dial-timeout", 15*time.Second, "bound on one connection's dial, welcome and join")
	fs.DurationVar(&c.joinTimeout, "join-timeout", 5*time.Minute, "bound on opening and joining all connections")
	fs.DurationVar(&c.settle, "settle-timeout", 3*time.Minute, "bound on waiting for join-time traffic (presence) to stop")
	fs.IntVar(&c.readBuf, "read-buffer", 2048, "read buffer per connection while it connects and joins, bytes")
	fs.IntVar(&c.readers, "readers", 2, "epoll reader goroutines for joined connections")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write this tool's CPU profile to FILE (to see the client's own cost)")
	fs.DurationVar(&c.publishTimeout, "publish-timeout", 2*time.Minute, "bound on one publish call (a server that writes before it answers, like the floor, takes long on big batches)")
	fs.IntVar(&c.users, "users", 0, "distinct users; connection i is user u<i mod users> (0: one user per connection)")
	fs.StringVar(&c.protocol, "protocol", protoSwitchboard, "what the server speaks: switchboard (docs/PROTOCOL.md §3, §10) or centrifugo (its JSON client protocol at /connection/websocket and its HTTP API at /api; rooms are channels)")
}

// check validates the common flags once parsed; conns is how many
// WebSocket connections the scenario will hold.
func (c *common) check(conns int) error {
	u, err := loopbackURL("--url", c.url)
	if err != nil {
		return err
	}
	c.base, c.pubBase = u, u
	switch c.protocol {
	case protoSwitchboard:
		c.wsURL = "ws://" + u.Host + "/v1/ws"
	case protoCentrifugo:
		c.wsURL = "ws://" + u.Host + centrifugoWSPath
	default:
		return fmt.Errorf("--protocol: want %s or %s, got %q", protoSwitchboard, protoCentrifugo, c.protocol)
	}
	if c.pubURL != "" {
		if c.pubBase, err = loopbackURL("--publish-url", c.pubURL); err != nil {
			return err
		}
	}
	if len(c.secret) < 32 {
		return errors.New("--secret: HS256 secrets are at least 32 bytes")
	}
	if c.dialers < 1 || c.dialers > 1024 {
		return errors.New("--dialers: want 1..1024")
	}
	if c.readBuf < 256 || c.readBuf > 1<<20 {
		return errors.New("--read-buffer: want 256..1048576")
	}
	if c.readers < 1 || c.readers > 64 {
		return errors.New("--readers: want 1..64")
	}
	if c.users < 0 {
		return errors.New("--users: negative")
	}
	if c.dialTimeout <= 0 || c.joinTimeout <= 0 || c.settle <= 0 || c.publishTimeout <= 0 {
		return errors.New("timeouts must be positive")
	}
	if conns < 1 {
		return errors.New("at least one connection is needed")
	}
	if conns > hardConnCap {
		return fmt.Errorf("%d connections asked for: one process holds at most %d here (RLIMIT_NOFILE hard limit 20,000); run several processes", conns, hardConnCap)
	}
	if conns > connLimit {
		return fmt.Errorf("%d connections asked for but RLIMIT_NOFILE allows about %d in this process (limit minus %d reserved)", conns, connLimit, fdReserve)
	}
	return nil
}

// profile starts the --cpuprofile, if asked; call the result to stop it.
func (c *common) profile() (func(), error) {
	if c.cpuProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(c.cpuProfile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// user names connection i's user.
func (c *common) user(i int) string {
	if c.users > 0 {
		i %= c.users
	}
	return fmt.Sprintf("u%d", i)
}

// loopbackURL parses flag's value, an http://HOST:PORT base URL on this
// machine.
func loopbackURL(flag, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("%s: want http://HOST:PORT, got %q", flag, raw)
	}
	if !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s: host %q is not a loopback address; load tests may only target this machine", flag, u.Hostname())
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// raiseNoFile lifts the soft RLIMIT_NOFILE to the hard limit and returns
// how many connections that leaves room for.
func raiseNoFile() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return hardConnCap
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &want) == nil {
			lim = want
		}
	}
	n := int(min(lim.Cur, 1<<30)) - fdReserve
	return max(0, min(n, hardConnCap))
}

type scenario struct {
	name  string
	usage string
	run   func(args []string, stdout, stderr io.Writer) int
}

// scenarios is set in init: bench runs the others through run.
var scenarios []scenario

func init() {
	scenarios = []scenario{
		{"connect", "--rooms R --members M", runConnect},
		{"idle", "--conns N [--rooms-per-client K]", runIdle},
		{"fanout", "--rooms R --members M --rate E --duration D", runFanout},
		{"burst", "--members M --events K", runBurst},
		{"resume", "--target switchboard|floor --bin BIN --conns N --rooms R", runResume},
		{"failover", "--conns N --kill-pid PID --fallback URL,URL --publish-url URL", runFailover},
		{"floor", "--listen ADDR", runFloor},
		{"bench", "--bin BIN [--quick] [--runs N] [--workloads LIST] [--other-url URL | --centrifugo-bin BIN]", runBench},
	}
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	connLimit = raiseNoFile()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		code := exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		fmt.Fprintln(w, "usage: switchboard-load SCENARIO [flags]\n\nscenarios:")
		for _, s := range scenarios {
			fmt.Fprintf(w, "  %-8s %s\n", s.name, s.usage)
		}
		fmt.Fprintln(w, "\ncommon flags: --url --secret --api-key --server-pid --json (SCENARIO --help for all)")
		return code
	}
	for _, s := range scenarios {
		if s.name == args[0] {
			return s.run(args[1:], stdout, stderr)
		}
	}
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	fmt.Fprintf(stderr, "switchboard-load: unknown scenario %q (want one of %s)\n", args[0], strings.Join(names, ", "))
	return exitUsage
}

// parse parses a scenario's flags; done reports that the caller should
// return code (help shown or usage error).
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard-load %s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return exitUsage, true
	}
	return 0, false
}

func usageErr(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "switchboard-load %s: %v\n", name, err)
	return exitUsage
}

func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "switchboard-load %s: %v\n", name, err)
	return exitFail
}

// mainEnv set to 1 makes a test binary of this package run as the tool
// (TestMain), so that tests can start it as a floor process.
const mainEnv = "SWITCHBOARD_LOAD_AS_MAIN"
