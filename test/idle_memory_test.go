package test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime"
	"testing"

	"github.com/gobwas/ws"

	"github.com/switchboard-rt/switchboard/test/testnode"
)

// idleConn is a WebSocket client that keeps nothing but its socket once
// joined, so that the heap an idle connection costs is almost all the
// node's.
func idleConn(t *testing.T, n *testnode.Node, token string, rooms ...string) net.Conn {
	t.Helper()
	u, _ := url.Parse(n.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /v1/ws?token=%s&autojoin=0 HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", token, u.Host)
	br := bufio.NewReaderSize(c, 512) // dropped once joined
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		if line == "\r\n" {
			break
		}
	}
	read := func() map[string]any {
		h, err := ws.ReadHeader(br)
		if err != nil {
			t.Fatalf("read frame: %v", err)
		}
		b := make([]byte, h.Length)
		if _, err := io.ReadFull(br, b); err != nil {
			t.Fatalf("read frame: %v", err)
		}
		var f map[string]any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame %q: %v", b, err)
		}
		return f
	}
	if f := read(); f["op"] != "welcome" {
		t.Fatalf("first frame %v, want welcome", f)
	}
	for _, r := range rooms {
		p := []byte(fmt.Sprintf(`{"op":"join","room":%q,"ref":1}`, r))
		fr := ws.MaskFrame(ws.NewTextFrame(p))
		if err := ws.WriteFrame(c, fr); err != nil {
			t.Fatal(err)
		}
		if f := read(); f["op"] != "ok" {
			t.Fatalf("join %s: %v", r, f)
		}
	}
	if br.Buffered() != 0 {
		t.Fatalf("%d bytes after the joins' answers", br.Buffered())
	}
	return c
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// The live heap an idle WebSocket connection costs the node, with one room
// of its own (user:u<i>) and with three (its own and two shared by 50
// connections each, as a PM client's user, workspace and project rooms),
// stays under a bound (issue 10's idle memory). Presence is off here: its
// cluster state is JetStream's, whose block caches grow in megabyte steps
// and would make a per-connection figure of 1,000 connections noise;
// switchboard-load idle measures the node with it. The client side is a
// socket each (~0.3 KiB). Measured when written: 2.5 KiB with one room,
// 2.8 KiB with three; 4.0 and 4.25 before the single-node wildcard
// subscription (core/internal/bus) and the hub's and ws transport's
// smaller per-connection state.
func TestIdleHeapPerConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,200 connections; skipped with -short")
	}
	for _, tc := range []struct {
		rooms int
		bound float64 // KiB
	}{{1, 3.5}, {3, 4.0}} {
		t.Run(fmt.Sprintf("%d rooms", tc.rooms), func(t *testing.T) {
			cfg := testnode.Config(t)
			cfg.Hub.Presence = false
			n := testnode.Start(t, cfg)
			var conns []net.Conn
			t.Cleanup(func() {
				for _, c := range conns {
					_ = c.Close()
				}
			})
			open := func(i int) {
				rooms := []string{fmt.Sprintf("user:u%d", i)}
				ws := []string{fmt.Sprintf("w%d", i%20), fmt.Sprintf("p%d", i%20)}
				if tc.rooms == 3 {
					rooms = append(rooms, "workspace:"+ws[0], "workspace:"+ws[1])
				}
				conns = append(conns, idleConn(t, n, n.Token(fmt.Sprintf("u%d", i), ws...), rooms...))
			}
			// Warm up: the node's pools, maps and first rooms.
			const warm, measured = 100, 1000
			for i := range warm {
				open(i)
			}
			before := liveHeap()
			for i := warm; i < warm+measured; i++ {
				open(i)
			}
			after := liveHeap()
			per := float64(int64(after)-int64(before)) / measured / 1024
			t.Logf("%d room(s): %.2f KiB of live heap per idle connection (bound %.1f)", tc.rooms, per, tc.bound)
			if per > tc.bound {
				t.Errorf("%.2f KiB of live heap per idle connection with %d room(s), want at most %.1f: "+
					"profile with switchboard-load idle and /debug/pprof/heap", per, tc.rooms, tc.bound)
			}
			runtime.KeepAlive(conns)
		})
	}
}
