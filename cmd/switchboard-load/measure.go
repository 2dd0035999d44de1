package main

import (
	"math"
	"runtime"
	"time"
)

// measure brackets a measured window: server and client CPU, machine CPU
// and wall time.
type measure struct {
	srv      *server
	start    time.Time
	srvCPU0  time.Duration
	srvErr   error
	selfCPU0 time.Duration
	mach0    machineCPU
}

// measured is what happened in the window.
type measured struct {
	wall    time.Duration
	srvCPU  time.Duration
	srvErr  error
	selfCPU time.Duration
	busyPct float64
	softirq float64 // cores
	rss     int64
	source  string
}

func startMeasure(srv *server) *measure {
	m := &measure{srv: srv}
	m.srvCPU0, m.srvErr = srv.cpu()
	m.selfCPU0 = selfCPU()
	m.mach0 = readMachineCPU()
	m.start = time.Now()
	return m
}

func (m *measure) stop() measured {
	out := measured{wall: time.Since(m.start), srvErr: m.srvErr, source: m.srv.source()}
	cpu, err := m.srv.cpu()
	if out.srvErr == nil {
		out.srvErr = err
	}
	out.srvCPU = cpu - m.srvCPU0
	out.selfCPU = selfCPU() - m.selfCPU0
	mach := readMachineCPU()
	out.busyPct = busyPct(m.mach0, mach)
	out.softirq = softirqCores(m.mach0, mach)
	out.rss, _ = m.srv.rss()
	return out
}

// addTo adds the window's CPU figures; deliveries is how many event
// frames the clients received in it.
func (mm measured) addTo(r *report, deliveries int64) {
	r.add("window_s", "measured window", round3(mm.wall.Seconds()), "s")
	r.add("cpu_source", "server figures from", mm.source, "")
	if mm.srvErr != nil {
		r.add("server_cpu_error", "server CPU not read", mm.srvErr.Error(), "")
	} else {
		r.add("server_cpu_s", "server CPU (user+sys) in window", round3(mm.srvCPU.Seconds()), "s")
		r.add("server_cores", "server CPU use", round3(mm.srvCPU.Seconds()/mm.wall.Seconds()), "cores")
		if deliveries > 0 {
			r.add("server_cpu_us_per_delivery", "server CPU per delivery", round3(float64(mm.srvCPU.Nanoseconds())/1000/float64(deliveries)), "µs")
		}
	}
	r.add("server_rss_end_mib", "server RSS at end", mib(mm.rss), "MiB")
	r.add("client_cpu_s", "client (this tool) CPU in window", round3(mm.selfCPU.Seconds()), "s")
	if mm.wall > 0 {
		r.add("client_cores", "client (this tool) CPU use", round3(mm.selfCPU.Seconds()/mm.wall.Seconds()), "cores")
	}
	if deliveries > 0 {
		r.add("client_cpu_us_per_delivery", "client CPU per delivery", round3(float64(mm.selfCPU.Nanoseconds())/1000/float64(deliveries)), "µs")
	}
	r.add("machine_busy_pct", "machine CPU busy (all cores)", math.Round(mm.busyPct*10)/10, "%")
	if mm.srvErr == nil && mm.wall > 0 {
		// Softirq is mostly the loopback TCP work of this test, charged
		// to neither process. The rest is other processes: a large value
		// means the figures were taken on a noisy machine.
		busy := mm.busyPct / 100 * float64(runtime.NumCPU())
		other := busy - mm.softirq - (mm.srvCPU+mm.selfCPU).Seconds()/mm.wall.Seconds()
		r.add("softirq_cores", "softirq CPU (network stack, charged to no process)", round3(mm.softirq), "cores")
		r.add("other_cores", "CPU used by other processes", round3(max(0, other)), "cores")
	}
}
