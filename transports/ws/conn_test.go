package ws

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/schema/hclconf"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// tcpPair returns the two ends of a loopback TCP connection with small
// buffers, so that a large write fills them.
func tcpPair(t *testing.T) (server, peer *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server, peer = s.(*net.TCPConn), p.(*net.TCPConn)
	_ = server.SetWriteBuffer(4096)
	_ = peer.SetReadBuffer(4096)
	t.Cleanup(func() { server.Close(); peer.Close() })
	return server, peer
}

// testConn wraps the server end of a pair in a conn with no client,
// enough for the write path and Disconnect.
func testConn(t *testing.T, server *net.TCPConn) *conn {
	t.Helper()
	p, err := newPoller(func(*conn) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return &conn{t: &Transport{cfg: Config{WriteTimeout: hclconf.Duration(5 * time.Second)}, poller: p}, nc: server, rc: rawConn(server), fd: -1}
}

// After a direct write that sent only part of a frame, disconnecting must
// not append a close frame: the peer would read it as the rest of the
// frame. The peer sees the partial bytes, then the end of the stream.
func TestNoCloseFrameAfterPartOfAFrame(t *testing.T) {
	server, peer := tcpPair(t)
	c := testConn(t, server)

	big := make([]byte, 16<<20) // far more than the socket buffers hold
	n, err := c.TryWrite(big)
	if err != nil || n <= 0 || n >= len(big) {
		t.Fatalf("TryWrite: %d of %d bytes, %v; want a partial write", n, len(big), err)
	}
	// The peer takes what was sent, which leaves room for a close frame.
	if _, err := io.ReadFull(peer, make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	c.Disconnect(wire.ReasonSlow)
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(peer)
	if err != nil || len(rest) != 0 {
		t.Fatalf("after the partial frame: %d more bytes (%v); want none", len(rest), err)
	}
}

// A flush of more frames than one writev takes (IOV_MAX) writes them all.
func TestFlushMoreFramesThanIOVMax(t *testing.T) {
	server, peer := tcpPair(t)
	c := testConn(t, server)
	frames := make([][]byte, 3*iovMax/2)
	var want []byte
	for i := range frames {
		frames[i] = []byte{byte(i), byte(i >> 8), 'x'}
		want = append(want, frames[i]...)
	}
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, len(want))
		_, _ = io.ReadFull(peer, b)
		got <- b
	}()
	if err := c.Flush(frames); err != nil {
		t.Fatalf("Flush of %d frames: %v", len(frames), err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatal("the peer read other bytes than were flushed")
	}
}
