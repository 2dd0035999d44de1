package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// reconnector brings ended connections back on the surviving nodes, with
// since = the last seq each saw.
type reconnector struct {
	f         *fleet
	survivors []string // ws:// URLs
	rooms     int
	retry     time.Duration
	q         chan *client
	wg        sync.WaitGroup
	cancel    context.CancelFunc

	resumed   atomic.Int64
	recovered atomic.Int64
	failures  atomic.Int64
	lastAt    atomic.Uint64 // unixnano of the latest resumed join
	took      durations     // kill → joined again, per connection
	firstErr  atomic.Value
	stopped   sync.Once
}

func newReconnector(f *fleet, survivors []string, rooms int, retry time.Duration) *reconnector {
	return &reconnector{f: f, survivors: survivors, rooms: rooms, retry: retry, q: make(chan *client, len(f.clients))}
}

// enqueue is the fleet's onEnd: it runs on a reactor worker and must not
// block (the queue holds every client; a client that ends again while
// queued is impossible: it is not registered until it resumes).
func (rc *reconnector) enqueue(c *client) {
	select {
	case rc.q <- c:
	default:
		go func() { rc.q <- c }()
	}
}

func (rc *reconnector) start(ctx context.Context, workers int) {
	ctx, rc.cancel = context.WithCancel(ctx)
	for range workers {
		rc.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case c := <-rc.q:
					rc.reconnect(ctx, c)
				}
			}
		})
	}
}

// reconnect tries the survivors in turn, from the client's own, until one
// takes it or ctx ends.
func (rc *reconnector) reconnect(ctx context.Context, c *client) {
	c.roomIdx, c.resume = c.i%rc.rooms, true
	for attempt := 0; ctx.Err() == nil; attempt++ {
		c.url = rc.survivors[(c.i+attempt)%len(rc.survivors)]
		err := c.setup(ctx, rc.f.tokens[c.i])
		if err == nil {
			now := time.Now()
			rc.took.add(now.Sub(rc.f.killedAt()))
			atomicMax(&rc.lastAt, uint64(now.UnixNano()))
			if c.recovered {
				rc.recovered.Add(1)
			}
			rc.f.open.Add(1)
			rc.resumed.Add(1)
			return
		}
		if c.nc != nil {
			c.nc.Close()
			c.nc = nil
		}
		rc.failures.Add(1)
		rc.firstErr.CompareAndSwap(nil, err.Error())
		select {
		case <-ctx.Done():
		case <-time.After(rc.retry):
		}
	}
}

func (rc *reconnector) last() time.Time { return time.Unix(0, int64(rc.lastAt.Load())) }

func (rc *reconnector) err() string {
	if v := rc.firstErr.Load(); v != nil {
		return v.(string)
	}
	return ""
}

// stop ends the workers (idempotent).
func (rc *reconnector) stop() {
	rc.stopped.Do(func() {
		if rc.cancel != nil {
			rc.cancel()
		}
		rc.wg.Wait()
	})
}

// addTo reports the reconnects: how many resumed, failed attempts, the
// first error, and how many joins were answered recovered.
func (rc *reconnector) addTo(r *report, resumed string) {
	r.add("reconnects", resumed, rc.resumed.Load(), "")
	r.add("reconnect_failures", "failed reconnect attempts (retried)", rc.failures.Load(), "")
	if e := rc.err(); e != "" {
		r.add("reconnect_first_error", "first reconnect error", e, "")
	}
	r.add("recovered", "resumed joins answered recovered=true", rc.recovered.Load(), "")
}
