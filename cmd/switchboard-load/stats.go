package main

import (
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// histogram counts durations in microseconds, log-linear: exact below
// 128 µs, then 64 buckets per power of two (under 1.6% error). It is safe
// for concurrent use and allocation-free when recording.
type histogram struct {
	counts [64 * 40]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64 // µs
	max    atomic.Uint64 // µs
}

func bucketOf(us uint64) int {
	if us < 128 {
		return int(us)
	}
	shift := bits.Len64(us) - 7 // us>>shift is in [64,128)
	i := shift*64 + int(us>>shift)
	if i >= len(histogram{}.counts) {
		i = len(histogram{}.counts) - 1
	}
	return i
}

// lowerBound is the smallest value in bucket i, in µs.
func lowerBound(i int) uint64 {
	if i < 128 {
		return uint64(i)
	}
	shift := i/64 - 1
	return uint64(i%64+64) << shift
}

func (h *histogram) record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	h.counts[bucketOf(us)].Add(1)
	h.n.Add(1)
	h.sum.Add(us)
	atomicMax(&h.max, us)
}

// merge adds o's counts to h (o may still be recording).
func (h *histogram) merge(o *histogram) {
	for i := range o.counts {
		if v := o.counts[i].Load(); v > 0 {
			h.counts[i].Add(v)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	atomicMax(&h.max, o.max.Load())
}

func atomicMax(a *atomic.Uint64, v uint64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// quantile returns the q-quantile (0..1) in µs, as the upper edge of its
// bucket so that it never under-reports; the max caps it.
func (h *histogram) quantile(q float64) uint64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(lowerBound(i+1)-1, h.max.Load())
		}
	}
	return h.max.Load()
}

// latency summarizes h in milliseconds.
type latency struct {
	N                   uint64
	P50, P90, P99, P999 float64
	Max, Mean           float64
}

func (h *histogram) summary() latency {
	ms := func(us uint64) float64 { return float64(us) / 1000 }
	l := latency{N: h.n.Load(), P50: ms(h.quantile(0.5)), P90: ms(h.quantile(0.9)),
		P99: ms(h.quantile(0.99)), P999: ms(h.quantile(0.999)), Max: ms(h.max.Load())}
	if l.N > 0 {
		l.Mean = ms(h.sum.Load()) / float64(l.N)
	}
	return l
}

// durations collects a modest number of durations (one per connection)
// for percentiles.
type durations struct {
	mu sync.Mutex
	d  []time.Duration
}

func (d *durations) add(v time.Duration) {
	d.mu.Lock()
	d.d = append(d.d, v)
	d.mu.Unlock()
}

// pct returns the q-quantile in milliseconds.
func (d *durations) pct(q float64) float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.d) == 0 {
		return 0
	}
	sort.Slice(d.d, func(i, j int) bool { return d.d[i] < d.d[j] })
	i := min(int(q*float64(len(d.d))), len(d.d)-1)
	return ms(d.d[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// closeReasons counts why connections ended, by the server's close
// reason or the read error.
type closeReasons struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *closeReasons) add(reason string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[reason]++
	c.mu.Unlock()
}

func (c *closeReasons) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}
