package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// reactor reads joined connections with a few epoll workers instead of a
// goroutine each: one read(2) per readiness instead of a read, an EAGAIN
// read and a goroutine switch, so the tool takes less CPU from the server
// it shares the machine with. Level-triggered: data left unread is
// reported again. Each epoll instance is itself registered with the Go
// poller and polled with a zero timeout, so a worker never blocks a thread
// in epoll_wait: a blocked thread holds its P until sysmon takes it back,
// which would delay the publishers and skew the latencies measured.
type reactor struct {
	f       *fleet
	workers []*worker
	clients []atomic.Pointer[client] // by client index
	stop    atomic.Bool
	wg      sync.WaitGroup
}

// worker owns one epoll instance and the connections registered in it.
type worker struct {
	r    *reactor
	epfd int
	file *os.File // epfd, registered with the Go poller
	rc   syscall.RawConn
	st   counters
}

// readBuf is a worker's read buffer: a whole frame always fits after the
// partial one kept from the previous read.
const readBuf = 4 * maxFrame

func newReactor(f *fleet, n, workers int) (*reactor, error) {
	r := &reactor{f: f, clients: make([]atomic.Pointer[client], n)}
	for range workers {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("epoll_create1: %w", err)
		}
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(fd)
			r.close()
			return nil, err
		}
		w := &worker{r: r, epfd: fd, file: os.NewFile(uintptr(fd), "epoll")}
		rc, err := w.file.SyscallConn()
		if err != nil {
			w.file.Close()
			r.close()
			return nil, err
		}
		w.rc = rc
		r.workers = append(r.workers, w)
		f.all = append(f.all, &w.st)
	}
	for _, w := range r.workers {
		r.wg.Go(w.loop)
	}
	return r, nil
}

// add registers c (its fd set, its setup done) with a worker.
func (r *reactor) add(c *client) error {
	w := r.workers[c.i%len(r.workers)]
	c.st = &w.st
	// c belongs to the worker from the Store on (it may end c at once):
	// read nothing of c after it.
	fd := c.fd
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd), Pad: int32(c.i)}
	r.clients[c.i].Store(c)
	if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		// Never reported by epoll: the worker has not touched c.
		r.clients[c.i].Store(nil)
		unix.Close(fd)
		c.fd = -1
		return fmt.Errorf("epoll add: %w", err)
	}
	return nil
}

func (w *worker) loop() {
	evs := make([]unix.EpollEvent, 256)
	buf := make([]byte, readBuf)
	for !w.r.stop.Load() {
		var n int
		var err error
		rerr := w.rc.Read(func(fd uintptr) bool {
			n, err = unix.EpollWait(int(fd), evs, 0)
			return n > 0 || (err != nil && err != unix.EINTR)
		})
		if rerr != nil || err != nil {
			if !w.r.stop.Load() { // not the deadline set by close
				fmt.Fprintf(w.r.f.stderr, "switchboard-load: reader stopped: %v\n", errors.Join(rerr, err))
			}
			return
		}
		for _, ev := range evs[:n] {
			if c := w.r.clients[ev.Pad].Load(); c != nil && c.fd == int(ev.Fd) {
				w.read(c, buf)
			}
		}
	}
}

// read does one read(2) on c and handles the complete frames.
func (w *worker) read(c *client, buf []byte) {
	k := copy(buf, c.pending)
	n, err := unix.Read(c.fd, buf[k:])
	switch {
	case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
		return
	case err != nil:
		w.end(c, err)
		return
	case n == 0:
		w.end(c, io.EOF)
		return
	}
	data := buf[:k+n]
	used, err := c.consume(data, time.Now())
	if err != nil {
		w.end(c, err)
		return
	}
	c.pending = append(c.pending[:0], data[used:]...)
	if len(c.pending) == 0 && cap(c.pending) > 4096 {
		c.pending = nil
	}
}

// end drops a connection that failed or was closed by the server.
func (w *worker) end(c *client, err error) {
	_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	w.r.clients[c.i].Store(nil)
	unix.Close(c.fd)
	c.fd = -1
	w.r.f.ended(c, err)
}

// close stops the workers, then closes every connection still registered
// and the epoll instances.
func (r *reactor) close() {
	r.stop.Store(true)
	for _, w := range r.workers {
		_ = w.file.SetReadDeadline(time.Unix(1, 0))
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(r.f.stderr, "switchboard-load: reactor workers did not stop within 10s")
		return
	}
	for i := range r.clients {
		if c := r.clients[i].Swap(nil); c != nil && c.fd >= 0 {
			unix.Close(c.fd)
			c.fd = -1
		}
	}
	for _, w := range r.workers {
		w.file.Close()
	}
}
