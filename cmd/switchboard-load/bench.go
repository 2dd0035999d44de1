package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runBench is `switchboard-load bench` (make bench): for each workload of
// the performance issue and each of --runs runs, it starts a fresh
// Switchboard node (--bin, --config; its own temp data dir and free port)
// and a fresh floor process (this binary's `floor`), runs the workload
// against each in turn, stops them, and finally prints one table:
// workload | switchboard | floor | ratio (switchboard / floor, the median
// of the per-run ratios), plus --other-url's column when given, the load
// tool's own CPU and the CPU of other processes (a noisy machine).
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var b bench
	fs.StringVar(&b.opts.bin, "bin", "bin/switchboard", "switchboard binary to start (a fresh node per workload and run)")
	fs.StringVar(&b.opts.config, "config", "", "switchboard config file (server listen and data_dir are overridden); default a minimal one (defaults, --secret, --api-key)")
	fs.StringVar(&b.opts.secret, "secret", "dev-only-insecure-jwt-secret-change-me", "HS256 secret of the servers")
	fs.StringVar(&b.opts.apiKey, "api-key", "dev-only-insecure-api-key", "publisher API key")
	fs.StringVar(&b.otherURL, "other-url", "", "also drive this server, which speaks our protocol (docs/PROTOCOL.md §3, §10), at this base URL (loopback); it is not restarted (no resume)")
	fs.IntVar(&b.otherPID, "other-pid", 0, "PID of the --other-url server, for its CPU and RSS from /proc (else its /metrics)")
	fs.StringVar(&b.opts.centrifugoBin, "centrifugo-bin", "", "also start this Centrifugo binary (make bench-centrifugo builds one) as the other column, fresh for every run like the others (memory engine, no history, no presence; not with --other-url)")
	fs.StringVar(&b.otherProtocol, "other-protocol", protoSwitchboard, "what the --other-url server speaks: switchboard or centrifugo (see switchboard-load fanout --help, --protocol)")
	workloads := fs.String("workloads", strings.Join(workloadNames(), ","), "comma-separated workloads to run")
	fs.IntVar(&b.runs, "runs", 1, "runs of each workload; the table gives medians (ratios: the median of the per-run ratios)")
	fs.IntVar(&b.conns, "conns", 10000, "connections of every workload but scaling (rooms of 100)")
	quick := fs.Bool("quick", false, "small sizes (1,000 connections, short windows): a minute or two")
	sizes := fs.String("scaling-sizes", "", "connection counts of the scaling workload (default 1000,5000,10000,19000; --quick 250,500,1000)")
	fs.DurationVar(&b.duration, "duration", 10*time.Second, "publishing window of fanout and scaling")
	fs.IntVar(&b.burstEvents, "burst-events", 200, "events of the burst workload")
	raw := fs.String("raw", "", "also write every scenario's JSON result to FILE, one per line")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	b.stderr = stderr
	if *quick {
		b.conns, b.duration, b.burstEvents = 1000, 3*time.Second, 50
		b.sizes = []int{250, 500, 1000}
	} else {
		b.sizes = []int{1000, 5000, 10000, 19000}
	}
	if *sizes != "" {
		b.sizes = nil
		for s := range strings.SplitSeq(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 100 || n > hardConnCap || n%100 != 0 {
				return usageErr(stderr, "bench", fmt.Errorf("--scaling-sizes: %q is not a multiple of 100 in 100..%d", s, hardConnCap))
			}
			b.sizes = append(b.sizes, n)
		}
	}
	switch {
	case b.runs < 1 || b.runs > 20:
		return usageErr(stderr, "bench", errors.New("--runs 1..20"))
	case b.conns < 100 || b.conns > hardConnCap || b.conns%100 != 0:
		return usageErr(stderr, "bench", fmt.Errorf("--conns: a multiple of 100 in 100..%d", hardConnCap))
	case b.duration < time.Second || b.duration > 10*time.Minute:
		return usageErr(stderr, "bench", errors.New("--duration 1s..10m"))
	case b.burstEvents < 1 || b.burstEvents > 100000:
		return usageErr(stderr, "bench", errors.New("--burst-events 1..100000"))
	}
	if b.otherURL != "" {
		if _, err := loopbackURL("--other-url", b.otherURL); err != nil {
			return usageErr(stderr, "bench", err)
		}
	}
	if b.opts.centrifugoBin != "" {
		if b.otherURL != "" {
			return usageErr(stderr, "bench", errors.New("--centrifugo-bin and --other-url: one other server at a time"))
		}
		if _, err := os.Stat(b.opts.centrifugoBin); err != nil {
			return usageErr(stderr, "bench", fmt.Errorf("--centrifugo-bin: %w", err))
		}
		b.otherProtocol = protoCentrifugo
	}
	if b.otherProtocol != protoSwitchboard && b.otherProtocol != protoCentrifugo {
		return usageErr(stderr, "bench", fmt.Errorf("--other-protocol: want %s or %s, got %q", protoSwitchboard, protoCentrifugo, b.otherProtocol))
	}
	for w := range strings.SplitSeq(*workloads, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if !slices.Contains(workloadNames(), w) {
			return usageErr(stderr, "bench", fmt.Errorf("--workloads: unknown %q (want %s)", w, strings.Join(workloadNames(), ",")))
		}
		b.workloads = append(b.workloads, w)
	}
	if len(b.workloads) == 0 {
		return usageErr(stderr, "bench", errors.New("--workloads: none"))
	}
	if st, err := os.Stat(b.opts.bin); err != nil || st.IsDir() {
		return usageErr(stderr, "bench", fmt.Errorf("--bin %s: not a file (build it: go build -o bin/ ./cmd/switchboard)", b.opts.bin))
	}
	if *raw != "" {
		f, err := os.Create(*raw)
		if err != nil {
			return fail(stderr, "bench", err)
		}
		defer f.Close()
		b.raw = f
	}
	start := time.Now()
	cols := []string{"switchboard", "floor"}
	if b.hasOther() {
		cols = append(cols, "other")
	}
	var rows []tableRow
	for _, w := range b.workloads {
		rows = append(rows, b.workload(w, cols)...)
	}
	fmt.Fprint(stdout, b.header(time.Since(start)))
	fmt.Fprint(stdout, formatTable(rows, b.hasOther()))
	return exitOK
}

// hasOther reports whether the table has a third server's column.
func (b *bench) hasOther() bool { return b.otherURL != "" || b.opts.centrifugoBin != "" }

type bench struct {
	opts          launchOpts
	otherURL      string
	otherPID      int
	otherProtocol string
	runs          int
	conns         int
	duration      time.Duration
	burstEvents   int
	sizes         []int
	workloads     []string
	stderr        io.Writer
	raw           io.Writer
	failures      []string
}

func workloadNames() []string {
	return []string{"connect", "fanout", "fanout-max", "burst", "idle", "idle3", "resume", "scaling"}
}

// result is one scenario run's JSON report.
type result map[string]any

func (r result) num(key string) (float64, bool) {
	v, ok := r[key].(float64)
	return v, ok
}

// metric is one table row drawn from a workload's results.
type metric struct {
	label  string
	key    string
	unit   string
	floorX bool // not comparable on the floor (it keeps no history)
}

// scenarioRun is how one workload runs against one server.
type scenarioRun struct {
	name string   // scenario
	args []string // its flags (without --url, --server-pid, --json)
}

// plan returns the scenario runs and rows of workload w: one or more
// steps (scaling has one per size), each with its metrics.
func (b *bench) plan(w string) (steps []scenarioRun, metrics [][]metric) {
	n := b.conns
	rooms := n / 100
	d := b.duration.String()
	fan := func(rate int, what string) ([]scenarioRun, [][]metric) {
		title := fmt.Sprintf("%d rooms × 100, %d events/s%s", rooms, rate, what)
		return []scenarioRun{{"fanout", []string{"--rooms", itoa(rooms), "--members", "100", "--rate", itoa(rate), "--duration", d}}},
			[][]metric{{
				{label: title + ": server CPU per delivery", key: "server_cpu_us_per_delivery", unit: "µs"},
				{label: title + ": p50 publish → receive", key: "latency_p50_ms", unit: "ms"},
				{label: title + ": p99 publish → receive", key: "latency_p99_ms", unit: "ms"},
				{label: title + ": deliveries/s achieved", key: "delivery_rate", unit: "/s"},
			}}
	}
	switch w {
	case "connect":
		return []scenarioRun{{"connect", []string{"--rooms", itoa(rooms), "--members", "100"}}},
			[][]metric{{
				{label: fmt.Sprintf("connect %d clients into %d rooms of 100 (upgrade, JWT, one join): all joined in", n, rooms), key: "connect_s", unit: "s"},
				{label: "connect: server CPU", key: "server_cpu_s", unit: "s"},
			}}
	case "fanout":
		return fan(5*rooms, "")
	case "fanout-max":
		return fan(20*rooms, " asked")
	case "burst":
		return []scenarioRun{{"burst", []string{"--members", itoa(n), "--events", itoa(b.burstEvents)}}},
			[][]metric{{
				{label: fmt.Sprintf("%d in one room, %d events back to back: all delivered in", n, b.burstEvents), key: "total_s", unit: "s"},
				{label: "burst: p99 publish → receive", key: "latency_p99_ms", unit: "ms"},
			}}
	case "idle", "idle3":
		k, what := "1", "one room (user)"
		if w == "idle3" {
			k, what = "3", "three rooms (user, workspace, 2nd workspace as the project)"
		}
		return []scenarioRun{{"idle", []string{"--conns", itoa(n), "--rooms-per-client", k, "--rooms", itoa(rooms)}}},
			[][]metric{{{label: fmt.Sprintf("idle RSS per connection, %d connections, %s", n, what), key: "server_kib_per_conn", unit: "KiB"}}}
	case "resume":
		return []scenarioRun{{"resume", []string{"--conns", itoa(n), "--rooms", itoa(rooms)}}},
			[][]metric{{
				{label: fmt.Sprintf("resume storm, %d clients after a restart: ready → all joined again", n), key: "resume_all_s", unit: "s"},
				{label: "resume storm: ready → all caught up (history)", key: "catch_up_all_s", unit: "s", floorX: true},
			}}
	case "scaling":
		for _, size := range b.sizes {
			r := size / 100
			steps = append(steps, scenarioRun{"fanout", []string{"--rooms", itoa(r), "--members", "100", "--rate", "500", "--duration", d}})
			metrics = append(metrics, []metric{{label: fmt.Sprintf("scaling: server CPU per delivery at %d connections (500 events/s × 100)", size), key: "server_cpu_us_per_delivery", unit: "µs"}})
		}
		return steps, metrics
	}
	return nil, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// workload runs w --runs times against every column and returns its rows.
func (b *bench) workload(w string, cols []string) []tableRow {
	steps, metrics := b.plan(w)
	// vals[step][metric][col] holds one value per run (NaN: none).
	type cell = []float64
	vals := make([][][]cell, len(steps))
	ratios := make([][][]float64, len(steps))
	tool := make([][]cell, len(steps)) // per step and col: client cores
	other := make([][]cell, len(steps))
	for s := range steps {
		vals[s] = make([][]cell, len(metrics[s]))
		ratios[s] = make([][]float64, len(metrics[s]))
		for m := range metrics[s] {
			vals[s][m] = make([]cell, len(cols))
		}
		tool[s] = make([]cell, len(cols))
		other[s] = make([]cell, len(cols))
	}
	for run := range b.runs {
		for s, st := range steps {
			got := make([]result, len(cols))
			for ci, col := range cols {
				if col == "other" && st.name == "resume" {
					continue
				}
				fmt.Fprintf(b.stderr, "bench: %s run %d/%d step %d/%d on %s…\n", w, run+1, b.runs, s+1, len(steps), col)
				res, err := b.runOne(st, col)
				if err != nil {
					b.failures = append(b.failures, fmt.Sprintf("%s on %s (run %d): %v", w, col, run+1, err))
					fmt.Fprintf(b.stderr, "bench: %s on %s: %v\n", w, col, err)
					continue
				}
				got[ci] = res
				b.checkLoss(w, col, run, res)
				if v, ok := res.num("client_cores"); ok {
					tool[s][ci] = append(tool[s][ci], v)
				}
				if v, ok := res.num("other_cores"); ok {
					other[s][ci] = append(other[s][ci], v)
				}
			}
			for m, mt := range metrics[s] {
				for ci, col := range cols {
					if got[ci] == nil || (mt.floorX && col == "floor") {
						continue
					}
					if v, ok := got[ci].num(mt.key); ok {
						vals[s][m][ci] = append(vals[s][m][ci], v)
					}
				}
				if got[0] != nil && got[1] != nil && !mt.floorX {
					a, ok1 := got[0].num(mt.key)
					f, ok2 := got[1].num(mt.key)
					if ok1 && ok2 && f > 0 {
						ratios[s][m] = append(ratios[s][m], a/f)
					}
				}
			}
		}
	}
	var rows []tableRow
	for s := range steps {
		for m, mt := range metrics[s] {
			row := tableRow{label: mt.label, unit: mt.unit, ratio: median(ratios[s][m])}
			for ci := range cols {
				row.vals = append(row.vals, median(vals[s][m][ci]))
			}
			if m == 0 {
				for ci := range cols {
					row.tool = append(row.tool, median(tool[s][ci]))
					row.other = append(row.other, median(other[s][ci]))
				}
			}
			rows = append(rows, row)
		}
	}
	if w == "scaling" && len(steps) > 1 {
		row := tableRow{label: "scaling: CPU per delivery, largest / smallest over the sizes", unit: "×"}
		for ci := range cols {
			var lo, hi float64
			for s := range steps {
				v := median(vals[s][0][ci])
				if v != v { // NaN
					lo, hi = 0, 0
					break
				}
				if lo == 0 || v < lo {
					lo = v
				}
				hi = max(hi, v)
			}
			if lo > 0 {
				row.vals = append(row.vals, hi/lo)
			} else {
				row.vals = append(row.vals, nan())
			}
		}
		row.ratio = nan()
		rows = append(rows, row)
	}
	return rows
}

// runOne starts a fresh server for col (none for other, nor for resume,
// which starts its own), runs the step against it and returns its result.
func (b *bench) runOne(st scenarioRun, col string) (result, error) {
	defer func() { runtime.GC(); debug.FreeOSMemory() }()
	args := []string{"--json", "--secret", b.opts.secret, "--api-key", b.opts.apiKey}
	switch {
	case st.name == "resume":
		args = append(args, "--target", col, "--bin", b.opts.bin)
		if b.opts.config != "" {
			args = append(args, "--config", b.opts.config)
		}
		if col == "floor" {
			args = append(args, "--after-events", "0")
		}
	case col == "other" && b.opts.centrifugoBin != "":
		tg, err := startTarget("centrifugo", b.opts)
		if err != nil {
			return nil, err
		}
		defer tg.close()
		args = append(args, "--url", tg.url, "--server-pid", itoa(tg.pid()), "--protocol", protoCentrifugo)
	case col == "other":
		args = append(args, "--url", b.otherURL, "--protocol", b.otherProtocol)
		if b.otherPID > 0 {
			args = append(args, "--server-pid", itoa(b.otherPID))
		}
	default:
		tg, err := startTarget(col, b.opts)
		if err != nil {
			return nil, err
		}
		defer tg.close()
		args = append(args, "--url", tg.url, "--server-pid", itoa(tg.pid()))
	}
	args = append(args, st.args...)
	if col == "other" && b.otherProtocol == protoCentrifugo && st.name == "burst" {
		// Centrifugo answers an API call once it has queued the events
		// for every subscriber, and its HTTP server cuts an answer after
		// 10 s: a batch of 100 events to 10,000 members took it 14 s here
		// (EOF, the events delivered but not acknowledged). Batches of
		// centrifugoBurstBatch stay well under that.
		args = append(args, "--batch", itoa(centrifugoBurstBatch))
	}
	var out, errOut bytes.Buffer
	code := run(append([]string{st.name}, args...), &out, &errOut)
	if b.raw != nil {
		fmt.Fprintf(b.raw, "{\"target\":%q,\"scenario\":%q,\"args\":%q,\"exit\":%d,\"result\":%s}\n",
			col, st.name, strings.Join(st.args, " "), code, bytes.TrimSpace(orNull(out.Bytes())))
	}
	if code != exitOK {
		return nil, fmt.Errorf("%s exit %d: %s", st.name, code, strings.TrimSpace(errOut.String()))
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("%s: output %q: %w", st.name, truncate(out.Bytes()), err)
	}
	return r, nil
}

func orNull(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("null")
	}
	return b
}

// checkLoss records a run in which an event was missing, duplicated or
// out of order, or a connection failed or was lost.
func (b *bench) checkLoss(w, col string, run int, r result) {
	var bad []string
	for _, k := range []string{"conns_failed", "events_publish_failed", "missing", "duplicates", "out_of_order"} {
		if v, ok := r.num(k); ok && v != 0 {
			bad = append(bad, fmt.Sprintf("%s %g", k, v))
		}
	}
	if r["scenario"] != "resume" {
		if v, ok := r.num("conns_lost"); ok && v != 0 {
			bad = append(bad, fmt.Sprintf("conns_lost %g", v))
		}
	}
	if len(bad) > 0 {
		b.failures = append(b.failures, fmt.Sprintf("%s on %s (run %d): %s", w, col, run+1, strings.Join(bad, ", ")))
	}
}

// header describes the machine and the run.
func (b *bench) header(took time.Duration) string {
	var h strings.Builder
	model := "unknown CPU"
	if c, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(c), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	kernel := ""
	if syscall.Uname(&u) == nil {
		var s []byte
		for _, c := range u.Release {
			if c == 0 {
				break
			}
			s = append(s, byte(c))
		}
		kernel = string(s)
	}
	fmt.Fprintf(&h, "switchboard-load bench, %s: %d CPUs (%s), Linux %s, %s\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), model, kernel, runtime.Version())
	fmt.Fprintf(&h, "switchboard: %s; floor: this tool's `floor` (one write per member per event, no queue, no history, no presence)", b.opts.bin)
	switch {
	case b.opts.centrifugoBin != "":
		fmt.Fprintf(&h, "; other: Centrifugo (%s, a fresh process per run: memory engine, no history, no presence)", b.opts.centrifugoBin)
	case b.otherURL != "":
		fmt.Fprintf(&h, "; other: %s (%s protocol)", b.otherURL, b.otherProtocol)
	}
	if b.hasOther() && b.otherProtocol == protoCentrifugo {
		fmt.Fprintf(&h, "; Centrifugo's burst is published %d events a call (its HTTP server cuts an answer after 10 s), each call after the last one's answer,"+
			" so its burst p99 leaves out the wait behind earlier calls: compare its \"all delivered in\"", centrifugoBurstBatch)
	}
	fmt.Fprintf(&h, "\n%d run(s) per workload, medians; switchboard / floor is the median of the per-run ratios", b.runs)
	if b.hasOther() {
		h.WriteString(", switchboard / other the ratio of the medians")
	}
	fmt.Fprintf(&h, "; took %s\n", took.Round(time.Second))
	cols := "switchboard / floor"
	if b.hasOther() {
		cols += " / other"
	}
	fmt.Fprintf(&h, "load tool CPU, other processes' CPU: cores used in the measured window by this tool and by every other process (noise), %s\n", cols)
	if len(b.failures) == 0 {
		fmt.Fprintf(&h, "every run: every connection joined, nothing missing, duplicated or out of order\n\n")
	} else {
		fmt.Fprintf(&h, "NOT CLEAN:\n")
		for _, f := range b.failures {
			fmt.Fprintf(&h, "  %s\n", f)
		}
		h.WriteString("\n")
	}
	return h.String()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return nan()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
