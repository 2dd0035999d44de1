//go:build !linux

package ws

import (
	"net"
	"sync"
)

func connFD(net.Conn) (int, error) { return 0, nil }

// poller falls back to a goroutine per connection where epoll is missing.
type poller struct {
	mu    sync.Mutex
	conns map[*conn]struct{}
	wake  func(*conn)
}

func newPoller(wake func(*conn)) (*poller, error) {
	return &poller{conns: make(map[*conn]struct{}), wake: wake}, nil
}

func (p *poller) add(c *conn) error {
	p.mu.Lock()
	if c.removed {
		p.mu.Unlock()
		return nil
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	go p.wake(c)
	return nil
}

func (p *poller) rearm(c *conn) error { go p.wake(c); return nil }

func (p *poller) remove(c *conn) {
	p.mu.Lock()
	c.removed = true
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *poller) each(fn func(*conn)) {
	p.mu.Lock()
	all := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		all = append(all, c)
	}
	p.mu.Unlock()
	for _, c := range all {
		fn(c)
	}
}

func (p *poller) close() {}
