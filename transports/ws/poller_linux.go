//go:build linux

package ws

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller waits on every idle connection with one epoll instance and one
// goroutine. Registrations are level-triggered and one-shot: a readable
// connection is handed to onReadable once, and re-armed when it is done.
type poller struct {
	epfd  int
	efd   int // eventfd that wakes the loop to stop
	mu    sync.Mutex
	conns map[int]*conn
	wake  func(*conn)
}

func newPoller(wake func(*conn)) (*poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("ws: epoll_create1: %w", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("ws: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
	if err := unix.EpollCtl(fd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		_ = unix.Close(fd)
		_ = unix.Close(efd)
		return nil, fmt.Errorf("ws: epoll add eventfd: %w", err)
	}
	p := &poller{epfd: fd, efd: efd, conns: make(map[int]*conn), wake: wake}
	go p.loop()
	return p, nil
}

const pollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func connFD(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.New("ws: connection has no file descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return -1, err
	}
	return fd, nil
}

// add starts watching c, unless c was already removed (closed).
func (p *poller) add(c *conn) error {
	fd := c.fd
	if fd < 0 {
		return errors.New("ws: connection has no file descriptor")
	}
	p.mu.Lock()
	if c.removed {
		p.mu.Unlock()
		return nil
	}
	p.conns[fd] = c
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: pollEvents, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.conns, fd)
		p.mu.Unlock()
		return fmt.Errorf("ws: epoll add: %w", err)
	}
	return nil
}

// rearm asks for the next readiness of c.
func (p *poller) rearm(c *conn) error {
	ev := unix.EpollEvent{Events: pollEvents, Fd: int32(c.fd)}
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev)
}

// remove stops watching c; call it before closing the connection.
func (p *poller) remove(c *conn) {
	p.mu.Lock()
	c.removed = true
	if p.conns[c.fd] == c {
		delete(p.conns, c.fd)
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	}
	p.mu.Unlock()
}

// each calls fn for every watched connection.
func (p *poller) each(fn func(*conn)) {
	p.mu.Lock()
	all := make([]*conn, 0, len(p.conns))
	for _, c := range p.conns {
		all = append(all, c)
	}
	p.mu.Unlock()
	for _, c := range all {
		fn(c)
	}
}

func (p *poller) loop() {
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return // closed
		}
		p.mu.Lock()
		for i := 0; i < n; i++ {
			fd := int(events[i].Fd)
			if fd == p.efd {
				p.mu.Unlock()
				_ = unix.Close(p.epfd)
				_ = unix.Close(p.efd)
				return
			}
			if c := p.conns[fd]; c != nil {
				go p.wake(c)
			}
		}
		p.mu.Unlock()
	}
}

// close stops the loop, which then closes the epoll and event fds.
func (p *poller) close() {
	var one = [8]byte{1}
	_, _ = unix.Write(p.efd, one[:])
}
