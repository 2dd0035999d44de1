//go:build !linux

package ws

import (
	"net"
	"syscall"
)

func rawConn(net.Conn) syscall.RawConn { return nil }

// tryWrite writes nothing where raw non-blocking writes are not wired up:
// Flush then always takes the blocking path.
func (c *conn) tryWrite([]byte, [][]byte) (int, error) { return 0, nil }
