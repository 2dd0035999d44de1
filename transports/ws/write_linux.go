package ws

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// rawConn returns nc's raw connection for non-blocking write attempts, or
// nil when it has none.
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryWrite writes as much of one (or, if one is nil, of many) as the socket
// takes right now, without blocking, and reports how many bytes went out. Most writes fit in the
// socket buffer, and this path needs neither a deadline nor the netpoller.
// A socket that would block answers 0 and no error.
func (c *conn) tryWrite(one []byte, many [][]byte) (int, error) {
	if c.rc == nil {
		return 0, nil
	}
	var n int
	var werr error
	err := c.rc.Write(func(fd uintptr) bool {
		if one != nil {
			n, werr = unix.Write(int(fd), one)
		} else {
			n, werr = unix.Writev(int(fd), many)
		}
		return true // never wait: the caller falls back to a blocking write
	})
	if err != nil {
		return 0, err
	}
	if werr != nil {
		if errors.Is(werr, unix.EAGAIN) || errors.Is(werr, unix.EINTR) {
			return 0, nil
		}
		return 0, werr
	}
	return n, nil
}
