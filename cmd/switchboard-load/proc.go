package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clkTck is USER_HZ, the unit of utime/stime in /proc/PID/stat; it is 100
// on every Linux build that matters.
const clkTck = 100

// server reads the measured process: from /proc when its PID is known,
// otherwise from the process_* gauges of its /metrics.
type server struct {
	pid     int
	metrics string // http://host/metrics
	http    *http.Client
}

func newServer(c *common) *server {
	return &server{pid: c.serverPID, metrics: c.base.String() + "/metrics",
		http: &http.Client{Timeout: 5 * time.Second}}
}

// source says where figures come from.
func (s *server) source() string {
	if s.pid > 0 {
		return fmt.Sprintf("/proc/%d", s.pid)
	}
	return "/metrics"
}

// check fails early when --server-pid names no process.
func (s *server) check() error {
	if s.pid <= 0 {
		return nil
	}
	if _, err := s.rss(); err != nil {
		return fmt.Errorf("--server-pid %d: %w", s.pid, err)
	}
	return nil
}

// rss is the server's resident set in bytes.
func (s *server) rss() (int64, error) {
	if s.pid <= 0 {
		v, err := s.gauge("process_resident_memory_bytes")
		return int64(v), err
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, errors.New("no VmRSS line")
}

// minRSS waits, then returns the least of n samples taken every gap.
func (s *server) minRSS(wait time.Duration, n int, gap time.Duration) (int64, error) {
	time.Sleep(wait)
	best := int64(-1)
	for i := range n {
		if i > 0 {
			time.Sleep(gap)
		}
		v, err := s.rss()
		if err != nil {
			return 0, err
		}
		if best < 0 || v < best {
			best = v
		}
	}
	return best, nil
}

// cpu is the server's user+system CPU time.
func (s *server) cpu() (time.Duration, error) {
	if s.pid <= 0 {
		v, err := s.gauge("process_cpu_seconds_total")
		return time.Duration(v * float64(time.Second)), err
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields start
	// after the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// gauge reads one unlabelled sample, or the sum of a labelled family,
// from the server's /metrics.
func (s *server) gauge(name string) (float64, error) {
	m, err := s.scrape(name)
	if err != nil {
		return 0, err
	}
	v, ok := m[name]
	if !ok {
		return 0, fmt.Errorf("%s not in /metrics", name)
	}
	return v, nil
}

// scrape returns the named families from /metrics (labelled samples
// summed by family name).
func (s *server) scrape(names ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.metrics, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if j := strings.IndexByte(name, '{'); j >= 0 {
			// A label value may hold a space: cut after the closing brace.
			k := strings.LastIndexByte(line, '}')
			name, rest = line[:j], strings.TrimSpace(line[k+1:])
		}
		if !want[name] {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			out[name] += v
		}
	}
	return out, sc.Err()
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfRSS is this process's resident set in bytes.
func selfRSS() int64 {
	s := server{pid: os.Getpid()}
	v, _ := s.rss()
	return v
}

// machineCPU samples /proc/stat: busy, softirq and total jiffies over all
// cores. Softirq time (much of the loopback TCP work) is charged to no
// process.
type machineCPU struct{ busy, softirq, total uint64 }

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	var m machineCPU
	for i, x := range f[1:] {
		v, _ := strconv.ParseUint(x, 10, 64)
		if i >= 7 { // guest time is already counted in user
			break
		}
		m.total += v
		if i == 6 {
			m.softirq += v
		}
		if i != 3 && i != 4 { // idle, iowait
			m.busy += v
		}
	}
	return m
}

// softirqCores is the softirq time between a and b, in cores.
func softirqCores(a, b machineCPU) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.softirq-a.softirq) / float64(b.total-a.total) * float64(runtime.NumCPU())
}

// busyPct is the share of all cores busy between a and b, in percent.
func busyPct(a, b machineCPU) float64 {
	if b.total <= a.total {
		return 0
	}
	return 100 * float64(b.busy-a.busy) / float64(b.total-a.total)
}
